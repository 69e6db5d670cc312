//! Runs and their participants.

use chrono::{DateTime, Utc};
use domain::{RunStatus, Snowflake};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::{PgConnection, Result, StoreError, opt_snowflake, snowflake};

#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub guild_id: Snowflake,
    pub run_id: i64,
    pub organizer_id: Snowflake,
    pub dungeon_code: String,
    pub party: Option<String>,
    pub location: Option<String>,
    pub description: Option<String>,
    pub status: RunStatus,
    pub join_locked: bool,
    pub auto_end_at: DateTime<Utc>,
    pub panel_channel_id: Option<Snowflake>,
    pub panel_message_id: Option<Snowflake>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub closed_by: Option<Snowflake>,
    /// Who closed it as the audit log names them ("user 42", "api key 'dashboard' (#3)"):
    /// the only trace of an API key, which has no user id.
    pub closed_by_label: Option<String>,
    /// `organizer`, `staff` or `auto` once closed.
    pub close_reason: Option<String>,
    pub raider_cap: Option<i32>,
    pub run_role_id: Option<Snowflake>,
    pub ping_message_id: Option<Snowflake>,
    pub chain_amount: Option<i32>,
    pub key_window_ends_at: Option<DateTime<Utc>>,
    pub location_set_at: Option<DateTime<Utc>>,
    pub o3_stage: Option<String>,
    pub o3_miniboss: Option<String>,
    pub realm_score: Option<i16>,
    pub screenshot_url: Option<String>,
    pub o3_ping_message_id: Option<Snowflake>,
    /// Raiders currently joined.
    pub participant_count: i64,
    /// Raiders waiting on the bench.
    pub bench_count: i64,
    /// Keys popped in this run so far (sum of logged counts).
    pub keys_popped: i64,
}

pub(crate) const RUN_COLUMNS: &str = "r.guild_id, r.run_id, r.organizer_id, r.dungeon_code, r.party, r.location,
    r.description, r.status, r.join_locked, r.auto_end_at, r.panel_channel_id, r.panel_message_id,
    r.created_at, r.started_at, r.ended_at, r.cancelled_at, r.closed_by, r.closed_by_label, r.close_reason,
    r.raider_cap, r.run_role_id, r.ping_message_id, r.chain_amount, r.key_window_ends_at,
    r.location_set_at, r.o3_stage, r.o3_miniboss, r.realm_score, r.screenshot_url,
    r.o3_ping_message_id,
    (SELECT count(*) FROM run_participant p
      WHERE p.guild_id = r.guild_id AND p.run_id = r.run_id AND p.state = 'joined') AS participant_count,
    (SELECT count(*) FROM run_participant p
      WHERE p.guild_id = r.guild_id AND p.run_id = r.run_id AND p.state = 'benched') AS bench_count,
    (SELECT COALESCE(sum(k.count), 0) FROM key_pop k
      WHERE k.guild_id = r.guild_id AND k.run_id = r.run_id) AS keys_popped";

pub(crate) fn run_from_row(row: &PgRow) -> Result<Run> {
    let status: String = row.try_get("status")?;
    Ok(Run {
        guild_id: snowflake(row.try_get("guild_id")?)?,
        run_id: row.try_get("run_id")?,
        organizer_id: snowflake(row.try_get("organizer_id")?)?,
        dungeon_code: row.try_get("dungeon_code")?,
        party: row.try_get("party")?,
        location: row.try_get("location")?,
        description: row.try_get("description")?,
        status: RunStatus::parse(&status).ok_or(StoreError::Corrupt(status))?,
        join_locked: row.try_get("join_locked")?,
        auto_end_at: row.try_get("auto_end_at")?,
        panel_channel_id: opt_snowflake(row.try_get("panel_channel_id")?)?,
        panel_message_id: opt_snowflake(row.try_get("panel_message_id")?)?,
        created_at: row.try_get("created_at")?,
        started_at: row.try_get("started_at")?,
        ended_at: row.try_get("ended_at")?,
        cancelled_at: row.try_get("cancelled_at")?,
        closed_by: opt_snowflake(row.try_get("closed_by")?)?,
        closed_by_label: row.try_get("closed_by_label")?,
        close_reason: row.try_get("close_reason")?,
        raider_cap: row.try_get("raider_cap")?,
        run_role_id: opt_snowflake(row.try_get("run_role_id")?)?,
        ping_message_id: opt_snowflake(row.try_get("ping_message_id")?)?,
        chain_amount: row.try_get("chain_amount")?,
        key_window_ends_at: row.try_get("key_window_ends_at")?,
        location_set_at: row.try_get("location_set_at")?,
        o3_stage: row.try_get("o3_stage")?,
        o3_miniboss: row.try_get("o3_miniboss")?,
        realm_score: row.try_get("realm_score")?,
        screenshot_url: row.try_get("screenshot_url")?,
        o3_ping_message_id: opt_snowflake(row.try_get("o3_ping_message_id")?)?,
        participant_count: row.try_get("participant_count")?,
        bench_count: row.try_get("bench_count")?,
        keys_popped: row.try_get::<i64, _>("keys_popped")?,
    })
}

