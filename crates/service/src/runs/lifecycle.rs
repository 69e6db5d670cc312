//! Runs created, started, ended and cancelled together share one transaction and one
//! commit.
//!
//! A run's creation and each of its transitions is a few short statements and a commit, and
//! on a busy server the commit (the WAL flush) bounds how many go through: the create →
//! start → end benchmark did about the same number of cycles per second with the API as a
//! replay of its statements straight into PostgreSQL. Under a burst the requests queue here
//! while the workers are busy; a free worker takes everything queued (up to [`MAX_BATCH`])
//! and runs each request's own transaction body ([`super::create_queued`],
//! [`super::transition_queued`]) one after the other in one transaction, in a fixed order,
//! writes what they leave for the end (jobs, audit rows, the scheduled raids' lookup, see
//! [`Pending`]) with one statement each, and commits once. Each request still gets its
//! own outcome, sent after the commit.
//!
//! The starts and ends of a batch (runs it changes once) are not run one after the other
//! but together, one statement for the starts and one for the ends with the permission and
//! status checks in their WHERE clauses, and the ended runs' awards read with one more
//! ([`transition_many`]); a start or an end those statements left unchanged then takes the
//! locked path, which tells why.
//!
//! - A refusal (not the run's manager, the run already closed, a second active run) is
//!   decided before the request writes anything, so it does not spoil the batch.
//! - A database error does: the batch is rolled back and every request of it runs again
//!   on its own.
//! - A request that waits for a lock longer than [`LOCK_WAIT`] (another transaction holds
//!   the run) fails the batch the same way, so two batches waiting on each other never wait
//!   for PostgreSQL's deadlock detector, and no request waits behind a long-held lock with
//!   a batch's worth of others behind it.
//! - A failed commit is answered as a failure to every request: whether it applied is not
//!   known, so nothing is run twice.
//!
//! When the server is idle a request runs alone, through the single path's statements.

use std::time::Duration;

use domain::Snowflake;
use domain::run::RunAction;
use store::runs::NewRun;
use store::{PgConnection, PgPool};
use tracing::Instrument;

use super::{
    Pending, Run, RunRequest, Transition, create_many, create_queued, create_refused, new_run,
    transition_locked, transition_many, transition_queued,
};
use crate::batching::{Batcher, Reply, shared_error};
use crate::{Actor, Result, ServiceError};

/// Most requests in one transaction.
pub const MAX_BATCH: usize = 32;
/// Transactions in flight at once (each holds a pooled connection). Fewer workers make
/// bigger batches (fewer commits and shared statements per request) but serialize more:
/// with `scripts/bench-api` on the 2-core machine of 2026-12-07, 8 workers spent 4.3 ms of
/// PostgreSQL CPU per create→start→end cycle at 32 clients, 4 workers 2.9–3.8 ms and 2
/// workers 2.3–3.1 ms, at about the same rate; with 8 clients, 2 workers fell behind
/// (238–247 cycles/s against 299–314 with 4).
const WORKERS: usize = 4;
/// Longest a request of a batch waits for a lock before the batch gives up and its requests
/// run on their own.
pub const LOCK_WAIT: Duration = Duration::from_millis(100);

enum Change {
    Create(RunRequest),
    Transition { run_id: i64, action: RunAction },
}

impl Change {
    /// The order requests run in within a batch: creations by organizer, then transitions
    /// by run, so two batches take their locks in the same order.
    fn order(&self, actor: &Actor) -> (u8, i64) {
        match self {
            Change::Create(req) => (
                0,
                req.organizer_id.or(actor.user_id).map_or(0, Snowflake::db),
            ),
            Change::Transition { run_id, .. } => (1, *run_id),
        }
    }
}

struct Request {
    guild: Snowflake,
    actor: Actor,
    change: Change,
    /// The caller's span: a request's statements count towards it (a batch's, towards its
    /// first request's).
    span: tracing::Span,
    reply: Reply<Run>,
}

impl Request {
    /// The request's writes; what it leaves for the end of the transaction goes on
    /// `pending` (the batch writes that of all its requests at once). `locked`: a start or
    /// an end that [`transition_many`] left unchanged, which the locked path now refuses
    /// with its reason (or applies).
    async fn apply(
        &self,
        conn: &mut PgConnection,
        pending: &mut Pending,
        locked: bool,
    ) -> Result<Run> {
        match &self.change {
            Change::Create(req) => {
                create_queued(conn, self.guild, &self.actor, req.clone(), None, pending).await
            }
            Change::Transition { run_id, action } if locked => {
                transition_locked(conn, (self.guild, *run_id, &self.actor, *action), pending).await
            }
            Change::Transition { run_id, action } => {
                transition_queued(conn, self.guild, *run_id, &self.actor, *action, pending).await
            }
        }
    }

