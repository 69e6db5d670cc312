//! /headcount.

use domain::headcount::MAX_DUNGEONS;
use twilight_model::application::command::{Command, CommandType};
use twilight_model::application::interaction::InteractionContextType;
use twilight_util::builder::command::{CommandBuilder, StringBuilder};

use super::CommandName;

/// The name of the n-th optional dungeon option (1-based): `dungeon1` … `dungeon4`.
pub fn dungeon_option(n: usize) -> String {
    format!("dungeon{n}")
}

pub fn definitions() -> Vec<Command> {
    let mut headcount = CommandBuilder::new(
        CommandName::Headcount.as_str(),
        "Ask who would come to which dungeons before posting a run (organizers)",
        CommandType::ChatInput,
    )
    .contexts([InteractionContextType::Guild]);
    for n in 1..=MAX_DUNGEONS {
        headcount = headcount.option(
            StringBuilder::new(
                dungeon_option(n),
                "Skip the picker: a dungeon to ask about (leave all empty to pick by category)",
            )
            .autocomplete(true),
        );
    }
    vec![headcount.build()]
}
