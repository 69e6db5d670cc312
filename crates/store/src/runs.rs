//! Runs and their participants.

use chrono::{DateTime, Utc};
use domain::{RunStatus, Snowflake};

use crate::{PgConnection, Result, StoreError, snowflake};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Run {
    #[sqlx(try_from = "crate::columns::Id")]
    pub guild_id: Snowflake,
    pub run_id: i64,
    #[sqlx(try_from = "crate::columns::Id")]
    pub organizer_id: Snowflake,
    pub dungeon_code: String,
    pub party: Option<String>,
    pub location: Option<String>,
    pub description: Option<String>,
    #[sqlx(try_from = "crate::columns::Text")]
    pub status: RunStatus,
    pub join_locked: bool,
    pub auto_end_at: DateTime<Utc>,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub panel_channel_id: Option<Snowflake>,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub panel_message_id: Option<Snowflake>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub closed_by: Option<Snowflake>,
    /// Who closed it as the audit log names them ("user 42", "api key 'dashboard' (#3)"):
    /// the only trace of an API key, which has no user id.
    pub closed_by_label: Option<String>,
    /// `organizer`, `staff` or `auto` once closed.
    pub close_reason: Option<String>,
    pub raider_cap: Option<i32>,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub run_role_id: Option<Snowflake>,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub ping_message_id: Option<Snowflake>,
    pub chain_amount: Option<i32>,
    pub key_window_ends_at: Option<DateTime<Utc>>,
    pub location_set_at: Option<DateTime<Utc>>,
    pub o3_stage: Option<String>,
    pub o3_miniboss: Option<String>,
    pub realm_score: Option<i16>,
    pub screenshot_url: Option<String>,
    #[sqlx(try_from = "crate::columns::OptId")]
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
    // Without ON CONFLICT the insert returns its row or fails.
    let sql = insert_sql("", "");
    insert_query(sqlx::AssertSqlSafe(sql), &[(new, None)])
        .fetch_optional(conn)
        .await?
        .map(|r| r.run_id)
        .ok_or_else(|| StoreError::Corrupt("an insert into run returned no row".into()))
}

/// Inserts the run, returning it as [`get`] reads it; `None` when the organizer already has
/// an active run (`run_one_active_per_organizer`) or an open headcount other than
/// `converting` (the one being turned into this run). A refusal, not an error: the
/// transaction stays usable, so the caller can read what blocked it and writes sharing the
/// transaction go on. The headcount check is part of the insert (one statement, not two);
/// the caller holds the organizer's activity lock ([`crate::locks::organizer_activity`]),
/// which a headcount's creation takes too.
pub async fn create(
    conn: &mut PgConnection,
    new: &NewRun,
    converting: Option<i64>,
) -> Result<Option<Run>> {
    Ok(create_many(conn, &[(new, converting)]).await?.pop())
}

/// [`create`] for several runs, of distinct organizers, in one statement. Returns the runs
/// it inserted, in no particular order; a run it refused is missing.
pub async fn create_many(
    conn: &mut PgConnection,
    runs: &[(&NewRun, Option<i64>)],
) -> Result<Vec<Run>> {
    let sql = insert_sql(
        "WHERE NOT EXISTS (
            SELECT 1 FROM headcount h
            WHERE h.guild_id = u.guild_id AND h.organizer_id = u.organizer_id
              AND h.status = 'open' AND h.headcount_id IS DISTINCT FROM u.converting)",
        "ON CONFLICT (guild_id, organizer_id) WHERE status IN ('open', 'live') DO NOTHING",
    );
    Ok(insert_query(sqlx::AssertSqlSafe(sql), runs)
        .fetch_all(conn)
        .await?)
}

