//! Dungeon ping roles: moderators map dungeons to roles (`/configrolepings`) and post the
//! self-service panel (`/sendrolepingembed`); members toggle the roles from that panel.

use domain::catalog::catalog;
use domain::snowflake::InvalidSnowflake;
use domain::{ChannelKey, RoleKey, Snowflake};
use serde_json::json;
use store::role_pings as store_pings;

/// A dungeon's ping role: what the ping role panel shows.
pub use store::role_pings::RolePing;
use store::{PgPool, guild_config, logs};

use crate::error::Refusal;
use crate::tasks::{self, LogEvent, Task};
use crate::{Actor, Result, ServiceError};

/// Why a role ping setting was refused; the adapters word it (`messages::role_pings`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("role ping refused: {}", self.code())]
pub enum RolePingError {
    /// A role without the dungeon it is for.
    DungeonRequired,
    /// A dungeon code raidbot does not know (as typed).
    UnknownDungeon { code: String },
    /// @everyone as a ping role.
    EveryoneRole,
    /// The panel's channel is not a text channel.
    NotATextChannel { channel: Snowflake },
    /// A role or channel id that is not a Discord id.
    BadId(InvalidSnowflake),
    /// A panel posted without a channel where the guild has no role_ping channel.
    NoChannel,
    /// A panel posted before any dungeon has a ping role.
    NoPingRoles,
    /// A panel button for a dungeon whose ping role was removed.
    NoLongerOffered { code: String },
}

impl RolePingError {
    /// A stable snake_case code for logs and the REST API.
    pub fn code(&self) -> &'static str {
        match self {
            RolePingError::DungeonRequired => "dungeon_required",
            RolePingError::UnknownDungeon { .. } => "unknown_dungeon",
            RolePingError::EveryoneRole => "everyone_role",
            RolePingError::NotATextChannel { .. } => "wrong_channel_type",
            RolePingError::BadId(_) => "invalid_id",
            RolePingError::NoChannel => "role_ping_channel_not_configured",
            RolePingError::NoPingRoles => "no_role_pings",
            RolePingError::NoLongerOffered { .. } => "not_found",
        }
    }

    /// What kind of refusal this is.
    pub fn kind(&self) -> Refusal {
        match self {
            RolePingError::NoLongerOffered { .. } => Refusal::NotFound,
            RolePingError::NoChannel | RolePingError::NoPingRoles => Refusal::Conflict,
            _ => Refusal::Invalid,
        }
    }
}

fn unknown_dungeon(code: &str) -> ServiceError {
    RolePingError::UnknownDungeon {
        code: code.to_owned(),
    }
    .into()
}

/// The mappings, for moderators.
pub async fn list(pool: &PgPool, guild: Snowflake, actor: &Actor) -> Result<Vec<RolePing>> {
    actor.require(RoleKey::Moderator)?;
    mappings(pool, guild).await
}

/// The mappings, for the panel (no permission needed to read which dungeons are offered).
pub async fn mappings(pool: &PgPool, guild: Snowflake) -> Result<Vec<RolePing>> {
    let mut conn = pool.acquire().await?;
    Ok(store_pings::all(&mut conn, guild).await?)
}

/// Maps (`Some(role)`) or unmaps (`None`) a dungeon's ping role. Moderators only; each
/// change is audited and logged to `bot_log`. Returns the role mapped before, if any.
pub async fn configure(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    dungeon_code: &str,
    role: Option<Snowflake>,
) -> Result<Option<Snowflake>> {
    actor.require(RoleKey::Moderator)?;
    let dungeon = catalog()
        .dungeon(dungeon_code.trim())
        .ok_or_else(|| unknown_dungeon(dungeon_code.trim()))?;
    if role.is_some_and(|r| r == guild) {
        return Err(RolePingError::EveryoneRole.into());
    }
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    let before = match role {
        Some(r) => store_pings::set(&mut tx, guild, &dungeon.code, r).await?,
        None => store_pings::clear(&mut tx, guild, &dungeon.code).await?,
    };
    if before != role {
        logs::record_audit(
            &mut tx,
            guild,
            &actor.audit(),
            "set_role_ping",
            json!({ "dungeon": dungeon.code, "role": before }),
            json!({ "dungeon": dungeon.code, "role": role }),
        )
        .await?;
        let event = LogEvent::RolePingChanged {
            by: actor.label.clone(),
            dungeon: dungeon.code.clone(),
            role: role.map(|r| r.to_string()),
        };
        tasks::log(&mut tx, guild, ChannelKey::BotLog, event).await?;
    }
    tx.commit().await?;
    Ok(before)
}

/// Queues the self-service panel in `channel`, else the guild's `role_ping` channel.
/// Moderators only; refused while no dungeon has a ping role. Returns the channel.
pub async fn post_panel(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    channel: Option<Snowflake>,
) -> Result<Snowflake> {
    actor.require(RoleKey::Moderator)?;
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    let channel = match channel {
        Some(c) => c,
        None => guild_config::channel(&mut tx, guild, ChannelKey::RolePing)
            .await?
            .ok_or(RolePingError::NoChannel)?,
    };
    if store_pings::all(&mut tx, guild).await?.is_empty() {
        return Err(RolePingError::NoPingRoles.into());
    }
    tasks::queue(&mut tx, guild, Task::RolePingPanelPost { channel }, None).await?;
    tx.commit().await?;
    Ok(channel)
}

/// The role a run of `dungeon_code` mentions when it is posted, if one is mapped.
pub async fn ping_role(
    pool: &PgPool,
    guild: Snowflake,
    dungeon_code: &str,
) -> Result<Option<Snowflake>> {
    let mut conn = pool.acquire().await?;
    Ok(store_pings::ping_role(&mut conn, guild, dungeon_code).await?)
}

/// The ping role a panel button stands for. Anyone may press the panel; a dungeon that is
/// no longer mapped gets a clear answer.
pub async fn role_for(pool: &PgPool, guild: Snowflake, dungeon_code: &str) -> Result<Snowflake> {
    let mut conn = pool.acquire().await?;
    store_pings::ping_role(&mut conn, guild, dungeon_code)
        .await?
        .ok_or_else(|| {
            RolePingError::NoLongerOffered {
                code: dungeon_code.to_owned(),
            }
            .into()
        })
}
