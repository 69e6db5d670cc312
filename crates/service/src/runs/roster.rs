//! Who is in a run: join, bench, leave, removal by the organizer, and the raider cap.
//! Everything here holds the run's row lock, so the cap and the bench order are exact under
//! any number of simultaneous clicks.

use domain::{RaidClass, RoleKey, Snowflake};
use store::PgConnection;
use store::run_roster::{self, RosterState};
use store::runs::{self as store_runs, Run, Setting};

use super::RunError;
use super::{MAX_RAIDER_CAP, closed, closed_status, may_manage, not_found, require_manager};
use crate::moderation::refuse_if_suspended;
use crate::tasks::{self, LogEvent, Note, Task};
use crate::{Actor, Result, ServiceError};
use domain::ChannelKey;

/// What a join did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinChange {
    /// Was not in the run (or had left) and is now joined.
    Joined,
    /// Was already joined; only the class may have changed.
    AlreadyJoined,
}

#[derive(Debug, Clone)]
pub struct JoinOutcome {
    pub change: JoinChange,
    pub dungeon_code: String,
    pub class: Option<String>,
    /// Raiders joined afterwards; only from [`join_counted`].
    pub participant_count: Option<i64>,
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
    Err(RunError::NotTheRaider.into())
}

/// The part of [`require_roster_change`] that depends on the actor alone: a member can at
/// least join themself when verified; without a member (an API key) only staff who manage
/// every run can. For adapters to refuse before they read a request; `join` decides per run.
pub fn may_change_some_roster(actor: &Actor) -> Result<()> {
    if actor.user_id.is_some() {
        return actor.require(RoleKey::VerifiedRaider);
    }
    if RoleKey::Organizer
        .level()
        .is_some_and(|organizer| actor.level > organizer)
    {
        Ok(())
    } else {
        Err(RunError::NotTheRaider.into())
    }
}

/// A class picked in a join, parsed (`None`: keep the one picked before).
pub(super) fn parse_class(class: Option<&str>) -> Result<Option<RaidClass>> {
    match class.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => RaidClass::parse(c)
            .map(Some)
            .ok_or_else(|| RunError::UnknownClass { text: c.to_owned() }.into()),
    }
}

/// Locks the run and checks it takes roster changes from `actor` for `user`.
async fn lock_open(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
    user: Snowflake,
) -> Result<Run> {
    let run = store_runs::lock(conn, guild, run_id)
        .await?
        .ok_or_else(|| not_found(run_id))?;
    require_roster_change(actor, &run, user)?;
    if !run.status.accepts_raiders() {
        return Err(closed(&run));
    }
    Ok(run)
}

/// Refuses a removed member unless the organizer allowed them back (managers may always
/// put someone back).
fn check_not_removed(
    actor: &Actor,
    run: &Run,
    entry: Option<&run_roster::RosterEntry>,
) -> Result<()> {
    match entry {
        Some(e)
            if e.state == RosterState::Removed && !e.rejoin_allowed && !may_manage(actor, run) =>
        {
            Err(RunError::Removed {
                reason: e.removed_reason.clone(),
            }
            .into())
        }
        _ => Ok(()),
    }
}

/// Queues the run's role job (coalesced: a pending one already covers this change).
async fn sync_roles(conn: &mut PgConnection, guild: Snowflake, run_id: i64) -> Result<()> {
    tasks::queue(conn, guild, Task::RunRoles { run_id }, None).await?;
    Ok(())
}

/// Joins a raider (again, if they had left), optionally with a class. Joining twice is not
/// an error and adds nobody. A full run refuses with `run_full` (the bot then offers the
/// bench); a locked run with `join_locked`.
///
/// Joins of an uncapped run share the run's lock, so a burst of clicks runs side by side;
/// Start/End/Cancel and settings take it exclusively, so no join lands in a closed run. A
/// capped run is locked exclusively so its count stays exact.
pub async fn join(
    pool: &store::PgPool,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
    user: Snowflake,
    class: Option<&str>,
) -> Result<JoinOutcome> {
    join_inner(pool, guild, run_id, actor, user, class, false).await
}

/// [`join`], also counting the raiders joined afterwards (in the statement that joins, so
/// no extra round trip when someone joins): for answers that show the count (the REST API).
pub async fn join_counted(
    pool: &store::PgPool,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
    user: Snowflake,
    class: Option<&str>,
) -> Result<JoinOutcome> {
    join_inner(pool, guild, run_id, actor, user, class, true).await
}

