//! Role keys and the level hierarchy every permission check uses.

use serde::{Deserialize, Serialize};

/// A member's permission level: 0 for anyone, 1 (verified raider) to 8 (administrator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Level(pub u8);

impl Level {
    pub const NONE: Level = Level(0);
    pub const ADMINISTRATOR: Level = Level(8);
}

/// The internal role keys a guild maps to Discord roles with `/setroles`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleKey {
    Administrator,
    Moderator,
    HeadOrganizer,
    Officer,
    Security,
    Organizer,
    Team,
    VerifiedRaider,
    Suspended,
    Muted,
}

impl RoleKey {
    pub const ALL: [RoleKey; 10] = [
        RoleKey::Administrator,
        RoleKey::Moderator,
        RoleKey::HeadOrganizer,
        RoleKey::Officer,
        RoleKey::Security,
        RoleKey::Organizer,
        RoleKey::Team,
        RoleKey::VerifiedRaider,
        RoleKey::Suspended,
        RoleKey::Muted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RoleKey::Administrator => "administrator",
            RoleKey::Moderator => "moderator",
            RoleKey::HeadOrganizer => "head_organizer",
            RoleKey::Officer => "officer",
            RoleKey::Security => "security",
            RoleKey::Organizer => "organizer",
            RoleKey::Team => "team",
            RoleKey::VerifiedRaider => "verified_raider",
            RoleKey::Suspended => "suspended",
            RoleKey::Muted => "muted",
        }
    }

    pub fn parse(text: &str) -> Option<RoleKey> {
        RoleKey::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Human name for messages ("Head Organizer").
    pub fn label(self) -> &'static str {
        match self {
            RoleKey::Administrator => "Administrator",
            RoleKey::Moderator => "Moderator",
            RoleKey::HeadOrganizer => "Head Organizer",
            RoleKey::Officer => "Officer",
            RoleKey::Security => "Security",
            RoleKey::Organizer => "Organizer",
            RoleKey::Team => "Team",
            RoleKey::VerifiedRaider => "Verified Raider",
            RoleKey::Suspended => "Suspended",
            RoleKey::Muted => "Muted",
        }
    }

    /// The level this key grants; punishment roles grant none.
    pub fn level(self) -> Option<Level> {
        let level = match self {
            RoleKey::Administrator => 8,
            RoleKey::Moderator => 7,
            RoleKey::HeadOrganizer => 6,
            RoleKey::Officer => 5,
            RoleKey::Security => 4,
            RoleKey::Organizer => 3,
            RoleKey::Team => 2,
            RoleKey::VerifiedRaider => 1,
            RoleKey::Suspended | RoleKey::Muted => return None,
        };
        Some(Level(level))
    }

    /// The key whose level is exactly `level`, for messages ("requires Organizer").
    pub fn for_level(level: Level) -> Option<RoleKey> {
        RoleKey::ALL.into_iter().find(|k| k.level() == Some(level))
    }
}

/// A member's level: the highest level among the keys they hold; Discord's Administrator
/// permission counts as `administrator`.
pub fn member_level(held: impl IntoIterator<Item = RoleKey>, discord_administrator: bool) -> Level {
    if discord_administrator {
        return Level::ADMINISTRATOR;
    }
    held.into_iter()
        .filter_map(RoleKey::level)
        .max()
        .unwrap_or(Level::NONE)
}

/// Whether someone at `actor` may use something that requires `required`.
pub fn allows(actor: Level, required: RoleKey) -> bool {
    required.level().is_some_and(|needed| actor >= needed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for k in RoleKey::ALL {
            assert_eq!(RoleKey::parse(k.as_str()), Some(k));
        }
        assert_eq!(RoleKey::parse("Administrator"), None);
    }

    #[test]
    fn highest_key_wins_and_discord_admin_is_administrator() {
        let lvl = member_level(
            [RoleKey::VerifiedRaider, RoleKey::Security, RoleKey::Team],
            false,
        );
        assert_eq!(lvl, Level(4));
        assert!(allows(lvl, RoleKey::Organizer));
        assert!(!allows(lvl, RoleKey::Officer));
        assert_eq!(member_level([RoleKey::Muted], false), Level::NONE);
        assert_eq!(member_level([], true), Level::ADMINISTRATOR);
        assert!(!allows(Level::ADMINISTRATOR, RoleKey::Muted));
    }
}
