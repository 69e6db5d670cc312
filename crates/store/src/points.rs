//! Points: append-only events, their summary (`point_sum` plus the pending deltas that
//! awards append in the same transaction, folded in the background),
//! periods as rows, the quota and points configuration, and members' Discord roles.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::quota::{Currency, Metric, Period, PointKind, Points, Schedule, metrics_of};
use domain::{RunStatus, Snowflake};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::{PgConnection, Result, StoreError, snowflake};

/// The scope of the guild's leaderboard periods (quota roles use their role id).
pub const LEADERBOARD_SCOPE: i64 = 0;
/// `point_sum.scope` of all-time sums.
pub const ALL_TIME: i64 = 0;

/// An award to write.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub member_id: Snowflake,
    pub currency: Currency,
    pub kind: PointKind,
    pub amount: Points,
    pub units: i32,
    pub dungeon_code: Option<String>,
    /// `run:<id>`, `pop:<id>`, …; (source, member, kind) is unique per guild.
    pub source: String,
}

/// An event that was written (not absorbed by the unique key).
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub member_id: Snowflake,
    pub currency: Currency,
    pub kind: PointKind,
    pub amount: Points,
    pub units: i32,
}

/// A fresh source key for a manual adjustment (`adj:<n>`).
pub async fn adjustment_source(conn: &mut PgConnection) -> Result<String> {
    let n: i64 = sqlx::query_scalar("SELECT nextval('point_adjustment_seq')")
        .fetch_one(conn)
        .await?;
    Ok(format!("adj:{n}"))
}

/// Writes events at time `at`, skipping any whose (source, member, kind) exists already,
/// and adds what was written to the all-time and leaderboard-period sums, all in the
/// caller's transaction. Returns what was written.
pub async fn insert_events(
    conn: &mut PgConnection,
    guild: Snowflake,
    events: &[NewEvent],
    caused_by: Option<Snowflake>,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Vec<Written>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let schedule = leaderboard_schedule(conn, guild).await?;
    insert_events_in(conn, guild, &schedule, events, caused_by, reason, at).await
}

/// [`insert_events`] with the guild's leaderboard schedule already at hand (one round trip
/// fewer on hot paths).
///
/// One statement writes the events and their contributions to the sums (all time and the
/// leaderboard period containing `at`) as pending deltas: a run's award is a single round
/// trip of appends when the period exists, which keeps it fast while readers compete for
/// the machine. When the period row
/// is missing (the first award after a boundary, before the rollover timer ran) nothing is
/// written; the period is created and the statement runs once more.
pub async fn insert_events_in(
    conn: &mut PgConnection,
    guild: Snowflake,
    schedule: &Schedule,
    events: &[NewEvent],
    caused_by: Option<Snowflake>,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Vec<Written>> {
    // (source, member, kind) is unique: a repeat within one batch is the same award.
    let mut seen = std::collections::HashSet::new();
    let events: Vec<&NewEvent> = events
        .iter()
        .filter(|e| seen.insert((e.source.as_str(), e.member_id, e.kind)))
        .collect();
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let written = write_events(conn, guild, &events, caused_by, reason, at).await?;
    if let Some(written) = written {
        return Ok(written);
    }
    ensure_period(conn, guild, LEADERBOARD_SCOPE, schedule, at).await?;
    write_events(conn, guild, &events, caused_by, reason, at)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("no leaderboard period at {at}")))
}

/// The events and sums statement; `None` when the leaderboard period at `at` is not stored
/// yet (then it wrote nothing).
async fn write_events(
    conn: &mut PgConnection,
    guild: Snowflake,
    events: &[&NewEvent],
    caused_by: Option<Snowflake>,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Option<Vec<Written>>> {
    let members: Vec<i64> = events.iter().map(|e| e.member_id.db()).collect();
    let currencies: Vec<&str> = events.iter().map(|e| e.currency.as_str()).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let amounts: Vec<i64> = events.iter().map(|e| e.amount.0).collect();
    let units: Vec<i32> = events.iter().map(|e| e.units).collect();
    let dungeons: Vec<Option<&str>> = events.iter().map(|e| e.dungeon_code.as_deref()).collect();
    let sources: Vec<&str> = events.iter().map(|e| e.source.as_str()).collect();
    let (points_metrics, count_metrics): (Vec<i16>, Vec<Option<i16>>) = events
        .iter()
        .map(|e| {
            let (points, count) = metrics_of(e.currency, e.kind);
            (points.code(), count.map(Metric::code))
        })
        .unzip();
    // The last row carries whether the period exists, so an all-duplicate batch (nothing
    // written) is told apart from a missing period. The sums change by one appended row of
    // deltas (point_sum_pending, per metric, member and dungeon; folded into point_sum later
    // by `fold_deltas`): no summary row is locked, so awards never wait for each other or
    // for a fold.
    let rows = sqlx::query(
        "WITH p AS (
            SELECT period_id FROM point_period
            WHERE guild_id = $1 AND scope_id = 0 AND starts_at <= $4 AND ends_at > $4
            ORDER BY starts_at DESC LIMIT 1),
         x AS (
            SELECT * FROM unnest($5::bigint[], $6::text[], $7::text[], $8::bigint[], $9::int[],
                                 $10::text[], $11::text[], $12::smallint[], $13::smallint[])
                   AS x(m, c, k, a, u, d, s, pm, cm)),
         ins AS (
            INSERT INTO point_event (guild_id, member_id, currency, kind, amount, units,
                                     dungeon_code, source, caused_by, reason, period_id,
                                     created_at)
            SELECT $1, m, c, k, a, u, d, s, $2, $3, p.period_id, $4 FROM x CROSS JOIN p
            ON CONFLICT (guild_id, source, member_id, kind) DO NOTHING
            RETURNING member_id, currency, kind, amount, units, source),
         deltas AS (
            SELECT v.metric, ins.member_id, x.d AS dungeon, v.delta
            FROM ins JOIN x ON x.m = ins.member_id AND x.k = ins.kind AND x.s = ins.source
            CROSS JOIN LATERAL (VALUES (x.pm, ins.amount), (x.cm, ins.units::bigint)) AS v(metric, delta)
            WHERE v.metric IS NOT NULL),
         sums AS (
            SELECT metric, member_id, dungeon, sum(delta)::bigint AS value
            FROM deltas GROUP BY metric, member_id, dungeon),
         up AS (
            INSERT INTO point_sum_pending (guild_id, period_id, reached_at, member_ids, metrics,
                                           deltas, dungeons)
            SELECT $1, p.period_id, $4, array_agg(member_id), array_agg(metric),
                   array_agg(value), array_agg(dungeon)
            FROM sums CROSS JOIN p GROUP BY p.period_id)
         SELECT member_id, currency, kind, amount, units, true AS written FROM ins
         UNION ALL
         SELECT NULL, NULL, NULL, NULL, NULL, false WHERE EXISTS (SELECT 1 FROM p)",
    )
    .bind(guild.db())
    .bind(caused_by.map(Snowflake::db))
    .bind(reason)
    .bind(at)
    .bind(&members)
    .bind(&currencies)
    .bind(&kinds)
    .bind(&amounts)
    .bind(&units)
    .bind(&dungeons)
    .bind(&sources)
    .bind(&points_metrics)
    .bind(&count_metrics)
    .fetch_all(&mut *conn)
    .await?;
    let mut period_exists = false;
    let mut written = Vec::with_capacity(rows.len());
    for r in &rows {
        if r.try_get::<bool, _>("written")? {
            written.push(written_from_row(r)?);
        } else {
            period_exists = true;
        }
    }
    Ok(period_exists.then_some(written))
}

