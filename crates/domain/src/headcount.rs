//! Headcounts: an organizer asks who would come to which dungeon before committing to a
//! run. `open` → `converted` (a run was made of one of its dungeons) or `ended` (closed by
//! a person or, when forgotten, by the timer).

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::catalog::{Dungeon, catalog};

/// At most this many dungeons per headcount: the public panel gives each dungeon one row
/// of buttons (Interested + up to 4 keys) and keeps a fifth row for the organizer button,
/// within Discord's 5 rows × 5 buttons.
pub const MAX_DUNGEONS: usize = 4;

/// An open headcount nobody closed ends by itself after this long. The original kept them
/// open forever; raidbot frees the organizer (one activity at a time) and the channel.
pub const AUTO_END_AFTER: Duration = Duration::from_secs(12 * 3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeadcountStatus {
    Open,
    Converted,
    Ended,
}

impl HeadcountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HeadcountStatus::Open => "open",
            HeadcountStatus::Converted => "converted",
            HeadcountStatus::Ended => "ended",
        }
    }

    pub fn parse(text: &str) -> Option<HeadcountStatus> {
        [
            HeadcountStatus::Open,
            HeadcountStatus::Converted,
            HeadcountStatus::Ended,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    pub fn is_open(self) -> bool {
        self == HeadcountStatus::Open
    }
}

/// What a raider answers on a headcount panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReactionKind {
    /// "I would come": `code` is a dungeon code.
    Interest,
    /// "I have this key": `code` is a reaction code from a dungeon's `keys`.
    Key,
}

impl ReactionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReactionKind::Interest => "interest",
            ReactionKind::Key => "key",
        }
    }

    pub fn parse(text: &str) -> Option<ReactionKind> {
        [ReactionKind::Interest, ReactionKind::Key]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// Why a dungeon list cannot make a headcount, worded for the organizer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DungeonsError {
    #[error("Pick at least one dungeon.")]
    Empty,
    #[error("A headcount holds at most {max} dungeons; you picked {picked}.")]
    TooMany { picked: usize, max: usize },
    #[error("`{0}` is not a dungeon raidbot knows; pick one from the list.")]
    Unknown(String),
}

/// Checks a picked list: known dungeons, duplicates dropped (first kept), 1..=MAX.
pub fn validate_dungeons(codes: &[String]) -> Result<Vec<&'static Dungeon>, DungeonsError> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for code in codes {
        let code = code.trim();
        let d = catalog()
            .dungeon(code)
            .ok_or_else(|| DungeonsError::Unknown(code.to_owned()))?;
        if seen.insert(d.code.as_str()) {
            out.push(d);
        }
    }
    if out.is_empty() {
        return Err(DungeonsError::Empty);
    }
    if out.len() > MAX_DUNGEONS {
        return Err(DungeonsError::TooMany {
            picked: out.len(),
            max: MAX_DUNGEONS,
        });
    }
    Ok(out)
}

/// The key buttons of a headcount's panel: each dungeon's keys in order, a key shared by
/// two dungeons (e.g. the Lost Halls key) shown once, with the first dungeon using it.
/// Returns (dungeon code, its new key codes) per dungeon.
pub fn key_layout<'a>(dungeons: &[&'a Dungeon]) -> Vec<(&'a str, Vec<&'a str>)> {
    let mut seen = BTreeSet::new();
    dungeons
        .iter()
        .map(|d| {
            let keys = d
                .keys
                .iter()
                .map(|k| k.reaction.as_str())
                .filter(|k| seen.insert(*k))
                .collect();
            (d.code.as_str(), keys)
        })
        .collect()
}

/// The catalog's categories in catalog order (for the picker's category select).
pub fn categories() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for d in &catalog().dungeons {
        if !out.contains(&d.category.as_str()) {
            out.push(d.category.as_str());
        }
    }
    out
}

/// A category's slug for select values: "Exaltation Dungeons" → "exaltation_dungeons".
pub fn category_slug(category: &str) -> String {
    category
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The category named by a slug or by its name.
pub fn category(slug_or_name: &str) -> Option<&'static str> {
    categories()
        .into_iter()
        .find(|c| category_slug(c) == slug_or_name || c.eq_ignore_ascii_case(slug_or_name))
}

/// Dungeons of one category, in catalog order.
pub fn dungeons_in(category: &str) -> Vec<&'static Dungeon> {
    catalog()
        .dungeons
        .iter()
        .filter(|d| d.category == category)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn validates_picks() {
        assert_eq!(validate_dungeons(&[]).unwrap_err(), DungeonsError::Empty);
        let two = validate_dungeons(&codes(&["shatters", "nest", "shatters"])).unwrap();
        assert_eq!(two.len(), 2);
        assert_eq!(
            validate_dungeons(&codes(&[
                "shatters",
                "nest",
                "oryx_3",
                "lost_halls",
                "the_void"
            ]))
            .unwrap_err()
            .to_string(),
            "A headcount holds at most 4 dungeons; you picked 5."
        );
        assert!(matches!(
            validate_dungeons(&codes(&["atlantis"])),
            Err(DungeonsError::Unknown(_))
        ));
    }

    #[test]
    fn every_category_fits_a_select_and_every_dungeon_fits_a_row() {
        let cats = categories();
        assert_eq!(cats.len(), 7);
        assert!(cats.iter().all(|c| dungeons_in(c).len() <= 25));
        let total: usize = cats.iter().map(|c| dungeons_in(c).len()).sum();
        assert_eq!(total, 52);
        for c in &cats {
            assert_eq!(category(&category_slug(c)), Some(*c));
        }
        // Interested + keys per dungeon fit one row of 5 buttons.
        assert!(catalog().dungeons.iter().all(|d| d.keys.len() < 5));
    }

    #[test]
    fn shared_keys_are_shown_once() {
        let ds = validate_dungeons(&codes(&["lost_halls", "the_void", "cultist_hideout"])).unwrap();
        let layout = key_layout(&ds);
        assert_eq!(
            layout,
            vec![
                (
                    "lost_halls",
                    vec!["cult_key", "void_key", "vial_of_pure_darkness"]
                ),
                ("the_void", vec!["lost_halls_key"]),
                ("cultist_hideout", vec![]),
            ]
        );
    }
}
