//! /party (party finder).

use domain::party::{DESCRIPTION_MAX, LOCATION_MAX, NAME_MAX};
use twilight_model::application::command::{Command, CommandType};
use twilight_model::application::interaction::InteractionContextType;
use twilight_util::builder::command::{CommandBuilder, StringBuilder};

use super::CommandName;

pub fn definitions() -> Vec<Command> {
    let party = CommandBuilder::new(
        CommandName::Party.as_str(),
        "Post a party in the party finder, with a thread (verified raiders)",
        CommandType::ChatInput,
    )
    .contexts([InteractionContextType::Guild])
    .option(
        StringBuilder::new("name", "What the party is (e.g. Chill Fungal Runs)")
            .required(true)
            .min_length(1)
            .max_length(NAME_MAX as u16),
    )
    .option(
        StringBuilder::new("location", "Server and place (e.g. USEast Left)")
            .max_length(LOCATION_MAX as u16),
    )
    .option(
        StringBuilder::new("description", "Anything others should know")
            .max_length(DESCRIPTION_MAX as u16),
    );
    vec![party.build()]
}
