//! Moderation rules: punishment durations, the hierarchy check every moderation action
//! runs, short punishment and ticket codes, and the limits of purge, notes and modmail.
//!
//! The adapter that can see Discord supplies the facts (levels, role positions, the
//! owner); the rules here only decide.

use std::fmt;

use crate::roles::Level;
use crate::snowflake::Snowflake;

// ---------- durations ----------

/// The shortest punishment: one minute.
pub const DURATION_MIN_MINUTES: i64 = 1;
/// The longest punishment: 30 days.
pub const DURATION_MAX_MINUTES: i64 = 30 * 24 * 60;

/// A punishment's length in whole minutes, between 1 minute and 30 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PunishDuration {
    minutes: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error(
        "`{0}` is not a duration. Use minutes, hours and days such as `30m`, `5h`, `2d` or `1d12h`."
    )]
    Malformed(String),
    #[error("`{0}` is too short: the shortest is 1 minute (`1m`).")]
    TooShort(String),
    #[error("`{0}` is too long: the longest is 30 days (`30d`); for example `2d` or `1d12h`.")]
    TooLong(String),
}

impl PunishDuration {
    pub fn from_minutes(minutes: i64) -> Result<PunishDuration, DurationError> {
        let text = format!("{minutes}m");
        if minutes < DURATION_MIN_MINUTES {
            Err(DurationError::TooShort(text))
        } else if minutes > DURATION_MAX_MINUTES {
            Err(DurationError::TooLong(text))
        } else {
            Ok(PunishDuration { minutes })
        }
    }

    /// Parses `30m`, `5h`, `2d`, `1d12h`, `1d 2h 30m` (case-insensitive, each unit at most
    /// once, largest first).
    pub fn parse(text: &str) -> Result<PunishDuration, DurationError> {
        let shown: String = text.trim().chars().take(40).collect();
        let malformed = || DurationError::Malformed(shown.clone());
        let compact: String = text
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect();
        if compact.is_empty() || compact.len() > 32 {
            return Err(malformed());
        }
        let mut total: i64 = 0;
        let mut number = String::new();
        let mut last_rank = usize::MAX;
        for c in compact.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let (rank, factor) = match c {
                'd' => (2, 24 * 60),
                'h' => (1, 60),
                'm' => (0, 1),
                _ => return Err(malformed()),
            };
            if number.is_empty() || number.len() > 7 || rank >= last_rank {
                return Err(malformed());
            }
            let n: i64 = number.parse().map_err(|_| malformed())?;
            total = total.saturating_add(n.saturating_mul(factor));
            number.clear();
            last_rank = rank;
        }
        if !number.is_empty() {
            return Err(malformed());
        }
        if total < DURATION_MIN_MINUTES {
            return Err(DurationError::TooShort(shown));
        }
        if total > DURATION_MAX_MINUTES {
            return Err(DurationError::TooLong(shown));
        }
        Ok(PunishDuration { minutes: total })
    }

    pub fn minutes(self) -> i64 {
        self.minutes
    }
}

impl fmt::Display for PunishDuration {
    /// The canonical form, e.g. `1d12h`, `45m`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.minutes / (24 * 60);
        let h = (self.minutes / 60) % 24;
        let m = self.minutes % 60;
        if d > 0 {
            write!(f, "{d}d")?;
        }
        if h > 0 {
            write!(f, "{h}h")?;
        }
        if m > 0 {
            write!(f, "{m}m")?;
        }
        Ok(())
    }
}

// ---------- hierarchy ----------

/// What an action does to the target, which decides whether Discord's own rule (the target
/// below the bot's top role) applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Only a record (warning, note): raidbot's hierarchy only.
    Record,
    /// Gives or takes a role, kicks or bans: the bot must also be above the target.
    Discord,
}

/// What the adapter knows about the member being acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetFacts {
    pub user_id: Snowflake,
    /// Their raidbot level (from their roles and the guild's mapping).
    pub level: Level,
    pub is_owner: bool,
    /// The position of their highest Discord role (0 for @everyone only); None when they
    /// are not in the server.
    pub top_position: Option<i64>,
}

