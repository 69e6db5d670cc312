//! The jobs use cases queue: Discord side effects and timers. The bot's dispatcher runs
//! them; adding a kind is one variant here plus its handler there.

use chrono::{DateTime, Utc};
use domain::{ChannelKey, Snowflake};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use store::PgConnection;
use store::jobs::{self, NewJob};

/// How long panel edits wait so that a burst of clicks becomes one edit.
pub const PANEL_COALESCE: Duration = Duration::from_millis(1000);

/// Something that happened, for a log channel. Rendered by the bot from the latest rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LogEvent {
    RunCreated {
        run_id: i64,
    },
    RunStarted {
        run_id: i64,
    },
    RunClosed {
        run_id: i64,
    },
    RolesChanged {
        by: String,
        changes: Vec<(String, Option<String>)>,
    },
    ChannelsChanged {
        by: String,
        changes: Vec<(String, Option<String>)>,
    },
    /// Points awarded by hand (/logrun, /logkey, /addquotapoints, /addpoints).
    PointsAwarded {
        by: String,
        member: String,
        currency: domain::quota::Currency,
        kind: String,
        amount: i64,
        units: i32,
        dungeon: Option<String>,
        reason: Option<String>,
        total: i64,
    },
    /// A quota role's period ended.
    QuotaPeriodEnded {
        role_id: String,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        met: usize,
        members: usize,
    },
    /// A Discord side effect could not be done; staff should know why.
    JobFailed {
        what: String,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum Task {
    /// Post the public panel of a new run in its channel.
    RunPanelPost { run_id: i64 },
    /// Edit the public panel to show the run's latest state (coalesced per run).
    RunPanelRefresh { run_id: i64 },
    /// Close the run when its time is up (a timer).
    RunAutoEnd { run_id: i64 },
    /// Redraw every quota panel of the guild (coalesced).
    QuotaPanelsRefresh,
    /// The 10-minute quota panel timer.
    QuotaPanelsTick,
    /// A quota role's period boundary (a timer).
    QuotaRollover { role_id: Snowflake },
    /// Delete a quota panel's messages (reset or deleted configuration).
    QuotaPanelDelete {
        channel_id: Snowflake,
        message_ids: Vec<Snowflake>,
    },
    /// Post an event to a log channel, if the guild set one.
    LogPost {
        channel: ChannelKey,
        event: LogEvent,
    },
}

impl Task {
    pub fn kind(&self) -> &'static str {
        match self {
            Task::RunPanelPost { .. } => "run_panel_post",
            Task::RunPanelRefresh { .. } => "run_panel_refresh",
            Task::RunAutoEnd { .. } => "run_auto_end",
            Task::LogPost { .. } => "log_post",
            Task::QuotaPanelsRefresh => "quota_panels_refresh",
            Task::QuotaPanelsTick => "quota_panels_tick",
            Task::QuotaRollover { .. } => "quota_rollover",
            Task::QuotaPanelDelete { .. } => "quota_panel_delete",
        }
    }

    fn dedupe_key(&self) -> Option<String> {
        match self {
            Task::RunPanelPost { run_id }
            | Task::RunPanelRefresh { run_id }
            | Task::RunAutoEnd { run_id } => Some(format!("run:{run_id}")),
            Task::LogPost { .. } | Task::QuotaPanelDelete { .. } => None,
            Task::QuotaPanelsRefresh => Some("quota-panels".to_owned()),
            Task::QuotaPanelsTick => Some("quota-tick".to_owned()),
            Task::QuotaRollover { role_id } => Some(format!("rollover:{role_id}")),
        }
    }

    /// Reads a claimed job back into a task.
    pub fn from_job(job: &jobs::Job) -> Result<Task, serde_json::Error> {
        serde_json::from_value(job.payload.clone())
    }
}

/// Queues `task` in the caller's transaction, due now or at `due_at`.
pub async fn queue(
    conn: &mut PgConnection,
    guild: Snowflake,
    task: Task,
    due_at: Option<DateTime<Utc>>,
) -> store::Result<bool> {
    let payload =
        serde_json::to_value(&task).map_err(|e| store::StoreError::Corrupt(e.to_string()))?;
    jobs::enqueue(
        conn,
        &NewJob {
            guild_id: guild,
            kind: task.kind().to_owned(),
            dedupe_key: task.dedupe_key(),
            payload,
            due_at,
        },
    )
    .await
}

/// Queues a coalesced panel refresh for the run.
pub async fn refresh_panel(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
) -> store::Result<()> {
    let due = Utc::now() + chrono::Duration::from_std(PANEL_COALESCE).unwrap_or_default();
    queue(conn, guild, Task::RunPanelRefresh { run_id }, Some(due)).await?;
    Ok(())
}

/// Queues a log post; the dispatcher drops it when the guild has no such channel.
pub async fn log(
    conn: &mut PgConnection,
    guild: Snowflake,
    channel: ChannelKey,
    event: LogEvent,
) -> store::Result<()> {
    queue(conn, guild, Task::LogPost { channel, event }, None).await?;
    Ok(())
}
