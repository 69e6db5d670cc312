//! Joins that arrive together share one transaction and one commit.
//!
//! A join is a handful of short statements and a commit, and the commit is most of its cost:
//! the WAL flush, and PostgreSQL serialises the commits of transactions that notify (every
//! join queues a job and wakes the dispatcher). Under a burst, joins queue here while the
//! workers are busy; a free worker takes everything queued (up to [`MAX_BATCH`]) and runs it
//! in one transaction, in a fixed order (guild, run, raider) so two batches never wait on
//! each other in a cycle. Each join still gets its own outcome, sent after the commit.
//!
//! When the machine is idle a join runs alone (a batch of one): nothing waits to fill a
//! batch.
//! A refusal (closed run, suspended member, ...) is decided before the join writes
//! anything, so it does not spoil the batch; a database error does, and then every join of
//! the batch runs again on its own. Joins of a capped run always take the single path (its
//! exclusive lock counts the raiders).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use domain::Snowflake;
use store::PgPool;
use store::run_roster::{RosterEntry, RosterState};
use tracing::Instrument;

use super::not_found;
use super::roster::{JoinChange, JoinOutcome, check_entry, check_gate, join_inner, parse_class};
use crate::batching::{Batcher, Reply};
use crate::tasks::{self, Task};
use crate::{Actor, Result};

/// Most joins in one transaction.
pub const MAX_BATCH: usize = 64;
/// Transactions in flight at once (each holds a pooled connection).
const WORKERS: usize = 2;

struct Request {
    guild: Snowflake,
    run_id: i64,
    actor: Actor,
    user: Snowflake,
    class: Option<String>,
    counted: bool,
    /// The caller's span: a join's statements count towards the click or request that
    /// asked (a batch's, towards its first join's).
    span: tracing::Span,
    reply: Reply<JoinOutcome>,
}

/// Hands joins to a few workers that batch them ([`Batcher`]). Cheap to clone.
#[derive(Clone)]
pub struct JoinBatcher {
    pool: PgPool,
    batches: Batcher<Request>,
}

impl JoinBatcher {
    pub fn new(pool: PgPool) -> JoinBatcher {
        JoinBatcher {
            batches: Batcher::on_pool("join", WORKERS, MAX_BATCH, &pool, run_batch),
            pool,
        }
    }

    /// [`super::join`]: the same checks, writes and outcome, batched with concurrent joins.
    pub async fn join(
        &self,
        guild: Snowflake,
        run_id: i64,
        actor: &Actor,
        user: Snowflake,
        class: Option<&str>,
    ) -> Result<JoinOutcome> {
        self.submit(guild, run_id, actor, user, class, false).await
    }

    /// [`super::join_counted`], batched.
    pub async fn join_counted(
        &self,
        guild: Snowflake,
        run_id: i64,
        actor: &Actor,
        user: Snowflake,
        class: Option<&str>,
    ) -> Result<JoinOutcome> {
        self.submit(guild, run_id, actor, user, class, true).await
    }

    async fn submit(
        &self,
        guild: Snowflake,
        run_id: i64,
        actor: &Actor,
        user: Snowflake,
        class: Option<&str>,
        counted: bool,
    ) -> Result<JoinOutcome> {
        let span = tracing::Span::current();
        self.batches
            .call(
                |reply| Request {
                    guild,
                    run_id,
                    actor: actor.clone(),
                    user,
                    class: class.map(str::to_owned),
                    counted,
                    span,
                    reply,
                },
                // No worker (the runtime that started them is gone): join on our own.
                |request| async move {
                    join_inner(
                        &self.pool,
                        guild,
                        run_id,
                        &request.actor,
                        user,
                        request.class.as_deref(),
                        counted,
                    )
                    .await
                },
            )
            .await
    }
}

async fn run_batch(pool: PgPool, mut batch: Vec<Request>) {
    // Even one join goes through the batch's statements: its gate and roster entry in one
    // read and its jobs in one insert are fewer round trips than the single path's.
    batch.sort_by_key(|r| (r.guild, r.run_id, r.user));
    let span = batch[0].span.clone();
    match together(&pool, &batch).instrument(span).await {
        Ok(outcomes) => {
            for (request, slot) in batch.into_iter().zip(outcomes) {
                match slot {
                    Slot::Done(outcome) => {
                        let _ = request.reply.send(outcome);
                    }
                    Slot::Alone => alone(&pool, request).await,
                }
            }
        }
        Err(error) => {
            tracing::debug!(%error, size = batch.len(), "join batch failed; joining one by one");
            for request in batch {
                alone(&pool, request).await;
            }
        }
    }
}