#[derive(Debug, Clone)]
pub struct NewRun {
    pub guild_id: Snowflake,
    pub organizer_id: Snowflake,
    pub dungeon_code: String,
    pub party: Option<String>,
    pub location: Option<String>,
    pub description: Option<String>,
    pub auto_end_at: DateTime<Utc>,
    pub panel_channel_id: Option<Snowflake>,
    pub raider_cap: Option<i32>,
}

/// Inserts a run. Fails with a unique violation on `run_one_active_per_organizer` when the
/// organizer already has an active run.
pub async fn insert(conn: &mut PgConnection, new: &NewRun) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO run (guild_id, organizer_id, dungeon_code, party, location, description,
                          auto_end_at, panel_channel_id, raider_cap, location_set_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $5 IS NULL THEN NULL ELSE now() END)
         RETURNING run_id",
    )
    .bind(new.guild_id.db())
    .bind(new.organizer_id.db())
    .bind(&new.dungeon_code)
    .bind(&new.party)
    .bind(&new.location)
    .bind(&new.description)
    .bind(new.auto_end_at)
    .bind(new.panel_channel_id.map(Snowflake::db))
    .bind(new.raider_cap)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn get(conn: &mut PgConnection, guild: Snowflake, run_id: i64) -> Result<Option<Run>> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM run r WHERE r.guild_id = $1 AND r.run_id = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(run_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(run_from_row).transpose()
}

/// Locks the run's row for the rest of the transaction: every change to one run (join,
/// leave, start, end, cancel, auto-end) serializes on this lock.
pub async fn lock(conn: &mut PgConnection, guild: Snowflake, run_id: i64) -> Result<Option<Run>> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM run r WHERE r.guild_id = $1 AND r.run_id = $2 FOR UPDATE OF r"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(run_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(run_from_row).transpose()
}

/// Runs of a guild, newest first, optionally of one status, after the cursor (a run id).
pub async fn list(
    conn: &mut PgConnection,
    guild: Snowflake,
    status: Option<RunStatus>,
    before_run_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Run>> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM run r
         WHERE r.guild_id = $1 AND ($2::text IS NULL OR r.status = $2)
           AND ($3::bigint IS NULL OR r.run_id < $3)
         ORDER BY r.run_id DESC LIMIT $4"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(status.map(RunStatus::as_str))
        .bind(before_run_id)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(run_from_row).collect()
}

/// The organizer's active run, if any.
pub async fn active_for_organizer(
    conn: &mut PgConnection,
    guild: Snowflake,
    organizer: Snowflake,
) -> Result<Option<Run>> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM run r
         WHERE r.guild_id = $1 AND r.organizer_id = $2 AND r.status IN ('open', 'live')"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(organizer.db())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(run_from_row).transpose()
}

pub async fn mark_started(conn: &mut PgConnection, guild: Snowflake, run_id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE run SET status = 'live', started_at = now()
         WHERE guild_id = $1 AND run_id = $2 AND status = 'open'",
    )
    .bind(guild.db())
    .bind(run_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Closes an active run as ended or cancelled. Only an active run changes, so a second
/// close (another click, the auto-end timer) finds nothing to do and keeps the first times.
/// Returns whether this call closed it.
pub async fn mark_closed(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    status: RunStatus,
    closed_by: Option<Snowflake>,
    closed_by_label: Option<&str>,
    reason: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE run SET status = $3,
                ended_at = CASE WHEN $3 = 'ended' THEN now() END,
                cancelled_at = CASE WHEN $3 = 'cancelled' THEN now() END,
                closed_by = $4, closed_by_label = $5, close_reason = $6
         WHERE guild_id = $1 AND run_id = $2 AND status IN ('open', 'live')",
    )
    .bind(guild.db())
    .bind(run_id)
    .bind(status.as_str())
    .bind(closed_by.map(Snowflake::db))
    .bind(closed_by_label)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_panel_message(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    channel: Snowflake,
    message: Snowflake,
) -> Result<()> {
    sqlx::query(
        "UPDATE run SET panel_channel_id = $3, panel_message_id = $4
         WHERE guild_id = $1 AND run_id = $2",
    )
    .bind(guild.db())
    .bind(run_id)
    .bind(channel.db())
    .bind(message.db())
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
pub struct Participant {
    pub user_id: Snowflake,
    pub class: Option<String>,
    pub joined_at: DateTime<Utc>,
}

/// Joined raiders in the order they joined.
pub async fn participants(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
) -> Result<Vec<Participant>> {
    let rows = sqlx::query(
        "SELECT user_id, class, joined_at FROM run_participant
         WHERE guild_id = $1 AND run_id = $2 AND state = 'joined'
         ORDER BY joined_at, user_id",
    )
    .bind(guild.db())
    .bind(run_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Participant {
                user_id: snowflake(r.try_get("user_id")?)?,
                class: r.try_get("class")?,
                joined_at: r.try_get("joined_at")?,
            })
        })
        .collect()
}

