//! Fast answers while PostgreSQL is unreachable, and a fast return once it is back.
//!
//! Without this, every request during an outage waits the pool's whole acquire timeout
//! (sqlx retries refused connections until then) before its 503. Here, the first request
//! that fails for want of the database, or that is still waiting after [`SUSPECT_AFTER`],
//! starts a probe: a fresh connection with a short timeout. If the probe fails the API is
//! marked down: every request is answered 503 `database_unavailable` with `Retry-After`
//! at once, requests still waiting are answered too, and the probe repeats every
//! [`PROBE_EVERY`] until the database answers, when requests flow again. Health, metrics
//! and the OpenAPI document are not gated: they say for themselves what they can.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use service::PgPool;
use tokio::sync::watch;

use crate::ApiError;

/// A request still unanswered after this long makes the API check the database.
pub const SUSPECT_AFTER: Duration = Duration::from_millis(400);
/// How long a probe waits for a fresh connection and `SELECT 1`.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(800);
/// How often the database is probed while it is down.
pub const PROBE_EVERY: Duration = Duration::from_millis(200);
/// What `Retry-After` says while the database is down (probes run more often than this).
pub const RETRY_AFTER_SECS: u64 = 1;

/// Marks a response as "the database could not be reached", for [`guard`] to notice.
#[derive(Debug, Clone, Copy)]
pub struct DatabaseUnreachable;

/// Whether the database is believed down, and the single probe loop that decides it.
#[derive(Clone)]
pub struct Outage(Arc<Inner>);

struct Inner {
    pool: PgPool,
    down: watch::Sender<bool>,
    probing: AtomicBool,
}

impl Outage {
    pub fn new(pool: PgPool) -> Self {
        Outage(Arc::new(Inner {
            pool,
            down: watch::Sender::new(false),
            probing: AtomicBool::new(false),
        }))
    }

    pub fn is_down(&self) -> bool {
        *self.0.down.borrow()
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
                if service::health::probe(&inner.pool, PROBE_TIMEOUT).await {
                    if inner.down.send_replace(false) {
                        tracing::warn!("the database is reachable again; serving requests");
                    }
                    break;
                }
                if !inner.down.send_replace(true) {
                    tracing::error!("the database is unreachable; answering 503 until it is back");
                }
                tokio::time::sleep(PROBE_EVERY).await;
            }
            inner.probing.store(false, Ordering::Release);
        });
    }
}

fn unavailable() -> Response {
    let mut e = ApiError::unavailable();
    e.retry_after = Some(RETRY_AFTER_SECS);
    e.into_response()
}

/// The middleware: 503 at once while the database is down; otherwise the request runs,
/// and a database failure or a slow answer starts a probe.
pub async fn guard(State(outage): State<Outage>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if matches!(path, "/v1/health" | "/metrics" | "/v1/openapi.json") {
        return next.run(request).await;
    }
    if outage.is_down() {
        return unavailable();
    }
    let mut down = outage.0.down.subscribe();
    let handler = next.run(request);
    tokio::pin!(handler);
    let slow = tokio::time::sleep(SUSPECT_AFTER);
    tokio::pin!(slow);
    let mut suspected = false;
    loop {
        tokio::select! {
            response = &mut handler => {
                if response.extensions().get::<DatabaseUnreachable>().is_some() {
                    outage.suspect();
                }
                return response;
            }
            () = &mut slow, if !suspected => {
                suspected = true;
                outage.suspect();
            }
            // Dropping the handler rolls back its transaction (if it got one): nothing
            // half-applies, and the caller retries after Retry-After.
            Ok(_) = down.wait_for(|down| *down) => return unavailable(),
        }
    }
}
