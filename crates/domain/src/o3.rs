//! Oryx 3 (Oryx's Sanctuary) run stages: the realm closes, the miniboss is known, the
//! raid reaches the third room.

/// The four confidants one of whom guards each Sanctuary.
pub const MINIBOSSES: [&str; 4] = [
    "Chancellor Dammah",
    "Treasurer Gemsbok",
    "Archbishop Leucoryx",
    "Chief Beisa",
];

/// The dungeon code of Oryx's Sanctuary in the catalog.
pub const DUNGEON: &str = "oryx_3";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    RealmClosed,
    Miniboss,
    ThirdRoom,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::RealmClosed => "realm_closed",
            Stage::Miniboss => "miniboss",
            Stage::ThirdRoom => "third_room",
        }
    }

    pub fn parse(text: &str) -> Option<Stage> {
        [Stage::RealmClosed, Stage::Miniboss, Stage::ThirdRoom]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    /// Stages only move forward, one at a time; the first can be announced any time.
    pub fn may_follow(self, current: Option<Stage>) -> bool {
        matches!(
            (current, self),
            (None, Stage::RealmClosed)
                | (Some(Stage::RealmClosed), Stage::Miniboss)
                | (Some(Stage::Miniboss), Stage::ThirdRoom)
        )
    }
}

/// The miniboss named by `text` (exact name or the last word, any case).
pub fn miniboss(text: &str) -> Option<&'static str> {
    let t = text.trim();
    MINIBOSSES.into_iter().find(|m| {
        m.eq_ignore_ascii_case(t)
            || m.rsplit(' ')
                .next()
                .is_some_and(|last| last.eq_ignore_ascii_case(t))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_move_forward_one_at_a_time() {
        assert!(Stage::RealmClosed.may_follow(None));
        assert!(Stage::Miniboss.may_follow(Some(Stage::RealmClosed)));
        assert!(!Stage::ThirdRoom.may_follow(Some(Stage::RealmClosed)));
        assert!(!Stage::RealmClosed.may_follow(Some(Stage::Miniboss)));
        assert!(!Stage::Miniboss.may_follow(None));
        assert_eq!(miniboss("dammah"), Some("Chancellor Dammah"));
        assert_eq!(miniboss("Chief Beisa"), Some("Chief Beisa"));
        assert_eq!(miniboss("Oryx"), None);
    }
}
