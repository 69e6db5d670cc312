//! Component custom ids: `kind:action:row_id`. They name rows, never state, so panels keep
//! working after a restart.

use std::fmt;

/// Discord's limit on a custom id's length.
pub const CUSTOM_ID_MAX: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomId {
    RunJoin(i64),
    RunLeave(i64),
    /// The class select menu on the public panel.
    RunClass(i64),
    /// Opens the organizer panel (ephemeral) for the organizer or higher staff.
    RunManage(i64),
    RunStart(i64),
    RunEnd(i64),
    RunCancel(i64),
}

impl CustomId {
    pub fn parse(text: &str) -> Option<CustomId> {
        let mut parts = text.split(':');
        let kind = parts.next()?;
        let action = parts.next()?;
        let id: i64 = parts.next()?.parse().ok()?;
        if parts.next().is_some() || id <= 0 {
            return None;
        }
        let parsed = match (kind, action) {
            ("run", "join") => CustomId::RunJoin(id),
            ("run", "leave") => CustomId::RunLeave(id),
            ("run", "class") => CustomId::RunClass(id),
            ("run", "manage") => CustomId::RunManage(id),
            ("run", "start") => CustomId::RunStart(id),
            ("run", "end") => CustomId::RunEnd(id),
            ("run", "cancel") => CustomId::RunCancel(id),
            _ => return None,
        };
        Some(parsed)
    }

    fn parts(self) -> (&'static str, &'static str, i64) {
        match self {
            CustomId::RunJoin(id) => ("run", "join", id),
            CustomId::RunLeave(id) => ("run", "leave", id),
            CustomId::RunClass(id) => ("run", "class", id),
            CustomId::RunManage(id) => ("run", "manage", id),
            CustomId::RunStart(id) => ("run", "start", id),
            CustomId::RunEnd(id) => ("run", "end", id),
            CustomId::RunCancel(id) => ("run", "cancel", id),
        }
    }
}

impl fmt::Display for CustomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, action, id) = self.parts();
        write!(f, "{kind}:{action}:{id}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "run",
            "run:join",
            "run:join:x",
            "run:join:0",
            "run:fly:1",
            "run:join:1:2",
        ] {
            assert_eq!(CustomId::parse(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn round_trips_and_fits_discord(id in 1i64..=i64::MAX, which in 0usize..7) {
            let all = [CustomId::RunJoin(id), CustomId::RunLeave(id), CustomId::RunClass(id),
                CustomId::RunManage(id), CustomId::RunStart(id), CustomId::RunEnd(id), CustomId::RunCancel(id)];
            let c = all[which];
            let text = c.to_string();
            prop_assert!(text.len() <= CUSTOM_ID_MAX);
            prop_assert_eq!(CustomId::parse(&text), Some(c));
        }
    }
}
