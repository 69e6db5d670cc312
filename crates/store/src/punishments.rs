//! Punishments (append-only: they end by status, never by deletion).

use chrono::{DateTime, Utc};
use domain::Snowflake;
use domain::moderation::{PunishmentKind, code_space, punishment_code};

use crate::{PgConnection, Result, StoreError};

/// Whether a punishment still stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PunishmentStatus {
    Active,
    Expired,
    /// Ended early (/unsuspend, /unmute).
    Lifted,
    /// Deactivated as issued in error (/removepunishment), or refused when applied.
    Removed,
}

impl PunishmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PunishmentStatus::Active => "active",
            PunishmentStatus::Expired => "expired",
            PunishmentStatus::Lifted => "lifted",
            PunishmentStatus::Removed => "removed",
        }
    }

    fn parse(text: &str) -> Option<PunishmentStatus> {
        match text {
            "active" => Some(PunishmentStatus::Active),
            "expired" => Some(PunishmentStatus::Expired),
            "lifted" => Some(PunishmentStatus::Lifted),
            "removed" => Some(PunishmentStatus::Removed),
            _ => None,
        }
    }
}

crate::columns::text_codes! {
    PunishmentStatus => "punishment status",
    DmStatus => "DM status",
}

/// What became of the DM telling the member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DmStatus {
    Sent,
    /// The member does not accept DMs from the bot (50007).
    Closed,
    Failed,
}

impl DmStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DmStatus::Sent => "sent",
            DmStatus::Closed => "closed",
            DmStatus::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<DmStatus> {
        match text {
            "sent" => Some(DmStatus::Sent),
            "closed" => Some(DmStatus::Closed),
            "failed" => Some(DmStatus::Failed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Punishment {
    #[sqlx(try_from = "crate::columns::Id")]
    pub guild_id: Snowflake,
    pub punishment_id: i64,
    pub code: String,
    #[sqlx(try_from = "crate::columns::Text")]
    pub kind: PunishmentKind,
    #[sqlx(try_from = "crate::columns::Id")]
    pub user_id: Snowflake,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub actor_id: Option<Snowflake>,
    pub actor: String,
    pub reason: String,
    pub delete_days: Option<i16>,
    #[sqlx(try_from = "crate::columns::Text")]
    pub status: PunishmentStatus,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "crate::columns::OptText")]
    pub dm_status: Option<DmStatus>,
    pub applied_at: Option<DateTime<Utc>>,
    pub apply_error: Option<String>,
    pub ended_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub ended_by: Option<Snowflake>,
    pub ended_by_label: Option<String>,
    pub end_reason: Option<String>,
    /// Set when the actor was an API key: the apply job re-checks Discord's hierarchy
    /// against this level before acting.
    pub actor_level: Option<i16>,
    /// The last /editpunishment: when and by whom.
    pub edited_at: Option<DateTime<Utc>>,
    pub edited_by_label: Option<String>,
    /// The mass action (/masssuspend, /masswarn) that gave it, if one did.
    pub batch_key: Option<String>,
}

const COLUMNS: &str = "guild_id, punishment_id, code, kind, user_id, actor_id, actor, reason,
    delete_days, status, created_at, expires_at, dm_status, applied_at, apply_error, ended_at,
    ended_by, ended_by_label, end_reason, actor_level, edited_at, edited_by_label, batch_key";

fn corrupt(what: String) -> StoreError {
    StoreError::Corrupt(what)
}

#[derive(Debug, Clone)]
pub struct NewPunishment {
    pub guild_id: Snowflake,
    pub kind: PunishmentKind,
    pub user_id: Snowflake,
    pub actor_id: Option<Snowflake>,
    pub actor: String,
    pub reason: String,
    pub delete_days: Option<i16>,
    /// For suspensions and mutes: how long, from creation (the database's clock).
    pub minutes: Option<i64>,
    /// The actor's level when the bot cannot see them on Discord (API keys).
    pub actor_level: Option<i16>,
    /// The mass action's key: one punishment per member and batch.
    pub batch_key: Option<String>,
}

/// Inserts an active punishment with a fresh short code, unique in the guild. Fails with a
/// unique violation on `punishment_one_active_timed` when the member already has a running
/// punishment of that kind.
pub async fn insert(conn: &mut PgConnection, new: &NewPunishment) -> Result<Punishment> {
    let sql = format!(
        "INSERT INTO punishment (guild_id, code, kind, user_id, actor_id, actor, reason,
             delete_days, expires_at, actor_level, batch_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
             CASE WHEN $9::int IS NULL THEN NULL ELSE now() + make_interval(mins => $9::int) END,
             $10, $11)
         ON CONFLICT (guild_id, code) DO NOTHING
         RETURNING {COLUMNS}"
    );
    // A random code; on the rare collision, another one. The space holds 24 million codes.
    for _ in 0..20 {
        let random: i64 = sqlx::query_scalar("SELECT floor(random() * $1::float8)::bigint")
            .bind(code_space(domain::moderation::PUNISHMENT_CODE_LEN) as f64)
            .fetch_one(&mut *conn)
            .await?;
        let code = punishment_code(u64::try_from(random).unwrap_or_default());
        let row = sqlx::query_as::<_, Punishment>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(new.guild_id.db())
            .bind(&code)
            .bind(new.kind.as_str())
            .bind(new.user_id.db())
            .bind(new.actor_id.map(Snowflake::db))
            .bind(&new.actor)
            .bind(&new.reason)
            .bind(new.delete_days)
            .bind(new.minutes.map(|m| i32::try_from(m).unwrap_or(i32::MAX)))
            .bind(new.actor_level)
            .bind(&new.batch_key)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(row) = row {
            return Ok(row);
        }
    }
    Err(corrupt("no free punishment code after 20 tries".into()))
}

