//! Liveness and the database's reachability, for load balancers and monitors.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::ApiState;

/// How long the health check waits for the database before calling it down.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the API can serve requests, `unavailable` when the database is down.
    #[schema(example = "ok")]
    pub status: &'static str,
    pub database: DatabaseHealth,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DatabaseHealth {
    /// `up` or `down`.
    #[schema(example = "up")]
    pub status: &'static str,
    /// Round trip of a trivial query; absent when the database is down.
    pub latency_ms: Option<u64>,
}

/// How often the background check pings the database while `/v1/health` is being asked.
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// A check older than this is not trusted (the background task is gone): ping inline.
const TRUST_FOR: Duration = Duration::from_secs(3);

/// The database's state as the last background check saw it. Load balancers ask
/// `/v1/health` many times a second; answering from a check at most about a second old
/// costs no database round trip per request, while an outage still shows within about a
/// second (plus the ping's own timeout when the database hangs).
#[derive(Clone, Default)]
pub struct Monitor(Arc<Mutex<MonitorState>>);

#[derive(Default)]
struct MonitorState {
    /// When the last check finished and what it found (`None`: down).
    last: Option<(Instant, Option<Duration>)>,
    checking: bool,
}

impl Monitor {
    fn lock(&self) -> std::sync::MutexGuard<'_, MonitorState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The last check when it is recent enough to answer with.
    fn recent(&self) -> Option<Option<Duration>> {
        let state = self.lock();
        let (at, found) = state.last?;
        (at.elapsed() <= TRUST_FOR).then_some(found)
    }

    fn record(&self, found: Option<Duration>) {
        self.lock().last = Some((Instant::now(), found));
    }

    /// Starts the background check unless it runs; it stops once nobody holds the monitor
    /// (the router was dropped).
    fn ensure_checking(&self, pool: &service::PgPool) {
        {
            let mut state = self.lock();
            if state.checking {
                return;
            }
            state.checking = true;
        }
        let weak = Arc::downgrade(&self.0);
        let pool = pool.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(CHECK_EVERY).await;
                let found = check(&pool).await;
                match weak.upgrade() {
                    Some(inner) => Monitor(inner).record(found),
                    None => return,
                }
            }
        });
    }
}

async fn check(pool: &service::PgPool) -> Option<Duration> {
    match tokio::time::timeout(PING_TIMEOUT, service::health::database_latency(pool)).await {
        Ok(Ok(latency)) => Some(latency),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database is down");
            None
        }
        Err(_) => {
            tracing::warn!("health check: database did not answer in time");
            None
        }
    }
}

/// Liveness and database reachability; no key needed. The database part comes from a
/// background check at most about a second old (`latency_ms` is that check's round trip).
#[utoipa::path(
    get,
    path = "/v1/health",
    tag = "meta",
    responses(
        (status = 200, description = "The API and its database are up.", body = Health),
        (status = 503, description = "The database cannot be reached.", body = Health),
    )
)]
pub async fn health(
    State(state): State<ApiState>,
    Extension(monitor): Extension<Monitor>,
) -> (StatusCode, Json<Health>) {
    monitor.ensure_checking(&state.pool);
    let found = match monitor.recent() {
        Some(found) => found,
        None => {
            let found = check(&state.pool).await;
            monitor.record(found);
            found
        }
    };
    match found {
        Some(latency) => (
            StatusCode::OK,
            Json(Health {
                status: "ok",
                database: DatabaseHealth {
                    status: "up",
                    latency_ms: Some(u64::try_from(latency.as_millis()).unwrap_or(u64::MAX)),
                },
            }),
        ),
        None => down(),
    }
}

fn down() -> (StatusCode, Json<Health>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(Health {
            status: "unavailable",
            database: DatabaseHealth {
                status: "down",
                latency_ms: None,
            },
        }),
    )
}