/// The insert of [`insert_query`]'s rows (in their order), with a `guard` on each row `u`
/// and an `on_conflict` clause.
fn insert_sql(guard: &str, on_conflict: &str) -> String {
    format!(
        "INSERT INTO run AS r (guild_id, organizer_id, dungeon_code, party, location, description,
                               auto_end_at, panel_channel_id, raider_cap, location_set_at)
         SELECT u.guild_id, u.organizer_id, u.dungeon_code, u.party, u.location, u.description,
                u.auto_end_at, u.panel_channel_id, u.raider_cap,
                CASE WHEN u.location IS NULL THEN NULL ELSE now() END
         FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::timestamptz[], $8::bigint[], $9::int[], $10::bigint[])
              WITH ORDINALITY
              AS u(guild_id, organizer_id, dungeon_code, party, location, description,
                   auto_end_at, panel_channel_id, raider_cap, converting, n)
         {guard}
         ORDER BY u.n
         {on_conflict}
         RETURNING {RUN_COLUMNS}"
    )
}

fn insert_query<'q>(
    sql: sqlx::AssertSqlSafe<String>,
    runs: &[(&'q NewRun, Option<i64>)],
) -> sqlx::query::QueryAs<'q, crate::Postgres, Run, sqlx::postgres::PgArguments> {
    let text = |f: fn(&'q NewRun) -> Option<&'q str>| -> Vec<Option<&'q str>> {
        runs.iter().map(|(n, _)| f(n)).collect()
    };
    let guilds: Vec<i64> = runs.iter().map(|(n, _)| n.guild_id.db()).collect();
    let organizers: Vec<i64> = runs.iter().map(|(n, _)| n.organizer_id.db()).collect();
    let dungeons = text(|n| Some(n.dungeon_code.as_str()));
    let parties = text(|n| n.party.as_deref());
    let locations = text(|n| n.location.as_deref());
    let descriptions = text(|n| n.description.as_deref());
    let auto_end: Vec<DateTime<Utc>> = runs.iter().map(|(n, _)| n.auto_end_at).collect();
    let channels: Vec<Option<i64>> = runs
        .iter()
        .map(|(n, _)| n.panel_channel_id.map(Snowflake::db))
        .collect();
    let caps: Vec<Option<i32>> = runs.iter().map(|(n, _)| n.raider_cap).collect();
    let converting: Vec<Option<i64>> = runs.iter().map(|(_, c)| *c).collect();
    sqlx::query_as::<_, Run>(sql)
        .bind(guilds)
        .bind(organizers)
        .bind(dungeons)
        .bind(parties)
        .bind(locations)
        .bind(descriptions)
        .bind(auto_end)
        .bind(channels)
        .bind(caps)
        .bind(converting)
}

pub async fn get(conn: &mut PgConnection, guild: Snowflake, run_id: i64) -> Result<Option<Run>> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM run r WHERE r.guild_id = $1 AND r.run_id = $2");
    Ok(sqlx::query_as::<_, Run>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(run_id)
        .fetch_optional(conn)
        .await?)
}

/// Locks the run's row for the rest of the transaction: every change to one run (join,
/// leave, start, end, cancel, auto-end) serializes on this lock.
pub async fn lock(conn: &mut PgConnection, guild: Snowflake, run_id: i64) -> Result<Option<Run>> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM run r WHERE r.guild_id = $1 AND r.run_id = $2 FOR UPDATE OF r"
    );
    Ok(sqlx::query_as::<_, Run>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(run_id)
        .fetch_optional(conn)
        .await?)
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
    Ok(sqlx::query_as::<_, Run>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(status.map(RunStatus::as_str))
        .bind(before_run_id)
        .bind(limit)
        .fetch_all(conn)
        .await?)
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
    Ok(sqlx::query_as::<_, Run>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(organizer.db())
        .fetch_optional(conn)
        .await?)
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

/// Which runs a change may touch: any (the caller checked who may, or outranks every
/// organizer), or only those one member organizes. Lets a change that is usually allowed
/// check its permission in the statement that makes it, instead of reading the run first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunsOf {
    Anyone,
    Organizer(Snowflake),
}

