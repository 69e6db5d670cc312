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

pub fn wrong_channel_kind(key: ChannelKey, channel: Snowflake) -> String {
    format!(
        "<#{channel}> cannot be the `{}` channel: it must be {}. Nothing was changed.",
        key.as_str(),
        key.kind().label()
    )
}
