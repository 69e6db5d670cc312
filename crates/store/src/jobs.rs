//! Durable jobs: the Discord side-effect outbox and timers, one table.
//!
//! A use case enqueues jobs in the same transaction as its state change. Workers claim due
//! jobs with `FOR UPDATE SKIP LOCKED` and a lease, so any number of processes can deliver
//! them and a crashed worker's job is picked up again when its lease runs out. Each enqueue
//! sends a `NOTIFY` (delivered at commit) so idle workers wake at once.

use chrono::{DateTime, Utc};
use domain::Snowflake;
use serde_json::Value;
use std::time::Duration;

use crate::{PgConnection, PgPool, Result};

/// The channel workers `LISTEN` on.
pub const NOTIFY_CHANNEL: &str = "raidbot_jobs";

#[derive(Debug, Clone)]
pub struct NewJob {
    pub guild_id: Snowflake,
    pub kind: String,
    /// Jobs of one kind with the same key coalesce while pending.
    pub dedupe_key: Option<String>,
    pub payload: Value,
    pub due_at: Option<DateTime<Utc>>,
    /// Higher runs first among due jobs.
    pub priority: i16,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub job_id: i64,
    #[sqlx(try_from = "crate::columns::Id")]
    pub guild_id: Snowflake,
    pub kind: String,
    pub dedupe_key: Option<String>,
    pub payload: Value,
    /// Including this one: 1 on the first try.
    pub attempts: i32,
    /// A background job (priority 0 or less): counted against the workers' background share.
    pub background: bool,
}

/// Enqueues a job; returns false when a pending job with the same key absorbed it. A
/// pending job due later than this one is brought forward, so coalescing never delays.
pub async fn enqueue(conn: &mut PgConnection, job: &NewJob) -> Result<bool> {
    if let Some(key) = &job.dedupe_key {
        // A pending job with this key, due no later, already carries the change: nothing to
        // write, and no waiting on a concurrent insert of the same key.
        let covered: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM job WHERE guild_id = $1 AND kind = $2 AND dedupe_key = $3
               AND state = 'pending' AND due_at <= COALESCE($4, now()))",
        )
        .bind(job.guild_id.db())
        .bind(&job.kind)
        .bind(key)
        .bind(job.due_at)
        .fetch_one(&mut *conn)
        .await?;
        if covered {
            return Ok(false);
        }
    }
    enqueue_unshared(conn, job).await
}

/// [`enqueue`] after its look for a covering job found none (or for a job without a key). A
/// concurrent enqueue of the same key makes this wait for that transaction, which is why
/// the look comes first.
async fn enqueue_unshared(conn: &mut PgConnection, job: &NewJob) -> Result<bool> {
    // One round trip: the insert (or bringing a later one forward) and the wake-up.
    let inserted: Option<bool> = sqlx::query_scalar(
        "WITH ins AS (
            INSERT INTO job (guild_id, kind, dedupe_key, payload, due_at, priority)
            VALUES ($1, $2, $3, $4, COALESCE($5, now()), $6)
            ON CONFLICT (guild_id, kind, dedupe_key)
                WHERE state = 'pending' AND dedupe_key IS NOT NULL
            DO UPDATE SET due_at = LEAST(job.due_at, EXCLUDED.due_at)
            RETURNING (xmax = 0) AS fresh)
         SELECT fresh FROM ins WHERE pg_notify($7, '') IS NOT NULL",
    )
    .bind(job.guild_id.db())
    .bind(&job.kind)
    .bind(&job.dedupe_key)
    .bind(&job.payload)
    .bind(job.due_at)
    .bind(job.priority)
    .bind(NOTIFY_CHANNEL)
    .fetch_optional(conn)
    .await?;
    Ok(inserted == Some(true))
}

