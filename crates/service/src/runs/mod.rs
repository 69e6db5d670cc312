//! Runs: create, start, end, cancel, auto-end; the roster, reactions and organizer tools
//! are in the submodules. Every change to a run holds its row lock, so concurrent clicks
//! serialize and the loser gets a clear answer.

mod batch;
pub mod delivery;
pub mod error;
mod lifecycle;
mod organizer;
mod pending;
mod reactions;
mod roster;

pub use batch::JoinBatcher;
pub use error::RunError;
pub use lifecycle::LifecycleBatcher;
pub use organizer::*;
pub(crate) use pending::{Jobs, Pending};
pub use reactions::*;
pub use roster::*;

pub use delivery::LoggedPop;
pub use store::run_reactions::RunReaction;
pub use store::run_roster::{RosterEntry, RosterState};
pub use store::runs::{Participant, Run};

use chrono::{DateTime, Utc};
use domain::catalog::catalog;
use domain::limits::{self, DESCRIPTION_MAX, LOCATION_MAX, PARTY_MAX};
use domain::run::RunAction;
use domain::{ChannelKey, RoleKey, RunStatus, Snowflake};
use store::run_reactions;
use store::run_roster;
use store::runs::{self as store_runs, NewRun, RunsOf};
use store::{PgConnection, PgPool};

use crate::closing::{self, Closer};
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
    /// At most this many raiders join; later ones wait on the bench.
    pub raider_cap: Option<i32>,
    /// Auto-end after this many minutes instead of the guild's default (at most 24 h).
    pub duration_minutes: Option<i32>,
}

/// A run with everyone in it: what a panel or the API shows.
#[derive(Debug, Clone)]
pub struct RunDetail {
    pub run: Run,
    /// Joined raiders, in the order they joined.
    pub participants: Vec<Participant>,
    /// Everyone with a roster row (joined, benched, left, removed), in join order.
    pub roster: Vec<RosterEntry>,
    /// Key and perk reactions, per reaction in the order they came.
    pub reactions: Vec<RunReaction>,
}

impl RunDetail {
    pub fn benched(&self) -> impl Iterator<Item = &RosterEntry> {
        self.roster
            .iter()
            .filter(|e| e.state == RosterState::Benched)
    }

    pub fn removed(&self) -> impl Iterator<Item = &RosterEntry> {
        self.roster
            .iter()
            .filter(|e| e.state == RosterState::Removed)
    }

    /// Members holding reaction `code`, in the order they reacted.
    pub fn reactors(&self, code: &str) -> impl Iterator<Item = &RunReaction> {
        self.reactions.iter().filter(move |r| r.reaction == code)
    }
}

/// Longest a run may stay open before it ends by itself.
pub const MAX_DURATION_MINUTES: i32 = 24 * 60;
/// Largest raider cap.
pub const MAX_RAIDER_CAP: i32 = 1000;

fn text_error(e: limits::TextError) -> ServiceError {
    RunError::BadText(e).into()
}

pub(crate) fn not_found(run_id: i64) -> ServiceError {
    RunError::NotFound { run_id }.into()
}

/// Starts a run for `organizer_id` (default: the actor) and queues its panel.
pub async fn create(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    req: RunRequest,
) -> Result<Run> {
    let mut tx = store::db::begin_generic(pool).await?;
    let run = create_in(&mut tx, guild, actor, req, None).await?;
    tx.commit().await?;
    Ok(run)
}

/// `create` inside the caller's transaction, left uncommitted. `converting` is the
/// headcount being turned into this run: the one open headcount that does not block it. A
/// refusal leaves the transaction usable: every check comes before the first write, and an
/// organizer's second run is refused by the insert's `ON CONFLICT`, not by an error.
pub(crate) async fn create_in(
    conn: &mut PgConnection,
    guild: Snowflake,
    actor: &Actor,
    req: RunRequest,
    converting: Option<i64>,
) -> Result<Run> {
    let mut pending = Pending::default();
    let run = create_queued(conn, guild, actor, req, converting, &mut pending).await?;
    pending.write(conn).await?;
    Ok(run)
}

