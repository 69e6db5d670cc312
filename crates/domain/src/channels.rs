//! Channel keys: one list, each with the kind of channel it must be.

use serde::{Deserialize, Serialize};

/// What kind of Discord channel a key accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// A text or announcement channel.
    Text,
    /// A forum channel.
    Forum,
}

impl ChannelKind {
    pub fn label(self) -> &'static str {
        match self {
            ChannelKind::Text => "a text channel",
            ChannelKind::Forum => "a forum channel",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKey {
    Raid,
    RaidLog,
    PartyFinder,
    EarlyLoc,
    RolePing,
    Getverified,
    ManualVerification,
    VeriLog,
    PunishmentLog,
    Quota,
    QuotaLog,
    BotLog,
    StaffUpdates,
    Modmail,
}

impl ChannelKey {
    pub const ALL: [ChannelKey; 14] = [
        ChannelKey::Raid,
        ChannelKey::RaidLog,
        ChannelKey::PartyFinder,
        ChannelKey::EarlyLoc,
        ChannelKey::RolePing,
        ChannelKey::Getverified,
        ChannelKey::ManualVerification,
        ChannelKey::VeriLog,
        ChannelKey::PunishmentLog,
        ChannelKey::Quota,
        ChannelKey::QuotaLog,
        ChannelKey::BotLog,
        ChannelKey::StaffUpdates,
        ChannelKey::Modmail,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKey::Raid => "raid",
            ChannelKey::RaidLog => "raid_log",
            ChannelKey::PartyFinder => "party_finder",
            ChannelKey::EarlyLoc => "early_loc",
            ChannelKey::RolePing => "role_ping",
            ChannelKey::Getverified => "getverified",
            ChannelKey::ManualVerification => "manual_verification",
            ChannelKey::VeriLog => "veri_log",
            ChannelKey::PunishmentLog => "punishment_log",
            ChannelKey::Quota => "quota",
            ChannelKey::QuotaLog => "quota_log",
            ChannelKey::BotLog => "bot_log",
            ChannelKey::StaffUpdates => "staff_updates",
            ChannelKey::Modmail => "modmail",
        }
    }

    pub fn parse(text: &str) -> Option<ChannelKey> {
        ChannelKey::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn kind(self) -> ChannelKind {
        match self {
            ChannelKey::Modmail => ChannelKind::Forum,
            _ => ChannelKind::Text,
        }
    }

    /// One line saying what the channel is for (slash command option descriptions).
    pub fn purpose(self) -> &'static str {
        match self {
            ChannelKey::Raid => "Run and headcount panels",
            ChannelKey::RaidLog => "Run lifecycle log",
            ChannelKey::PartyFinder => "Member-run party posts",
            ChannelKey::EarlyLoc => "Early location notices for staff",
            ChannelKey::RolePing => "Self-service ping role panel",
            ChannelKey::Getverified => "Verification panel",
            ChannelKey::ManualVerification => "Screenshot verification review",
            ChannelKey::VeriLog => "Verification log",
            ChannelKey::PunishmentLog => "Punishment log",
            ChannelKey::Quota => "Quota panels",
            ChannelKey::QuotaLog => "Quota adjustments and resets",
            ChannelKey::BotLog => "Errors, start-up and configuration changes",
            ChannelKey::StaffUpdates => "Team role changes",
            ChannelKey::Modmail => "Modmail tickets (forum)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_modmail_is_a_forum() {
        for k in ChannelKey::ALL {
            assert_eq!(ChannelKey::parse(k.as_str()), Some(k));
        }
        assert_eq!(ChannelKey::Modmail.kind(), ChannelKind::Forum);
        assert_eq!(ChannelKey::Raid.kind(), ChannelKind::Text);
        assert_eq!(ChannelKey::parse("quota_log"), Some(ChannelKey::QuotaLog));
    }
}
