//! /run.

use domain::limits::{DESCRIPTION_MAX, LOCATION_MAX, PARTY_MAX};
use service::runs::{MAX_DURATION_MINUTES, MAX_RAIDER_CAP};
use twilight_model::application::command::{Command, CommandType};
use twilight_model::application::interaction::InteractionContextType;
use twilight_util::builder::command::{
    AttachmentBuilder, CommandBuilder, IntegerBuilder, StringBuilder,
};

use super::CommandName;

pub fn definitions() -> Vec<Command> {
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
    )
    .option(
        IntegerBuilder::new(
            "cap",
            "Most raiders in the run; later ones wait on the bench",
        )
        .min_value(1)
        .max_value(i64::from(MAX_RAIDER_CAP)),
    )
    .option(
        IntegerBuilder::new(
            "duration",
            "Minutes until the run ends by itself (default: the server's)",
        )
        .min_value(1)
        .max_value(i64::from(MAX_DURATION_MINUTES)),
    );

    let taken = CommandBuilder::new(
        CommandName::Taken.as_str(),
        "Attach the completion screenshot to your active run (organizers)",
        CommandType::ChatInput,
    )
    .contexts([InteractionContextType::Guild])
    .option(
        AttachmentBuilder::new("screenshot", "Full screen, with /who and /server visible")
            .required(true),
    );
    vec![run.build(), taken.build()]
}