/// [`create_in`] with what the new run leaves for the end of the transaction (its jobs)
/// added to `pending`, for the caller to write (a batch writes those of all its requests
/// at once).
pub(crate) async fn create_queued(
    conn: &mut PgConnection,
    guild: Snowflake,
    actor: &Actor,
    req: RunRequest,
    converting: Option<i64>,
    pending: &mut Pending,
) -> Result<Run> {
    let new = new_run(conn, guild, actor, req, pending).await?;
    // One active run or headcount per organizer: checked under this lock in both places
    // (here by the insert itself, which inserts nothing when either is there).
    store::locks::organizer_activity(conn, guild, new.organizer_id).await?;
    match store_runs::create(conn, &new, converting).await? {
        Some(run) => {
            created(&run, new.auto_end_at, pending);
            Ok(run)
        }
        None => Err(create_refused(conn, guild, new.organizer_id, converting).await),
    }
}

/// The run a request asks for, checked (who may, the dungeon, the texts, the cap and the
/// length) before anything is written; the guild's run settings are read through
/// `pending`, once per transaction.
pub(crate) async fn new_run(
    conn: &mut PgConnection,
    guild: Snowflake,
    actor: &Actor,
    req: RunRequest,
    pending: &mut Pending,
) -> Result<NewRun> {
    actor.require(RoleKey::Organizer)?;
    let organizer = req
        .organizer_id
        .or(actor.user_id)
        .ok_or(RunError::OrganizerRequired)?;
    let dungeon = catalog().dungeon(req.dungeon.trim()).ok_or_else(|| {
        ServiceError::from(RunError::UnknownDungeon {
            code: req.dungeon.trim().to_owned(),
        })
    })?;
    let party =
        limits::optional_text("Party", req.party.as_deref(), PARTY_MAX).map_err(text_error)?;
    let location = limits::optional_text("Location", req.location.as_deref(), LOCATION_MAX)
        .map_err(text_error)?;
    let description =
        limits::optional_text("Description", req.description.as_deref(), DESCRIPTION_MAX)
            .map_err(text_error)?;

    if let Some(cap) = req.raider_cap
        && !(1..=MAX_RAIDER_CAP).contains(&cap)
    {
        return Err(RunError::BadCap.into());
    }
    if let Some(minutes) = req.duration_minutes
        && !(1..=MAX_DURATION_MINUTES).contains(&minutes)
    {
        return Err(RunError::BadDuration.into());
    }
    let (raid_channel, default_minutes) = pending.run_settings(conn, guild).await?;
    let raid_channel = raid_channel.ok_or(RunError::NoRaidChannel)?;
    let minutes = req.duration_minutes.unwrap_or(default_minutes);
    Ok(NewRun {
        guild_id: guild,
        organizer_id: organizer,
        dungeon_code: dungeon.code.clone(),
        party,
        location,
        description,
        auto_end_at: Utc::now() + chrono::Duration::minutes(i64::from(minutes)),
        panel_channel_id: Some(raid_channel),
        raider_cap: req.raider_cap,
    })
}

/// Runs of distinct organizers, each checked by [`new_run`], inserted with one statement;
/// the caller holds their organizers' activity locks. Returns, per run, the run when it
/// was inserted; `None` when the organizer has an active run or an open headcount
/// ([`create_refused`] tells which).
pub(crate) async fn create_many(
    conn: &mut PgConnection,
    news: &[&NewRun],
    pending: &mut Pending,
) -> Result<Vec<Option<Run>>> {
    if news.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(&NewRun, Option<i64>)> = news.iter().map(|n| (*n, None)).collect();
    let mut inserted = store_runs::create_many(conn, &rows).await?;
    Ok(news
        .iter()
        .map(|n| {
            let at = inserted
                .iter()
                .position(|r| r.guild_id == n.guild_id && r.organizer_id == n.organizer_id)?;
            let run = inserted.swap_remove(at);
            created(&run, n.auto_end_at, pending);
            Some(run)
        })
        .collect())
}

/// Why the organizer's run was not inserted: an open headcount other than `converting`, or
/// an active run. Call under the organizer's activity lock.
pub(crate) async fn create_refused(
    conn: &mut PgConnection,
    guild: Snowflake,
    organizer: Snowflake,
    converting: Option<i64>,
) -> ServiceError {
    if let Err(e) = crate::headcounts::refuse_if_open(conn, guild, organizer, converting).await {
        return e;
    }
    match store_runs::active_for_organizer(conn, guild, organizer).await {
        Ok(existing) => RunError::ActiveRunExists {
            run_id: existing.map(|r| r.run_id),
        }
        .into(),
        Err(e) => e.into(),
    }
}

