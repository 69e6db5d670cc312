//! Party finder: posting, extending and closing parties.

use domain::party::{MAX_LIFETIME_MINUTES, PER_HOUR};
use service::party::{CloseReason, PartyError};

use crate::{Style, sentence};

/// Why a party use case refused. On Discord it speaks to the member who acted; in plain
/// style (an API client acting for a member, the dashboard) about "the member".
pub fn refusal(e: &PartyError, s: Style) -> String {
    let text = match e {
        PartyError::NotFound { party_id } => {
            format!("Party #{party_id} does not exist in this server.")
        }
        PartyError::AlreadyClosed {
            closed_at,
            reason,
            by,
        } => {
            let when = closed_at
                .map(|t| format!(" {}", s.relative(t)))
                .unwrap_or_default();
            let how = match (reason, by) {
                (Some(CloseReason::Auto), _) => " when its time ran out".to_owned(),
                (_, Some(by)) => format!(" by {}", s.member(*by)),
                _ => String::new(),
            };
            format!("This party was already closed{when}{how}.")
        }
        PartyError::OwnerRequired => "A party belongs to a member; act as one.".into(),
        PartyError::ChannelNotConfigured => format!(
            "This server has no party finder channel yet: an administrator can set one with /setchannels ({}).",
            s.code("party_finder")
        ),
        PartyError::OpenExists { open } => {
            let who = match s {
                Style::Discord => "You already have",
                Style::Plain => "The member already has",
            };
            match open {
                Some((name, closes_at)) => format!(
                    "{who} an open party, {} (it closes {}). Close it before posting another.",
                    s.bold(name),
                    s.relative(*closes_at)
                ),
                None => format!("{who} an open party. Close it before posting another."),
            }
        }
        PartyError::RateLimited { again } => match s {
            Style::Discord => format!(
                "You can post at most {PER_HOUR} parties per hour. You can post again {}.",
                s.relative(*again)
            ),
            Style::Plain => format!(
                "A member can post at most {PER_HOUR} parties per hour. The next is possible {}.",
                s.relative(*again)
            ),
        },
        PartyError::NotOwner => "Only the member who posted this party can extend it.".into(),
        PartyError::MayNotClose => {
            "Only the member who posted this party, or a moderator, can close it.".into()
        }
        PartyError::MaxLifetime { closes_at } => format!(
            "A party stays open at most {} hours; this one already closes at its latest, {}.",
            MAX_LIFETIME_MINUTES / 60,
            match s {
                Style::Discord => s.relative(*closes_at),
                Style::Plain => s.time(*closes_at),
            }
        ),
        PartyError::BadText(why) => why.to_string(),
    };
    sentence(s, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{at, user};

    #[test]
    fn refusals_name_the_open_party_and_when_to_try_again() {
        let open = Some(("Chill Fungal".to_owned(), at()));
        let text = refusal(
            &PartyError::OpenExists { open: open.clone() },
            Style::Discord,
        );
        assert!(text.contains("**Chill Fungal**"), "{text}");
        let text = refusal(&PartyError::OpenExists { open }, Style::Plain);
        assert!(
            text.contains("open party, Chill Fungal (it closes at 2027-01-15T08:00:00Z)"),
            "{text}"
        );
        let text = refusal(&PartyError::RateLimited { again: at() }, Style::Discord);
        assert!(
            text.contains("You can post again <t:1800000000:R>"),
            "{text}"
        );
        let text = refusal(&PartyError::RateLimited { again: at() }, Style::Plain);
        assert!(
            text.ends_with("The next is possible at 2027-01-15T08:00:00Z."),
            "{text}"
        );
        let text = refusal(&PartyError::MaxLifetime { closes_at: at() }, Style::Discord);
        assert!(text.contains("at most 6 hours"), "{text}");
        let closed = PartyError::AlreadyClosed {
            closed_at: Some(at()),
            reason: None,
            by: Some(user(42)),
        };
        let text = refusal(&closed, Style::Discord);
        assert!(text.starts_with("This party was already closed"), "{text}");
        assert!(text.ends_with("by <@42>."), "{text}");
        assert_eq!(
            refusal(&closed, Style::Plain),
            "This party was already closed at 2027-01-15T08:00:00Z by member 42."
        );
    }
}
