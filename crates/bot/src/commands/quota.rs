//! Quota and points: /configquota, /configpoints, /logrun, /logkey, /addquotapoints,
//! /addpoints, /stats, /leaderboard.

use domain::quota::{Metric, PeriodChoice};
use twilight_model::application::command::{Command, CommandType};
use twilight_model::application::interaction::InteractionContextType;
use twilight_util::builder::command::{
    BooleanBuilder, CommandBuilder, IntegerBuilder, RoleBuilder, StringBuilder, UserBuilder,
};

use super::CommandName;

fn command(name: CommandName, description: &str) -> CommandBuilder {
    CommandBuilder::new(name.as_str(), description, CommandType::ChatInput)
        .contexts([InteractionContextType::Guild])
}

fn dungeon() -> StringBuilder {
    StringBuilder::new("dungeon", "The dungeon")
        .required(true)
        .autocomplete(true)
}

fn points_amount(what: &str) -> StringBuilder {
    StringBuilder::new(
        "amount",
        format!("{what} to add (negative to remove), e.g. 5 or -1.5"),
    )
    .required(true)
    .max_length(10)
}

pub fn definitions() -> Vec<Command> {
    vec![
        command(
            CommandName::ConfigQuota,
            "Configure a quota role (moderators)",
        )
        .option(RoleBuilder::new("role", "The quota role").required(true))
        .build(),
        command(
            CommandName::ConfigPoints,
            "Configure raider points per dungeon (moderators)",
        )
        .build(),
        command(
            CommandName::LogRun,
            "Log runs organized outside the bot (organizers)",
        )
        .option(dungeon())
        .option(
            IntegerBuilder::new("amount", "How many runs (negative to remove)")
                .required(true)
                .min_value(-999)
                .max_value(999),
        )
        .option(UserBuilder::new(
            "member",
            "Whose runs (default: yours; others need Officer)",
        ))
        .build(),
        command(CommandName::LogKey, "Log keys a member popped (organizers)")
            .option(UserBuilder::new("member", "Who popped the keys").required(true))
            .option(dungeon())
            .option(
                IntegerBuilder::new("amount", "How many keys (default 1; negative to remove)")
                    .min_value(-999)
                    .max_value(999),
            )
            .build(),
        command(
            CommandName::AddQuotaPoints,
            "Adjust a member's quota points (officers)",
        )
        .option(UserBuilder::new("member", "The member").required(true))
        .option(points_amount("Quota points"))
        .option(
            StringBuilder::new("reason", "Why (shown in the quota log)")
                .required(true)
                .max_length(200),
        )
        .build(),
        command(
            CommandName::AddPoints,
            "Adjust a member's raider points (officers)",
        )
        .option(UserBuilder::new("member", "The member").required(true))
        .option(points_amount("Raider points"))
        .option(
            StringBuilder::new("reason", "Why (shown in the quota log)")
                .required(true)
                .max_length(200),
        )
        .build(),
        command(CommandName::Stats, "Points, runs and keys of a member")
            .option(UserBuilder::new("member", "Whose stats (default: yours)"))
            .option(BooleanBuilder::new(
                "share",
                "Post the answer for everyone to see",
            ))
            .build(),
        command(CommandName::Leaderboard, "The server's leaderboard")
            .option(
                StringBuilder::new("category", "What to rank by (default: raider points)")
                    .choices(Metric::CATEGORIES.iter().map(|m| (m.label(), m.as_str()))),
            )
            .option(
                StringBuilder::new("period", "Which period (default: current)")
                    .choices(PeriodChoice::ALL.iter().map(|p| (p.label(), p.as_str()))),
            )
            .build(),
    ]
}
