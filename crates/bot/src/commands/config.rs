//! /setroles, /setchannels and /setautoend.

use domain::{ChannelKey, ChannelKind, RoleKey};
use twilight_model::application::command::{Command, CommandType};
use twilight_model::application::interaction::InteractionContextType;
use twilight_model::channel::ChannelType;
use twilight_util::builder::command::{
    ChannelBuilder, CommandBuilder, IntegerBuilder, RoleBuilder, StringBuilder,
};

use super::CommandName;

fn channel_types(kind: ChannelKind) -> Vec<ChannelType> {
    match kind {
        ChannelKind::Text => vec![ChannelType::GuildText, ChannelType::GuildAnnouncement],
        ChannelKind::Forum => vec![ChannelType::GuildForum],
    }
}

pub fn definitions() -> Vec<Command> {
    let mut setroles = CommandBuilder::new(
        CommandName::SetRoles.as_str(),
        "Map raidbot's role keys to this server's roles (administrators)",
        CommandType::ChatInput,
    )
    .contexts([InteractionContextType::Guild]);
    for key in RoleKey::ALL {
        setroles = setroles.option(RoleBuilder::new(
            key.as_str(),
            format!("Discord role for {}", key.label()),
        ));
    }
    setroles = setroles.option(
        StringBuilder::new("clear", "Remove the mapping of one role key")
            .choices(RoleKey::ALL.iter().map(|k| (k.as_str(), k.as_str()))),
    );

    let mut setchannels = CommandBuilder::new(
        CommandName::SetChannels.as_str(),
        "Choose the channels raidbot posts in (administrators)",
        CommandType::ChatInput,
    )
    .contexts([InteractionContextType::Guild]);
    for key in ChannelKey::ALL {
        setchannels = setchannels.option(
            ChannelBuilder::new(key.as_str(), key.purpose())
                .channel_types(channel_types(key.kind())),
        );
    }
    setchannels = setchannels.option(
        StringBuilder::new("clear", "Remove the mapping of one channel key")
            .choices(ChannelKey::ALL.iter().map(|k| (k.as_str(), k.as_str()))),
    );

    let setautoend = CommandBuilder::new(
        CommandName::SetAutoEnd.as_str(),
        "How long runs last before they end by themselves (administrators; default 2 hours)",
        CommandType::ChatInput,
    )
    .contexts([InteractionContextType::Guild])
    .option(
        IntegerBuilder::new(
            "minutes",
            "New length in minutes, 1 to 1440; leave out to see it",
        )
        .min_value(1)
        .max_value(1440),
    );

    vec![setroles.build(), setchannels.build(), setautoend.build()]
}
