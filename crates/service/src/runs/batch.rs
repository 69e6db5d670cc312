//! Joins that arrive together share one transaction and one commit.
//!
//! A join is a handful of short statements and a commit, and the commit is most of its cost:
//! the WAL flush, and PostgreSQL serialises the commits of transactions that notify (every
//! join queues a job and wakes the dispatcher). Under a burst, joins queue here while the
//! workers are busy; a free worker takes everything queued (up to [`MAX_BATCH`]) and runs it
//! in one transaction, in a fixed order (guild, run, raider) so two batches never wait on
//! each other in a cycle. Each join still gets its own outcome, sent after the commit.
//!
//! When the machine is idle a join runs alone, as before: nothing waits to fill a batch.
//! A refusal (closed run, suspended member, ...) is decided before the join writes
//! anything, so it does not spoil the batch; a database error does, and then every join of
//! the batch runs again on its own. Joins of a capped run always take the single path (its
//! exclusive lock counts the raiders).

use std::sync::{Arc, OnceLock};

use domain::Snowflake;
use store::PgPool;
use tokio::sync::{Mutex, mpsc, oneshot};
use tracing::Instrument;

use super::roster::{JoinOutcome, join_in_batch, join_inner};
use crate::{Actor, Result};

/// Most joins in one transaction.
pub const MAX_BATCH: usize = 64;
/// Transactions in flight at once (each holds a pooled connection).
const WORKERS: usize = 4;
/// Joins waiting for a worker before callers wait to hand theirs in.
const QUEUE: usize = 4096;

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
    reply: oneshot::Sender<Result<JoinOutcome>>,
}

/// Hands joins to a few workers that batch them. Cheap to clone; the workers start with the
/// first join (inside the caller's runtime) and stop when the last handle is dropped.
#[derive(Clone)]
pub struct JoinBatcher {
    pool: PgPool,
    queue: Arc<OnceLock<mpsc::Sender<Request>>>,
}

impl JoinBatcher {
    pub fn new(pool: PgPool) -> JoinBatcher {
        JoinBatcher {
            pool,
            queue: Arc::new(OnceLock::new()),
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
        let (reply, answer) = oneshot::channel();
        let request = Request {
            guild,
            run_id,
            actor: actor.clone(),
            user,
            class: class.map(str::to_owned),
            counted,
            span: tracing::Span::current(),
            reply,
        };
        let queue = self.queue.get_or_init(|| start(self.pool.clone()));
        if let Err(mpsc::error::SendError(request)) = queue.send(request).await {
            // No worker (the runtime that started them is gone): join on our own.
            return join_inner(
                &self.pool,
                guild,
                run_id,
                &request.actor,
                user,
                request.class.as_deref(),
                counted,
            )
            .await;
        }
        match answer.await {
            Ok(outcome) => outcome,
            Err(_) => Err(crate::ServiceError::Internal(
                "the join worker stopped before answering".into(),
            )),
        }
    }
}

fn start(pool: PgPool) -> mpsc::Sender<Request> {
    let (tx, rx) = mpsc::channel(QUEUE);
    let rx = Arc::new(Mutex::new(rx));
    for _ in 0..WORKERS {
        tokio::spawn(worker(pool.clone(), rx.clone()));
    }
    tx
}

async fn worker(pool: PgPool, queue: Arc<Mutex<mpsc::Receiver<Request>>>) {
    loop {
        let mut batch = Vec::new();
        {
            let mut queue = queue.lock().await;
            match queue.recv().await {
                Some(first) => batch.push(first),
                None => return,
            }
            while batch.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
        }
        metrics::histogram!("raidbot_join_batch_size").record(batch.len() as f64);
        run_batch(&pool, batch).await;
    }
}

async fn run_batch(pool: &PgPool, mut batch: Vec<Request>) {
    if batch.len() > 1 {
        batch.sort_by_key(|r| (r.guild, r.run_id, r.user));
        let span = batch[0].span.clone();
        match together(pool, &batch).instrument(span).await {
            Ok(outcomes) => {
                for (request, outcome) in batch.into_iter().zip(outcomes) {
                    match outcome {
                        Some(outcome) => {
                            let _ = request.reply.send(outcome);
                        }
                        None => alone(pool, request).await,
                    }
                }
                return;
            }
            Err(error) => {
                tracing::debug!(%error, size = batch.len(), "join batch failed; joining one by one");
            }
        }
    }
    for request in batch {
        alone(pool, request).await;
    }
}

/// Every join of the batch in one transaction; `None` for a join that must run alone.
async fn together(pool: &PgPool, batch: &[Request]) -> Result<Vec<Option<Result<JoinOutcome>>>> {
    let mut tx = pool.begin().await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for r in batch {
        let outcome = join_in_batch(
            &mut tx,
            r.guild,
            r.run_id,
            &r.actor,
            r.user,
            r.class.as_deref(),
            r.counted,
        )
        .await;
        match outcome {
            Ok(joined) => outcomes.push(joined.map(Ok)),
            // Refusals are decided before anything is written.
            Err(refused) if refused.refusal().is_some() => outcomes.push(Some(Err(refused))),
            Err(failed) => return Err(failed),
        }
    }
    tx.commit().await?;
    Ok(outcomes)
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
