//! Gateway shards across processes: identify pacing per bucket, shared through PostgreSQL,
//! and each shard's session saved for RESUME after a restart.

use std::time::Duration;

use store::PgPool;
pub use store::gateway::SavedSession;

use crate::Result;

/// Discord allows one IDENTIFY per bucket per 5 s; the margin covers the time between
/// taking the turn and the IDENTIFY reaching Discord.
pub const IDENTIFY_SPACING: Duration = Duration::from_millis(5_500);

/// Waits until this process may identify a shard of `bucket` (`shard_id % max_concurrency`)
/// and records the turn. The bucket's row stays locked while waiting, so processes take
/// turns in the order they asked and never two within `spacing`.
pub async fn take_identify_turn(pool: &PgPool, bucket: u32, spacing: Duration) -> Result<()> {
    let mut tx = pool.begin().await?;
    if let Some(elapsed) = store::gateway::lock_bucket(&mut tx, bucket).await?
        && elapsed < spacing
    {
        // Waits inside the transaction, holding the bucket for this turn.
        store::gateway::pause(&mut tx, spacing - elapsed).await?;
    }
    store::gateway::mark_identified(&mut tx, bucket).await?;
    tx.commit().await?;
    Ok(())
}

/// The saved session of a shard, if any.
pub async fn saved_session(
    pool: &PgPool,
    shard_total: u32,
    shard_id: u32,
) -> Result<Option<SavedSession>> {
    let mut conn = pool.acquire().await?;
    Ok(store::gateway::session(&mut conn, shard_total, shard_id).await?)
}

/// Saves a shard's new session (after READY).
pub async fn save_session(pool: &PgPool, session: &SavedSession) -> Result<()> {
    let mut conn = pool.acquire().await?;
    Ok(store::gateway::save_session(&mut conn, session).await?)
}

/// Moves a saved session's sequence forward.
pub async fn save_sequence(
    pool: &PgPool,
    shard_total: u32,
    shard_id: u32,
    session_id: &str,
    sequence: u64,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    Ok(
        store::gateway::save_sequence(&mut conn, shard_total, shard_id, session_id, sequence)
            .await?,
    )
}

/// Forgets a shard's session.
pub async fn forget_session(pool: &PgPool, shard_total: u32, shard_id: u32) -> Result<()> {
    let mut conn = pool.acquire().await?;
    Ok(store::gateway::forget_session(&mut conn, shard_total, shard_id).await?)
}

/// How long taken events are remembered (Discord lets an interaction be answered for 15
/// minutes; a RESUME replays only what a session missed, minutes at most).
pub const EVENTS_KEPT: Duration = Duration::from_secs(3600);

/// Takes a gateway event (an interaction or a direct message, by its id) before handling
/// it: false when a process took it already, i.e. the gateway replayed it after the
/// process that took it was killed. Each is handled at most once: one taken by a process
/// that died before finishing it is not handled again (the member saw no answer and tries
/// again), and one that was handled is never handled twice.
pub async fn take_event(
    pool: &PgPool,
    guild: Option<domain::Snowflake>,
    event_id: u64,
) -> Result<bool> {
    let mut conn = pool.acquire().await?;
    let guild = guild.map_or(0, |g| g.get() as i64);
    let id = i64::try_from(event_id).unwrap_or(i64::MAX);
    Ok(store::gateway::take_event(&mut conn, guild, id).await?)
}

/// Takes a direct message to handle (at least once): true when this process should
/// handle it, false when a process handled it already. Call [`finish_event`] as soon as
/// the handler's state change is committed, before answering, so that a replay after a
/// crash repeats neither the change nor the answer, and a DM whose handler never
/// committed is handled again.
pub async fn take_unfinished_event(
    pool: &PgPool,
    guild: Option<domain::Snowflake>,
    event_id: u64,
) -> Result<bool> {
    let mut conn = pool.acquire().await?;
    let guild = guild.map_or(0, |g| g.get() as i64);
    let id = i64::try_from(event_id).unwrap_or(i64::MAX);
    Ok(store::gateway::take_unfinished_event(&mut conn, guild, id).await?)
}

/// Marks an event taken with [`take_unfinished_event`] as handled.
pub async fn finish_event(
    pool: &PgPool,
    guild: Option<domain::Snowflake>,
    event_id: u64,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    let guild = guild.map_or(0, |g| g.get() as i64);
    let id = i64::try_from(event_id).unwrap_or(i64::MAX);
    Ok(store::gateway::finish_event(&mut conn, guild, id).await?)
}

/// Forgets taken events older than [`EVENTS_KEPT`].
pub async fn forget_old_events(pool: &PgPool) -> Result<u64> {
    let mut conn = pool.acquire().await?;
    Ok(store::gateway::forget_events(&mut conn, EVENTS_KEPT).await?)
}
