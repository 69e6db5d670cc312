//! Staff operations: /purge (rate limited per member, counted from rows), /addrole,
//! /createrole bookkeeping, and team role sync.

use chrono::{DateTime, Utc};
use domain::moderation::{
    HierarchyRefusal, PURGE_MAX, Reach, TargetFacts, check_hierarchy, purge_wait,
};
use domain::{RoleKey, Snowflake};
use serde_json::json;
use store::{PgPool, guild_config, logs, staff};

use crate::error::Refusal;
use crate::tasks::{self, Task};
use crate::{Actor, Result};

/// Why a staff command (/purge, /addrole, /createrole) was refused; the adapters word it
/// (`messages::staff`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("staff command refused: {}", self.code())]
pub enum StaffError {
    /// /purge by an API key or the system: purging is done as a member.
    MemberRequired,
    /// /purge outside a channel.
    ChannelRequired,
    /// /purge of fewer than 1 or more than [`PURGE_MAX`] messages.
    BadPurgeAmount,
    /// /addrole without a (valid) role.
    RoleRequired,
    /// /addrole of a member who is not in the server.
    NotAMember { user: Snowflake },
    /// /addrole of a role that is not one of raidbot's.
    UnmappedRole { role: Snowflake },
    /// /addrole of a punishment role (suspended, muted): those have their commands.
    PunishmentRole { key: RoleKey },
    /// /purge used up (3 a minute, 10 an hour); the next is allowed at `again`, `wait`
    /// seconds from now.
    PurgeRateLimited { again: DateTime<Utc>, wait: i64 },
    /// /addrole of a role at or above the actor's own level.
    AboveOwnLevel { key: RoleKey },
    /// /addrole of a member the actor (or the bot) does not outrank.
    Hierarchy(HierarchyRefusal),
}

impl StaffError {
    /// A stable snake_case code for logs and the REST API.
    pub fn code(&self) -> &'static str {
        match self {
            StaffError::MemberRequired => "member_required",
            StaffError::ChannelRequired => "no_channel",
            StaffError::BadPurgeAmount => "invalid_amount",
            StaffError::RoleRequired => "invalid_role",
            StaffError::NotAMember { .. } => "not_a_member",
            StaffError::UnmappedRole { .. } => "unmapped_role",
            StaffError::PunishmentRole { .. } => "punishment_role",
            StaffError::PurgeRateLimited { .. } => "purge_rate_limited",
            StaffError::AboveOwnLevel { .. } => "forbidden",
            StaffError::Hierarchy(_) => "hierarchy",
        }
    }

    /// What kind of refusal this is.
    pub fn kind(&self) -> Refusal {
        match self {
            StaffError::NotAMember { .. }
            | StaffError::PurgeRateLimited { .. }
            | StaffError::Hierarchy(_) => Refusal::Conflict,
            StaffError::AboveOwnLevel { .. } => Refusal::Forbidden,
            _ => Refusal::Invalid,
        }
    }
}

/// Starts a /purge: security and above, 1–25 messages, at most 3 uses a minute and 10 an
/// hour per member (the refusal says when the next is allowed). Returns the use's id.
pub async fn purge_begin(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    channel: Snowflake,
    amount: i64,
) -> Result<i64> {
    actor.require(RoleKey::Security)?;
    let user = actor.user_id.ok_or(StaffError::MemberRequired)?;
    if !(1..=PURGE_MAX).contains(&amount) {
        return Err(StaffError::BadPurgeAmount.into());
    }
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    staff::lock_purger(&mut tx, guild, user).await?;
    let (uses, now) = staff::purges_last_hour(&mut tx, guild, user).await?;
    let secs: Vec<i64> = uses.iter().map(|t| t.timestamp()).collect();
    if let Some(again) = purge_wait(&secs, now.timestamp()) {
        return Err(StaffError::PurgeRateLimited {
            again: DateTime::from_timestamp(again, 0).unwrap_or(now),
            wait: (again - now.timestamp()).max(1),
        }
        .into());
    }
    let id = staff::insert_purge(&mut tx, guild, user, channel, amount as i16).await?;
    tx.commit().await?;
    Ok(id)
}

/// Records how many messages the purge deleted.
pub async fn purge_done(
    pool: &PgPool,
    guild: Snowflake,
    use_id: i64,
    deleted: usize,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    staff::purge_done(&mut conn, guild, use_id, deleted.min(25) as i16).await?;
    Ok(())
}

/// Who may give roles with `/addrole`: officers and above. Adapters ask before looking
/// the member up on Discord; [`check_add_role`] checks again with the role and member.
pub fn may_add_role(actor: &Actor) -> Result<()> {
    actor.require(RoleKey::Officer)
}

