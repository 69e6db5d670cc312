//! Writes for importers of other bots' databases (`raidbot import console`): source keys
//! that make an import repeatable, and inserts that keep the source's own times (the
//! aggregate modules' inserts stamp rows with `now()`, which is right for a live action and
//! wrong for a row that happened two years ago).
//!
//! Everything runs in the caller's transaction: an importer writes one guild per
//! transaction, so a guild is never half imported.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use domain::Snowflake;
use domain::moderation::{
    PUNISHMENT_CODE_LEN, PunishmentKind, TICKET_CODE_LEN, code_space, punishment_code, ticket_code,
};
use domain::quota::{Currency, Metric, PointKind, Points, Schedule, metrics_of};
use domain::verification::ign_key;

use crate::point_config::leaderboard_schedule;
use crate::point_periods::{LEADERBOARD_SCOPE, PeriodRow, ensure_period};
use crate::punishments::PunishmentStatus;
use crate::{PgConnection, Result, StoreError};

/// Which foreign database a source key came from.
pub const CONSOLE: &str = "console";

/// The source ids of `table` already imported into `guild`.
pub async fn imported_ids(
    conn: &mut PgConnection,
    guild: Snowflake,
    source: &str,
    table: &str,
) -> Result<HashSet<String>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT source_id FROM import_source_key
         WHERE guild_id = $1 AND source = $2 AND source_table = $3",
    )
    .bind(guild.db())
    .bind(source)
    .bind(table)
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().collect())
}

/// Records source rows as imported (`(source id, raidbot id)`); a key recorded already is
/// left as it was.
pub async fn record(
    conn: &mut PgConnection,
    guild: Snowflake,
    source: &str,
    table: &str,
    keys: &[(String, Option<String>)],
) -> Result<()> {
    for chunk in keys.chunks(10_000) {
        let ids: Vec<&str> = chunk.iter().map(|(s, _)| s.as_str()).collect();
        let targets: Vec<Option<&str>> = chunk.iter().map(|(_, t)| t.as_deref()).collect();
        sqlx::query(
            "INSERT INTO import_source_key (guild_id, source, source_table, source_id, target_id)
             SELECT $1, $2, $3, s, t FROM unnest($4::text[], $5::text[]) AS x(s, t)
             ON CONFLICT DO NOTHING",
        )
        .bind(guild.db())
        .bind(source)
        .bind(table)
        .bind(&ids)
        .bind(&targets)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Members raidbot already has among `users`: user → (status, main IGN).
pub async fn members_of(
    conn: &mut PgConnection,
    guild: Snowflake,
    users: &[i64],
) -> Result<HashMap<i64, (String, Option<String>)>> {
    let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT user_id, status, ign FROM member WHERE guild_id = $1 AND user_id = ANY($2)",
    )
    .bind(guild.db())
    .bind(users)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(u, s, i)| (u, (s, i))).collect())
}

/// Who holds each of these IGN keys (lower case) as main or alt: key → user.
pub async fn ign_owners(
    conn: &mut PgConnection,
    guild: Snowflake,
    keys: &[String],
) -> Result<HashMap<String, i64>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT ign_key, user_id FROM member_ign WHERE guild_id = $1 AND ign_key = ANY($2)",
    )
    .bind(guild.db())
    .bind(keys)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// A member as the source recorded them, with the IGNs the importer checked are free.
#[derive(Debug, Clone)]
pub struct ImportedMember {
    pub user_id: Snowflake,
    /// `verified`, `banned` or `unverified`.
    pub status: &'static str,
    pub first_seen_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
    /// The main IGN (replacing the member's main in raidbot, if any).
    pub main: Option<String>,
}

