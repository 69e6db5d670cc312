//! Guild configuration: role keys and channel keys.

use std::collections::BTreeMap;

use domain::{ChannelKey, RoleKey, Snowflake};
use serde_json::json;
use store::{PgConnection, PgPool, guild_config, logs};

use crate::error::Refusal;
use crate::tasks::{self, LogEvent, SettingsArea};
use crate::{Actor, Result};
use domain::roles::member_level;
use domain::snowflake::InvalidSnowflake;

/// Why a settings use case refused (role and channel mappings, run auto-end); the
/// adapters word it (the bot in `views::config`, the API in its error mapping).
/// [`SettingsError::code`] is the stable code programs see.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("settings refused: {}", self.code())]
pub enum SettingsError {
    /// Auto-end out of 1 minute to 24 hours.
    AutoEndOutOfRange,
    /// Auto-end that is not a number of minutes.
    BadAutoEnd,
    /// A Discord id that is not one.
    BadId(InvalidSnowflake),
    /// A role key that is not one (as typed).
    UnknownRoleKey { text: String },
    /// A channel key that is not one (as typed).
    UnknownChannelKey { text: String },
    /// A channel of the wrong type for its key.
    WrongChannelType { key: ChannelKey, channel: Snowflake },
}

impl SettingsError {
    /// A stable snake_case code for logs and the REST API.
    pub fn code(&self) -> &'static str {
        match self {
            SettingsError::AutoEndOutOfRange | SettingsError::BadAutoEnd => "invalid_auto_end",
            SettingsError::BadId(_) => "invalid_id",
            SettingsError::UnknownRoleKey { .. } => "unknown_role_key",
            SettingsError::UnknownChannelKey { .. } => "unknown_channel_key",
            SettingsError::WrongChannelType { .. } => "wrong_channel_type",
        }
    }

    /// What kind of refusal this is: each is a value that is not acceptable.
    pub fn kind(&self) -> Refusal {
        Refusal::Invalid
    }
}

/// The actor behind a Discord interaction: their level is the highest role key whose
/// Discord role they hold (Discord's Administrator permission counts as administrator).
pub fn actor_for_member(
    mapping: &BTreeMap<RoleKey, Snowflake>,
    user: Snowflake,
    discord_roles: &[Snowflake],
    discord_administrator: bool,
) -> Actor {
    let held = mapping
        .iter()
        .filter(|(_, role)| discord_roles.contains(role))
        .map(|(key, _)| *key);
    Actor::member(user, member_level(held, discord_administrator))
}

/// The role mapping as a moderator (configuration staff) may read it.
pub async fn view_roles(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
) -> Result<BTreeMap<RoleKey, Snowflake>> {
    actor.require(RoleKey::Moderator)?;
    roles(pool, guild).await
}

/// The channel mapping as a moderator may read it.
pub async fn view_channels(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
) -> Result<BTreeMap<ChannelKey, Snowflake>> {
    actor.require(RoleKey::Moderator)?;
    channels(pool, guild).await
}

pub async fn roles(pool: &PgPool, guild: Snowflake) -> Result<BTreeMap<RoleKey, Snowflake>> {
    let mut conn = pool.acquire().await?;
    Ok(guild_config::roles(&mut conn, guild).await?)
}

pub async fn channels(pool: &PgPool, guild: Snowflake) -> Result<BTreeMap<ChannelKey, Snowflake>> {
    let mut conn = pool.acquire().await?;
    Ok(guild_config::channels(&mut conn, guild).await?)
}

fn as_strings<K: Copy, F: Fn(K) -> &'static str>(
    changes: &[(K, Option<Snowflake>)],
    name: F,
) -> Vec<(String, Option<String>)> {
    changes
        .iter()
        .map(|(k, v)| (name(*k).to_owned(), v.map(|s| s.to_string())))
        .collect()
}

/// How long this server's runs last before they end by themselves, in minutes; with
/// `Some`, changes it first (administrators; 1 minute to 24 hours, as a run's own
/// duration). Runs already posted keep their end time. Returns (before, after).
pub async fn run_auto_end(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    minutes: Option<i32>,
) -> Result<(i32, i32)> {
    actor.require(RoleKey::Administrator)?;
    if let Some(m) = minutes
        && !(1..=crate::runs::MAX_DURATION_MINUTES).contains(&m)
    {
        return Err(SettingsError::AutoEndOutOfRange.into());
    }
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    let before = guild_config::run_auto_end_minutes(&mut tx, guild).await?;
    let after = minutes.unwrap_or(before);
    if after != before {
        guild_config::set_run_auto_end_minutes(&mut tx, guild, after).await?;
        logs::record_audit(
            &mut tx,
            guild,
            &actor.audit(),
            "set_run_auto_end",
            json!({ "minutes": before }),
            json!({ "minutes": after }),
        )
        .await?;
        let event = LogEvent::AutoEndChanged {
            by: actor.label.clone(),
            before,
            after,
        };
        tasks::log(&mut tx, guild, ChannelKey::BotLog, event).await?;
    }
    tx.commit().await?;
    Ok((before, after))
}

/// Who may change a server's settings (role and channel mappings, points, quota,
/// promotion rules, `/createrole`): administrators. Adapters that read or change Discord
/// before the use case (which checks again) ask first, so a non-administrator learns
/// nothing and nothing is created.
pub fn may_configure(actor: &Actor) -> Result<()> {
    actor.require(RoleKey::Administrator)
}

