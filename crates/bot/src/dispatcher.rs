//! Delivers queued jobs: posts and edits panels, posts logs, fires timers. Jobs are claimed
//! from PostgreSQL with `SKIP LOCKED`, so several bot processes share the work; a job whose
//! process dies is claimed again when its lease runs out.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use domain::{ChannelKey, Snowflake};
use service::ServiceError;
use service::tasks::{self, LogEvent, Task};
use sqlx::postgres::PgListener;
use store::jobs::{self, Job};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;
use twilight_model::channel::message::embed::Embed;
use twilight_model::id::Id;

use crate::discord::{Failure, classify};
use crate::{Ctx, views};

/// How many jobs one process works on at once.
const CONCURRENCY: usize = 32;
/// How long a claimed job is ours before another process may take it.
const LEASE: Duration = Duration::from_secs(60);
/// Give up on a job that keeps failing for passing reasons after this many tries.
const MAX_ATTEMPTS: i32 = 10;
/// Even with no notification, look for due work this often.
const IDLE_POLL: Duration = Duration::from_secs(5);

#[derive(Debug)]
enum JobError {
    Discord(Failure),
    Service(ServiceError),
    /// Not possible yet (e.g. the panel is not posted yet): try again soon.
    NotYet(&'static str),
}

impl From<twilight_http::Error> for JobError {
    fn from(e: twilight_http::Error) -> Self {
        JobError::Discord(classify(&e))
    }
}

impl From<ServiceError> for JobError {
    fn from(e: ServiceError) -> Self {
        JobError::Service(e)
    }
}

impl From<twilight_http::response::DeserializeBodyError> for JobError {
    fn from(e: twilight_http::response::DeserializeBodyError) -> Self {
        JobError::Discord(Failure::Transient(e.to_string()))
    }
}

fn backoff(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 9) - 1).unwrap_or(0);
    Duration::from_secs(2u64.pow(exp)).min(Duration::from_secs(300))
}

pub async fn run(ctx: Ctx, shutdown: CancellationToken) {
    let tracker = TaskTracker::new();
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut listener = match PgListener::connect_with(&ctx.pool).await {
        Ok(mut l) => match l.listen(jobs::NOTIFY_CHANNEL).await {
            Ok(()) => Some(l),
            Err(e) => {
                tracing::warn!(error = %e, "LISTEN failed; polling for jobs instead");
                None
            }
        },
        Err(e) => {
            tracing::warn!(error = %e, "no notification connection; polling for jobs instead");
            None
        }
    };
    let mut last_prune = std::time::Instant::now();
    while !shutdown.is_cancelled() {
        let free = permits.available_permits();
        let claimed = if free == 0 {
            Vec::new()
        } else {
            match jobs::claim(&ctx.pool, free as i64, LEASE).await {
                Ok(claimed) => claimed,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming jobs failed");
                    Vec::new()
                }
            }
        };
        if claimed.is_empty() {
            let wait = match jobs::next_due(&ctx.pool).await {
                Ok(Some(due)) => (due - Utc::now())
                    .to_std()
                    .unwrap_or_default()
                    .min(IDLE_POLL),
                _ => IDLE_POLL,
            };
            if free == 0 || wait.is_zero() {
                // Busy, or something is due right now: wait briefly for a permit.
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                    _ = shutdown.cancelled() => break,
                }
                continue;
            }
            match listener.as_mut() {
                Some(l) => tokio::select! {
                    r = l.recv() => {
                        if let Err(e) = r {
                            tracing::warn!(error = %e, "job notification failed");
                        }
                    }
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.cancelled() => break,
                },
                None => tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.cancelled() => break,
                },
            }
            if last_prune.elapsed() > Duration::from_secs(600) {
                last_prune = std::time::Instant::now();
                if let Err(e) = jobs::prune_done(&ctx.pool, Duration::from_secs(86_400)).await {
                    tracing::warn!(error = %e, "pruning finished jobs failed");
                }
            }
            continue;
        }
        for job in claimed {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let ctx = ctx.clone();
            tracker.spawn(async move {
                execute(&ctx, job).await;
                drop(permit);
            });
        }
    }
    tracker.close();
    tracker.wait().await;
}

async fn execute(ctx: &Ctx, job: Job) {
    let span =
        tracing::info_span!("job", id = job.job_id, kind = %job.kind, attempt = job.attempts);
    execute_inner(ctx, job).instrument(span).await;
}

async fn execute_inner(ctx: &Ctx, job: Job) {
    let task = match Task::from_job(&job) {
        Ok(task) => task,
        Err(e) => {
            tracing::error!(error = %e, "unreadable job payload");
            let _ = jobs::fail(&ctx.pool, &job, &format!("unreadable payload: {e}")).await;
            return;
        }
    };
    let outcome = match &task {
        Task::RunPanelPost { run_id } => post_panel(ctx, job.guild_id, *run_id).await,
        Task::RunPanelRefresh { run_id } => refresh_panel(ctx, job.guild_id, *run_id).await,
        Task::RunAutoEnd { run_id } => service::runs::auto_end(&ctx.pool, job.guild_id, *run_id)
            .await
            .map(|_| ())
            .map_err(JobError::from),
        Task::LogPost { channel, event } => post_log(ctx, job.guild_id, *channel, event).await,
    };
    metrics::counter!("raidbot_jobs_total", "kind" => job.kind.clone(),
        "outcome" => if outcome.is_ok() { "ok" } else { "error" })
    .increment(1);
    let result = match outcome {
        Ok(()) => jobs::complete(&ctx.pool, &job).await,
        Err(JobError::NotYet(why)) if job.attempts < MAX_ATTEMPTS => {
            jobs::retry_later(&ctx.pool, &job, Duration::from_millis(500), why).await
        }
        Err(JobError::Discord(Failure::RateLimited(wait))) => {
            jobs::retry_later(&ctx.pool, &job, wait, "rate limited").await
        }
        Err(JobError::Discord(Failure::Transient(why))) if job.attempts < MAX_ATTEMPTS => {
            tracing::warn!(reason = %why, "job failed; will retry");
            jobs::retry_later(&ctx.pool, &job, backoff(job.attempts), &why).await
        }
        Err(JobError::Service(ServiceError::Unavailable)) => {
            jobs::retry_later(
                &ctx.pool,
                &job,
                backoff(job.attempts),
                "database unavailable",
            )
            .await
        }
        Err(e) => {
            let reason = match &e {
                JobError::Discord(f) => f.reason(),
                JobError::Service(s) => s.to_string(),
                JobError::NotYet(why) => (*why).to_owned(),
            };
            tracing::warn!(reason = %reason, "job gave up");
            report_failure(ctx, job.guild_id, &task, &reason).await;
            jobs::fail(&ctx.pool, &job, &reason).await
        }
    };
    if let Err(e) = result {
        tracing::error!(error = %e, "could not record the job's outcome");
    }
}