pub(super) async fn join_inner(
    pool: &store::PgPool,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
    user: Snowflake,
    class: Option<&str>,
    counted: bool,
) -> Result<JoinOutcome> {
    let class = parse_class(class)?;
    let mut tx = store::db::begin_generic(pool).await?;
    let gate = store_runs::gate(&mut tx, guild, run_id, user, false)
        .await?
        .ok_or_else(|| not_found(run_id))?;
    if gate.raider_cap.is_some() {
        // A capped run counts its raiders under the exclusive lock.
        drop(tx);
        let mut tx = store::db::begin_generic(pool).await?;
        let gate = store_runs::gate(&mut tx, guild, run_id, user, true)
            .await?
            .ok_or_else(|| not_found(run_id))?;
        let outcome =
            join_locked(&mut tx, guild, run_id, actor, user, class, gate, counted).await?;
        tx.commit().await?;
        return Ok(outcome);
    }
    let outcome = join_locked(&mut tx, guild, run_id, actor, user, class, gate, counted).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// The join's checks and writes under the run's lock (taken by `gate`); the caller commits.
#[allow(clippy::too_many_arguments)]
async fn join_locked(
    tx: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
    user: Snowflake,
    class: Option<RaidClass>,
    gate: store_runs::Gate,
    counted: bool,
) -> Result<JoinOutcome> {
    let manager = check_gate(actor, user, &gate)?;
    let class_name = class.as_ref().map(RaidClass::as_str);
    // Decided on the entry as read; written only if it is still so. A concurrent press of
    // the same raider that wrote first makes the write skip (and lock the row), and the
    // second reading decides again: they are told they were already in.
    let mut attempts = 0;
    let (entry, already, participant_count) = loop {
        attempts += 1;
        let entry = run_roster::entry_of(tx, guild, run_id, user).await?;
        let already = check_entry(entry.as_ref(), manager, &gate)?;
        if !already && let Some(cap) = gate.raider_cap {
            let joined = run_roster::count(tx, guild, run_id, RosterState::Joined).await?;
            if joined >= i64::from(cap) {
                return Err(RunError::Full { cap }.into());
            }
        }
        if already && class.is_none() {
            let participant_count = if counted {
                Some(run_roster::count(tx, guild, run_id, RosterState::Joined).await?)
            } else {
                None
            };
            return Ok(JoinOutcome {
                change: JoinChange::AlreadyJoined,
                dungeon_code: gate.dungeon_code,
                class: entry.and_then(|e| e.class),
                participant_count,
            });
        }
        let seen = entry.as_ref().map(|e| e.state);
        match run_roster::join_seen(tx, guild, run_id, user, class_name, seen, counted).await? {
            Some(count) => break (entry, already, count),
            // The row is ours now (locked by the skipped write): the next reading holds.
            None if attempts < 3 => continue,
            None => {
                return Err(ServiceError::Internal(format!(
                    "run {run_id}: the roster entry of {user} kept changing while joining"
                )));
            }
        }
    };
    // The coalesced panel refresh and, for a newcomer, their run role: one insert.
    let mut jobs = vec![(
        guild,
        Task::RunPanelRefresh { run_id },
        Some(tasks::panel_refresh_due()),
    )];
    if entry.as_ref().is_none_or(|e| !e.state.is_in()) {
        jobs.push((guild, Task::RunRoles { run_id }, None));
    }
    tasks::queue_many(tx, &jobs).await?;
    let class = match class {
        Some(c) => Some(c.as_str().to_owned()),
        None => entry.and_then(|e| e.class),
    };
    let change = if already {
        JoinChange::AlreadyJoined
    } else {
        JoinChange::Joined
    };
    Ok(JoinOutcome {
        change,
        dungeon_code: gate.dungeon_code,
        class,
        participant_count,
    })
}

/// Whether `actor` may put `user` into the run the gate shows, before the roster is read:
/// the raider themself (verified) or a manager; an open run; no suspension. `Ok(true)`:
/// the actor manages the run.
pub(super) fn check_gate(actor: &Actor, user: Snowflake, gate: &store_runs::Gate) -> Result<bool> {
    let manager = may_manage_gate(actor, gate);
    if !manager {
        if actor.user_id != Some(user) {
            return Err(RunError::NotTheRaider.into());
        }
        actor.require(RoleKey::VerifiedRaider)?;
    }
    if !gate.status.accepts_raiders() {
        return Err(closed_status(gate.status));
    }
    if let Some(until) = gate.suspended_until {
        return Err(ServiceError::Suspended { user, until });
    }
    Ok(manager)
}

/// The roster's part of a join's checks (the raider cap aside): a removed member stays out
/// unless allowed back, a locked run takes nobody new. `Ok(true)`: already joined.
pub(super) fn check_entry(
    entry: Option<&run_roster::RosterEntry>,
    manager: bool,
    gate: &store_runs::Gate,
) -> Result<bool> {
    if let Some(e) = entry
        && e.state == RosterState::Removed
        && !e.rejoin_allowed
        && !manager
    {
        return Err(RunError::Removed {
            reason: e.removed_reason.clone(),
        }
        .into());
    }
    let already = entry.is_some_and(|e| e.state == RosterState::Joined);
    if !already && gate.join_locked && !manager {
        return Err(RunError::JoinLocked.into());
    }
    Ok(already)
}

fn may_manage_gate(actor: &Actor, gate: &store_runs::Gate) -> bool {
    actor.user_id == Some(gate.organizer_id)
        || RoleKey::Organizer
            .level()
            .is_some_and(|organizer| actor.level > organizer)
}

/// What a bench request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchOutcome {
    /// On the bench, at this place in line (1 = next).
    Benched { place: i64 },
    /// A place was free after all: joined directly.
    Joined,
    /// Already joined.
    AlreadyJoined,
}

