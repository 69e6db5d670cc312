//! /schedule, /reschedule and /schedulesettings.

use domain::limits::DESCRIPTION_MAX;
use domain::schedule::MAX_REMINDER_MINUTES;
use twilight_model::application::command::{Command, CommandType};
use twilight_model::application::interaction::InteractionContextType;
use twilight_util::builder::command::{CommandBuilder, IntegerBuilder, StringBuilder};

use super::CommandName;

const WHEN_HELP: &str =
    "A Discord timestamp, `in 2h`, `in 90m`, `sat 20:00` or `2026-12-24 20:00` (server time)";

pub fn definitions() -> Vec<Command> {
    let schedule = CommandBuilder::new(
        CommandName::Schedule.as_str(),
        "Announce a raid for later: members sign up, get reminded, and the run opens by itself (organizers)",
        CommandType::ChatInput,
    )
    .contexts([InteractionContextType::Guild])
    .option(
        StringBuilder::new("dungeon", "The dungeon to run")
            .required(true)
            .autocomplete(true),
    )
    .option(StringBuilder::new("when", WHEN_HELP).required(true).max_length(100))
    .option(
        StringBuilder::new("description", "Anything raiders should know")
            .max_length(DESCRIPTION_MAX as u16),
    )
    .option(
        IntegerBuilder::new("cap", "At most this many raiders join the run")
            .min_value(1)
            .max_value(1000),
    );
    let reschedule = CommandBuilder::new(
        CommandName::Reschedule.as_str(),
        "Move one of your scheduled raids to another time (organizers)",
        CommandType::ChatInput,
    )
    .contexts([InteractionContextType::Guild])
    .option(
        IntegerBuilder::new(
            "id",
            "The scheduled raid's number (its announcement's footer)",
        )
        .required(true)
        .min_value(1),
    )
    .option(
        StringBuilder::new("when", WHEN_HELP)
            .required(true)
            .max_length(100),
    );
    let settings = CommandBuilder::new(
        CommandName::ScheduleSettings.as_str(),
        "The server's time zone for /schedule and the reminder's lead time (administrators)",
        CommandType::ChatInput,
    )
    .contexts([InteractionContextType::Guild])
    .option(
        StringBuilder::new(
            "time_zone",
            "An IANA time zone name like Europe/Berlin or America/New_York (default UTC)",
        )
        .max_length(64),
    )
    .option(
        IntegerBuilder::new(
            "reminder_minutes",
            "Minutes before the start the signed-up members are pinged (default 15)",
        )
        .min_value(0)
        .max_value(i64::from(MAX_REMINDER_MINUTES)),
    );
    vec![schedule.build(), reschedule.build(), settings.build()]
}
