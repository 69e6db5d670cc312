//! Delivers queued jobs: posts and edits panels, posts logs, fires timers. Jobs are claimed
//! from PostgreSQL with `SKIP LOCKED`, so several bot processes share the work; a job whose
//! process dies is claimed again when its lease runs out.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use domain::{ChannelKey, Snowflake};
use service::ServiceError;
use service::jobs::{self, Job, Wakeups};
use service::tasks::Task;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::Ctx;
use crate::discord::Failure;
use crate::jobs::{self as job_handlers, JobError};

/// How many jobs one process works on at once.
const CONCURRENCY: usize = 32;
/// How many of those may be background jobs (priority 0: run roles, cleanups, muted
/// overwrites). A run-role job makes up to 25 Discord calls under the global rate limit;
/// without this share, a burst of them held every worker for seconds while panel edits
/// waited to be claimed.
const BACKGROUND: usize = 8;
/// How long a claimed job is ours before another process may take it.
const LEASE: Duration = Duration::from_secs(60);
/// Give up on a job that keeps failing for passing reasons after this many tries.
const MAX_ATTEMPTS: i32 = 10;
/// Even with no notification, look for due work this often.
const IDLE_POLL: Duration = Duration::from_secs(5);

fn backoff(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 9) - 1).unwrap_or(0);
    Duration::from_secs(2u64.pow(exp)).min(Duration::from_secs(300))
}

