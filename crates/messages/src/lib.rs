//! The one place where raidbot words a refusal. Use cases refuse with typed reasons
//! (`service::ServiceError` and the per-area enums it carries); this crate turns them into
//! sentences, one module per feature, for two kinds of reader ([`Style`]):
//!
//! - [`Style::Discord`]: what the bot shows: mentions (`<@id>`, `<#id>`), Discord timestamps
//!   (`<t:SECS:F>`) that render in each reader's time zone, backticked values, bold names.
//! - [`Style::Plain`]: for API clients and the web dashboard: no markup, members and
//!   channels by id, times as RFC 3339 UTC.
//!
//! It depends on `domain` and `service` only (the layering test checks), so the adapters
//! (`bot`, `api`, `web`) share it without reaching below `service`. It is not for embeds,
//! panels or log lines: those are Discord-only and stay in the bot's views.

use chrono::{DateTime, SecondsFormat, Utc};
use domain::Snowflake;
use service::ServiceError;

pub mod analytics;
pub mod api_keys;
pub mod dashboard;
pub mod headcounts;
pub mod moderation;
pub mod modmail;
pub mod party;
pub mod promotions;
pub mod quota;
pub mod role_pings;
pub mod runs;
pub mod schedule;
pub mod settings;
pub mod staff;
pub mod verification;

/// How a sentence is rendered for its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Discord markdown: mentions, `<t:…>` timestamps, backticks, bold.
    Discord,
    /// Plain text: ids instead of mentions, RFC 3339 UTC times, no markup.
    Plain,
}

impl Style {
    /// A member: `<@id>`, or `member id`.
    pub fn member(self, user: Snowflake) -> String {
        match self {
            Style::Discord => format!("<@{user}>"),
            Style::Plain => format!("member {user}"),
        }
    }

    /// A channel: `<#id>`, or `channel id`.
    pub fn channel(self, channel: Snowflake) -> String {
        match self {
            Style::Discord => format!("<#{channel}>"),
            Style::Plain => format!("channel {channel}"),
        }
    }

    /// A role: `<@&id>`, or `role id`.
    pub fn role(self, role: Snowflake) -> String {
        match self {
            Style::Discord => format!("<@&{role}>"),
            Style::Plain => format!("role {role}"),
        }
    }

    /// A date and time, long form (`<t:SECS:F>`), or RFC 3339 UTC.
    pub fn time_full(self, t: DateTime<Utc>) -> String {
        match self {
            Style::Discord => format!("<t:{}:F>", t.timestamp()),
            Style::Plain => rfc3339(t),
        }
    }

    /// A date and time, short form (`<t:SECS:f>`), or RFC 3339 UTC.
    pub fn time(self, t: DateTime<Utc>) -> String {
        match self {
            Style::Discord => format!("<t:{}:f>", t.timestamp()),
            Style::Plain => rfc3339(t),
        }
    }

    /// A moment relative to now (`<t:SECS:R>`: "in 2 hours"), or `at` and RFC 3339 UTC.
    pub fn relative(self, t: DateTime<Utc>) -> String {
        match self {
            Style::Discord => format!("<t:{}:R>", t.timestamp()),
            Style::Plain => format!("at {}", rfc3339(t)),
        }
    }

    /// A value the reader may type: backticked, or as is.
    pub fn code(self, text: impl std::fmt::Display) -> String {
        match self {
            Style::Discord => format!("`{text}`"),
            Style::Plain => text.to_string(),
        }
    }

    /// A name that stands out: bold, or as is.
    pub fn bold(self, text: impl std::fmt::Display) -> String {
        match self {
            Style::Discord => format!("**{text}**"),
            Style::Plain => text.to_string(),
        }
    }
}