impl RunsOf {
    /// The organizer the statement filters on (`$n::bigint IS NULL OR r.organizer_id = $n`).
    fn organizer(self) -> Option<i64> {
        match self {
            RunsOf::Anyone => None,
            RunsOf::Organizer(user) => Some(user.db()),
        }
    }
}

/// Starts an open run of `runs_of`. Returns the run afterwards; `None` when it is not open,
/// not one of `runs_of`, or missing.
pub async fn start(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    runs_of: RunsOf,
) -> Result<Option<Run>> {
    Ok(start_many(conn, &[(guild, run_id, runs_of)]).await?.pop())
}

/// [`start`] for several runs in one statement (their locks taken in the order given).
/// Returns the runs it started, in no particular order; a run it did not start is missing.
pub async fn start_many(
    conn: &mut PgConnection,
    runs: &[(Snowflake, i64, RunsOf)],
) -> Result<Vec<Run>> {
    let sql = format!(
        "UPDATE run r SET status = 'live', started_at = now()
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS u(guild_id, run_id, organizer_id)
         WHERE r.guild_id = u.guild_id AND r.run_id = u.run_id AND r.status = 'open'
           AND (u.organizer_id IS NULL OR r.organizer_id = u.organizer_id)
         RETURNING {RUN_COLUMNS}"
    );
    let guilds: Vec<i64> = runs.iter().map(|r| r.0.db()).collect();
    let ids: Vec<i64> = runs.iter().map(|r| r.1).collect();
    let organizers: Vec<Option<i64>> = runs.iter().map(|r| r.2.organizer()).collect();
    Ok(sqlx::query_as::<_, Run>(sqlx::AssertSqlSafe(sql))
        .bind(guilds)
        .bind(ids)
        .bind(organizers)
        .fetch_all(conn)
        .await?)
}

/// How a run closes: [`close`]'s change.
#[derive(Debug, Clone, Copy)]
pub struct Closing<'a> {
    /// Ended or cancelled.
    pub status: RunStatus,
    /// Only a run in this status closes (`None`: either active one).
    pub from: Option<RunStatus>,
    pub runs_of: RunsOf,
    pub closed_by: Option<Snowflake>,
    pub closed_by_label: Option<&'a str>,
    /// The close reason when `closed_by` organized the run, and when not.
    pub reason_own: &'a str,
    pub reason_other: &'a str,
}

/// [`close_many`]'s statement, with what it returns.
fn close_sql(returning: &str) -> String {
    format!(
        "UPDATE run r SET status = u.status,
                ended_at = CASE WHEN u.status = 'ended' THEN now() END,
                cancelled_at = CASE WHEN u.status = 'cancelled' THEN now() END,
                closed_by = u.closed_by, closed_by_label = u.closed_by_label,
                close_reason = CASE WHEN r.organizer_id = u.closed_by THEN u.reason_own
                                    ELSE u.reason_other END,
                attendance = CASE WHEN u.status = 'ended' THEN (
                    SELECT count(*) FROM run_participant p
                    WHERE p.guild_id = r.guild_id AND p.run_id = r.run_id
                      AND p.state = 'joined') END
         FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::text[],
                     $6::text[], $7::text[], $8::text[], $9::bigint[])
              AS u(guild_id, run_id, status, closed_by, closed_by_label, reason_own,
                   reason_other, from_status, organizer_id)
         WHERE r.guild_id = u.guild_id AND r.run_id = u.run_id AND r.status IN ('open', 'live')
           AND (u.from_status IS NULL OR r.status = u.from_status)
           AND (u.organizer_id IS NULL OR r.organizer_id = u.organizer_id)
         RETURNING {returning}"
    )
}

