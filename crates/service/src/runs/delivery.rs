//! What the dispatcher records after doing a run's Discord side (the run role, the panel,
//! the pings), and what it reads to do it. The bot calls these between Discord requests;
//! each is one short transaction, so a retried job finds what the last try recorded.

use chrono::{DateTime, Utc};
use domain::Snowflake;
use store::runs::{self as store_runs, Setting};
use store::{PgPool, bot_roles, key_pops};

use super::RunDetail;
use crate::Result;
use crate::tasks::{self, Task};

pub use store::key_pops::LoggedPop;

/// Why raidbot created a run role, as recorded in `bot_role.purpose`.
const RUN_ROLE_PURPOSE: &str = "run";

/// The run's ping message (above its panel) was posted.
pub async fn ping_posted(
    pool: &PgPool,
    guild: Snowflake,
    run_id: i64,
    message: Snowflake,
) -> Result<()> {
    message_posted(pool, guild, run_id, Setting::PingMessageId, message).await
}

/// An Oryx 3 stage ping was posted; the next stage replaces it.
pub async fn o3_ping_posted(
    pool: &PgPool,
    guild: Snowflake,
    run_id: i64,
    message: Snowflake,
) -> Result<()> {
    message_posted(pool, guild, run_id, Setting::O3PingMessageId, message).await
}

async fn message_posted(
    pool: &PgPool,
    guild: Snowflake,
    run_id: i64,
    setting: Setting,
    message: Snowflake,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    store_runs::set(&mut conn, guild, run_id, setting, Some(message.db())).await?;
    Ok(())
}

/// The bot created the run's role: remember it as the run's, and as one raidbot made (so
/// cleanup deletes it and never a community role).
pub async fn run_role_created(
    pool: &PgPool,
    guild: Snowflake,
    run_id: i64,
    role: Snowflake,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    bot_roles::record(&mut tx, guild, role, RUN_ROLE_PURPOSE, run_id).await?;
    store_runs::set(&mut tx, guild, run_id, Setting::RunRoleId, Some(role.db())).await?;
    tx.commit().await?;
    Ok(())
}

/// The run role was deleted behind raidbot's back: forget it, so a new one is made.
pub async fn run_role_lost(
    pool: &PgPool,
    guild: Snowflake,
    run_id: i64,
    role: Snowflake,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    bot_roles::mark_deleted(&mut tx, guild, role).await?;
    store_runs::set(&mut tx, guild, run_id, Setting::RunRoleId, None::<i64>).await?;
    tx.commit().await?;
    Ok(())
}

/// Queues a role sync for everyone in the run (after its role was made again).
pub async fn resync_roles(pool: &PgPool, guild: Snowflake, detail: &RunDetail) -> Result<()> {
    let mut tx = pool.begin().await?;
    for e in detail.roster.iter().filter(|e| e.state.is_in()) {
        let task = Task::RunRoleSync {
            run_id: detail.run.run_id,
            user_id: e.user_id,
        };
        tasks::queue(&mut tx, guild, task, None).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Whether raidbot made this role and has not deleted it yet (cleanup deletes only those).
pub async fn role_is_ours(pool: &PgPool, guild: Snowflake, role: Snowflake) -> Result<bool> {
    let mut conn = pool.acquire().await?;
    Ok(bot_roles::is_live(&mut conn, guild, role).await?)
}

/// The bot deleted a role it had made.
pub async fn role_deleted(pool: &PgPool, guild: Snowflake, role: Snowflake) -> Result<()> {
    let mut conn = pool.acquire().await?;
    bot_roles::mark_deleted(&mut conn, guild, role).await?;
    Ok(())
}

/// Someone deleted an active run's panel: forget it and queue posting it again.
pub async fn panel_lost(pool: &PgPool, guild: Snowflake, run_id: i64) -> Result<()> {
    let mut tx = pool.begin().await?;
    store_runs::set(&mut tx, guild, run_id, Setting::PanelMessageId, None::<i64>).await?;
    tasks::queue(&mut tx, guild, Task::RunPanelPost { run_id }, None).await?;
    tx.commit().await?;
    Ok(())
}

/// Queues a coalesced refresh of the run's panel (e.g. joins came in while it was posted).
pub async fn queue_refresh(pool: &PgPool, guild: Snowflake, run_id: i64) -> Result<()> {
    let mut conn = pool.acquire().await?;
    tasks::refresh_panel(&mut conn, guild, run_id).await?;
    Ok(())
}

/// When the run's panel was last posted or edited, to space out edits of one message.
pub async fn last_panel_edit(
    pool: &PgPool,
    guild: Snowflake,
    run_id: i64,
) -> Result<Option<DateTime<Utc>>> {
    let edits = [
        Task::RunPanelRefresh { run_id },
        Task::RunKeyWindowClosed { run_id },
        Task::RunPanelPost { run_id },
    ];
    tasks::last_finished(pool, guild, &edits).await
}

/// One logged key pop (who, how many, which key), for its announcement and log entry.
pub async fn key_pop(pool: &PgPool, guild: Snowflake, pop_id: i64) -> Result<Option<LoggedPop>> {
    let mut conn = pool.acquire().await?;
    Ok(key_pops::get(&mut conn, guild, pop_id).await?)
}
