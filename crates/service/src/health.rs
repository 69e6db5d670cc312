//! Is the database there, and how fast does it answer: for `/ping` and `/v1/health`, and
//! the outage detector both adapters use to answer at once while it is down.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::watch;

use store::{PgPool, StoreError};

/// Round-trip time of a trivial query. The error is the store's own (e.g. "connection
/// refused"), for the health check's log line.
pub async fn database_latency(pool: &PgPool) -> Result<Duration, StoreError> {
    store::db::ping(pool).await
}

/// Whether the database answers a fresh connection within `timeout` (the API's outage
/// detector's probe; a pooled connection may wait its whole acquire timeout instead).
pub async fn database_answers(pool: &PgPool, timeout: Duration) -> bool {
    store::db::probe(pool, timeout).await
}

/// Work still unanswered after this long makes an adapter check the database.
pub const SUSPECT_AFTER: Duration = Duration::from_millis(400);
/// How long a probe waits for a fresh connection and `SELECT 1`.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(800);
/// How often the database is probed while it is down.
pub const PROBE_EVERY: Duration = Duration::from_millis(200);

/// Whether the database is believed down, and the single probe loop that decides it.
///
/// Without it, every request or interaction during an outage waits the pool's whole
/// acquire timeout (sqlx retries refused connections until then). An adapter calls
/// [`Outage::suspect`] when work fails for want of the database or is still running after
/// [`SUSPECT_AFTER`]; the probe (a fresh connection with a short timeout) marks the
/// database down while it fails and up at the first success, repeating every
/// [`PROBE_EVERY`]. While down, adapters answer at once ("try again") and give up work
/// that is waiting ([`Outage::went_down`]); dropping it rolls back its transaction.
#[derive(Clone)]
pub struct Outage(Arc<OutageInner>);

struct OutageInner {
    pool: PgPool,
    down: watch::Sender<bool>,
    probing: AtomicBool,
}

impl Outage {
    pub fn new(pool: PgPool) -> Self {
        Outage(Arc::new(OutageInner {
            pool,
            down: watch::Sender::new(false),
            probing: AtomicBool::new(false),
        }))
    }

    pub fn is_down(&self) -> bool {
        *self.0.down.borrow()
    }

    /// Resolves when the database is marked down (at once if it is).
    pub async fn went_down(&self) {
        let mut down = self.0.down.subscribe();
        if down.wait_for(|down| *down).await.is_err() {
            // The sender lives as long as `self`: never reached.
            std::future::pending::<()>().await;
        }
    }

    /// Starts the probe loop unless one runs: it marks the database down while probes
    /// fail and up (and stops) at the first that succeeds.
    pub fn suspect(&self) {
        if self.0.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        let inner = Arc::clone(&self.0);
        tokio::spawn(async move {
            loop {
                if database_answers(&inner.pool, PROBE_TIMEOUT).await {
                    if inner.down.send_replace(false) {
                        tracing::warn!("the database is reachable again");
                    }
                    break;
                }
                if !inner.down.send_replace(true) {
                    tracing::error!(
                        "the database is unreachable; answering \"try again\" until it is back"
                    );
                }
                tokio::time::sleep(PROBE_EVERY).await;
            }
            inner.probing.store(false, Ordering::Release);
        });
    }
}
