//! Gateway shards shared by several bot processes: identify buckets and saved sessions.
//! Reference tables: not per guild.

use std::time::Duration;

use crate::{PgConnection, Result};

fn int(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// A shard's saved session, for RESUME after a restart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedSession {
    pub shard_id: u32,
    pub shard_total: u32,
    pub session_id: String,
    pub sequence: u64,
    pub resume_url: String,
}

/// Locks a bucket's row until the transaction ends (creating it if needed) and returns the
/// time since its last identify, by the database's clock (`None`: never).
pub async fn lock_bucket(conn: &mut PgConnection, bucket: u32) -> Result<Option<Duration>> {
    sqlx::query(
        "INSERT INTO gateway_identify_bucket (bucket, last_identify_at) VALUES ($1, '-infinity')
         ON CONFLICT DO NOTHING",
    )
    .bind(int(bucket))
    .execute(&mut *conn)
    .await?;
    let elapsed: Option<f64> = sqlx::query_scalar(
        "SELECT CASE WHEN last_identify_at = '-infinity' THEN NULL
                ELSE EXTRACT(EPOCH FROM clock_timestamp() - last_identify_at)::float8 END
         FROM gateway_identify_bucket WHERE bucket = $1 FOR UPDATE",
    )
    .bind(int(bucket))
    .fetch_one(&mut *conn)
    .await?;
    Ok(elapsed.map(|s| Duration::from_secs_f64(s.max(0.0))))
}

/// Waits `d` on the database's side (holding the transaction's locks meanwhile).
pub async fn pause(conn: &mut PgConnection, d: Duration) -> Result<()> {
    sqlx::query("SELECT pg_sleep($1)")
        .bind(d.as_secs_f64())
        .execute(conn)
        .await?;
    Ok(())
}

/// Records that a shard of the bucket identifies now.
pub async fn mark_identified(conn: &mut PgConnection, bucket: u32) -> Result<()> {
    sqlx::query(
        "UPDATE gateway_identify_bucket SET last_identify_at = clock_timestamp() WHERE bucket = $1",
    )
    .bind(int(bucket))
    .execute(conn)
    .await?;
    Ok(())
}

/// Saves (or replaces) a shard's session.
pub async fn save_session(conn: &mut PgConnection, s: &SavedSession) -> Result<()> {
    sqlx::query(
        "INSERT INTO gateway_session (shard_total, shard_id, session_id, sequence, resume_url)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (shard_total, shard_id) DO UPDATE
         SET session_id = EXCLUDED.session_id, sequence = EXCLUDED.sequence,
             resume_url = EXCLUDED.resume_url, updated_at = now()",
    )
    .bind(int(s.shard_total))
    .bind(int(s.shard_id))
    .bind(&s.session_id)
    .bind(i64::try_from(s.sequence).unwrap_or(i64::MAX))
    .bind(&s.resume_url)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a session's sequence forward (never back: saves may arrive out of order).
pub async fn save_sequence(
    conn: &mut PgConnection,
    shard_total: u32,
    shard_id: u32,
    session_id: &str,
    sequence: u64,
) -> Result<()> {
    sqlx::query(
        "UPDATE gateway_session SET sequence = GREATEST(sequence, $4), updated_at = now()
         WHERE shard_total = $1 AND shard_id = $2 AND session_id = $3",
    )
    .bind(int(shard_total))
    .bind(int(shard_id))
    .bind(session_id)
    .bind(i64::try_from(sequence).unwrap_or(i64::MAX))
    .execute(conn)
    .await?;
    Ok(())
}

/// The saved session of a shard, if any.
pub async fn session(
    conn: &mut PgConnection,
    shard_total: u32,
    shard_id: u32,
) -> Result<Option<SavedSession>> {
    let row: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT session_id, sequence, resume_url FROM gateway_session
         WHERE shard_total = $1 AND shard_id = $2",
    )
    .bind(int(shard_total))
    .bind(int(shard_id))
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(session_id, sequence, resume_url)| SavedSession {
        shard_id,
        shard_total,
        session_id,
        sequence: u64::try_from(sequence).unwrap_or(0),
        resume_url,
    }))
}

/// Forgets a shard's session (it was invalidated; the shard identifies afresh).
pub async fn forget_session(
    conn: &mut PgConnection,
    shard_total: u32,
    shard_id: u32,
) -> Result<()> {
    sqlx::query("DELETE FROM gateway_session WHERE shard_total = $1 AND shard_id = $2")
        .bind(int(shard_total))
        .bind(int(shard_id))
        .execute(conn)
        .await?;
    Ok(())
}

