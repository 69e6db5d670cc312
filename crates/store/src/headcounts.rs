//! Headcounts, their dungeons, members' answers, and the `/headcount` picker's drafts.

use chrono::{DateTime, Utc};
use domain::Snowflake;
use domain::headcount::{HeadcountStatus, ReactionKind};

use crate::{PgConnection, Result, snowflake};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Headcount {
    #[sqlx(try_from = "crate::columns::Id")]
    pub guild_id: Snowflake,
    pub headcount_id: i64,
    #[sqlx(try_from = "crate::columns::Id")]
    pub organizer_id: Snowflake,
    #[sqlx(try_from = "crate::columns::Text")]
    pub status: HeadcountStatus,
    /// Dungeon codes in the organizer's order.
    pub dungeons: Vec<String>,
    pub auto_end_at: DateTime<Utc>,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub panel_channel_id: Option<Snowflake>,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub panel_message_id: Option<Snowflake>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub closed_by: Option<Snowflake>,
    /// `organizer`, `staff` or `auto` once closed.
    pub close_reason: Option<String>,
    pub converted_run_id: Option<i64>,
}

const COLUMNS: &str = "h.guild_id, h.headcount_id, h.organizer_id, h.status, h.auto_end_at,
    h.panel_channel_id, h.panel_message_id, h.created_at, h.closed_at, h.closed_by,
    h.close_reason, h.converted_run_id,
    ARRAY(SELECT d.dungeon_code FROM headcount_dungeon d
          WHERE d.guild_id = h.guild_id AND d.headcount_id = h.headcount_id
          ORDER BY d.position) AS dungeons";

#[derive(Debug, Clone)]
pub struct NewHeadcount {
    pub guild_id: Snowflake,
    pub organizer_id: Snowflake,
    pub dungeons: Vec<String>,
    pub auto_end_at: DateTime<Utc>,
    pub panel_channel_id: Option<Snowflake>,
}

/// Inserts a headcount with its dungeons. Fails with a unique violation on
/// `headcount_one_open_per_organizer` when the organizer already has an open one.
pub async fn insert(conn: &mut PgConnection, new: &NewHeadcount) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO headcount (guild_id, organizer_id, auto_end_at, panel_channel_id)
         VALUES ($1, $2, $3, $4) RETURNING headcount_id",
    )
    .bind(new.guild_id.db())
    .bind(new.organizer_id.db())
    .bind(new.auto_end_at)
    .bind(new.panel_channel_id.map(Snowflake::db))
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO headcount_dungeon (guild_id, headcount_id, position, dungeon_code)
         SELECT $1, $2, (ord - 1)::smallint, code
         FROM unnest($3::text[]) WITH ORDINALITY AS t(code, ord)",
    )
    .bind(new.guild_id.db())
    .bind(id)
    .bind(&new.dungeons)
    .execute(conn)
    .await?;
    Ok(id)
}

