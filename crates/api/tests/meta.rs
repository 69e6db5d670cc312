//! Health, OpenAPI, metrics, authentication and the error shape, over real HTTP.

// A failed unwrap is a failed test, with its line.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::OnceLock;

use common::{GUILD, OTHER_GUILD, spawn_app, spawn_app_with_metrics, spawn_app_without_database};
use domain::Snowflake;
use domain::roles::Level;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use reqwest::{Method, StatusCode};
use serde_json::json;
use service::Actor;

#[tokio::test]
async fn health_is_ok_with_the_database_up() {
    let app = spawn_app().await;
    let answer = app.send(app.client.get(app.url("/v1/health"))).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["status"], "ok");
    assert_eq!(answer.body["database"]["status"], "up");
    assert!(answer.body["database"]["latency_ms"].is_u64());
}

#[tokio::test]
async fn health_is_503_when_the_database_is_unreachable() {
    let app = spawn_app_without_database().await;
    let answer = app.send(app.client.get(app.url("/v1/health"))).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.body["database"]["status"], "down");

    // Any other route says the same in the error shape, with Retry-After.
    let answer = app.get(&format!("/v1/guilds/{GUILD}/config/roles")).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.code(), "database_unavailable");
    assert!(answer.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn openapi_lists_every_route() {
    let app = spawn_app().await;
    let answer = app.send(app.client.get(app.url("/v1/openapi.json"))).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer.body["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with('3'))
    );
    let paths = &answer.body["paths"];
    let expected = [
        ("/v1/health", "get"),
        ("/v1/openapi.json", "get"),
        ("/docs", "get"),
        ("/metrics", "get"),
        ("/v1/guilds/{guild_id}/config/roles", "get"),
        ("/v1/guilds/{guild_id}/config/roles", "put"),
        ("/v1/guilds/{guild_id}/config/channels", "get"),
        ("/v1/guilds/{guild_id}/config/channels", "put"),
        ("/v1/guilds/{guild_id}/runs", "get"),
        ("/v1/guilds/{guild_id}/runs", "post"),
        ("/v1/guilds/{guild_id}/runs/{run_id}", "get"),
        ("/v1/guilds/{guild_id}/runs/{run_id}/participants", "post"),
        (
            "/v1/guilds/{guild_id}/runs/{run_id}/participants/{user_id}",
            "delete",
        ),
        ("/v1/guilds/{guild_id}/runs/{run_id}/start", "post"),
        ("/v1/guilds/{guild_id}/runs/{run_id}/end", "post"),
        ("/v1/guilds/{guild_id}/runs/{run_id}/cancel", "post"),
        ("/v1/guilds/{guild_id}/leaderboard", "get"),
        ("/v1/guilds/{guild_id}/members/{user_id}/stats", "get"),
        ("/v1/guilds/{guild_id}/punishments", "post"),
        ("/v1/guilds/{guild_id}/members/{user_id}/punishments", "get"),
        ("/v1/guilds/{guild_id}/punishments/{id}/remove", "post"),
        ("/v1/guilds/{guild_id}/members/{user_id}/notes", "get"),
        ("/v1/guilds/{guild_id}/members/{user_id}/notes", "post"),
        ("/v1/guilds/{guild_id}/notes/{id}", "delete"),
        ("/v1/guilds/{guild_id}/modmail/tickets", "get"),
        ("/v1/guilds/{guild_id}/modmail/tickets/{id}", "get"),
        ("/v1/guilds/{guild_id}/verification/config", "get"),
        ("/v1/guilds/{guild_id}/verification/config", "put"),
        (
            "/v1/guilds/{guild_id}/members/{user_id}/verification",
            "get",
        ),
        (
            "/v1/guilds/{guild_id}/members/{user_id}/verification",
            "delete",
        ),
        ("/v1/guilds/{guild_id}/verifications", "post"),
        ("/v1/guilds/{guild_id}/members/{user_id}/alts", "post"),
        (
            "/v1/guilds/{guild_id}/members/{user_id}/alts/{ign}",
            "delete",
        ),
        ("/v1/guilds/{guild_id}/verification/custom-roles", "get"),
        (
            "/v1/guilds/{guild_id}/verification/custom-roles/{id}",
            "delete",
        ),
        ("/v1/guilds/{guild_id}/punishments/{id}", "patch"),
        ("/v1/guilds/{guild_id}/modmail/stats", "get"),
        ("/v1/guilds/{guild_id}/analytics/runs", "get"),
        ("/v1/guilds/{guild_id}/runs/{run_id}/pops", "get"),
        ("/v1/guilds/{guild_id}/members/{user_id}/keys", "post"),
        (
            "/v1/guilds/{guild_id}/members/{user_id}/logged-runs",
            "post",
        ),
        ("/v1/guilds/{guild_id}/members/{user_id}/points", "post"),
        ("/v1/guilds/{guild_id}/points/config", "get"),
        ("/v1/guilds/{guild_id}/points/config", "put"),
        ("/v1/guilds/{guild_id}/points/dungeons/{dungeon}", "put"),
        ("/v1/guilds/{guild_id}/quota/roles/{role_id}", "get"),
        ("/v1/guilds/{guild_id}/quota/roles/{role_id}", "patch"),
        ("/v1/guilds/{guild_id}/headcounts", "post"),
        ("/v1/guilds/{guild_id}/headcounts", "get"),
        ("/v1/guilds/{guild_id}/headcounts/{headcount_id}", "get"),
        (
            "/v1/guilds/{guild_id}/headcounts/{headcount_id}/convert",
            "post",
        ),
        (
            "/v1/guilds/{guild_id}/headcounts/{headcount_id}/end",
            "post",
        ),
        ("/v1/guilds/{guild_id}/parties", "post"),
        ("/v1/guilds/{guild_id}/parties/{party_id}", "get"),
        ("/v1/guilds/{guild_id}/parties/{party_id}/extend", "post"),
        ("/v1/guilds/{guild_id}/parties/{party_id}/close", "post"),
        ("/v1/guilds/{guild_id}/modmail/tickets/{id}/replies", "post"),
        ("/v1/guilds/{guild_id}/audit-log", "get"),
        ("/v1/guilds/{guild_id}/api-keys", "get"),
        ("/v1/guilds/{guild_id}/api-keys", "post"),
        ("/v1/guilds/{guild_id}/api-keys/{key_id}", "delete"),
    ];
    for (path, method) in expected {
        assert!(
            paths[path][method].is_object(),
            "{method} {path} missing from the document"
        );
    }
    let documented: usize = paths
        .as_object()
        .map(|p| {
            p.values()
                .map(|ops| ops.as_object().map_or(0, |o| o.len()))
                .sum()
        })
        .unwrap_or(0);
    assert_eq!(
        documented,
        expected.len(),
        "undocumented or unexpected operations"
    );
    assert!(answer.body["components"]["schemas"]["RunBody"].is_object());
    assert!(answer.body["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn no_key_or_a_wrong_key_is_401() {
    let app = spawn_app().await;
    let path = format!("/v1/guilds/{GUILD}/config/roles");
    let none = app.send(app.client.get(app.url(&path))).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.code(), "unauthorized");
    assert_eq!(none.headers["www-authenticate"], "Bearer");

    for bad in ["wrong", "rbk_0000", "test-service-key-but-longer"] {
        let wrong = app
            .send(app.client.get(app.url(&path)).bearer_auth(bad))
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{bad}");
        assert_eq!(wrong.code(), "unauthorized");
    }
    let basic = app
        .send(app.client.get(app.url(&path)).basic_auth("x", Some("y")))
        .await;
    assert_eq!(basic.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn malformed_json_is_400_and_wrong_shape_is_422() {
    let app = spawn_app().await;
    let path = format!("/v1/guilds/{GUILD}/config/roles");
    let broken = app
        .send(
            app.request(Method::PUT, &path)
                .header("content-type", "application/json")
                .body("{\"organizer\": "),
        )
        .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert_eq!(broken.code(), "malformed_json");

    let wrong_shape = app.put(&path, json!(["organizer"])).await;
    assert_eq!(wrong_shape.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong_shape.code(), "invalid_body");

    let missing_field = app
        .post(&format!("/v1/guilds/{GUILD}/runs"), json!({"party": "x"}))
        .await;
    assert_eq!(missing_field.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing_field.code(), "invalid_body");
    assert!(missing_field.text.contains("dungeon"));

    let not_json = app
        .send(app.request(Method::PUT, &path).body("organizer=1"))
        .await;
    assert_eq!(not_json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(not_json.code(), "unsupported_media_type");
}

#[tokio::test]
async fn bad_path_ids_are_400_naming_the_parameter() {
    let app = spawn_app().await;
    let answer = app.get("/v1/guilds/not-a-guild/config/roles").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "invalid_path_parameter");
    assert!(
        answer.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("guild_id")
    );

    let answer = app.get("/v1/guilds/0/runs").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);

    // One resource, one URL: no sign, leading zero or space before an id.
    for id in ["+1", "0001", "%201", "1%20"] {
        let answer = app.get(&format!("/v1/guilds/{GUILD}/runs/{id}")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "run {id}");
        let answer = app.get(&format!("/v1/guilds/{id}{GUILD}/runs")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "guild {id}");
    }

    let answer = app.get(&format!("/v1/guilds/{GUILD}/runs/abc")).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("run_id")
    );

    let answer = app
        .delete(&format!("/v1/guilds/{GUILD}/runs/1/participants/someone"))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("user_id")
    );

    let answer = app
        .send(
            app.request(Method::GET, &format!("/v1/guilds/{GUILD}/config/roles"))
                .header("x-actor-id", "me"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "invalid_actor_id");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_shape() {
    let app = spawn_app().await;
    let answer = app.get("/v1/nothing/here").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.code(), "not_found");

    let answer = app
        .delete(&format!("/v1/guilds/{GUILD}/config/roles"))
        .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.code(), "method_not_allowed");
}

#[tokio::test]
async fn metrics_are_404_when_disabled() {
    let app = spawn_app().await;
    let answer = app.send(app.client.get(app.url("/metrics"))).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.code(), "not_found");
}