/// Why an action on a member is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HierarchyRefusal {
    #[error("You cannot do this to yourself.")]
    SelfTarget,
    #[error("The server owner cannot be the target of moderation.")]
    Owner,
    #[error(
        "You can only act on members below you: <@{target}> is at level {target_level}, you are at level {actor_level}."
    )]
    NotBelowActor {
        target: Snowflake,
        target_level: u8,
        actor_level: u8,
    },
    #[error(
        "<@{target}>'s highest role is not below raidbot's highest role, so Discord will not let the bot do this. Move the bot's role above theirs."
    )]
    AboveBot { target: Snowflake },
}

/// The hierarchy rule of every moderation action: never on oneself or the owner; the
/// actor strictly above the target by level; for `Reach::Discord`, the target's highest
/// role strictly below the bot's (Discord's rule).
pub fn check_hierarchy(
    actor: Option<Snowflake>,
    actor_level: Level,
    target: &TargetFacts,
    bot_top_position: i64,
    reach: Reach,
) -> Result<(), HierarchyRefusal> {
    if actor == Some(target.user_id) {
        return Err(HierarchyRefusal::SelfTarget);
    }
    if target.is_owner {
        return Err(HierarchyRefusal::Owner);
    }
    if target.level >= actor_level {
        return Err(HierarchyRefusal::NotBelowActor {
            target: target.user_id,
            target_level: target.level.0,
            actor_level: actor_level.0,
        });
    }
    if reach == Reach::Discord
        && let Some(pos) = target.top_position
        && pos >= bot_top_position
    {
        return Err(HierarchyRefusal::AboveBot {
            target: target.user_id,
        });
    }
    Ok(())
}

/// Whether the bot can give or take a role at `role_position` (Discord: strictly below the
/// bot's highest role).
pub fn bot_can_manage_role(role_position: i64, bot_top_position: i64) -> bool {
    role_position < bot_top_position
}

// ---------- codes ----------

/// Letters and digits that cannot be mistaken for each other when typed (no 0/O, 1/I/L, U).
pub const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";

fn alphabet() -> &'static [u8] {
    CODE_ALPHABET
}

/// Encodes `n` in `len` symbols of the code alphabet (wrapping modulo the code space).
fn encode(mut n: u64, len: usize) -> String {
    let a = alphabet();
    let base = a.len() as u64;
    let mut out = vec![b'2'; len];
    for slot in out.iter_mut().rev() {
        *slot = a[(n % base) as usize];
        n /= base;
    }
    String::from_utf8(out).unwrap_or_default()
}

/// How many distinct codes of `len` symbols exist.
pub fn code_space(len: u32) -> u64 {
    (alphabet().len() as u64).pow(len)
}

/// Symbols in a punishment code after `P-`.
pub const PUNISHMENT_CODE_LEN: u32 = 5;
/// Symbols in a modmail ticket code after `MM-`.
pub const TICKET_CODE_LEN: u32 = 4;

/// A punishment id as staff type it, e.g. `P-4K7Q2`, from a random number.
pub fn punishment_code(random: u64) -> String {
    format!("P-{}", encode(random, PUNISHMENT_CODE_LEN as usize))
}

/// A modmail ticket id, e.g. `MM-7KQ2`, from a random number.
pub fn ticket_code(random: u64) -> String {
    format!("MM-{}", encode(random, TICKET_CODE_LEN as usize))
}

fn normalize_code(prefix: &str, len: u32, text: &str) -> Option<String> {
    let t: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect();
    let body = match t.strip_prefix(&format!("{prefix}-")) {
        Some(b) => b,
        // `P4K7Q2`: the prefix without its dash, only when the rest is a whole code.
        None if t.len() == len as usize + prefix.len() => t.strip_prefix(prefix).unwrap_or(&t),
        None => &t,
    };
    (body.len() == len as usize && body.bytes().all(|b| alphabet().contains(&b)))
        .then(|| format!("{prefix}-{body}"))
}

/// Reads a typed punishment id: case-insensitive, `P-` optional. None when it cannot be one.
pub fn parse_punishment_code(text: &str) -> Option<String> {
    normalize_code("P", PUNISHMENT_CODE_LEN, text)
}

