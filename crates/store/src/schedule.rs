//! Scheduled raids, their sign-ups and keys, and the server's schedule settings.

use chrono::{DateTime, Utc};
use domain::Snowflake;
use domain::schedule::{ScheduleStatus, SignupKind};

use crate::{PgConnection, Result};

crate::columns::text_codes! {
    ScheduleStatus => "schedule status",
    SignupKind => "sign-up kind",
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Scheduled {
    #[sqlx(try_from = "crate::columns::Id")]
    pub guild_id: Snowflake,
    pub schedule_id: i64,
    #[sqlx(try_from = "crate::columns::Id")]
    pub organizer_id: Snowflake,
    pub dungeon_code: String,
    pub description: Option<String>,
    pub raider_cap: Option<i32>,
    pub starts_at: DateTime<Utc>,
    pub remind_at: DateTime<Utc>,
    pub reminded_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "crate::columns::Text")]
    pub status: ScheduleStatus,
    pub run_id: Option<i64>,
    pub opened_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub panel_channel_id: Option<Snowflake>,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub panel_message_id: Option<Snowflake>,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "guild_id, schedule_id, organizer_id, dungeon_code, description,
    raider_cap, starts_at, remind_at, reminded_at, status, run_id, opened_at, cancelled_at,
    panel_channel_id, panel_message_id, created_at";

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Signup {
    #[sqlx(try_from = "crate::columns::Id")]
    pub user_id: Snowflake,
    #[sqlx(try_from = "crate::columns::Text")]
    pub kind: SignupKind,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct KeyHolder {
    pub reaction: String,
    #[sqlx(try_from = "crate::columns::Id")]
    pub user_id: Snowflake,
}

#[derive(Debug, Clone)]
pub struct NewScheduled {
    pub guild_id: Snowflake,
    pub organizer_id: Snowflake,
    pub dungeon_code: String,
    pub description: Option<String>,
    pub raider_cap: Option<i32>,
    pub starts_at: DateTime<Utc>,
    pub remind_at: DateTime<Utc>,
    pub panel_channel_id: Snowflake,
}

/// The server's time zone name and reminder lead (minutes); defaults when never set.
pub async fn settings(conn: &mut PgConnection, guild: Snowflake) -> Result<(String, i32)> {
    let row: Option<(String, i32)> = sqlx::query_as(
        "SELECT time_zone, reminder_minutes FROM schedule_settings WHERE guild_id = $1",
    )
    .bind(guild.db())
    .fetch_optional(conn)
    .await?;
    Ok(row.unwrap_or_else(|| ("UTC".to_owned(), domain::schedule::DEFAULT_REMINDER_MINUTES)))
}

/// Sets what is given (None keeps the stored value or the default).
pub async fn set_settings(
    conn: &mut PgConnection,
    guild: Snowflake,
    time_zone: Option<&str>,
    reminder_minutes: Option<i32>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO schedule_settings (guild_id, time_zone, reminder_minutes)
         VALUES ($1, COALESCE($2, 'UTC'), COALESCE($3, $4))
         ON CONFLICT (guild_id) DO UPDATE SET
           time_zone = COALESCE($2, schedule_settings.time_zone),
           reminder_minutes = COALESCE($3, schedule_settings.reminder_minutes),
           updated_at = now()",
    )
    .bind(guild.db())
    .bind(time_zone)
    .bind(reminder_minutes)
    .bind(domain::schedule::DEFAULT_REMINDER_MINUTES)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert(conn: &mut PgConnection, new: &NewScheduled) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO scheduled_run (guild_id, organizer_id, dungeon_code, description,
           raider_cap, starts_at, remind_at, panel_channel_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING schedule_id",
    )
    .bind(new.guild_id.db())
    .bind(new.organizer_id.db())
    .bind(&new.dungeon_code)
    .bind(&new.description)
    .bind(new.raider_cap)
    .bind(new.starts_at)
    .bind(new.remind_at)
    .bind(new.panel_channel_id.db())
    .fetch_one(conn)
    .await?)
}

