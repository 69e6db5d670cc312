//! Slash commands by name, and the table of the least role key each needs and the section
//! `/help` lists it under. It lives here, next to the role keys, rather than in the bot, so
//! the adapters and `service` read one table; the bot lists `/help` from it.
//!
//! Registration leaves Discord's `default_member_permissions` unset for every command:
//! a raidbot level comes from the guild's role mapping (`/setroles`), which Discord
//! permissions cannot express, so every member sees every command and raidbot answers a
//! member below the command's key with the reason.

use crate::RoleKey;

/// The slash commands raidbot handles, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandName {
    SetRoles,
    SetChannels,
    SetAutoEnd,
    Run,
    Taken,
    Headcount,
    Party,
    ConfigRolePings,
    SendRolePingEmbed,
    Warn,
    Suspend,
    Mute,
    Unsuspend,
    Unmute,
    RemovePunishment,
    Kick,
    Ban,
    Softban,
    Unban,
    Find,
    AddNote,
    RemoveNote,
    Purge,
    AddRole,
    CreateRole,
    Help,
    Ping,
    ConfigQuota,
    ConfigPoints,
    LogRun,
    LogKey,
    AddQuotaPoints,
    AddPoints,
    Stats,
    Leaderboard,
    ConfigVerification,
    Verify,
    Unverify,
    EditName,
    AddAlt,
    RemoveAlt,
    ForceSync,
    SyncTeam,
    AddRoleVerification,
    RoleVerifications,
    RemoveRoleVerification,
    ModmailReply,
    Modmail,
    ModmailBlacklist,
    ModmailUnblacklist,
    EditPunishment,
    MassSuspend,
    MassWarn,
    ConfigEscalation,
    Snippet,
    ModmailStats,
    Schedule,
    Reschedule,
    ScheduleSettings,
    RaidStats,
    ConfigPromotions,
}

impl CommandName {
    /// Every command; a slice so that adding one is one line.
    pub const ALL: &[CommandName] = &[
        CommandName::SetRoles,
        CommandName::SetChannels,
        CommandName::SetAutoEnd,
        CommandName::Run,
        CommandName::Taken,
        CommandName::Headcount,
        CommandName::Party,
        CommandName::ConfigRolePings,
        CommandName::SendRolePingEmbed,
        CommandName::Warn,
        CommandName::Suspend,
        CommandName::Mute,
        CommandName::Unsuspend,
        CommandName::Unmute,
        CommandName::RemovePunishment,
        CommandName::Kick,
        CommandName::Ban,
        CommandName::Softban,
        CommandName::Unban,
        CommandName::Find,
        CommandName::AddNote,
        CommandName::RemoveNote,
        CommandName::Purge,
        CommandName::AddRole,
        CommandName::CreateRole,
        CommandName::Help,
        CommandName::Ping,
        CommandName::ConfigQuota,
        CommandName::ConfigPoints,
        CommandName::LogRun,
        CommandName::LogKey,
        CommandName::AddQuotaPoints,
        CommandName::AddPoints,
        CommandName::Stats,
        CommandName::Leaderboard,
        CommandName::ConfigVerification,
        CommandName::Verify,
        CommandName::Unverify,
        CommandName::EditName,
        CommandName::AddAlt,
        CommandName::RemoveAlt,
        CommandName::ForceSync,
        CommandName::SyncTeam,
        CommandName::AddRoleVerification,
        CommandName::RoleVerifications,
        CommandName::RemoveRoleVerification,
        CommandName::ModmailReply,
        CommandName::Modmail,
        CommandName::ModmailBlacklist,
        CommandName::ModmailUnblacklist,
        CommandName::EditPunishment,
        CommandName::MassSuspend,
        CommandName::MassWarn,
        CommandName::ConfigEscalation,
        CommandName::Snippet,
        CommandName::ModmailStats,
        CommandName::Schedule,
        CommandName::Reschedule,
        CommandName::ScheduleSettings,
        CommandName::RaidStats,
        CommandName::ConfigPromotions,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CommandName::SetRoles => "setroles",
            CommandName::SetChannels => "setchannels",
            CommandName::SetAutoEnd => "setautoend",
            CommandName::Run => "run",
            CommandName::Taken => "taken",
            CommandName::Headcount => "headcount",
            CommandName::Party => "party",
            CommandName::ConfigRolePings => "configrolepings",
            CommandName::SendRolePingEmbed => "sendrolepingembed",
            CommandName::Warn => "warn",
            CommandName::Suspend => "suspend",
            CommandName::Mute => "mute",
            CommandName::Unsuspend => "unsuspend",
            CommandName::Unmute => "unmute",
            CommandName::RemovePunishment => "removepunishment",
            CommandName::Kick => "kick",
            CommandName::Ban => "ban",
            CommandName::Softban => "softban",
            CommandName::Unban => "unban",
            CommandName::Find => "find",
            CommandName::AddNote => "addnote",
            CommandName::RemoveNote => "removenote",
            CommandName::Purge => "purge",
            CommandName::AddRole => "addrole",
            CommandName::CreateRole => "createrole",
            CommandName::Help => "help",
            CommandName::Ping => "ping",
            CommandName::ConfigQuota => "configquota",
            CommandName::ConfigPoints => "configpoints",
            CommandName::LogRun => "logrun",
            CommandName::LogKey => "logkey",
            CommandName::AddQuotaPoints => "addquotapoints",
            CommandName::AddPoints => "addpoints",
            CommandName::Stats => "stats",
            CommandName::Leaderboard => "leaderboard",
            CommandName::ConfigVerification => "configverification",
            CommandName::Verify => "verify",
            CommandName::Unverify => "unverify",
            CommandName::EditName => "editname",
            CommandName::AddAlt => "addalt",
            CommandName::RemoveAlt => "removealt",
            CommandName::ForceSync => "forcesync",
            CommandName::SyncTeam => "syncteam",
            CommandName::AddRoleVerification => "addroleverification",
            CommandName::RoleVerifications => "roleverifications",
            CommandName::RemoveRoleVerification => "removeroleverification",
            CommandName::ModmailReply => "modmailreply",
            CommandName::Modmail => "modmail",
            CommandName::ModmailBlacklist => "modmailblacklist",
            CommandName::ModmailUnblacklist => "modmailunblacklist",
            CommandName::EditPunishment => "editpunishment",
            CommandName::MassSuspend => "masssuspend",
            CommandName::MassWarn => "masswarn",
            CommandName::ConfigEscalation => "configescalation",
            CommandName::Snippet => "snippet",
            CommandName::ModmailStats => "modmailstats",
            CommandName::Schedule => "schedule",
            CommandName::Reschedule => "reschedule",
            CommandName::ScheduleSettings => "schedulesettings",
            CommandName::RaidStats => "raidstats",
            CommandName::ConfigPromotions => "configpromotions",
        }
    }

    pub fn parse(name: &str) -> Option<CommandName> {
        CommandName::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == name)
    }
}