/// Reads a typed ticket id: case-insensitive, `MM-` optional.
pub fn parse_ticket_code(text: &str) -> Option<String> {
    normalize_code("MM", TICKET_CODE_LEN, text)
}

// ---------- punishments ----------

/// The kinds of punishment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PunishmentKind {
    Warn,
    Suspend,
    Mute,
    Kick,
    Ban,
    Softban,
}

impl PunishmentKind {
    pub const ALL: [PunishmentKind; 6] = [
        PunishmentKind::Warn,
        PunishmentKind::Suspend,
        PunishmentKind::Mute,
        PunishmentKind::Kick,
        PunishmentKind::Ban,
        PunishmentKind::Softban,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PunishmentKind::Warn => "warn",
            PunishmentKind::Suspend => "suspend",
            PunishmentKind::Mute => "mute",
            PunishmentKind::Kick => "kick",
            PunishmentKind::Ban => "ban",
            PunishmentKind::Softban => "softban",
        }
    }

    pub fn parse(text: &str) -> Option<PunishmentKind> {
        PunishmentKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Past tense for messages ("suspended").
    pub fn done(self) -> &'static str {
        match self {
            PunishmentKind::Warn => "warned",
            PunishmentKind::Suspend => "suspended",
            PunishmentKind::Mute => "muted",
            PunishmentKind::Kick => "kicked",
            PunishmentKind::Ban => "banned",
            PunishmentKind::Softban => "softbanned",
        }
    }

    /// Whether it lasts (a role until it expires) and so needs a duration.
    pub fn timed(self) -> bool {
        matches!(self, PunishmentKind::Suspend | PunishmentKind::Mute)
    }

    /// The minimum role key to give it.
    pub fn required(self) -> crate::RoleKey {
        match self {
            PunishmentKind::Warn | PunishmentKind::Suspend | PunishmentKind::Mute => {
                crate::RoleKey::Security
            }
            PunishmentKind::Kick | PunishmentKind::Ban | PunishmentKind::Softban => {
                crate::RoleKey::Officer
            }
        }
    }

    /// Whether Discord must be able to act on the target (role, kick, ban).
    pub fn reach(self) -> Reach {
        match self {
            PunishmentKind::Warn => Reach::Record,
            _ => Reach::Discord,
        }
    }

    /// The punishment role it gives, if any.
    pub fn role(self) -> Option<crate::RoleKey> {
        match self {
            PunishmentKind::Suspend => Some(crate::RoleKey::Suspended),
            PunishmentKind::Mute => Some(crate::RoleKey::Muted),
            _ => None,
        }
    }
}

/// A reason is required, 1–500 characters.
pub const REASON_MAX: usize = 500;
/// A staff note, 1–1000 characters.
pub const NOTE_MAX: usize = 1000;
/// How many days of messages a ban may delete.
pub const BAN_DELETE_DAYS_MAX: i64 = 7;

// ---------- purge ----------

/// At most this many messages per /purge.
pub const PURGE_MAX: i64 = 25;
/// Discord bulk-deletes only messages younger than this many days.
pub const PURGE_MAX_AGE_DAYS: i64 = 14;
/// Uses of /purge per member: per minute and per hour (rolling windows).
pub const PURGE_PER_MINUTE: usize = 3;
pub const PURGE_PER_HOUR: usize = 10;

/// When a member may purge again (unix seconds), from the times of their earlier uses
/// (unix seconds, any order), or None when they may now. Both rolling windows count.
pub fn purge_wait(uses: &[i64], now: i64) -> Option<i64> {
    let mut sorted: Vec<i64> = uses.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a)); // newest first
    let window = |limit: usize, span: i64| {
        let recent: Vec<i64> = sorted.iter().copied().filter(|t| now - t < span).collect();
        recent.get(limit - 1).map(|t| t + span)
    };
    let a = window(PURGE_PER_MINUTE, 60);
    let b = window(PURGE_PER_HOUR, 3600);
    a.into_iter().chain(b).max()
}

// ---------- modmail ----------