/// Checks /addrole: officers give a mapped role whose level is below theirs, to a member
/// below them (and below the bot). Returns the role key. Audited once given.
pub fn check_add_role(
    actor: &Actor,
    mapping: &std::collections::BTreeMap<RoleKey, Snowflake>,
    role: Snowflake,
    target: &TargetFacts,
    bot_top: i64,
) -> Result<RoleKey> {
    may_add_role(actor)?;
    let key = mapping
        .iter()
        .find(|(_, r)| **r == role)
        .map(|(k, _)| *k)
        .ok_or(StaffError::UnmappedRole { role })?;
    let Some(level) = key.level() else {
        return Err(StaffError::PunishmentRole { key }.into());
    };
    if level >= actor.level {
        return Err(StaffError::AboveOwnLevel { key }.into());
    }
    check_hierarchy(actor.user_id, actor.level, target, bot_top, Reach::Discord)
        .map_err(StaffError::Hierarchy)?;
    Ok(key)
}

/// `/addrole`, before Discord gives the role: the role must be one of raidbot's mapped
/// roles, below the actor's level, for a member below them (and below the bot). Returns
/// the role's key, for [`role_added`].
pub async fn add_role_check(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    role: Snowflake,
    target: &crate::moderation::Target,
) -> Result<RoleKey> {
    may_add_role(actor)?;
    let mapping = crate::config::roles(pool, guild).await?;
    check_add_role(
        actor,
        &mapping,
        role,
        &target.facts,
        target.bot_top_position.unwrap_or(0),
    )
}

/// `/addrole`, after Discord gave the role: audited.
pub async fn role_added(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
    role: Snowflake,
    key: RoleKey,
) -> Result<()> {
    audit(
        pool,
        guild,
        actor,
        "add_role",
        json!({"user": user, "role": role, "key": key.as_str()}),
    )
    .await
}

/// Records a role given with /addrole (audit).
async fn audit(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    action: &str,
    after: serde_json::Value,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    logs::record_audit(
        &mut tx,
        guild,
        &actor.audit_actor(),
        action,
        serde_json::Value::Null,
        after,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A muted role was created with /createrole: queue its per-channel permission overwrites
/// (the job lists the guild's channels and queues one job per channel).
pub async fn muted_role_created(pool: &PgPool, guild: Snowflake, role: Snowflake) -> Result<()> {
    let mut conn = pool.acquire().await?;
    tasks::queue(
        &mut conn,
        guild,
        Task::MutedOverwrites { role_id: role },
        None,
    )
    .await?;
    Ok(())
}

/// Queues the per-channel overwrite jobs of a muted role, one per channel, coalesced.
pub async fn queue_muted_overwrites(
    pool: &PgPool,
    guild: Snowflake,
    role: Snowflake,
    channels: &[Snowflake],
) -> Result<()> {
    let mut tx = pool.begin().await?;
    for c in channels {
        tasks::queue(
            &mut tx,
            guild,
            Task::MutedOverwrite {
                role_id: role,
                channel_id: *c,
            },
            None,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A channel refused the muted role's overwrite: queue the one report, a few seconds later
/// so that the other channels' refusals join it.
pub async fn muted_overwrite_refused(
    pool: &PgPool,
    guild: Snowflake,
    role: Snowflake,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    let due = chrono::Utc::now() + chrono::Duration::seconds(2);
    tasks::queue(
        &mut conn,
        guild,
        Task::MutedOverwriteReport { role_id: role },
        Some(due),
    )
    .await?;
    Ok(())
}

/// Whether per-channel overwrite jobs of the guild are still to run (the report waits).
pub async fn muted_overwrites_pending(pool: &PgPool, guild: Snowflake) -> Result<bool> {
    let mut conn = pool.acquire().await?;
    Ok(store::jobs::unfinished(&mut conn, guild, "muted_overwrite").await? > 0)
}

/// A member's roles changed: queue a team role check (coalesced per member).
pub async fn member_roles_changed(pool: &PgPool, guild: Snowflake, user: Snowflake) -> Result<()> {
    let mut conn = pool.acquire().await?;
    let roles = guild_config::roles(&mut conn, guild).await?;
    if !roles.contains_key(&RoleKey::Team) {
        return Ok(()); // no team role mapped: nothing to sync
    }
    tasks::queue(&mut conn, guild, Task::TeamRoleSync { user_id: user }, None).await?;
    Ok(())
}

/// Whether someone holding these Discord roles should hold the team role: any staff key
/// of organizer or above. None when no team role is mapped.
pub fn wants_team(
    mapping: &std::collections::BTreeMap<RoleKey, Snowflake>,
    held: &[Snowflake],
) -> Option<(Snowflake, bool)> {
    let team = *mapping.get(&RoleKey::Team)?;
    let organizer = RoleKey::Organizer.level()?;
    let staff = mapping
        .iter()
        .any(|(k, r)| k.level().is_some_and(|l| l >= organizer) && held.contains(r));
    Some((team, staff))
}

/// Logs a team role change to `staff_updates`.
pub async fn team_changed(
    pool: &PgPool,
    guild: Snowflake,
    user: Snowflake,
    given: bool,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    tasks::log(
        &mut conn,
        guild,
        domain::ChannelKey::StaffUpdates,
        tasks::LogEvent::TeamRole {
            user_id: user,
            given,
        },
    )
    .await?;
    logs::record_audit(
        &mut conn,
        guild,
        &store::logs::AuditActor {
            user_id: None,
            label: "team role sync".into(),
        },
        "team_role",
        json!({"user": user, "given": !given}),
        json!({"user": user, "given": given}),
    )
    .await?;
    Ok(())
}
