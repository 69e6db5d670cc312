//! Fast answers while PostgreSQL is unreachable, and a fast return once it is back.
//!
//! Without this, every request during an outage waits the pool's whole acquire timeout
//! (sqlx retries refused connections until then) before its 503. Here, the first request
//! that fails for want of the database, or that is still waiting after [`SUSPECT_AFTER`],
//! starts a probe ([`Outage`], shared with the bot). While the database is marked down
//! every request is answered 503 `database_unavailable` with `Retry-After` at once,
//! requests still waiting are answered too, and requests flow again when a probe succeeds. Health, metrics
//! and the OpenAPI document are not gated: they say for themselves what they can.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
pub use service::health::Outage;
use service::health::SUSPECT_AFTER;

use crate::ApiError;

/// What `Retry-After` says while the database is down (probes run more often than this).
pub const RETRY_AFTER_SECS: u64 = 1;

/// Marks a response as "the database could not be reached", for [`guard`] to notice.
#[derive(Debug, Clone, Copy)]
pub struct DatabaseUnreachable;

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
            () = outage.went_down() => return unavailable(),
        }
    }
}