/// Writes a batch of members in a few statements: each is created with the source's status
/// and times, or, when raidbot knows them already but has not verified them, given the
/// source's status (a member raidbot verified or banned itself keeps raidbot's record: it
/// is newer); then their main IGNs. The caller checked the
/// names are free in raidbot and in the batch; a name taken meanwhile (by the live bot)
/// is an error, and the caller's transaction rolls back.
pub async fn upsert_members(
    conn: &mut PgConnection,
    guild: Snowflake,
    members: &[ImportedMember],
) -> Result<()> {
    if members.is_empty() {
        return Ok(());
    }
    let users: Vec<i64> = members.iter().map(|m| m.user_id.db()).collect();
    let statuses: Vec<&str> = members.iter().map(|m| m.status).collect();
    let first_seen: Vec<DateTime<Utc>> = members.iter().map(|m| m.first_seen_at).collect();
    let verified: Vec<Option<DateTime<Utc>>> = members.iter().map(|m| m.verified_at).collect();
    sqlx::query(
        "INSERT INTO member (guild_id, user_id, status, first_seen_at, verified_at)
         SELECT $1, u, s, f, CASE WHEN s = 'verified' THEN v END
         FROM unnest($2::bigint[], $3::text[], $4::timestamptz[], $5::timestamptz[])
             AS x(u, s, f, v)
         ON CONFLICT (guild_id, user_id) DO UPDATE SET
            status = EXCLUDED.status,
            verified_at = EXCLUDED.verified_at,
            first_seen_at = LEAST(member.first_seen_at, EXCLUDED.first_seen_at),
            updated_at = now()
         WHERE member.status IN ('unverified', 'pending', 'left')",
    )
    .bind(guild.db())
    .bind(&users)
    .bind(&statuses)
    .bind(&first_seen)
    .bind(&verified)
    .execute(&mut *conn)
    .await?;
    let (named, igns): (Vec<i64>, Vec<&str>) = members
        .iter()
        .filter_map(|m| Some((m.user_id.db(), m.main.as_deref()?)))
        .unzip();
    if named.is_empty() {
        return Ok(());
    }
    let keys: Vec<String> = igns.iter().map(|i| ign_key(i)).collect();
    // As `names::set_main`: the old main (and the same name held as an alt) make way.
    sqlx::query(
        "DELETE FROM member_ign m USING unnest($2::bigint[], $3::text[]) AS x(u, k)
         WHERE m.guild_id = $1 AND m.user_id = x.u AND (m.is_main OR m.ign_key = x.k)",
    )
    .bind(guild.db())
    .bind(&named)
    .bind(&keys)
    .execute(&mut *conn)
    .await?;
    let inserted = sqlx::query(
        "INSERT INTO member_ign (guild_id, ign_key, ign, user_id, is_main)
         SELECT $1, k, i, u, true FROM unnest($2::bigint[], $3::text[], $4::text[]) AS x(u, k, i)
         ON CONFLICT DO NOTHING",
    )
    .bind(guild.db())
    .bind(&named)
    .bind(&keys)
    .bind(&igns)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted != named.len() as u64 {
        return Err(StoreError::Corrupt(format!(
            "{} of {} main IGNs were taken during the import",
            named.len() as u64 - inserted,
            named.len()
        )));
    }
    sqlx::query(
        "UPDATE member SET ign = x.i, updated_at = now()
         FROM unnest($2::bigint[], $3::text[]) AS x(u, i)
         WHERE member.guild_id = $1 AND member.user_id = x.u",
    )
    .bind(guild.db())
    .bind(&named)
    .bind(&igns)
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds alt IGNs `(member, alt)` in one statement; the caller checked they are free.
pub async fn add_alts(
    conn: &mut PgConnection,
    guild: Snowflake,
    alts: &[(Snowflake, String)],
) -> Result<()> {
    if alts.is_empty() {
        return Ok(());
    }
    let users: Vec<i64> = alts.iter().map(|(u, _)| u.db()).collect();
    let igns: Vec<&str> = alts.iter().map(|(_, a)| a.as_str()).collect();
    let keys: Vec<String> = igns.iter().map(|i| ign_key(i)).collect();
    let inserted = sqlx::query(
        "INSERT INTO member_ign (guild_id, ign_key, ign, user_id, is_main)
         SELECT $1, k, i, u, false FROM unnest($2::bigint[], $3::text[], $4::text[]) AS x(u, k, i)
         ON CONFLICT DO NOTHING",
    )
    .bind(guild.db())
    .bind(&users)
    .bind(&keys)
    .bind(&igns)
    .execute(conn)
    .await?
    .rows_affected();
    if inserted != alts.len() as u64 {
        return Err(StoreError::Corrupt(format!(
            "{} of {} alt IGNs were taken during the import",
            alts.len() as u64 - inserted,
            alts.len()
        )));
    }
    Ok(())
}

/// A punishment as the source recorded it.
#[derive(Debug, Clone)]
pub struct ImportedPunishment {
    pub guild_id: Snowflake,
    pub kind: PunishmentKind,
    pub user_id: Snowflake,
    pub actor_id: Option<Snowflake>,
    pub actor: String,
    pub reason: String,
    pub status: PunishmentStatus,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_by: Option<Snowflake>,
    pub ended_by_label: Option<String>,
    pub end_reason: Option<String>,
}

/// Whether the member has a running punishment of `kind` (one suspension and one mute at
/// a time).
pub async fn has_active_timed(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    kind: PunishmentKind,
) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM punishment WHERE guild_id = $1 AND user_id = $2
           AND kind = $3 AND status = 'active')",
    )
    .bind(guild.db())
    .bind(user.db())
    .bind(kind.as_str())
    .fetch_one(conn)
    .await?)
}