pub async fn get(conn: &mut PgConnection, guild: Snowflake, id: i64) -> Result<Option<Punishment>> {
    let sql =
        format!("SELECT {COLUMNS} FROM punishment WHERE guild_id = $1 AND punishment_id = $2");
    Ok(sqlx::query_as::<_, Punishment>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Locks a punishment by its code for the rest of the transaction.
pub async fn lock_by_code(
    conn: &mut PgConnection,
    guild: Snowflake,
    code: &str,
) -> Result<Option<Punishment>> {
    let sql =
        format!("SELECT {COLUMNS} FROM punishment WHERE guild_id = $1 AND code = $2 FOR UPDATE");
    Ok(sqlx::query_as::<_, Punishment>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(code)
        .fetch_optional(conn)
        .await?)
}

/// Locks a punishment by its row id.
pub async fn lock(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
) -> Result<Option<Punishment>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM punishment WHERE guild_id = $1 AND punishment_id = $2 FOR UPDATE"
    );
    Ok(sqlx::query_as::<_, Punishment>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// The member's running suspension or mute, locked.
pub async fn lock_active_timed(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    kind: PunishmentKind,
) -> Result<Option<Punishment>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM punishment
         WHERE guild_id = $1 AND user_id = $2 AND kind = $3 AND status = 'active' FOR UPDATE"
    );
    Ok(sqlx::query_as::<_, Punishment>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(user.db())
        .bind(kind.as_str())
        .fetch_optional(conn)
        .await?)
}

/// The member's running suspensions and mutes whose time is not up.
pub async fn active_timed(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Vec<Punishment>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM punishment
         WHERE guild_id = $1 AND user_id = $2 AND status = 'active'
           AND kind IN ('suspend', 'mute') AND expires_at > now()
         ORDER BY punishment_id"
    );
    Ok(sqlx::query_as::<_, Punishment>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(user.db())
        .fetch_all(conn)
        .await?)
}

/// When the member's running suspension ends, if they have one whose time is not up. The
/// expiry is what counts, not the role: a suspension whose time is up no longer holds the
/// member back even before its timer takes the role away.
pub async fn suspended_until(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Option<DateTime<Utc>>> {
    Ok(sqlx::query_scalar(
        "SELECT expires_at FROM punishment
         WHERE guild_id = $1 AND user_id = $2 AND kind = 'suspend' AND status = 'active'
           AND expires_at > now()
         ORDER BY expires_at DESC LIMIT 1",
    )
    .bind(guild.db())
    .bind(user.db())
    .fetch_optional(conn)
    .await?
    .flatten())
}

/// The member's punishments, newest first, `limit` from `offset`, and how many in all.
pub async fn for_member(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Punishment>, i64)> {
    let sql = format!(
        "SELECT {COLUMNS} FROM punishment WHERE guild_id = $1 AND user_id = $2
         ORDER BY created_at DESC, punishment_id DESC LIMIT $3 OFFSET $4"
    );
    let rows = sqlx::query_as::<_, Punishment>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(user.db())
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await?;
    let total: i64 =
        sqlx::query_scalar("SELECT count(*) FROM punishment WHERE guild_id = $1 AND user_id = $2")
            .bind(guild.db())
            .bind(user.db())
            .fetch_one(conn)
            .await?;
    Ok((rows, total))
}

/// Ends an active punishment (`expired` only when its time is up). Only an active one
/// changes, so a second end, a second worker or a late timer finds nothing to do.
pub async fn end(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
    status: PunishmentStatus,
    by: Option<Snowflake>,
    by_label: Option<&str>,
    reason: Option<&str>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE punishment SET status = $3, ended_at = now(), ended_by = $4, ended_by_label = $5,
                end_reason = $6
         WHERE guild_id = $1 AND punishment_id = $2 AND status = 'active'
           AND ($3 <> 'expired' OR expires_at <= now())",
    )
    .bind(guild.db())
    .bind(id)
    .bind(status.as_str())
    .bind(by.map(Snowflake::db))
    .bind(by_label)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records what became of the DM (first outcome wins).
pub async fn set_dm_status(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
    dm: DmStatus,
) -> Result<()> {
    sqlx::query(
        "UPDATE punishment SET dm_status = $3
         WHERE guild_id = $1 AND punishment_id = $2 AND dm_status IS NULL",
    )
    .bind(guild.db())
    .bind(id)
    .bind(dm.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Records that Discord's side was done (or could not be, with why). Returns whether this
/// call recorded it, so the log entry that follows is posted once.
pub async fn set_applied(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
    error: Option<&str>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE punishment SET applied_at = now(), apply_error = $3
         WHERE guild_id = $1 AND punishment_id = $2 AND applied_at IS NULL",
    )
    .bind(guild.db())
    .bind(id)
    .bind(error)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the member still has a running punishment of this kind other than `except`
/// (so its role must stay).
pub async fn other_active(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    kind: PunishmentKind,
    except: i64,
) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM punishment WHERE guild_id = $1 AND user_id = $2
            AND kind = $3 AND status = 'active' AND punishment_id <> $4)",
    )
    .bind(guild.db())
    .bind(user.db())
    .bind(kind.as_str())
    .bind(except)
    .fetch_one(conn)
    .await?)
}

