//! Modmail commands: staff replies, closing, and the blacklist.

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
            "Answer a modmail ticket; the member gets it by DM (security)",
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
            "Modmail tickets and blacklist",
            CommandType::ChatInput,
        )
        .contexts([InteractionContextType::Guild])
        .option(SubCommandBuilder::new("close", "Close a ticket (security)").option(ticket()))
        .option(
            SubCommandBuilder::new("blacklist", "Stop a member opening tickets (officer)")
                .option(UserBuilder::new("member", "The member").required(true))
                .option(
                    StringBuilder::new("reason", "Why (kept for staff)")
                        .required(true)
                        .min_length(1)
                        .max_length(REASON_MAX as u16),
                ),
        )
        .option(
            SubCommandBuilder::new("unblacklist", "Let a member open tickets again (officer)")
                .option(UserBuilder::new("member", "The member").required(true)),
        )
        .build(),
    ]
}
