//! The dungeon catalog and the game's classes, embedded at compile time from
//! `data/dungeons.json` (a copy of the project's catalog data; nothing is read at run time).

use serde::Deserialize;
use std::sync::LazyLock;

const CATALOG_JSON: &str = include_str!("../data/dungeons.json");

/// How many choices Discord's autocomplete accepts.
pub const AUTOCOMPLETE_MAX: usize = 25;

#[derive(Debug, Clone, Deserialize)]
pub struct Dungeon {
    pub code: String,
    pub name: String,
    pub category: String,
    pub keys: Vec<KeySlot>,
    #[serde(default)]
    pub other_reactions: Vec<KeySlot>,
    #[serde(default)]
    pub colors: Vec<String>,
    #[serde(default)]
    pub portal_image: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct KeySlot {
    pub reaction: String,
    #[serde(default)]
    pub max_early_location: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Reaction {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub exalt_key: bool,
}

#[derive(Debug, Deserialize)]
struct CatalogFile {
    classes: Vec<String>,
    reactions: std::collections::BTreeMap<String, Reaction>,
    dungeons: Vec<Dungeon>,
}

/// A RotMG class a raider can pick on a run panel.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RaidClass(String);

impl RaidClass {
    /// Accepts a class name in any letter case ("warrior" → "Warrior").
    pub fn parse(text: &str) -> Option<RaidClass> {
        let wanted = text.trim();
        catalog()
            .classes
            .iter()
            .find(|c| c.eq_ignore_ascii_case(wanted))
            .map(|c| RaidClass(c.clone()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub struct Catalog {
    pub classes: Vec<String>,
    pub reactions: std::collections::BTreeMap<String, Reaction>,
    pub dungeons: Vec<Dungeon>,
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    // The file is part of the binary and covered by tests; a broken copy must fail the
    // build's tests, so an empty catalog is the fallback rather than a panic at run time.
    match serde_json::from_str::<CatalogFile>(CATALOG_JSON) {
        Ok(file) => Catalog {
            classes: file.classes,
            reactions: file.reactions,
            dungeons: file.dungeons,
        },
        Err(_) => Catalog {
            classes: Vec::new(),
            reactions: Default::default(),
            dungeons: Vec::new(),
        },
    }
});

pub fn catalog() -> &'static Catalog {
    &CATALOG
}

impl Catalog {
    pub fn dungeon(&self, code: &str) -> Option<&Dungeon> {
        self.dungeons.iter().find(|d| d.code == code)
    }

    /// The name people read for a dungeon code: the catalog's name, or the code itself when
    /// the catalog does not know it (a dungeon removed since a run was recorded).
    pub fn dungeon_name(&self, code: &str) -> String {
        self.dungeon(code)
            .map(|d| d.name.clone())
            .unwrap_or_else(|| code.to_owned())
    }

    /// Display name of a reaction; the catalog lacks `realm_dungeon_key`, which is a key.
    pub fn reaction_name(&self, code: &str) -> String {
        match self.reactions.get(code) {
            Some(r) => r.name.clone(),
            None if code == "realm_dungeon_key" => "Realm Dungeon Key".to_owned(),
            None => code.replace('_', " "),
        }
    }

    /// What kind of reaction a code is; unknown codes named like keys count as keys
    /// (the catalog lacks `realm_dungeon_key`).
    pub fn reaction_kind(&self, code: &str) -> ReactionKind {
        match self.reactions.get(code).map(|r| r.kind.as_str()) {
            Some("key" | "nm_key") => ReactionKind::Key,
            Some("class") => ReactionKind::Class,
            Some(_) => ReactionKind::Perk,
            None if code.ends_with("_key") => ReactionKind::Key,
            None => ReactionKind::Perk,
        }
    }

    /// Autocomplete: dungeons whose name, code or category contains the query (case
    /// insensitive), names starting with it first, at most 25.
    pub fn search(&self, query: &str) -> Vec<&Dungeon> {
        let q = query.trim().to_lowercase();
        let mut hits: Vec<(u8, &Dungeon)> = self
            .dungeons
            .iter()
            .filter_map(|d| {
                let name = d.name.to_lowercase();
                let rank = if q.is_empty() || name.starts_with(&q) {
                    0
                } else if name.contains(&q) || d.code.contains(&q) {
                    1
                } else if d.category.to_lowercase().contains(&q) {
                    2
                } else {
                    return None;
                };
                Some((rank, d))
            })
            .collect();
        hits.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
        hits.into_iter()
            .take(AUTOCOMPLETE_MAX)
            .map(|(_, d)| d)
            .collect()
    }
}

/// What a reaction on a run panel means for the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReactionKind {
    /// A key that opens the dungeon (or a nexus/"nm" key): confirmed, counted as key pops.
    Key,
    /// An item, status effect or early-location perk the organizer wants to know about.
    Perk,
    /// A class the organizer asks for (the class menu covers it on the panel).
    Class,
}

/// One reaction a run of a dungeon offers on its panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelReaction {
    pub code: String,
    pub name: String,
    pub kind: ReactionKind,
    /// How many of the first reactors get the location early.
    pub max_early_location: u32,
}

impl Dungeon {
    /// The reactions its panel offers as buttons: keys first, then perks, in catalog
    /// order; class reactions are left to the class menu.
    pub fn panel_reactions(&self) -> Vec<PanelReaction> {
        let c = catalog();
        self.keys
            .iter()
            .chain(self.other_reactions.iter())
            .filter_map(|slot| {
                let kind = c.reaction_kind(&slot.reaction);
                (kind != ReactionKind::Class).then(|| PanelReaction {
                    code: slot.reaction.clone(),
                    name: c.reaction_name(&slot.reaction),
                    kind,
                    max_early_location: slot.max_early_location,
                })
            })
            .collect()
    }

    /// The panel reaction with this code, if the dungeon offers it.
    pub fn panel_reaction(&self, code: &str) -> Option<PanelReaction> {
        self.panel_reactions().into_iter().find(|r| r.code == code)
    }

    /// A realm dungeon (opened by a realm dungeon key): its runs can record a realm score.
    pub fn is_realm_dungeon(&self) -> bool {
        self.keys.iter().any(|k| k.reaction == "realm_dungeon_key")
    }

    /// Embed accent colour as 0xRRGGBB, from the first catalog colour.
    pub fn color(&self) -> Option<u32> {
        let hex = self.colors.first()?.trim_start_matches('#');
        u32::from_str_radix(hex, 16).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalog_is_complete() {
        let c = catalog();
        assert_eq!(c.dungeons.len(), 52);
        assert_eq!(c.classes.len(), 18);
        assert_eq!(c.reactions.len(), 92);
        let categories: std::collections::BTreeSet<_> =
            c.dungeons.iter().map(|d| d.category.as_str()).collect();
        assert_eq!(categories.len(), 7);
        let shatters = c.dungeon("shatters").expect("shatters");
        assert_eq!(shatters.name, "Shatters");
        assert_eq!(c.reaction_name("realm_dungeon_key"), "Realm Dungeon Key");
    }

    #[test]
    fn search_caps_at_25_and_matches_name_code_and_category() {
        let c = catalog();
        assert_eq!(c.search("").len(), 25);
        assert_eq!(
            c.search("shat").first().map(|d| d.code.as_str()),
            Some("shatters")
        );
        assert!(c.search("oryx_3").iter().any(|d| d.code == "oryx_3"));
        assert!(c.search("exaltation").len() > 3);
        assert!(c.search("zzzz-nothing").is_empty());
    }

    #[test]
    fn panel_reactions_fit_two_button_rows_and_put_keys_first() {
        let c = catalog();
        for d in &c.dungeons {
            let r = d.panel_reactions();
            assert!(r.len() <= 10, "{} offers {} reactions", d.code, r.len());
            let first_perk = r
                .iter()
                .position(|x| x.kind == ReactionKind::Perk)
                .unwrap_or(r.len());
            assert!(
                r[first_perk..].iter().all(|x| x.kind == ReactionKind::Perk),
                "{}",
                d.code
            );
            assert!(r.iter().all(|x| x.code.len() <= 60), "custom ids must fit");
        }
        let o3 = c.dungeon("oryx_3").unwrap().panel_reactions();
        assert_eq!(o3[0].name, "Wine Cellar Incantation");
        assert_eq!(o3[0].kind, ReactionKind::Key);
        let realm = c.dungeons.iter().find(|d| d.is_realm_dungeon()).unwrap();
        assert_eq!(realm.panel_reactions()[0].name, "Realm Dungeon Key");
        assert_eq!(realm.panel_reactions()[0].kind, ReactionKind::Key);
    }

    #[test]
    fn classes_parse_in_any_case() {
        assert_eq!(
            RaidClass::parse("warrior").map(|c| c.as_str().to_owned()),
            Some("Warrior".into())
        );
        assert!(RaidClass::parse("Pirate").is_none());
    }
}
