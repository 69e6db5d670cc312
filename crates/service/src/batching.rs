//! Small writes that arrive together share one statement and one commit.
//!
//! A hot path's short writes (a join, taking an interaction, a member's roles, a command log
//! line) cost little to execute and much to commit: the WAL flush, and the round trip. Under
//! a burst they queue in a [`Batcher`] while its workers are busy; a free worker takes
//! everything queued (up to its batch size) and hands it to the batch's function, which
//! writes it in one go and answers each request. When the machine is idle a request goes
//! alone (a batch of one): nothing waits for a batch to fill.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use tokio::sync::{Mutex, mpsc, oneshot};

/// Requests waiting for a worker before callers wait to hand theirs in.
const QUEUE: usize = 4096;

type Handler<R> = dyn Fn(Vec<R>) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync;

/// Hands requests to a few workers that take them in batches. Cheap to clone; the workers
/// start with the first request (inside the caller's runtime) and stop when the last handle
/// is dropped. A request carries its own way to answer (a oneshot sender, say): the
/// function answers every request of its batch.
pub struct Batcher<R: Send + 'static> {
    kind: &'static str,
    workers: usize,
    most: usize,
    handler: Arc<Handler<R>>,
    queue: Arc<OnceLock<mpsc::Sender<R>>>,
}

impl<R: Send + 'static> Clone for Batcher<R> {
    fn clone(&self) -> Self {
        Batcher {
            kind: self.kind,
            workers: self.workers,
            most: self.most,
            handler: self.handler.clone(),
            queue: self.queue.clone(),
        }
    }
}

impl<R: Send + 'static> Batcher<R> {
    /// `kind` names the batches in the `raidbot_batch_size` histogram; `workers` batches
    /// run at once (each holds a pooled connection), each of at most `most` requests.
    pub fn new<F, Fut>(kind: &'static str, workers: usize, most: usize, handler: F) -> Self
    where
        F: Fn(Vec<R>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Batcher {
            kind,
            workers: workers.max(1),
            most: most.max(1),
            handler: Arc::new(move |batch| Box::pin(handler(batch))),
            queue: Arc::new(OnceLock::new()),
        }
    }

    /// A batcher whose function writes each batch through `pool` (the function gets its own
    /// handle of it per batch): the shape of every batched write in the service.
    pub fn on_pool<F, Fut>(
        kind: &'static str,
        workers: usize,
        most: usize,
        pool: &store::PgPool,
        handler: F,
    ) -> Self
    where
        F: Fn(store::PgPool, Vec<R>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let pool = pool.clone();
        Batcher::new(kind, workers, most, move |batch| {
            handler(pool.clone(), batch)
        })
    }

    /// Queues `request` for the next free worker; gives it back when no worker can take it
    /// (the runtime that started them is gone), for the caller to handle on its own.
    pub async fn submit(&self, request: R) -> Result<(), R> {
        let queue = self.queue.get_or_init(|| self.start());
        queue.send(request).await.map_err(|e| e.0)
    }

    /// Builds a request around a reply channel (`make`), queues it and waits for the
    /// batch's answer; `alone` gets the request back to handle on its own when no worker
    /// can take it.
    pub async fn call<T, Fut>(
        &self,
        make: impl FnOnce(Reply<T>) -> R,
        alone: impl FnOnce(R) -> Fut,
    ) -> crate::Result<T>
    where
        Fut: Future<Output = crate::Result<T>>,
    {
        let (reply, answer) = oneshot::channel();
        if let Err(request) = self.submit(make(reply)).await {
            return alone(request).await;
        }
        answer.await.unwrap_or_else(|_| {
            Err(crate::ServiceError::Internal(format!(
                "the {} worker stopped before answering",
                self.kind
            )))
        })
    }

    fn start(&self) -> mpsc::Sender<R> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..self.workers {
            tokio::spawn(worker(
                self.kind,
                self.most,
                self.handler.clone(),
                rx.clone(),
            ));
        }
        tx
    }
}

async fn worker<R: Send + 'static>(
    kind: &'static str,
    most: usize,
    handler: Arc<Handler<R>>,
    queue: Arc<Mutex<mpsc::Receiver<R>>>,
) {
    loop {
        let mut batch = Vec::new();
        {
            let mut queue = queue.lock().await;
            match queue.recv().await {
                Some(first) => batch.push(first),
                None => return,
            }
            while batch.len() < most {
                match queue.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
        }
        metrics::histogram!("raidbot_batch_size", "kind" => kind).record(batch.len() as f64);
        handler(batch).await;
    }
}

/// Where a batched request's answer goes.
pub type Reply<T> = oneshot::Sender<crate::Result<T>>;

/// Gives every request of a batch that succeeded or failed as a whole the same answer (see
/// [`shared_error`] for a failure).
pub fn answer_all(replies: impl IntoIterator<Item = Reply<()>>, result: &crate::Result<()>) {
    for reply in replies {
        let _ = reply.send(match result {
            Ok(()) => Ok(()),
            Err(e) => Err(shared_error(e)),
        });
    }
}

/// The error a batch's failure gives each of its requests: "the database is unreachable"
/// stays that (the adapters tell the member to try again), anything else is internal.
pub fn shared_error(error: &crate::ServiceError) -> crate::ServiceError {
    match error {
        crate::ServiceError::Unavailable => crate::ServiceError::Unavailable,
        other => crate::ServiceError::Internal(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::sync::oneshot;

    #[tokio::test]
    async fn every_request_is_answered_and_requests_queued_together_share_a_batch() {
        let batches = Arc::new(AtomicUsize::new(0));
        let seen = batches.clone();
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let held = gate.clone();
        let batcher = Batcher::new(
            "test",
            1,
            64,
            move |batch: Vec<(u32, oneshot::Sender<u32>)>| {
                let seen = seen.clone();
                let held = held.clone();
                async move {
                    // The first batch waits until the rest are queued behind it.
                    if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                        held.acquire().await.unwrap().forget();
                    }
                    for (n, reply) in batch {
                        let _ = reply.send(n * 2);
                    }
                }
            },
        );
        let mut answers = Vec::new();
        for n in 0..10u32 {
            let (tx, rx) = oneshot::channel();
            batcher.submit((n, tx)).await.unwrap();
            answers.push(rx);
            if n == 0 {
                // Let the worker take the first request alone.
                while batches.load(Ordering::SeqCst) == 0 {
                    tokio::task::yield_now().await;
                }
            }
        }
        gate.add_permits(1);
        let mut got = Vec::new();
        for rx in answers {
            got.push(rx.await.unwrap());
        }
        assert_eq!(got, (0..10).map(|n| n * 2).collect::<Vec<_>>());
        // The first alone, the nine queued behind it together.
        assert_eq!(batches.load(Ordering::SeqCst), 2);
    }
}
