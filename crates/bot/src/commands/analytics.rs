//! Raid statistics: /raidstats.

use domain::analytics::StatsPeriod;
use twilight_model::application::command::{Command, CommandType};
use twilight_model::application::interaction::InteractionContextType;
use twilight_util::builder::command::{CommandBuilder, StringBuilder};

use super::CommandName;
use crate::views::analytics::period_label;

pub fn definitions() -> Vec<Command> {
    vec![
        CommandBuilder::new(
            CommandName::RaidStats.as_str(),
            "Runs per week, how runs end, length and attendance, as a chart (organizers)",
            CommandType::ChatInput,
        )
        .contexts([InteractionContextType::Guild])
        .option(
            StringBuilder::new("period", "How far back (default: 12 weeks)").choices(
                StatsPeriod::ALL
                    .iter()
                    .map(|p| (period_label(*p), p.as_str())),
            ),
        )
        .option(
            StringBuilder::new("dungeon", "Only this dungeon (default: all)").autocomplete(true),
        )
        .build(),
    ]
}
