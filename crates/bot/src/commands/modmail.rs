//! Modmail commands: staff replies, closing, and the blacklist (`/modmailblacklist`,
//! `/modmailunblacklist`, the names the spec and the original bot use).

use domain::moderation::{MODMAIL_MESSAGE_MAX, REASON_MAX};
use twilight_model::application::command::{Command, CommandType};
use twilight_model::application::interaction::InteractionContextType;
use twilight_util::builder::command::{
    CommandBuilder, StringBuilder, SubCommandBuilder, UserBuilder,
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
            StringBuilder::new("text", "Your answer")
                .required(true)
                .min_length(1)
                .max_length(MODMAIL_MESSAGE_MAX as u16),
        )
        .build(),
        CommandBuilder::new(
            CommandName::Modmail.as_str(),
            "Modmail tickets",
            CommandType::ChatInput,
        )
        .contexts([InteractionContextType::Guild])
        .option(
            SubCommandBuilder::new("open", "Write to this server's staff (you get answers by DM)")
                .option(
                    StringBuilder::new("message", "Your message for the staff")
                        .required(true)
                        .min_length(1)
                        .max_length(MODMAIL_MESSAGE_MAX as u16),
                ),
        )
        .option(SubCommandBuilder::new("close", "Close a ticket (security)").option(ticket()))
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
        .build(),
        CommandBuilder::new(
            CommandName::ModmailUnblacklist.as_str(),
            "Let a member open modmail tickets again (officer)",
            CommandType::ChatInput,
        )
        .contexts([InteractionContextType::Guild])
        .option(UserBuilder::new("user", "The member").required(true))
        .build(),
    ]
}
