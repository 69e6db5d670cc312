//! Answers of /setroles and /setchannels.

use service::config::SettingsError;
use std::collections::BTreeMap;

use domain::{ChannelKey, RoleKey, Snowflake};
use twilight_model::channel::message::embed::Embed;
use twilight_util::builder::embed::{EmbedBuilder, EmbedFieldBuilder};

use super::COLOR_OK;

/// "**key** → mention" for every key, "not set" where unmapped.
fn mapping_lines<'a>(keys: impl Iterator<Item = (&'a str, Option<String>)>) -> String {
    keys.map(|(key, mention)| match mention {
        Some(m) => format!("**{key}** → {m}"),
        None => format!("**{key}** → not set"),
    })
    .collect::<Vec<_>>()
    .join("\n")
}

pub fn roles_embed(title: &str, mapping: &BTreeMap<RoleKey, Snowflake>) -> Embed {
    let lines = mapping_lines(
        RoleKey::ALL
            .iter()
            .map(|k| (k.as_str(), mapping.get(k).map(|r| format!("<@&{r}>")))),
    );
    EmbedBuilder::new()
        .title(title)
        .description(lines)
        .color(COLOR_OK)
        .build()
}

pub fn channels_embed(title: &str, mapping: &BTreeMap<ChannelKey, Snowflake>) -> Embed {
    let lines = mapping_lines(
        ChannelKey::ALL
            .iter()
            .map(|k| (k.as_str(), mapping.get(k).map(|c| format!("<#{c}>")))),
    );
    EmbedBuilder::new()
        .title(title)
        .description(lines)
        .color(COLOR_OK)
        .field(EmbedFieldBuilder::new(
            "Tip",
            "A log channel that is not set simply is not logged to.",
        ))
        .build()
}

pub fn wrong_channel_kind(key: ChannelKey, channel: Snowflake) -> String {
    format!(
        "<#{channel}> cannot be the `{}` channel: it must be {}. Nothing was changed.",
        key.as_str(),
        key.kind().label()
    )
}

/// "2 hours", "90 minutes", "1 hour 30 minutes" for a number of minutes.
pub fn minutes_text(minutes: i32) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    let unit = |n: i32, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match (h, m) {
        (0, m) => unit(m, "minute", "minutes"),
        (h, 0) => unit(h, "hour", "hours"),
        (h, m) => format!(
            "{} {}",
            unit(h, "hour", "hours"),
            unit(m, "minute", "minutes")
        ),
    }
}

/// The answer to /setautoend.
pub fn auto_end_embed(before: i32, after: i32) -> Embed {
    let text = if before == after {
        format!(
            "Runs end by themselves after **{}**. Organizers can set another length per run \
             (`/run` duration).",
            minutes_text(after)
        )
    } else {
        format!(
            "Runs posted from now on end by themselves after **{}** (was {}). Runs already \
             posted keep their end time.",
            minutes_text(after),
            minutes_text(before)
        )
    };
    EmbedBuilder::new()
        .title("Run length")
        .description(text)
        .color(COLOR_OK)
        .build()
}

/// A settings refusal, worded for administrators.
pub fn refusal(e: &SettingsError) -> String {
    match e {
        SettingsError::AutoEndOutOfRange => {
            "Runs can end by themselves after 1 minute to 24 hours (1440 minutes).".into()
        }
        SettingsError::BadAutoEnd => "That is not a number of minutes.".into(),
        SettingsError::BadId(why) => why.to_string(),
        SettingsError::UnknownRoleKey { text } => format!("`{text}` is not a role key."),
        SettingsError::UnknownChannelKey { text } => format!("`{text}` is not a channel key."),
        SettingsError::WrongChannelType { key, channel } => wrong_channel_kind(*key, *channel),
    }
}

#[cfg(test)]
mod tests {
    use super::minutes_text;

    #[test]
    fn lengths_read_naturally() {
        assert_eq!(minutes_text(1), "1 minute");
        assert_eq!(minutes_text(45), "45 minutes");
        assert_eq!(minutes_text(60), "1 hour");
        assert_eq!(minutes_text(120), "2 hours");
        assert_eq!(minutes_text(90), "1 hour 30 minutes");
        assert_eq!(minutes_text(1440), "24 hours");
    }
}

#[cfg(test)]
mod refusal_tests {
    use super::*;

    #[test]
    fn a_wrong_channel_names_the_key_and_what_it_must_be() {
        let channel = Snowflake::new(7).unwrap_or_else(|_| unreachable!());
        let text = refusal(&SettingsError::WrongChannelType {
            key: ChannelKey::PartyFinder,
            channel,
        });
        assert!(
            text.starts_with("<#7> cannot be the `party_finder` channel"),
            "{text}"
        );
        assert_eq!(
            refusal(&SettingsError::UnknownRoleKey { text: "x".into() }),
            "`x` is not a role key."
        );
    }
}