/// Runs still active whose auto-end time has passed (for the start-up sweep).
pub async fn overdue(conn: &mut PgConnection, limit: i64) -> Result<Vec<(Snowflake, i64)>> {
    let rows = sqlx::query(
        "SELECT guild_id, run_id FROM run
         WHERE status IN ('open', 'live') AND auto_end_at <= now()
         ORDER BY auto_end_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((snowflake(r.try_get("guild_id")?)?, r.try_get("run_id")?)))
        .collect()
}

/// A run column the organizer panel (or the bot) changes on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Location,
    Party,
    Description,
    JoinLocked,
    RaiderCap,
    ChainAmount,
    KeyWindowEndsAt,
    O3Stage,
    O3Miniboss,
    O3PingMessageId,
    RealmScore,
    RunRoleId,
    PingMessageId,
    PanelMessageId,
    AutoEndAt,
    ScreenshotUrl,
}

impl Setting {
    fn column(self) -> &'static str {
        match self {
            Setting::Location => "location",
            Setting::Party => "party",
            Setting::Description => "description",
            Setting::JoinLocked => "join_locked",
            Setting::RaiderCap => "raider_cap",
            Setting::ChainAmount => "chain_amount",
            Setting::KeyWindowEndsAt => "key_window_ends_at",
            Setting::O3Stage => "o3_stage",
            Setting::O3Miniboss => "o3_miniboss",
            Setting::O3PingMessageId => "o3_ping_message_id",
            Setting::RealmScore => "realm_score",
            Setting::RunRoleId => "run_role_id",
            Setting::PingMessageId => "ping_message_id",
            Setting::PanelMessageId => "panel_message_id",
            Setting::AutoEndAt => "auto_end_at",
            Setting::ScreenshotUrl => "screenshot_url",
        }
    }
}

/// Sets one column of the run. Setting the location also records when it was set.
pub async fn set<T>(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    setting: Setting,
    value: T,
) -> Result<()>
where
    T: for<'q> sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send,
{
    let extra = if setting == Setting::Location {
        ", location_set_at = now()"
    } else {
        ""
    };
    // The column name comes from the closed list above, never from input.
    let sql = format!(
        "UPDATE run SET {} = $3{extra} WHERE guild_id = $1 AND run_id = $2",
        setting.column()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(run_id)
        .bind(value)
        .execute(conn)
        .await?;
    Ok(())
}

/// What a join needs to know about a run, read under a lock: shared for joins of an
/// uncapped run (they run side by side), exclusive otherwise. The joiner's suspension is
/// read in the same round trip (a suspension does not take the run's lock, so reading it
/// here is as fresh as reading it after).
#[derive(Debug, Clone)]
pub struct Gate {
    pub status: RunStatus,
    pub join_locked: bool,
    pub raider_cap: Option<i32>,
    pub organizer_id: Snowflake,
    pub dungeon_code: String,
    /// When `user`'s active suspension ends, if they are suspended.
    pub suspended_until: Option<DateTime<Utc>>,
}

/// The gate's statement without its lock clause; the suspension is
/// `punishments::suspended_until`'s query.
macro_rules! gate_sql {
    () => {
        "SELECT status, join_locked, raider_cap, organizer_id, dungeon_code,
            (SELECT expires_at FROM punishment
              WHERE guild_id = $1 AND user_id = $3 AND kind = 'suspend' AND status = 'active'
                AND expires_at > now()
              ORDER BY expires_at DESC LIMIT 1) AS suspended_until
         FROM run WHERE guild_id = $1 AND run_id = $2"
    };
}

pub async fn gate(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    user: Snowflake,
    exclusive: bool,
) -> Result<Option<Gate>> {
    let sql = if exclusive {
        concat!(gate_sql!(), " FOR UPDATE")
    } else {
        concat!(gate_sql!(), " FOR SHARE")
    };
    let row = sqlx::query(sql)
        .bind(guild.db())
        .bind(run_id)
        .bind(user.db())
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        let status: String = r.try_get("status")?;
        Ok(Gate {
            status: RunStatus::parse(&status).ok_or(StoreError::Corrupt(status))?,
            join_locked: r.try_get("join_locked")?,
            raider_cap: r.try_get("raider_cap")?,
            organizer_id: snowflake(r.try_get("organizer_id")?)?,
            dungeon_code: r.try_get("dungeon_code")?,
            suspended_until: r.try_get("suspended_until")?,
        })
    })
    .transpose()
}
