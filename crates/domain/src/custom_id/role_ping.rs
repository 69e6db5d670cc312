//! The self-service ping role panel: `rping:toggle:<dungeon_code>`, `rping:pick:<menu>`
//! (a select menu whose values are dungeon codes), `rping:all:add`, `rping:all:remove`.
//!
//! They name dungeon codes (the key of a `dungeon_role_ping` row), never roles or member
//! state, so an old panel keeps working after a restart and after mappings change: the
//! role is looked up when the button is pressed.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolePingComponent {
    /// Toggle the ping role of one dungeon on the pressing member.
    Toggle { dungeon_code: String },
    /// A multi-select menu (index on the panel) whose picked values are dungeon codes to
    /// toggle; used when there are too many mappings for buttons.
    Pick { menu: u8 },
    /// Give the member every mapped ping role.
    AddAll,
    /// Take every mapped ping role from the member.
    RemoveAll,
}

/// A dungeon code as the catalog writes them: `[a-z0-9_]`, 1–64 characters.
pub fn is_code(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl RolePingComponent {
    pub(super) fn parse(rest: &str) -> Option<RolePingComponent> {
        let mut parts = rest.split(':');
        let action = parts.next()?;
        let arg = parts.next()?;
        if parts.next().is_some() {
            return None;
        }
        match (action, arg) {
            ("toggle", code) if is_code(code) => Some(RolePingComponent::Toggle {
                dungeon_code: code.to_owned(),
            }),
            ("pick", n) if n.len() == 1 => {
                n.parse().ok().map(|menu| RolePingComponent::Pick { menu })
            }
            ("all", "add") => Some(RolePingComponent::AddAll),
            ("all", "remove") => Some(RolePingComponent::RemoveAll),
            _ => None,
        }
    }
}

impl fmt::Display for RolePingComponent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RolePingComponent::Toggle { dungeon_code } => write!(f, "toggle:{dungeon_code}"),
            RolePingComponent::Pick { menu } => write!(f, "pick:{menu}"),
            RolePingComponent::AddAll => write!(f, "all:add"),
            RolePingComponent::RemoveAll => write!(f, "all:remove"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CUSTOM_ID_MAX, CustomId};
    use super::*;
    use crate::catalog::catalog;

    #[test]
    fn every_dungeon_round_trips_and_fits_discord() {
        let mut all: Vec<RolePingComponent> = catalog()
            .dungeons
            .iter()
            .map(|d| RolePingComponent::Toggle {
                dungeon_code: d.code.clone(),
            })
            .collect();
        all.extend([
            RolePingComponent::Pick { menu: 0 },
            RolePingComponent::Pick { menu: 3 },
            RolePingComponent::AddAll,
            RolePingComponent::RemoveAll,
        ]);
        for c in all {
            let text = CustomId::RolePing(c.clone()).to_string();
            assert!(text.len() <= CUSTOM_ID_MAX, "{text}");
            assert_eq!(
                CustomId::parse(&text),
                Some(CustomId::RolePing(c)),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "rping",
            "rping:toggle",
            "rping:toggle:",
            "rping:toggle:Bad-Code",
            "rping:toggle:a:b",
            "rping:all:maybe",
            "rping:pick:x",
            "rping:pick:10",
        ] {
            assert_eq!(CustomId::parse(bad), None, "{bad}");
        }
    }
}
