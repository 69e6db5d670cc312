//! The run state machine: `open` → `live` → `ended`, and `cancelled` from `open` or `live`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Open,
    Live,
    Ended,
    Cancelled,
}

/// What the organizer (or staff, or the auto-end timer) asks of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunAction {
    Start,
    End,
    Cancel,
}

/// Why a transition was refused (`messages::runs` words it for the person who pressed the
/// button).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the run has ended")]
    AlreadyEnded,
    #[error("the run was cancelled")]
    AlreadyCancelled,
    #[error("the run is live already")]
    AlreadyLive,
    #[error("the run has not started")]
    NotStarted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Open => "open",
            RunStatus::Live => "live",
            RunStatus::Ended => "ended",
            RunStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<RunStatus> {
        [
            RunStatus::Open,
            RunStatus::Live,
            RunStatus::Ended,
            RunStatus::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    pub fn is_active(self) -> bool {
        matches!(self, RunStatus::Open | RunStatus::Live)
    }

    /// Raiders may join or leave while the run is active.
    pub fn accepts_raiders(self) -> bool {
        self.is_active()
    }

    /// The status after `action`, or why it is not allowed now.
    pub fn apply(self, action: RunAction) -> Result<RunStatus, TransitionError> {
        use RunAction::*;
        use RunStatus::*;
        match (self, action) {
            (Ended, _) => Err(TransitionError::AlreadyEnded),
            (Cancelled, _) => Err(TransitionError::AlreadyCancelled),
            (Open, Start) => Ok(Live),
            (Live, Start) => Err(TransitionError::AlreadyLive),
            (Open, End) => Err(TransitionError::NotStarted),
            (Live, End) => Ok(Ended),
            (Open | Live, Cancel) => Ok(Cancelled),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lifecycle() {
        assert_eq!(RunStatus::Open.apply(RunAction::Start), Ok(RunStatus::Live));
        assert_eq!(RunStatus::Live.apply(RunAction::End), Ok(RunStatus::Ended));
        assert_eq!(
            RunStatus::Open.apply(RunAction::Cancel),
            Ok(RunStatus::Cancelled)
        );
        assert_eq!(
            RunStatus::Live.apply(RunAction::Cancel),
            Ok(RunStatus::Cancelled)
        );
        assert_eq!(
            RunStatus::Open.apply(RunAction::End),
            Err(TransitionError::NotStarted)
        );
        assert_eq!(
            RunStatus::Ended.apply(RunAction::End),
            Err(TransitionError::AlreadyEnded)
        );
    }

    fn action() -> impl Strategy<Value = RunAction> {
        prop_oneof![
            Just(RunAction::Start),
            Just(RunAction::End),
            Just(RunAction::Cancel)
        ]
    }

    proptest! {
        /// Whatever is pressed in whatever order, a closed run never changes again and a
        /// run ends at most once.
        #[test]
        fn closed_runs_stay_closed(actions in proptest::collection::vec(action(), 0..20)) {
            let mut status = RunStatus::Open;
            let mut ends = 0;
            for a in actions {
                let was_closed = !status.is_active();
                if let Ok(next) = status.apply(a) {
                    prop_assert!(!was_closed);
                    if next == RunStatus::Ended { ends += 1; }
                    status = next;
                }
            }
            prop_assert!(ends <= 1);
        }
    }
}