/// Moves the guild's pending deltas into `point_sum`, `point_dungeon_sum` and the rank
/// buckets, in the caller's transaction (commit it for the fold to count). Readers see
/// every delta in exactly one place, so their totals do not change. Returns how many
/// deltas were folded; 0 when another process is folding this guild right now (it holds
/// the lock and will fold them).
pub async fn fold_deltas(conn: &mut PgConnection, guild: Snowflake) -> Result<i64> {
    let locked: bool =
        sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("point-fold:{guild}"))
            .fetch_one(&mut *conn)
            .await?;
    if !locked {
        return Ok(0);
    }
    // Every CTE reads the statement's snapshot: `delta` sees the deleted batches and `old`
    // the sums before this fold (only folds change point_sum, one at a time by the lock).
    // Old values are looked up per changed sum (a subquery, never a join the planner could
    // turn into a scan of the whole table). A delta's reached_at counts when it changed the
    // value (as an in-place update did); '-infinity' stands for "none did".
    Ok(sqlx::query_scalar(
        "WITH gone AS (
            DELETE FROM point_sum_pending WHERE guild_id = $1 RETURNING batch_id),
         delta AS (
            SELECT scope, metric, member_id, dungeon_code, delta, reached_at
            FROM point_sum_delta WHERE guild_id = $1 AND batch_id IN (SELECT batch_id FROM gone)),
         agg AS (
            SELECT scope, metric, member_id, sum(delta)::bigint AS value,
                   coalesce(max(reached_at) FILTER (WHERE delta <> 0), '-infinity') AS reached_at,
                   coalesce((SELECT p.value FROM point_sum p
                             WHERE p.guild_id = $1 AND p.scope = d.scope AND p.metric = d.metric
                               AND p.member_id = d.member_id), 0) AS old
            FROM delta d GROUP BY scope, metric, member_id),
         up AS (
            INSERT INTO point_sum (guild_id, scope, metric, member_id, value, reached_at)
            SELECT $1, scope, metric, member_id, value, reached_at FROM agg
            ORDER BY scope, metric, member_id
            ON CONFLICT (guild_id, scope, metric, member_id) DO UPDATE SET
               value = point_sum.value + EXCLUDED.value,
               reached_at = CASE WHEN EXCLUDED.reached_at > '-infinity'
                                 THEN EXCLUDED.reached_at ELSE point_sum.reached_at END),
         moves AS (
            SELECT scope, metric, point_bucket_lo(old) AS lo, -1 AS n FROM agg
            WHERE old <> 0 AND value <> 0
            UNION ALL
            SELECT scope, metric, point_bucket_lo(old + value), 1 FROM agg
            WHERE old + value <> 0 AND value <> 0),
         buckets AS (
            INSERT INTO point_rank_bucket (guild_id, scope, metric, lo, members)
            SELECT $1, scope, metric, lo, sum(n) FROM moves
            GROUP BY scope, metric, lo HAVING sum(n) <> 0
            ORDER BY scope, metric, lo
            ON CONFLICT (guild_id, scope, metric, lo) DO UPDATE SET
               members = point_rank_bucket.members + EXCLUDED.members),
         per_dungeon AS (
            INSERT INTO point_dungeon_sum (guild_id, member_id, dungeon_code, metric, value)
            SELECT $1, member_id, dungeon_code, metric, sum(delta)::bigint FROM delta
            WHERE scope = 0 AND dungeon_code IS NOT NULL
            GROUP BY member_id, dungeon_code, metric
            ORDER BY member_id, dungeon_code, metric
            ON CONFLICT (guild_id, member_id, dungeon_code, metric) DO UPDATE SET
               value = point_dungeon_sum.value + EXCLUDED.value)
         SELECT count(*) FROM delta",
    )
    .bind(guild.db())
    .fetch_one(conn)
    .await?)
}

/// Vacuums the table of pending batches, which every fold empties (outside any
/// transaction, as VACUUM must run); skipped while another session has it locked.
pub async fn vacuum_pending(pool: &crate::PgPool) -> Result<()> {
    sqlx::query("VACUUM (SKIP_LOCKED) point_sum_pending")
        .execute(pool)
        .await?;
    Ok(())
}

/// Vacuums the summary tables the fold updates, paced as autovacuum paces itself (a 2 ms
/// pause after each batch of page work) so that it never takes the disk from awards and
/// reads; skips a table another session has locked.
pub async fn vacuum_sums(pool: &crate::PgPool) -> Result<()> {
    let mut conn = pool.acquire().await?;
    sqlx::query("SET vacuum_cost_delay = '2ms'")
        .execute(&mut *conn)
        .await?;
    let vacuumed = sqlx::query(
        "VACUUM (SKIP_LOCKED) point_sum_pending, point_sum, point_dungeon_sum, point_rank_bucket",
    )
    .execute(&mut *conn)
    .await;
    sqlx::query("RESET vacuum_cost_delay")
        .execute(&mut *conn)
        .await?;
    vacuumed?;
    Ok(())
}

/// Guilds with deltas waiting to be folded.
pub async fn guilds_with_deltas(conn: &mut PgConnection) -> Result<Vec<Snowflake>> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT guild_id FROM point_sum_pending")
        .fetch_all(conn)
        .await?;
    ids.into_iter().map(snowflake).collect()
}

