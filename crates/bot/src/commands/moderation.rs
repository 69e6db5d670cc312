//! Moderation commands: punishments, notes and /find.

use domain::moderation::{BAN_DELETE_DAYS_MAX, NOTE_MAX, REASON_MAX};
use twilight_model::application::command::{Command, CommandType};
use twilight_model::application::interaction::InteractionContextType;
use twilight_util::builder::command::{CommandBuilder, IntegerBuilder, StringBuilder, UserBuilder};

use super::CommandName;

fn command(name: CommandName, description: &str) -> CommandBuilder {
    CommandBuilder::new(name.as_str(), description, CommandType::ChatInput)
        .contexts([InteractionContextType::Guild])
}

fn member() -> UserBuilder {
    UserBuilder::new("member", "The member").required(true)
}

fn reason() -> StringBuilder {
    StringBuilder::new("reason", "Why (the member is told)")
        .required(true)
        .min_length(1)
        .max_length(REASON_MAX as u16)
}

fn duration() -> StringBuilder {
    StringBuilder::new(
        "duration",
        "How long: 30m, 5h, 2d, 1d12h (1 minute to 30 days)",
    )
    .required(true)
    .min_length(1)
    .max_length(32)
}

fn delete_days() -> IntegerBuilder {
    IntegerBuilder::new("delete_days", "Days of their messages to delete (0-7)")
        .min_value(0)
        .max_value(BAN_DELETE_DAYS_MAX)
}

pub fn definitions() -> Vec<Command> {
    vec![
        command(
            CommandName::Warn,
            "Record a warning for a member (security)",
        )
        .option(member())
        .option(reason())
        .build(),
        command(
            CommandName::Suspend,
            "Suspend a member from runs for a while (security)",
        )
        .option(member())
        .option(duration())
        .option(reason())
        .build(),
        command(CommandName::Mute, "Mute a member for a while (security)")
            .option(member())
            .option(duration())
            .option(reason())
            .build(),
        command(
            CommandName::Unsuspend,
            "End a member's suspension early (security)",
        )
        .option(member())
        .option(reason())
        .build(),
        command(CommandName::Unmute, "End a member's mute early (security)")
            .option(member())
            .option(reason())
            .build(),
        command(
            CommandName::RemovePunishment,
            "Deactivate a punishment by its id; it stays in history (security)",
        )
        .option(
            StringBuilder::new("id", "The punishment id, e.g. P-4K7Q2 (see /find)")
                .required(true)
                .min_length(1)
                .max_length(20),
        )
        .option(reason())
        .build(),
        command(
            CommandName::Kick,
            "Kick a member; they are told why first (officer)",
        )
        .option(member())
        .option(reason())
        .build(),
        command(
            CommandName::Ban,
            "Ban a member; they are told why first (officer)",
        )
        .option(member())
        .option(reason())
        .option(delete_days())
        .build(),
        command(
            CommandName::Softban,
            "Ban and unban at once to delete a member's recent messages (officer)",
        )
        .option(member())
        .option(reason())
        .option(delete_days())
        .build(),
        command(CommandName::Unban, "Lift a ban (officer)")
            .option(UserBuilder::new("user", "The banned user (or their id)").required(true))
            .option(reason())
            .build(),
        command(
            CommandName::Find,
            "A member's info, punishments and notes (security; only you see it)",
        )
        .option(member())
        .build(),
        command(
            CommandName::AddNote,
            "Add a staff-only note about a member (security)",
        )
        .option(member())
        .option(
            StringBuilder::new("text", "The note (staff only, never shown to the member)")
                .required(true)
                .min_length(1)
                .max_length(NOTE_MAX as u16),
        )
        .build(),
        command(
            CommandName::RemoveNote,
            "Remove a staff note by its number (officer)",
        )
        .option(
            IntegerBuilder::new("note", "The note's number, as /find shows it")
                .required(true)
                .min_value(1),
        )
        .build(),
        command(
            CommandName::EditPunishment,
            "Change a running punishment's length or reason (its issuer, or an officer)",
        )
        .option(
            StringBuilder::new("id", "The punishment id, e.g. P-4K7Q2 (see /find)")
                .required(true)
                .min_length(1)
                .max_length(20),
        )
        .option(
            StringBuilder::new(
                "duration",
                "New total length from when it was given: 30m, 5h, 2d, 1d12h",
            )
            .min_length(1)
            .max_length(32),
        )
        .option(
            StringBuilder::new("reason", "New reason (the member is told)")
                .min_length(1)
                .max_length(REASON_MAX as u16),
        )
        .build(),
        command(
            CommandName::MassSuspend,
            "Suspend up to 50 members at once; a report per member (officer)",
        )
        .option(members())
        .option(duration())
        .option(reason())
        .build(),
        command(
            CommandName::MassWarn,
            "Warn up to 50 members at once; a report per member (officer)",
        )
        .option(members())
        .option(reason())
        .build(),
        command(
            CommandName::ConfigEscalation,
            "Escalation rules and warning expiry; no options lists them (administrator)",
        )
        .option(
            StringBuilder::new("when", "Add a rule counting these punishments").choices([
                ("warnings", "warn"),
                ("suspensions", "suspend"),
                ("mutes", "mute"),
            ]),
        )
        .option(
            IntegerBuilder::new("count", "How many reach the rule")
                .min_value(1)
                .max_value(20),
        )
        .option(
            IntegerBuilder::new("within_days", "Counted within this many days")
                .min_value(1)
                .max_value(365),
        )
        .option(StringBuilder::new("then", "What the rule does").choices([
            ("suspend", "suspend"),
            ("mute", "mute"),
            ("tell officers", "notify"),
        ]))
        .option(
            StringBuilder::new("duration", "For suspend or mute: 30m, 5h, 2d")
                .min_length(1)
                .max_length(32),
        )
        .option(IntegerBuilder::new("remove", "Remove the rule with this number").min_value(1))
        .option(
            IntegerBuilder::new(
                "warning_expiry_days",
                "Warnings older than this stop counting (0: never expire)",
            )
            .min_value(0)
            .max_value(365),
        )
        .build(),
    ]
}

fn members() -> StringBuilder {
    StringBuilder::new(
        "members",
        "Mentions, user ids or in-game names, separated by spaces or commas (up to 50)",
    )
    .required(true)
    .min_length(1)
    .max_length(4000)
}
