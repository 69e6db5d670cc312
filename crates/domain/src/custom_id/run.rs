//! Run panel components: `run:<action>:<run_id>[:detail]`.

use std::fmt;

use super::split;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunButton {
    Join,
    Leave,
    /// Wait on the bench of a full run.
    Bench,
    /// The class select menu on the public panel.
    Class,
    /// A key or perk reaction button (toggle).
    React(String),
    /// Confirms having the key before it counts.
    ConfirmKey(String),
    /// Opens the organizer panel (ephemeral) for the organizer or higher staff.
    Manage,
    Start,
    End,
    Cancel,
    /// Organizer tools: a button opens a modal or a member picker, whose answer comes back
    /// with the matching `*Submit`/`*Pick` id.
    Location,
    LocationSubmit,
    Description,
    DescriptionSubmit,
    Lock,
    Ping,
    Cap,
    CapSubmit,
    Chain,
    ChainSubmit,
    KeyPopped,
    KeyPoppedPick,
    /// The key window modal after picking who popped: the detail is the member's id.
    KeyPoppedSubmit(u64),
    LogKeys,
    LogKeysPick,
    /// The count modal after picking who popped: the detail is the member's id.
    LogKeysSubmit(u64),
    Remove,
    RemovePick,
    /// The reason modal after picking whom to remove: the detail is the member's id.
    RemoveSubmit(u64),
    AllowRejoin,
    AllowRejoinPick,
    O3RealmClosed,
    O3Miniboss,
    O3MinibossPick,
    O3ThirdRoom,
    RealmScore,
    RealmScoreSubmit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunComponent {
    pub run_id: i64,
    pub button: RunButton,
}

/// Makes the button an action name stands for.
type Make = fn() -> RunButton;

/// Actions without a detail, by their id text.
const SIMPLE: &[(&str, Make)] = &[
    ("join", || RunButton::Join),
    ("leave", || RunButton::Leave),
    ("bench", || RunButton::Bench),
    ("class", || RunButton::Class),
    ("manage", || RunButton::Manage),
    ("start", || RunButton::Start),
    ("end", || RunButton::End),
    ("cancel", || RunButton::Cancel),
    ("loc", || RunButton::Location),
    ("locm", || RunButton::LocationSubmit),
    ("desc", || RunButton::Description),
    ("descm", || RunButton::DescriptionSubmit),
    ("lock", || RunButton::Lock),
    ("ping", || RunButton::Ping),
    ("cap", || RunButton::Cap),
    ("capm", || RunButton::CapSubmit),
    ("chain", || RunButton::Chain),
    ("chainm", || RunButton::ChainSubmit),
    ("pop", || RunButton::KeyPopped),
    ("popu", || RunButton::KeyPoppedPick),
    ("keys", || RunButton::LogKeys),
    ("keysu", || RunButton::LogKeysPick),
    ("rm", || RunButton::Remove),
    ("rmu", || RunButton::RemovePick),
    ("rejoin", || RunButton::AllowRejoin),
    ("rejoinu", || RunButton::AllowRejoinPick),
    ("o3rc", || RunButton::O3RealmClosed),
    ("o3mb", || RunButton::O3Miniboss),
    ("o3mbs", || RunButton::O3MinibossPick),
    ("o3tr", || RunButton::O3ThirdRoom),
    ("score", || RunButton::RealmScore),
    ("scorem", || RunButton::RealmScoreSubmit),
];

impl RunComponent {
    pub fn new(run_id: i64, button: RunButton) -> Self {
        RunComponent { run_id, button }
    }

    pub(super) fn parse(rest: &str) -> Option<RunComponent> {
        let (action, run_id, detail) = split(rest)?;
        let member = || {
            detail
                .and_then(|d| d.parse::<u64>().ok())
                .filter(|m| *m > 0)
        };
        let button = match (action, detail) {
            ("react", Some(code)) => RunButton::React(code.to_owned()),
            ("keyok", Some(code)) => RunButton::ConfirmKey(code.to_owned()),
            ("popm", Some(_)) => RunButton::KeyPoppedSubmit(member()?),
            ("keysm", Some(_)) => RunButton::LogKeysSubmit(member()?),
            ("rmm", Some(_)) => RunButton::RemoveSubmit(member()?),
            (action, None) => SIMPLE.iter().find(|(name, _)| *name == action)?.1(),
            _ => return None,
        };
        Some(RunComponent { run_id, button })
    }

    fn action(&self) -> (&'static str, Option<String>) {
        match &self.button {
            RunButton::React(code) => ("react", Some(code.clone())),
            RunButton::ConfirmKey(code) => ("keyok", Some(code.clone())),
            RunButton::KeyPoppedSubmit(member) => ("popm", Some(member.to_string())),
            RunButton::LogKeysSubmit(member) => ("keysm", Some(member.to_string())),
            RunButton::RemoveSubmit(member) => ("rmm", Some(member.to_string())),
            simple => {
                let name = SIMPLE
                    .iter()
                    .find(|(_, make)| make() == *simple)
                    .map_or("unknown", |(name, _)| *name);
                (name, None)
            }
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
        let simple: Vec<RunButton> = SIMPLE.iter().map(|(_, make)| make()).collect();
        prop_oneof![
            proptest::sample::select(simple),
            "[a-z0-9_]{1,60}".prop_map(RunButton::React),
            "[a-z0-9_]{1,60}".prop_map(RunButton::ConfirmKey),
            (1u64..=i64::MAX as u64).prop_map(RunButton::KeyPoppedSubmit),
            (1u64..=i64::MAX as u64).prop_map(RunButton::LogKeysSubmit),
            (1u64..=i64::MAX as u64).prop_map(RunButton::RemoveSubmit),
        ]
    }

    proptest! {
        #[test]
        fn round_trips_and_fits_discord(id in 1i64..=i64::MAX, b in button()) {
            let c = CustomId::Run(RunComponent::new(id, b));
            let text = c.to_string();
            prop_assert!(text.len() <= CUSTOM_ID_MAX, "{}", text);
            prop_assert_eq!(CustomId::parse(&text), Some(c));
        }
    }

    #[test]
    fn every_simple_action_has_a_distinct_name() {
        let mut names: Vec<_> = SIMPLE.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SIMPLE.len());
        assert_eq!(CustomId::parse("run:rmm:5:abc"), None);
    }
}
