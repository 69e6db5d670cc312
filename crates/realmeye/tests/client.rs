//! The client against a local stub of RealmEye: found, 404, 429, 500, slow, garbage.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use realmeye::{Client, ClientConfig, Lookup, USER_AGENT};

#[derive(Clone, Default)]
struct Stub {
    hits: Arc<AtomicUsize>,
    agents: Arc<std::sync::Mutex<Vec<String>>>,
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

async fn player(
    State(stub): State<Stub>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> axum::response::Response {
    let n = stub.hits.fetch_add(1, Ordering::SeqCst);
    if let Some(ua) = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    {
        stub.agents.lock().unwrap().push(ua.to_owned());
    }
    match name.as_str() {
        "Stormveil" => fixture("found_description.html").into_response(),
        "Missing" => (StatusCode::NOT_FOUND, fixture("not_found.html")).into_response(),
        "Busy" => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "0")],
            "slow down",
        )
            .into_response(),
        "Down" => (StatusCode::INTERNAL_SERVER_ERROR, "oops").into_response(),
        // Fails twice, then answers: retries get there.
        "Flaky" if n < 2 => (StatusCode::BAD_GATEWAY, "bad gateway").into_response(),
        "Flaky" => fixture("found_description.html").into_response(),
        "Slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            fixture("found_description.html").into_response()
        }
        "Garbage" => "<html><body>\u{0}\u{1}<<<not a profile".into_response(),
        "Forbidden" => (StatusCode::FORBIDDEN, "no").into_response(),
        _ => fixture("private.html").into_response(),
    }
}

async fn stub() -> (String, Stub) {
    let state = Stub::default();
    let app = Router::new()
        .route("/player/{name}", get(player))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), state)
}

fn client(base: &str) -> Client {
    Client::new(ClientConfig {
        base_url: base.to_owned(),
        timeout: Duration::from_millis(800),
        min_interval: Duration::from_millis(20),
        retries: 2,
        backoff: Duration::from_millis(10),
    })
    .unwrap()
}

#[tokio::test]
async fn found_with_its_description_and_user_agent() {
    let (base, s) = stub().await;
    let got = client(&base).player("Stormveil").await;
    let Lookup::Found {
        name,
        description_lines,
        ..
    } = got
    else {
        panic!("{got:?}");
    };
    assert_eq!(name, "Stormveil");
    assert!(description_lines.contains(&"RAID-7F3K9Q".to_owned()));
    assert_eq!(s.agents.lock().unwrap().as_slice(), [USER_AGENT]);
}

#[tokio::test]
async fn a_404_is_not_found_and_not_retried() {
    let (base, s) = stub().await;
    assert_eq!(client(&base).player("Missing").await, Lookup::NotFound);
    assert_eq!(s.hits.load(Ordering::SeqCst), 1);
    assert_eq!(client(&base).player("Hidden").await, Lookup::Private);
}

#[tokio::test]
async fn a_429_and_a_500_are_retried_then_unavailable() {
    let (base, s) = stub().await;
    let got = client(&base).player("Busy").await;
    assert!(
        matches!(&got, Lookup::Unavailable(why) if why.contains("429")),
        "{got:?}"
    );
    assert_eq!(s.hits.load(Ordering::SeqCst), 3, "one try and two retries");
    let (base, s) = stub().await;
    let got = client(&base).player("Down").await;
    assert!(
        matches!(&got, Lookup::Unavailable(why) if why.contains("500")),
        "{got:?}"
    );
    assert_eq!(s.hits.load(Ordering::SeqCst), 3);
    let (base, s) = stub().await;
    assert!(matches!(
        client(&base).player("Flaky").await,
        Lookup::Found { .. }
    ));
    assert_eq!(s.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn other_client_errors_are_not_retried() {
    let (base, s) = stub().await;
    let got = client(&base).player("Forbidden").await;
    assert!(
        matches!(&got, Lookup::Unavailable(why) if why.contains("403")),
        "{got:?}"
    );
    assert_eq!(s.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_slow_answer_times_out_as_unavailable() {
    let (base, s) = stub().await;
    // The stub answers after 5 s; the client gives up at 800 ms and says so (an answer
    // that came would be `Found`).
    let got = client(&base).player("Slow").await;
    assert!(
        matches!(&got, Lookup::Unavailable(why) if why.contains("in time")),
        "{got:?}"
    );
    assert_eq!(s.hits.load(Ordering::SeqCst), 1, "timeouts are not retried");
}

#[tokio::test]
async fn garbage_is_unparseable_and_bad_names_are_not_sent() {
    let (base, s) = stub().await;
    assert_eq!(client(&base).player("Garbage").await, Lookup::Unparseable);
    assert_eq!(client(&base).player("a/../b").await, Lookup::NotFound);
    assert_eq!(s.hits.load(Ordering::SeqCst), 1);
}

#[test]
fn the_default_config_is_polite() {
    let c = ClientConfig::default();
    assert_eq!(c.timeout, Duration::from_secs(10));
    assert!(c.min_interval >= Duration::from_secs(1));
    assert!(USER_AGENT.starts_with("raidbot/"));
}