/// The new run's jobs: its panel, its auto-end timer and its raid_log entry.
fn created(run: &Run, auto_end_at: DateTime<Utc>, pending: &mut Pending) {
    let (guild, run_id) = (run.guild_id, run.run_id);
    pending.jobs.extend([
        (guild, Task::RunPanelPost { run_id }, None),
        (guild, Task::RunAutoEnd { run_id }, Some(auto_end_at)),
        (
            guild,
            Task::LogPost {
                channel: ChannelKey::RaidLog,
                event: LogEvent::RunCreated { run_id },
            },
            None,
        ),
    ]);
}

pub async fn get(pool: &PgPool, guild: Snowflake, run_id: i64) -> Result<RunDetail> {
    let mut conn = pool.acquire().await?;
    detail(&mut conn, guild, run_id).await
}

pub(crate) async fn detail(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
) -> Result<RunDetail> {
    let run = store_runs::get(conn, guild, run_id)
        .await?
        .ok_or_else(|| not_found(run_id))?;
    // The joined raiders are the roster's joined rows, in the same order (joined_at,
    // user_id): read once, not twice (every panel refresh reads this).
    let roster = run_roster::all(conn, guild, run_id).await?;
    let participants = roster
        .iter()
        .filter(|e| e.state == run_roster::RosterState::Joined)
        .map(|e| store_runs::Participant {
            user_id: e.user_id,
            class: e.class.clone(),
            joined_at: e.joined_at,
        })
        .collect();
    let reactions = run_reactions::all(conn, guild, run_id).await?;
    Ok(RunDetail {
        run,
        participants,
        roster,
        reactions,
    })
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

pub(crate) fn closed(run: &Run) -> ServiceError {
    closed_status(run.status)
}

/// Why a run in `status` (not active) refuses a change: cancelled, or ended.
pub(crate) fn closed_status(status: RunStatus) -> ServiceError {
    match status {
        RunStatus::Cancelled => RunError::Cancelled.into(),
        _ => RunError::Ended.into(),
    }
}

/// The organizer, or staff above the organizer level, may manage a run.
pub fn may_manage(actor: &Actor, run: &Run) -> bool {
    actor.manages(run.organizer_id)
}

/// The run with everyone in it, for its organizer panel: only for someone who may manage
/// the run.
pub async fn organizer_view(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    run_id: i64,
) -> Result<RunDetail> {
    let detail = get(pool, guild, run_id).await?;
    if !may_manage(actor, &detail.run) {
        return Err(RunError::NotManagerPanel.into());
    }
    Ok(detail)
}

/// The run, before its manager fills in a form or picker of the organizer panel: refused
/// to anyone else, and once the run is closed.
pub async fn managed(pool: &PgPool, guild: Snowflake, actor: &Actor, run_id: i64) -> Result<Run> {
    let detail = get(pool, guild, run_id).await?;
    if !may_manage(actor, &detail.run) {
        return Err(RunError::NotManagerForm.into());
    }
    if !detail.run.status.is_active() {
        return Err(RunError::Closed.into());
    }
    Ok(detail.run)
}

pub(crate) fn require_manager(actor: &Actor, run: &Run) -> Result<()> {
    if may_manage(actor, run) {
        Ok(())
    } else {
        Err(RunError::NotManager.into())
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
    let mut tx = store::db::begin_generic(pool).await?;
    let mut pending = Pending::default();
    let run = transition_queued(&mut tx, guild, run_id, actor, action, &mut pending).await?;
    pending.write(&mut tx).await?;
    tx.commit().await?;
    Ok(run)
}

/// [`transition`] inside the caller's transaction, left uncommitted, with what it leaves
/// for the end of the transaction added to `pending` for the caller to write. A refusal
/// (no such run, not its manager, not allowed from its status) comes before any write and
/// leaves the transaction usable.
pub(crate) async fn transition_queued(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
    action: RunAction,
    pending: &mut Pending,
) -> Result<Run> {
    let changed = transition_many(conn, &[(guild, run_id, actor, action)], pending).await?;
    match changed.into_iter().next().flatten() {
        Some(run) => Ok(run),
        None => transition_locked(conn, (guild, run_id, actor, action), pending).await,
    }
}

/// A change of a run asked for: the guild, the run, who asks, and what.
pub(crate) type Transition<'a> = (Snowflake, i64, &'a Actor, RunAction);

/// Starts and ends of distinct runs, each by a person, with one statement for all the
/// starts and one for all the ends, whose WHERE clauses hold the permission and status
/// checks (and which take the runs' locks, in the order given); the ended runs' awards are
/// read together too. Returns, per request, the run afterwards when it changed; `None` for
/// one that did not change (not its manager, not allowed from its status, missing) or that
/// is not a start or an end by someone who manages runs: [`transition_locked`] tells why
/// or applies it. What a changed run leaves for the end of the transaction is on `pending`.
pub(crate) async fn transition_many(
    conn: &mut PgConnection,
    requests: &[Transition<'_>],
    pending: &mut Pending,
) -> Result<Vec<Option<Run>>> {
    let mut starts = Vec::new();
    let mut ends = Vec::new();
    for (i, &(guild, run_id, actor, action)) in requests.iter().enumerate() {
        // A cancel, which may come from either active status and records which in its
        // audit row, always goes the locked way.
        match (action, actor.managed_runs()) {
            (RunAction::Start, Some(runs_of)) => starts.push((i, (guild, run_id, runs_of))),
            (RunAction::End, Some(runs_of)) => {
                let by = Closer::Person(actor);
                let (reason_own, reason_other) = by.reasons();
                let closing = store_runs::Closing {
                    status: RunStatus::Ended,
                    from: Some(RunStatus::Live),
                    runs_of,
                    closed_by: by.user_id(),
                    closed_by_label: Some(actor.label.as_str()),
                    reason_own,
                    reason_other,
                };
                ends.push((i, (guild, run_id, closing)));
            }
            _ => {}
        }
    }
    let mut changed: Vec<Option<Run>> = requests.iter().map(|_| None).collect();
    // The request a changed row answers: the one of that run among those of the statement.
    let request_of = |among: &[usize], run: &Run| {
        among
            .iter()
            .copied()
            .find(|&i| requests[i].0 == run.guild_id && requests[i].1 == run.run_id)
    };
    if !starts.is_empty() {
        let rows: Vec<_> = starts.iter().map(|(_, r)| *r).collect();
        let among: Vec<usize> = starts.iter().map(|(i, _)| *i).collect();
        for run in store_runs::start_many(conn, &rows).await? {
            let Some(i) = request_of(&among, &run) else {
                continue;
            };
            pending.jobs.push(started_log(run.guild_id, run.run_id));
            pending.jobs.push(panel_refresh(run.guild_id, run.run_id));
            changed[i] = Some(run);
        }
    }
    if !ends.is_empty() {
        let rows: Vec<_> = ends.iter().map(|(_, r)| *r).collect();
        let among: Vec<usize> = ends.iter().map(|(i, _)| *i).collect();
        let mut ended = Vec::with_capacity(rows.len());
        for run in store_runs::close_many(conn, &rows).await? {
            let Some(i) = request_of(&among, &run) else {
                continue;
            };
            let by = Closer::Person(requests[i].2);
            closed_effects(&run, RunStatus::Live, RunStatus::Ended, by, pending);
            pending.jobs.push(panel_refresh(run.guild_id, run.run_id));
            ended.push((run.guild_id, run.run_id));
            changed[i] = Some(run);
        }
        crate::quota::award_runs(conn, &ended, &mut pending.jobs).await?;
    }
    Ok(changed)
}

fn panel_refresh(guild: Snowflake, run_id: i64) -> (Snowflake, Task, Option<DateTime<Utc>>) {
    (
        guild,
        Task::RunPanelRefresh { run_id },
        Some(tasks::panel_refresh_due()),
    )
}

/// A transition under the run's lock, read first: refuses with the reason, or changes it
/// (and queues the panel's refresh). What a [`transition_many`] left unchanged goes this
/// way, to be told why (or, when the run changed since, to apply now).
pub(crate) async fn transition_locked(
    conn: &mut PgConnection,
    (guild, run_id, actor, action): Transition<'_>,
    pending: &mut Pending,
) -> Result<Run> {
    let run = store_runs::lock(conn, guild, run_id)
        .await?
        .ok_or_else(|| not_found(run_id))?;
    require_manager(actor, &run)?;
    let next = run.status.apply(action).map_err(RunError::Transition)?;
    // The run as it is afterwards comes back from the statement that changes it (nothing
    // later in the transaction changes its row).
    let changed = match next {
        RunStatus::Live => {
            let started = store_runs::start(conn, guild, run_id, RunsOf::Anyone).await?;
            pending.jobs.push(started_log(guild, run_id));
            started
        }
        RunStatus::Ended | RunStatus::Cancelled => {
            let close = Close {
                before: run.status,
                next,
                runs_of: RunsOf::Anyone,
                by: Closer::Person(actor),
            };
            close_run(conn, guild, run_id, close, pending).await?
        }
        RunStatus::Open => None,
    };
    pending.jobs.push(panel_refresh(guild, run_id));
    // Under the run's lock the change always applies; an unchanged run is as it was read.
    Ok(changed.unwrap_or(run))
}

fn started_log(guild: Snowflake, run_id: i64) -> (Snowflake, Task, Option<DateTime<Utc>>) {
    (
        guild,
        Task::LogPost {
            channel: ChannelKey::RaidLog,
            event: LogEvent::RunStarted { run_id },
        },
        None,
    )
}

/// The auto-end timer fired. A live run ends; a run that never started is cancelled (no
/// one raided). A run already closed is left alone. Returns whether it closed the run.
pub async fn auto_end(pool: &PgPool, guild: Snowflake, run_id: i64) -> Result<bool> {
    let mut tx = store::db::begin_generic(pool).await?;
    let Some(run) = store_runs::lock(&mut tx, guild, run_id).await? else {
        return Ok(false);
    };
    if !run.status.is_active() {
        return Ok(false);
    }
    // The timer fired early (the run was extended): it is queued again for the new time.
    let timer = Task::RunAutoEnd { run_id };
    if closing::timer_early(&mut tx, guild, timer, run.auto_end_at).await? {
        tx.commit().await?;
        return Ok(false);
    }
    let next = if run.status == RunStatus::Live {
        RunStatus::Ended
    } else {
        RunStatus::Cancelled
    };
    let mut pending = Pending::default();
    let close = Close {
        before: run.status,
        next,
        runs_of: RunsOf::Anyone,
        by: Closer::Timer,
    };
    let closed = close_run(&mut tx, guild, run_id, close, &mut pending).await?;
    pending.jobs.push(panel_refresh(guild, run_id));
    pending.write(&mut tx).await?;
    tx.commit().await?;
    Ok(closed.is_some())
}

/// A run's close: from which status to which, by whom, and (when nobody checked who may)
/// only if `runs_of` holds the run.
struct Close<'a> {
    before: RunStatus,
    next: RunStatus,
    runs_of: RunsOf,
    by: Closer<'a>,
}

/// The one way a run closes (ended or cancelled), by a person or by its timer: the state
/// change and, for an ended run, its awards now; the audit row (a person's), the scheduled
/// raid's refresh, the role cleanup job and the raid_log entry added to `pending` (the
/// caller writes them with the panel refresh). Returns the run afterwards when this call
/// closed it; `None` (and nothing done) when the run is not in `close.before` or not one of
/// `close.runs_of`.
async fn close_run(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    close: Close<'_>,
    pending: &mut Pending,
) -> Result<Option<Run>> {
    let Close {
        before,
        next,
        runs_of,
        by,
    } = close;
    let (reason_own, reason_other) = by.reasons();
    let closing = store_runs::Closing {
        status: next,
        from: Some(before),
        runs_of,
        closed_by: by.user_id(),
        closed_by_label: by.actor().map(|a| a.label.as_str()),
        reason_own,
        reason_other,
    };
    let Some(closed) = store_runs::close(conn, guild, run_id, &closing).await? else {
        return Ok(None);
    };
    closed_effects(&closed, before, next, by, pending);
    // A cancelled run awards nothing.
    if next == RunStatus::Ended {
        crate::quota::award_run(conn, &closed, &mut pending.jobs).await?;
    }
    Ok(Some(closed))
}

/// What closing `closed` (from `before` to `next`, by `by`) leaves for the end of the
/// transaction: the audit row (a person's), the scheduled raid's refresh, the role cleanup
/// job and the raid_log entry. The award is the caller's.
fn closed_effects(
    closed: &Run,
    before: RunStatus,
    next: RunStatus,
    by: Closer<'_>,
    pending: &mut Pending,
) {
    let (guild, run_id) = (closed.guild_id, closed.run_id);
    if let Some(actor) = by.actor() {
        // Like every other staff action: who did it, member or API key, is on record.
        let reason = by.reason(closed.organizer_id);
        pending.audit(store::logs::NewAudit {
            guild,
            actor: actor.audit(),
            action: if next == RunStatus::Ended {
                "run_end"
            } else {
                "run_cancel"
            },
            before: serde_json::json!({"run_id": run_id, "status": before.as_str()}),
            after: serde_json::json!({"run_id": run_id, "status": next.as_str(), "close_reason": reason}),
        });
    }
    pending.closed(guild, run_id);
    pending
        .jobs
        .push((guild, Task::RunCleanup { run_id }, None));
    pending.jobs.push((
        guild,
        Task::LogPost {
            channel: ChannelKey::RaidLog,
            event: LogEvent::RunClosed { run_id },
        },
        None,
    ));
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
