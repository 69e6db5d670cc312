//! Gateway shards across processes: identify pacing per bucket, shared through PostgreSQL,
//! and each shard's session saved for RESUME after a restart.

use std::time::Duration;

use store::PgPool;
pub use store::gateway::SavedSession;
use tracing::Instrument;

use crate::Result;
use crate::batching::{Batcher, Reply};

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

/// Takes interactions as [`take_event`] does, those arriving together in one statement and
/// one commit (a burst of button presses). Cheap to clone.
#[derive(Clone)]
pub struct EventTaker {
    pool: PgPool,
    batches: Batcher<TakeRequest>,
}

struct TakeRequest {
    guild: i64,
    event_id: i64,
    span: tracing::Span,
    reply: Reply<bool>,
}

impl EventTaker {
    pub fn new(pool: PgPool) -> EventTaker {
        EventTaker {
            batches: Batcher::on_pool("event_taken", 2, 256, &pool, take_batch),
            pool,
        }
    }

    /// [`take_event`], batched with concurrent takes.
    pub async fn take(&self, guild: Option<domain::Snowflake>, event_id: u64) -> Result<bool> {
        let span = tracing::Span::current();
        self.batches
            .call(
                |reply| TakeRequest {
                    guild: guild.map_or(0, |g| g.get() as i64),
                    event_id: i64::try_from(event_id).unwrap_or(i64::MAX),
                    span,
                    reply,
                },
                |_| take_event(&self.pool, guild, event_id),
            )
            .await
    }
}

async fn take_batch(pool: PgPool, batch: Vec<TakeRequest>) {
    let guilds: Vec<i64> = batch.iter().map(|r| r.guild).collect();
    let ids: Vec<i64> = batch.iter().map(|r| r.event_id).collect();
    let span = batch[0].span.clone();
    let taken = async {
        let mut conn = pool.acquire().await?;
        Ok::<_, crate::ServiceError>(store::gateway::take_events(&mut conn, &guilds, &ids).await?)
    }
    .instrument(span)
    .await;
    match taken {
        Ok(taken) => {
            // The first request of an event takes it; a second copy in the same batch (the
            // gateway replaying it at once) finds it taken.
            let mut taken: std::collections::HashSet<(i64, i64)> = taken.into_iter().collect();
            for r in batch {
                let _ = r.reply.send(Ok(taken.remove(&(r.guild, r.event_id))));
            }
        }
        Err(error) => {
            for r in batch {
                let _ = r.reply.send(Err(crate::batching::shared_error(&error)));
            }
        }
    }
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

pub use store::gateway::ShardState;

/// A shard not seen for this long (no heartbeat ACK) counts as disconnected: its process
/// may have been killed without closing it.
pub const SHARD_SILENT_AFTER: Duration = Duration::from_secs(120);

/// Whether a shard counts as connected now.
pub fn is_connected(s: &ShardState) -> bool {
    s.connected && s.seen_secs_ago < SHARD_SILENT_AFTER.as_secs_f64()
}

/// What a shard did: connected by IDENTIFY (READY), resumed, a heartbeat round trip, closed.
#[derive(Clone, Copy, Debug)]
pub enum ShardEvent {
    Identified,
    Resumed,
    Heartbeat(Duration),
    Closed,
}

/// Records a shard's event where every process can read it (`/ping`, `/metrics`).
pub async fn record_shard(
    pool: &PgPool,
    shard_total: u32,
    shard_id: u32,
    event: ShardEvent,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    let c = &mut *conn;
    match event {
        ShardEvent::Identified => {
            store::gateway::mark_identified_shard(c, shard_total, shard_id).await?
        }
        ShardEvent::Resumed => store::gateway::mark_resumed(c, shard_total, shard_id).await?,
        ShardEvent::Heartbeat(d) => {
            store::gateway::mark_heartbeat(c, shard_total, shard_id, d).await?
        }
        ShardEvent::Closed => store::gateway::mark_disconnected(c, shard_total, shard_id).await?,
    }
    Ok(())
}

/// Every shard's state (of the newest shard count), by shard id.
pub async fn shard_states(pool: &PgPool) -> Result<Vec<ShardState>> {
    let mut conn = pool.acquire().await?;
    Ok(store::gateway::shard_states(&mut conn).await?)
}