fn written_from_row(r: &PgRow) -> Result<Written> {
    let currency: String = r.try_get("currency")?;
    let kind: String = r.try_get("kind")?;
    Ok(Written {
        member_id: snowflake(r.try_get("member_id")?)?,
        currency: Currency::parse(&currency).ok_or(StoreError::Corrupt(currency))?,
        kind: PointKind::parse(&kind).ok_or(StoreError::Corrupt(kind))?,
        amount: Points(r.try_get("amount")?),
        units: r.try_get("units")?,
    })
}

// ---------- periods ----------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodRow {
    pub period_id: i64,
    pub period: Period,
}

fn period_from_row(r: &PgRow) -> Result<PeriodRow> {
    Ok(PeriodRow {
        period_id: r.try_get("period_id")?,
        period: Period {
            start: r.try_get("starts_at")?,
            end: r.try_get("ends_at")?,
        },
    })
}

/// The stored period of `scope` containing `at`, if any.
pub async fn period_at(
    conn: &mut PgConnection,
    guild: Snowflake,
    scope: i64,
    at: DateTime<Utc>,
) -> Result<Option<PeriodRow>> {
    let row = sqlx::query(
        "SELECT period_id, starts_at, ends_at FROM point_period
         WHERE guild_id = $1 AND scope_id = $2 AND starts_at <= $3 AND ends_at > $3
         ORDER BY starts_at DESC LIMIT 1",
    )
    .bind(guild.db())
    .bind(scope)
    .bind(at)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(period_from_row).transpose()
}

/// The period of `scope` containing `at`, creating it (and any periods between the last
/// stored one and it, so "last period" is always the one just before) when missing. A
/// schedule change applies from the end of the last stored period. Safe to race: rows are
/// unique by start.
pub async fn ensure_period(
    conn: &mut PgConnection,
    guild: Snowflake,
    scope: i64,
    schedule: &Schedule,
    at: DateTime<Utc>,
) -> Result<PeriodRow> {
    if let Some(p) = period_at(conn, guild, scope, at).await? {
        return Ok(p);
    }
    let last = sqlx::query(
        "SELECT period_id, starts_at, ends_at FROM point_period
         WHERE guild_id = $1 AND scope_id = $2 AND starts_at <= $3
         ORDER BY starts_at DESC LIMIT 1",
    )
    .bind(guild.db())
    .bind(scope)
    .bind(at)
    .fetch_optional(&mut *conn)
    .await?;
    let mut wanted: Vec<Period> = Vec::new();
    match last.as_ref().map(period_from_row).transpose()? {
        Some(last) => {
            let mut p = last.period.next(schedule);
            // A long downtime: skip straight to the period containing `at`.
            if (at - p.start).num_days() > 400 {
                p = schedule.period_containing(at);
            }
            while p.end <= at {
                wanted.push(p);
                p = p.next(schedule);
            }
            wanted.push(p);
        }
        None => {
            let mut p = schedule.period_containing(at);
            // Before the first stored period: end where that one starts.
            let first: Option<DateTime<Utc>> = sqlx::query_scalar(
                "SELECT min(starts_at) FROM point_period WHERE guild_id = $1 AND scope_id = $2",
            )
            .bind(guild.db())
            .bind(scope)
            .fetch_one(&mut *conn)
            .await?;
            if let Some(first) = first
                && first < p.end
            {
                p.end = first;
                if p.start >= p.end {
                    p.start = p.end - chrono::Duration::days(7);
                }
            }
            wanted.push(p);
        }
    }
    ensure_guild_row(conn, guild).await?;
    for p in &wanted {
        sqlx::query(
            "INSERT INTO point_period (guild_id, scope_id, starts_at, ends_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (guild_id, scope_id, starts_at) DO NOTHING",
        )
        .bind(guild.db())
        .bind(scope)
        .bind(p.start)
        .bind(p.end)
        .execute(&mut *conn)
        .await?;
    }
    period_at(conn, guild, scope, at)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("no period of scope {scope} at {at}")))
}

async fn ensure_guild_row(conn: &mut PgConnection, guild: Snowflake) -> Result<()> {
    crate::guild_config::ensure_guild(conn, guild).await
}

/// The stored period just before `period` (the "last period").
pub async fn period_before(
    conn: &mut PgConnection,
    guild: Snowflake,
    scope: i64,
    period: &PeriodRow,
) -> Result<Option<PeriodRow>> {
    let row = sqlx::query(
        "SELECT period_id, starts_at, ends_at FROM point_period
         WHERE guild_id = $1 AND scope_id = $2 AND starts_at < $3
         ORDER BY starts_at DESC LIMIT 1",
    )
    .bind(guild.db())
    .bind(scope)
    .bind(period.period.start)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(period_from_row).transpose()
}