fn recorder() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .install_recorder()
                .expect("install the Prometheus recorder")
        })
        .clone()
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = spawn_app_with_metrics(recorder()).await;
    app.send(app.client.get(app.url("/v1/health"))).await;
    app.get("/v1/guilds/abc/runs").await;
    let answer = app.send(app.client.get(app.url("/metrics"))).await;
    assert_eq!(answer.status, StatusCode::OK);
    let text = answer.text;
    assert!(
        text.lines()
            .any(|l| l.starts_with("raidbot_api_requests_total")
                && l.contains("route=\"/v1/health\"")
                && l.contains("status=\"200\"")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("route=\"/v1/guilds/{guild_id}/runs\"")
                && l.contains("status=\"400\"")),
        "{text}"
    );
}

fn admin() -> Actor {
    Actor::member(Snowflake::new(1).unwrap(), Level::ADMINISTRATOR)
}

#[tokio::test]
async fn guild_keys_work_on_their_guild_at_their_level_until_revoked() {
    let app = spawn_app().await;
    let guild = Snowflake::parse(GUILD).unwrap();
    let organizer = api::keys::create(&app.pool, guild, &admin(), "dashboard", Level(3))
        .await
        .unwrap();
    let roles = format!("/v1/guilds/{GUILD}/config/roles");
    let with_key = |method: Method, path: &str| {
        app.client
            .request(method, app.url(path))
            .bearer_auth(&organizer.secret)
    };

    // The key works on its guild: an organizer can list runs...
    let runs = app
        .send(with_key(Method::GET, &format!("/v1/guilds/{GUILD}/runs")))
        .await;
    assert_eq!(runs.status, StatusCode::OK, "{}", runs.text);
    // ...but reading the configuration takes a moderator, as in Discord.
    let read = app.send(with_key(Method::GET, &roles)).await;
    assert_eq!(read.status, StatusCode::FORBIDDEN, "{}", read.text);

    // Level 3 is below administrator: setting roles is refused, as in Discord.
    let write = app
        .send(with_key(Method::PUT, &roles).json(&json!({"team": "42"})))
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    assert_eq!(write.code(), "forbidden");

    // Another guild's path.
    let other = app
        .send(with_key(
            Method::GET,
            &format!("/v1/guilds/{OTHER_GUILD}/config/roles"),
        ))
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);

    // Only the service key acts for a user.
    let acting = app
        .send(with_key(Method::GET, &roles).header("x-actor-id", "5"))
        .await;
    assert_eq!(acting.status, StatusCode::FORBIDDEN);

    service::api_keys::revoke(&app.pool, guild, &admin(), organizer.key.key_id)
        .await
        .unwrap();
    let revoked = app.send(with_key(Method::GET, &roles)).await;
    assert_eq!(revoked.status, StatusCode::UNAUTHORIZED);
    assert!(
        revoked.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );
}

