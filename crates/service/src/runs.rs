//! Runs: create, join, leave, start, end, cancel, auto-end. Every change to a run holds its
//! row lock, so concurrent clicks serialize and the loser gets a clear answer.

use chrono::Utc;
use domain::catalog::catalog;
use domain::limits::{self, DESCRIPTION_MAX, LOCATION_MAX, PARTY_MAX};
use domain::run::RunAction;
use domain::{ChannelKey, RaidClass, RoleKey, RunStatus, Snowflake};
use store::runs::{self as store_runs, JoinChange, NewRun, Participant, Run};
use store::{PgConnection, PgPool, guild_config};

use crate::tasks::{self, LogEvent, Task};
use crate::{Actor, Result, ServiceError};

/// What someone asks for when starting a run.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    pub organizer_id: Option<Snowflake>,
    pub dungeon: String,
    pub party: Option<String>,
    pub location: Option<String>,
    pub description: Option<String>,
}

/// A run with its joined raiders: what a panel or the API shows.
#[derive(Debug, Clone)]
pub struct RunDetail {
    pub run: Run,
    pub participants: Vec<Participant>,
}

fn text_error(e: limits::TextError) -> ServiceError {
    ServiceError::invalid("invalid_text", e.to_string())
}

fn not_found(run_id: i64) -> ServiceError {
    ServiceError::NotFound(format!("Run #{run_id} does not exist in this server."))
}