pub async fn get(conn: &mut PgConnection, guild: Snowflake, id: i64) -> Result<Option<Headcount>> {
    let sql =
        format!("SELECT {COLUMNS} FROM headcount h WHERE h.guild_id = $1 AND h.headcount_id = $2");
    Ok(sqlx::query_as::<_, Headcount>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// A guild's headcounts, newest first: those with `status` (a status's `as_str`; all when
/// `None`), numbered below `before`, at most `limit`.
pub async fn list(
    conn: &mut PgConnection,
    guild: Snowflake,
    status: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Headcount>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM headcount h
         WHERE h.guild_id = $1 AND ($2::text IS NULL OR h.status = $2)
           AND ($3::bigint IS NULL OR h.headcount_id < $3)
         ORDER BY h.headcount_id DESC LIMIT $4"
    );
    Ok(sqlx::query_as::<_, Headcount>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(status)
        .bind(before)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// Locks the headcount's row for the rest of the transaction: answers, convert, end and the
/// timer on one headcount serialize on it.
pub async fn lock(conn: &mut PgConnection, guild: Snowflake, id: i64) -> Result<Option<Headcount>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM headcount h WHERE h.guild_id = $1 AND h.headcount_id = $2
         FOR UPDATE OF h"
    );
    Ok(sqlx::query_as::<_, Headcount>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// The organizer's open headcount, if any.
pub async fn open_for_organizer(
    conn: &mut PgConnection,
    guild: Snowflake,
    organizer: Snowflake,
) -> Result<Option<Headcount>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM headcount h
         WHERE h.guild_id = $1 AND h.organizer_id = $2 AND h.status = 'open'"
    );
    Ok(sqlx::query_as::<_, Headcount>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(organizer.db())
        .fetch_optional(conn)
        .await?)
}

/// Closes an open headcount as ended. Returns whether this call closed it.
pub async fn mark_ended(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
    closed_by: Option<Snowflake>,
    reason: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE headcount SET status = 'ended', closed_at = now(), closed_by = $3,
                close_reason = $4
         WHERE guild_id = $1 AND headcount_id = $2 AND status = 'open'",
    )
    .bind(guild.db())
    .bind(id)
    .bind(closed_by.map(Snowflake::db))
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Closes an open headcount as converted into `run_id`. Returns whether this call did it.
pub async fn mark_converted(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
    run_id: i64,
    closed_by: Option<Snowflake>,
    reason: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE headcount SET status = 'converted', closed_at = now(), closed_by = $4,
                close_reason = $5, converted_run_id = $3
         WHERE guild_id = $1 AND headcount_id = $2 AND status = 'open'",
    )
    .bind(guild.db())
    .bind(id)
    .bind(run_id)
    .bind(closed_by.map(Snowflake::db))
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_panel_message(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
    channel: Snowflake,
    message: Snowflake,
) -> Result<()> {
    sqlx::query(
        "UPDATE headcount SET panel_channel_id = $3, panel_message_id = $4
         WHERE guild_id = $1 AND headcount_id = $2",
    )
    .bind(guild.db())
    .bind(id)
    .bind(channel.db())
    .bind(message.db())
    .execute(conn)
    .await?;
    Ok(())
}

/// One member's answer on a headcount.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Reaction {
    #[sqlx(try_from = "crate::columns::Text")]
    pub kind: ReactionKind,
    pub code: String,
    #[sqlx(try_from = "crate::columns::Id")]
    pub user_id: Snowflake,
    pub created_at: DateTime<Utc>,
}

