//! Modmail components in a member's DMs: `mm:<action>:<user_id>`. The id is the member
//! whose DM session it acts on (the session row is keyed by the member), so a stale or
//! forwarded component cannot act on someone else's conversation.
//!
//! - `mm:guild:<user_id>` the select menu choosing the server
//! - `mm:yes:<user_id>` / `mm:no:<user_id>` open the ticket / cancel

use std::fmt;

use super::split;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModmailAction {
    ChooseGuild,
    Confirm,
    Cancel,
}

impl ModmailAction {
    pub const ALL: [(ModmailAction, &'static str); 3] = [
        (ModmailAction::ChooseGuild, "guild"),
        (ModmailAction::Confirm, "yes"),
        (ModmailAction::Cancel, "no"),
    ];

    fn as_str(self) -> &'static str {
        ModmailAction::ALL
            .iter()
            .find(|(a, _)| *a == self)
            .map_or("guild", |(_, s)| s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModmailComponent {
    pub action: ModmailAction,
    pub user_id: i64,
}

impl ModmailComponent {
    pub fn new(action: ModmailAction, user_id: i64) -> Self {
        ModmailComponent { action, user_id }
    }

    pub(super) fn parse(rest: &str) -> Option<ModmailComponent> {
        let (action, id, detail) = split(rest)?;
        if detail.is_some() {
            return None;
        }
        let action = ModmailAction::ALL.iter().find(|(_, s)| *s == action)?.0;
        Some(ModmailComponent {
            action,
            user_id: id,
        })
    }
}

impl fmt::Display for ModmailComponent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.action.as_str(), self.user_id)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CUSTOM_ID_MAX, CustomId};
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trips_and_fits_discord(id in 1i64..=i64::MAX, i in 0usize..3) {
            let c = CustomId::Modmail(ModmailComponent::new(ModmailAction::ALL[i].0, id));
            let text = c.to_string();
            prop_assert!(text.len() <= CUSTOM_ID_MAX);
            prop_assert_eq!(CustomId::parse(&text), Some(c));
        }
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["mm:guild", "mm:fly:1", "mm:yes:0", "mm:no:1:x"] {
            assert_eq!(CustomId::parse(bad), None, "{bad}");
        }
    }
}
