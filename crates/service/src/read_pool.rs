//! Where leaderboard and stats reads go: a streaming replica (`DATABASE_READ_URL`) while it
//! answers, the primary while it does not. A replica that dies after start would otherwise
//! fail every read for the pool's acquire timeout (5 s); a watcher asks it `SELECT 1` every
//! [`CHECK_EVERY`] with a short timeout, sends the reads to the primary after the first
//! miss and back to the replica once it answers again. Each switch is logged, and the
//! gauge `raidbot_read_replica_in_use` says which one serves (1 the replica, 0 the primary).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use store::PgPool;

/// How often the watcher asks the replica.
pub const CHECK_EVERY: Duration = Duration::from_millis(500);
/// How long the replica has to answer a check.
pub const CHECK_TIMEOUT: Duration = Duration::from_millis(800);

/// The pool leaderboard and stats reads use. Cheap to clone; never written through.
#[derive(Clone)]
pub struct ReadPool {
    primary: PgPool,
    replica: Option<Replica>,
}

#[derive(Clone)]
struct Replica {
    pool: PgPool,
    up: Arc<AtomicBool>,
}

impl ReadPool {
    /// Reads go to the primary (no replica configured).
    pub fn primary(primary: PgPool) -> ReadPool {
        ReadPool {
            primary,
            replica: None,
        }
    }

    /// Reads go to `replica` while it answers, else to `primary`. Call [`ReadPool::watch`]
    /// to follow its health.
    pub fn with_replica(primary: PgPool, replica: PgPool) -> ReadPool {
        metrics::gauge!("raidbot_read_replica_in_use").set(1.0);
        ReadPool {
            primary,
            replica: Some(Replica {
                pool: replica,
                up: Arc::new(AtomicBool::new(true)),
            }),
        }
    }

    /// The pool to read from now.
    pub fn pool(&self) -> &PgPool {
        match &self.replica {
            Some(r) if r.up.load(Ordering::Relaxed) => &r.pool,
            _ => &self.primary,
        }
    }

    /// Whether reads go to the replica now.
    pub fn on_replica(&self) -> bool {
        self.replica
            .as_ref()
            .is_some_and(|r| r.up.load(Ordering::Relaxed))
    }

    /// Closes the replica's connections (the primary's pool is its owner's to close).
    pub async fn close(&self) {
        if let Some(r) = &self.replica {
            r.pool.close().await;
        }
    }

    /// Checks the replica every [`CHECK_EVERY`] while a clone of this pool lives (nothing
    /// to do without a replica).
    pub fn watch(&self) {
        let Some(r) = &self.replica else {
            return;
        };
        let pool = r.pool.clone();
        let up = Arc::downgrade(&r.up);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(CHECK_EVERY).await;
                // A fresh connection: the pool's own would wait its acquire timeout.
                let answered = store::db::probe(&pool, CHECK_TIMEOUT).await;
                let Some(up) = up.upgrade() else {
                    return;
                };
                let was = up.swap(answered, Ordering::Relaxed);
                if was == answered {
                    continue;
                }
                metrics::gauge!("raidbot_read_replica_in_use").set(f64::from(u8::from(answered)));
                if answered {
                    tracing::warn!(
                        "the read replica answers again: leaderboard and stats reads go back to it"
                    );
                } else {
                    tracing::warn!(
                        "the read replica does not answer: leaderboard and stats reads fall back to the primary"
                    );
                }
            }
        });
    }
}
