//! Staff operations and general commands: /purge, /addrole, /createrole, /help, /ping.

use domain::RoleKey;
use domain::moderation::PURGE_MAX;
use twilight_model::application::command::{Command, CommandType};
use twilight_model::application::interaction::InteractionContextType;
use twilight_util::builder::command::{
    CommandBuilder, IntegerBuilder, RoleBuilder, StringBuilder, UserBuilder,
};

use super::CommandName;

fn command(name: CommandName, description: &str) -> CommandBuilder {
    CommandBuilder::new(name.as_str(), description, CommandType::ChatInput)
        .contexts([InteractionContextType::Guild])
}

pub fn definitions() -> Vec<Command> {
    let mut key = StringBuilder::new("key", "Which raidbot role to create").required(true);
    key = key.choices(RoleKey::ALL.iter().map(|k| (k.label(), k.as_str())));
    vec![
        command(
            CommandName::Purge,
            "Delete recent messages in this channel (security)",
        )
        .option(
            IntegerBuilder::new("amount", "How many (1-25); pinned and 14-day-old ones stay")
                .required(true)
                .min_value(1)
                .max_value(PURGE_MAX),
        )
        .build(),
        command(
            CommandName::AddRole,
            "Give a member a raidbot role below yours (officer)",
        )
        .option(UserBuilder::new("member", "The member").required(true))
        .option(RoleBuilder::new("role", "A role mapped with /setroles").required(true))
        .build(),
        command(
            CommandName::CreateRole,
            "Create a missing raidbot role with sensible permissions (administrator)",
        )
        .option(key)
        .build(),
        command(CommandName::Help, "The commands you can use here").build(),
        command(CommandName::Ping, "Gateway and database latency").build(),
    ]
}
