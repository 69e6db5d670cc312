#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

use super::router;
use crate::{ChannelKind, DiscordSim, SimConfig, SimEvent};

async fn call(
    sim: &DiscordSim,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(
            body.map(|b| Body::from(b.to_string()))
                .unwrap_or_else(Body::empty),
        )
        .unwrap();
    let res = router(sim.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn sim() -> DiscordSim {
    DiscordSim::start_with(SimConfig {
        interaction_deadline: Duration::from_millis(200),
        ..Default::default()
    })
    .await
}

#[tokio::test]
async fn the_page_and_its_assets_are_served_with_their_types() {
    let sim = sim().await;
    for (path, ct) in [
        ("/", "text/html"),
        ("/assets/app.js", "text/javascript"),
        ("/assets/app.css", "text/css"),
    ] {
        let res = router(sim.clone())
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let got = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(got.starts_with(ct), "{path}: {got}");
    }
    let (status, body) = call(&sim, "GET", "/sim/nothing", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn state_lists_guild_channels_roles_and_members_with_string_ids() {
    let sim = sim().await;
    let owner = sim.create_user("owner");
    let guild = sim.create_guild("Raid Sandbox", owner);
    let raids = sim.create_channel(guild, "raids", ChannelKind::Text);
    let (status, v) = call(&sim, "GET", "/sim/state", None).await;
    assert_eq!(status, StatusCode::OK);
    let g = &v["guilds"][0];
    assert_eq!(g["id"], guild.to_string());
    assert_eq!(g["channels"][0]["id"], raids.to_string());
    assert_eq!(g["channels"][0]["kind"], "text");
    assert!(
        g["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["user_id"] == owner.to_string() && m["owner"] == true)
    );
    assert!(
        g["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["everyone"] == true)
    );
}

#[tokio::test]
async fn bad_requests_get_a_json_error_and_a_4xx() {
    let sim = sim().await;
    let (status, v) = call(&sim, "POST", "/sim/act/command", Some(json!({"nope": 1}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().contains("invalid JSON"));
    let (status, _) = call(
        &sim,
        "POST",
        "/sim/act/command",
        Some(json!({"guild_id": "x", "channel_id": "1", "user_id": "1", "name": "run"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(&sim, "GET", "/sim/channels/123/messages", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn commands_are_checked_like_the_client_then_time_out_without_a_bot() {
    let sim = sim().await;
    let owner = sim.create_user("owner");
    let guild = sim.create_guild("g", owner);
    let ch = sim.create_channel(guild, "raids", ChannelKind::Text);
    sim.lock().guild_commands.insert(
        guild,
        vec![json!({"id": "1", "name": "run", "type": 1, "options": [
            {"name": "dungeon", "type": 3, "required": true, "autocomplete": true},
            {"name": "count", "type": 4, "min_value": 1},
        ]})],
    );
    let act = |name: &str, options: Value| {
        json!({"guild_id": guild.to_string(), "channel_id": ch.to_string(),
            "user_id": owner.to_string(), "name": name, "options": options})
    };
    let (status, v) = call(
        &sim,
        "POST",
        "/sim/act/command",
        Some(act("nosuch", json!([]))),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["outcome"], "rejected");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("/nosuch is not a command")
    );
    let (status, v) = call(
        &sim,
        "POST",
        "/sim/act/command",
        Some(act("run", json!([]))),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["error"].as_str().unwrap().contains("dungeon"), "{v}");
    let (status, v) = call(
        &sim,
        "POST",
        "/sim/act/command",
        Some(act(
            "run",
            json!([{"name": "dungeon", "value": "shatters"}, {"name": "count", "value": "many"}]),
        )),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"], "`count` must be a whole number");
    let (status, v) = call(
        &sim,
        "POST",
        "/sim/act/command",
        Some(act(
            "run",
            json!([{"name": "dungeon", "value": "shatters"}, {"name": "count", "value": "2"}]),
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["outcome"], "timed_out");
    assert_eq!(v["error"], "The application did not respond");
}

#[tokio::test]
async fn a_button_of_a_deleted_message_fails_like_discord() {
    let sim = sim().await;
    let owner = sim.create_user("owner");
    let guild = sim.create_guild("g", owner);
    let ch = sim.create_channel(guild, "raids", ChannelKind::Text);
    let mid = sim.send_message(owner, ch, "panel");
    sim.delete_message_behind_bot(ch, mid);
    let (status, v) = call(
        &sim,
        "POST",
        "/sim/act/press",
        Some(json!({"guild_id": guild.to_string(), "channel_id": ch.to_string(),
            "user_id": owner.to_string(), "message_id": mid.to_string(), "custom_id": "run:join:1"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"], "This interaction failed");
}

#[tokio::test]
async fn members_are_created_and_edited_as_an_administrator_would_and_changes_are_fed() {
    let sim = sim().await;
    let owner = sim.create_user("owner");
    let guild = sim.create_guild("g", owner);
    let role = sim.create_role(guild, "Raider", 0, 2);
    let mut feed = sim.subscribe();
    let (status, v) = call(
        &sim,
        "POST",
        "/sim/members",
        Some(json!({"guild_id": guild.to_string(), "name": "newbie", "role_ids": []})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let user = v["user_id"].as_str().unwrap().to_owned();
    let path = format!("/sim/members/{guild}/{user}");
    // A plain member may not give roles.
    let (status, _) = call(
        &sim,
        "PATCH",
        &path,
        Some(json!({"actor_id": user, "roles": [role.to_string()]})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(
        &sim,
        "PATCH",
        &path,
        Some(json!({"actor_id": owner.to_string(), "roles": [role.to_string()], "nick": "Newbie"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let m = sim
        .member(guild, crate::UserId(user.parse().unwrap()))
        .unwrap();
    assert_eq!(m.roles, vec![role]);
    assert_eq!(m.nick.as_deref(), Some("Newbie"));
    let mut seen = Vec::new();
    while let Ok(e) = feed.try_recv() {
        seen.push(e);
    }
    assert!(seen.contains(&SimEvent::UserChanged {
        user_id: user.clone()
    }));
    assert!(seen.contains(&SimEvent::MemberChanged {
        guild_id: guild.to_string(),
        user_id: user.clone()
    }));
    let (status, _) = call(
        &sim,
        "PATCH",
        &format!("/sim/users/{user}"),
        Some(json!({"dms_closed": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, v) = call(&sim, "GET", "/sim/state", None).await;
    assert!(
        v["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == user.as_str() && u["dms_closed"] == true)
    );
}

#[tokio::test]
async fn uploads_are_served_by_the_simulator_and_the_page_and_sent_in_dms() {
    let sim = sim().await;
    let user = sim.create_user("raider");
    let req = Request::post("/sim/upload?filename=my%20shot.png")
        .header("content-type", "image/png")
        .body(Body::from(vec![1u8, 2, 3]))
        .unwrap();
    let res = router(sim.clone()).oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = serde_json::from_slice(
        &axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .unwrap(),
    )
    .unwrap();
    let id: u64 = v["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(v["filename"], "my_shot.png");
    let (a, bytes) = sim.uploaded(id).unwrap();
    assert_eq!(bytes, vec![1, 2, 3]);
    // The bot downloads it from the simulator's own address.
    let url = a.url.strip_prefix("http://").unwrap();
    let (host, path) = url.split_once('/').unwrap();
    let mut tcp = tokio::net::TcpStream::connect(host).await.unwrap();
    tcp.write_all(format!("GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut got = Vec::new();
    tcp.read_to_end(&mut got).await.unwrap();
    assert!(got.starts_with(b"HTTP/1.0 200") || got.starts_with(b"HTTP/1.1 200"));
    assert!(got.ends_with(&[1, 2, 3]));
    assert!(
        String::from_utf8_lossy(&got)
            .to_ascii_lowercase()
            .contains("content-type: image/png")
    );
    // A DM with it.
    let (_, dm) = call(&sim, "GET", &format!("/sim/users/{user}/dm"), None).await;
    let ch = dm["channel_id"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &sim,
        "POST",
        "/sim/act/message",
        Some(json!({"user_id": user.to_string(), "channel_id": ch, "content": "here", "attachment_ids": [id.to_string()]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sim.dms(user)[0].attachments[0].id, id);
    let (_, msgs) = call(
        &sim,
        "GET",
        &format!("/sim/channels/{ch}/messages?as={user}"),
        None,
    )
    .await;
    assert_eq!(
        msgs["messages"][0]["attachments"][0]["url"],
        format!("/attachments/{id}/my_shot.png")
    );
}
