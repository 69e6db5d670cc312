//! Headcounts: creating them, the dungeon picker, reactions, converting to a run.

use domain::headcount::DungeonsError;
use service::headcounts::HeadcountError;

use crate::Style;

/// Why a headcount use case refused.
pub fn refusal(e: &HeadcountError, s: Style) -> String {
    use HeadcountError as E;
    match e {
        E::BadDungeons(DungeonsError::Unknown(code)) => crate::unknown_dungeon(s, code),
        E::BadDungeons(why) => why.to_string(),
        E::OrganizerRequired => "Say who organizes the headcount (organizer_id).".into(),
        E::PickerNeedsMember => "Only a member can open the picker.".into(),
        E::BadStatus { text } => format!(
            "{} must be open, converted or ended, not {}.",
            s.code("status"),
            s.code(text)
        ),
        E::NotAChoice => "That is not one of this headcount's choices.".into(),
        E::NotItsDungeon => "Pick one of this headcount's dungeons.".into(),
        E::UnknownDungeon { code } => {
            format!("{} is not a dungeon raidbot knows.", s.code(code))
        }
        E::UnknownCategory => "Pick a category from the menu.".into(),
        E::CategoryFirst => "Pick a category first.".into(),
        E::NotInCategory { code, category } => {
            format!("{} is not a dungeon of {category}.", s.code(code))
        }
        E::NotFound { headcount_id } => {
            format!("Headcount #{headcount_id} does not exist in this server.")
        }
        E::NotManagerPanel => "Only this headcount's organizer, or staff above Organizer, can open its organizer panel.".into(),
        E::NotManager => {
            "Only this headcount's organizer, or staff above Organizer, can manage it.".into()
        }
        E::NotTheRaider => "Only the raider themself can answer a headcount.".into(),
        E::NotYourPicker => "This picker belongs to another organizer.".into(),
        E::Converted { run_id } => {
            format!("This headcount was already converted to run #{run_id}.")
        }
        E::Ended => "This headcount has already ended.".into(),
        E::NoRaidChannel => crate::no_raid_channel(),
        E::ActiveHeadcountExists { headcount_id } => {
            let which = headcount_id.map(|id| format!(" (#{id})")).unwrap_or_default();
            format!(
                "There is already an open headcount for this organizer{which}: convert or end it first."
            )
        }
        E::PickerClosed => "This picker is no longer in use (the headcount was posted, or a newer picker replaced it). Run /headcount again.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_filter_names_the_option_and_the_value() {
        let e = HeadcountError::BadStatus {
            text: "done".into(),
        };
        assert_eq!(
            refusal(&e, Style::Discord),
            "`status` must be open, converted or ended, not `done`."
        );
        assert_eq!(
            refusal(&e, Style::Plain),
            "status must be open, converted or ended, not done."
        );
        let e = HeadcountError::BadDungeons(DungeonsError::Unknown("xyz".into()));
        assert!(refusal(&e, Style::Discord).starts_with("`xyz` is not a dungeon"));
    }
}