/// Inserts a punishment with its own times and a fresh code; returns (id, code). It was
/// applied on Discord by the old bot, so it counts as applied when it was given.
pub async fn insert_punishment(
    conn: &mut PgConnection,
    p: &ImportedPunishment,
) -> Result<(i64, String)> {
    for _ in 0..20 {
        let random: i64 = sqlx::query_scalar("SELECT floor(random() * $1::float8)::bigint")
            .bind(code_space(PUNISHMENT_CODE_LEN) as f64)
            .fetch_one(&mut *conn)
            .await?;
        let code = punishment_code(u64::try_from(random).unwrap_or_default());
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO punishment (guild_id, code, kind, user_id, actor_id, actor, reason,
                 status, created_at, expires_at, applied_at, ended_at, ended_by,
                 ended_by_label, end_reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9, $11, $12, $13, $14)
             ON CONFLICT (guild_id, code) DO NOTHING
             RETURNING punishment_id",
        )
        .bind(p.guild_id.db())
        .bind(&code)
        .bind(p.kind.as_str())
        .bind(p.user_id.db())
        .bind(p.actor_id.map(Snowflake::db))
        .bind(&p.actor)
        .bind(&p.reason)
        .bind(p.status.as_str())
        .bind(p.created_at)
        .bind(p.expires_at)
        .bind(p.ended_at)
        .bind(p.ended_by.map(Snowflake::db))
        .bind(&p.ended_by_label)
        .bind(&p.end_reason)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(id) = id {
            return Ok((id, code));
        }
    }
    Err(StoreError::Corrupt(
        "no free punishment code after 20 tries".into(),
    ))
}

/// Inserts a staff note written at `created_at`; returns its id.
pub async fn insert_note(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    author_id: Option<Snowflake>,
    author: &str,
    body: &str,
    created_at: DateTime<Utc>,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO member_note (guild_id, user_id, author_id, author, body, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING note_id",
    )
    .bind(guild.db())
    .bind(user.db())
    .bind(author_id.map(Snowflake::db))
    .bind(author)
    .bind(body)
    .bind(created_at)
    .fetch_one(conn)
    .await?)
}

/// Inserts a closed modmail ticket with a fresh code; returns (id, code).
pub async fn insert_closed_ticket(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    thread_id: Option<Snowflake>,
    created_at: DateTime<Utc>,
    closed_at: DateTime<Utc>,
    closed_by: &str,
) -> Result<(i64, String)> {
    for _ in 0..20 {
        let random: i64 = sqlx::query_scalar("SELECT floor(random() * $1::float8)::bigint")
            .bind(code_space(TICKET_CODE_LEN) as f64)
            .fetch_one(&mut *conn)
            .await?;
        let code = ticket_code(u64::try_from(random).unwrap_or_default());
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO modmail_ticket (guild_id, code, user_id, status, thread_id, created_at,
                 closed_at, closed_by, close_done)
             VALUES ($1, $2, $3, 'closed', $4, $5, $6, $7, true)
             ON CONFLICT (guild_id, code) DO NOTHING RETURNING ticket_id",
        )
        .bind(guild.db())
        .bind(&code)
        .bind(user.db())
        .bind(thread_id.map(Snowflake::db))
        .bind(created_at)
        .bind(closed_at)
        .bind(closed_by)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(id) = id {
            return Ok((id, code));
        }
    }
    Err(StoreError::Corrupt(
        "no free ticket code after 20 tries".into(),
    ))
}

