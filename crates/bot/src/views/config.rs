//! Answers of /setroles and /setchannels.

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
