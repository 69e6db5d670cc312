//! Verification rules: what an in-game name (IGN) is, the nickname built from a main IGN
//! and its alts, verification codes, and the RealmEye requirements a guild may set. The
//! member's session is the state machine in [`session`].

pub mod session;

pub use session::{Method, SessionEvent, Step};

/// Discord's limit on a nickname.
pub const NICKNAME_MAX: usize = 32;
/// RotMG names: 1 to 10 ASCII letters.
pub const IGN_MAX: usize = 10;
/// How long a verification session lives without being finished.
pub const SESSION_MINUTES: i64 = 30;
/// The least time between two RealmEye checks of one session.
pub const CHECK_COOLDOWN_SECONDS: i64 = 20;
/// Letters and digits nobody confuses (no 0/O, 1/I/L).
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
pub const CODE_PREFIX: &str = "RAID-";
pub const CODE_LEN: usize = 6;

/// Why a text is not an IGN (with the text as typed, cut to 40 characters). Readers get
/// `messages::verification::bad_ign`'s sentence; `Display` is for logs only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IgnError {
    #[error("empty in-game name")]
    Empty,
    #[error("in-game name {0:?} is longer than 10 characters")]
    TooLong(String),
    #[error("in-game name {0:?} has characters other than letters")]
    NotLetters(String),
}

/// A RotMG in-game name: 1 to 10 ASCII letters, as the member typed it (case kept). Only
/// [`Ign::parse`] (or `TryFrom<String>`, the same check) makes one, so a value of this type
/// is always a valid name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Ign(String);

