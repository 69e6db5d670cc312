//! Liveness and the database's reachability, for load balancers and monitors.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
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

/// Liveness and database reachability; no key needed.
#[utoipa::path(
    get,
    path = "/v1/health",
    tag = "meta",
    responses(
        (status = 200, description = "The API and its database are up.", body = Health),
        (status = 503, description = "The database cannot be reached.", body = Health),
    )
)]
pub async fn health(State(state): State<ApiState>) -> (StatusCode, Json<Health>) {
    match tokio::time::timeout(PING_TIMEOUT, service::health::database_latency(&state.pool)).await {
        Ok(Ok(latency)) => (
            StatusCode::OK,
            Json(Health {
                status: "ok",
                database: DatabaseHealth {
                    status: "up",
                    latency_ms: Some(u64::try_from(latency.as_millis()).unwrap_or(u64::MAX)),
                },
            }),
        ),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database is down");
            down()
        }
        Err(_) => {
            tracing::warn!("health check: database did not answer in time");
            down()
        }
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