/// Sets the current period of a quota role to start at `start` (set by hand): it then runs
/// to the first scheduled boundary after now; earlier periods are cut at `start`.
pub async fn set_current_start(
    conn: &mut PgConnection,
    guild: Snowflake,
    scope: i64,
    schedule: &Schedule,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<PeriodRow> {
    let end = schedule.next_boundary_after(now.max(start));
    sqlx::query(
        "DELETE FROM point_period WHERE guild_id = $1 AND scope_id = $2 AND starts_at >= $3",
    )
    .bind(guild.db())
    .bind(scope)
    .bind(start)
    .execute(&mut *conn)
    .await?;
    // A period that straddles `start` now ends there.
    sqlx::query(
        "UPDATE point_period SET ends_at = $3
         WHERE guild_id = $1 AND scope_id = $2 AND starts_at < $3 AND ends_at > $3",
    )
    .bind(guild.db())
    .bind(scope)
    .bind(start)
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query(
        "INSERT INTO point_period (guild_id, scope_id, starts_at, ends_at) VALUES ($1, $2, $3, $4)
         RETURNING period_id, starts_at, ends_at",
    )
    .bind(guild.db())
    .bind(scope)
    .bind(start)
    .bind(end)
    .fetch_one(conn)
    .await?;
    period_from_row(&row)
}

/// Finished periods of a scope, newest first.
pub async fn periods(
    conn: &mut PgConnection,
    guild: Snowflake,
    scope: i64,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<PeriodRow>> {
    let rows = sqlx::query(
        "SELECT period_id, starts_at, ends_at FROM point_period
         WHERE guild_id = $1 AND scope_id = $2 AND starts_at < $3
         ORDER BY starts_at DESC LIMIT $4",
    )
    .bind(guild.db())
    .bind(scope)
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(period_from_row).collect()
}

// ---------- configuration ----------

fn schedule_from(v: serde_json::Value) -> Result<Schedule> {
    serde_json::from_value(v).map_err(|e| StoreError::Corrupt(format!("schedule: {e}")))
}

fn schedule_json(s: &Schedule) -> Result<serde_json::Value> {
    serde_json::to_value(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Raider-points settings of a guild (defaults when never configured).
#[derive(Debug, Clone, PartialEq)]
pub struct PointConfig {
    pub completion_points: Points,
    pub key_pop_points: Points,
    pub schedule: Schedule,
    /// Per dungeon: (completion, key pop) overrides.
    pub dungeons: BTreeMap<String, (Option<Points>, Option<Points>)>,
}

impl Default for PointConfig {
    fn default() -> Self {
        PointConfig {
            completion_points: Points::ONE,
            key_pop_points: Points::ONE,
            schedule: Schedule::default(),
            dungeons: BTreeMap::new(),
        }
    }
}

impl PointConfig {
    pub fn completion(&self, dungeon: &str) -> Points {
        self.dungeons
            .get(dungeon)
            .and_then(|d| d.0)
            .unwrap_or(self.completion_points)
    }
    pub fn key_pop(&self, dungeon: &str) -> Points {
        self.dungeons
            .get(dungeon)
            .and_then(|d| d.1)
            .unwrap_or(self.key_pop_points)
    }
}

pub async fn leaderboard_schedule(conn: &mut PgConnection, guild: Snowflake) -> Result<Schedule> {
    let v: Option<serde_json::Value> =
        sqlx::query_scalar("SELECT schedule FROM point_config WHERE guild_id = $1")
            .bind(guild.db())
            .fetch_optional(conn)
            .await?;
    v.map(schedule_from)
        .transpose()
        .map(Option::unwrap_or_default)
}

pub async fn point_config(conn: &mut PgConnection, guild: Snowflake) -> Result<PointConfig> {
    let sql = format!(
        "SELECT c.completion_points, c.key_pop_points, c.schedule AS leaderboard_schedule,
                {CONFIG_DUNGEONS}
         FROM (SELECT $1::bigint AS guild_id) g
         LEFT JOIN point_config c ON c.guild_id = g.guild_id"
    );
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .fetch_one(conn)
        .await?;
    config_from_row(&r)
}

/// The per-dungeon values of guild `g.guild_id`, as column `dungeons` (see
/// [`config_from_row`]).
const CONFIG_DUNGEONS: &str = "(SELECT coalesce(json_agg(json_build_array(d.dungeon_code,
                     d.completion_points, d.key_pop_points)), '[]'::json)
         FROM point_dungeon d WHERE d.guild_id = g.guild_id) AS dungeons";

/// The settings from columns completion_points, key_pop_points, leaderboard_schedule (all
/// null when the guild never saved any) and [`CONFIG_DUNGEONS`].
fn config_from_row(r: &PgRow) -> Result<PointConfig> {
    let mut cfg = PointConfig::default();
    if let Some(c) = r.try_get::<Option<i64>, _>("completion_points")? {
        cfg.completion_points = Points(c);
        cfg.key_pop_points = Points(r.try_get("key_pop_points")?);
        cfg.schedule = schedule_from(r.try_get("leaderboard_schedule")?)?;
    }
    let dungeons: serde_json::Value = r.try_get("dungeons")?;
    let dungeons: Vec<(String, Option<i64>, Option<i64>)> = serde_json::from_value(dungeons)
        .map_err(|e| StoreError::Corrupt(format!("point_dungeon: {e}")))?;
    for (code, c, k) in dungeons {
        cfg.dungeons.insert(code, (c.map(Points), k.map(Points)));
    }
    Ok(cfg)
}

/// A key pop of a run: id, popper, dungeon, keys, and the raiders present (its roster).
pub type KeyPop = (i64, Snowflake, String, i32, Vec<Snowflake>);

/// Everything awarding an ended run reads. The award runs inside the transaction that ends
/// the run, so this is one round trip rather than one per table.
#[derive(Debug, Clone)]
pub struct RunAward {
    pub ended: bool,
    pub ended_at: Option<DateTime<Utc>>,
    pub organizer_id: Snowflake,
    pub dungeon_code: String,
    pub closed_by: Option<Snowflake>,
    pub config: PointConfig,
    /// In the order they were popped.
    pub key_pops: Vec<KeyPop>,
    /// The raiders joined at the end, in join order.
    pub joined: Vec<Snowflake>,
    /// The organizer's highest quota role (see [`highest_quota_role`]).
    pub organizer_role: Option<QuotaRole>,
}

/// What awarding the run needs; `None` when the run does not exist.
pub async fn run_award(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
) -> Result<Option<RunAward>> {
    let sql = format!(
        "SELECT r.status = $3 AS run_ended, r.ended_at AS run_ended_at,
                r.organizer_id AS run_organizer_id, r.dungeon_code AS run_dungeon_code,
                r.closed_by AS run_closed_by,
                c.completion_points, c.key_pop_points, c.schedule AS leaderboard_schedule,
                {CONFIG_DUNGEONS},
                (SELECT coalesce(json_agg(json_build_array(k.pop_id, k.user_id, k.dungeon_code,
                                                           k.count, k.raiders)
                                          ORDER BY k.created_at, k.pop_id), '[]'::json)
                 FROM {KEY_POPS} k) AS key_pops,
                (SELECT coalesce(array_agg(p.user_id ORDER BY p.joined_at, p.user_id), '{{}}')
                 FROM run_participant p
                 WHERE p.guild_id = $1 AND p.run_id = $2 AND p.state = 'joined') AS joined,
                qr.*
         FROM (SELECT $1::bigint AS guild_id) g
         JOIN run r ON r.guild_id = g.guild_id AND r.run_id = $2
         LEFT JOIN point_config c ON c.guild_id = g.guild_id
         LEFT JOIN LATERAL ({organizer_role}) qr ON true",
        organizer_role = highest_quota_role_sql("r.organizer_id")
    );
    let Some(r) = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(run_id)
        .bind(RunStatus::Ended.as_str())
        .fetch_optional(conn)
        .await?
    else {
        return Ok(None);
    };
    let pops: Vec<(i64, i64, String, i32, Vec<i64>)> =
        serde_json::from_value(r.try_get("key_pops")?)
            .map_err(|e| StoreError::Corrupt(format!("key_pop: {e}")))?;
    let joined: Vec<i64> = r.try_get("joined")?;
    let organizer_role = match r.try_get::<Option<i64>, _>("role_id")? {
        Some(_) => Some(quota_from_row(&r)?),
        None => None,
    };
    Ok(Some(RunAward {
        ended: r.try_get("run_ended")?,
        ended_at: r.try_get("run_ended_at")?,
        organizer_id: snowflake(r.try_get("run_organizer_id")?)?,
        dungeon_code: r.try_get("run_dungeon_code")?,
        closed_by: r
            .try_get::<Option<i64>, _>("run_closed_by")?
            .map(snowflake)
            .transpose()?,
        config: config_from_row(&r)?,
        key_pops: pops
            .into_iter()
            .map(|(id, popper, dungeon, count, raiders)| {
                Ok((
                    id,
                    snowflake(popper)?,
                    dungeon,
                    count,
                    raiders.into_iter().map(snowflake).collect::<Result<_>>()?,
                ))
            })
            .collect::<Result<_>>()?,
        joined: joined.into_iter().map(snowflake).collect::<Result<_>>()?,
        organizer_role,
    }))
}