/// A modmail message, 1–1900 characters (room for the relay's header in 2000).
pub const MODMAIL_MESSAGE_MAX: usize = 1900;
/// After a ticket closes, the member waits this long before opening another in that guild.
pub const MODMAIL_COOLDOWN_MINUTES: i64 = 10;
/// A conversation step nobody answers is forgotten after this long.
pub const MODMAIL_SESSION_MINUTES: i64 = 30;
/// Staff answer a ticket by typing this, then a space or a new line, then the reply, in the
/// ticket's thread. Anything else typed there stays among staff.
pub const MODMAIL_REPLY_PREFIX: &str = "!r";

/// The reply in a message typed in a ticket's thread, if it starts with the prefix (`!r`
/// or `!R`, then whitespace). `Some("")` for the bare prefix, so staff hear it was empty.
pub fn thread_reply(content: &str) -> Option<&str> {
    let t = content.trim_start();
    let (head, rest) = t.split_at_checked(MODMAIL_REPLY_PREFIX.len())?;
    if !head.eq_ignore_ascii_case(MODMAIL_REPLY_PREFIX) {
        return None;
    }
    if rest.is_empty() {
        return Some("");
    }
    rest.starts_with(char::is_whitespace).then(|| rest.trim())
}

/// The most members one mass action (/masssuspend, /masswarn) takes.
pub const MASS_MAX: usize = 50;

/// One member named in a mass action's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MassEntry {
    /// A mention (`<@123>`, `<@!123>`) or a bare user id.
    Id(Snowflake),
    /// Anything else: an in-game name to look up.
    Ign(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MassListError {
    #[error(
        "Name at least one member: mentions, user ids or in-game names, separated by spaces or commas."
    )]
    Empty,
    #[error("That is {0} members; one mass action takes at most {MASS_MAX}. Split the list.")]
    TooMany(usize),
}