/// The member's active bans, locked (ended by an unban).
pub async fn lock_active_bans(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Vec<Punishment>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM punishment WHERE guild_id = $1 AND user_id = $2
           AND kind = 'ban' AND status = 'active' FOR UPDATE"
    );
    Ok(sqlx::query_as::<_, Punishment>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(user.db())
        .fetch_all(conn)
        .await?)
}

/// The punishment a mass action already gave this member, if any (a retried batch).
pub async fn in_batch(
    conn: &mut PgConnection,
    guild: Snowflake,
    batch_key: &str,
    user: Snowflake,
) -> Result<Option<Punishment>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM punishment WHERE guild_id = $1 AND batch_key = $2 AND user_id = $3"
    );
    Ok(sqlx::query_as::<_, Punishment>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(batch_key)
        .bind(user.db())
        .fetch_optional(conn)
        .await?)
}

/// Changes an active punishment's reason and/or (suspensions and mutes) its length, counted
/// from when it was given. Only an active one changes; returns the row as it is now.
pub async fn edit(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
    minutes: Option<i64>,
    reason: Option<&str>,
    by_label: &str,
) -> Result<Option<Punishment>> {
    let sql = format!(
        "UPDATE punishment SET
             expires_at = CASE WHEN $3::int IS NULL THEN expires_at
                               ELSE created_at + make_interval(mins => $3::int) END,
             reason = COALESCE($4, reason),
             edited_at = now(), edited_by_label = $5
         WHERE guild_id = $1 AND punishment_id = $2 AND status = 'active'
         RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as::<_, Punishment>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(id)
        .bind(minutes.map(|m| i32::try_from(m).unwrap_or(i32::MAX)))
        .bind(reason)
        .bind(by_label)
        .fetch_optional(conn)
        .await?)
}

/// How many of the member's punishments of `kind` count since `since`: active ones, and
/// for warnings only those given after `since` (expired warnings stop counting).
pub async fn count_recent(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    kind: PunishmentKind,
    since: DateTime<Utc>,
    active_only: bool,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM punishment
         WHERE guild_id = $1 AND user_id = $2 AND kind = $3 AND created_at >= $4
           AND status <> 'removed' AND (NOT $5 OR status = 'active')",
    )
    .bind(guild.db())
    .bind(user.db())
    .bind(kind.as_str())
    .bind(since)
    .bind(active_only)
    .fetch_one(conn)
    .await?)
}

/// How many punishments of each kind the member has on record (removed ones left out),
/// and how many are still running: what a rejoin flag says.
pub async fn record_counts(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Vec<(String, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT kind, count(*), count(*) FILTER (WHERE status = 'active')
         FROM punishment WHERE guild_id = $1 AND user_id = $2 AND status <> 'removed'
         GROUP BY kind ORDER BY kind",
    )
    .bind(guild.db())
    .bind(user.db())
    .fetch_all(conn)
    .await?)
}

/// Serializes punishing one member for the rest of the transaction: a mass action's retry
/// and escalation counts see each other's rows instead of racing.
pub async fn lock_member(conn: &mut PgConnection, guild: Snowflake, user: Snowflake) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('punish:' || $1 || ':' || $2, 0))")
        .bind(guild.db())
        .bind(user.db())
        .execute(conn)
        .await?;
    Ok(())
}
