//! The dispatcher's side of the outbox: waking when jobs are queued, claiming due jobs,
//! and recording each one's outcome. Use cases queue jobs with [`crate::tasks::queue`];
//! the bot's dispatcher delivers them through these functions, so it needs neither SQL nor
//! a database driver of its own.
//!
//! Errors are the store's, passed through unchanged: the dispatcher only logs them and
//! tries again, and they carry the database's own words for the log.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::{ChannelKey, Snowflake};
use sqlx::postgres::PgListener;
use store::jobs;
use store::{PgPool, StoreError};

use crate::tasks::{self, LogEvent, Task};

pub use store::jobs::Job;

/// A result of the outbox, with the store's error.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Wakes an idle dispatcher as soon as a transaction that queued a job commits
/// (PostgreSQL `LISTEN`/`NOTIFY`). Without a notification connection it never wakes, and
/// the dispatcher falls back to polling.
pub struct Wakeups(Option<PgListener>);

impl Wakeups {
    /// Listens for queued jobs; on failure logs why and returns a `Wakeups` that never
    /// fires (polling only).
    pub async fn listen(pool: &PgPool) -> Wakeups {
        match PgListener::connect_with(pool).await {
            Ok(mut l) => match l.listen(jobs::NOTIFY_CHANNEL).await {
                Ok(()) => Wakeups(Some(l)),
                Err(e) => {
                    tracing::warn!(error = %e, "LISTEN failed; polling for jobs instead");
                    Wakeups(None)
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "no notification connection; polling for jobs instead");
                Wakeups(None)
            }
        }
    }

    /// Waits for the next notification (a failed one is logged and counts as one).
    /// Cancel-safe: use it in `select!` next to a timeout.
    pub async fn next(&mut self) {
        match self.0.as_mut() {
            Some(l) => {
                if let Err(e) = l.recv().await {
                    tracing::warn!(error = %e, "job notification failed");
                }
            }
            None => std::future::pending().await,
        }
    }
}

/// Claims up to `limit` due jobs (and jobs whose worker's lease ran out) for `lease`, at
/// most `background` of them background work (priority 0: role changes, cleanups), with
/// `FOR UPDATE SKIP LOCKED`: any number of processes can claim side by side.
pub async fn claim(
    pool: &PgPool,
    limit: i64,
    background: i64,
    lease: Duration,
) -> Result<Vec<Job>> {
    jobs::claim(pool, limit, background, lease).await
}

/// The job's work is done.
pub async fn complete(pool: &PgPool, job: &Job) -> Result<()> {
    jobs::complete(pool, job).await
}

/// Runs the job again after `delay` (or finishes it when a newer one carries its change).
pub async fn retry_later(pool: &PgPool, job: &Job, delay: Duration, error: &str) -> Result<()> {
    jobs::retry_later(pool, job, delay, error).await
}

/// Gives up on the job for good, keeping the reason.
pub async fn fail(pool: &PgPool, job: &Job, error: &str) -> Result<()> {
    jobs::fail(pool, job, error).await
}

/// When the next pending job falls due, so an idle dispatcher knows how long to sleep.
pub async fn next_due(pool: &PgPool) -> Result<Option<DateTime<Utc>>> {
    jobs::next_due(pool).await
}

/// Deletes finished jobs older than `age`, keeping failed ones for inspection.
pub async fn prune_done(pool: &PgPool, age: Duration) -> Result<u64> {
    jobs::prune_done(pool, age).await
}

/// Queues a `bot_log` entry saying what could not be done on Discord, and why.
pub async fn report_failure(
    pool: &PgPool,
    guild: Snowflake,
    what: String,
    reason: &str,
) -> Result<()> {
    let event = LogEvent::JobFailed {
        what,
        reason: reason.to_owned(),
    };
    let mut conn = pool.acquire().await?;
    tasks::log(&mut conn, guild, ChannelKey::BotLog, event).await
}

/// Reads a claimed job back into its task.
pub fn task(job: &Job) -> std::result::Result<Task, serde_json::Error> {
    Task::from_job(job)
}
