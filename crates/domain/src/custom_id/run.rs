//! Run panel components: `run:<action>:<run_id>[:detail]`.

use std::fmt;

use super::split;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunButton {
    Join,
    Leave,
    /// The class select menu on the public panel.
    Class,
    /// Opens the organizer panel (ephemeral) for the organizer or higher staff.
    Manage,
    Start,
    End,
    Cancel,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunComponent {
    pub run_id: i64,
    pub button: RunButton,
}

impl RunComponent {
    pub fn new(run_id: i64, button: RunButton) -> Self {
        RunComponent { run_id, button }
    }

    pub(super) fn parse(rest: &str) -> Option<RunComponent> {
        let (action, run_id, detail) = split(rest)?;
        let button = match (action, detail) {
            ("join", None) => RunButton::Join,
            ("leave", None) => RunButton::Leave,
            ("class", None) => RunButton::Class,
            ("manage", None) => RunButton::Manage,
            ("start", None) => RunButton::Start,
            ("end", None) => RunButton::End,
            ("cancel", None) => RunButton::Cancel,
            _ => return None,
        };
        Some(RunComponent { run_id, button })
    }

    fn action(&self) -> (&'static str, Option<&str>) {
        match &self.button {
            RunButton::Join => ("join", None),
            RunButton::Leave => ("leave", None),
            RunButton::Class => ("class", None),
            RunButton::Manage => ("manage", None),
            RunButton::Start => ("start", None),
            RunButton::End => ("end", None),
            RunButton::Cancel => ("cancel", None),
        }
    }
}

impl fmt::Display for RunComponent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (action, detail) = self.action();
        write!(f, "{action}:{}", self.run_id)?;
        if let Some(d) = detail {
            write!(f, ":{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CUSTOM_ID_MAX, CustomId};
    use super::*;
    use proptest::prelude::*;

    fn button() -> impl Strategy<Value = RunButton> {
        prop_oneof![
            Just(RunButton::Join),
            Just(RunButton::Leave),
            Just(RunButton::Class),
            Just(RunButton::Manage),
            Just(RunButton::Start),
            Just(RunButton::End),
            Just(RunButton::Cancel),
        ]
    }

    proptest! {
        #[test]
        fn round_trips_and_fits_discord(id in 1i64..=i64::MAX, b in button()) {
            let c = CustomId::Run(RunComponent::new(id, b));
            let text = c.to_string();
            prop_assert!(text.len() <= CUSTOM_ID_MAX);
            prop_assert_eq!(CustomId::parse(&text), Some(c));
        }
    }
}