/// [`enqueue`] for many jobs in one round trip (each kind and key at most once): a job whose
/// `shared[i]` is set is skipped when a pending job with its key, due no later, already
/// carries it (the look [`enqueue`] makes first, here in the same statement); the others
/// are inserted as [`enqueue`] does after its look. The dispatcher is woken only when a job was
/// written.
pub async fn enqueue_many(conn: &mut PgConnection, jobs: &[NewJob], shared: &[bool]) -> Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let guilds: Vec<i64> = jobs.iter().map(|j| j.guild_id.db()).collect();
    let kinds: Vec<&str> = jobs.iter().map(|j| j.kind.as_str()).collect();
    let keys: Vec<Option<&str>> = jobs.iter().map(|j| j.dedupe_key.as_deref()).collect();
    let payloads: Vec<&Value> = jobs.iter().map(|j| &j.payload).collect();
    let due: Vec<Option<DateTime<Utc>>> = jobs.iter().map(|j| j.due_at).collect();
    let priorities: Vec<i16> = jobs.iter().map(|j| j.priority).collect();
    sqlx::query(
        "WITH ins AS (
            INSERT INTO job (guild_id, kind, dedupe_key, payload, due_at, priority)
            SELECT guild_id, kind, key, payload, COALESCE(due, now()), priority
            FROM unnest($1::bigint[], $2::text[], $3::text[], $4::jsonb[], $5::timestamptz[],
                        $6::int2[], $8::bool[])
                 AS a(guild_id, kind, key, payload, due, priority, shared)
            WHERE NOT (a.shared AND EXISTS (
                SELECT 1 FROM job j
                 WHERE j.guild_id = a.guild_id AND j.kind = a.kind AND j.dedupe_key = a.key
                   AND j.state = 'pending' AND j.due_at <= COALESCE(a.due, now())))
            ON CONFLICT (guild_id, kind, dedupe_key)
                WHERE state = 'pending' AND dedupe_key IS NOT NULL
            DO UPDATE SET due_at = LEAST(job.due_at, EXCLUDED.due_at)
            RETURNING 1)
         SELECT pg_notify($7, '') WHERE EXISTS (SELECT FROM ins)",
    )
    .bind(guilds)
    .bind(kinds)
    .bind(keys)
    .bind(payloads)
    .bind(due)
    .bind(priorities)
    .bind(NOTIFY_CHANNEL)
    .bind(shared)
    .execute(conn)
    .await?;
    Ok(())
}

/// How many jobs of a kind a guild still has to run (pending or running).
pub async fn unfinished(conn: &mut PgConnection, guild: Snowflake, kind: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM job WHERE guild_id = $1 AND kind = $2
           AND state IN ('pending', 'running')",
    )
    .bind(guild.db())
    .bind(kind)
    .fetch_one(conn)
    .await?)
}