/// One message of an imported transcript (it was delivered by the old bot).
#[derive(Debug, Clone)]
pub struct ImportedMessage {
    /// `member` or `staff`.
    pub direction: &'static str,
    pub author_id: Option<Snowflake>,
    pub author: String,
    pub body: String,
    pub attachments: Vec<String>,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_ticket_message(
    conn: &mut PgConnection,
    guild: Snowflake,
    ticket_id: i64,
    m: &ImportedMessage,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO modmail_message (guild_id, ticket_id, direction, author_id, author, body,
             attachments, created_at, relayed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(guild.db())
    .bind(ticket_id)
    .bind(m.direction)
    .bind(m.author_id.map(Snowflake::db))
    .bind(&m.author)
    .bind(&m.body)
    .bind(&m.attachments)
    .bind(m.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds a member to the modmail blacklist as of `created_at`; false when already there.
pub async fn blacklist(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    reason: &str,
    by: Option<Snowflake>,
    created_at: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO modmail_blacklist (guild_id, user_id, reason, added_by, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(guild.db())
    .bind(user.db())
    .bind(reason)
    .bind(by.map(Snowflake::db))
    .bind(created_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A point event with the time it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedEvent {
    pub member_id: Snowflake,
    pub currency: Currency,
    pub kind: PointKind,
    pub amount: Points,
    pub units: i32,
    pub dungeon_code: Option<String>,
    /// Unique per (member, kind) in the guild, like a live award's source.
    pub source: String,
    pub at: DateTime<Utc>,
}

/// Rows per statement of [`insert_events`].
const EVENT_CHUNK: usize = 5_000;

/// Writes events that happened at their own times, in bulk: each counts in the
/// leaderboard period containing its time (periods are created as needed, oldest first)
/// and adds to the sums like a live award (one pending batch per period and statement;
/// fold with [`crate::point_events::fold_deltas`]). Events whose (source, member, kind) exists
/// already are skipped. Returns how many were written.
pub async fn insert_events(
    conn: &mut PgConnection,
    guild: Snowflake,
    events: &mut [ImportedEvent],
) -> Result<u64> {
    if events.is_empty() {
        return Ok(0);
    }
    events.sort_by_key(|e| e.at);
    let schedule = leaderboard_schedule(conn, guild).await?;
    ensure_periods(conn, guild, &schedule, events).await?;
    let mut written = 0;
    for chunk in events.chunks(EVENT_CHUNK) {
        written += write_chunk(conn, guild, chunk).await?;
    }
    Ok(written)
}

/// Makes sure a leaderboard period exists for every event's time (events sorted by time).
async fn ensure_periods(
    conn: &mut PgConnection,
    guild: Snowflake,
    schedule: &Schedule,
    events: &[ImportedEvent],
) -> Result<()> {
    let mut current: Option<PeriodRow> = None;
    for e in events {
        if let Some(p) = current
            && p.period.start <= e.at
            && e.at < p.period.end
        {
            continue;
        }
        current = Some(ensure_period(conn, guild, LEADERBOARD_SCOPE, schedule, e.at).await?);
    }
    Ok(())
}

async fn write_chunk(
    conn: &mut PgConnection,
    guild: Snowflake,
    events: &[ImportedEvent],
) -> Result<u64> {
    let members: Vec<i64> = events.iter().map(|e| e.member_id.db()).collect();
    let currencies: Vec<&str> = events.iter().map(|e| e.currency.as_str()).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let amounts: Vec<i64> = events.iter().map(|e| e.amount.0).collect();
    let units: Vec<i32> = events.iter().map(|e| e.units).collect();
    let dungeons: Vec<Option<&str>> = events.iter().map(|e| e.dungeon_code.as_deref()).collect();
    let sources: Vec<&str> = events.iter().map(|e| e.source.as_str()).collect();
    let ats: Vec<DateTime<Utc>> = events.iter().map(|e| e.at).collect();
    let (points_metrics, count_metrics): (Vec<i16>, Vec<Option<i16>>) = events
        .iter()
        .map(|e| {
            let (points, count) = metrics_of(e.currency, e.kind);
            (points.code(), count.map(Metric::code))
        })
        .unzip();
    // Like a live award (`point_events::insert_events`), with a time and so a period per row.
    let written: i64 = sqlx::query_scalar(
        "WITH x AS (
            SELECT x.*, p.period_id FROM unnest($2::bigint[], $3::text[], $4::text[],
                   $5::bigint[], $6::int[], $7::text[], $8::text[], $9::smallint[],
                   $10::smallint[], $11::timestamptz[])
                   AS x(m, c, k, a, u, d, s, pm, cm, at)
            CROSS JOIN LATERAL (
                SELECT period_id FROM point_period
                WHERE guild_id = $1 AND scope_id = 0 AND starts_at <= x.at AND ends_at > x.at
                ORDER BY starts_at DESC LIMIT 1) p),
         ins AS (
            INSERT INTO point_event (guild_id, member_id, currency, kind, amount, units,
                                     dungeon_code, source, period_id, created_at)
            SELECT $1, m, c, k, a, u, d, s, period_id, at FROM x
            ON CONFLICT (guild_id, source, member_id, kind) DO NOTHING
            RETURNING member_id, kind, source),
         deltas AS (
            SELECT x.period_id, x.at, v.metric, x.m AS member_id, x.d AS dungeon, v.delta
            FROM ins JOIN x ON x.m = ins.member_id AND x.k = ins.kind AND x.s = ins.source
            CROSS JOIN LATERAL (VALUES (x.pm, x.a), (x.cm, x.u::bigint)) AS v(metric, delta)
            WHERE v.metric IS NOT NULL),
         sums AS (
            SELECT period_id, metric, member_id, dungeon, sum(delta)::bigint AS value,
                   max(at) AS reached_at
            FROM deltas GROUP BY period_id, metric, member_id, dungeon),
         up AS (
            INSERT INTO point_sum_pending (guild_id, period_id, reached_at, member_ids, metrics,
                                           deltas, dungeons)
            SELECT $1, period_id, max(reached_at), array_agg(member_id), array_agg(metric),
                   array_agg(value), array_agg(dungeon)
            FROM sums GROUP BY period_id)
         SELECT count(*) FROM ins",
    )
    .bind(guild.db())
    .bind(&members)
    .bind(&currencies)
    .bind(&kinds)
    .bind(&amounts)
    .bind(&units)
    .bind(&dungeons)
    .bind(&sources)
    .bind(&points_metrics)
    .bind(&count_metrics)
    .bind(&ats)
    .fetch_one(conn)
    .await?;
    Ok(u64::try_from(written).unwrap_or_default())
}

/// The sum of imported events' amounts (hundredths) per currency, for the report's check
/// against the source's own sums.
pub async fn imported_point_totals(
    conn: &mut PgConnection,
    guild: Snowflake,
    source_prefix: &str,
) -> Result<(i64, i64)> {
    let (raider, quota): (i64, i64) = sqlx::query_as(
        "SELECT coalesce(sum(amount) FILTER (WHERE currency = 'raider'), 0)::bigint,
                coalesce(sum(amount) FILTER (WHERE currency = 'quota'), 0)::bigint
         FROM point_event WHERE guild_id = $1 AND starts_with(source, $2)",
    )
    .bind(guild.db())
    .bind(source_prefix)
    .fetch_one(conn)
    .await?;
    Ok((raider, quota))
}

/// Whether the guild has saved raider-points settings (`/configpoints`).
pub async fn has_point_config(conn: &mut PgConnection, guild: Snowflake) -> Result<bool> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM point_config WHERE guild_id = $1)")
            .bind(guild.db())
            .fetch_one(conn)
            .await?,
    )
}

/// A finished run as the source recorded it.
#[derive(Debug, Clone)]
pub struct ImportedRun {
    pub organizer_id: Snowflake,
    pub dungeon_code: String,
    pub party: Option<String>,
    pub location: Option<String>,
    pub description: Option<String>,
    pub chain_amount: Option<i32>,
    pub o3_stage: Option<&'static str>,
    pub screenshot_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub auto_end_at: DateTime<Utc>,
}

/// Inserts an ended run (closed by its organizer); returns its id. Nothing is awarded:
/// the points a run earned are imported as the events the source recorded.
pub async fn insert_ended_run(
    conn: &mut PgConnection,
    guild: Snowflake,
    r: &ImportedRun,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO run (guild_id, organizer_id, dungeon_code, party, location, description,
             status, auto_end_at, created_at, started_at, ended_at, closed_by, close_reason,
             chain_amount, o3_stage, screenshot_url)
         VALUES ($1, $2, $3, $4, $5, $6, 'ended', $7, $8, $9, $10, $2, 'organizer', $11, $12,
                 $13)
         RETURNING run_id",
    )
    .bind(guild.db())
    .bind(r.organizer_id.db())
    .bind(&r.dungeon_code)
    .bind(&r.party)
    .bind(&r.location)
    .bind(&r.description)
    .bind(r.auto_end_at)
    .bind(r.created_at)
    .bind(r.started_at)
    .bind(r.ended_at)
    .bind(r.chain_amount)
    .bind(r.o3_stage)
    .bind(&r.screenshot_url)
    .fetch_one(conn)
    .await?)
}

/// A raider of an imported run: `joined`, `benched` or `left`, with their class.
#[derive(Debug, Clone)]
pub struct ImportedParticipant {
    pub user_id: Snowflake,
    pub state: &'static str,
    pub class: Option<String>,
    pub at: DateTime<Utc>,
}

pub async fn insert_participants(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    people: &[ImportedParticipant],
) -> Result<()> {
    let users: Vec<i64> = people.iter().map(|p| p.user_id.db()).collect();
    let states: Vec<&str> = people.iter().map(|p| p.state).collect();
    let classes: Vec<Option<&str>> = people.iter().map(|p| p.class.as_deref()).collect();
    let ats: Vec<DateTime<Utc>> = people.iter().map(|p| p.at).collect();
    sqlx::query(
        "INSERT INTO run_participant (guild_id, run_id, user_id, state, class, joined_at,
             updated_at)
         SELECT $1, $2, u, s, c, t, t
         FROM unnest($3::bigint[], $4::text[], $5::text[], $6::timestamptz[]) AS x(u, s, c, t)
         ON CONFLICT DO NOTHING",
    )
    .bind(guild.db())
    .bind(run_id)
    .bind(&users)
    .bind(&states)
    .bind(&classes)
    .bind(&ats)
    .execute(conn)
    .await?;
    Ok(())
}

