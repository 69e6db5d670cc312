//! Modmail: tickets, replies, snippets and the blacklist.

use service::modmail::ModmailError;

use crate::{Style, sentence};

/// A modmail refusal, worded for staff (or the member, in DMs).
pub fn refusal(e: &ModmailError, s: Style) -> String {
    use ModmailError as E;
    let text = match e {
        E::BadTicketCode { text } => format!(
            "{} is not a ticket id: they look like {}.",
            s.code(text),
            s.code("MM-7KQ2")
        ),
        E::NoSuchTicket { code } => format!("There is no ticket {} in this server.", s.code(code)),
        E::TicketGone => "That ticket is gone.".into(),
        E::ClosedToReplies { code } => format!(
            "{} is closed; the member can open a new ticket by DM.",
            s.code(code)
        ),
        E::AlreadyClosed { code } => format!("{} is already closed.", s.code(code)),
        E::DuplicateReply => "This message was already sent to the member.".into(),
        E::BadDuration(why) => why.to_string(),
        E::SelfBlacklist => "You cannot blacklist yourself.".into(),
        E::AlreadyBlacklisted { user } => {
            format!("{} is already blacklisted from modmail.", s.member(*user))
        }
        E::NotBlacklisted { user } => {
            format!("{} is not blacklisted from modmail.", s.member(*user))
        }
        E::BadStatus { status } => format!(
            "{} must be open or closed, not {}.",
            s.code("status"),
            s.code(status)
        ),
        E::BadSnippetName { text } => format!(
            "{} is not a snippet name: use 1 to 32 letters, digits, {} or {}, e.g. {}.",
            s.code(text),
            s.code("-"),
            s.code("_"),
            s.code("appeal-info")
        ),
        E::NoSuchSnippetForReply { name } => format!(
            "There is no snippet {}; {} shows them.",
            s.code(name),
            s.code("/snippet list")
        ),
        E::NoSuchSnippet { name } => format!("There is no snippet {}.", s.code(name)),
        E::TooManySnippets => format!(
            "This server has {} snippets; remove one first.",
            service::modmail::SNIPPETS_MAX
        ),
        E::BadDays { days } => format!(
            "{} must be from 1 to {}, not {days}.",
            s.code("days"),
            service::modmail::STATS_DAYS_MAX
        ),
        E::MemberRequired => format!("Pick a member for {}.", s.code("user")),
        E::UnknownSubcommand { hint } => format!("Use {hint}."),
        E::ServerRequired => "Pick a server.".into(),
        E::NotYourConversation => "This is someone else's modmail conversation.".into(),
    };
    sentence(s, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::user;

    #[test]
    fn a_blacklist_refusal_mentions_on_discord_and_names_the_id_in_plain() {
        let e = ModmailError::AlreadyBlacklisted { user: user(42) };
        assert_eq!(
            refusal(&e, Style::Discord),
            "<@42> is already blacklisted from modmail."
        );
        assert_eq!(
            refusal(&e, Style::Plain),
            "Member 42 is already blacklisted from modmail."
        );
        let e = ModmailError::BadTicketCode { text: "x".into() };
        assert_eq!(
            refusal(&e, Style::Discord),
            "`x` is not a ticket id: they look like `MM-7KQ2`."
        );
        assert_eq!(
            refusal(&e, Style::Plain),
            "x is not a ticket id: they look like MM-7KQ2."
        );
    }
}
