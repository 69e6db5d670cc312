//! Leaderboard reads over the point sums (folded rows plus pending deltas): pages, sizes,
//! ranks, a member's sums and per-dungeon totals.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::Snowflake;
use domain::quota::{Metric, Points};

use crate::{PgConnection, Result};

/// `point_sum.scope` of all-time sums.
pub const ALL_TIME: i64 = 0;

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
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Ranked {
    pub rank: i64,
    #[sqlx(try_from = "crate::columns::Id")]
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
    Ok(sqlx::query_as::<_, Ranked>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(scope)
        .bind(metric.code())
        .bind(limit)
        .bind(offset)
        .fetch_all(conn)
        .await?)
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
    let rows: Vec<(i16, i64)> = sqlx::query_as(
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
    for (code, value) in rows {
        if let Some(m) = Metric::CATEGORIES
            .into_iter()
            .chain([Metric::Verifications])
            .find(|m| m.code() == code)
        {
            out.insert(m, value);
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
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow)]
pub struct DungeonLine {
    pub dungeon_code: String,
    #[sqlx(rename = "org")]
    pub runs_organized: i64,
    #[sqlx(rename = "comp")]
    pub runs_completed: i64,
    #[sqlx(rename = "keys")]
    pub keys_popped: i64,
    #[sqlx(rename = "quota")]
    #[sqlx(try_from = "crate::columns::Amount")]
    pub quota_points: Points,
    #[sqlx(rename = "raider")]
    #[sqlx(try_from = "crate::columns::Amount")]
    pub raider_points: Points,
}

/// The member's all-time totals per dungeon, most runs (organized + completed) first.
pub async fn member_dungeons(
    conn: &mut PgConnection,
    guild: Snowflake,
    member: Snowflake,
) -> Result<Vec<DungeonLine>> {
    // Folded per-dungeon sums plus the member's pending all-time deltas.
    Ok(sqlx::query_as::<_, DungeonLine>(
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
    .await?)
}
