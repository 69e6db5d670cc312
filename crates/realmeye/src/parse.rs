//! The pure parser of a RealmEye player page (`/player/{name}`).
//!
//! What it relies on, as public scrapers do: the name is in `.entity-name`; a
//! `table.summary` has label/value rows; the three description lines are `div`s with the
//! classes `line1`, `line2`, `line3` inside the description block; a private or unknown
//! player's page has a `.player-not-found` element (under the heading "Sorry, but we
//! either:") instead. Checked against real saved pages of found players
//! (`tests/real_pages.rs`); the not-found and private pages are known only from public
//! scrapers, so a page that lists "not seen" and "private" together is `not_found` (the
//! member is told both causes) and only a page giving privacy alone is `private`. Nothing
//! here logs page content.

use scraper::{ElementRef, Html, Selector};
use serde::Serialize;

/// What a player page says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    Found {
        name: String,
        /// The non-empty description lines, trimmed, entities decoded.
        description_lines: Vec<String>,
        profile: Profile,
    },
    NotFound,
    /// The player exists but hides their profile.
    Private,
    /// Not a player page we understand (a changed layout, an error page, garbage).
    Unparseable,
}

impl Page {
    pub fn status(&self) -> &'static str {
        match self {
            Page::Found { .. } => "found",
            Page::NotFound => "not_found",
            Page::Private => "private",
            Page::Unparseable => "unparseable",
        }
    }

    /// The JSON object `raidbot realmeye parse` prints.
    pub fn to_json(&self) -> serde_json::Value {
        let (name, description, profile) = match self {
            Page::Found {
                name,
                description_lines,
                profile,
            } => (
                Some(name.clone()),
                description_lines.clone(),
                profile.clone(),
            ),
            _ => (None, Vec::new(), Profile::default()),
        };
        serde_json::json!({
            "status": self.status(),
            "name": name,
            "description": description,
            "profile": profile,
        })
    }
}

/// The summary fields verification requirements use. `None`: not shown on the page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Profile {
    /// Number of (alive) characters.
    pub characters: Option<u32>,
    /// Alive fame.
    pub fame: Option<u64>,
    /// Rank: the number of stars.
    pub rank: Option<u32>,
    pub account_fame: Option<u64>,
    pub guild: Option<String>,
    /// The "Created" row, else "First seen", as shown (e.g. "~3 years and 20 days ago").
    pub created: Option<String>,
    /// Approximate account age in days, from `created`.
    pub account_age_days: Option<u32>,
    /// The "Last seen" row as shown.
    pub last_seen: Option<String>,
    /// Where the player was last seen, when RealmEye shows it ("USEast").
    pub last_seen_location: Option<String>,
}

fn selector(css: &str) -> Option<Selector> {
    Selector::parse(css).ok()
}