    /// [`Request::apply`] on its own within the batch: a refusal is the request's outcome
    /// (and what it left on `pending` is forgotten); any other error fails the batch.
    async fn one_by_one(
        &self,
        conn: &mut PgConnection,
        pending: &mut Pending,
        locked: bool,
    ) -> Result<Result<Run>> {
        let mark = pending.mark();
        match self
            .apply(conn, pending, locked)
            .instrument(self.span.clone())
            .await
        {
            Ok(run) => Ok(Ok(run)),
            Err(e) if keeps_transaction(&e) => {
                pending.drop_since(mark);
                Ok(Err(e))
            }
            Err(e) => Err(e),
        }
    }
}

/// Hands run creations and transitions to a few workers that batch them ([`Batcher`]).
/// Cheap to clone.
#[derive(Clone)]
pub struct LifecycleBatcher {
    pool: PgPool,
    batches: Batcher<Request>,
}

impl LifecycleBatcher {
    pub fn new(pool: PgPool) -> LifecycleBatcher {
        LifecycleBatcher {
            batches: Batcher::on_pool("run_lifecycle", WORKERS, MAX_BATCH, &pool, run_batch),
            pool,
        }
    }

    /// [`super::create`], batched with concurrent creations and transitions.
    pub async fn create(&self, guild: Snowflake, actor: &Actor, req: RunRequest) -> Result<Run> {
        self.submit(guild, actor, Change::Create(req)).await
    }

    /// [`super::transition`], batched with concurrent creations and transitions.
    pub async fn transition(
        &self,
        guild: Snowflake,
        run_id: i64,
        actor: &Actor,
        action: RunAction,
    ) -> Result<Run> {
        self.submit(guild, actor, Change::Transition { run_id, action })
            .await
    }

    async fn submit(&self, guild: Snowflake, actor: &Actor, change: Change) -> Result<Run> {
        let span = tracing::Span::current();
        self.batches
            .call(
                |reply| Request {
                    guild,
                    actor: actor.clone(),
                    change,
                    span,
                    reply,
                },
                // No worker (the runtime that started them is gone): on our own.
                |request| async move { alone_outcome(&self.pool, &request).await },
            )
            .await
    }
}

async fn run_batch(pool: PgPool, mut batch: Vec<Request>) {
    if batch.len() == 1 {
        for request in batch {
            alone(&pool, request).await;
        }
        return;
    }
    batch.sort_by_key(|r| (r.guild, r.change.order(&r.actor)));
    let span = batch[0].span.clone();
    match together(&pool, &batch).instrument(span).await {
        Ok(outcomes) => {
            for (request, outcome) in batch.into_iter().zip(outcomes) {
                let _ = request.reply.send(outcome);
            }
        }
        Err(Failed::BeforeCommit(error)) => {
            tracing::debug!(%error, size = batch.len(), "run batch failed; running one by one");
            for request in batch {
                alone(&pool, request).await;
            }
        }
        Err(Failed::Commit(error)) => {
            tracing::warn!(%error, size = batch.len(), "committing a run batch failed");
            for request in batch {
                let _ = request.reply.send(Err(shared_error(&error)));
            }
        }
    }
}

enum Failed {
    /// Nothing was committed: each request can run again on its own.
    BeforeCommit(ServiceError),
    /// The commit's answer was lost: what PostgreSQL kept is not known.
    Commit(ServiceError),
}

/// Every request's body in one transaction: the creations ([`creations_together`]), then
/// the transitions ([`transitions_together`]). A refusal is an outcome; any other error
/// fails the batch (the transaction is no longer usable).
async fn together(
    pool: &PgPool,
    batch: &[Request],
) -> std::result::Result<Vec<Result<Run>>, Failed> {
    let before = |e: ServiceError| Failed::BeforeCommit(e);
    let mut tx = store::db::begin_shared(pool, LOCK_WAIT)
        .await
        .map_err(|e| before(e.into()))?;
    let mut outcomes: Vec<Option<Result<Run>>> = batch.iter().map(|_| None).collect();
    let mut pending = Pending::default();
    creations_together(&mut tx, batch, &mut outcomes, &mut pending)
        .await
        .map_err(before)?;
    transitions_together(&mut tx, batch, &mut outcomes, &mut pending)
        .await
        .map_err(before)?;
    pending.write(&mut tx).await.map_err(before)?;
    // The commit waits for other commits (PostgreSQL serialises those of transactions that
    // notify, and each request queued a job): no lock timeout for it.
    sqlx::query("SET LOCAL lock_timeout = 0")
        .execute(&mut *tx)
        .await
        .map_err(|e| before(store::StoreError::from(e).into()))?;
    // Every request has its outcome by now (each of the two covers its own).
    let outcomes: Vec<Result<Run>> =
        outcomes.into_iter().collect::<Option<_>>().ok_or_else(|| {
            before(
                store::StoreError::Corrupt("a run batch request without an outcome".into()).into(),
            )
        })?;
    match tx.commit().await {
        Ok(()) => Ok(outcomes),
        // PostgreSQL refused the commit and rolled the transaction back.
        Err(e @ sqlx::Error::Database(_)) => Err(before(store::StoreError::from(e).into())),
        Err(e) => Err(Failed::Commit(store::StoreError::from(e).into())),
    }
}

