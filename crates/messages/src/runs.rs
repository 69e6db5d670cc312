//! Runs: creating them, the roster, keys, reactions, Oryx 3 stages, realm scores.

use service::runs::{CHAIN_MAX, KEY_WINDOW_MAX_SECS, MAX_RAIDER_CAP, RunError};

use crate::Style;

/// Why a run use case (or a form for one) refused a value.
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
