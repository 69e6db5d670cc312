//! The parser against real RealmEye player pages saved by others (see
//! fixtures/real/README.md for where each one comes from). Every expected value below was
//! read off the HTML by hand.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use realmeye::{Page, Profile, parse_player_page};

fn real(name: &str) -> String {
    let path = format!("{}/tests/fixtures/real/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn found(file: &str) -> (String, Vec<String>, Profile) {
    match parse_player_page(&real(file)) {
        Page::Found {
            name,
            description_lines,
            profile,
        } => (name, description_lines, profile),
        other => panic!("{file}: expected a found player, got {other:?}"),
    }
}

/// Toastrz: no characters, a plain-ASCII three-line description, guild with a space in its
/// name, "Created" shown, last seen hidden.
#[test]
fn toastrz_a_found_player_with_no_characters() {
    let (name, lines, profile) = found("toastrz.html");
    assert_eq!(name, "Toastrz");
    assert_eq!(
        lines,
        [
            "Former Deca developer",
            "Shatters, Woods, Thicket, Machine, and Library creator, among other things!",
            "More importantly, creator of the Honey Scepter, the best item in the game",
        ]
    );
    assert_eq!(profile.characters, Some(0));
    assert_eq!(profile.fame, Some(0));
    assert_eq!(profile.rank, Some(52));
    assert_eq!(profile.account_fame, Some(74_945));
    assert_eq!(profile.guild.as_deref(), Some("The Toasters"));
    assert_eq!(
        profile.created.as_deref(),
        Some("~13 years and 131 days ago")
    );
    assert_eq!(profile.account_age_days, Some(13 * 365 + 131));
    assert_eq!(profile.last_seen.as_deref(), Some("hidden"));
    assert_eq!(profile.last_seen_location, None);
}

/// SamRiddelI: rankings as links after the numbers, a description made of non-ASCII
/// symbols, mathematical script letters, emoji and an `&apos;` entity.
#[test]
fn samriddeli_entities_and_non_ascii_description() {
    let (name, lines, profile) = found("samriddeli.html");
    assert_eq!(name, "SamRiddelI");
    assert_eq!(
        lines,
        [
            "▁ ▂ ▄ ▅ ▆ ▇ █ 𝓘𝓽'𝓼 𝓢𝓪𝓶𝓡𝓲𝓭𝓭𝓮𝓵𝓲 █ ▇ ▆ ▅ ▄ ▂ ▁",
            "💜CLIP COMPILATION - https://youtu.be/wJEbo2-FIgM💜",
            "🖤Fan Club: https://discord.gg/Fpq9apH 🖤 Discord: @samriddeli🖤",
        ]
    );
    assert_eq!(profile.characters, Some(19));
    assert_eq!(profile.fame, Some(20_928_468));
    assert_eq!(profile.rank, Some(95));
    assert_eq!(profile.account_fame, Some(117_994));
    assert_eq!(profile.guild.as_deref(), Some("Optionz"));
    assert_eq!(
        profile.created.as_deref(),
        Some("~14 years and 65 days ago")
    );
    assert_eq!(profile.account_age_days, Some(14 * 365 + 65));
    assert_eq!(profile.last_seen.as_deref(), Some("hidden"));
    assert_eq!(profile.last_seen_location, None);
}

/// What verification does with a real page: a code is found only when a description line
/// holds it, and the characters table (item tooltips, scripts) never counts as description.
#[test]
fn only_description_lines_are_searched_on_a_real_page() {
    let (_, lines, _) = found("samriddeli.html");
    assert!(lines.iter().any(|l| l.contains("Fpq9apH")));
    // Text that is on the page but outside the description block.
    assert!(!lines.iter().any(|l| l.contains("Dirk of Cronus")));
    assert!(!lines.iter().any(|l| l.contains("adsbygoogle")));
}

/// The JSON printed by `raidbot realmeye parse` for a real page.
#[test]
fn cli_json_of_a_real_page() {
    let v = parse_player_page(&real("toastrz.html")).to_json();
    assert_eq!(v["status"], "found");
    assert_eq!(v["name"], "Toastrz");
    assert_eq!(v["description"][0], "Former Deca developer");
    assert_eq!(v["profile"]["rank"], 52);
    assert_eq!(v["profile"]["guild"], "The Toasters");
}
