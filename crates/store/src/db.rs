//! Connecting, creating the database when it is missing, and migrating.

use sqlx::ConnectOptions;
use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

use crate::{PgPool, Result, StoreError};

/// The migrations in `crates/store/migrations`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("DATABASE_URL is not a valid PostgreSQL URL: {0}")]
    BadUrl(String),
    #[error("cannot reach the database at {address}: {reason}")]
    Unreachable { address: String, reason: String },
    #[error("migrating the database at {address} failed: {reason}")]
    Migrate { address: String, reason: String },
}

/// Host, port and database of a URL, without the password, for error lines.
pub fn describe(url: &str) -> String {
    match PgConnectOptions::from_str(url) {
        Ok(o) => format!(
            "{}:{}/{}",
            o.get_host(),
            o.get_port(),
            o.get_database().unwrap_or("postgres")
        ),
        Err(_) => "<invalid DATABASE_URL>".to_owned(),
    }
}

/// Creates the database named in `url` when it does not exist. Two processes racing to
/// create it are fine: the loser sees it exists.
pub async fn create_if_missing(url: &str) -> Result<(), ConnectError> {
    PgConnectOptions::from_str(url).map_err(|e| ConnectError::BadUrl(e.to_string()))?;
    let unreachable = |e: sqlx::Error| ConnectError::Unreachable {
        address: describe(url),
        reason: e.to_string(),
    };
    if sqlx::Postgres::database_exists(url)
        .await
        .map_err(unreachable)?
    {
        return Ok(());
    }
    match sqlx::Postgres::create_database(url).await {
        Ok(()) => Ok(()),
        // 42P04: it exists; 23505: a concurrent CREATE DATABASE won the race.
        Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("42P04" | "23505")) => {
            Ok(())
        }
        Err(e) => Err(unreachable(e)),
    }
}

/// A pool for `url`. Fails fast (a few seconds) when the server is unreachable.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, ConnectError> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| ConnectError::BadUrl(e.to_string()))?
        .log_statements(tracing::log::LevelFilter::Trace)
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .map_err(|e| ConnectError::Unreachable {
            address: describe(url),
            reason: e.to_string(),
        })
}

/// Applies pending migrations. sqlx holds an advisory lock while it migrates, so two
/// processes starting at once apply each migration once.
pub async fn migrate(pool: &PgPool, url: &str) -> Result<(), ConnectError> {
    MIGRATOR.run(pool).await.map_err(|e| ConnectError::Migrate {
        address: describe(url),
        reason: e.to_string(),
    })
}

/// Create if missing, connect, migrate: what every entry point does at start-up.
pub async fn prepare(url: &str, max_connections: u32) -> Result<PgPool, ConnectError> {
    create_if_missing(url).await?;
    let pool = connect(url, max_connections).await?;
    migrate(&pool, url).await?;
    Ok(pool)
}

/// Begins a transaction whose statements PostgreSQL plans once per connection instead of on
/// every call (`plan_cache_mode = force_generic_plan`, for this transaction only; the `SET`
/// goes in the same round trip as the `BEGIN`). For the hot short writes (a join batch,
/// creating, starting and ending a run), whose statements find rows by key: with the
/// default mode PostgreSQL kept re-planning them (`pg_stat_statements`: the jobs insert
/// 0.18 ms planning to 0.10 ms executing per call, a run's award read 0.52 to 0.04 ms).
/// Not for reads whose best plan depends on the values (date ranges, optional filters).
pub async fn begin_generic(pool: &PgPool) -> Result<crate::Transaction<'static, crate::Postgres>> {
    Ok(pool
        .begin_with("BEGIN; SET LOCAL plan_cache_mode = force_generic_plan")
        .await?)
}

/// [`begin_generic`] for a transaction that several requests share: a statement that waits
/// for a lock longer than `lock_wait` fails (and with it the shared transaction, whose
/// requests then run on their own) instead of holding the others.
pub async fn begin_shared(
    pool: &PgPool,
    lock_wait: Duration,
) -> Result<crate::Transaction<'static, crate::Postgres>> {
    let sql = format!(
        "BEGIN; SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL lock_timeout = {}",
        lock_wait.as_millis().max(1)
    );
    Ok(pool.begin_with(sqlx::AssertSqlSafe(sql)).await?)
}

/// Round-trip time of a trivial query, for health checks and `/ping`.
pub async fn ping(pool: &PgPool) -> Result<Duration> {
    let started = std::time::Instant::now();
    sqlx::query("SELECT 1")
        .execute(pool)
        .await
        .map_err(StoreError::from)?;
    Ok(started.elapsed())
}

/// Whether the database answers a fresh connection (not one from the pool, which may
/// wait its whole acquire timeout while the server refuses connections) within
/// `timeout`: the outage detector's probe.
pub async fn probe(pool: &PgPool, timeout: Duration) -> bool {
    use sqlx::Connection;
    let options = pool.connect_options();
    let attempt = async {
        let mut conn = sqlx::PgConnection::connect_with(&options).await?;
        sqlx::query("SELECT 1").execute(&mut conn).await?;
        conn.close().await
    };
    matches!(tokio::time::timeout(timeout, attempt).await, Ok(Ok(())))
}