pub async fn get(conn: &mut PgConnection, guild: Snowflake, id: i64) -> Result<Option<Scheduled>> {
    let sql =
        format!("SELECT {COLUMNS} FROM scheduled_run WHERE guild_id = $1 AND schedule_id = $2");
    Ok(sqlx::query_as::<_, Scheduled>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// The row with its row lock: every change to one scheduled raid holds it.
pub async fn lock(conn: &mut PgConnection, guild: Snowflake, id: i64) -> Result<Option<Scheduled>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM scheduled_run WHERE guild_id = $1 AND schedule_id = $2 FOR UPDATE"
    );
    Ok(sqlx::query_as::<_, Scheduled>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// The guild a scheduled raid belongs to (for its buttons in DMs, which carry no guild).
pub async fn guild_of(conn: &mut PgConnection, id: i64) -> Result<Option<Snowflake>> {
    let g: Option<i64> =
        sqlx::query_scalar("SELECT guild_id FROM scheduled_run WHERE schedule_id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    g.map(crate::snowflake).transpose()
}

pub async fn signups(conn: &mut PgConnection, guild: Snowflake, id: i64) -> Result<Vec<Signup>> {
    Ok(sqlx::query_as(
        "SELECT user_id, kind, created_at FROM scheduled_signup
         WHERE guild_id = $1 AND schedule_id = $2 ORDER BY created_at, user_id",
    )
    .bind(guild.db())
    .bind(id)
    .fetch_all(conn)
    .await?)
}

pub async fn keys(conn: &mut PgConnection, guild: Snowflake, id: i64) -> Result<Vec<KeyHolder>> {
    Ok(sqlx::query_as(
        "SELECT reaction, user_id FROM scheduled_key
         WHERE guild_id = $1 AND schedule_id = $2 ORDER BY created_at, user_id",
    )
    .bind(guild.db())
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// Sets the member's answer; returns the answer they had before.
pub async fn set_signup(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
    user: Snowflake,
    kind: SignupKind,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO scheduled_signup (guild_id, schedule_id, user_id, kind)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (guild_id, schedule_id, user_id) DO UPDATE SET kind = EXCLUDED.kind",
    )
    .bind(guild.db())
    .bind(id)
    .bind(user.db())
    .bind(kind.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes the member's answer and keys; returns how many rows went.
pub async fn withdraw(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
    user: Snowflake,
) -> Result<u64> {
    let a = sqlx::query(
        "DELETE FROM scheduled_signup WHERE guild_id = $1 AND schedule_id = $2 AND user_id = $3",
    )
    .bind(guild.db())
    .bind(id)
    .bind(user.db())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let b = sqlx::query(
        "DELETE FROM scheduled_key WHERE guild_id = $1 AND schedule_id = $2 AND user_id = $3",
    )
    .bind(guild.db())
    .bind(id)
    .bind(user.db())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(a + b)
}

/// Adds the key, or removes it when the member had it: returns whether they have it now.
pub async fn toggle_key(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
    reaction: &str,
    user: Snowflake,
) -> Result<bool> {
    let removed = sqlx::query(
        "DELETE FROM scheduled_key
         WHERE guild_id = $1 AND schedule_id = $2 AND reaction = $3 AND user_id = $4",
    )
    .bind(guild.db())
    .bind(id)
    .bind(reaction)
    .bind(user.db())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if removed > 0 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO scheduled_key (guild_id, schedule_id, reaction, user_id)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(guild.db())
    .bind(id)
    .bind(reaction)
    .bind(user.db())
    .execute(conn)
    .await?;
    Ok(true)
}

pub async fn set_panel_message(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
    channel: Snowflake,
    message: Snowflake,
) -> Result<()> {
    sqlx::query(
        "UPDATE scheduled_run SET panel_channel_id = $3, panel_message_id = $4
         WHERE guild_id = $1 AND schedule_id = $2",
    )
    .bind(guild.db())
    .bind(id)
    .bind(channel.db())
    .bind(message.db())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn mark_reminded(conn: &mut PgConnection, guild: Snowflake, id: i64) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE scheduled_run SET reminded_at = now()
         WHERE guild_id = $1 AND schedule_id = $2 AND reminded_at IS NULL",
    )
    .bind(guild.db())
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected()
        > 0)
}

pub async fn mark_opened(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
    run_id: i64,
) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE scheduled_run SET status = 'opened', run_id = $3, opened_at = now()
         WHERE guild_id = $1 AND schedule_id = $2 AND status = 'scheduled'",
    )
    .bind(guild.db())
    .bind(id)
    .bind(run_id)
    .execute(conn)
    .await?
    .rows_affected()
        > 0)
}

pub async fn mark_cancelled(conn: &mut PgConnection, guild: Snowflake, id: i64) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE scheduled_run SET status = 'cancelled', cancelled_at = now()
         WHERE guild_id = $1 AND schedule_id = $2 AND status = 'scheduled'",
    )
    .bind(guild.db())
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected()
        > 0)
}

