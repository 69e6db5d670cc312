//! Modmail commands: staff replies, closing, and the blacklist (`/modmailblacklist`,
//! `/modmailunblacklist`, the names the spec and the original bot use).

use domain::moderation::{MODMAIL_MESSAGE_MAX, REASON_MAX};
use twilight_model::application::command::{Command, CommandType};
use twilight_model::application::interaction::InteractionContextType;
use twilight_util::builder::command::{
    BooleanBuilder, CommandBuilder, IntegerBuilder, StringBuilder, SubCommandBuilder, UserBuilder,
};

use super::CommandName;

fn ticket() -> StringBuilder {
    StringBuilder::new("ticket", "The ticket id, e.g. MM-7KQ2")
        .required(true)
        .min_length(1)
        .max_length(20)
}

pub fn definitions() -> Vec<Command> {
    vec![
        CommandBuilder::new(
            CommandName::ModmailReply.as_str(),
            "Answer a ticket by DM to the member; or type `!r <reply>` in its thread (security)",
            CommandType::ChatInput,
        )
        .contexts([InteractionContextType::Guild])
        .option(ticket())
        .option(
            StringBuilder::new("text", "Your answer (after the snippet when you pick one)")
                .min_length(1)
                .max_length(MODMAIL_MESSAGE_MAX as u16),
        )
        .option(
            StringBuilder::new("snippet", "A saved answer (see /snippet list)")
                .autocomplete(true)
                .max_length(32),
        )
        .option(BooleanBuilder::new(
            "anonymous",
            "Send it as \"Staff\": the member does not see your name",
        ))
        .build(),
        CommandBuilder::new(
            CommandName::Modmail.as_str(),
            "Modmail tickets",
            CommandType::ChatInput,
        )
        .contexts([InteractionContextType::Guild])
        .option(
            SubCommandBuilder::new(
                "open",
                "Write to this server's staff (you get answers by DM)",
            )
            .option(
                StringBuilder::new("message", "Your message for the staff")
                    .required(true)
                    .min_length(1)
                    .max_length(MODMAIL_MESSAGE_MAX as u16),
            ),
        )
        .option(
            SubCommandBuilder::new("close", "Close a ticket (security)")
                .option(ticket())
                .option(
                    StringBuilder::new(
                        "in",
                        "Close later, e.g. 2h or 1d; the member's next message cancels it",
                    )
                    .max_length(32),
                )
                .option(BooleanBuilder::new(
                    "silent",
                    "Do not tell the member it is closed",
                )),
        )
        .build(),
        CommandBuilder::new(
            CommandName::ModmailBlacklist.as_str(),
            "Stop a member opening modmail tickets here (officer)",
            CommandType::ChatInput,
        )
        .contexts([InteractionContextType::Guild])
        .option(UserBuilder::new("user", "The member").required(true))
        .option(
            StringBuilder::new("reason", "Why (kept for staff)")
                .required(true)
                .min_length(1)
                .max_length(REASON_MAX as u16),
        )
        .option(
            StringBuilder::new(
                "duration",
                "For how long, e.g. 7d or 12h (the member is told when it ends); for good if empty",
            )
            .max_length(32),
        )
        .build(),
        CommandBuilder::new(
            CommandName::ModmailUnblacklist.as_str(),
            "Let a member open modmail tickets again (officer)",
            CommandType::ChatInput,
        )
        .contexts([InteractionContextType::Guild])
        .option(UserBuilder::new("user", "The member").required(true))
        .build(),
        CommandBuilder::new(
            CommandName::Snippet.as_str(),
            "Saved modmail answers for /modmailreply (security)",
            CommandType::ChatInput,
        )
        .contexts([InteractionContextType::Guild])
        .option(
            SubCommandBuilder::new("add", "Save an answer (replaces one of the same name)")
                .option(
                    StringBuilder::new("name", "Its name, e.g. appeal-info")
                        .required(true)
                        .min_length(1)
                        .max_length(32),
                )
                .option(
                    StringBuilder::new("text", "The answer the member gets")
                        .required(true)
                        .min_length(1)
                        .max_length(MODMAIL_MESSAGE_MAX as u16),
                ),
        )
        .option(
            SubCommandBuilder::new("remove", "Delete a saved answer").option(
                StringBuilder::new("name", "The snippet")
                    .required(true)
                    .autocomplete(true)
                    .max_length(32),
            ),
        )
        .option(SubCommandBuilder::new("list", "Show the saved answers"))
        .build(),
        CommandBuilder::new(
            CommandName::ModmailStats.as_str(),
            "Modmail figures: first-response time and tickets per staff member (security)",
            CommandType::ChatInput,
        )
        .contexts([InteractionContextType::Guild])
        .option(
            IntegerBuilder::new("days", "The period, in days back from now (default 7)")
                .min_value(1)
                .max_value(365),
        )
        .build(),
    ]
}
