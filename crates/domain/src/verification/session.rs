//! The member's verification session as a state machine: its steps, the events that move
//! it and the one table of transitions. Steps are stored as their snake_case names (the
//! `veri_session.step` column), so a session survives restarts.

use std::fmt;

/// How the member verifies in this session (the `veri_session.method` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// A code in the RealmEye description, checked by the bot.
    Realmeye,
    /// A screenshot staff review.
    Screenshot,
    /// A screenshot for a custom role (the member is verified already).
    CustomRole,
}

impl Method {
    pub const ALL: [Method; 3] = [Method::Realmeye, Method::Screenshot, Method::CustomRole];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Realmeye => "realmeye",
            Method::Screenshot => "screenshot",
            Method::CustomRole => "custom_role",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// The member is to send their in-game name.
    AwaitingIgn,
    /// The member is to put the code in their RealmEye description and press Done.
    AwaitingDone,
    /// The member is to upload a screenshot.
    AwaitingScreenshot,
    /// The screenshot is with staff.
    UnderReview,
    Verified,
    Denied,
    Expired,
    Cancelled,
}

/// What happens to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEvent {
    /// The member sent a valid, free in-game name.
    IgnAccepted,
    /// The member switched to screenshot review; `has_ign`: they gave their name already.
    SwitchedToScreenshot { has_ign: bool },
    /// The member's screenshot went to staff.
    ScreenshotSubmitted,
    /// RealmEye showed the code and the profile meets the requirements (the code was issued
    /// in this session).
    CheckPassed,
    /// Staff approved the screenshot.
    Approved,
    /// Staff denied the screenshot.
    Denied,
    /// The member pressed Cancel.
    Cancelled,
    /// The 30 minutes are up.
    TimedOut,
}

impl Step {
    pub const ALL: [Step; 8] = [
        Step::AwaitingIgn,
        Step::AwaitingDone,
        Step::AwaitingScreenshot,
        Step::UnderReview,
        Step::Verified,
        Step::Denied,
        Step::Expired,
        Step::Cancelled,
    ];

    /// The step a new session starts in.
    pub fn first(method: Method) -> Step {
        match method {
            Method::CustomRole => Step::AwaitingScreenshot,
            Method::Realmeye | Method::Screenshot => Step::AwaitingIgn,
        }
    }

    /// The member still has something to do (the session's timer runs).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Step::AwaitingIgn | Step::AwaitingDone | Step::AwaitingScreenshot
        )
    }

    /// The step after `event`, or None when the event does not apply in this step. `method`
    /// decides where an accepted name leads.
    pub fn after(self, event: SessionEvent, method: Method) -> Option<Step> {
        use SessionEvent as E;
        use Step as S;
        Some(match (self, event) {
            (S::AwaitingIgn, E::IgnAccepted) => match method {
                Method::Realmeye => S::AwaitingDone,
                Method::Screenshot | Method::CustomRole => S::AwaitingScreenshot,
            },
            (s, E::SwitchedToScreenshot { has_ign }) if s.is_open() => {
                if has_ign {
                    S::AwaitingScreenshot
                } else {
                    S::AwaitingIgn
                }
            }
            (S::AwaitingScreenshot, E::ScreenshotSubmitted) => S::UnderReview,
            // A code once issued stays valid if the member switched to screenshots after.
            (s, E::CheckPassed) if s.is_open() => S::Verified,
            (S::UnderReview, E::Approved) => S::Verified,
            (S::UnderReview, E::Denied) => S::Denied,
            (s, E::Cancelled | E::TimedOut) if s.is_open() => {
                if event == E::Cancelled {
                    S::Cancelled
                } else {
                    S::Expired
                }
            }
            _ => return None,
        })
    }

    /// The stored name (`veri_session.step`).
    pub fn as_str(self) -> &'static str {
        match self {
            Step::AwaitingIgn => "awaiting_ign",
            Step::AwaitingDone => "awaiting_done",
            Step::AwaitingScreenshot => "awaiting_screenshot",
            Step::UnderReview => "under_review",
            Step::Verified => "verified",
            Step::Denied => "denied",
            Step::Expired => "expired",
            Step::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|step| step.as_str() == s)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SessionEvent as E;

    const EVENTS: [SessionEvent; 9] = [
        E::IgnAccepted,
        E::SwitchedToScreenshot { has_ign: false },
        E::SwitchedToScreenshot { has_ign: true },
        E::ScreenshotSubmitted,
        E::CheckPassed,
        E::Approved,
        E::Denied,
        E::Cancelled,
        E::TimedOut,
    ];

    #[test]
    fn stored_names_round_trip() {
        for s in Step::ALL {
            assert_eq!(Step::parse(s.as_str()), Some(s));
        }
        for m in Method::ALL {
            assert_eq!(Method::parse(m.as_str()), Some(m));
        }
        assert_eq!(Step::parse("awaiting"), None);
        // The open steps are the ones the store selects as open.
        let open: Vec<&str> = Step::ALL
            .into_iter()
            .filter(|s| s.is_open())
            .map(Step::as_str)
            .collect();
        assert_eq!(
            open,
            ["awaiting_ign", "awaiting_done", "awaiting_screenshot"]
        );
    }

    #[test]
    fn the_realmeye_path_and_the_screenshot_path() {
        let s = Step::first(Method::Realmeye);
        let s = s.after(E::IgnAccepted, Method::Realmeye).unwrap();
        assert_eq!(s, Step::AwaitingDone);
        assert_eq!(
            s.after(E::CheckPassed, Method::Realmeye),
            Some(Step::Verified)
        );

        let s = Step::first(Method::Screenshot)
            .after(E::IgnAccepted, Method::Screenshot)
            .unwrap();
        assert_eq!(s, Step::AwaitingScreenshot);
        let s = s.after(E::ScreenshotSubmitted, Method::Screenshot).unwrap();
        assert_eq!(s, Step::UnderReview);
        assert_eq!(s.after(E::Denied, Method::Screenshot), Some(Step::Denied));
        assert_eq!(
            s.after(E::Approved, Method::Screenshot),
            Some(Step::Verified)
        );
        // With staff, the member can neither cancel nor time out.
        assert_eq!(s.after(E::Cancelled, Method::Screenshot), None);
        assert_eq!(s.after(E::TimedOut, Method::Screenshot), None);

        assert_eq!(
            Step::first(Method::CustomRole),
            Step::AwaitingScreenshot,
            "a custom role asks for the screenshot at once"
        );
        assert_eq!(
            Step::AwaitingDone.after(E::SwitchedToScreenshot { has_ign: true }, Method::Realmeye),
            Some(Step::AwaitingScreenshot)
        );
    }

    #[test]
    fn a_closed_session_takes_no_event_and_an_open_one_can_always_end() {
        for s in Step::ALL {
            for m in Method::ALL {
                for e in EVENTS {
                    let next = s.after(e, m);
                    if !s.is_open() {
                        let review = s == Step::UnderReview && matches!(e, E::Approved | E::Denied);
                        assert_eq!(next.is_some(), review, "{s} {e:?}");
                    }
                    if s.is_open() && matches!(e, E::Cancelled | E::TimedOut) {
                        assert!(next.is_some_and(|n| !n.is_open()), "{s} {e:?}");
                    }
                }
            }
        }
    }
}
