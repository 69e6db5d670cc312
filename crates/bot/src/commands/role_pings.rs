//! /configrolepings and /sendrolepingembed.

use twilight_model::application::command::{Command, CommandType};
use twilight_model::application::interaction::InteractionContextType;
use twilight_model::channel::ChannelType;
use twilight_util::builder::command::{ChannelBuilder, CommandBuilder, RoleBuilder, StringBuilder};

use super::CommandName;

pub fn definitions() -> Vec<Command> {
    let config = CommandBuilder::new(
        CommandName::ConfigRolePings.as_str(),
        "Map a dungeon to a ping role; no role clears it; no options lists them (moderators)",
        CommandType::ChatInput,
    )
    .contexts([InteractionContextType::Guild])
    .option(StringBuilder::new("dungeon", "The dungeon").autocomplete(true))
    .option(RoleBuilder::new(
        "role",
        "The role to ping for its runs (leave out to clear)",
    ));
    let panel = CommandBuilder::new(
        CommandName::SendRolePingEmbed.as_str(),
        "Post the panel where members pick their ping roles (moderators)",
        CommandType::ChatInput,
    )
    .contexts([InteractionContextType::Guild])
    .option(
        ChannelBuilder::new(
            "channel",
            "Where to post it (default: the role_ping channel)",
        )
        .channel_types([ChannelType::GuildText, ChannelType::GuildAnnouncement]),
    );
    vec![config.build(), panel.build()]
}