/// Splits a pasted list (mentions, ids or IGNs, separated by spaces, commas or new lines)
/// into entries, each with the text staff wrote; repeats are dropped (IGNs compared
/// without case).
pub fn parse_mass_targets(text: &str) -> Result<Vec<(String, MassEntry)>, MassListError> {
    let mut out: Vec<(String, MassEntry)> = Vec::new();
    // Mentions may be pasted with no space between them: `<@1><@2>`.
    let spaced = text.replace('>', "> ");
    for token in spaced
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let inner = token
            .strip_prefix("<@")
            .and_then(|t| t.strip_suffix('>'))
            .map(|t| t.trim_start_matches('!'));
        let entry = match inner {
            Some(id) => match Snowflake::parse(id) {
                Ok(s) => MassEntry::Id(s),
                Err(_) => MassEntry::Ign(token.to_owned()),
            },
            None if token.len() >= 15 && token.chars().all(|c| c.is_ascii_digit()) => {
                match Snowflake::parse(token) {
                    Ok(s) => MassEntry::Id(s),
                    Err(_) => MassEntry::Ign(token.to_owned()),
                }
            }
            None => MassEntry::Ign(token.to_owned()),
        };
        let seen = out.iter().any(|(_, e)| match (e, &entry) {
            (MassEntry::Id(a), MassEntry::Id(b)) => a == b,
            (MassEntry::Ign(a), MassEntry::Ign(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        });
        if !seen {
            out.push((token.to_owned(), entry));
        }
    }
    if out.is_empty() {
        return Err(MassListError::Empty);
    }
    if out.len() > MASS_MAX {
        return Err(MassListError::TooMany(out.len()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_replies_need_the_prefix_and_a_space() {
        assert_eq!(thread_reply("!r Thanks, fixed."), Some("Thanks, fixed."));
        assert_eq!(
            thread_reply("  !R\nline one\nline two "),
            Some("line one\nline two")
        );
        assert_eq!(thread_reply("!r"), Some(""));
        assert_eq!(thread_reply("!reply to this later"), None);
        assert_eq!(thread_reply("check their /find first"), None);
        assert_eq!(thread_reply("> quoted"), None);
        assert_eq!(thread_reply("é!r x"), None);
        assert_eq!(thread_reply(""), None);
    }
    use crate::RoleKey;
    use proptest::prelude::*;

    fn sf(n: u64) -> Snowflake {
        Snowflake::new(n).unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn durations_parse_and_refuse_with_an_example() {
        let ok = |t: &str| PunishDuration::parse(t).map(PunishDuration::minutes);
        assert_eq!(ok("30m"), Ok(30));
        assert_eq!(ok("5h"), Ok(300));
        assert_eq!(ok("2d"), Ok(2880));
        assert_eq!(ok("1d12h"), Ok(2160));
        assert_eq!(ok(" 1D 2h 30M "), Ok(1590));
        assert_eq!(ok("30d"), Ok(DURATION_MAX_MINUTES));
        assert_eq!(ok("1m"), Ok(1));
        for bad in [
            "", "m", "5", "5x", "1h1d", "1d1d", "-5m", "1.5h", "abc", "5 hours",
        ] {
            let e = PunishDuration::parse(bad);
            assert!(
                matches!(e, Err(DurationError::Malformed(_))),
                "{bad}: {e:?}"
            );
            assert!(e.unwrap_err().to_string().contains("`1d12h`"));
        }
        assert!(matches!(
            PunishDuration::parse("0m"),
            Err(DurationError::TooShort(_))
        ));
        let long = PunishDuration::parse("30d1m").unwrap_err();
        assert!(matches!(long, DurationError::TooLong(_)));
        assert!(long.to_string().contains("`2d`"));
        assert!(matches!(
            PunishDuration::parse("99999999d"),
            Err(DurationError::Malformed(_))
        ));
        assert!(matches!(
            PunishDuration::parse("9999999d"),
            Err(DurationError::TooLong(_))
        ));
    }

    proptest! {
        #[test]
        fn canonical_form_round_trips(m in 1i64..=DURATION_MAX_MINUTES) {
            let d = PunishDuration::from_minutes(m).unwrap();
            prop_assert_eq!(PunishDuration::parse(&d.to_string()), Ok(d));
        }

        #[test]
        fn parsed_durations_are_always_in_range(d in 0i64..60, h in 0i64..48, m in 0i64..200) {
            let text = format!("{d}d{h}h{m}m");
            let total = d * 1440 + h * 60 + m;
            match PunishDuration::parse(&text) {
                Ok(p) => {
                    prop_assert_eq!(p.minutes(), total);
                    prop_assert!((DURATION_MIN_MINUTES..=DURATION_MAX_MINUTES).contains(&p.minutes()));
                }
                Err(DurationError::TooShort(_)) => prop_assert!(total < 1),
                Err(DurationError::TooLong(_)) => prop_assert!(total > DURATION_MAX_MINUTES),
                Err(e) => prop_assert!(false, "{e}"),
            }
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,40}") {
            let _ = PunishDuration::parse(&s);
        }

        #[test]
        fn hierarchy_needs_strictly_above(actor in 0u8..=8, target in 0u8..=8, pos in 0i64..20, bot in 1i64..20) {
            let t = TargetFacts { user_id: sf(2), level: Level(target), is_owner: false, top_position: Some(pos) };
            let record = check_hierarchy(Some(sf(1)), Level(actor), &t, bot, Reach::Record);
            prop_assert_eq!(record.is_ok(), target < actor);
            let discord = check_hierarchy(Some(sf(1)), Level(actor), &t, bot, Reach::Discord);
            prop_assert_eq!(discord.is_ok(), target < actor && pos < bot);
        }

        #[test]
        fn codes_round_trip(n in any::<u64>()) {
            let p = punishment_code(n);
            prop_assert_eq!(p.len(), 7);
            prop_assert_eq!(parse_punishment_code(&p.to_lowercase()), Some(p.clone()));
            prop_assert_eq!(parse_punishment_code(&p[2..]), Some(p.clone()));
            let t = ticket_code(n);
            prop_assert_eq!(parse_ticket_code(&t), Some(t.clone()));
        }
    }

    #[test]
    fn hierarchy_refusals_name_the_reason() {
        let me = sf(1);
        let owner = TargetFacts {
            user_id: sf(2),
            level: Level(0),
            is_owner: true,
            top_position: Some(0),
        };
        assert_eq!(
            check_hierarchy(Some(me), Level(8), &owner, 10, Reach::Record),
            Err(HierarchyRefusal::Owner)
        );
        let myself = TargetFacts {
            user_id: me,
            ..owner
        };
        assert_eq!(
            check_hierarchy(Some(me), Level(8), &myself, 10, Reach::Record),
            Err(HierarchyRefusal::SelfTarget)
        );
        let officer = TargetFacts {
            user_id: sf(3),
            level: RoleKey::Officer.level().unwrap_or(Level(5)),
            is_owner: false,
            top_position: Some(3),
        };
        let security = RoleKey::Security.level().unwrap_or(Level(4));
        let e = check_hierarchy(Some(me), security, &officer, 10, Reach::Record).unwrap_err();
        assert!(e.to_string().contains("below you"), "{e}");
        let peer = TargetFacts {
            level: security,
            ..officer
        };
        assert!(check_hierarchy(Some(me), security, &peer, 10, Reach::Record).is_err());
        let raider = TargetFacts {
            level: Level(1),
            top_position: Some(12),
            ..officer
        };
        assert!(check_hierarchy(Some(me), security, &raider, 10, Reach::Record).is_ok());
        assert_eq!(
            check_hierarchy(Some(me), security, &raider, 10, Reach::Discord),
            Err(HierarchyRefusal::AboveBot { target: sf(3) })
        );
        let gone = TargetFacts {
            top_position: None,
            ..raider
        };
        assert!(check_hierarchy(Some(me), security, &gone, 10, Reach::Discord).is_ok());
    }

    #[test]
    fn codes_avoid_ambiguous_symbols() {
        assert_eq!(alphabet().len(), 30);
        for c in b"01ILOU" {
            assert!(!alphabet().contains(c));
        }
        assert_eq!(parse_punishment_code("p-abc"), None);
        assert_eq!(parse_punishment_code("P-0OOOO"), None);
        assert_eq!(parse_ticket_code("mm-7kq2"), Some("MM-7KQ2".into()));
        assert_eq!(punishment_code(0), "P-22222");
    }

    #[test]
    fn purge_waits_for_the_tighter_window() {
        let now = 1_000_000;
        assert_eq!(purge_wait(&[], now), None);
        let three = [now - 50, now - 20, now - 5];
        assert_eq!(purge_wait(&three, now), Some(now + 10));
        assert_eq!(purge_wait(&three[1..], now), None);
        let ten: Vec<i64> = (0..10).map(|i| now - 55 * 60 + i * 60).collect();
        assert_eq!(purge_wait(&ten, now), Some(now + 5 * 60));
    }

    proptest! {
        #[test]
        fn purge_never_allows_more_than_the_limits(gaps in proptest::collection::vec(0i64..400, 0..30)) {
            // Uses allowed by purge_wait never exceed 3 in a minute or 10 in an hour.
            let mut uses: Vec<i64> = Vec::new();
            let mut now = 0;
            for g in gaps {
                now += g;
                if purge_wait(&uses, now).is_none() {
                    uses.push(now);
                }
                let in_min = uses.iter().filter(|t| now - **t < 60).count();
                let in_hour = uses.iter().filter(|t| now - **t < 3600).count();
                prop_assert!(in_min <= PURGE_PER_MINUTE && in_hour <= PURGE_PER_HOUR);
            }
        }
    }

    #[test]
    fn mass_lists_take_mentions_ids_and_igns_once_each() {
        let parsed = parse_mass_targets(
            "<@123456789012345678><@!223456789012345678>, 323456789012345678\nBlade blade ; <@123456789012345678>",
        )
        .unwrap();
        let entries: Vec<MassEntry> = parsed.into_iter().map(|(_, e)| e).collect();
        assert_eq!(
            entries,
            vec![
                MassEntry::Id(Snowflake::new(123_456_789_012_345_678).unwrap()),
                MassEntry::Id(Snowflake::new(223_456_789_012_345_678).unwrap()),
                MassEntry::Id(Snowflake::new(323_456_789_012_345_678).unwrap()),
                MassEntry::Ign("Blade".into()),
            ]
        );
        assert_eq!(parse_mass_targets(" , "), Err(MassListError::Empty));
        let many: Vec<String> = (0..51).map(|i| format!("Name{i}")).collect();
        assert_eq!(
            parse_mass_targets(&many.join(" ")),
            Err(MassListError::TooMany(51))
        );
    }
}