/// Saves the guild-wide values and schedule (not the per-dungeon ones).
pub async fn save_point_config(
    conn: &mut PgConnection,
    guild: Snowflake,
    cfg: &PointConfig,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO point_config (guild_id, completion_points, key_pop_points, schedule)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (guild_id) DO UPDATE SET completion_points = EXCLUDED.completion_points,
            key_pop_points = EXCLUDED.key_pop_points, schedule = EXCLUDED.schedule,
            updated_at = now()",
    )
    .bind(guild.db())
    .bind(cfg.completion_points.0)
    .bind(cfg.key_pop_points.0)
    .bind(schedule_json(&cfg.schedule)?)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets a dungeon's completion and key-pop values; `None` falls back to the defaults.
pub async fn set_point_dungeon(
    conn: &mut PgConnection,
    guild: Snowflake,
    dungeon: &str,
    completion: Option<Points>,
    key_pop: Option<Points>,
) -> Result<()> {
    if completion.is_none() && key_pop.is_none() {
        sqlx::query("DELETE FROM point_dungeon WHERE guild_id = $1 AND dungeon_code = $2")
            .bind(guild.db())
            .bind(dungeon)
            .execute(conn)
            .await?;
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO point_dungeon (guild_id, dungeon_code, completion_points, key_pop_points)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (guild_id, dungeon_code) DO UPDATE SET
            completion_points = EXCLUDED.completion_points, key_pop_points = EXCLUDED.key_pop_points",
    )
    .bind(guild.db())
    .bind(dungeon)
    .bind(completion.map(|p| p.0))
    .bind(key_pop.map(|p| p.0))
    .execute(conn)
    .await?;
    Ok(())
}

/// A quota role's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaRole {
    pub role_id: Snowflake,
    pub required: Points,
    pub schedule: Schedule,
    pub exalt_points: Points,
    pub non_exalt_points: Points,
    pub moderation: BTreeMap<String, Points>,
    pub position: i32,
    pub panel_channel_id: Option<Snowflake>,
    pub panel_message_ids: Vec<Snowflake>,
    pub overrides: BTreeMap<String, Points>,
}

impl QuotaRole {
    /// Defaults of a role nobody configured yet: 0 required, weekly Monday 00:00 UTC, one
    /// point per run of any dungeon.
    pub fn new(role_id: Snowflake) -> QuotaRole {
        QuotaRole {
            role_id,
            required: Points::ZERO,
            schedule: Schedule::default(),
            exalt_points: Points::ONE,
            non_exalt_points: Points::ONE,
            moderation: BTreeMap::new(),
            position: 0,
            panel_channel_id: None,
            panel_message_ids: Vec::new(),
            overrides: BTreeMap::new(),
        }
    }

    /// What organizing one run of `dungeon` is worth for this role.
    pub fn run_value(&self, dungeon: &str, exalt: bool) -> Points {
        self.overrides.get(dungeon).copied().unwrap_or(if exalt {
            self.exalt_points
        } else {
            self.non_exalt_points
        })
    }
}

const QUOTA_COLUMNS: &str = "q.role_id, q.required_points, q.schedule, q.exalt_points,
    q.non_exalt_points, q.moderation_points, q.position, q.panel_channel_id, q.panel_message_ids,
    (SELECT coalesce(json_object_agg(d.dungeon_code, d.points), '{}'::json) FROM quota_dungeon d
     WHERE d.guild_id = q.guild_id AND d.role_id = q.role_id) AS overrides";

fn quota_from_row(r: &PgRow) -> Result<QuotaRole> {
    let moderation: serde_json::Value = r.try_get("moderation_points")?;
    let moderation: BTreeMap<String, i64> = serde_json::from_value(moderation)
        .map_err(|e| StoreError::Corrupt(format!("moderation_points: {e}")))?;
    let messages: Vec<i64> = r.try_get("panel_message_ids")?;
    let overrides: serde_json::Value = r.try_get("overrides")?;
    let overrides: BTreeMap<String, i64> = serde_json::from_value(overrides)
        .map_err(|e| StoreError::Corrupt(format!("quota_dungeon: {e}")))?;
    Ok(QuotaRole {
        role_id: snowflake(r.try_get("role_id")?)?,
        required: Points(r.try_get("required_points")?),
        schedule: schedule_from(r.try_get("schedule")?)?,
        exalt_points: Points(r.try_get("exalt_points")?),
        non_exalt_points: Points(r.try_get("non_exalt_points")?),
        moderation: moderation
            .into_iter()
            .map(|(k, v)| (k, Points(v)))
            .collect(),
        position: r.try_get("position")?,
        panel_channel_id: crate::opt_snowflake(r.try_get("panel_channel_id")?)?,
        panel_message_ids: messages.into_iter().map(snowflake).collect::<Result<_>>()?,
        overrides: overrides.into_iter().map(|(k, v)| (k, Points(v))).collect(),
    })
}

pub async fn quota_role(
    conn: &mut PgConnection,
    guild: Snowflake,
    role: Snowflake,
) -> Result<Option<QuotaRole>> {
    let sql = format!(
        "SELECT {QUOTA_COLUMNS} FROM quota_role q WHERE q.guild_id = $1 AND q.role_id = $2"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(role.db())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(quota_from_row).transpose()
}

/// Every quota role of the guild, highest position first.
pub async fn quota_roles(conn: &mut PgConnection, guild: Snowflake) -> Result<Vec<QuotaRole>> {
    let sql = format!(
        "SELECT {QUOTA_COLUMNS} FROM quota_role q WHERE q.guild_id = $1
         ORDER BY q.position DESC, q.role_id DESC"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .fetch_all(conn)
        .await?;
    rows.iter().map(quota_from_row).collect()
}

/// The highest quota role (by Discord position) among those held by the member that SQL
/// expression `member` names: one row of [`QUOTA_COLUMNS`] or none; binds $1 guild.
fn highest_quota_role_sql(member: &str) -> String {
    format!(
        "SELECT {QUOTA_COLUMNS} FROM quota_role q
         JOIN member_role m ON m.guild_id = q.guild_id AND m.role_id = q.role_id
         WHERE q.guild_id = $1 AND m.user_id = {member}
         ORDER BY q.position DESC, q.role_id DESC LIMIT 1"
    )
}

/// The member's highest quota role (by Discord position) among the roles they hold.
pub async fn highest_quota_role(
    conn: &mut PgConnection,
    guild: Snowflake,
    member: Snowflake,
) -> Result<Option<QuotaRole>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(highest_quota_role_sql("$2")))
        .bind(guild.db())
        .bind(member.db())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(quota_from_row).transpose()
}

