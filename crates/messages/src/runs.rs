//! Runs: creating them, the roster, keys, reactions, Oryx 3 stages, realm scores.

use domain::run::TransitionError;
use service::runs::{CHAIN_MAX, KEY_WINDOW_MAX_SECS, MAX_RAIDER_CAP, RunError};

use crate::Style;

/// Why a run use case (or a form for one) refused.
pub fn refusal(e: &RunError, s: Style) -> String {
    use RunError as E;
    match e {
        E::BadText(why) => why.to_string(),
        E::OrganizerRequired => "Say who organizes the run (organizer_id).".into(),
        E::UnknownDungeon { code } => crate::unknown_dungeon(s, code),
        E::BadCap => format!("The raider cap must be between 1 and {MAX_RAIDER_CAP}."),
        E::BadDuration => "A run lasts between 1 minute and 24 hours (1440 minutes).".into(),
        E::UnknownClass { text } => format!("{} is not a RotMG class.", s.code(text)),
        E::BadRemoveReason => "Give a reason of 1 to 200 characters.".into(),
        E::CannotRemoveOrganizer => "The organizer cannot be removed from their own run.".into(),
        E::BadChain => format!("A chain is 1 to {CHAIN_MAX} keys."),
        E::BadKeyCount => "Log between 1 and 99 keys at a time.".into(),
        E::KeyCountRequired => "Say how many keys (1–99).".into(),
        E::BadKeyWindow => format!("A key window lasts 1 to {KEY_WINDOW_MAX_SECS} seconds."),
        E::NotOryx3 => "Oryx 3 stages are only for Oryx's Sanctuary runs.".into(),
        E::UnknownMiniboss => "Pick one of the four minibosses.".into(),
        E::BadScore => "A realm score is a percentage from 1 to 99.".into(),
        E::NotRealmDungeon => "Realm scores are only for realm dungeon runs.".into(),
        E::ScreenshotNeedsMember => "Screenshots belong to a Discord member.".into(),
        E::NotAnImage => "Attach the screenshot as an image (PNG or JPEG).".into(),
        E::NoScreenshot => "Attach the screenshot to the command.".into(),
        E::ReactionNeedsMember => "Reactions belong to a Discord member.".into(),
        E::UnknownReaction => "That reaction is not offered for this dungeon.".into(),
        E::MemberRequired => "Pick a member from the list.".into(),
        E::ClassRequired => "Pick a class from the menu.".into(),
        E::NumberOutOfRange { what } => format!("{what} is out of range."),
        E::NotANumber { what, text } => {
            format!("{what} must be a whole number, not {}.", s.code(text))
        }
        E::BadId(why) => why.to_string(),
        E::NotFound { run_id } => format!("Run #{run_id} does not exist in this server."),
        E::NotTheRaider => {
            "Only the raider themself, or this run's organizer or higher staff, can do this.".into()
        }
        E::NotManagerPanel => {
            "Only this run's organizer, or staff above Organizer, can open its organizer panel."
                .into()
        }
        E::NotManagerForm => {
            "Only this run's organizer, or staff above Organizer, can use its organizer panel."
                .into()
        }
        E::NotManager => {
            "Only this run's organizer, or staff above Organizer, can manage it.".into()
        }
        E::NoRaidChannel => crate::no_raid_channel(),
        E::ActiveRunExists { run_id } => crate::active_run_exists(*run_id),
        E::Cancelled | E::Transition(TransitionError::AlreadyCancelled) => {
            "This run was cancelled.".into()
        }
        E::Ended | E::Transition(TransitionError::AlreadyEnded) => {
            "This run has already ended.".into()
        }
        E::Closed => "This run is closed.".into(),
        E::Transition(TransitionError::AlreadyLive) => "This run is already live.".into(),
        E::Transition(TransitionError::NotStarted) => {
            "This run has not started yet: press Start first, or Cancel it.".into()
        }
        E::Removed { reason } => format!(
            "The organizer removed you from this run ({}). Ask them if you may rejoin.",
            reason.as_deref().unwrap_or("no reason given")
        ),
        E::RemovedReacting => {
            "The organizer removed you from this run, so your reactions do not count.".into()
        }
        E::Full { cap } => {
            format!("This run is full ({cap} raiders). You can wait on the bench for a place.")
        }
        E::JoinLocked => "Joining this run is locked by its organizer.".into(),
        E::AlreadyRemoved => "That member is already removed from this run.".into(),
        E::NotRemoved => "That member was not removed from this run.".into(),
        E::NotLive => "Start the run first.".into(),
        E::O3StageOrder => {
            "Oryx 3 stages go in order: realm closed, then miniboss, then third room.".into()
        }
        E::NoActiveRun => "You have no active run to attach a screenshot to.".into(),
        E::ScreenshotExists => "This run already has its screenshot.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_run_reads_the_same_from_a_join_and_from_a_button() {
        assert_eq!(
            refusal(&RunError::Ended, Style::Discord),
            refusal(
                &RunError::Transition(TransitionError::AlreadyEnded),
                Style::Discord
            )
        );
        assert_eq!(
            refusal(&RunError::Cancelled, Style::Plain),
            refusal(
                &RunError::Transition(TransitionError::AlreadyCancelled),
                Style::Plain
            )
        );
    }

    #[test]
    fn a_removed_raider_reads_the_organizers_reason_or_that_none_was_given() {
        let e = RunError::Removed {
            reason: Some("AFK".into()),
        };
        assert!(refusal(&e, Style::Discord).contains("(AFK)"));
        let e = RunError::Removed { reason: None };
        assert!(refusal(&e, Style::Discord).contains("(no reason given)"));
        let e = RunError::ActiveRunExists { run_id: Some(7) };
        assert!(refusal(&e, Style::Plain).contains("(#7)"));
        let e = RunError::ActiveRunExists { run_id: None };
        assert!(!refusal(&e, Style::Plain).contains('#'));
    }

    #[test]
    fn typed_values_are_quoted_as_typed() {
        let e = RunError::UnknownClass {
            text: "Bard".into(),
        };
        assert_eq!(refusal(&e, Style::Discord), "`Bard` is not a RotMG class.");
        assert_eq!(refusal(&e, Style::Plain), "Bard is not a RotMG class.");
        let e = RunError::NotANumber {
            what: "The key window".into(),
            text: "soon".into(),
        };
        assert_eq!(
            refusal(&e, Style::Discord),
            "The key window must be a whole number, not `soon`."
        );
        assert_eq!(
            refusal(&e, Style::Plain),
            "The key window must be a whole number, not soon."
        );
    }
}
