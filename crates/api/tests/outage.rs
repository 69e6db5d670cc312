//! PostgreSQL becoming unreachable and coming back, through a TCP proxy the test cuts.

// A failed unwrap is a failed test, with its line.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{GUILD, spawn_app_on};
use reqwest::StatusCode;
use serde_json::json;
use store::testing::{TcpProxy, TestDb};

/// The API over a pool that reaches PostgreSQL only through `Proxy`, built as in
/// production (`store::db::connect`: 5 s acquire timeout).
async fn app_behind_proxy() -> (common::TestApp, TcpProxy) {
    let db = TestDb::new().await;
    let (proxy, url) = TcpProxy::to(&db.url).await;
    let pool = store::db::connect(&url, 5).await.unwrap();
    (spawn_app_on(pool, db).await, proxy)
}

/// Cut PostgreSQL off: the API answers 503 `database_unavailable` with `Retry-After`
/// well before the pool's 5 s acquire timeout (then at once), writes tried meanwhile leave
/// nothing behind, and within a second of PostgreSQL's return requests succeed again.
#[tokio::test]
async fn a_database_outage_is_a_quick_503_and_recovery_is_prompt() {
    let (app, mut proxy) = app_behind_proxy().await;
    let roles = format!("/v1/guilds/{GUILD}/config/roles");
    let channels = format!("/v1/guilds/{GUILD}/config/channels");
    assert_eq!(app.get(&roles).await.status, StatusCode::OK);

    proxy.cut();
    let started = Instant::now();
    let first = app.get(&roles).await;
    let first_503 = started.elapsed();
    assert_eq!(
        first.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        first.text
    );
    assert_eq!(first.code(), "database_unavailable");
    assert!(first.headers.contains_key("retry-after"));
    assert!(
        first_503 < Duration::from_secs(3),
        "the first 503 took {first_503:?}, about the pool's acquire timeout"
    );

    // While it is down: every answer is an immediate 503, writes included.
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let t = Instant::now();
        let answer = app
            .put(&channels, json!({"raid": "800000000000000001"}))
            .await;
        slowest = slowest.max(t.elapsed());
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.code(), "database_unavailable");
        let retry: u64 = answer.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=5).contains(&retry));
    }
    assert!(
        slowest < Duration::from_secs(1),
        "a 503 while down took {slowest:?}"
    );

    tokio::time::sleep(Duration::from_millis(500)).await;
    proxy.restore();
    let back = Instant::now();
    let recovery = loop {
        let answer = app.get(&roles).await;
        if answer.status == StatusCode::OK {
            break back.elapsed();
        }
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(back.elapsed() < Duration::from_secs(10), "never recovered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        recovery < Duration::from_secs(2),
        "requests succeeded {recovery:?} after the database came back"
    );
    // Nothing tried during the outage was stored.
    assert_eq!(app.get(&channels).await.body, json!({}));
    let set = app
        .put(&channels, json!({"raid": "800000000000000001"}))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    println!(
        "outage figures: first 503 after {first_503:?}, slowest 503 while down {slowest:?}, \
         requests succeed {recovery:?} after the database returns"
    );
}