/// Moves the start and the reminder; a reminder already sent goes out again.
pub async fn set_time(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
    starts_at: DateTime<Utc>,
    remind_at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE scheduled_run SET starts_at = $3, remind_at = $4, reminded_at = NULL
         WHERE guild_id = $1 AND schedule_id = $2 AND status = 'scheduled'",
    )
    .bind(guild.db())
    .bind(id)
    .bind(starts_at)
    .bind(remind_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A member's record with scheduled raids.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberRecord {
    /// Times they signed up (going), for raids not cancelled.
    pub signups: i64,
    /// Of those whose run opened: times they joined it.
    pub attended: i64,
    /// Of those whose run ended (not cancelled): times they never joined it.
    pub no_shows: i64,
}

/// Sign-ups, attendance and no-shows. A no-show is a member signed up (going) for a
/// scheduled raid whose run ended without them ever joining it (no roster row in any
/// state); a run the organizer cancelled makes nobody a no-show.
pub async fn member_record(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<MemberRecord> {
    Ok(sqlx::query_as(
        "SELECT count(*) FILTER (WHERE s.status <> 'cancelled') AS signups,
                count(*) FILTER (WHERE s.status = 'opened' AND p.user_id IS NOT NULL) AS attended,
                count(*) FILTER (WHERE s.status = 'opened' AND p.user_id IS NULL
                                   AND r.status = 'ended') AS no_shows
         FROM scheduled_signup g
         JOIN scheduled_run s ON s.guild_id = g.guild_id AND s.schedule_id = g.schedule_id
         LEFT JOIN run r ON r.guild_id = s.guild_id AND r.run_id = s.run_id
         LEFT JOIN run_participant p ON p.guild_id = s.guild_id AND p.run_id = s.run_id
                                    AND p.user_id = g.user_id
         WHERE g.guild_id = $1 AND g.user_id = $2 AND g.kind = 'going'",
    )
    .bind(guild.db())
    .bind(user.db())
    .fetch_one(conn)
    .await?)
}

/// The scheduled raids that opened any of the runs (`guilds[i]`, `runs[i]`), in one
/// statement: each one's guild and id.
pub async fn by_runs(
    conn: &mut PgConnection,
    guilds: &[i64],
    runs: &[i64],
) -> Result<Vec<(Snowflake, i64)>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT s.guild_id, s.schedule_id
           FROM unnest($1::bigint[], $2::bigint[]) AS c(guild_id, run_id)
           JOIN scheduled_run s ON s.guild_id = c.guild_id AND s.run_id = c.run_id",
    )
    .bind(guilds)
    .bind(runs)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(g, id)| Ok((Snowflake::from_db(g)?, id)))
        .collect()
}

/// The signed-up members of a scheduled raid whose run ended without them ever joining it
/// (empty while the run is active or when it was cancelled), in sign-up order.
pub async fn no_shows(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
) -> Result<Vec<Snowflake>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT g.user_id FROM scheduled_run s
         JOIN scheduled_signup g ON g.guild_id = s.guild_id AND g.schedule_id = s.schedule_id
         JOIN run r ON r.guild_id = s.guild_id AND r.run_id = s.run_id
         WHERE s.guild_id = $1 AND s.schedule_id = $2 AND g.kind = 'going'
           AND r.status = 'ended'
           AND NOT EXISTS (SELECT 1 FROM run_participant p WHERE p.guild_id = s.guild_id
                             AND p.run_id = s.run_id AND p.user_id = g.user_id)
         ORDER BY g.created_at, g.user_id",
    )
    .bind(guild.db())
    .bind(id)
    .fetch_all(conn)
    .await?;
    ids.into_iter().map(crate::snowflake).collect()
}
