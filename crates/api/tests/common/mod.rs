//! A real server on 127.0.0.1:0 over a fresh PostgreSQL database, and a client for it.
#![allow(dead_code)]

use std::time::Duration;

use api::ApiState;
use metrics_exporter_prometheus::PrometheusHandle;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::postgres::PgPoolOptions;
use store::PgPool;
use store::testing::TestDb;
use tokio::sync::oneshot;

pub const KEY: &str = "test-service-key";
pub const GUILD: &str = "500000000000000001";
pub const OTHER_GUILD: &str = "500000000000000002";

pub struct TestApp {
    pub base: String,
    pub key: String,
    pub pool: PgPool,
    pub client: reqwest::Client,
    db: Option<TestDb>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// What a client sees: the status, the headers and the body parsed as JSON (`Null` when
/// there is none).
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    /// The `error.code` of an error answer, after checking the error shape.
    pub fn code(&self) -> &str {
        let error = &self.body["error"];
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "not the error shape: {}",
            self.text
        );
        error["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code: {}", self.text))
    }
}

pub async fn spawn_app() -> TestApp {
    let db = TestDb::new().await;
    let pool = db.pool.clone();
    spawn_with(pool, Some(db), None).await
}

/// A server whose database cannot be reached (nothing listens on port 1).
pub async fn spawn_app_without_database() -> TestApp {
    let pool = PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(1))
        .connect_lazy("postgres://postgres@127.0.0.1:1/raidbot")
        .expect("lazy pool");
    spawn_with(pool, None, None).await
}

pub async fn spawn_app_with_metrics(handle: PrometheusHandle) -> TestApp {
    let db = TestDb::new().await;
    let pool = db.pool.clone();
    spawn_with(pool, Some(db), Some(handle)).await
}

/// A server with a chosen rate limit (the others use the default one).
pub async fn spawn_app_with_rate_limit(limit: api::RateLimit) -> TestApp {
    let db = TestDb::new().await;
    let pool = db.pool.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let state = ApiState {
        pool: pool.clone(),
        read_pool: service::ReadPool::primary(pool.clone()),
        service_key: Some(KEY.to_owned()),
        metrics: None,
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(api::serve(listener, state, Some(limit), async move {
        let _ = stopped.await;
    }));
    TestApp {
        base: format!("http://{addr}"),
        key: KEY.to_owned(),
        pool,
        client: client(),
        db: Some(db),
        stop: Some(stop),
        server: Some(server),
    }
}

/// A server over `pool` (for tests that build their own), keeping `db` alive.
pub async fn spawn_app_on(pool: PgPool, db: TestDb) -> TestApp {
    spawn_with(pool, Some(db), None).await
}

async fn spawn_with(
    pool: PgPool,
    db: Option<TestDb>,
    metrics: Option<PrometheusHandle>,
) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let state = ApiState {
        pool: pool.clone(),
        read_pool: service::ReadPool::primary(pool.clone()),
        service_key: Some(KEY.to_owned()),
        metrics,
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(api::serve(
        listener,
        state,
        Some(api::RateLimit::default()),
        async move {
            let _ = stopped.await;
        },
    ));
    TestApp {
        base: format!("http://{addr}"),
        key: KEY.to_owned(),
        pool,
        client: client(),
        db,
        stop: Some(stop),
        server: Some(server),
    }
}

/// A plain-HTTP client. reqwest is built without a TLS crypto provider, and it wants one
/// installed even for `http://`; a second install (another test) is a no-op.
fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with the service key.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.key)
    }

    pub async fn send(&self, builder: reqwest::RequestBuilder) -> Answer {
        let response = builder.send().await.expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::Null)
        };
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(self.request(Method::POST, path).json(&body))
            .await
    }

    pub async fn post_empty(&self, path: &str) -> Answer {
        self.send(self.request(Method::POST, path)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(self.request(Method::PUT, path).json(&body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(self.request(Method::DELETE, path)).await
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server");
        }
    }
}
