//! Discord's HTTP rate limits held across processes: every process sending with the bot's
//! token reserves its requests in PostgreSQL (one statement per request), so together
//! they stay under the global limit (50 requests/s) and each route bucket.

use std::time::Duration;

use store::PgPool;
pub use store::discord_rate_limit::{Reservation, RouteTurn};

use crate::Result;

/// One request per 25 ms (40/s) with bursts of up to 150 ms ahead: any second holds at
/// most (1 s + 150 ms) / 25 ms + 1 = 47 requests, under Discord's 50, with room for the
/// requests' different travel times.
pub const GLOBAL_INTERVAL: Duration = Duration::from_millis(25);
pub const GLOBAL_BURST: Duration = Duration::from_millis(150);

/// Reserves the next request's send time under the global limit and, for `route`, one of
/// its bucket's requests (`known`: the bucket's limit and window when the caller knows
/// them, e.g. message writes in a channel).
pub async fn reserve(
    pool: &PgPool,
    route: Option<&str>,
    known: Option<(u32, Duration)>,
) -> Result<Reservation> {
    let mut conn = pool.acquire().await?;
    Ok(
        store::discord_rate_limit::reserve(&mut conn, GLOBAL_INTERVAL, GLOBAL_BURST, route, known)
            .await?,
    )
}

/// Records what Discord's `X-RateLimit-*` headers said about a route's bucket.
pub async fn learn(
    pool: &PgPool,
    route: &str,
    limit: u32,
    remaining: u32,
    reset_after: Duration,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    // The reset of a window's first request is the window; later ones are shorter, and
    // the longest seen is kept. The margin covers the requests' travel time.
    let window = reset_after + Duration::from_millis(50);
    Ok(store::discord_rate_limit::learn(
        &mut conn,
        route,
        limit,
        remaining,
        reset_after + Duration::from_millis(50),
        window,
    )
    .await?)
}

/// Discord answered a global 429: every process waits `retry_after`.
pub async fn hold_global(pool: &PgPool, retry_after: Duration) -> Result<()> {
    let mut conn = pool.acquire().await?;
    Ok(store::discord_rate_limit::hold_global(&mut conn, retry_after).await?)
}