/// Locks (creating with defaults) a quota role's row for a configuration change.
pub async fn lock_quota_role(
    conn: &mut PgConnection,
    guild: Snowflake,
    role: Snowflake,
    position: Option<i32>,
) -> Result<(QuotaRole, bool)> {
    ensure_guild_row(conn, guild).await?;
    let created = sqlx::query(
        "INSERT INTO quota_role (guild_id, role_id, position) VALUES ($1, $2, COALESCE($3, 0))
         ON CONFLICT (guild_id, role_id) DO NOTHING",
    )
    .bind(guild.db())
    .bind(role.db())
    .bind(position)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if let Some(p) = position {
        sqlx::query("UPDATE quota_role SET position = $3 WHERE guild_id = $1 AND role_id = $2")
            .bind(guild.db())
            .bind(role.db())
            .bind(p)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("SELECT 1 FROM quota_role WHERE guild_id = $1 AND role_id = $2 FOR UPDATE")
        .bind(guild.db())
        .bind(role.db())
        .execute(&mut *conn)
        .await?;
    let q = quota_role(conn, guild, role)
        .await?
        .ok_or_else(|| StoreError::Corrupt("quota role vanished".into()))?;
    Ok((q, created))
}

/// Saves a quota role's settings (not its overrides or panel).
pub async fn save_quota_role(
    conn: &mut PgConnection,
    guild: Snowflake,
    q: &QuotaRole,
) -> Result<()> {
    let moderation: BTreeMap<&str, i64> = q
        .moderation
        .iter()
        .map(|(k, v)| (k.as_str(), v.0))
        .collect();
    sqlx::query(
        "UPDATE quota_role SET required_points = $3, schedule = $4, exalt_points = $5,
            non_exalt_points = $6, moderation_points = $7, updated_at = now()
         WHERE guild_id = $1 AND role_id = $2",
    )
    .bind(guild.db())
    .bind(q.role_id.db())
    .bind(q.required.0)
    .bind(schedule_json(&q.schedule)?)
    .bind(q.exalt_points.0)
    .bind(q.non_exalt_points.0)
    .bind(serde_json::to_value(moderation).map_err(|e| StoreError::Corrupt(e.to_string()))?)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_quota_override(
    conn: &mut PgConnection,
    guild: Snowflake,
    role: Snowflake,
    dungeon: &str,
    points: Option<Points>,
) -> Result<()> {
    match points {
        Some(p) => sqlx::query(
            "INSERT INTO quota_dungeon (guild_id, role_id, dungeon_code, points) VALUES ($1, $2, $3, $4)
             ON CONFLICT (guild_id, role_id, dungeon_code) DO UPDATE SET points = EXCLUDED.points",
        )
        .bind(guild.db())
        .bind(role.db())
        .bind(dungeon)
        .bind(p.0),
        None => sqlx::query(
            "DELETE FROM quota_dungeon WHERE guild_id = $1 AND role_id = $2 AND dungeon_code = $3",
        )
        .bind(guild.db())
        .bind(role.db())
        .bind(dungeon),
    }
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_quota_role(
    conn: &mut PgConnection,
    guild: Snowflake,
    role: Snowflake,
) -> Result<bool> {
    let done = sqlx::query("DELETE FROM quota_role WHERE guild_id = $1 AND role_id = $2")
        .bind(guild.db())
        .bind(role.db())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_panel_messages(
    conn: &mut PgConnection,
    guild: Snowflake,
    role: Snowflake,
    channel: Option<Snowflake>,
    messages: &[Snowflake],
) -> Result<()> {
    let ids: Vec<i64> = messages.iter().map(|m| m.db()).collect();
    sqlx::query(
        "UPDATE quota_role SET panel_channel_id = $3, panel_message_ids = $4
         WHERE guild_id = $1 AND role_id = $2",
    )
    .bind(guild.db())
    .bind(role.db())
    .bind(channel.map(Snowflake::db))
    .bind(&ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// A role's new Discord position (GUILD_ROLE_UPDATE / GUILD_CREATE).
pub async fn set_role_position(
    conn: &mut PgConnection,
    guild: Snowflake,
    role: Snowflake,
    position: i32,
) -> Result<()> {
    sqlx::query(
        "UPDATE quota_role SET position = $3 WHERE guild_id = $1 AND role_id = $2 AND position <> $3",
    )
    .bind(guild.db())
    .bind(role.db())
    .bind(position)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------- members' roles ----------

/// Replaces what we know of a member's roles.
pub async fn sync_member_roles(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    roles: &[Snowflake],
) -> Result<()> {
    let ids: Vec<i64> = roles.iter().map(|r| r.db()).collect();
    // One statement, so one commit (a member's first click waits for it).
    sqlx::query(
        "WITH gone AS (
            DELETE FROM member_role
            WHERE guild_id = $1 AND user_id = $2 AND NOT (role_id = ANY($3)))
         INSERT INTO member_role (guild_id, user_id, role_id)
         SELECT $1, $2, r FROM unnest($3::bigint[]) AS r ON CONFLICT DO NOTHING",
    )
    .bind(guild.db())
    .bind(user.db())
    .bind(&ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// Members whose highest quota role is `role`.
pub async fn panel_members(
    conn: &mut PgConnection,
    guild: Snowflake,
    role: &QuotaRole,
) -> Result<Vec<Snowflake>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT mr.user_id FROM member_role mr
         WHERE mr.guild_id = $1 AND mr.role_id = $2
           AND NOT EXISTS (
               SELECT 1 FROM member_role o
               JOIN quota_role q ON q.guild_id = o.guild_id AND q.role_id = o.role_id
               WHERE o.guild_id = mr.guild_id AND o.user_id = mr.user_id
                 AND (q.position > $3 OR (q.position = $3 AND q.role_id > $2)))",
    )
    .bind(guild.db())
    .bind(role.role_id.db())
    .bind(role.position)
    .fetch_all(conn)
    .await?;
    ids.into_iter().map(snowflake).collect()
}

// ---------- reads ----------

/// Quota points of each member in `[start, end)`.
pub async fn quota_points_between(
    conn: &mut PgConnection,
    guild: Snowflake,
    members: &[Snowflake],
    period: &Period,
) -> Result<BTreeMap<Snowflake, Points>> {
    let ids: Vec<i64> = members.iter().map(|m| m.db()).collect();
    let rows = sqlx::query(
        "SELECT member_id, sum(amount)::bigint AS total FROM point_event
         WHERE guild_id = $1 AND member_id = ANY($2) AND currency = 'quota'
           AND created_at >= $3 AND created_at < $4
         GROUP BY member_id",
    )
    .bind(guild.db())
    .bind(&ids)
    .bind(period.start)
    .bind(period.end)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                snowflake(r.try_get("member_id")?)?,
                Points(r.try_get("total")?),
            ))
        })
        .collect()
}

/// The pending deltas of one (scope, metric), per member: `d` (member_id, dv, dr) and `pd`
/// (member_id, old, value, reached_at) with the folded value before and after them. Binds
/// $1 guild, $2 scope, $3 metric. Shared by every read of sums so none can forget them.
const PENDING: &str = "d AS (
        SELECT member_id, sum(delta)::bigint AS dv,
               max(reached_at) FILTER (WHERE delta <> 0) AS dr
        FROM point_sum_delta WHERE guild_id = $1 AND scope = $2 AND metric = $3
        GROUP BY member_id),
     pd AS (
        SELECT d.member_id, coalesce(p.value, 0) AS old, coalesce(p.value, 0) + d.dv AS value,
               coalesce(d.dr, p.reached_at, '-infinity') AS reached_at
        FROM d LEFT JOIN point_sum p ON p.guild_id = $1 AND p.scope = $2 AND p.metric = $3
                                    AND p.member_id = d.member_id)";

/// One leaderboard row.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub rank: i64,
    pub member_id: Snowflake,
    pub value: i64,
    pub reached_at: DateTime<Utc>,
}