/// The batch's creations, checked one by one, then their organizers' activity locks taken
/// with one statement (in the batch's order), and the runs of organizers who ask once in
/// the batch inserted with one more ([`create_many`]). A refusal of a check, and the reason
/// of a run the insert refused, are the request's outcome. An organizer who asks twice goes
/// the single way, both requests in order, with the lock already held.
async fn creations_together(
    conn: &mut PgConnection,
    batch: &[Request],
    outcomes: &mut [Option<Result<Run>>],
    pending: &mut Pending,
) -> Result<()> {
    let mut news = Vec::new();
    for (i, request) in batch.iter().enumerate() {
        let Change::Create(req) = &request.change else {
            continue;
        };
        match new_run(conn, request.guild, &request.actor, req.clone(), pending).await {
            Ok(new) => news.push((i, new)),
            Err(e) if keeps_transaction(&e) => outcomes[i] = Some(Err(e)),
            Err(e) => return Err(e),
        }
    }
    if news.is_empty() {
        return Ok(());
    }
    let mut organizers: Vec<(Snowflake, Snowflake)> = news
        .iter()
        .map(|(_, n)| (n.guild_id, n.organizer_id))
        .collect();
    organizers.dedup();
    store::locks::organizer_activities(conn, &organizers).await?;
    let asks = |n: &NewRun| {
        news.iter()
            .filter(|(_, m)| (m.guild_id, m.organizer_id) == (n.guild_id, n.organizer_id))
            .count()
    };
    let (once, twice): (Vec<_>, Vec<_>) = news.iter().partition(|(_, n)| asks(n) == 1);
    let inserted: Vec<&NewRun> = once.iter().map(|(_, n)| n).collect();
    let runs = create_many(conn, &inserted, pending).await?;
    for ((i, new), run) in once.into_iter().zip(runs) {
        let outcome = match run {
            Some(run) => Ok(run),
            None => {
                let why = create_refused(conn, new.guild_id, new.organizer_id, None).await;
                if !keeps_transaction(&why) {
                    return Err(why);
                }
                Err(why)
            }
        };
        outcomes[*i] = Some(outcome);
    }
    for (i, _) in twice {
        outcomes[*i] = Some(batch[*i].one_by_one(conn, pending, false).await?);
    }
    Ok(())
}

/// The batch's transitions: the starts and ends of runs that appear once in the batch with
/// one statement for the starts and one for the ends ([`transition_many`]), then the rest
/// one by one in the batch's order (cancels, a run changed twice in the batch, and the
/// starts and ends those statements left unchanged, which the locked path refuses with
/// their reason).
async fn transitions_together(
    conn: &mut PgConnection,
    batch: &[Request],
    outcomes: &mut [Option<Result<Run>>],
    pending: &mut Pending,
) -> Result<()> {
    let shared = shared_transitions(batch);
    let requests: Vec<Transition<'_>> = shared.iter().map(|s| s.1).collect();
    let changed = transition_many(conn, &requests, pending).await?;
    let mut locked = vec![false; batch.len()];
    for (&(i, _), run) in shared.iter().zip(changed) {
        match run {
            Some(run) => outcomes[i] = Some(Ok(run)),
            None => locked[i] = true,
        }
    }
    for (i, request) in batch.iter().enumerate() {
        if matches!(request.change, Change::Transition { .. }) && outcomes[i].is_none() {
            outcomes[i] = Some(request.one_by_one(conn, pending, locked[i]).await?);
        }
    }
    Ok(())
}

/// The batch's starts and ends of runs no other request of the batch changes, with their
/// places in the batch: they go together through [`transition_many`] (in the batch's
/// order, so by run).
fn shared_transitions(batch: &[Request]) -> Vec<(usize, Transition<'_>)> {
    let mut times = std::collections::HashMap::new();
    for request in batch {
        if let Change::Transition { run_id, .. } = request.change {
            *times.entry((request.guild, run_id)).or_insert(0) += 1;
        }
    }
    batch
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match r.change {
            Change::Transition { run_id, action }
                if matches!(action, RunAction::Start | RunAction::End)
                    && times.get(&(r.guild, run_id)) == Some(&1) =>
            {
                Some((i, (r.guild, run_id, &r.actor, action)))
            }
            _ => None,
        })
        .collect()
}

/// Whether the transaction is still usable after a request failed with `e`: a refusal
/// decided by the service, not an error PostgreSQL raised (text with a NUL character is
/// refused by PostgreSQL, which aborts the transaction).
fn keeps_transaction(e: &ServiceError) -> bool {
    e.refusal().is_some() && !matches!(e, ServiceError::UnstorableText)
}

async fn alone_outcome(pool: &PgPool, r: &Request) -> Result<Run> {
    match &r.change {
        Change::Create(req) => super::create(pool, r.guild, &r.actor, req.clone()).await,
        Change::Transition { run_id, action } => {
            super::transition(pool, r.guild, *run_id, &r.actor, *action).await
        }
    }
}

async fn alone(pool: &PgPool, r: Request) {
    let outcome = alone_outcome(pool, &r).instrument(r.span.clone()).await;
    let _ = r.reply.send(outcome);
}