/// Starts a run for `organizer_id` (default: the actor) and queues its panel.
pub async fn create(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    req: RunRequest,
) -> Result<Run> {
    actor.require(RoleKey::Organizer)?;
    let organizer = req.organizer_id.or(actor.user_id).ok_or_else(|| {
        ServiceError::invalid(
            "organizer_required",
            "Say who organizes the run (organizer_id).",
        )
    })?;
    let dungeon = catalog().dungeon(req.dungeon.trim()).ok_or_else(|| {
        ServiceError::invalid(
            "unknown_dungeon",
            format!(
                "`{}` is not a dungeon raidbot knows; pick one from the list.",
                req.dungeon.trim()
            ),
        )
    })?;
    let party =
        limits::optional_text("Party", req.party.as_deref(), PARTY_MAX).map_err(text_error)?;
    let location = limits::optional_text("Location", req.location.as_deref(), LOCATION_MAX)
        .map_err(text_error)?;
    let description =
        limits::optional_text("Description", req.description.as_deref(), DESCRIPTION_MAX)
            .map_err(text_error)?;

    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    let raid_channel = guild_config::channel(&mut tx, guild, ChannelKey::Raid)
        .await?
        .ok_or_else(|| {
            ServiceError::conflict(
                "raid_channel_not_configured",
                "This server has no raid channel yet: an administrator can set one with /setchannels.",
            )
        })?;
    let minutes = guild_config::run_auto_end_minutes(&mut tx, guild).await?;
    let auto_end_at = Utc::now() + chrono::Duration::minutes(i64::from(minutes));
    let new = NewRun {
        guild_id: guild,
        organizer_id: organizer,
        dungeon_code: dungeon.code.clone(),
        party,
        location,
        description,
        auto_end_at,
        panel_channel_id: Some(raid_channel),
    };
    // One active run or headcount per organizer: checked under this lock in both places.
    store::locks::organizer_activity(&mut tx, guild, organizer).await?;
    let run_id = match store_runs::insert(&mut tx, &new).await {
        Ok(id) => id,
        Err(e) if e.unique_violation().as_deref() == Some("run_one_active_per_organizer") => {
            drop(tx);
            let mut conn = pool.acquire().await?;
            let existing = store_runs::active_for_organizer(&mut conn, guild, organizer).await?;
            let which = existing
                .map(|r| format!(" (#{})", r.run_id))
                .unwrap_or_default();
            return Err(ServiceError::conflict(
                "active_run_exists",
                format!(
                    "There is already an active run for this organizer{which}: end or cancel it first."
                ),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    tasks::queue(&mut tx, guild, Task::RunPanelPost { run_id }, None).await?;
    tasks::queue(
        &mut tx,
        guild,
        Task::RunAutoEnd { run_id },
        Some(auto_end_at),
    )
    .await?;
    tasks::log(
        &mut tx,
        guild,
        ChannelKey::RaidLog,
        LogEvent::RunCreated { run_id },
    )
    .await?;
    let run = store_runs::get(&mut tx, guild, run_id)
        .await?
        .ok_or_else(|| not_found(run_id))?;
    tx.commit().await?;
    Ok(run)
}

pub async fn get(pool: &PgPool, guild: Snowflake, run_id: i64) -> Result<RunDetail> {
    let mut conn = pool.acquire().await?;
    detail(&mut conn, guild, run_id).await
}

async fn detail(conn: &mut PgConnection, guild: Snowflake, run_id: i64) -> Result<RunDetail> {
    let run = store_runs::get(conn, guild, run_id)
        .await?
        .ok_or_else(|| not_found(run_id))?;
    let participants = store_runs::participants(conn, guild, run_id).await?;
    Ok(RunDetail { run, participants })
}

/// Newest first; `before` is the last run id of the previous page.
pub async fn list(
    pool: &PgPool,
    guild: Snowflake,
    status: Option<RunStatus>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Run>> {
    let mut conn = pool.acquire().await?;
    Ok(store_runs::list(&mut conn, guild, status, before, limit.clamp(1, 100)).await?)
}

/// What a raider's join did.
#[derive(Debug, Clone)]
pub struct JoinOutcome {
    pub change: JoinChange,
    pub run: Run,
    pub class: Option<String>,
}

/// Who may put `user` in or out of a run: the raider themself when verified, or whoever
/// manages the run (the organizer, higher staff, an administrator's API key).
fn require_roster_change(actor: &Actor, run: &Run, user: Snowflake) -> Result<()> {
    if may_manage(actor, run) {
        return Ok(());
    }
    if actor.user_id == Some(user) {
        return actor.require(RoleKey::VerifiedRaider);
    }
    Err(ServiceError::Forbidden(
        "Only the raider themself, or this run's organizer or higher staff, can do this.".into(),
    ))
}

/// Joins a raider (again, if they had left), optionally with a class. Joining twice is not
/// an error and adds nobody.
pub async fn join(
    pool: &PgPool,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
    user: Snowflake,
    class: Option<&str>,
) -> Result<JoinOutcome> {
    let class = match class.map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(RaidClass::parse(c).ok_or_else(|| {
            ServiceError::invalid("unknown_class", format!("`{c}` is not a RotMG class."))
        })?),
    };
    let mut tx = pool.begin().await?;
    let run = store_runs::lock(&mut tx, guild, run_id)
        .await?
        .ok_or_else(|| not_found(run_id))?;
    require_roster_change(actor, &run, user)?;
    if !run.status.accepts_raiders() {
        return Err(closed(&run));
    }
    if run.join_locked {
        return Err(ServiceError::conflict(
            "join_locked",
            "Joining this run is locked by its organizer.",
        ));
    }
    let change = store_runs::join(
        &mut tx,
        guild,
        run_id,
        user,
        class.as_ref().map(RaidClass::as_str),
    )
    .await?;
    if change == JoinChange::Joined || class.is_some() {
        tasks::refresh_panel(&mut tx, guild, run_id).await?;
    }
    let run = store_runs::get(&mut tx, guild, run_id)
        .await?
        .ok_or_else(|| not_found(run_id))?;
    let class = store_runs::participants(&mut tx, guild, run_id)
        .await?
        .into_iter()
        .find(|p| p.user_id == user)
        .and_then(|p| p.class);
    tx.commit().await?;
    Ok(JoinOutcome { change, run, class })
}

/// Removes a raider from the run. Returns false when they were not in it.
pub async fn leave(
    pool: &PgPool,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
    user: Snowflake,
) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let run = store_runs::lock(&mut tx, guild, run_id)
        .await?
        .ok_or_else(|| not_found(run_id))?;
    require_roster_change(actor, &run, user)?;
    if !run.status.accepts_raiders() {
        return Err(closed(&run));
    }
    let left = store_runs::leave(&mut tx, guild, run_id, user).await?;
    if left {
        tasks::refresh_panel(&mut tx, guild, run_id).await?;
    }
    tx.commit().await?;
    Ok(left)
}

fn closed(run: &Run) -> ServiceError {
    match run.status {
        RunStatus::Cancelled => ServiceError::conflict("run_closed", "This run was cancelled."),
        _ => ServiceError::conflict("run_closed", "This run has already ended."),
    }
}

/// The organizer, or staff above the organizer level, may manage a run.
pub fn may_manage(actor: &Actor, run: &Run) -> bool {
    actor.user_id == Some(run.organizer_id)
        || RoleKey::Organizer
            .level()
            .is_some_and(|organizer| actor.level > organizer)
}

fn require_manager(actor: &Actor, run: &Run) -> Result<()> {
    if may_manage(actor, run) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "Only this run's organizer, or staff above Organizer, can manage it.".into(),
        ))
    }
}

