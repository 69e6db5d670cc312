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

    /// The variant after `b` in declaration order, made with the given details; `None`
    /// after the last. The match has no wildcard arm, so a new `RunButton` variant does not
    /// compile until it is linked into this chain, and from then on every test below draws
    /// and checks it (the strategy is not a second list that can forget one).
    fn after(b: &RunButton, code: &str, member: u64) -> Option<RunButton> {
        use RunButton as B;
        Some(match b {
            B::Join => B::Leave,
            B::Leave => B::Bench,
            B::Bench => B::Class,
            B::Class => B::React(code.to_owned()),
            B::React(_) => B::ConfirmKey(code.to_owned()),
            B::ConfirmKey(_) => B::Manage,
            B::Manage => B::Start,
            B::Start => B::End,
            B::End => B::Cancel,
            B::Cancel => B::Location,
            B::Location => B::LocationSubmit,
            B::LocationSubmit => B::Description,
            B::Description => B::DescriptionSubmit,
            B::DescriptionSubmit => B::Lock,
            B::Lock => B::Ping,
            B::Ping => B::Cap,
            B::Cap => B::CapSubmit,
            B::CapSubmit => B::Chain,
            B::Chain => B::ChainSubmit,
            B::ChainSubmit => B::KeyPopped,
            B::KeyPopped => B::KeyPoppedPick,
            B::KeyPoppedPick => B::KeyPoppedSubmit(member),
            B::KeyPoppedSubmit(_) => B::LogKeys,
            B::LogKeys => B::LogKeysPick,
            B::LogKeysPick => B::LogKeysSubmit(member),
            B::LogKeysSubmit(_) => B::Remove,
            B::Remove => B::RemovePick,
            B::RemovePick => B::RemoveSubmit(member),
            B::RemoveSubmit(_) => B::AllowRejoin,
            B::AllowRejoin => B::AllowRejoinPick,
            B::AllowRejoinPick => B::O3RealmClosed,
            B::O3RealmClosed => B::O3Miniboss,
            B::O3Miniboss => B::O3MinibossPick,
            B::O3MinibossPick => B::O3ThirdRoom,
            B::O3ThirdRoom => B::RealmScore,
            B::RealmScore => B::RealmScoreSubmit,
            B::RealmScoreSubmit => return None,
        })
    }

    /// Every variant, in declaration order, with the given details.
    fn every_variant(code: &str, member: u64) -> Vec<RunButton> {
        let mut all = vec![RunButton::Join];
        while let Some(next) = all.last().and_then(|b| after(b, code, member)) {
            assert!(!all.contains(&next), "the chain comes back to {next:?}");
            all.push(next);
        }
        all
    }

    fn button() -> impl Strategy<Value = RunButton> {
        let count = every_variant("key", 1).len();
        (0..count, "[a-z0-9_]{1,60}", 1u64..=i64::MAX as u64)
            .prop_map(|(i, code, member)| every_variant(&code, member).swap_remove(i))
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
    fn every_variant_has_its_own_id_text() {
        let all = every_variant("key", 7);
        let mut texts: Vec<String> = all
            .iter()
            .map(|b| CustomId::Run(RunComponent::new(1, b.clone())).to_string())
            .collect();
        for (b, text) in all.iter().zip(&texts) {
            assert!(!text.contains("unknown"), "{b:?} has no name: {text}");
        }
        texts.sort_unstable();
        texts.dedup();
        assert_eq!(texts.len(), all.len(), "two variants share an id text");
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