/// Tells staff in `bot_log` what could not be done, unless that is what failed.
async fn report_failure(ctx: &Ctx, guild: Snowflake, task: &Task, reason: &str) {
    let what = match task {
        Task::LogPost {
            channel: ChannelKey::BotLog,
            ..
        } => return,
        Task::RunPanelPost { run_id } => format!("Posting the panel of run #{run_id}."),
        Task::RunPanelRefresh { run_id } => format!("Updating the panel of run #{run_id}."),
        Task::RunAutoEnd { run_id } => format!("Ending run #{run_id} at its time limit."),
        Task::LogPost { channel, .. } => format!("Posting to the `{}` channel.", channel.as_str()),
    };
    let event = LogEvent::JobFailed {
        what,
        reason: reason.to_owned(),
    };
    let queued = async {
        let mut conn = ctx.pool.acquire().await?;
        tasks::log(&mut conn, guild, ChannelKey::BotLog, event).await
    };
    if let Err(e) = queued.await {
        tracing::error!(error = %e, "could not queue the failure report");
    }
}

fn channel_id(s: Snowflake) -> Id<twilight_model::id::marker::ChannelMarker> {
    Id::new(s.get())
}

async fn post_panel(ctx: &Ctx, guild: Snowflake, run_id: i64) -> Result<(), JobError> {
    let detail = service::runs::get(&ctx.pool, guild, run_id).await?;
    let run = &detail.run;
    if run.panel_message_id.is_some() {
        return Ok(());
    }
    let Some(channel) = run.panel_channel_id else {
        return Ok(());
    };
    let embeds = [views::runs::panel_embed(&detail)];
    let components = views::runs::panel_components(run);
    let message = ctx
        .http
        .create_message(channel_id(channel))
        .embeds(&embeds)
        .components(&components)
        .await?
        .model()
        .await?;
    let message_id = Snowflake::new(message.id.get())
        .map_err(|e| JobError::Discord(Failure::Transient(e.to_string())))?;
    service::runs::panel_posted(&ctx.pool, guild, run_id, channel, message_id).await?;
    // Joins that came in while the panel was being posted are shown by a refresh.
    let latest = service::runs::get(&ctx.pool, guild, run_id).await?;
    if latest.participants != detail.participants || latest.run.status != run.status {
        let mut conn = ctx
            .pool
            .acquire()
            .await
            .map_err(|e| JobError::Service(e.into()))?;
        tasks::refresh_panel(&mut conn, guild, run_id)
            .await
            .map_err(|e| JobError::Service(e.into()))?;
    }
    Ok(())
}

async fn refresh_panel(ctx: &Ctx, guild: Snowflake, run_id: i64) -> Result<(), JobError> {
    let detail = service::runs::get(&ctx.pool, guild, run_id).await?;
    let run = &detail.run;
    let (Some(channel), Some(message)) = (run.panel_channel_id, run.panel_message_id) else {
        return Err(JobError::NotYet("the panel is not posted yet"));
    };
    let embeds = [views::runs::panel_embed(&detail)];
    let components = views::runs::panel_components(run);
    ctx.http
        .update_message(channel_id(channel), Id::new(message.get()))
        .embeds(Some(&embeds))
        .components(Some(&components))
        .await?;
    metrics::counter!("raidbot_panel_edits_total").increment(1);
    Ok(())
}

async fn post_log(
    ctx: &Ctx,
    guild: Snowflake,
    key: ChannelKey,
    event: &LogEvent,
) -> Result<(), JobError> {
    let channel = {
        let channels = service::config::channels(&ctx.pool, guild).await?;
        match channels.get(&key) {
            Some(c) => *c,
            None => return Ok(()), // no such log channel: nothing to log
        }
    };
    let embed: Embed = match event {
        LogEvent::RunCreated { run_id }
        | LogEvent::RunStarted { run_id }
        | LogEvent::RunClosed { run_id } => {
            let detail = service::runs::get(&ctx.pool, guild, *run_id).await?;
            views::logs::run_entry(event, &detail)
        }
        LogEvent::RolesChanged { .. } | LogEvent::ChannelsChanged { .. } => {
            match views::logs::config_entry(event) {
                Some(e) => e,
                None => return Ok(()),
            }
        }
        LogEvent::JobFailed { what, reason } => views::logs::failure_entry(what, reason),
    };
    ctx.http
        .create_message(channel_id(channel))
        .embeds(&[embed])
        .await?;
    Ok(())
}
