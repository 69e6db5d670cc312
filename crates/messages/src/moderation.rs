//! Moderation: punishments, notes, mass actions, escalation rules, and the suspension that
//! keeps a member from raiding.

use chrono::{DateTime, Utc};
use domain::Snowflake;
use domain::moderation::{BAN_DELETE_DAYS_MAX, PunishmentKind};
use service::moderation::{ModerationError, PunishmentStatus};

use crate::{Style, sentence};

/// A suspended member tried to raid (join, bench, class, reactions, headcounts, parties).
/// `own`: the reader is that member.
pub fn suspended(style: Style, own: bool, user: Snowflake, until: DateTime<Utc>) -> String {
    let who = if own {
        "You are".to_owned()
    } else {
        format!("{} is", style.member(user))
    };
    let until = match style {
        Style::Discord => format!("{} ({})", style.time(until), style.relative(until)),
        Style::Plain => style.time(until),
    };
    sentence(
        style,
        format!(
            "{who} suspended until {until}, and cannot join runs, react to them, answer headcounts or post parties until then."
        ),
    )
}

/// The command that ends a running punishment of this kind.
fn undo(kind: PunishmentKind) -> &'static str {
    if kind == PunishmentKind::Mute {
        "/unmute"
    } else {
        "/unsuspend"
    }
}

/// A moderation refusal, worded for staff.
pub fn refusal(e: &ModerationError, s: Style) -> String {
    use ModerationError as E;
    let text = match e {
        E::Hierarchy(why) => why.to_string(),
        E::EmptyText { field } => format!("{field} is empty: write one."),
        E::TextTooLong { field, len, max } => {
            format!("{field} is too long: {len} characters, at most {max}.")
        }
        E::RoleNotConfigured { key } => format!(
            "This server has no {} role yet: an administrator can create it with /createrole or map one with /setroles.",
            s.code(key.as_str())
        ),
        E::DurationRequired => format!(
            "A duration is required, e.g. {}, {} or {}.",
            s.code("30m"),
            s.code("2d"),
            s.code("1d12h")
        ),
        E::BadDuration(why) => why.to_string(),
        E::BadDeleteDays => {
            format!("Days of messages to delete must be 0 to {BAN_DELETE_DAYS_MAX}.")
        }
        E::AlreadyPunished {
            user,
            kind,
            running: Some((code, until)),
        } => {
            let until = until
                .map(|t| format!(" until {}", s.time_full(t)))
                .unwrap_or_default();
            format!(
                "{} is already {} ({}{until}). Use {} first to give a new one.",
                s.member(*user),
                kind.done(),
                s.code(code),
                undo(*kind)
            )
        }
        E::AlreadyPunished {
            user,
            kind,
            running: None,
        } => format!(
            "{} is already {}. Use {} first to give a new one.",
            s.member(*user),
            kind.done(),
            undo(*kind)
        ),
        E::BatchConflict => "Try again.".into(),
        E::NoSuchPunishmentId { punishment_id } => {
            format!("Punishment #{punishment_id} does not exist.")
        }
        E::BadPunishmentCode { text } => format!(
            "{} is not a punishment id: they look like {} (see /find).",
            s.code(text),
            s.code("P-4K7Q2")
        ),
        E::NoSuchPunishment { code } => {
            format!("There is no punishment {} in this server.", s.code(code))
        }
        E::NotPunished { user, kind } => {
            format!("{} is not {} right now.", s.member(*user), kind.done())
        }
        E::MayNotRemove => "Security staff can remove warnings and the punishments they gave; an officer can remove any.".into(),
        E::NotActiveToRemove { code, status } => {
            let how = match status {
                PunishmentStatus::Expired => "expired",
                PunishmentStatus::Lifted => "was already lifted",
                _ => "was already removed",
            };
            format!("{} {how}; nothing to remove.", s.code(code))
        }
        E::NotActiveToEdit { code, status } => format!(
            "{} is {}; only a running punishment can be edited.",
            s.code(code),
            status.as_str()
        ),
        E::NothingToEdit => "Give a new duration, a new reason, or both.".into(),
        E::MayNotEdit => {
            "Only the staff member who gave a punishment, or an officer, can edit it.".into()
        }
        E::DurationNotAllowed { code, kind } => format!(
            "{} is a {}: it has no duration. Only suspensions and mutes do.",
            s.code(code),
            kind.as_str()
        ),
        E::EditAlreadyOver {
            code,
            kind,
            given,
            duration,
        } => format!(
            "{} was given {}, so {duration} from then is already over. Use {} to end it now.",
            s.code(code),
            s.relative(*given),
            undo(*kind)
        ),
        E::NoSuchNote { note_id } => format!("There is no note #{note_id} in this server."),
        E::NoteRemoved { note_id } => format!("Note #{note_id} was already removed."),
        E::NoteGone { note_id } => format!("There is no note #{note_id}."),
        E::BadMemberList(why) => why.to_string(),
        E::UnknownIgn { name } => {
            format!("Nobody in this server has the in-game name {}.", s.code(name))
        }
        E::NamedTwice { user } => format!("{} is already in this list.", s.member(*user)),
        E::BadTrigger => "A rule counts warnings, suspensions or mutes.".into(),
        E::BadCount => "The count must be 1 to 20.".into(),
        E::BadWindow => "The window must be 1 to 365 days.".into(),
        E::BadAction => "A rule can suspend, mute or notify.".into(),
        E::RuleDurationNotAllowed => "A rule that tells officers takes no duration.".into(),
        E::RuleDurationRequired => format!(
            "A rule that suspends or mutes needs a duration, e.g. {}.",
            s.code("2d")
        ),
        E::TooManyRules => format!(
            "A server keeps at most {} rules; remove one first.",
            service::escalation::RULES_MAX
        ),
        E::NoSuchRule { rule_id } => {
            format!("There is no rule #{rule_id} in force in this server.")
        }
        E::BadWarnExpiry => "Warnings expire after 1 to 365 days (0: never).".into(),
        E::MemberRequired { option } => format!("Pick a member for {}.", s.code(option)),
        E::BadNoteNumber => "Give the note's number as /find shows it (e.g. 12).".into(),
        E::BadMemberId(why) => why.to_string(),
    };
    sentence(s, text)
}

