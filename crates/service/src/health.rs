//! Is the database there, and how fast does it answer: for `/ping` and `/v1/health`.

use std::time::Duration;

use store::{PgPool, StoreError};

/// Round-trip time of a trivial query. The error is the store's own (e.g. "connection
/// refused"), for the health check's log line.
pub async fn database_latency(pool: &PgPool) -> Result<Duration, StoreError> {
    store::db::ping(pool).await
}

/// Whether a fresh connection answers a trivial query within `timeout` (the API's outage
/// guard probes this way, outside the pool).
pub async fn probe(pool: &PgPool, timeout: Duration) -> bool {
    store::db::probe(pool, timeout).await
}
