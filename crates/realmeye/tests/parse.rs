//! The parser against the fixture pages (see fixtures/README.md for their origin).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use realmeye::{Page, parse_player_page};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn a_found_player_with_a_description() {
    let Page::Found {
        name,
        description_lines,
        profile,
    } = parse_player_page(&fixture("found_description.html"))
    else {
        panic!("not found");
    };
    assert_eq!(name, "Stormveil");
    assert_eq!(
        description_lines,
        ["Hello, I raid most evenings", "RAID-7F3K9Q", "Steam player"]
    );
    assert_eq!(profile.characters, Some(6));
    assert_eq!(profile.fame, Some(16108));
    assert_eq!(profile.rank, Some(72));
    assert_eq!(profile.account_fame, Some(108_005));
    assert_eq!(profile.guild.as_deref(), Some("Tower Janitors"));
    assert_eq!(profile.account_age_days, Some(6 * 365 + 289));
    assert_eq!(profile.last_seen_location.as_deref(), Some("USEast"));
}

#[test]
fn a_found_player_with_an_empty_description() {
    let page = parse_player_page(&fixture("found_empty_description.html"));
    let Page::Found {
        name,
        description_lines,
        profile,
    } = page
    else {
        panic!("not found: {page:?}");
    };
    assert_eq!(name, "Quietone");
    assert!(description_lines.is_empty(), "{description_lines:?}");
    assert_eq!(profile.created.as_deref(), Some("12 days ago"));
    assert_eq!(profile.account_age_days, Some(12));
    assert_eq!(profile.last_seen.as_deref(), Some("hidden"));
    assert_eq!(profile.last_seen_location, None);
    assert_eq!(profile.guild, None);
}

#[test]
fn private_and_unknown_players() {
    assert_eq!(parse_player_page(&fixture("private.html")), Page::Private);
    assert_eq!(
        parse_player_page(&fixture("not_found.html")),
        Page::NotFound
    );
}

#[test]
fn entities_and_non_ascii_text_are_decoded() {
    let Page::Found {
        name,
        description_lines,
        profile,
    } = parse_player_page(&fixture("entities_unicode.html"))
    else {
        panic!("not found");
    };
    assert_eq!(name, "Zoe");
    assert_eq!(
        description_lines,
        [
            "Tom & Jerry <3 \"quotes\" 'single'",
            "Ünïcødé ★ 日本語 — ok"
        ]
    );
    assert_eq!(profile.guild.as_deref(), Some("Café & Friends"));
    assert_eq!(profile.fame, Some(0));
    assert_eq!(profile.rank, Some(80));
}

#[test]
fn the_json_shape_of_the_cli() {
    let v = parse_player_page(&fixture("found_description.html")).to_json();
    assert_eq!(v["status"], "found");
    assert_eq!(v["name"], "Stormveil");
    assert_eq!(v["description"][1], "RAID-7F3K9Q");
    assert_eq!(v["profile"]["rank"], 72);
    let v = parse_player_page(&fixture("private.html")).to_json();
    assert_eq!(v["status"], "private");
    assert!(v["name"].is_null());
    assert_eq!(v["description"].as_array().map(Vec::len), Some(0));
    let v = parse_player_page("garbage <b>").to_json();
    assert_eq!(v["status"], "unparseable");
}