/// Text of an element with whitespace runs collapsed and trimmed (entities are decoded
/// by the HTML parser).
fn text(e: &ElementRef<'_>) -> String {
    let raw: String = e.text().collect();
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Parses a player page. Pure: the same input always gives the same answer.
pub fn parse_player_page(html: &str) -> Page {
    let doc = Html::parse_document(html);
    let (Some(not_found), Some(name_sel)) =
        (selector(".player-not-found"), selector(".entity-name"))
    else {
        return Page::Unparseable;
    };
    // RealmEye's page for an unknown or hidden player: an element with class
    // `player-not-found`, under the heading "Sorry, but we either:" (both used by public
    // scrapers; the heading alone is enough when the class is missing).
    let sorry = selector("h2").and_then(|h2| {
        doc.select(&h2)
            .find(|h| text(h).to_lowercase().starts_with("sorry, but we either"))
    });
    if let Some(nf) = doc.select(&not_found).next().or(sorry) {
        // The message block: the enclosing col-md-12 when there is one.
        let block = nf
            .ancestors()
            .filter_map(ElementRef::wrap)
            .find(|a| a.value().classes().any(|c| c == "col-md-12"))
            .unwrap_or(nf);
        let message = text(&block).to_lowercase();
        // RealmEye does not say which of its reasons applies when it lists several ("we
        // either have not seen this player, or the profile is private"): such a page is
        // not_found, and the member's answer names both causes. Only a page that gives
        // privacy as the one reason is private.
        let private = message.contains("private") || message.contains("hidden");
        let unknown = ["seen", "know", "no data", "not yet", "spelled"]
            .iter()
            .any(|w| message.contains(w));
        return if private && !unknown {
            Page::Private
        } else {
            Page::NotFound
        };
    }
    let Some(name) = doc
        .select(&name_sel)
        .map(|e| text(&e))
        .find(|n| !n.is_empty())
    else {
        return Page::Unparseable;
    };
    let Some(profile) = summary(&doc) else {
        return Page::Unparseable;
    };
    Page::Found {
        name,
        description_lines: description(&doc),
        profile,
    }
}

fn description(doc: &Html) -> Vec<String> {
    let mut lines = Vec::new();
    for class in ["line1", "line2", "line3"] {
        let Some(sel) = selector(&format!(".description .{class}, #d .{class}")) else {
            continue;
        };
        let line = doc
            .select(&sel)
            .next()
            .map(|e| text(&e))
            .unwrap_or_default();
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

/// The summary table; None when the page has none (then it is not a profile page).
fn summary(doc: &Html) -> Option<Profile> {
    let table = doc.select(&selector("table.summary")?).next()?;
    let row_sel = selector("tr")?;
    let cell_sel = selector("td")?;
    let mut p = Profile::default();
    let mut first_seen = None;
    for row in table.select(&row_sel) {
        let cells: Vec<ElementRef<'_>> = row.select(&cell_sel).collect();
        let [label, value, ..] = cells.as_slice() else {
            continue;
        };
        let label = text(label).to_lowercase();
        let value = text(value);
        match label.as_str() {
            "characters" => p.characters = leading_number(&value).and_then(|n| n.try_into().ok()),
            "fame" => p.fame = leading_number(&value),
            "rank" => p.rank = leading_number(&value).and_then(|n| n.try_into().ok()),
            "account fame" => p.account_fame = leading_number(&value),
            "guild" => p.guild = Some(value).filter(|v| !v.is_empty()),
            "created" => p.created = Some(value).filter(|v| !v.is_empty()),
            "first seen" => first_seen = Some(value).filter(|v| !v.is_empty()),
            "last seen" => {
                p.last_seen_location = last_seen_location(&value);
                p.last_seen = Some(value).filter(|v| !v.is_empty());
            }
            _ => {}
        }
    }
    if p.created.is_none() {
        p.created = first_seen;
    }
    p.account_age_days = p.created.as_deref().and_then(age_days);
    Some(p)
}

/// The number a value starts with ("16108 (7492nd)" → 16108, "1,234" → 1234).
pub fn leading_number(value: &str) -> Option<u64> {
    let digits: String = value
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// "2024-01-18 15:15:09 at USEast as Priest" → "USEast"; "hidden" or no " at " → None.
fn last_seen_location(value: &str) -> Option<String> {
    let (_, rest) = value.split_once(" at ")?;
    let place = rest.split(" as ").next().unwrap_or(rest).trim();
    (!place.is_empty() && !place.eq_ignore_ascii_case("hidden")).then(|| place.to_owned())
}

/// Approximate days in "~6 years and 289 days ago", "3 months ago", "12 days ago".
/// Values RealmEye hides ("hidden") or words it did not write give None.
pub fn age_days(value: &str) -> Option<u32> {
    let words: Vec<&str> = value
        .split(|c: char| c.is_whitespace() || c == ',' || c == '~')
        .filter(|w| !w.is_empty())
        .collect();
    let mut days: u64 = 0;
    let mut seen = false;
    for pair in words.windows(2) {
        let Ok(n) = pair[0].parse::<u64>() else {
            continue;
        };
        let unit = pair[1].to_lowercase();
        let per = if unit.starts_with("year") {
            365
        } else if unit.starts_with("month") {
            30
        } else if unit.starts_with("week") {
            7
        } else if unit.starts_with("day") {
            1
        } else {
            continue;
        };
        days = days.saturating_add(n.saturating_mul(per));
        seen = true;
    }
    if seen { u32::try_from(days).ok() } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_ages_and_locations() {
        assert_eq!(leading_number("16108 (7492nd)"), Some(16108));
        assert_eq!(leading_number("1,234,567"), Some(1_234_567));
        assert_eq!(leading_number("hidden"), None);
        assert_eq!(age_days("~6 years and 289 days ago"), Some(6 * 365 + 289));
        assert_eq!(age_days("3 months ago"), Some(90));
        assert_eq!(age_days("hidden"), None);
        assert_eq!(
            last_seen_location("2024-01-18 15:15:09 at USEast as Priest").as_deref(),
            Some("USEast")
        );
        assert_eq!(last_seen_location("hidden"), None);
        assert_eq!(last_seen_location("2024-01-18 15:15:09 as Priest"), None);
    }

    /// Synthetic: only the heading public scrapers match on, without the
    /// `player-not-found` class (no real saved page of this kind could be found).
    #[test]
    fn the_sorry_heading_alone_means_not_found() {
        let html = "<div class=\"container\"><div class=\"row\"><div class=\"col-md-12\">\
            <h2>Sorry, but we either:</h2><ul><li>do not know this player</li></ul>\
            </div></div></div>";
        assert_eq!(parse_player_page(html), Page::NotFound);
    }

    /// Synthetic: a "sorry" page giving both reasons at once cannot say which applies.
    #[test]
    fn a_page_giving_both_reasons_is_not_found_not_private() {
        let html = "<div class=\"container\"><div class=\"row\"><div class=\"col-md-12\">\
            <h2>Sorry, but we either:</h2><ul><li>have not seen \"Someone\" yet,</li>\
            <li>or \"Someone\" has a private profile.</li></ul></div></div></div>";
        assert_eq!(parse_player_page(html), Page::NotFound);
    }

    #[test]
    fn garbage_is_unparseable() {
        assert_eq!(parse_player_page(""), Page::Unparseable);
        assert_eq!(parse_player_page("<<<>>>&&&"), Page::Unparseable);
        assert_eq!(
            parse_player_page("<html><body><h1>502 Bad Gateway</h1></body></html>"),
            Page::Unparseable
        );
    }
}