/// Start, End or Cancel by a person. The second of two concurrent ends finds the run closed
/// and gets a conflict; the first end's time is kept.
pub async fn transition(
    pool: &PgPool,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
    action: RunAction,
) -> Result<Run> {
    let mut tx = pool.begin().await?;
    let run = store_runs::lock(&mut tx, guild, run_id)
        .await?
        .ok_or_else(|| not_found(run_id))?;
    require_manager(actor, &run)?;
    let next = run
        .status
        .apply(action)
        .map_err(|e| ServiceError::conflict("invalid_transition", e.to_string()))?;
    match next {
        RunStatus::Live => {
            store_runs::mark_started(&mut tx, guild, run_id).await?;
            tasks::log(
                &mut tx,
                guild,
                ChannelKey::RaidLog,
                LogEvent::RunStarted { run_id },
            )
            .await?;
        }
        RunStatus::Ended | RunStatus::Cancelled => {
            let reason = if actor.user_id == Some(run.organizer_id) {
                "organizer"
            } else {
                "staff"
            };
            store_runs::mark_closed(&mut tx, guild, run_id, next, actor.user_id, reason).await?;
            crate::quota::on_run_ended(&mut tx, &run).await?;
            tasks::log(
                &mut tx,
                guild,
                ChannelKey::RaidLog,
                LogEvent::RunClosed { run_id },
            )
            .await?;
        }
        RunStatus::Open => {}
    }
    tasks::refresh_panel(&mut tx, guild, run_id).await?;
    let run = store_runs::get(&mut tx, guild, run_id)
        .await?
        .ok_or_else(|| not_found(run_id))?;
    tx.commit().await?;
    Ok(run)
}

/// The auto-end timer fired. A live run ends; a run that never started is cancelled (no
/// one raided). A run already closed is left alone. Returns whether it closed the run.
pub async fn auto_end(pool: &PgPool, guild: Snowflake, run_id: i64) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let Some(run) = store_runs::lock(&mut tx, guild, run_id).await? else {
        return Ok(false);
    };
    if !run.status.is_active() {
        return Ok(false);
    }
    if run.auto_end_at > Utc::now() {
        // The timer fired early (the run was extended): try again at the new time.
        tasks::queue(
            &mut tx,
            guild,
            Task::RunAutoEnd { run_id },
            Some(run.auto_end_at),
        )
        .await?;
        tx.commit().await?;
        return Ok(false);
    }
    let next = if run.status == RunStatus::Live {
        RunStatus::Ended
    } else {
        RunStatus::Cancelled
    };
    let closed = store_runs::mark_closed(&mut tx, guild, run_id, next, None, "auto").await?;
    crate::quota::on_run_ended(&mut tx, &run).await?;
    tasks::log(
        &mut tx,
        guild,
        ChannelKey::RaidLog,
        LogEvent::RunClosed { run_id },
    )
    .await?;
    tasks::refresh_panel(&mut tx, guild, run_id).await?;
    tx.commit().await?;
    Ok(closed)
}

/// The bot posted the run's panel: remember where, so refreshes edit it.
pub async fn panel_posted(
    pool: &PgPool,
    guild: Snowflake,
    run_id: i64,
    channel: Snowflake,
    message: Snowflake,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    store_runs::set_panel_message(&mut conn, guild, run_id, channel, message).await?;
    Ok(())
}