/// Sets (`Some`) or clears (`None`) role keys; keys not named stay. Administrators only.
/// Returns the whole mapping afterwards.
pub async fn set_roles(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    changes: &[(RoleKey, Option<Snowflake>)],
) -> Result<BTreeMap<RoleKey, Snowflake>> {
    may_configure(actor)?;
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    let before = guild_config::roles(&mut tx, guild).await?;
    for (key, role) in changes {
        guild_config::set_role(&mut tx, guild, *key, *role).await?;
    }
    let after = guild_config::roles(&mut tx, guild).await?;
    if before != after {
        logs::record_audit(
            &mut tx,
            guild,
            &actor.audit(),
            "set_roles",
            json!(before),
            json!(after),
        )
        .await?;
        let event = LogEvent::RolesChanged {
            by: actor.label.clone(),
            changes: as_strings(changes, RoleKey::as_str),
        };
        tasks::log(&mut tx, guild, ChannelKey::BotLog, event).await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// Sets (`Some`) or clears (`None`) channel keys; keys not named stay. Administrators only.
/// The channel's kind is checked by the adapter that can see it (`ChannelKey::kind`).
pub async fn set_channels(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    changes: &[(ChannelKey, Option<Snowflake>)],
) -> Result<BTreeMap<ChannelKey, Snowflake>> {
    actor.require(RoleKey::Administrator)?;
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    let before = guild_config::channels(&mut tx, guild).await?;
    for (key, channel) in changes {
        guild_config::set_channel(&mut tx, guild, *key, *channel).await?;
    }
    let after = guild_config::channels(&mut tx, guild).await?;
    if before != after {
        logs::record_audit(
            &mut tx,
            guild,
            &actor.audit(),
            "set_channels",
            json!(before),
            json!(after),
        )
        .await?;
        let event = LogEvent::ChannelsChanged {
            by: actor.label.clone(),
            changes: as_strings(changes, ChannelKey::as_str),
        };
        tasks::log(&mut tx, guild, ChannelKey::BotLog, event).await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// A change to a feature's settings, for the audit log and `bot_log`.
pub(crate) struct SettingsChange {
    /// The audit row's action ("configure_points").
    pub action: &'static str,
    pub area: SettingsArea,
    pub role: Option<Snowflake>,
    pub name: Option<String>,
    /// Each changed setting: (key, value before, value after).
    pub changes: Vec<(String, String, String)>,
}

impl SettingsChange {
    pub fn new(action: &'static str, area: SettingsArea) -> SettingsChange {
        SettingsChange {
            action,
            area,
            role: None,
            name: None,
            changes: Vec::new(),
        }
    }

    /// Records `key` when its value differs.
    pub fn field(&mut self, key: &str, before: impl ToString, after: impl ToString) {
        let (before, after) = (before.to_string(), after.to_string());
        if before != after {
            self.changes.push((key.to_owned(), before, after));
        }
    }

    /// Records `key` as set to `after` (its value before is not known or does not matter).
    pub fn set(&mut self, key: &str, after: impl ToString) {
        self.changes
            .push((key.to_owned(), String::new(), after.to_string()));
    }
}

/// Every configuration change is audited and posted to `bot_log`, in the caller's
/// transaction; a change that changed nothing records nothing.
pub(crate) async fn record_settings_change(
    conn: &mut PgConnection,
    guild: Snowflake,
    actor: &Actor,
    change: SettingsChange,
) -> Result<()> {
    if change.changes.is_empty() {
        return Ok(());
    }
    let before: BTreeMap<&str, &str> = change
        .changes
        .iter()
        .map(|(k, b, _)| (k.as_str(), b.as_str()))
        .collect();
    let after: BTreeMap<&str, &str> = change
        .changes
        .iter()
        .map(|(k, _, a)| (k.as_str(), a.as_str()))
        .collect();
    let subject = json!({
        "role": change.role.map(|r| r.to_string()),
        "name": change.name,
    });
    logs::record_audit(
        conn,
        guild,
        &actor.audit(),
        change.action,
        json!({ "subject": subject, "settings": before }),
        json!({ "subject": subject, "settings": after }),
    )
    .await?;
    let event = LogEvent::SettingsChanged {
        by: actor.label.clone(),
        area: change.area,
        role: change.role,
        name: change.name.clone(),
        changes: change.changes.into_iter().map(|(k, _, a)| (k, a)).collect(),
    };
    tasks::log(conn, guild, ChannelKey::BotLog, event).await?;
    Ok(())
}

/// A bot process started: queue a start-up line for every server with a `bot_log`, so
/// staff see restarts (and the version running) where configuration changes appear.
pub async fn announce_start(pool: &PgPool, version: &str) -> Result<usize> {
    let mut tx = pool.begin().await?;
    let guilds = guild_config::guilds_with_channel(&mut tx, ChannelKey::BotLog).await?;
    for guild in &guilds {
        let event = LogEvent::BotStarted {
            version: version.to_owned(),
        };
        tasks::log(&mut tx, *guild, ChannelKey::BotLog, event).await?;
    }
    tx.commit().await?;
    Ok(guilds.len())
}
