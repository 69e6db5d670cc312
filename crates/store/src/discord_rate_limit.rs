//! Discord's HTTP rate limits shared by every process using the bot's token: the global
//! limit (a GCRA schedule in one row) and route buckets learnt from Discord's headers.
//! A reference table: not per guild.

use std::time::Duration;

use crate::{PgConnection, Result};

/// What one reservation gave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reservation {
    /// How long to wait before sending, for the global limit.
    pub global_wait: Duration,
    /// The route bucket's answer.
    pub route: RouteTurn,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RouteTurn {
    /// One of the bucket's requests was taken.
    Taken,
    /// The bucket's limit is not known yet: send, and learn it from the answer.
    Unknown,
    /// The bucket is empty until this long from now: nothing was taken.
    Full(Duration),
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Reserves, in one statement, the next send time under the global limit (one request per
/// `interval`, bursts of up to `burst` ahead) and one request of the route bucket `route`
/// (created unknown, or with `known` = (limit, window) when the caller knows it). A full
/// route bucket still moves the global schedule on: the caller waits and asks again.
pub async fn reserve(
    conn: &mut PgConnection,
    interval: Duration,
    burst: Duration,
    route: Option<&str>,
    known: Option<(u32, Duration)>,
) -> Result<Reservation> {
    let (lim, window_ms) = match known {
        Some((l, w)) => (
            Some(i32::try_from(l).unwrap_or(i32::MAX)),
            i32::try_from(w.as_millis()).unwrap_or(i32::MAX),
        ),
        None => (None, 0),
    };
    let row: (f64, Option<bool>, Option<bool>, Option<f64>) = sqlx::query_as(
        "WITH g AS (
             INSERT INTO discord_rate_limit AS b (bucket, next_at)
             VALUES ('global', now() + make_interval(secs => $1))
             ON CONFLICT (bucket) DO UPDATE
             SET next_at = greatest(b.next_at, now()) + make_interval(secs => $1)
             RETURNING greatest(0, EXTRACT(EPOCH FROM b.next_at
                 - make_interval(secs => $1 + $2) - now()))::float8 AS wait
         ), r AS (
             -- next_at of a route's row is unused: EXCLUDED.next_at carries the send time.
             INSERT INTO discord_rate_limit AS b
                 (bucket, next_at, lim, remaining, reset_at, window_ms)
             SELECT $3, now() + make_interval(secs => g.wait), $4, $4 - 1,
                    CASE WHEN $4 IS NULL THEN '-infinity'::timestamptz
                         ELSE now() + make_interval(secs => g.wait) + $5 * interval '1 ms' END,
                    $5
             FROM g WHERE $3 IS NOT NULL
             ON CONFLICT (bucket) DO UPDATE
             SET remaining = CASE WHEN b.lim IS NULL THEN NULL
                                  WHEN b.reset_at <= now() THEN b.lim - 1
                                  ELSE b.remaining - 1 END,
                 reset_at = CASE WHEN b.lim IS NULL OR b.reset_at > now() THEN b.reset_at
                                 ELSE EXCLUDED.next_at
                                      + greatest(b.window_ms, EXCLUDED.window_ms) * interval '1 ms'
                            END
             WHERE b.lim IS NULL OR b.reset_at <= now() OR b.remaining > 0
             RETURNING b.lim IS NULL AS unknown
         ), full_bucket AS (
             SELECT EXTRACT(EPOCH FROM reset_at - now())::float8 AS wait
             FROM discord_rate_limit WHERE bucket = $3 AND lim IS NOT NULL
         )
         SELECT (SELECT wait FROM g),
                (SELECT true FROM r LIMIT 1),
                (SELECT unknown FROM r LIMIT 1),
                (SELECT wait FROM full_bucket)",
    )
    .bind(secs(interval))
    .bind(secs(burst))
    .bind(route)
    .bind(lim)
    .bind(window_ms)
    .fetch_one(conn)
    .await?;
    let (global, taken, unknown, full) = row;
    let route = match (route, taken, unknown) {
        (None, _, _) => RouteTurn::Taken,
        (Some(_), Some(true), Some(true)) => RouteTurn::Unknown,
        (Some(_), Some(true), _) => RouteTurn::Taken,
        // Not taken: the bucket is full until its reset (or was made by another process
        // meanwhile, unseen by this statement's snapshot: ask again at once).
        (Some(_), _, _) => RouteTurn::Full(Duration::from_secs_f64(full.unwrap_or(0.0).max(0.0))),
    };
    Ok(Reservation {
        global_wait: Duration::from_secs_f64(global.max(0.0)),
        route,
    })
}

/// Learns a route bucket from Discord's answer: `limit` requests per `window`, `remaining`
/// of them for `reset_after`. Another process's requests may be missing from `remaining`,
/// so the lower count and the later reset win.
pub async fn learn(
    conn: &mut PgConnection,
    route: &str,
    limit: u32,
    remaining: u32,
    reset_after: Duration,
    window: Duration,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO discord_rate_limit AS b (bucket, lim, remaining, reset_at, window_ms)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5)
         ON CONFLICT (bucket) DO UPDATE
         SET lim = EXCLUDED.lim,
             window_ms = greatest(b.window_ms, EXCLUDED.window_ms),
             remaining = CASE WHEN b.lim IS NULL OR b.reset_at <= now() THEN EXCLUDED.remaining
                              ELSE least(b.remaining, EXCLUDED.remaining) END,
             reset_at = greatest(b.reset_at, EXCLUDED.reset_at)",
    )
    .bind(route)
    .bind(i32::try_from(limit).unwrap_or(i32::MAX))
    .bind(i32::try_from(remaining).unwrap_or(i32::MAX))
    .bind(secs(reset_after))
    .bind(i32::try_from(window.as_millis()).unwrap_or(i32::MAX))
    .execute(conn)
    .await?;
    Ok(())
}

/// Holds every process's requests back until `retry_after` from now (Discord answered a
/// global 429).
pub async fn hold_global(conn: &mut PgConnection, retry_after: Duration) -> Result<()> {
    sqlx::query(
        "INSERT INTO discord_rate_limit AS b (bucket, next_at)
         VALUES ('global', now() + make_interval(secs => $1))
         ON CONFLICT (bucket) DO UPDATE SET next_at = greatest(b.next_at, EXCLUDED.next_at)",
    )
    .bind(secs(retry_after))
    .execute(conn)
    .await?;
    Ok(())
}