/// A page of a leaderboard: `scope` is [`ALL_TIME`] or a leaderboard period id. Ties share
/// a rank; order is value, then earliest to reach it.
pub async fn leaderboard(
    conn: &mut PgConnection,
    guild: Snowflake,
    scope: i64,
    metric: Metric,
    offset: i64,
    limit: i64,
) -> Result<Vec<Ranked>> {
    // The rank buckets, with pending deltas' moves applied, count the members of each
    // value bucket as they are now. The page starts in the bucket `start` whose members
    // cover offset $5 (the first page starts at the top); `start.above` members sit in
    // higher buckets. Below the bucket's top, the first ($5 - above) + limit members are
    // among the first that many folded members without pending deltas (a hashed filter on
    // the index scan) and the members with pending deltas. Every member ranked above
    // someone on the page is either above the bucket (counted) or among these candidates,
    // so the ranks are exact, and a deep page reads about one bucket of rows instead of
    // every row above it.
    let sql = format!(
        "WITH {PENDING},
         moves AS (
            SELECT point_bucket_lo(old) AS lo, -1 AS n FROM pd WHERE old <> 0
            UNION ALL
            SELECT point_bucket_lo(value), 1 FROM pd WHERE value <> 0),
         buckets AS (
            SELECT lo, sum(n)::bigint AS members FROM (
                SELECT lo, members AS n FROM point_rank_bucket
                WHERE guild_id = $1 AND scope = $2 AND metric = $3
                UNION ALL
                SELECT lo, n FROM moves) b
            GROUP BY lo HAVING sum(n) > 0),
         start AS (
            SELECT 9223372036854775807 AS hi, 0::bigint AS above WHERE $5 = 0
            UNION ALL
            SELECT point_bucket_hi(lo), above FROM (
                SELECT lo, members, coalesce(sum(members) OVER (ORDER BY lo DESC
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::bigint AS above
                FROM buckets) b
            WHERE $5 > 0 AND above <= $5 AND $5 < above + members),
         top AS (
            SELECT member_id, value, reached_at FROM point_sum
            WHERE guild_id = $1 AND scope = $2 AND metric = $3 AND value <> 0
              AND value < (SELECT hi FROM start) AND member_id NOT IN (SELECT member_id FROM d)
            ORDER BY value DESC, reached_at, member_id
            LIMIT $5 - (SELECT above FROM start) + $4),
         cand AS (
            SELECT member_id, value, reached_at FROM top
            UNION ALL
            SELECT member_id, value, reached_at FROM pd
            WHERE value <> 0 AND value < (SELECT hi FROM start))
         SELECT member_id, value, reached_at,
                rank() OVER (ORDER BY value DESC) + (SELECT above FROM start) AS rank
         FROM cand
         ORDER BY value DESC, reached_at, member_id
         LIMIT $4 OFFSET $5 - (SELECT above FROM start)"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(scope)
        .bind(metric.code())
        .bind(limit)
        .bind(offset)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Ranked {
                rank: r.try_get("rank")?,
                member_id: snowflake(r.try_get("member_id")?)?,
                value: r.try_get("value")?,
                reached_at: r.try_get("reached_at")?,
            })
        })
        .collect()
}

/// How many members a leaderboard holds.
pub async fn leaderboard_size(
    conn: &mut PgConnection,
    guild: Snowflake,
    scope: i64,
    metric: Metric,
) -> Result<i64> {
    let sql = format!(
        "WITH {PENDING}
         SELECT {BOARD_SIZE}"
    );
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(scope)
        .bind(metric.code())
        .fetch_one(conn)
        .await?)
}

/// A member's sums in a scope, every metric (0 where none).
pub async fn member_sums(
    conn: &mut PgConnection,
    guild: Snowflake,
    scope: i64,
    member: Snowflake,
) -> Result<BTreeMap<Metric, i64>> {
    let codes: Vec<i16> = Metric::CATEGORIES
        .iter()
        .chain([Metric::Verifications].iter())
        .map(|m| m.code())
        .collect();
    let rows = sqlx::query(
        "SELECT metric, sum(value)::bigint AS value FROM (
            SELECT metric, value FROM point_sum
            WHERE guild_id = $1 AND scope = $2 AND metric = ANY($3) AND member_id = $4
            UNION ALL
            SELECT metric, delta FROM point_sum_delta
            WHERE guild_id = $1 AND scope = $2 AND metric = ANY($3) AND member_id = $4) s
         GROUP BY metric",
    )
    .bind(guild.db())
    .bind(scope)
    .bind(&codes)
    .bind(member.db())
    .fetch_all(conn)
    .await?;
    let mut out = BTreeMap::new();
    for r in rows {
        let code: i16 = r.try_get("metric")?;
        if let Some(m) = Metric::CATEGORIES
            .into_iter()
            .chain([Metric::Verifications])
            .find(|m| m.code() == code)
        {
            out.insert(m, r.try_get("value")?);
        }
    }
    Ok(out)
}