/// `2027-01-15T08:00:00Z`.
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A plain sentence that starts with a member or channel ("member 1234 is …") starts with a
/// capital; everything else (a value the reader typed, Discord text) stays as written.
fn sentence(style: Style, text: String) -> String {
    match style {
        Style::Plain
            if ["member ", "channel ", "role "]
                .iter()
                .any(|w| text.starts_with(w)) =>
        {
            let mut chars = text.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
        _ => text,
    }
}

/// A dungeon code that is not in the catalog, as typed (several features take one).
pub fn unknown_dungeon(style: Style, code: &str) -> String {
    format!(
        "{} is not a dungeon raidbot knows; pick one from the list.",
        style.code(code)
    )
}

/// The guild has no raid channel (runs, headcounts and scheduled raids post there).
pub fn no_raid_channel() -> String {
    "This server has no raid channel yet: an administrator can set one with /setchannels.".into()
}

/// The organizer already has an active run (`run_id`: which, when known).
pub fn active_run_exists(run_id: Option<i64>) -> String {
    let which = run_id.map(|id| format!(" (#{id})")).unwrap_or_default();
    format!("There is already an active run for this organizer{which}: end or cancel it first.")
}

/// What a reader is told when a use case refused: the typed reasons worded by their
/// feature's module, an adapter's own refusal as that adapter worded it. `reader` is the Discord user
/// who acted, when there is one (a suspension reads "You are suspended" to its member).
pub fn refusal(e: &ServiceError, style: Style, reader: Option<u64>) -> String {
    match e {
        ServiceError::Suspended { user, until } => {
            moderation::suspended(style, reader == Some(user.get()), *user, *until)
        }
        ServiceError::Verification(e) => verification::refusal(e, style),
        ServiceError::Party(e) => party::refusal(e, style),
        ServiceError::Moderation(e) => moderation::refusal(e, style),
        ServiceError::Modmail(e) => modmail::refusal(e, style),
        ServiceError::Quota(e) => quota::refusal(e, style),
        ServiceError::Settings(e) => settings::refusal(e, style),
        ServiceError::Analytics(e) => analytics::refusal(e, style),
        ServiceError::Promotion(e) => promotions::refusal(e, style),
        ServiceError::Staff(e) => staff::refusal(e, style),
        ServiceError::RolePing(e) => role_pings::refusal(e, style),
        ServiceError::Schedule(e) => schedule::refusal(e, style),
        ServiceError::Run(e) => runs::refusal(e, style),
        ServiceError::Headcount(e) => headcounts::refusal(e, style),
        ServiceError::Dashboard(e) => dashboard::refusal(e, style),
        ServiceError::ApiKey(e) => api_keys::refusal(e, style),
        ServiceError::MissingRole(key) => {
            format!("You need the {} role (or higher) to do this.", key.label())
        }
        ServiceError::UnstorableText => {
            "The text contains a NUL character, which cannot be stored; remove it.".into()
        }
        ServiceError::Unavailable => {
            "The database is unavailable right now; please try again in a moment.".into()
        }
        ServiceError::Internal(_) => "Something went wrong on our side; it has been logged.".into(),
        // The adapters' own refusals, worded by the adapter that made them.
        ServiceError::NotFound(text) | ServiceError::Forbidden(text) => text.clone(),
        ServiceError::Conflict { message, .. } | ServiceError::Invalid { message, .. } => {
            message.clone()
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use chrono::{DateTime, Utc};
    use domain::Snowflake;

    /// 2027-01-15T08:00:00Z.
    pub fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    pub fn user(id: u64) -> Snowflake {
        Snowflake::new(id).unwrap_or_else(|_| unreachable!())
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{at, user};
    use super::*;

    #[test]
    fn the_two_styles_differ_in_markup_only() {
        assert_eq!(Style::Discord.member(user(42)), "<@42>");
        assert_eq!(Style::Plain.member(user(42)), "member 42");
        assert_eq!(Style::Discord.time_full(at()), "<t:1800000000:F>");
        assert_eq!(Style::Plain.time_full(at()), "2027-01-15T08:00:00Z");
        assert_eq!(Style::Plain.relative(at()), "at 2027-01-15T08:00:00Z");
        assert_eq!(Style::Discord.code("P-1"), "`P-1`");
        assert_eq!(Style::Plain.code("P-1"), "P-1");
        assert_eq!(sentence(Style::Plain, "member 4 is".into()), "Member 4 is");
        assert_eq!(sentence(Style::Plain, "x is".into()), "x is");
    }

    #[test]
    fn a_suspension_reads_to_its_member_and_to_others() {
        let e = ServiceError::Suspended {
            user: user(42),
            until: at(),
        };
        let own = refusal(&e, Style::Discord, Some(42));
        assert!(
            own.starts_with("You are suspended until <t:1800000000:f> (<t:1800000000:R>)"),
            "{own}"
        );
        let other = refusal(&e, Style::Plain, None);
        assert!(
            other.starts_with("Member 42 is suspended until 2027-01-15T08:00:00Z,"),
            "{other}"
        );
        assert!(!other.contains("<"), "{other}");
    }
}
