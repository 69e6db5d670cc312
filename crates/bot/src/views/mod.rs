//! Everything the bot shows people: embeds, components and message text, one module per
//! feature, so wording and Discord's limits are checked in one place.

pub mod analytics;
pub mod components;
pub mod config;
pub mod headcount;
pub mod logs;
pub mod moderation;
pub mod modmail;
pub mod pager;
pub mod party;
pub mod promotions;
pub mod quota;
pub mod role_pings;
pub mod runs;
pub mod schedule;
pub mod staff;
pub mod verification;

use twilight_model::channel::message::embed::Embed;
use twilight_model::channel::message::{Component, MessageFlags};
use twilight_model::http::interaction::InteractionResponseData;

/// Discord's limit on an embed field's value.
pub const FIELD_VALUE_MAX: usize = 1024;

/// Accent colours.
pub const COLOR_OK: u32 = 0x2e_cc_71;
pub const COLOR_WARN: u32 = 0xf1_c4_0f;
pub const COLOR_ERROR: u32 = 0xe7_4c_3c;
pub const COLOR_INFO: u32 = 0x34_98_db;

/// A short message only the person who acted sees.
pub fn ephemeral(text: impl Into<String>) -> InteractionResponseData {
    InteractionResponseData {
        content: Some(text.into()),
        flags: Some(MessageFlags::EPHEMERAL),
        ..Default::default()
    }
}

/// The refusal of text holding a NUL character (Discord delivers it; nothing can store it).
pub fn nul_text(field: &str) -> String {
    format!(
        "{field} contains an invisible NUL character that can't be saved. Remove it (retype the \
         text rather than pasting it) and try again."
    )
}

pub fn ephemeral_embed(embed: Embed) -> InteractionResponseData {
    ephemeral_panel(None, embed, Vec::new())
}

/// An ephemeral message with an embed and buttons (e.g. the organizer panel).
pub fn ephemeral_panel(
    content: Option<String>,
    embed: Embed,
    components: Vec<Component>,
) -> InteractionResponseData {
    InteractionResponseData {
        content,
        embeds: Some(vec![embed]),
        components: Some(components),
        flags: Some(MessageFlags::EPHEMERAL),
        ..Default::default()
    }
}

/// Joins lines into a field value that fits Discord's limit, ending with "… and N more"
/// when some had to be left out.
pub fn fit_lines(lines: &[String], empty: &str) -> String {
    if lines.is_empty() {
        return empty.to_owned();
    }
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let sep = usize::from(!out.is_empty());
        let after = lines.len() - i - 1;
        let tail = if after > 0 {
            format!("\n… and {after} more").len()
        } else {
            0
        };
        if out.len() + sep + line.len() + tail > FIELD_VALUE_MAX {
            // The previous step made sure this tail fits after what is already there.
            if sep == 1 {
                out.push('\n');
            }
            out.push_str(&format!("… and {} more", lines.len() - i));
            return out;
        }
        if sep == 1 {
            out.push('\n');
        }
        out.push_str(line);
    }
    out
}

/// "<@1>, <@2> … and 3 more" within `budget` characters; `empty` when nobody.
pub fn mentions(users: &[domain::Snowflake], budget: usize, empty: &str) -> String {
    if users.is_empty() {
        return empty.to_owned();
    }
    let mut out = String::new();
    for (i, u) in users.iter().enumerate() {
        let item = format!("<@{u}>");
        let sep = if out.is_empty() { "" } else { ", " };
        let left = users.len() - i - 1;
        let tail = if left > 0 {
            format!(" … and {left} more").len()
        } else {
            0
        };
        if out.len() + sep.len() + item.len() + tail > budget {
            out.push_str(&format!(" … and {} more", users.len() - i));
            return out;
        }
        out.push_str(sep);
        out.push_str(&item);
    }
    out
}

/// What a person is told when a use case refused them: the shared wording
/// (`messages::refusal`) in Discord style. `reader` is the user who acted.
pub fn refusal(e: &service::ServiceError, reader: Option<u64>) -> String {
    messages::refusal(e, messages::Style::Discord, reader)
}

/// A required option of a slash command was not given (Discord normally enforces it;
/// an old registration or a hand-made request may not).
pub fn option_required(option: &str) -> String {
    format!("Choose the {option} option.")
}

/// A button or command from another version of raidbot (an old registration, a message
/// posted before an upgrade).
pub fn unknown_interaction() -> String {
    "This button or command is not known to this version of raidbot.".to_owned()
}

/// A Discord timestamp that renders in each reader's time zone.
pub fn relative_time(t: chrono::DateTime<chrono::Utc>) -> String {
    format!("<t:{}:R>", t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_lines_stays_within_a_field_and_says_how_many_are_hidden() {
        let lines: Vec<String> = (0..300)
            .map(|i| format!("<@{}>", 100_000_000_000_000_000u64 + i))
            .collect();
        let text = fit_lines(&lines, "nobody");
        assert!(text.len() <= FIELD_VALUE_MAX, "{}", text.len());
        let shown = text.lines().filter(|l| l.starts_with("<@")).count();
        assert!(
            text.ends_with(&format!("… and {} more", 300 - shown)),
            "{text}"
        );
        assert_eq!(fit_lines(&[], "nobody"), "nobody");
        let few = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(fit_lines(&few, "-"), "a\nb");
    }
}