impl Ign {
    /// Checks an IGN as typed (surrounding spaces trimmed) and keeps it as typed.
    pub fn parse(text: &str) -> Result<Ign, IgnError> {
        let t = text.trim();
        let shown: String = t.chars().take(40).collect();
        if t.is_empty() {
            Err(IgnError::Empty)
        } else if !t.chars().all(|c| c.is_ascii_alphabetic()) {
            Err(IgnError::NotLetters(shown))
        } else if t.len() > IGN_MAX {
            Err(IgnError::TooLong(shown))
        } else {
            Ok(Ign(t.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The key names are compared by (case-insensitive).
    pub fn key(&self) -> String {
        ign_key(&self.0)
    }

    /// The same name, ignoring case.
    pub fn same_name(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

impl TryFrom<String> for Ign {
    type Error = IgnError;

    fn try_from(text: String) -> Result<Ign, IgnError> {
        Ign::parse(&text)
    }
}

impl std::ops::Deref for Ign {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Ign {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Hashes and compares as its text, so `[Ign]` joins like `[String]`.
impl std::borrow::Borrow<str> for Ign {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Ign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Ign> for String {
    fn from(ign: Ign) -> String {
        ign.0
    }
}

impl PartialEq<str> for Ign {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Ign {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// Checks an IGN as typed (surrounding spaces trimmed): [`Ign::parse`].
pub fn parse_ign(text: &str) -> Result<Ign, IgnError> {
    Ign::parse(text)
}

/// The key IGNs are compared by (case-insensitive).
pub fn ign_key(ign: &str) -> String {
    ign.to_ascii_lowercase()
}

/// `Main | Alt1 | Alt2` while it fits Discord's 32 characters; alts that do not fit are
/// dropped from the end. Never longer than 32 (a main longer than that is cut).
pub fn nickname(main: &str, alts: &[impl AsRef<str>]) -> String {
    let mut nick: String = main.chars().take(NICKNAME_MAX).collect();
    for alt in alts {
        let next = format!("{nick} | {}", alt.as_ref());
        if next.chars().count() > NICKNAME_MAX {
            break;
        }
        nick = next;
    }
    nick
}

/// A code from random bytes: `RAID-` and six unambiguous characters.
pub fn code_from_bytes(bytes: [u8; CODE_LEN]) -> String {
    let mut code = String::from(CODE_PREFIX);
    for b in bytes {
        code.push(CODE_ALPHABET[usize::from(b) % CODE_ALPHABET.len()] as char);
    }
    code
}

/// Whether any description line holds the code (case-insensitively, anywhere in the line).
pub fn description_has_code(lines: &[String], code: &str) -> bool {
    let code = code.to_ascii_uppercase();
    lines.iter().any(|l| l.to_ascii_uppercase().contains(&code))
}

/// The get-verified panel's instructions, at most this many characters.
pub const PANEL_MESSAGE_MAX: usize = 1500;
/// The panel image's address, at most this many characters.
pub const IMAGE_URL_MAX: usize = 500;
/// The highest minimum rank (stars) a server may require.
pub const MIN_RANK_MAX: u32 = 100;
/// The most characters a server may require.
pub const MIN_CHARACTERS_MAX: u32 = 100;
/// The oldest account age (days) a server may require.
pub const MIN_ACCOUNT_AGE_MAX: u32 = 10_000;

/// What a guild requires of a RealmEye profile. `None`/false: no requirement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requirements {
    pub min_rank: Option<u32>,
    pub min_alive_fame: Option<u64>,
    pub min_characters: Option<u32>,
    pub min_account_age_days: Option<u32>,
    pub hidden_location: bool,
}

/// The profile facts requirements look at (`None`: RealmEye does not show it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileFacts {
    pub rank: Option<u32>,
    pub alive_fame: Option<u64>,
    pub characters: Option<u32>,
    pub account_age_days: Option<u32>,
    pub last_seen_location: Option<String>,
}

/// A requirement a profile does not meet: the guild's minimum and what RealmEye shows
/// (`None`: the profile hides it). `messages::verification` words it for the member.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "requirement", rename_all = "snake_case")]
pub enum Unmet {
    Rank {
        min: u32,
        shown: Option<u32>,
    },
    AliveFame {
        min: u64,
        shown: Option<u64>,
    },
    Characters {
        min: u32,
        shown: Option<u32>,
    },
    AccountAgeDays {
        min: u32,
        shown: Option<u32>,
    },
    /// The guild wants the last-seen location hidden; RealmEye shows this place.
    LocationShown {
        place: String,
    },
}

/// The requirements a profile does not meet, in the order the guild's settings list them.
pub fn unmet(req: &Requirements, p: &ProfileFacts) -> Vec<Unmet> {
    let mut out = Vec::new();
    if let Some(min) = req.min_rank
        && p.rank.is_none_or(|r| r < min)
    {
        out.push(Unmet::Rank { min, shown: p.rank });
    }
    if let Some(min) = req.min_alive_fame
        && p.alive_fame.is_none_or(|f| f < min)
    {
        out.push(Unmet::AliveFame {
            min,
            shown: p.alive_fame,
        });
    }
    if let Some(min) = req.min_characters
        && p.characters.is_none_or(|c| c < min)
    {
        out.push(Unmet::Characters {
            min,
            shown: p.characters,
        });
    }
    if let Some(min) = req.min_account_age_days
        && p.account_age_days.is_none_or(|d| d < min)
    {
        out.push(Unmet::AccountAgeDays {
            min,
            shown: p.account_age_days,
        });
    }
    if req.hidden_location
        && let Some(place) = &p.last_seen_location
    {
        out.push(Unmet::LocationShown {
            place: place.clone(),
        });
    }
    out
}

/// One line of a `/syncteam` import: `UserID MainIGN [AltIGN]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamLine {
    pub user_id: u64,
    pub main: Ign,
    pub alt: Option<Ign>,
}

/// Why a `/syncteam` line cannot be imported (`messages::verification::team_line` words
/// it; `Display` is for logs only).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TeamLineError {
    /// Not two or three words.
    #[error("not `UserID MainIGN [AltIGN]`")]
    Shape,
    /// The first word (a mention's `<@…>` taken off) is not a Discord user id.
    #[error("{0:?} is not a user id")]
    UserId(String),
    /// The main or the alt is not an IGN.
    #[error(transparent)]
    Ign(IgnError),
    #[error("the alt is the main")]
    AltIsMain,
}

/// Parses one import line; the error says what is wrong with it.
pub fn parse_team_line(line: &str) -> Result<TeamLine, TeamLineError> {
    let parts: Vec<&str> = line.split_whitespace().collect();
    let (id, main, alt) = match parts.as_slice() {
        [id, main] => (*id, *main, None),
        [id, main, alt] => (*id, *main, Some(*alt)),
        _ => return Err(TeamLineError::Shape),
    };
    let id = id.trim_start_matches("<@").trim_end_matches('>');
    let user_id: u64 = id
        .parse()
        .ok()
        .filter(|v| *v > 0 && *v <= i64::MAX as u64)
        .ok_or_else(|| TeamLineError::UserId(id.to_owned()))?;
    let main = parse_ign(main).map_err(TeamLineError::Ign)?;
    let alt = alt
        .map(|a| parse_ign(a).map_err(TeamLineError::Ign))
        .transpose()?;
    if alt.as_ref().is_some_and(|a| a.same_name(&main)) {
        return Err(TeamLineError::AltIsMain);
    }
    Ok(TeamLine { user_id, main, alt })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn igns() {
        assert_eq!(parse_ign("  Stormveil ").as_deref(), Ok("Stormveil"));
        assert!(matches!(
            parse_ign("Storm veil"),
            Err(IgnError::NotLetters(_))
        ));
        assert!(matches!(parse_ign("x_x"), Err(IgnError::NotLetters(_))));
        assert!(matches!(
            parse_ign("abcdefghijk"),
            Err(IgnError::TooLong(_))
        ));
        assert_eq!(parse_ign(""), Err(IgnError::Empty));
    }

    #[test]
    fn an_ign_from_stored_text_is_checked_like_typed_text() {
        assert_eq!(
            Ign::try_from(" Stormveil ".to_owned()).map(String::from),
            Ok("Stormveil".to_owned())
        );
        assert!(Ign::try_from("Storm veil".to_owned()).is_err());
        assert!(Ign::try_from(String::new()).is_err());
        let ign = Ign::parse("StormVeil").unwrap();
        assert!(ign.same_name("stormveil"));
        assert_eq!(ign.key(), "stormveil");
        assert_eq!([ign.clone(), ign].join(", "), "StormVeil, StormVeil");
    }

    #[test]
    fn nicknames_drop_alts_that_do_not_fit() {
        assert_eq!(nickname("Main", &[] as &[String]), "Main");
        let alts = vec!["Abcdefghij".to_owned(), "Klmnopqrst".to_owned()];
        assert_eq!(nickname("Mainmainma", &alts), "Mainmainma | Abcdefghij");
        assert_eq!(nickname("A", &["B".to_owned()]), "A | B");
    }

    #[test]
    fn codes_and_descriptions() {
        let c = code_from_bytes([0, 1, 2, 3, 4, 255]);
        assert!(c.starts_with("RAID-") && c.len() == 11);
        assert!(description_has_code(
            &["my code raid-abc".to_owned()],
            "RAID-ABC"
        ));
        assert!(!description_has_code(&[], "RAID-ABC"));
    }

    #[test]
    fn requirements_name_what_is_missing() {
        let req = Requirements {
            min_rank: Some(20),
            min_alive_fame: Some(500),
            min_characters: Some(2),
            min_account_age_days: Some(30),
            hidden_location: true,
        };
        let ok = ProfileFacts {
            rank: Some(20),
            alive_fame: Some(500),
            characters: Some(2),
            account_age_days: Some(30),
            last_seen_location: None,
        };
        assert!(unmet(&req, &ok).is_empty());
        let bad = ProfileFacts {
            rank: Some(3),
            last_seen_location: Some("USEast".into()),
            ..ProfileFacts::default()
        };
        let why = unmet(&req, &bad);
        assert_eq!(why.len(), 5, "{why:?}");
        assert_eq!(
            why[0],
            Unmet::Rank {
                min: 20,
                shown: Some(3)
            }
        );
        assert_eq!(
            why[3],
            Unmet::AccountAgeDays {
                min: 30,
                shown: None
            }
        );
        assert_eq!(
            why[4],
            Unmet::LocationShown {
                place: "USEast".into()
            }
        );
    }

    #[test]
    fn team_lines() {
        assert_eq!(
            parse_team_line("123456789012345678 PlayerOne"),
            Ok(TeamLine {
                user_id: 123456789012345678,
                main: Ign::parse("PlayerOne").unwrap(),
                alt: None
            })
        );
        assert_eq!(
            parse_team_line("1 A B").map(|l| l.alt),
            Ok(Some(Ign::parse("B").unwrap()))
        );
        assert!(parse_team_line("x PlayerOne").is_err());
        assert!(parse_team_line("1").is_err());
        assert!(parse_team_line("1 a b c").is_err());
        assert_eq!(
            parse_team_line("1 Same same"),
            Err(TeamLineError::AltIsMain)
        );
        assert!(parse_team_line("1 Bad_Name").is_err());
    }

    proptest! {
        #[test]
        fn a_nickname_never_exceeds_32_and_keeps_the_main(
            main in "[A-Za-z]{1,10}",
            alts in proptest::collection::vec("[A-Za-z]{1,10}", 0..6),
        ) {
            let n = nickname(&main, &alts);
            prop_assert!(n.chars().count() <= NICKNAME_MAX);
            prop_assert!(n.starts_with(&main));
            // Alts kept are a prefix of the list, in order.
            let kept: Vec<&str> = n.split(" | ").skip(1).collect();
            prop_assert_eq!(&kept[..], &alts.iter().map(String::as_str).collect::<Vec<_>>()[..kept.len()]);
            // One more alt would not have fit.
            if kept.len() < alts.len() {
                prop_assert!(n.chars().count() + 3 + alts[kept.len()].len() > NICKNAME_MAX);
            }
        }

        #[test]
        fn any_valid_ign_parses_as_typed(ign in "[A-Za-z]{1,10}") {
            prop_assert_eq!(parse_ign(&ign).map(String::from), Ok(ign.clone()));
        }

        #[test]
        fn codes_use_the_alphabet(bytes in any::<[u8; 6]>()) {
            let c = code_from_bytes(bytes);
            prop_assert!(c[CODE_PREFIX.len()..].bytes().all(|b| CODE_ALPHABET.contains(&b)));
        }
    }
}