/// Puts the raider on the bench of a full run (or straight in if a place is free).
pub async fn bench(
    pool: &store::PgPool,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
    user: Snowflake,
) -> Result<BenchOutcome> {
    let mut tx = pool.begin().await?;
    let run = lock_open(&mut tx, guild, run_id, actor, user).await?;
    refuse_if_suspended(&mut tx, guild, user).await?;
    let entry = run_roster::entry_of(&mut tx, guild, run_id, user).await?;
    check_not_removed(actor, &run, entry.as_ref())?;
    let state = entry.as_ref().map(|e| e.state);
    if state == Some(RosterState::Joined) {
        return Ok(BenchOutcome::AlreadyJoined);
    }
    if run.join_locked && !may_manage(actor, &run) {
        return Err(RunError::JoinLocked.into());
    }
    let full = run
        .raider_cap
        .is_some_and(|cap| run.participant_count >= i64::from(cap));
    let outcome = if full {
        if state != Some(RosterState::Benched) {
            run_roster::set_state(&mut tx, guild, run_id, user, RosterState::Benched, None).await?;
        }
        let place = bench_place(&mut tx, guild, run_id, user).await?;
        BenchOutcome::Benched { place }
    } else {
        run_roster::set_state(&mut tx, guild, run_id, user, RosterState::Joined, None).await?;
        BenchOutcome::Joined
    };
    if state.is_none_or(|s| !s.is_in()) {
        sync_roles(&mut tx, guild, run_id).await?;
    }
    tasks::refresh_panel(&mut tx, guild, run_id).await?;
    tx.commit().await?;
    Ok(outcome)
}

async fn bench_place(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    user: Snowflake,
) -> Result<i64> {
    let roster = run_roster::all(conn, guild, run_id).await?;
    let place = roster
        .iter()
        .filter(|e| e.state == RosterState::Benched)
        .position(|e| e.user_id == user)
        .map_or(0, |p| p + 1);
    Ok(i64::try_from(place).unwrap_or(i64::MAX))
}

/// Moves benched raiders up, in order, while there is room; tells each one. A raider
/// suspended since they benched stays on the bench and is passed over.
async fn promote(conn: &mut PgConnection, guild: Snowflake, run_id: i64) -> Result<Vec<Snowflake>> {
    let run = store_runs::get(conn, guild, run_id)
        .await?
        .ok_or_else(|| not_found(run_id))?;
    let mut promoted = Vec::new();
    let mut joined = run.participant_count;
    if run.raider_cap.is_some_and(|cap| joined >= i64::from(cap)) {
        return Ok(promoted);
    }
    let benched: Vec<Snowflake> = run_roster::all(conn, guild, run_id)
        .await?
        .into_iter()
        .filter(|e| e.state == RosterState::Benched)
        .map(|e| e.user_id)
        .collect();
    for next in benched {
        if run.raider_cap.is_some_and(|cap| joined >= i64::from(cap)) {
            break;
        }
        match refuse_if_suspended(conn, guild, next).await {
            Ok(()) => {}
            Err(ServiceError::Suspended { .. }) => continue,
            Err(e) => return Err(e),
        }
        run_roster::set_state(conn, guild, run_id, next, RosterState::Joined, None).await?;
        tasks::queue(
            conn,
            guild,
            Task::Notify {
                user_id: next,
                note: Note::PromotedFromBench { run_id },
            },
            None,
        )
        .await?;
        promoted.push(next);
        joined += 1;
    }
    Ok(promoted)
}

/// What a leave did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveOutcome {
    /// They were joined or benched, and now are not.
    pub was_in: bool,
    /// Raiders moved up from the bench into the freed place.
    pub promoted: Vec<Snowflake>,
}

