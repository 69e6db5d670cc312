//! Scheduled raids (`/schedule`) and the schedule settings.

use domain::schedule::{MAX_AHEAD_DAYS, MAX_REMINDER_MINUTES, WhenError};
use service::runs::MAX_RAIDER_CAP;
use service::schedule::ScheduleError;

use crate::Style;

/// Why a scheduled raid or the schedule settings refused.
pub fn refusal(e: &ScheduleError, s: Style) -> String {
    use ScheduleError as E;
    match e {
        E::BadWhen(WhenError::Empty | WhenError::Unrecognized) => format!(
            "Say when like {}, {}, {}, {} or {} (local times are in the server's time zone).",
            s.code("<t:1767225600:F>"),
            s.code("in 2h"),
            s.code("in 90m"),
            s.code("sat 20:00"),
            s.code("2026-12-24 20:00")
        ),
        E::BadWhen(WhenError::Past) => {
            "That time has already passed: pick a time in the future.".into()
        }
        E::BadWhen(WhenError::TooFar) => {
            format!("Raids can be scheduled at most {MAX_AHEAD_DAYS} days ahead.")
        }
        E::BadWhen(WhenError::NoSuchLocalTime) => "That local time does not exist in the server's time zone (the clocks skip it): pick another.".into(),
        E::UnknownTimeZone(why) => why.to_string(),
        E::BadReminder => format!(
            "The reminder goes out between 0 and {MAX_REMINDER_MINUTES} minutes before the start."
        ),
        E::OrganizerRequired => "Only a member can schedule a raid.".into(),
        E::UnknownDungeon { code } => crate::unknown_dungeon(s, code),
        E::BadDescription(why) => why.to_string(),
        E::BadCap => format!("The raider cap must be between 1 and {MAX_RAIDER_CAP}."),
        E::NotThisDungeonsKey => "That is not one of this dungeon's keys.".into(),
        E::GuildOnly => "Use this button on the announcement in the server.".into(),
        E::NotFound { schedule_id } => {
            format!("Scheduled raid #{schedule_id} does not exist in this server.")
        }
        E::Gone => "This scheduled raid no longer exists.".into(),
        E::NotManager => {
            "Only this raid's organizer, or staff above Organizer, can do that.".into()
        }
        E::NotTheRaider => "Only the raider themself can answer a scheduled raid.".into(),
        E::Opened { run_id } => format!("This raid already opened: it is run #{run_id}."),
        E::CalledOff => "This raid was called off.".into(),
        E::NoRaidChannel => crate::no_raid_channel(),
        E::OrganizerBusy => "The organizer still has another run or headcount open: end it first (the raid opens by itself once it is).".into(),
        E::NotOpenYet => "This raid has not opened yet.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_not_understood_shows_examples_backticked_on_discord_only() {
        let e = ScheduleError::BadWhen(WhenError::Unrecognized);
        assert!(
            refusal(&e, Style::Discord).starts_with("Say when like `<t:1767225600:F>`, `in 2h`")
        );
        assert!(refusal(&e, Style::Plain).starts_with("Say when like <t:1767225600:F>, in 2h,"));
        let e = ScheduleError::BadWhen(WhenError::TooFar);
        assert!(
            refusal(&e, Style::Plain).contains("at most"),
            "{}",
            refusal(&e, Style::Plain)
        );
    }
}