/// Moves a pending job's due time (e.g. a run's auto-end when its duration changes).
pub async fn reschedule(
    conn: &mut PgConnection,
    guild: Snowflake,
    kind: &str,
    dedupe_key: &str,
    due_at: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE job SET due_at = $4 WHERE guild_id = $1 AND kind = $2 AND dedupe_key = $3
           AND state = 'pending'",
    )
    .bind(guild.db())
    .bind(kind)
    .bind(dedupe_key)
    .bind(due_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Claims up to `limit` due jobs (and jobs whose worker's lease ran out) for `lease`, of
/// which at most `background` are background jobs (priority 0 or less: role changes,
/// cleanups). Jobs above that go first; the background ones fill what is left, up to their
/// own limit, so long background work never takes every worker a panel edit needs.
///
/// A pending job whose dedupe key has a job running waits for it: two edits of one message
/// are never in flight at once, so the spacing between edits, measured from the last
/// finished one, holds even when a Discord call is slow. That holds after a crash too: a
/// running job whose lease ran out is claimed again first and its pending successor waits
/// for that attempt to finish. (Claiming both at once let two modmail syncs of one ticket
/// each find no forum thread and each make one.)
pub async fn claim(
    pool: &PgPool,
    limit: i64,
    background: i64,
    lease: Duration,
) -> Result<Vec<Job>> {
    let mut claimed = claim_some(pool, false, limit, lease).await?;
    let taken = i64::try_from(claimed.len()).unwrap_or(limit);
    let rest = (limit - taken).min(background);
    if rest > 0 {
        claimed.extend(claim_some(pool, true, rest, lease).await?);
    }
    Ok(claimed)
}

/// One of [`claim`]'s two statements: the due jobs above background priority, or (sent only
/// while the background share has room) the background ones.
async fn claim_some(
    pool: &PgPool,
    background: bool,
    limit: i64,
    lease: Duration,
) -> Result<Vec<Job>> {
    let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
    Ok(sqlx::query_as::<_, Job>(
        "UPDATE job SET state = 'running', attempts = attempts + 1,
                locked_until = now() + make_interval(secs => $2::double precision / 1000)
         FROM (
            SELECT guild_id, job_id FROM job j
            WHERE (priority <= 0) = $3 AND (
                (state = 'pending' AND due_at <= now()
                 AND (dedupe_key IS NULL OR NOT EXISTS (
                    SELECT 1 FROM job r
                    WHERE r.state = 'running'
                      AND r.guild_id = j.guild_id AND r.dedupe_key = j.dedupe_key)))
                OR (state = 'running' AND locked_until < now()))
            ORDER BY priority DESC, due_at
            LIMIT $1
            FOR UPDATE SKIP LOCKED) c
         WHERE job.guild_id = c.guild_id AND job.job_id = c.job_id
         RETURNING job.job_id, job.guild_id, kind, dedupe_key, payload, attempts,
                   job.priority <= 0 AS background",
    )
    .bind(limit)
    .bind(lease_ms)
    .bind(background)
    .fetch_all(pool)
    .await?)
}

/// Marks the job done. The attempt number fences out a worker whose lease ran out.
pub async fn complete(pool: &PgPool, job: &Job) -> Result<()> {
    sqlx::query(
        "UPDATE job SET state = 'done', finished_at = now(), locked_until = NULL, last_error = NULL
         WHERE guild_id = $3 AND job_id = $1 AND state = 'running' AND attempts = $2",
    )
    .bind(job.job_id)
    .bind(job.attempts)
    .bind(job.guild_id.db())
    .execute(pool)
    .await?;
    Ok(())
}

/// Puts the job back to run again after `delay`.
///
/// If a pending job with the same key exists it already carries the latest state; this
/// one then simply finishes. The check cannot see a successor enqueued by a transaction
/// that has not committed yet: the update then waits on that row's `job_pending_dedupe`
/// entry and fails once it commits. Running the statement again sees the committed
/// successor and finishes this job, so the outcome is always recorded and the successor,
/// due no later, does the work.
pub async fn retry_later(pool: &PgPool, job: &Job, delay: Duration, error: &str) -> Result<()> {
    const TRIES: usize = 3;
    let mut tried = 0;
    loop {
        tried += 1;
        match retry_later_once(pool, job, delay, error).await {
            Err(e)
                if tried < TRIES
                    && e.unique_violation().as_deref() == Some("job_pending_dedupe") =>
            {
                continue;
            }
            done => return done,
        }
    }
}

async fn retry_later_once(pool: &PgPool, job: &Job, delay: Duration, error: &str) -> Result<()> {
    let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
    sqlx::query(
        "UPDATE job SET
            state = CASE WHEN dedupe_key IS NOT NULL AND EXISTS (
                        SELECT 1 FROM job j2 WHERE j2.guild_id = job.guild_id AND j2.kind = job.kind
                          AND j2.dedupe_key = job.dedupe_key AND j2.state = 'pending')
                    THEN 'done' ELSE 'pending' END,
            due_at = now() + make_interval(secs => $3::double precision / 1000),
            locked_until = NULL, last_error = $4
         WHERE guild_id = $5 AND job_id = $1 AND state = 'running' AND attempts = $2",
    )
    .bind(job.job_id)
    .bind(job.attempts)
    .bind(delay_ms)
    .bind(error)
    .bind(job.guild_id.db())
    .execute(pool)
    .await?;
    Ok(())
}

/// Gives up on the job for good, keeping the reason.
pub async fn fail(pool: &PgPool, job: &Job, error: &str) -> Result<()> {
    sqlx::query(
        "UPDATE job SET state = 'failed', finished_at = now(), locked_until = NULL, last_error = $3
         WHERE guild_id = $4 AND job_id = $1 AND state = 'running' AND attempts = $2",
    )
    .bind(job.job_id)
    .bind(job.attempts)
    .bind(error)
    .bind(job.guild_id.db())
    .execute(pool)
    .await?;
    Ok(())
}

/// When the next pending job falls due, so an idle worker knows how long to sleep. A job
/// waiting for a running one with its key (see [`claim`]) is not counted: the worker that
/// finishes that one looks again at once.
pub async fn next_due(pool: &PgPool) -> Result<Option<DateTime<Utc>>> {
    Ok(sqlx::query_scalar(
        "SELECT min(t) AS next FROM (
            SELECT min(due_at) AS t FROM job j WHERE state = 'pending'
              AND (dedupe_key IS NULL OR NOT EXISTS (
                  SELECT 1 FROM job r
                  WHERE r.state = 'running'
                    AND r.guild_id = j.guild_id AND r.dedupe_key = j.dedupe_key))
            UNION ALL SELECT min(locked_until) FROM job WHERE state = 'running') s",
    )
    .fetch_one(pool)
    .await?)
}

/// Deletes finished jobs older than `age`, keeping failed ones for inspection.
pub async fn prune_done(pool: &PgPool, age: Duration) -> Result<u64> {
    let age_s = age.as_secs_f64();
    let done = sqlx::query(
        "DELETE FROM job WHERE state = 'done' AND finished_at < now() - make_interval(secs => $1)",
    )
    .bind(age_s)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Counts jobs by state for one kind (tests and metrics).
pub async fn count(pool: &PgPool, kind: &str, state: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM job WHERE kind = $1 AND state = $2")
            .bind(kind)
            .bind(state)
            .fetch_one(pool)
            .await?,
    )
}

/// When a job of one of `kinds` with this key last finished, for spacing out edits.
pub async fn last_finished(
    pool: &PgPool,
    guild: Snowflake,
    kinds: &[&str],
    dedupe_key: &str,
) -> Result<Option<DateTime<Utc>>> {
    let kinds: Vec<String> = kinds.iter().map(|k| (*k).to_owned()).collect();
    Ok(sqlx::query_scalar(
        "SELECT max(finished_at) FROM job
         WHERE guild_id = $1 AND kind = ANY($2) AND dedupe_key = $3 AND state = 'done'",
    )
    .bind(guild.db())
    .bind(kinds)
    .bind(dedupe_key)
    .fetch_one(pool)
    .await?)
}