/// Takes a raider out of the run (or off the bench); the first benched raider moves up.
pub async fn leave(
    pool: &store::PgPool,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
    user: Snowflake,
) -> Result<LeaveOutcome> {
    let mut tx = pool.begin().await?;
    lock_open(&mut tx, guild, run_id, actor, user).await?;
    let entry = run_roster::entry_of(&mut tx, guild, run_id, user).await?;
    let Some(entry) = entry.filter(|e| e.state.is_in()) else {
        return Ok(LeaveOutcome {
            was_in: false,
            promoted: Vec::new(),
        });
    };
    run_roster::set_state(&mut tx, guild, run_id, user, RosterState::Left, None).await?;
    sync_roles(&mut tx, guild, run_id).await?;
    let promoted = if entry.state == RosterState::Joined {
        promote(&mut tx, guild, run_id).await?
    } else {
        Vec::new()
    };
    tasks::refresh_panel(&mut tx, guild, run_id).await?;
    tx.commit().await?;
    Ok(LeaveOutcome {
        was_in: true,
        promoted,
    })
}

/// The organizer (or higher staff) removes a raider, e.g. for a fake key reaction. The
/// raider is told why by DM and cannot rejoin unless allowed; their reactions are dropped.
pub async fn remove(
    pool: &store::PgPool,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
    user: Snowflake,
    reason: &str,
) -> Result<LeaveOutcome> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(RunError::BadRemoveReason.into());
    }
    let mut tx = pool.begin().await?;
    let run = store_runs::lock(&mut tx, guild, run_id)
        .await?
        .ok_or_else(|| not_found(run_id))?;
    require_manager(actor, &run)?;
    if !run.status.accepts_raiders() {
        return Err(closed(&run));
    }
    if user == run.organizer_id {
        return Err(RunError::CannotRemoveOrganizer.into());
    }
    let entry = run_roster::entry_of(&mut tx, guild, run_id, user).await?;
    if entry
        .as_ref()
        .is_some_and(|e| e.state == RosterState::Removed)
    {
        return Err(RunError::AlreadyRemoved.into());
    }
    let was_joined = entry
        .as_ref()
        .is_some_and(|e| e.state == RosterState::Joined);
    run_roster::mark_removed(&mut tx, guild, run_id, user, actor.user_id, reason).await?;
    sqlx::query("DELETE FROM run_reaction WHERE guild_id = $1 AND run_id = $2 AND user_id = $3")
        .bind(guild.db())
        .bind(run_id)
        .bind(user.db())
        .execute(&mut *tx)
        .await?;
    sync_roles(&mut tx, guild, run_id).await?;
    tasks::queue(
        &mut tx,
        guild,
        Task::Notify {
            user_id: user,
            note: Note::RemovedFromRun {
                run_id,
                reason: reason.to_owned(),
            },
        },
        None,
    )
    .await?;
    tasks::log(
        &mut tx,
        guild,
        ChannelKey::RaidLog,
        LogEvent::RaiderRemoved {
            run_id,
            user_id: user,
            reason: reason.to_owned(),
        },
    )
    .await?;
    let promoted = if was_joined {
        promote(&mut tx, guild, run_id).await?
    } else {
        Vec::new()
    };
    tasks::refresh_panel(&mut tx, guild, run_id).await?;
    tx.commit().await?;
    Ok(LeaveOutcome {
        was_in: entry.is_some_and(|e| e.state.is_in()),
        promoted,
    })
}

/// Lets a removed raider join again.
pub async fn allow_rejoin(
    pool: &store::PgPool,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
    user: Snowflake,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    let run = store_runs::lock(&mut tx, guild, run_id)
        .await?
        .ok_or_else(|| not_found(run_id))?;
    require_manager(actor, &run)?;
    if !run_roster::allow_rejoin(&mut tx, guild, run_id, user).await? {
        return Err(RunError::NotRemoved.into());
    }
    tx.commit().await?;
    Ok(())
}

/// Sets or clears the raider cap. Lowering it keeps everyone already in; raising it (or
/// clearing it) moves benched raiders up.
pub async fn set_cap(
    pool: &store::PgPool,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
    cap: Option<i32>,
) -> Result<Vec<Snowflake>> {
    if let Some(c) = cap
        && !(1..=MAX_RAIDER_CAP).contains(&c)
    {
        return Err(RunError::BadCap.into());
    }
    let mut tx = pool.begin().await?;
    let run = store_runs::lock(&mut tx, guild, run_id)
        .await?
        .ok_or_else(|| not_found(run_id))?;
    require_manager(actor, &run)?;
    if !run.status.is_active() {
        return Err(closed(&run));
    }
    store_runs::set(&mut tx, guild, run_id, Setting::RaiderCap, cap).await?;
    let promoted = promote(&mut tx, guild, run_id).await?;
    tasks::refresh_panel(&mut tx, guild, run_id).await?;
    tx.commit().await?;
    Ok(promoted)
}