fn close_query<'q, O>(
    query: sqlx::query::QueryAs<'q, crate::Postgres, O, sqlx::postgres::PgArguments>,
    runs: &[(Snowflake, i64, Closing<'q>)],
) -> sqlx::query::QueryAs<'q, crate::Postgres, O, sqlx::postgres::PgArguments> {
    let guilds: Vec<i64> = runs.iter().map(|r| r.0.db()).collect();
    let ids: Vec<i64> = runs.iter().map(|r| r.1).collect();
    let statuses: Vec<&str> = runs.iter().map(|r| r.2.status.as_str()).collect();
    let closed_by: Vec<Option<i64>> = runs
        .iter()
        .map(|r| r.2.closed_by.map(Snowflake::db))
        .collect();
    let labels: Vec<Option<&str>> = runs.iter().map(|r| r.2.closed_by_label).collect();
    let own: Vec<&str> = runs.iter().map(|r| r.2.reason_own).collect();
    let other: Vec<&str> = runs.iter().map(|r| r.2.reason_other).collect();
    let from: Vec<Option<&str>> = runs
        .iter()
        .map(|r| r.2.from.map(RunStatus::as_str))
        .collect();
    let organizers: Vec<Option<i64>> = runs.iter().map(|r| r.2.runs_of.organizer()).collect();
    query
        .bind(guilds)
        .bind(ids)
        .bind(statuses)
        .bind(closed_by)
        .bind(labels)
        .bind(own)
        .bind(other)
        .bind(from)
        .bind(organizers)
}

/// Closes an active run as ended or cancelled. Only an active run changes, so a second
/// close (another click, the auto-end timer) finds nothing to do and keeps the first times.
/// Returns the run afterwards when this call closed it (`None` too when the run is not in
/// `from` or not one of `runs_of`).
pub async fn close(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    closing: &Closing<'_>,
) -> Result<Option<Run>> {
    Ok(close_many(conn, &[(guild, run_id, *closing)]).await?.pop())
}

