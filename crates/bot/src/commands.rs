//! Slash command definitions and their registration.

use domain::limits::{DESCRIPTION_MAX, LOCATION_MAX, PARTY_MAX};
use domain::{ChannelKey, ChannelKind, RoleKey};
use twilight_http::Client;
use twilight_model::application::command::{Command, CommandType};
use twilight_model::application::interaction::InteractionContextType;
use twilight_model::channel::ChannelType;
use twilight_model::id::Id;
use twilight_model::id::marker::{ApplicationMarker, GuildMarker};
use twilight_util::builder::command::{ChannelBuilder, CommandBuilder, RoleBuilder, StringBuilder};

/// The commands this build handles, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandName {
    SetRoles,
    SetChannels,
    Run,
}

impl CommandName {
    pub const ALL: [CommandName; 3] = [
        CommandName::SetRoles,
        CommandName::SetChannels,
        CommandName::Run,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CommandName::SetRoles => "setroles",
            CommandName::SetChannels => "setchannels",
            CommandName::Run => "run",
        }
    }

    pub fn parse(name: &str) -> Option<CommandName> {
        CommandName::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

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

    let run = CommandBuilder::new(
        CommandName::Run.as_str(),
        "Post a raid run panel (organizers)",
        CommandType::ChatInput,
    )
    .contexts([InteractionContextType::Guild])
    .option(
        StringBuilder::new("dungeon", "The dungeon to run")
            .required(true)
            .autocomplete(true),
    )
    .option(StringBuilder::new("party", "Party name").max_length(PARTY_MAX as u16))
    .option(StringBuilder::new("location", "Server and location").max_length(LOCATION_MAX as u16))
    .option(
        StringBuilder::new("description", "Anything raiders should know")
            .max_length(DESCRIPTION_MAX as u16),
    );

    vec![setroles.build(), setchannels.build(), run.build()]
}

/// Overwrites the registered commands: to one guild (instant, for development) or globally.
pub async fn register(
    http: &Client,
    application_id: Id<ApplicationMarker>,
    guild: Option<Id<GuildMarker>>,
) -> Result<usize, twilight_http::Error> {
    let commands = definitions();
    let interaction = http.interaction(application_id);
    match guild {
        Some(guild) => interaction.set_guild_commands(guild, &commands).await?,
        None => interaction.set_global_commands(&commands).await?,
    };
    Ok(commands.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_fit_discord_limits() {
        for c in definitions() {
            assert!((1..=32).contains(&c.name.len()), "{}", c.name);
            assert!(
                c.name
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '_')
            );
            assert!(
                (1..=100).contains(&c.description.len()),
                "{}",
                c.description
            );
            assert!(
                c.options.len() <= 25,
                "{} has {} options",
                c.name,
                c.options.len()
            );
            for o in &c.options {
                assert!((1..=32).contains(&o.name.len()), "{}", o.name);
                assert!(
                    (1..=100).contains(&o.description.len()),
                    "{}",
                    o.description
                );
                assert!(o.choices.as_ref().is_none_or(|ch| ch.len() <= 25));
            }
            assert!(CommandName::parse(&c.name).is_some());
        }
    }
}
