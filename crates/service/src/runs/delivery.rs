//! What the dispatcher records after doing a run's Discord side (the run role, the panel,
//! the pings), and what it reads to do it. The bot calls these between Discord requests;
//! each is one short transaction, so a retried job finds what the last try recorded.

use chrono::{DateTime, Utc};
use domain::Snowflake;
use store::runs::{self as store_runs, Setting};
use store::{PgPool, bot_roles, key_pops, run_role_holders};

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

/// The run role was deleted behind raidbot's back: forget it and who held it, so a new
/// one is made and given to everyone in the run again (the run-role job queued here).
pub async fn run_role_lost(
    pool: &PgPool,
    guild: Snowflake,
    run_id: i64,
    role: Snowflake,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    bot_roles::mark_deleted(&mut tx, guild, role).await?;
    store_runs::set(&mut tx, guild, run_id, Setting::RunRoleId, None::<i64>).await?;
    run_role_holders::forget(&mut tx, guild, run_id).await?;
    tasks::queue(&mut tx, guild, Task::RunRoles { run_id }, None).await?;
    tx.commit().await?;
    Ok(())
}

/// Most role changes one run-role job makes on Discord; the rest go to the next job, so a
/// job stays well inside its lease however large the run.
pub const ROLE_CHANGES_PER_JOB: usize = 25;

/// What the run-role job has to do on Discord.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleWork {
    /// The run is closed (its role is deleted with it), or it has no role and never will
    /// (Discord refused to create one): nothing.
    Nothing,
    /// The run's set-up has not made its role yet: try again later.
    NotYet,
    /// Give `give` and take from `take` the run's `role`; `more` follow in another job.
    Changes {
        role: Snowflake,
        give: Vec<Snowflake>,
        take: Vec<Snowflake>,
        more: bool,
    },
}

/// The members whose run role does not match their place in the run (joined or benched
/// hold it), at most [`ROLE_CHANGES_PER_JOB`].
pub async fn role_work(pool: &PgPool, guild: Snowflake, run_id: i64) -> Result<RoleWork> {
    let mut conn = pool.acquire().await?;
    let Some(run) = store_runs::get(&mut conn, guild, run_id).await? else {
        return Ok(RoleWork::Nothing);
    };
    if !run.status.is_active() {
        return Ok(RoleWork::Nothing);
    }
    let Some(role) = run.run_role_id else {
        // Set-up creates the role before the panel; once the panel is up there is none.
        return Ok(if run.panel_message_id.is_some() {
            RoleWork::Nothing
        } else {
            RoleWork::NotYet
        });
    };
    let diff = run_role_holders::difference(&mut conn, guild, run_id, ROLE_CHANGES_PER_JOB).await?;
    Ok(RoleWork::Changes {
        role,
        give: diff.give,
        take: diff.take,
        more: diff.more,
    })
}

/// The run-role job gave `given` and took from `taken` the run's role (a member who left the
/// server counts as done); with `more`, the next slice is queued in the same transaction.
pub async fn roles_changed(
    pool: &PgPool,
    guild: Snowflake,
    run_id: i64,
    given: &[Snowflake],
    taken: &[Snowflake],
    more: bool,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    run_role_holders::record(&mut tx, guild, run_id, given, taken).await?;
    if more {
        tasks::queue(&mut tx, guild, Task::RunRoles { run_id }, None).await?;
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
