//! Point events: the append-only awards, written together with their contributions to the
//! sums as pending deltas (folded into `point_sum` in the background), and the reads of
//! raw events (quota points in a period).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::Snowflake;
use domain::quota::{Currency, Metric, Period, PointKind, Points, Schedule, metrics_of};
use sqlx::{FromRow, Row};

use crate::point_periods::LEADERBOARD_SCOPE;
use crate::{PgConnection, Result, StoreError, snowflake};

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
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Written {
    #[sqlx(try_from = "crate::columns::Id")]
    pub member_id: Snowflake,
    #[sqlx(try_from = "crate::columns::Text")]
    pub currency: Currency,
    #[sqlx(try_from = "crate::columns::Text")]
    pub kind: PointKind,
    #[sqlx(try_from = "crate::columns::Amount")]
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
    let schedule = crate::point_config::leaderboard_schedule(conn, guild).await?;
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
    let events: Vec<(&NewEvent, Option<Snowflake>)> =
        events.iter().map(|e| (e, caused_by)).collect();
    insert_caused(conn, guild, schedule, &events, reason, at).await
}

/// [`insert_events_in`] with each event's own `caused_by`: the awards of several runs of
/// the guild, ended at `at`, in one statement.
pub async fn insert_caused_events_in(
    conn: &mut PgConnection,
    guild: Snowflake,
    schedule: &Schedule,
    events: &[(NewEvent, Option<Snowflake>)],
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Vec<Written>> {
    let events: Vec<(&NewEvent, Option<Snowflake>)> = events.iter().map(|(e, c)| (e, *c)).collect();
    insert_caused(conn, guild, schedule, &events, reason, at).await
}

async fn insert_caused(
    conn: &mut PgConnection,
    guild: Snowflake,
    schedule: &Schedule,
    events: &[(&NewEvent, Option<Snowflake>)],
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Vec<Written>> {
    // (source, member, kind) is unique: a repeat within one batch is the same award.
    let mut seen = std::collections::HashSet::new();
    let events: Vec<(&NewEvent, Option<Snowflake>)> = events
        .iter()
        .filter(|(e, _)| seen.insert((e.source.as_str(), e.member_id, e.kind)))
        .copied()
        .collect();
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let written = write_events(conn, guild, &events, reason, at).await?;
    if let Some(written) = written {
        return Ok(written);
    }
    crate::point_periods::ensure_period(conn, guild, LEADERBOARD_SCOPE, schedule, at).await?;
    write_events(conn, guild, &events, reason, at)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("no leaderboard period at {at}")))
}

/// The events and sums statement; `None` when the leaderboard period at `at` is not stored
/// yet (then it wrote nothing).
async fn write_events(
    conn: &mut PgConnection,
    guild: Snowflake,
    events: &[(&NewEvent, Option<Snowflake>)],
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Option<Vec<Written>>> {
    let caused_by: Vec<Option<i64>> = events.iter().map(|(_, c)| c.map(Snowflake::db)).collect();
    let events: Vec<&NewEvent> = events.iter().map(|(e, _)| *e).collect();
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
                                 $10::text[], $11::text[], $12::smallint[], $13::smallint[],
                                 $2::bigint[])
                   AS x(m, c, k, a, u, d, s, pm, cm, cb)),
         ins AS (
            INSERT INTO point_event (guild_id, member_id, currency, kind, amount, units,
                                     dungeon_code, source, caused_by, reason, period_id,
                                     created_at)
            SELECT $1, m, c, k, a, u, d, s, cb, $3, p.period_id, $4 FROM x CROSS JOIN p
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
    .bind(&caused_by)
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
            written.push(Written::from_row(r)?);
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

/// Quota points of each member in `[start, end)`.
pub async fn quota_points_between(
    conn: &mut PgConnection,
    guild: Snowflake,
    members: &[Snowflake],
    period: &Period,
) -> Result<BTreeMap<Snowflake, Points>> {
    let ids: Vec<i64> = members.iter().map(|m| m.db()).collect();
    let rows: Vec<(i64, i64)> = sqlx::query_as(
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
    rows.into_iter()
        .map(|(member, total)| Ok((snowflake(member)?, Points(total))))
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

/// The events written under `source` (an automatic award's key), to take them back.
pub async fn by_source(
    conn: &mut PgConnection,
    guild: Snowflake,
    source: &str,
) -> Result<Vec<Written>> {
    Ok(sqlx::query_as::<_, Written>(
        "SELECT member_id, currency, kind, amount, units FROM point_event
         WHERE guild_id = $1 AND source = $2 ORDER BY event_id",
    )
    .bind(guild.db())
    .bind(source)
    .fetch_all(conn)
    .await?)
}