/// Records that this process takes gateway event `event_id` (an interaction's or a
/// message's id; guild 0 for DMs); false when some process took it already (a replay
/// after a crash).
pub async fn take_event(conn: &mut PgConnection, guild: i64, event_id: i64) -> Result<bool> {
    let taken = sqlx::query(
        "INSERT INTO event_taken (guild_id, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(guild)
    .bind(event_id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(taken == 1)
}

/// Takes many events in one statement: `(guild, event_id)` of each one taken now (not taken
/// before); an event listed twice is taken once.
pub async fn take_events(
    conn: &mut PgConnection,
    guilds: &[i64],
    event_ids: &[i64],
) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "INSERT INTO event_taken (guild_id, event_id)
         SELECT * FROM unnest($1::bigint[], $2::bigint[])
         ON CONFLICT DO NOTHING
         RETURNING guild_id, event_id",
    )
    .bind(guilds)
    .bind(event_ids)
    .fetch_all(conn)
    .await?)
}

/// Forgets events taken before `age` ago; returns how many.
pub async fn forget_events(conn: &mut PgConnection, age: Duration) -> Result<u64> {
    let gone =
        sqlx::query("DELETE FROM event_taken WHERE taken_at < now() - make_interval(secs => $1)")
            .bind(age.as_secs_f64())
            .execute(conn)
            .await?
            .rows_affected();
    Ok(gone)
}

/// Takes a gateway event to handle until [`finish_event`]: true when this process should
/// handle it (new, or taken before by a process that did not finish it), false when it
/// was handled already.
pub async fn take_unfinished_event(
    conn: &mut PgConnection,
    guild: i64,
    event_id: i64,
) -> Result<bool> {
    let took: Option<i32> = sqlx::query_scalar(
        "INSERT INTO event_taken (guild_id, event_id, done) VALUES ($1, $2, false)
         ON CONFLICT (guild_id, event_id) DO UPDATE SET taken_at = now()
          WHERE NOT event_taken.done
         RETURNING 1",
    )
    .bind(guild)
    .bind(event_id)
    .fetch_optional(conn)
    .await?;
    Ok(took.is_some())
}

/// Marks a gateway event taken with [`take_unfinished_event`] as handled.
pub async fn finish_event(conn: &mut PgConnection, guild: i64, event_id: i64) -> Result<()> {
    sqlx::query("UPDATE event_taken SET done = true WHERE guild_id = $1 AND event_id = $2")
        .bind(guild)
        .bind(event_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A shard's state as its process last recorded it.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct ShardState {
    pub shard_id: i32,
    pub shard_total: i32,
    pub connected: bool,
    pub latency_ms: Option<i32>,
    pub identifies: i64,
    pub resumes: i64,
    /// Seconds since the shard was last seen (READY, RESUMED, a heartbeat ACK).
    pub seen_secs_ago: f64,
}

/// Counts an IDENTIFY's READY: the shard is connected with a new session (saved by
/// [`save_session`] first).
pub async fn mark_identified_shard(
    conn: &mut PgConnection,
    shard_total: u32,
    shard_id: u32,
) -> Result<()> {
    sqlx::query(
        "UPDATE gateway_session SET identifies = identifies + 1, connected = true, seen_at = now()
         WHERE shard_total = $1 AND shard_id = $2",
    )
    .bind(int(shard_total))
    .bind(int(shard_id))
    .execute(conn)
    .await?;
    Ok(())
}

/// Counts a RESUMED: the shard is connected again with its session.
pub async fn mark_resumed(conn: &mut PgConnection, shard_total: u32, shard_id: u32) -> Result<()> {
    sqlx::query(
        "UPDATE gateway_session SET resumes = resumes + 1, connected = true, seen_at = now()
         WHERE shard_total = $1 AND shard_id = $2",
    )
    .bind(int(shard_total))
    .bind(int(shard_id))
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a heartbeat round trip.
pub async fn mark_heartbeat(
    conn: &mut PgConnection,
    shard_total: u32,
    shard_id: u32,
    latency: Duration,
) -> Result<()> {
    sqlx::query(
        "UPDATE gateway_session SET latency_ms = $3, connected = true, seen_at = now()
         WHERE shard_total = $1 AND shard_id = $2",
    )
    .bind(int(shard_total))
    .bind(int(shard_id))
    .bind(i32::try_from(latency.as_millis()).unwrap_or(i32::MAX))
    .execute(conn)
    .await?;
    Ok(())
}

/// The shard closed (its process stops).
pub async fn mark_disconnected(
    conn: &mut PgConnection,
    shard_total: u32,
    shard_id: u32,
) -> Result<()> {
    sqlx::query(
        "UPDATE gateway_session SET connected = false, seen_at = now()
         WHERE shard_total = $1 AND shard_id = $2",
    )
    .bind(int(shard_total))
    .bind(int(shard_id))
    .execute(conn)
    .await?;
    Ok(())
}

/// Every shard of the newest shard count, by shard id.
pub async fn shard_states(conn: &mut PgConnection) -> Result<Vec<ShardState>> {
    Ok(sqlx::query_as(
        "SELECT shard_id, shard_total, connected, latency_ms, identifies, resumes,
                EXTRACT(EPOCH FROM now() - seen_at)::float8 AS seen_secs_ago
         FROM gateway_session
         WHERE shard_total = (SELECT shard_total FROM gateway_session
                              ORDER BY updated_at DESC LIMIT 1)
         ORDER BY shard_id",
    )
    .fetch_all(conn)
    .await?)
}