/// Key (and other) reactions of an imported run: (reaction code, member, when).
pub async fn insert_run_reactions(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    reactions: &[(String, Snowflake, DateTime<Utc>)],
) -> Result<()> {
    let codes: Vec<&str> = reactions.iter().map(|r| r.0.as_str()).collect();
    let users: Vec<i64> = reactions.iter().map(|r| r.1.db()).collect();
    let ats: Vec<DateTime<Utc>> = reactions.iter().map(|r| r.2).collect();
    sqlx::query(
        "INSERT INTO run_reaction (guild_id, run_id, reaction, user_id, created_at)
         SELECT $1, $2, r, u, t FROM unnest($3::text[], $4::bigint[], $5::timestamptz[])
             AS x(r, u, t)
         ON CONFLICT DO NOTHING",
    )
    .bind(guild.db())
    .bind(run_id)
    .bind(&codes)
    .bind(&users)
    .bind(&ats)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the guild has saved verification settings (`/configverification`).
pub async fn has_veri_config(conn: &mut PgConnection, guild: Snowflake) -> Result<bool> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM veri_config WHERE guild_id = $1)")
            .bind(guild.db())
            .fetch_one(conn)
            .await?,
    )
}

/// Serializes imports of one guild: a second import waits for the first to commit, then
/// reads its source keys and writes nothing twice.
pub async fn lock_guild(conn: &mut PgConnection, guild: Snowflake) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("import:{guild}"))
        .execute(conn)
        .await?;
    Ok(())
}