/// What a join of a batch came to.
enum Slot {
    /// Answered (after the commit).
    Done(Result<JoinOutcome>),
    /// Runs on its own after the batch (a capped run).
    Alone,
}

/// One row the batch writes: a member joined (again) in a run.
struct Write {
    guild: Snowflake,
    run_id: i64,
    user: Snowflake,
    class: Option<String>,
    /// They were not in the run before this batch: their run role follows.
    sync_role: bool,
    /// Their state as the batch read it (`None`: no row); written only if still so.
    seen: Option<RosterState>,
}

/// Every join of the batch in one transaction of at most four statements, whatever its
/// size: the gates and roster entries read together, the decisions made here with the same
/// checks as a single join (`check_gate`, `check_entry`), then one write of the roster that
/// also counts the runs (for answers that show it), and one insert for the jobs (which
/// looks for covering jobs itself).
async fn together(pool: &PgPool, batch: &[Request]) -> Result<Vec<Slot>> {
    let guilds: Vec<i64> = batch.iter().map(|r| r.guild.db()).collect();
    let run_ids: Vec<i64> = batch.iter().map(|r| r.run_id).collect();
    let users: Vec<i64> = batch.iter().map(|r| r.user.db()).collect();
    let mut tx = store::db::begin_generic(pool).await?;
    let mut gates: Vec<Option<store::runs::BatchGate>> = batch.iter().map(|_| None).collect();
    for g in store::runs::gates(&mut tx, &guilds, &run_ids, &users).await? {
        if let Some(slot) = usize::try_from(g.i).ok().and_then(|i| gates.get_mut(i)) {
            *slot = Some(g);
        }
    }

    // A member's entry as the joins before theirs in this batch left it.
    let mut entries: HashMap<(Snowflake, i64, Snowflake), Option<RosterEntry>> = HashMap::new();
    let mut writes: Vec<Write> = Vec::new();
    let mut write_of: HashMap<(Snowflake, i64, Snowflake), usize> = HashMap::new();
    let mut slots = Vec::with_capacity(batch.len());
    for (r, gate) in batch.iter().zip(gates) {
        let Some(gate) = gate else {
            slots.push(Slot::Done(Err(not_found(r.run_id))));
            continue;
        };
        if gate.gate.raider_cap.is_some() {
            slots.push(Slot::Alone);
            continue;
        }
        let key = (r.guild, r.run_id, r.user);
        let entry = match entries.get(&key) {
            Some(entry) => entry.clone(),
            None => gate.entry.entry()?,
        };
        let decided = parse_class(r.class.as_deref()).and_then(|class| {
            let manager = check_gate(&r.actor, r.user, &gate.gate)?;
            let already = check_entry(entry.as_ref(), manager, &gate.gate)?;
            Ok((class, already))
        });
        let (class, already) = match decided {
            Ok(decided) => decided,
            Err(refused) => {
                slots.push(Slot::Done(Err(refused)));
                continue;
            }
        };
        let class = class.map(|c| c.as_str().to_owned());
        let kept_class = class
            .clone()
            .or_else(|| entry.as_ref().and_then(|e| e.class.clone()));
        if !(already && class.is_none()) {
            let sync_role = entry.as_ref().is_none_or(|e| !e.state.is_in());
            match write_of.get(&key) {
                Some(&i) => {
                    let w = &mut writes[i];
                    w.class = class.clone().or(w.class.take());
                    w.sync_role |= sync_role;
                }
                None => {
                    write_of.insert(key, writes.len());
                    writes.push(Write {
                        guild: r.guild,
                        run_id: r.run_id,
                        user: r.user,
                        class: class.clone(),
                        sync_role,
                        seen: entry.as_ref().map(|e| e.state),
                    });
                }
            }
            entries.insert(
                key,
                Some(RosterEntry {
                    user_id: r.user,
                    state: RosterState::Joined,
                    class: kept_class.clone(),
                    joined_at: entry
                        .as_ref()
                        .filter(|e| e.state.is_in())
                        .map_or_else(Utc::now, |e| e.joined_at),
                    removed_by: None,
                    removed_reason: None,
                    rejoin_allowed: false,
                }),
            );
        }
        slots.push(Slot::Done(Ok(JoinOutcome {
            change: if already {
                JoinChange::AlreadyJoined
            } else {
                JoinChange::Joined
            },
            dungeon_code: gate.gate.dungeon_code,
            class: kept_class,
            participant_count: None,
        })));
    }

    // The runs whose count an answer shows: counted by the roster write's own statement.
    let counted: BTreeSet<(i64, i64)> = batch
        .iter()
        .zip(&slots)
        .filter(|(r, slot)| r.counted && matches!(slot, Slot::Done(Ok(_))))
        .map(|(r, _)| (r.guild.db(), r.run_id))
        .collect();
    let (count_guilds, count_runs): (Vec<i64>, Vec<i64>) = counted.iter().copied().unzip();
    let counts: Vec<(i64, i64, i64)> = if !writes.is_empty() {
        let joined = store::run_roster::join_many(
            &mut tx,
            &writes.iter().map(|w| w.guild.db()).collect::<Vec<_>>(),
            &writes.iter().map(|w| w.run_id).collect::<Vec<_>>(),
            &writes.iter().map(|w| w.user.db()).collect::<Vec<_>>(),
            &writes.iter().map(|w| w.class.clone()).collect::<Vec<_>>(),
            &writes
                .iter()
                .map(|w| w.seen.map(RosterState::as_str))
                .collect::<Vec<_>>(),
            &count_guilds,
            &count_runs,
        )
        .await?;
        let written: BTreeSet<(i64, i64, i64)> = joined.written.into_iter().collect();
        // A row that changed since the batch read it (the same raider's press in another
        // transaction came first): that raider's joins are decided again on their own,
        // after this commit, on what the other one left.
        let stale: BTreeSet<(Snowflake, i64, Snowflake)> = writes
            .iter()
            .filter(|w| !written.contains(&(w.guild.db(), w.run_id, w.user.db())))
            .map(|w| (w.guild, w.run_id, w.user))
            .collect();
        if !stale.is_empty() {
            writes.retain(|w| !stale.contains(&(w.guild, w.run_id, w.user)));
            for (r, slot) in batch.iter().zip(slots.iter_mut()) {
                if stale.contains(&(r.guild, r.run_id, r.user)) {
                    *slot = Slot::Alone;
                }
            }
        }
        joined.counts
    } else if !counted.is_empty() {
        // Nothing to write (every join a repeat): the count alone.
        store::run_roster::joined_counts(&mut tx, &count_guilds, &count_runs).await?
    } else {
        Vec::new()
    };
    let counts: HashMap<(i64, i64), i64> =
        counts.into_iter().map(|(g, r, n)| ((g, r), n)).collect();
    for (r, slot) in batch.iter().zip(slots.iter_mut()) {
        if let Slot::Done(Ok(outcome)) = slot
            && r.counted
        {
            outcome.participant_count = counts.get(&(r.guild.db(), r.run_id)).copied();
        }
    }
    // One coalesced panel refresh per run changed, and one run-role job per run with a
    // newcomer (coalesced too).
    let refreshed: BTreeSet<(Snowflake, i64)> =
        writes.iter().map(|w| (w.guild, w.run_id)).collect();
    let due = Some(tasks::panel_refresh_due());
    let mut jobs: Vec<(Snowflake, Task, Option<DateTime<Utc>>)> = refreshed
        .into_iter()
        .map(|(guild, run_id)| (guild, Task::RunPanelRefresh { run_id }, due))
        .collect();
    let roles: BTreeSet<(Snowflake, i64)> = writes
        .iter()
        .filter(|w| w.sync_role)
        .map(|w| (w.guild, w.run_id))
        .collect();
    jobs.extend(
        roles
            .into_iter()
            .map(|(guild, run_id)| (guild, Task::RunRoles { run_id }, None)),
    );
    if !jobs.is_empty() {
        tasks::queue_many(&mut tx, &jobs).await?;
    }
    tx.commit().await?;
    Ok(slots)
}

async fn alone(pool: &PgPool, r: Request) {
    let outcome = join_inner(
        pool,
        r.guild,
        r.run_id,
        &r.actor,
        r.user,
        r.class.as_deref(),
        r.counted,
    )
    .instrument(r.span.clone())
    .await;
    let _ = r.reply.send(outcome);
}