#[tokio::test]
async fn an_administrator_key_can_configure_its_guild() {
    let app = spawn_app().await;
    let guild = Snowflake::parse(GUILD).unwrap();
    let key = api::keys::create(&app.pool, guild, &admin(), "ops", Level::ADMINISTRATOR)
        .await
        .unwrap();
    let answer = app
        .send(
            app.client
                .put(app.url(&format!("/v1/guilds/{GUILD}/config/channels")))
                .bearer_auth(&key.secret)
                .json(&json!({"raid": "900"})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body, json!({"raid": "900"}));
}

#[tokio::test]
async fn graceful_shutdown_returns() {
    let app = spawn_app().await;
    let answer = app.send(app.client.get(app.url("/v1/health"))).await;
    assert_eq!(answer.status, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn a_key_over_its_rate_limit_gets_429_with_retry_after() {
    let limit = api::RateLimit {
        burst: 3,
        per_second: 0.05,
    };
    let app = common::spawn_app_with_rate_limit(limit).await;
    let guild = Snowflake::parse(GUILD).unwrap();
    let key = api::keys::create(
        &app.pool,
        guild,
        &admin(),
        "dashboard",
        Level::ADMINISTRATOR,
    )
    .await
    .unwrap()
    .secret;
    let path = format!("/v1/guilds/{GUILD}/config/roles");
    let get = |key: &str| app.send(app.client.get(app.url(&path)).bearer_auth(key));
    for remaining in (0..3).rev() {
        let answer = get(&key).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.headers["ratelimit-limit"], "3");
        assert_eq!(
            answer.headers["ratelimit-remaining"],
            remaining.to_string().as_str()
        );
    }
    let limited = get(&key).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.code(), "rate_limited");
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);

    // The service key (the operator's own integrations) is not limited.
    for _ in 0..10 {
        assert_eq!(app.get(&path).await.status, StatusCode::OK);
    }
    // Public routes without a key are not limited.
    let health = app.send(app.client.get(app.url("/v1/health"))).await;
    assert_eq!(health.status, StatusCode::OK);
    // Each wrong key is a 401 until an address has sent 20; then 429 without a lookup.
    let mut statuses = Vec::new();
    for i in 0..25 {
        statuses.push(get(&format!("rbk_wrong{i}")).await.status);
    }
    assert!(
        statuses[..20]
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert!(
        statuses[20..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

/// Sends `request` as raw bytes and reads the whole answer (hyper closes the connection
/// after a request it cannot parse): status code, head, body.
async fn raw_exchange(base: &str, request: &[u8]) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await
    .expect("the server closes the connection")
    .unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let status = head[9..12].parse().unwrap();
    (status, head.to_owned(), body.to_owned())
}

fn assert_json_error(head: &str, body: &str, code: &str) {
    let lower = head.to_ascii_lowercase();
    assert!(
        lower.contains("\r\ncontent-type: application/json"),
        "{head}"
    );
    assert!(
        lower.contains(&format!("\r\ncontent-length: {}\r\n", body.len()))
            || lower.ends_with(&format!("\r\ncontent-length: {}", body.len())),
        "{head}"
    );
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(json["error"]["code"], code, "{body}");
    assert!(
        json["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

/// Errors hyper answers before axum runs (a header it cannot parse, too many or too large
/// headers) have the JSON error shape too, while good requests on the same server are
/// untouched.
#[tokio::test]
async fn header_level_errors_answer_in_the_json_error_shape() {
    let app = spawn_app().await;

    let nul = b"GET /v1/health HTTP/1.1\r\nhost: x\r\nx-note: a\0b\r\n\r\n";
    let (status, head, body) = raw_exchange(&app.base, nul).await;
    assert_eq!(status, 400, "{head}");
    assert_json_error(&head, &body, "malformed_request");

    let mut many = String::from("GET /v1/health HTTP/1.1\r\nhost: x\r\n");
    for i in 0..150 {
        many.push_str(&format!("x-h{i}: v\r\n"));
    }
    many.push_str("\r\n");
    let (status, head, body) = raw_exchange(&app.base, many.as_bytes()).await;
    assert_eq!(status, 431, "{head}");
    assert_json_error(&head, &body, "headers_too_large");

    // One header larger than hyper's buffer (8 KiB + 400 KiB). Exactly that many bytes are
    // sent, so the server has read them all when it answers and closes cleanly.
    let mut big = String::from("GET /v1/health HTTP/1.1\r\nhost: x\r\nx-big: ");
    big.push_str(&"a".repeat(8192 + 4096 * 100 - big.len()));
    let (status, head, body) = raw_exchange(&app.base, big.as_bytes()).await;
    assert_eq!(status, 431, "{head}");
    assert_json_error(&head, &body, "headers_too_large");

    // A request hyper parses is answered by the app as before.
    let fine = b"GET /v1/health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
    let (status, _, body) = raw_exchange(&app.base, fine).await;
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "ok");
}

/// The least key level each route that reads a body accepts: a key one level below gets
/// 403 whatever it sends, a key at that level gets past the permission check to the body.
const BODY_ROUTE_LEVELS: &[(&str, &str, u8)] = &[
    ("put", "/v1/guilds/{guild_id}/config/roles", 8),
    ("put", "/v1/guilds/{guild_id}/config/channels", 8),
    ("post", "/v1/guilds/{guild_id}/runs", 3),
    // A key has no member to join as: only staff above Organizer may add raiders.
    (
        "post",
        "/v1/guilds/{guild_id}/runs/{run_id}/participants",
        4,
    ),
    ("post", "/v1/guilds/{guild_id}/punishments", 4),
    ("post", "/v1/guilds/{guild_id}/punishments/{id}/remove", 4),
    ("post", "/v1/guilds/{guild_id}/members/{user_id}/notes", 4),
    ("put", "/v1/guilds/{guild_id}/verification/config", 7),
    ("post", "/v1/guilds/{guild_id}/verifications", 4),
    ("post", "/v1/guilds/{guild_id}/members/{user_id}/alts", 4),
    ("patch", "/v1/guilds/{guild_id}/punishments/{id}", 4),
    ("post", "/v1/guilds/{guild_id}/members/{user_id}/keys", 3),
    (
        "post",
        "/v1/guilds/{guild_id}/members/{user_id}/logged-runs",
        3,
    ),
    ("post", "/v1/guilds/{guild_id}/members/{user_id}/points", 5),
    ("put", "/v1/guilds/{guild_id}/points/config", 7),
    ("put", "/v1/guilds/{guild_id}/points/dungeons/{dungeon}", 7),
    ("patch", "/v1/guilds/{guild_id}/quota/roles/{role_id}", 7),
    ("post", "/v1/guilds/{guild_id}/headcounts", 3),
    (
        "post",
        "/v1/guilds/{guild_id}/headcounts/{headcount_id}/convert",
        3,
    ),
    ("post", "/v1/guilds/{guild_id}/parties", 1),
    (
        "post",
        "/v1/guilds/{guild_id}/modmail/tickets/{id}/replies",
        4,
    ),
    ("post", "/v1/guilds/{guild_id}/api-keys", 8),
];

/// Walks every route of the OpenAPI document that takes a body: a key below the route's
/// level sending garbage (bad JSON, the wrong media type) gets 403, not 400/415/422, so
/// whether a caller may use a route never depends on what they send.
#[tokio::test]
async fn permission_is_checked_before_the_body_on_every_route() {
    let app = spawn_app().await;
    let guild = Snowflake::parse(GUILD).unwrap();
    let mut keys = Vec::new();
    for level in 1..=8u8 {
        let key = api::keys::create(&app.pool, guild, &admin(), "gate", Level(level))
            .await
            .unwrap();
        keys.push(key.secret);
    }
    let doc = app
        .send(app.client.get(app.url("/v1/openapi.json")))
        .await
        .body;
    let mut walked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op.get("requestBody").is_none() {
                continue;
            }
            let level = BODY_ROUTE_LEVELS
                .iter()
                .find(|(m, p, _)| m == method && p == path)
                .map(|(_, _, l)| *l)
                .unwrap_or_else(|| panic!("{method} {path} takes a body: add its level"));
            let url = app.url(&path.replace("{guild_id}", GUILD).replace(['{', '}'], ""));
            let url = ["run_id", "user_id", "id", "ign"]
                .iter()
                .fold(url, |u, p| u.replace(p, "1"));
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let send = |key: &str, content_type: &str| {
                app.client
                    .request(method.clone(), &url)
                    .bearer_auth(key)
                    .header("content-type", content_type)
                    .body("{\"not json")
            };
            if level > 1 {
                let low = &keys[usize::from(level) - 2];
                for content_type in ["application/json", "text/plain"] {
                    let answer = app.send(send(low, content_type)).await;
                    assert_eq!(
                        answer.status,
                        StatusCode::FORBIDDEN,
                        "{method} {url} ({content_type}) with a level {} key: {}",
                        level - 1,
                        answer.text
                    );
                    assert_eq!(answer.code(), "forbidden");
                }
            }
            let enough = &keys[usize::from(level) - 1];
            let answer = app.send(send(enough, "application/json")).await;
            assert_eq!(
                answer.status,
                StatusCode::BAD_REQUEST,
                "{method} {url} with a level {level} key: {}",
                answer.text
            );
            walked += 1;
        }
    }
    assert_eq!(walked, BODY_ROUTE_LEVELS.len());
}

/// The document describes what every route can answer and the shape of its inputs, so a
/// schema-driven client (or fuzzer, see `scripts/fuzz-api`) meets no surprise.
#[test]
fn the_openapi_document_states_statuses_and_input_constraints() {
    let doc = serde_json::to_value(api::openapi::document()).unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/guilds/") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            for status in ["400", "401", "403", "429", "503"] {
                assert!(responses.contains_key(status), "{method} {path}: {status}");
            }
            for status in ["429", "503"] {
                assert!(
                    responses[status]["headers"]["Retry-After"].is_object(),
                    "{method} {path}: {status} has Retry-After"
                );
            }
            if op.get("requestBody").is_some() {
                for status in ["415", "422"] {
                    assert!(responses.contains_key(status), "{method} {path}: {status}");
                }
            }
            for param in op["parameters"].as_array().unwrap() {
                let schema = &param["schema"];
                match param["name"].as_str().unwrap() {
                    "guild_id" | "user_id" => {
                        assert_eq!(schema["pattern"], api::openapi::SNOWFLAKE_PATTERN)
                    }
                    "run_id" => assert_eq!(schema["minimum"], 1),
                    _ => {}
                }
            }
        }
    }
    let punish = &doc["paths"]["/v1/guilds/{guild_id}/punishments"]["post"];
    let text = punish["description"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
        + punish["summary"].as_str().unwrap_or_default();
    assert!(
        text.contains("kick,\nban, softban: Officer") || text.contains("ban, softban: Officer"),
        "{text}"
    );
    let create = &doc["components"]["schemas"]["CreatePunishment"]["properties"];
    assert_eq!(create["kind"]["enum"].as_array().unwrap().len(), 6);
    assert_eq!(create["reason"]["minLength"], 1);
    assert_eq!(
        create["user_id"]["pattern"],
        api::openapi::SNOWFLAKE_PATTERN
    );
    let run = &doc["components"]["schemas"]["CreateRun"]["properties"];
    assert_eq!(run["raider_cap"]["minimum"], 1);
    assert_eq!(run["raider_cap"]["maximum"], 1000);
}

/// Ids in bodies are canonical, as in paths.
#[tokio::test]
async fn body_ids_must_be_canonical() {
    let app = spawn_app().await;
    for id in [
        " 800000000000000001",
        "+800000000000000001",
        "0800000000000000001",
    ] {
        let answer = app
            .put(
                &format!("/v1/guilds/{GUILD}/config/channels"),
                json!({"raid": id}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{id}");
        assert_eq!(answer.code(), "invalid_snowflake");
    }
}