pub async fn run(ctx: Ctx, shutdown: CancellationToken) {
    let tracker = TaskTracker::new();
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let background = Arc::new(Semaphore::new(BACKGROUND));
    // A finished job may have rescheduled itself (retry, spacing): look again at once.
    let finished = Arc::new(tokio::sync::Notify::new());
    let mut wakeups = Wakeups::listen(&ctx.pool).await;
    let mut last_prune = std::time::Instant::now();
    while !shutdown.is_cancelled() {
        let free = permits.available_permits();
        let claimed = if free == 0 {
            Vec::new()
        } else {
            let background_free = background.available_permits() as i64;
            match jobs::claim(&ctx.pool, free as i64, background_free, LEASE).await {
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
            tokio::select! {
                _ = wakeups.next() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = finished.notified() => {}
                _ = shutdown.cancelled() => break,
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
            let share = if job.background {
                match background.clone().acquire_owned().await {
                    Ok(share) => Some(share),
                    Err(_) => break,
                }
            } else {
                None
            };
            let (ctx, finished) = (ctx.clone(), finished.clone());
            tracker.spawn(async move {
                execute(&ctx, job).await;
                drop((permit, share));
                finished.notify_one();
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
    let task = match jobs::task(&job) {
        Ok(task) => task,
        Err(e) => {
            tracing::error!(error = %e, "unreadable job payload");
            let _ = jobs::fail(&ctx.pool, &job, &format!("unreadable payload: {e}")).await;
            return;
        }
    };
    let outcome =
        crate::discord::in_job(job.job_id, job_handlers::perform(ctx, job.guild_id, &task)).await;
    metrics::counter!("raidbot_jobs_total", "kind" => job.kind.clone(),
        "outcome" => if outcome.is_ok() { "ok" } else { "error" })
    .increment(1);
    let record = match outcome {
        Ok(()) => Record::Complete,
        Err(JobError::NotYet(why)) if job.attempts < MAX_ATTEMPTS => {
            Record::RetryLater(Duration::from_millis(500), why.to_owned())
        }
        Err(JobError::Later(wait)) => Record::RetryLater(wait, "spacing out edits".to_owned()),
        Err(JobError::Discord(Failure::RateLimited(wait))) => {
            Record::RetryLater(wait, "rate limited".to_owned())
        }
        Err(JobError::Discord(Failure::Transient(why))) if job.attempts < MAX_ATTEMPTS => {
            tracing::warn!(reason = %why, "job failed; will retry");
            Record::RetryLater(backoff(job.attempts), why)
        }
        Err(JobError::Service(ServiceError::Unavailable)) => {
            Record::RetryLater(backoff(job.attempts), "database unavailable".to_owned())
        }
        Err(e) => {
            let reason = match &e {
                JobError::Discord(f) => f.reason(),
                JobError::Service(s) => s.to_string(),
                JobError::NotYet(why) => (*why).to_owned(),
                JobError::Later(_) => "too soon".to_owned(),
            };
            tracing::warn!(reason = %reason, "job gave up");
            report_failure(ctx, job.guild_id, &task, &reason).await;
            Record::Fail(reason)
        }
    };
    record_outcome(ctx, &job, &record).await;
}

/// What became of a job, to write down.
enum Record {
    Complete,
    RetryLater(Duration, String),
    Fail(String),
}

/// How long a job's outcome is tried again while PostgreSQL does not take it: well within
/// the lease, after which another worker may run the job again.
const RECORD_FOR: Duration = Duration::from_secs(LEASE.as_secs() / 2);

/// Writes down what became of a job. While PostgreSQL does not answer (an outage), tries
/// again every half second for [`RECORD_FOR`], so a job done during an outage is marked
/// done as soon as the database is back, instead of staying "running" until its lease ends
/// and being run again. Writing after the lease is harmless: the attempt number fences it.
async fn record_outcome(ctx: &Ctx, job: &Job, record: &Record) {
    let until = std::time::Instant::now() + RECORD_FOR;
    loop {
        let result = match record {
            Record::Complete => jobs::complete(&ctx.pool, job).await,
            Record::RetryLater(wait, why) => jobs::retry_later(&ctx.pool, job, *wait, why).await,
            Record::Fail(why) => jobs::fail(&ctx.pool, job, why).await,
        };
        match result {
            Ok(()) => return,
            Err(e) if std::time::Instant::now() < until => {
                tracing::warn!(error = %e, "could not record the job's outcome; trying again");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => {
                tracing::error!(
                    error = %e,
                    "could not record the job's outcome; it runs again when its lease ends"
                );
                return;
            }
        }
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
        Task::RunPanelRefresh { run_id } | Task::RunKeyWindowClosed { run_id } => {
            format!("Updating the panel of run #{run_id}.")
        }
        Task::RunAutoEnd { run_id } => format!("Ending run #{run_id} at its time limit."),
        Task::HeadcountPanelPost { headcount_id } => {
            format!("Posting the panel of headcount #{headcount_id}.")
        }
        Task::HeadcountPanelRefresh { headcount_id } => {
            format!("Updating the panel of headcount #{headcount_id}.")
        }
        Task::HeadcountAutoEnd { headcount_id } => {
            format!("Closing the forgotten headcount #{headcount_id}.")
        }
        Task::HeadcountRunAnnounce { headcount_id } => {
            format!("Telling the raiders of headcount #{headcount_id} that its run is up.")
        }
        Task::PartyPost { party_id } => format!("Posting party #{party_id} and its thread."),
        Task::ModmailSync { ticket_id } => {
            format!("Relaying the messages of modmail ticket #{ticket_id}.")
        }
        Task::PartyRefresh { party_id } => format!("Updating the post of party #{party_id}."),
        Task::PartyAutoClose { party_id } => {
            format!("Closing party #{party_id} at its time limit.")
        }
        Task::PartyRemove { party_id } => {
            format!("Deleting the post and thread of closed party #{party_id}.")
        }
        Task::RolePingPanelPost { channel } => {
            format!("Posting the ping role panel in <#{channel}>.")
        }
        Task::LogPost { channel, .. } => format!("Posting to the `{}` channel.", channel.as_str()),
        Task::RunRoles { run_id } => format!("Updating who has the role of run #{run_id}."),
        Task::RunRoleSync { run_id, user_id } => {
            format!("Updating <@{user_id}>'s role for run #{run_id}.")
        }
        Task::RunCleanup { run_id } => {
            format!("Cleaning up after run #{run_id} (its pings and role).")
        }
        Task::Notify { user_id, .. } => format!("Sending a direct message to <@{user_id}>."),
        Task::RunAnnounce { run_id, .. } => format!("Posting an announcement for run #{run_id}."),
        Task::PunishmentApply { punishment_id } => {
            format!("Applying punishment #{punishment_id} on Discord (DM, role, kick or ban).")
        }
        Task::PunishmentExpire { punishment_id } => {
            format!("Ending punishment #{punishment_id} at its time.")
        }
        Task::PunishmentRole {
            punishment_id,
            give,
        } => {
            let what = if *give { "Giving" } else { "Removing" };
            format!("{what} the role of punishment #{punishment_id}.")
        }
        Task::Unban { user_id, .. } => format!("Unbanning <@{user_id}>."),
        Task::TeamRoleSync { user_id } => format!("Syncing <@{user_id}>'s team role."),
        Task::QuotaPanelsRefresh | Task::QuotaPanelsTick => "Updating the quota panels.".to_owned(),
        Task::QuotaRollover { role_id } => {
            format!("Starting the next quota period of <@&{role_id}>.")
        }
        Task::QuotaPanelDelete { .. } => "Deleting an old quota panel.".to_owned(),
        Task::VeriDm { user_id, .. } => {
            format!("Sending a verification message to <@{user_id}>.")
        }
        Task::MemberSync { user_id } => {
            format!("Updating <@{user_id}>'s verified role and nickname.")
        }
        Task::VeriSessionExpire { session_id } => {
            format!("Expiring verification session #{session_id}.")
        }
        Task::VeriReviewPost { review_id } => format!("Posting screenshot review #{review_id}."),
        Task::VeriReviewRefresh { review_id } => {
            format!("Updating screenshot review #{review_id}.")
        }
        Task::VeriPanelPost { channel, .. } => {
            format!("Posting the verification panel in <#{channel}>.")
        }
        Task::VeriPanelDelete { channel, .. } => {
            format!("Deleting a removed role verification's panel in <#{channel}>.")
        }
        Task::MutedOverwrites { role_id } | Task::MutedOverwriteReport { role_id } => {
            format!("Setting up the muted role <@&{role_id}> in the server's channels.")
        }
        Task::MutedOverwrite {
            role_id,
            channel_id,
        } => format!("Denying the muted role <@&{role_id}> in <#{channel_id}>."),
        Task::PunishmentEditedDm { punishment_id } => {
            format!("Telling the member that punishment #{punishment_id} was changed.")
        }
        Task::ModmailScheduledClose { ticket_id } => {
            format!("Closing modmail ticket #{ticket_id} at its scheduled time.")
        }
        Task::ModmailBlacklistExpiry { user_id } => {
            format!("Ending <@{user_id}>'s temporary modmail blacklist.")
        }
        Task::SchedulePanelPost { schedule_id } | Task::SchedulePanelRefresh { schedule_id } => {
            format!("Posting or updating the announcement of scheduled raid #{schedule_id}.")
        }
        Task::ScheduleRemind { schedule_id } => {
            format!("Reminding the members signed up for scheduled raid #{schedule_id}.")
        }
        Task::ScheduleOpen { schedule_id } => {
            format!("Opening the run of scheduled raid #{schedule_id}.")
        }
        Task::ScheduleDm {
            schedule_id,
            user_id,
            ..
        } => format!("Telling <@{user_id}> about scheduled raid #{schedule_id} (DM)."),
        Task::PromotionCheck { .. } => "Checking promotion rules after an award.".to_owned(),
        Task::Promote { rule_id, user_id } => {
            format!("Promoting <@{user_id}> (promotion rule #{rule_id}).")
        }
    };
    report(ctx, guild, what, reason).await;
}

/// Tells staff in `bot_log` that something could not be done, and why.
pub(crate) async fn report(ctx: &Ctx, guild: Snowflake, what: String, reason: &str) {
    if let Err(e) = jobs::report_failure(&ctx.pool, guild, what, reason).await {
        tracing::error!(error = %e, "could not queue the failure report");
    }
}
