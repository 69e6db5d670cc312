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
use store::{PgConnection, PgPool};
use tracing::Instrument;

use super::{Pending, Run, RunRequest, create_queued, transition_queued};
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
    /// `pending` (the batch writes that of all its requests at once).
    async fn apply(&self, conn: &mut PgConnection, pending: &mut Pending) -> Result<Run> {
        match &self.change {
            Change::Create(req) => {
                create_queued(conn, self.guild, &self.actor, req.clone(), None, pending).await
            }
            Change::Transition { run_id, action } => {
                transition_queued(conn, self.guild, *run_id, &self.actor, *action, pending).await
            }
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

/// Every request's body, one after the other, in one transaction. A refusal is an outcome;
/// any other error fails the batch (the transaction is no longer usable).
async fn together(
    pool: &PgPool,
    batch: &[Request],
) -> std::result::Result<Vec<Result<Run>>, Failed> {
    let before = |e: ServiceError| Failed::BeforeCommit(e);
    let mut tx = store::db::begin_shared(pool, LOCK_WAIT)
        .await
        .map_err(|e| before(e.into()))?;
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut pending = Pending::default();
    for request in batch {
        let mark = pending.mark();
        match request
            .apply(&mut tx, &mut pending)
            .instrument(request.span.clone())
            .await
        {
            Ok(run) => outcomes.push(Ok(run)),
            Err(e) if keeps_transaction(&e) => {
                pending.drop_since(mark);
                outcomes.push(Err(e));
            }
            Err(e) => return Err(before(e)),
        }
    }
    pending.write(&mut tx).await.map_err(before)?;
    // The commit waits for other commits (PostgreSQL serialises those of transactions that
    // notify, and each request queued a job): no lock timeout for it.
    sqlx::query("SET LOCAL lock_timeout = 0")
        .execute(&mut *tx)
        .await
        .map_err(|e| before(store::StoreError::from(e).into()))?;
    match tx.commit().await {
        Ok(()) => Ok(outcomes),
        // PostgreSQL refused the commit and rolled the transaction back.
        Err(e @ sqlx::Error::Database(_)) => Err(before(store::StoreError::from(e).into())),
        Err(e) => Err(Failed::Commit(store::StoreError::from(e).into())),
    }
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
