//! Prometheus metrics: the `/metrics` page and the middleware counting every request.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{ApiError, ApiState};

/// Prometheus text exposition of the process's metrics; no key needed.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "meta",
    responses(
        (status = 200, description = "Prometheus text format.", body = String, content_type = "text/plain"),
        (status = 404, description = "Metrics are not enabled.", body = crate::error::ErrorBody),
    )
)]
pub async fn metrics(State(state): State<ApiState>) -> Response {
    match &state.metrics {
        Some(handle) => {
            shard_gauges(&state).await;
            (
                [(
                    header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                )],
                handle.render(),
            )
                .into_response()
        }
        None => ApiError::not_found("not_found", "Metrics are not enabled on this server.")
            .into_response(),
    }
}

/// Every gateway shard's state, as the bot processes recorded it in PostgreSQL: any API
/// process shows all shards, whichever process runs them. Unreadable: left as they were.
async fn shard_gauges(state: &ApiState) {
    let Ok(shards) = service::gateway::shard_states(&state.pool).await else {
        return;
    };
    for s in shards {
        let shard = s.shard_id.to_string();
        let connected = if service::gateway::is_connected(&s) {
            1.0
        } else {
            0.0
        };
        metrics::gauge!("raidbot_gateway_shard_connected", "shard" => shard.clone()).set(connected);
        if let Some(ms) = s.latency_ms {
            metrics::gauge!("raidbot_gateway_shard_latency_seconds", "shard" => shard.clone())
                .set(f64::from(ms) / 1000.0);
        }
        metrics::gauge!("raidbot_gateway_shard_identifies", "shard" => shard.clone())
            .set(s.identifies as f64);
        metrics::gauge!("raidbot_gateway_shard_resumes", "shard" => shard).set(s.resumes as f64);
    }
}

/// Counts requests by method, route template (never the raw path, which would make one
/// series per id) and status, and records their duration.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(
        "raidbot_api_requests_total",
        "method" => method.clone(),
        "route" => route.clone(),
        "status" => status
    )
    .increment(1);
    metrics::histogram!(
        "raidbot_api_request_duration_seconds",
        "method" => method,
        "route" => route
    )
    .record(started.elapsed().as_secs_f64());
    response
}
