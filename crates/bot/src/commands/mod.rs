//! Slash command definitions (one module per feature) and their registration.

mod config;
pub(crate) mod headcount;
mod moderation;
mod modmail;
mod party;
mod quota;
mod role_pings;
mod runs;
mod staff;
mod verification;

use twilight_http::Client;
use twilight_model::application::command::Command;
use twilight_model::id::Id;
use twilight_model::id::marker::{ApplicationMarker, GuildMarker};

/// The commands this build handles, by name.
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
        }
    }

    pub fn parse(name: &str) -> Option<CommandName> {
        CommandName::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == name)
    }
}

/// Where /help lists a command and the least role that may use it (None: everyone).
/// A match, so a new command cannot be added without saying who may use it.
pub fn minimum_role(name: CommandName) -> (&'static str, Option<domain::RoleKey>) {
    use domain::RoleKey as K;
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
        CommandName::ModmailReply | CommandName::Modmail => ("Modmail", Some(K::Security)),
        CommandName::ModmailBlacklist | CommandName::ModmailUnblacklist => {
            ("Modmail", Some(K::Officer))
        }
    }
}

/// Every command this build registers.
pub fn definitions() -> Vec<Command> {
    let mut all = config::definitions();
    all.extend(runs::definitions());
    all.extend(headcount::definitions());
    all.extend(party::definitions());
    all.extend(role_pings::definitions());
    all.extend(moderation::definitions());
    all.extend(staff::definitions());
    all.extend(quota::definitions());
    all.extend(verification::definitions());
    all.extend(modmail::definitions());
    all
}

/// Overwrites the registered commands: to one guild (instant, for development) or globally.
pub async fn register(
    http: &Client,
    application_id: Id<ApplicationMarker>,
    guild: Option<Id<GuildMarker>>,
) -> Result<usize, twilight_http::Error> {
    let commands = definitions();
    let interaction = http.interaction(application_id);
    match guild {
        Some(guild) => interaction.set_guild_commands(guild, &commands).await?,
        None => interaction.set_global_commands(&commands).await?,
    };
    Ok(commands.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_fit_discord_limits() {
        for c in definitions() {
            assert!((1..=32).contains(&c.name.len()), "{}", c.name);
            assert!(
                c.name
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '_')
            );
            assert!(
                (1..=100).contains(&c.description.len()),
                "{}",
                c.description
            );
            assert!(
                c.options.len() <= 25,
                "{} has {} options",
                c.name,
                c.options.len()
            );
            for o in &c.options {
                assert!((1..=32).contains(&o.name.len()), "{}", o.name);
                assert!(
                    (1..=100).contains(&o.description.len()),
                    "{}",
                    o.description
                );
                assert!(o.choices.as_ref().is_none_or(|ch| ch.len() <= 25));
            }
            assert!(CommandName::parse(&c.name).is_some());
        }
    }
}
