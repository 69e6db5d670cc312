//! Headcounts: creating them, the dungeon picker, reactions, converting to a run.

use domain::headcount::DungeonsError;
use service::headcounts::HeadcountError;

use crate::Style;

/// Why a headcount use case refused a value.
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
