//! Typed refusals of moderation, modmail, quota and settings use cases, worded for an API
//! client. The codes are the service's (`ServiceError::code`); the words match the
//! bot's (`bot::views::<feature>::refusal`), so a client reads what staff read.

use domain::moderation::{BAN_DELETE_DAYS_MAX, PunishmentKind};
use service::config::SettingsError;
use service::moderation::{ModerationError, PunishmentStatus};
use service::modmail::ModmailError;
use service::quota::QuotaError;

/// A moderation refusal.
pub fn moderation(e: &ModerationError) -> String {
    use ModerationError as E;
    let undo = |kind: PunishmentKind| {
        if kind == PunishmentKind::Mute {
            "/unmute"
        } else {
            "/unsuspend"
        }
    };
    match e {
        E::Hierarchy(why) => why.to_string(),
        E::EmptyText { field } => format!("{field} is empty: write one."),
        E::TextTooLong { field, len, max } => {
            format!("{field} is too long: {len} characters, at most {max}.")
        }
        E::RoleNotConfigured { key } => format!(
            "This server has no `{}` role yet: an administrator can create it with /createrole or map one with /setroles.",
            key.as_str()
        ),
        E::DurationRequired => "A duration is required, e.g. `30m`, `2d` or `1d12h`.".into(),
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
                .map(|t| format!(" until <t:{}:F>", t.timestamp()))
                .unwrap_or_default();
            format!(
                "<@{user}> is already {} (`{code}`{until}). Use {} first to give a new one.",
                kind.done(),
                undo(*kind)
            )
        }
        E::AlreadyPunished {
            user,
            kind,
            running: None,
        } => format!(
            "<@{user}> is already {}. Use {} first to give a new one.",
            kind.done(),
            undo(*kind)
        ),
        E::BatchConflict => "Try again.".into(),
        E::NoSuchPunishmentId { punishment_id } => {
            format!("Punishment #{punishment_id} does not exist.")
        }
        E::BadPunishmentCode { text } => {
            format!("`{text}` is not a punishment id: they look like `P-4K7Q2` (see /find).")
        }
        E::NoSuchPunishment { code } => format!("There is no punishment `{code}` in this server."),
        E::NotPunished { user, kind } => format!("<@{user}> is not {} right now.", kind.done()),
        E::MayNotRemove => "Security staff can remove warnings and the punishments they gave; an officer can remove any.".into(),
        E::NotActiveToRemove { code, status } => {
            let how = match status {
                PunishmentStatus::Expired => "expired",
                PunishmentStatus::Lifted => "was already lifted",
                _ => "was already removed",
            };
            format!("`{code}` {how}; nothing to remove.")
        }
        E::NotActiveToEdit { code, status } => format!(
            "`{code}` is {}; only a running punishment can be edited.",
            status.as_str()
        ),
        E::NothingToEdit => "Give a new duration, a new reason, or both.".into(),
        E::MayNotEdit => {
            "Only the staff member who gave a punishment, or an officer, can edit it.".into()
        }
        E::DurationNotAllowed { code, kind } => format!(
            "`{code}` is a {}: it has no duration. Only suspensions and mutes do.",
            kind.as_str()
        ),
        E::EditAlreadyOver {
            code,
            kind,
            given,
            duration,
        } => format!(
            "`{code}` was given <t:{}:R>, so {duration} from then is already over. Use {} to end it now.",
            given.timestamp(),
            undo(*kind)
        ),
        E::NoSuchNote { note_id } => format!("There is no note #{note_id} in this server."),
        E::NoteRemoved { note_id } => format!("Note #{note_id} was already removed."),
        E::NoteGone { note_id } => format!("There is no note #{note_id}."),
        E::BadMemberList(why) => why.to_string(),
        E::UnknownIgn { name } => format!("Nobody in this server has the in-game name `{name}`."),
        E::NamedTwice { user } => format!("<@{user}> is already in this list."),
        E::BadTrigger => "A rule counts warnings, suspensions or mutes.".into(),
        E::BadCount => "The count must be 1 to 20.".into(),
        E::BadWindow => "The window must be 1 to 365 days.".into(),
        E::BadAction => "A rule can suspend, mute or notify.".into(),
        E::RuleDurationNotAllowed => "A rule that tells officers takes no duration.".into(),
        E::RuleDurationRequired => {
            "A rule that suspends or mutes needs a duration, e.g. `2d`.".into()
        }
        E::TooManyRules => format!(
            "A server keeps at most {} rules; remove one first.",
            service::escalation::RULES_MAX
        ),
        E::NoSuchRule { rule_id } => format!("There is no rule #{rule_id} in force in this server."),
        E::BadWarnExpiry => "Warnings expire after 1 to 365 days (0: never).".into(),
        E::MemberRequired { option } => format!("Pick a member for `{option}`."),
        E::BadNoteNumber => "Give the note's number as /find shows it (e.g. 12).".into(),
        E::BadMemberId(why) => why.to_string(),
    }
}