/// Which of `ids` (source ids of `table`) were imported before: for tables too large to
/// hold every imported id in memory, asked one batch at a time.
pub async fn imported_among(
    conn: &mut PgConnection,
    guild: Snowflake,
    source: &str,
    table: &str,
    ids: &[String],
) -> Result<HashSet<String>> {
    // One index probe per id (the lateral LIMIT keeps it a nested loop): `source_id =
    // ANY($4)` is planned as a filter over all of the table's keys while the import's own
    // rows are not in the statistics yet, which grows with every batch.
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT x.id FROM unnest($4::text[]) AS x(id)
         CROSS JOIN LATERAL (
             SELECT 1 FROM import_source_key
             WHERE guild_id = $1 AND source = $2 AND source_table = $3 AND source_id = x.id
             LIMIT 1) k",
    )
    .bind(guild.db())
    .bind(source)
    .bind(table)
    .bind(ids)
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().collect())
}

/// Keys popped per (member, dungeon) as raidbot counts them (the `keys_popped` count of
/// key events), over the events an import wrote (sources starting with `source_prefix`).
pub async fn imported_key_counts(
    conn: &mut PgConnection,
    guild: Snowflake,
    source_prefix: &str,
) -> Result<Vec<(i64, Option<String>, i64)>> {
    Ok(sqlx::query_as(
        "SELECT member_id, dungeon_code, sum(units)::bigint FROM point_event
         WHERE guild_id = $1 AND starts_with(source, $2) AND kind IN ('key_logged', 'key_popped')
         GROUP BY member_id, dungeon_code",
    )
    .bind(guild.db())
    .bind(source_prefix)
    .fetch_all(conn)
    .await?)
}