/// Every answer on the headcount, oldest first.
pub async fn reactions(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
) -> Result<Vec<Reaction>> {
    Ok(sqlx::query_as::<_, Reaction>(
        "SELECT kind, code, user_id, created_at FROM headcount_reaction
         WHERE guild_id = $1 AND headcount_id = $2
         ORDER BY created_at, user_id",
    )
    .bind(guild.db())
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// Adds the answer, or withdraws it when the member had given it. Returns whether the
/// member now has it. Call under the headcount's row lock.
pub async fn toggle_reaction(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
    kind: ReactionKind,
    code: &str,
    user: Snowflake,
) -> Result<bool> {
    let removed = sqlx::query(
        "DELETE FROM headcount_reaction
         WHERE guild_id = $1 AND headcount_id = $2 AND kind = $3 AND code = $4 AND user_id = $5",
    )
    .bind(guild.db())
    .bind(id)
    .bind(kind.as_str())
    .bind(code)
    .bind(user.db())
    .execute(&mut *conn)
    .await?;
    if removed.rows_affected() > 0 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO headcount_reaction (guild_id, headcount_id, kind, code, user_id)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(guild.db())
    .bind(id)
    .bind(kind.as_str())
    .bind(code)
    .bind(user.db())
    .execute(conn)
    .await?;
    Ok(true)
}

/// Copies the headcount's holders of `keys` (reaction code, how many get the location
/// early) into the run's `run_reaction` rows, keeping when each reacted; the first
/// `max_early` holders of each key are marked early; members in `except` are left out.
/// Returns how many rows it wrote.
pub async fn copy_keys_to_run(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
    run_id: i64,
    keys: &[(String, i32)],
    except: &[Snowflake],
) -> Result<u64> {
    let (codes, early): (Vec<String>, Vec<i32>) = keys.iter().cloned().unzip();
    let except: Vec<i64> = except.iter().map(|u| u.db()).collect();
    let done = sqlx::query(
        "INSERT INTO run_reaction (guild_id, run_id, reaction, user_id, early, created_at)
         SELECT r.guild_id, $3, r.code, r.user_id,
                row_number() OVER (PARTITION BY r.code ORDER BY r.created_at, r.user_id) <= k.early,
                r.created_at
         FROM headcount_reaction r
         JOIN unnest($4::text[], $5::int[]) AS k(code, early) ON k.code = r.code
         WHERE r.guild_id = $1 AND r.headcount_id = $2 AND r.kind = 'key'
           AND NOT (r.user_id = ANY($6))
         ON CONFLICT DO NOTHING",
    )
    .bind(guild.db())
    .bind(id)
    .bind(run_id)
    .bind(&codes)
    .bind(&early)
    .bind(&except)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Open headcounts whose time is up (for a start-up sweep or tests).
pub async fn overdue(conn: &mut PgConnection, limit: i64) -> Result<Vec<(Snowflake, i64)>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT guild_id, headcount_id FROM headcount
         WHERE status = 'open' AND auto_end_at <= now()
         ORDER BY auto_end_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(guild, id)| Ok((snowflake(guild)?, id)))
        .collect()
}

/// The `/headcount` picker's state.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Draft {
    pub draft_id: i64,
    #[sqlx(try_from = "crate::columns::Id")]
    pub organizer_id: Snowflake,
    pub category: Option<String>,
    pub dungeons: Vec<String>,
}

/// Starts a new picker for the organizer, replacing their older ones (and forgetting
/// anyone's pickers older than a day).
pub async fn new_draft(
    conn: &mut PgConnection,
    guild: Snowflake,
    organizer: Snowflake,
) -> Result<Draft> {
    sqlx::query(
        "DELETE FROM headcount_draft
         WHERE guild_id = $1 AND (organizer_id = $2 OR updated_at < now() - interval '1 day')",
    )
    .bind(guild.db())
    .bind(organizer.db())
    .execute(&mut *conn)
    .await?;
    Ok(sqlx::query_as::<_, Draft>(
        "INSERT INTO headcount_draft (guild_id, organizer_id) VALUES ($1, $2)
         RETURNING draft_id, organizer_id, category, dungeons",
    )
    .bind(guild.db())
    .bind(organizer.db())
    .fetch_one(conn)
    .await?)
}

/// Locks the picker's row; None once it was used or replaced.
pub async fn lock_draft(
    conn: &mut PgConnection,
    guild: Snowflake,
    draft_id: i64,
) -> Result<Option<Draft>> {
    Ok(sqlx::query_as::<_, Draft>(
        "SELECT draft_id, organizer_id, category, dungeons FROM headcount_draft
         WHERE guild_id = $1 AND draft_id = $2 FOR UPDATE",
    )
    .bind(guild.db())
    .bind(draft_id)
    .fetch_optional(conn)
    .await?)
}

pub async fn update_draft(
    conn: &mut PgConnection,
    guild: Snowflake,
    draft_id: i64,
    category: Option<&str>,
    dungeons: &[String],
) -> Result<()> {
    sqlx::query(
        "UPDATE headcount_draft SET category = $3, dungeons = $4, updated_at = now()
         WHERE guild_id = $1 AND draft_id = $2",
    )
    .bind(guild.db())
    .bind(draft_id)
    .bind(category)
    .bind(dungeons)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_draft(conn: &mut PgConnection, guild: Snowflake, draft_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM headcount_draft WHERE guild_id = $1 AND draft_id = $2")
        .bind(guild.db())
        .bind(draft_id)
        .execute(conn)
        .await?;
    Ok(())
}
