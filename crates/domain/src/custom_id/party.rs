//! Party finder post buttons: `party:<action>:<party_id>`.

use std::fmt;

use super::split;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyButton {
    /// Close the party (its owner or a moderator): deletes the post and its thread.
    Close,
    /// Keep the party open one more hour (its owner).
    Extend,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyComponent {
    pub party_id: i64,
    pub button: PartyButton,
}

impl PartyComponent {
    pub fn new(party_id: i64, button: PartyButton) -> Self {
        PartyComponent { party_id, button }
    }

    pub(super) fn parse(rest: &str) -> Option<PartyComponent> {
        let (action, party_id, detail) = split(rest)?;
        let button = match (action, detail) {
            ("close", None) => PartyButton::Close,
            ("extend", None) => PartyButton::Extend,
            _ => return None,
        };
        Some(PartyComponent { party_id, button })
    }
}

impl fmt::Display for PartyComponent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let action = match self.button {
            PartyButton::Close => "close",
            PartyButton::Extend => "extend",
        };
        write!(f, "{action}:{}", self.party_id)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CUSTOM_ID_MAX, CustomId};
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trips_and_fits_discord(id in 1i64..=i64::MAX, close in any::<bool>()) {
            let b = if close { PartyButton::Close } else { PartyButton::Extend };
            let c = CustomId::Party(PartyComponent::new(id, b));
            let text = c.to_string();
            prop_assert!(text.len() <= CUSTOM_ID_MAX);
            prop_assert_eq!(CustomId::parse(&text), Some(c));
        }
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "party:close",
            "party:close:0",
            "party:open:1",
            "party:close:1:x",
        ] {
            assert_eq!(CustomId::parse(bad), None, "{bad}");
        }
    }
}