#[cfg(test)]
mod tests {
    use domain::RoleKey;
    use domain::moderation::{HierarchyRefusal, PunishDuration};

    use super::*;
    use crate::testing::{at, user};

    fn already_muted() -> ModerationError {
        ModerationError::AlreadyPunished {
            user: user(42),
            kind: PunishmentKind::Mute,
            running: Some(("P-4K7Q2".into(), Some(at()))),
        }
    }

    #[test]
    fn discord_refusals_mention_and_say_what_to_do_next() {
        let d = Style::Discord;
        let text = refusal(
            &ModerationError::RoleNotConfigured {
                key: RoleKey::Suspended,
            },
            d,
        );
        assert!(text.contains("/createrole"), "{text}");
        let text = refusal(&ModerationError::DurationRequired, d);
        assert!(text.contains("`30m`"), "{text}");
        assert_eq!(
            refusal(&already_muted(), d),
            "<@42> is already muted (`P-4K7Q2` until <t:1800000000:F>). Use /unmute first to give a new one."
        );
        let over = ModerationError::EditAlreadyOver {
            code: "P-4K7Q2".into(),
            kind: PunishmentKind::Suspend,
            given: at(),
            duration: PunishDuration::from_minutes(60).unwrap_or_else(|_| unreachable!()),
        };
        let text = refusal(&over, d);
        assert!(text.contains("given <t:1800000000:R>"), "{text}");
        assert!(text.contains("/unsuspend"), "{text}");
        let text = refusal(
            &ModerationError::NotActiveToRemove {
                code: "P-4K7Q2".into(),
                status: PunishmentStatus::Lifted,
            },
            d,
        );
        assert_eq!(text, "`P-4K7Q2` was already lifted; nothing to remove.");
        let text = refusal(&ModerationError::Hierarchy(HierarchyRefusal::SelfTarget), d);
        assert_eq!(text, "You cannot do this to yourself.");
    }

    #[test]
    fn plain_refusals_name_members_by_id_and_times_in_utc() {
        let p = Style::Plain;
        assert_eq!(
            refusal(&already_muted(), p),
            "Member 42 is already muted (P-4K7Q2 until 2027-01-15T08:00:00Z). Use /unmute first to give a new one."
        );
        let text = refusal(&ModerationError::DurationRequired, p);
        assert_eq!(text, "A duration is required, e.g. 30m, 2d or 1d12h.");
        let text = refusal(
            &ModerationError::NotPunished {
                user: user(7),
                kind: PunishmentKind::Suspend,
            },
            p,
        );
        assert_eq!(text, "Member 7 is not suspended right now.");
    }
}
