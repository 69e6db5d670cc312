//! Answers of /setroles and /setchannels.

use std::collections::BTreeMap;

use domain::{ChannelKey, RoleKey, Snowflake};
use twilight_model::channel::message::embed::Embed;
use twilight_util::builder::embed::{EmbedBuilder, EmbedFieldBuilder};

use super::COLOR_OK;

pub fn roles_embed(title: &str, mapping: &BTreeMap<RoleKey, Snowflake>) -> Embed {
    let lines: Vec<String> = RoleKey::ALL
        .iter()
        .map(|k| match mapping.get(k) {
            Some(role) => format!("**{}** → <@&{role}>", k.as_str()),
            None => format!("**{}** → not set", k.as_str()),
        })
        .collect();
    EmbedBuilder::new()
        .title(title)
        .description(lines.join("\n"))
        .color(COLOR_OK)
        .build()
}

pub fn channels_embed(title: &str, mapping: &BTreeMap<ChannelKey, Snowflake>) -> Embed {
    let lines: Vec<String> = ChannelKey::ALL
        .iter()
        .map(|k| match mapping.get(k) {
            Some(channel) => format!("**{}** → <#{channel}>", k.as_str()),
            None => format!("**{}** → not set", k.as_str()),
        })
        .collect();
    EmbedBuilder::new()
        .title(title)
        .description(lines.join("\n"))
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
