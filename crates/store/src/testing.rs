//! A fresh PostgreSQL database per test.
//!
//! The first test of a run builds a template database with every migration applied (under
//! an advisory lock, so parallel test processes build it once per migration set); each test
//! then gets `CREATE DATABASE … TEMPLATE`, which takes milliseconds. The database is dropped
//! when the `TestDb` is dropped. The server comes from `DATABASE_URL` (its database name is
//! ignored) or `postgres://postgres@127.0.0.1:5432`.

mod proxy;
pub mod queries;

pub use proxy::TcpProxy;

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor, PgConnection};
use std::str::FromStr;

use crate::PgPool;
use crate::db::MIGRATOR;

pub struct TestDb {
    pub pool: PgPool,
    pub url: String,
    name: String,
    admin: PgConnectOptions,
}

fn server_options() -> PgConnectOptions {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    PgConnectOptions::from_str(&url)
        .unwrap_or_else(|e| panic!("DATABASE_URL is not a PostgreSQL URL: {e}"))
        .database("postgres")
        .log_statements(tracing::log::LevelFilter::Off)
}

fn url_of(opts: &PgConnectOptions, db: &str) -> String {
    let user = opts.get_username();
    format!(
        "postgres://{user}@{}:{}/{db}",
        opts.get_host(),
        opts.get_port()
    )
}

/// Name of the template for the current migration set: a new migration makes a new one.
fn template_name() -> String {
    let last = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    let sum: u64 = MIGRATOR
        .iter()
        .flat_map(|m| m.checksum.iter())
        .fold(0u64, |acc, b| {
            acc.wrapping_mul(31).wrapping_add(u64::from(*b))
        });
    format!("raidbot_tpl_{last}_{:x}", sum & 0xffff_ffff)
}

async fn ensure_template(admin: &mut PgConnection, opts: &PgConnectOptions) -> String {
    let name = template_name();
    admin
        .execute("SELECT pg_advisory_lock(727274)")
        .await
        .expect("advisory lock");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut *admin)
            .await
            .expect("query pg_database");
    if !exists {
        let building = format!("{name}_building");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {building}"
        )))
        .execute(&mut *admin)
        .await
        .expect("drop stale template");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {building}")))
            .execute(&mut *admin)
            .await
            .expect("create template");
        let mut conn = PgConnection::connect_with(&opts.clone().database(&building))
            .await
            .expect("connect template");
        MIGRATOR.run(&mut conn).await.expect("migrate template");
        conn.close().await.ok();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "ALTER DATABASE {building} RENAME TO {name}"
        )))
        .execute(&mut *admin)
        .await
        .expect("rename template");
    }
    admin
        .execute("SELECT pg_advisory_unlock(727274)")
        .await
        .expect("advisory unlock");
    name
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestDb {
    pub async fn new() -> TestDb {
        let admin_opts = server_options();
        let mut admin = PgConnection::connect_with(&admin_opts)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "tests need PostgreSQL at {}:{} ({e})",
                    admin_opts.get_host(),
                    admin_opts.get_port()
                )
            });
        let template = ensure_template(&mut admin, &admin_opts).await;
        let name = format!(
            "raidbot_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            rand::random::<u32>()
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {name} TEMPLATE {template}"
        )))
        .execute(&mut admin)
        .await
        .expect("create test database");
        admin.close().await.ok();
        let url = url_of(&admin_opts, &name);
        let pool = crate::db::connect(&url, 20)
            .await
            .expect("connect test database");
        TestDb {
            pool,
            url,
            name,
            admin: admin_opts,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        drop_database(self.admin.clone(), self.name.clone());
    }
}

/// Drops database `name` on the server of `admin`, from inside or outside a runtime (the
/// async I/O runs on a thread of its own). FORCE ends open connections; a failure only
/// leaves a database behind.
pub fn drop_database(admin: PgConnectOptions, name: String) {
    let handle = std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async move {
            if let Ok(mut conn) = PgConnection::connect_with(&admin).await {
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await;
            }
        });
    });
    let _ = handle.join();
}