/// A modmail refusal.
pub fn modmail(e: &ModmailError) -> String {
    use ModmailError as E;
    match e {
        E::BadTicketCode { text } => {
            format!("`{text}` is not a ticket id: they look like `MM-7KQ2`.")
        }
        E::NoSuchTicket { code } => format!("There is no ticket `{code}` in this server."),
        E::TicketGone => "That ticket is gone.".into(),
        E::ClosedToReplies { code } => {
            format!("`{code}` is closed; the member can open a new ticket by DM.")
        }
        E::AlreadyClosed { code } => format!("`{code}` is already closed."),
        E::DuplicateReply => "This message was already sent to the member.".into(),
        E::BadDuration(why) => why.to_string(),
        E::SelfBlacklist => "You cannot blacklist yourself.".into(),
        E::AlreadyBlacklisted { user } => format!("<@{user}> is already blacklisted from modmail."),
        E::NotBlacklisted { user } => format!("<@{user}> is not blacklisted from modmail."),
        E::BadStatus { status } => format!("`status` must be open or closed, not `{status}`."),
        E::BadSnippetName { text } => format!(
            "`{text}` is not a snippet name: use 1 to 32 letters, digits, `-` or `_`, e.g. `appeal-info`."
        ),
        E::NoSuchSnippetForReply { name } => {
            format!("There is no snippet `{name}`; `/snippet list` shows them.")
        }
        E::NoSuchSnippet { name } => format!("There is no snippet `{name}`."),
        E::TooManySnippets => format!(
            "This server has {} snippets; remove one first.",
            service::modmail::SNIPPETS_MAX
        ),
        E::BadDays { days } => format!(
            "`days` must be from 1 to {}, not {days}.",
            service::modmail::STATS_DAYS_MAX
        ),
        E::MemberRequired => "Pick a member for `user`.".into(),
        E::UnknownSubcommand { hint } => format!("Use {hint}."),
        E::ServerRequired => "Pick a server.".into(),
        E::NotYourConversation => "This is someone else's modmail conversation.".into(),
    }
}

/// A quota or points refusal.
pub fn quota(e: &QuotaError) -> String {
    use QuotaError as E;
    match e {
        E::UnknownDungeon { code } => {
            format!("`{code}` is not a dungeon raidbot knows; pick one from the list.")
        }
        E::BadCount { what } => format!(
            "The number of {what} must be between -{max} and {max}, and not 0.",
            max = service::quota::LOG_AMOUNT_MAX
        ),
        E::MemberRequired => "Say whose runs to log (member).".into(),
        E::MayNotLogForOthers => "You can log runs for yourself; logging them for another member needs Officer (or higher).".into(),
        E::BadPoints { label: None, why } => why.to_string(),
        E::BadPoints {
            label: Some(label),
            why,
        } => format!("{label}: {why}"),
        E::BadReason(why) => why.to_string(),
        E::ReasonRequired => "Give a reason for the adjustment.".into(),
        E::BadSchedule(why) => why.to_string(),
        E::BadTime { text } => {
            format!("`{text}` is not a time: write HH:MM in UTC, e.g. 00:00 or 18:30.")
        }
        E::BadDay { text, what } => format!("`{text}` is not {what}."),
        E::BadScheduleKind { text } => {
            format!("`{text}` is not a schedule: write weekly, days or monthly.")
        }
        E::StartInFuture => "The current period cannot start in the future.".into(),
        E::StartTooEarly => "The current period cannot start more than a year ago.".into(),
        E::BadStart { text } => {
            format!("`{text}` is not a date: write YYYY-MM-DD HH:MM (UTC) or now.")
        }
        E::NoQuotaRole => "That role has no quota configuration.".into(),
        E::MissingOption { option } => format!("Fill in `{option}`."),
        E::RoleRequired => "Pick a role.".into(),
        E::BadId(why) => why.to_string(),
        E::UnknownCategory { menu: false } => "Pick a category from the list.".into(),
        E::UnknownCategory { menu: true } => "Pick a category from the menu.".into(),
        E::UnknownPeriod => "Pick a period from the list.".into(),
        E::UnknownDungeonChoice => "Pick a dungeon from the menu.".into(),
        E::UnknownButton => "This button is not known to this version of raidbot.".into(),
        E::UnknownForm => "This form is not known to this version of raidbot.".into(),
    }
}

/// A settings refusal.
pub fn settings(e: &SettingsError) -> String {
    match e {
        SettingsError::AutoEndOutOfRange => {
            "Runs can end by themselves after 1 minute to 24 hours (1440 minutes).".into()
        }
        SettingsError::BadAutoEnd => "That is not a number of minutes.".into(),
        SettingsError::BadId(why) => why.to_string(),
        SettingsError::UnknownRoleKey { text } => format!("`{text}` is not a role key."),
        SettingsError::UnknownChannelKey { text } => format!("`{text}` is not a channel key."),
        SettingsError::WrongChannelType { key, channel } => format!(
            "<#{channel}> cannot be the `{}` channel: it must be {}. Nothing was changed.",
            key.as_str(),
            key.kind().label()
        ),
    }
}
