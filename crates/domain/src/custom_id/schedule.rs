//! Scheduled raid components: `sched:<action>:<schedule_id>[:detail]`.
//!
//! On the announcement: `sched:going:7`, `sched:maybe:7`, `sched:withdraw:7`,
//! `sched:key:7:shatters_key`, and the organizer's `sched:start:7` and `sched:cancel:7`. In
//! the DM sent when the run opens: `sched:join:7` (joins the opened run; the schedule row
//! names the guild, since a DM has none).

use std::fmt;

use super::split;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleButton {
    /// Sign up (pinged by the reminder, told when it opens).
    Going,
    Maybe,
    /// Take back a sign-up, a maybe or a key.
    Withdraw,
    /// Toggle bringing a key (a reaction code of the dungeon).
    Key(String),
    /// Organizer: open the run panel now.
    Start,
    /// Organizer: call the raid off.
    Cancel,
    /// In the DM: join the opened run.
    Join,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleComponent {
    pub schedule_id: i64,
    pub button: ScheduleButton,
}

impl ScheduleComponent {
    pub fn new(schedule_id: i64, button: ScheduleButton) -> Self {
        ScheduleComponent {
            schedule_id,
            button,
        }
    }

    pub(super) fn parse(rest: &str) -> Option<ScheduleComponent> {
        let (action, id, detail) = split(rest)?;
        let button = match (action, detail) {
            ("going", None) => ScheduleButton::Going,
            ("maybe", None) => ScheduleButton::Maybe,
            ("withdraw", None) => ScheduleButton::Withdraw,
            ("key", Some(d)) => ScheduleButton::Key(d.to_owned()),
            ("start", None) => ScheduleButton::Start,
            ("cancel", None) => ScheduleButton::Cancel,
            ("join", None) => ScheduleButton::Join,
            _ => return None,
        };
        Some(ScheduleComponent::new(id, button))
    }

    fn action(&self) -> (&'static str, Option<&str>) {
        match &self.button {
            ScheduleButton::Going => ("going", None),
            ScheduleButton::Maybe => ("maybe", None),
            ScheduleButton::Withdraw => ("withdraw", None),
            ScheduleButton::Key(d) => ("key", Some(d)),
            ScheduleButton::Start => ("start", None),
            ScheduleButton::Cancel => ("cancel", None),
            ScheduleButton::Join => ("join", None),
        }
    }
}

impl fmt::Display for ScheduleComponent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (action, detail) = self.action();
        write!(f, "{action}:{}", self.schedule_id)?;
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

    /// The variant after `b` in declaration order; `None` after the last. No wildcard arm:
    /// a new variant does not compile until it joins the chain, and then it is drawn.
    fn after(b: &ScheduleButton, code: &str) -> Option<ScheduleButton> {
        use ScheduleButton as B;
        Some(match b {
            B::Going => B::Maybe,
            B::Maybe => B::Withdraw,
            B::Withdraw => B::Key(code.to_owned()),
            B::Key(_) => B::Start,
            B::Start => B::Cancel,
            B::Cancel => B::Join,
            B::Join => return None,
        })
    }

    fn every_variant(code: &str) -> Vec<ScheduleButton> {
        let mut all = vec![ScheduleButton::Going];
        while let Some(next) = all.last().and_then(|b| after(b, code)) {
            all.push(next);
        }
        all
    }

    fn button() -> impl Strategy<Value = ScheduleButton> {
        let count = every_variant("x").len();
        (0..count, "[a-z0-9_]{1,40}").prop_map(|(i, code)| every_variant(&code).swap_remove(i))
    }

    proptest! {
        #[test]
        fn round_trips_and_fits_discord(id in 1i64..=i64::MAX, b in button()) {
            let c = CustomId::Schedule(ScheduleComponent::new(id, b));
            let text = c.to_string();
            prop_assert!(text.len() <= CUSTOM_ID_MAX);
            prop_assert_eq!(CustomId::parse(&text), Some(c));
        }
    }

    #[test]
    fn reads_and_refuses() {
        assert_eq!(
            CustomId::parse("sched:key:7:shatters_key"),
            Some(CustomId::Schedule(ScheduleComponent::new(
                7,
                ScheduleButton::Key("shatters_key".into())
            )))
        );
        for bad in [
            "sched:going:0",
            "sched:going:1:x",
            "sched:key:1",
            "sched:fly:1",
        ] {
            assert_eq!(CustomId::parse(bad), None, "{bad}");
        }
    }
}
