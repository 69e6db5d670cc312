//! Quota and points: logging runs, adjustments, quota roles and their schedules, leaderboards.

use service::quota::QuotaError;

use crate::Style;

/// A quota or points refusal, worded for staff.
pub fn refusal(e: &QuotaError, s: Style) -> String {
    use QuotaError as E;
    match e {
        E::UnknownDungeon { code } => crate::unknown_dungeon(s, code),
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
        E::BadTime { text } => format!(
            "{} is not a time: write HH:MM in UTC, e.g. 00:00 or 18:30.",
            s.code(text)
        ),
        E::BadDay { text, what } => format!("{} is not {what}.", s.code(text)),
        E::BadScheduleKind { text } => format!(
            "{} is not a schedule: write weekly, days or monthly.",
            s.code(text)
        ),
        E::StartInFuture => "The current period cannot start in the future.".into(),
        E::StartTooEarly => "The current period cannot start more than a year ago.".into(),
        E::BadStart { text } => format!(
            "{} is not a date: write YYYY-MM-DD HH:MM (UTC) or now.",
            s.code(text)
        ),
        E::NoQuotaRole => "That role has no quota configuration.".into(),
        E::MissingOption { option } => format!("Fill in {}.", s.code(option)),
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

#[cfg(test)]
mod tests {
    use domain::quota::{Points, PointsError};

    use super::*;

    #[test]
    fn a_form_refusal_names_its_field() {
        let why = Points::parse("lots").err().unwrap_or(PointsError::Zero);
        let text = refusal(
            &QuotaError::BadPoints {
                label: Some("Required points".into()),
                why: why.clone(),
            },
            Style::Discord,
        );
        assert_eq!(text, format!("Required points: {why}"));
        let text = refusal(&QuotaError::BadCount { what: "runs" }, Style::Plain);
        assert_eq!(
            text,
            "The number of runs must be between -999 and 999, and not 0."
        );
    }

    #[test]
    fn typed_values_are_backticked_on_discord_only() {
        let e = QuotaError::BadTime {
            text: "25:00".into(),
        };
        assert!(refusal(&e, Style::Discord).starts_with("`25:00` is not a time"));
        assert!(refusal(&e, Style::Plain).starts_with("25:00 is not a time"));
    }
}