/// Members with a non-zero value on the board: the folded members (the sum of the board's
/// rank buckets) plus what pending deltas change. An expression over [`PENDING`]'s `pd`.
const BOARD_SIZE: &str = "(coalesce((SELECT sum(members) FROM point_rank_bucket
                          WHERE guild_id = $1 AND scope = $2 AND metric = $3), 0)
              + coalesce((SELECT sum((value <> 0)::int - (old <> 0)::int) FROM pd), 0))::bigint";

/// The rank `value` would have: 1 + members with more (ties share a rank). Folded members
/// above it are those of the rank buckets above its bucket plus those above it in its own
/// bucket (at most 1/64 of its value apart, so a short index range); pending deltas then
/// move members across `value`.
pub async fn rank_of(
    conn: &mut PgConnection,
    guild: Snowflake,
    scope: i64,
    metric: Metric,
    value: i64,
) -> Result<i64> {
    let sql = format!(
        "WITH {PENDING}
         SELECT (coalesce((SELECT sum(members) FROM point_rank_bucket
                           WHERE guild_id = $1 AND scope = $2 AND metric = $3
                             AND lo > point_bucket_lo($4)), 0)
                 + (SELECT count(*) FROM point_sum
                    WHERE guild_id = $1 AND scope = $2 AND metric = $3
                      AND value > $4 AND value < point_bucket_hi($4) AND value <> 0)
                 + coalesce((SELECT sum((value > $4 AND value <> 0)::int
                                        - (old > $4 AND old <> 0)::int) FROM pd), 0)
                 + 1)::bigint"
    );
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(scope)
        .bind(metric.code())
        .bind(value)
        .fetch_one(conn)
        .await?)
}

/// Per dungeon: runs organized, completed, keys popped and points of both currencies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DungeonLine {
    pub dungeon_code: String,
    pub runs_organized: i64,
    pub runs_completed: i64,
    pub keys_popped: i64,
    pub quota_points: Points,
    pub raider_points: Points,
}

/// The member's all-time totals per dungeon, most runs (organized + completed) first.
pub async fn member_dungeons(
    conn: &mut PgConnection,
    guild: Snowflake,
    member: Snowflake,
) -> Result<Vec<DungeonLine>> {
    // Folded per-dungeon sums plus the member's pending all-time deltas.
    let rows = sqlx::query(
        "SELECT * FROM (SELECT dungeon_code,
            coalesce(sum(value) FILTER (WHERE metric = $4), 0)::bigint AS org,
            coalesce(sum(value) FILTER (WHERE metric = $5), 0)::bigint AS comp,
            coalesce(sum(value) FILTER (WHERE metric = $6), 0)::bigint AS keys,
            coalesce(sum(value) FILTER (WHERE metric = $7), 0)::bigint AS quota,
            coalesce(sum(value) FILTER (WHERE metric = $8), 0)::bigint AS raider
         FROM (
            SELECT dungeon_code, metric, value FROM point_dungeon_sum
            WHERE guild_id = $1 AND member_id = $2
            UNION ALL
            SELECT dungeon_code, metric, delta FROM point_sum_delta
            WHERE guild_id = $1 AND scope = $3 AND member_id = $2 AND dungeon_code IS NOT NULL) s
         GROUP BY dungeon_code) t
         ORDER BY org + comp DESC, dungeon_code",
    )
    .bind(guild.db())
    .bind(member.db())
    .bind(ALL_TIME)
    .bind(Metric::RunsOrganized.code())
    .bind(Metric::RunsCompleted.code())
    .bind(Metric::KeysPopped.code())
    .bind(Metric::QuotaPoints.code())
    .bind(Metric::RaiderPoints.code())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DungeonLine {
                dungeon_code: r.try_get("dungeon_code")?,
                runs_organized: r.try_get("org")?,
                runs_completed: r.try_get("comp")?,
                keys_popped: r.try_get("keys")?,
                quota_points: Points(r.try_get("quota")?),
                raider_points: Points(r.try_get("raider")?),
            })
        })
        .collect()
}

/// A member's quota points in `[start, end)`.
pub async fn member_quota_between(
    conn: &mut PgConnection,
    guild: Snowflake,
    member: Snowflake,
    period: &Period,
) -> Result<Points> {
    let v: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(amount), 0)::bigint FROM point_event
         WHERE guild_id = $1 AND member_id = $2 AND currency = 'quota'
           AND created_at >= $3 AND created_at < $4",
    )
    .bind(guild.db())
    .bind(member.db())
    .bind(period.start)
    .bind(period.end)
    .fetch_one(conn)
    .await?;
    Ok(Points(v))
}

/// A run's key pops ($1 guild, $2 run), each with its raiders: pop_id, user_id,
/// dungeon_code, count, created_at, raiders (ordered by id).
const KEY_POPS: &str = "(SELECT k.pop_id, k.user_id, k.dungeon_code, k.count, k.created_at,
                coalesce(array_agg(kr.user_id ORDER BY kr.user_id)
                         FILTER (WHERE kr.user_id IS NOT NULL), '{}') AS raiders
         FROM key_pop k
         LEFT JOIN key_pop_raider kr ON kr.guild_id = k.guild_id AND kr.pop_id = k.pop_id
         WHERE k.guild_id = $1 AND k.run_id = $2
         GROUP BY k.guild_id, k.pop_id)";

/// Records a key pop logged by hand (`/logkey`); returns its id.
pub async fn insert_manual_key_pop(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    dungeon: &str,
    count: i32,
    logged_by: Option<Snowflake>,
) -> Result<i64> {
    ensure_guild_row(conn, guild).await?;
    Ok(sqlx::query_scalar(
        "INSERT INTO key_pop (guild_id, run_id, user_id, dungeon_code, count, logged_by)
         VALUES ($1, NULL, $2, $3, $4, $5) RETURNING pop_id",
    )
    .bind(guild.db())
    .bind(user.db())
    .bind(dungeon)
    .bind(count)
    .bind(logged_by.map(Snowflake::db))
    .fetch_one(conn)
    .await?)
}