impl CommandName {
    /// The section `/help` lists the command under.
    pub fn category(self) -> &'static str {
        table(self).0
    }

    /// The least role that may use the command (None: everyone).
    pub fn minimum_role(self) -> Option<RoleKey> {
        table(self).1
    }
}

/// Where /help lists a command and the least role that may use it (None: everyone).
/// A match, so a new command cannot be added without saying who may use it.
fn table(name: CommandName) -> (&'static str, Option<RoleKey>) {
    use RoleKey as K;
    match name {
        CommandName::SetRoles
        | CommandName::SetChannels
        | CommandName::SetAutoEnd
        | CommandName::CreateRole => ("Configuration", Some(K::Administrator)),
        CommandName::ConfigRolePings | CommandName::SendRolePingEmbed => {
            ("Configuration", Some(K::Moderator))
        }
        CommandName::Run | CommandName::Taken | CommandName::Headcount => {
            ("Raids", Some(K::Organizer))
        }
        CommandName::Party => ("Raids", Some(K::VerifiedRaider)),
        CommandName::Warn
        | CommandName::Suspend
        | CommandName::Mute
        | CommandName::Unsuspend
        | CommandName::Unmute
        | CommandName::RemovePunishment
        | CommandName::Find
        | CommandName::AddNote
        | CommandName::Purge => ("Moderation", Some(K::Security)),
        CommandName::Kick
        | CommandName::Ban
        | CommandName::Softban
        | CommandName::Unban
        | CommandName::RemoveNote
        | CommandName::AddRole => ("Moderation", Some(K::Officer)),
        CommandName::Help | CommandName::Ping => ("General", None),
        CommandName::ConfigQuota | CommandName::ConfigPoints => ("Quota", Some(K::Moderator)),
        CommandName::LogRun | CommandName::LogKey => ("Quota", Some(K::Organizer)),
        CommandName::AddQuotaPoints | CommandName::AddPoints => ("Quota", Some(K::Officer)),
        CommandName::Stats | CommandName::Leaderboard => ("Quota", Some(K::VerifiedRaider)),
        CommandName::ConfigVerification
        | CommandName::AddRoleVerification
        | CommandName::RoleVerifications
        | CommandName::RemoveRoleVerification => ("Verification", Some(K::Moderator)),
        CommandName::Verify
        | CommandName::Unverify
        | CommandName::EditName
        | CommandName::AddAlt
        | CommandName::RemoveAlt => ("Verification", Some(K::Security)),
        CommandName::ForceSync | CommandName::SyncTeam => ("Verification", Some(K::Administrator)),
        // `/modmail open` is for every member; `/modmail close` checks security itself.
        CommandName::Modmail => ("Modmail", None),
        CommandName::ModmailReply => ("Modmail", Some(K::Security)),
        CommandName::ModmailBlacklist | CommandName::ModmailUnblacklist => {
            ("Modmail", Some(K::Officer))
        }
        CommandName::EditPunishment => ("Moderation", Some(K::Security)),
        CommandName::MassSuspend | CommandName::MassWarn => ("Moderation", Some(K::Officer)),
        CommandName::ConfigEscalation => ("Configuration", Some(K::Administrator)),
        CommandName::Snippet | CommandName::ModmailStats => ("Modmail", Some(K::Security)),
        CommandName::Schedule | CommandName::Reschedule => ("Raids", Some(K::Organizer)),
        CommandName::ScheduleSettings => ("Configuration", Some(K::Administrator)),
        CommandName::RaidStats => ("Raids", Some(K::Organizer)),
        CommandName::ConfigPromotions => ("Configuration", Some(K::Administrator)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for (i, c) in CommandName::ALL.iter().enumerate() {
            assert_eq!(CommandName::parse(c.as_str()), Some(*c));
            assert!(!CommandName::ALL[..i].contains(c), "{c:?} listed twice");
        }
    }
}
