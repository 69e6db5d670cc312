//! The request limiter: RealmEye sees at most one request per `min_interval` from this
//! process, whichever client makes it. Its own test binary, because the schedule is
//! process-wide and the other client tests would share it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use realmeye::{Client, ClientConfig, Lookup};

async fn stub() -> (String, Arc<AtomicUsize>) {
    async fn player(State(hits): State<Arc<AtomicUsize>>) -> String {
        hits.fetch_add(1, Ordering::SeqCst);
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/found_description.html"
        ))
        .unwrap()
    }
    let hits = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .route("/player/{name}", get(player))
        .with_state(hits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), hits)
}

fn client(base: &str, min_interval: Duration) -> Client {
    Client::new(ClientConfig {
        base_url: base.to_owned(),
        min_interval,
        ..ClientConfig::default()
    })
    .unwrap()
}

#[tokio::test]
async fn a_lookup_inside_the_interval_is_held_and_every_client_shares_the_schedule() {
    let (base, hits) = stub().await;
    let hourly = client(&base, Duration::from_secs(3600));
    // The process's first request goes out at once.
    assert!(matches!(
        hourly.player("Stormveil").await,
        Lookup::Found { .. }
    ));
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // The next one is due an hour after the first: it cannot be answered now, and RealmEye
    // has seen nothing more. (Its turn is an hour away, so this holds however slow the
    // machine is.)
    let second = tokio::time::timeout(Duration::from_millis(500), hourly.player("Stormveil")).await;
    assert!(second.is_err(), "answered inside the interval: {second:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // A client with a short interval measures it from the same last request: by now its
    // turn has come, and the dropped lookup above left no place in the queue.
    let quick = client(&base, Duration::from_millis(100));
    assert!(matches!(
        quick.player("Stormveil").await,
        Lookup::Found { .. }
    ));
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    // And the hourly client now waits an hour from that one too.
    let third = tokio::time::timeout(Duration::from_millis(500), hourly.player("Stormveil")).await;
    assert!(third.is_err(), "the schedule is not shared: {third:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}