/// Adds a custom role verification as the source had it; `None` when raidbot already has
/// one for the role (raidbot's is kept).
pub async fn insert_custom_role(
    conn: &mut PgConnection,
    guild: Snowflake,
    name: &str,
    role: Snowflake,
    description: Option<&str>,
    review_channel: Snowflake,
    created_at: DateTime<Utc>,
) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO veri_custom_role (guild_id, name, role_id, description, review_channel_id,
             created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (guild_id, role_id) DO NOTHING RETURNING custom_role_id",
    )
    .bind(guild.db())
    .bind(name)
    .bind(role.db())
    .bind(description)
    .bind(review_channel.db())
    .bind(created_at)
    .fetch_optional(conn)
    .await?)
}

/// A command use as the source logged it.
#[derive(Debug, Clone)]
pub struct ImportedCommand {
    pub user_id: Snowflake,
    /// `name` or `name subcommand`, as raidbot logs commands.
    pub command: String,
    pub options: serde_json::Value,
    /// `ok`, `refused` or `error`.
    pub outcome: &'static str,
    pub error_code: Option<String>,
    pub latency_ms: i32,
    pub created_at: DateTime<Utc>,
}

/// Writes command log entries with their own times, in one statement.
pub async fn insert_commands(
    conn: &mut PgConnection,
    guild: Snowflake,
    entries: &[ImportedCommand],
) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let users: Vec<i64> = entries.iter().map(|e| e.user_id.db()).collect();
    let commands: Vec<&str> = entries.iter().map(|e| e.command.as_str()).collect();
    let options: Vec<&serde_json::Value> = entries.iter().map(|e| &e.options).collect();
    let outcomes: Vec<&str> = entries.iter().map(|e| e.outcome).collect();
    let codes: Vec<Option<&str>> = entries.iter().map(|e| e.error_code.as_deref()).collect();
    let latencies: Vec<i32> = entries.iter().map(|e| e.latency_ms).collect();
    let ats: Vec<DateTime<Utc>> = entries.iter().map(|e| e.created_at).collect();
    sqlx::query(
        "INSERT INTO command_log (guild_id, user_id, command, options, outcome, error_code,
             latency_ms, created_at)
         SELECT $1, u, c, o, r, e, l, t
         FROM unnest($2::bigint[], $3::text[], $4::jsonb[], $5::text[], $6::text[], $7::int[],
                     $8::timestamptz[]) AS x(u, c, o, r, e, l, t)",
    )
    .bind(guild.db())
    .bind(&users)
    .bind(&commands)
    .bind(&options)
    .bind(&outcomes)
    .bind(&codes)
    .bind(&latencies)
    .bind(&ats)
    .execute(conn)
    .await?;
    Ok(())
}