/// [`close`] for several runs in one statement (their locks taken in the order given).
/// Returns the runs it closed, in no particular order; a run it did not close is missing.
pub async fn close_many(
    conn: &mut PgConnection,
    runs: &[(Snowflake, i64, Closing<'_>)],
) -> Result<Vec<Run>> {
    let sql = close_sql(RUN_COLUMNS);
    let query = sqlx::query_as::<_, Run>(sqlx::AssertSqlSafe(sql));
    Ok(close_query(query, runs).fetch_all(conn).await?)
}

/// [`close`] by anyone from either active status, without reading the run back. Returns
/// whether this call closed it.
pub async fn mark_closed(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    status: RunStatus,
    closed_by: Option<Snowflake>,
    closed_by_label: Option<&str>,
    reason: &str,
) -> Result<bool> {
    let closing = Closing {
        status,
        from: None,
        runs_of: RunsOf::Anyone,
        closed_by,
        closed_by_label,
        reason_own: reason,
        reason_other: reason,
    };
    let query = sqlx::query_as::<_, (i32,)>(sqlx::AssertSqlSafe(close_sql("1")));
    let closed = close_query(query, &[(guild, run_id, closing)])
        .fetch_optional(conn)
        .await?;
    Ok(closed.is_some())
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

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Participant {
    #[sqlx(try_from = "crate::columns::Id")]
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
    Ok(sqlx::query_as::<_, Participant>(
        "SELECT user_id, class, joined_at FROM run_participant
         WHERE guild_id = $1 AND run_id = $2 AND state = 'joined'
         ORDER BY joined_at, user_id",
    )
    .bind(guild.db())
    .bind(run_id)
    .fetch_all(conn)
    .await?)
}

/// Runs still active whose auto-end time has passed (for the start-up sweep).
pub async fn overdue(conn: &mut PgConnection, limit: i64) -> Result<Vec<(Snowflake, i64)>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT guild_id, run_id FROM run
         WHERE status IN ('open', 'live') AND auto_end_at <= now()
         ORDER BY auto_end_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(guild, run)| Ok((snowflake(guild)?, run)))
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
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Gate {
    #[sqlx(try_from = "crate::columns::Text")]
    pub status: RunStatus,
    pub join_locked: bool,
    pub raider_cap: Option<i32>,
    #[sqlx(try_from = "crate::columns::Id")]
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
    Ok(sqlx::query_as::<_, Gate>(sql)
        .bind(guild.db())
        .bind(run_id)
        .bind(user.db())
        .fetch_optional(conn)
        .await?)
}

/// One join of a batch as [`gates`] read it: the run's gate and the member's roster entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BatchGate {
    /// The join's place in the arrays passed to [`gates`] (from 0).
    pub i: i64,
    #[sqlx(flatten)]
    pub gate: Gate,
    /// Whether the member has a roster row in the run (the entry's columns are then set).
    pub has_entry: bool,
    #[sqlx(flatten)]
    pub entry: crate::run_roster::MaybeEntry,
}

/// [`gate`] (shared lock) and the member's roster entry for many joins at once, in one
/// round trip: `guilds`, `runs` and `users` are parallel arrays. Joins whose run does not
/// exist are missing from the answer.
pub async fn gates(
    conn: &mut PgConnection,
    guilds: &[i64],
    runs: &[i64],
    users: &[i64],
) -> Result<Vec<BatchGate>> {
    Ok(sqlx::query_as::<_, BatchGate>(
        "SELECT a.i - 1 AS i, r.status, r.join_locked, r.raider_cap, r.organizer_id,
                r.dungeon_code,
                (SELECT expires_at FROM punishment p
                  WHERE p.guild_id = a.guild_id AND p.user_id = a.user_id AND p.kind = 'suspend'
                    AND p.status = 'active' AND p.expires_at > now()
                  ORDER BY p.expires_at DESC LIMIT 1) AS suspended_until,
                e.user_id IS NOT NULL AS has_entry, e.user_id AS entry_user_id,
                e.state AS entry_state, e.class AS entry_class, e.joined_at AS entry_joined_at,
                e.removed_by AS entry_removed_by, e.removed_reason AS entry_removed_reason,
                e.rejoin_allowed AS entry_rejoin_allowed
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) WITH ORDINALITY
              AS a(guild_id, run_id, user_id, i)
         JOIN run r ON r.guild_id = a.guild_id AND r.run_id = a.run_id
         LEFT JOIN run_participant e
           ON e.guild_id = a.guild_id AND e.run_id = a.run_id AND e.user_id = a.user_id
         ORDER BY a.i
         FOR SHARE OF r",
    )
    .bind(guilds)
    .bind(runs)
    .bind(users)
    .fetch_all(conn)
    .await?)
}

/// Which runs a history page lists (every field optional).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunFilter {
    pub dungeon: Option<String>,
    pub organizer: Option<Snowflake>,
    /// A run status's `as_str`.
    pub status: Option<String>,
    /// Created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Created before.
    pub to: Option<DateTime<Utc>>,
}

/// Runs matching `filter`, newest first; `before` is the last run id of the previous page.
pub async fn run_history(
    conn: &mut PgConnection,
    guild: Snowflake,
    filter: &RunFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Run>> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM run r
         WHERE r.guild_id = $1
           AND ($2::text IS NULL OR r.dungeon_code = $2)
           AND ($3::bigint IS NULL OR r.organizer_id = $3)
           AND ($4::text IS NULL OR r.status = $4)
           AND ($5::timestamptz IS NULL OR r.created_at >= $5)
           AND ($6::timestamptz IS NULL OR r.created_at < $6)
           AND ($7::bigint IS NULL OR r.run_id < $7)
         ORDER BY r.run_id DESC LIMIT $8"
    );
    Ok(sqlx::query_as::<_, Run>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(filter.dungeon.as_deref())
        .bind(filter.organizer.map(Snowflake::db))
        .bind(filter.status.as_deref())
        .bind(filter.from)
        .bind(filter.to)
        .bind(before)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}
