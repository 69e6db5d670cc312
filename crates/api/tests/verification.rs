//! Verification through the REST API, as a client sees it: settings, a member's
//! verification and alts, and custom role verifications.

// A failed unwrap is a failed test, with its line.
#![allow(clippy::unwrap_used)]

mod common;

use common::{GUILD, OTHER_GUILD, TestApp, spawn_app};
use domain::Snowflake;
use domain::roles::Level;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use service::Actor;

const MEMBER: &str = "700000000000000009";
const OTHER_MEMBER: &str = "700000000000000010";

fn admin() -> Actor {
    Actor::member(Snowflake::new(1).unwrap(), Level::ADMINISTRATOR)
}

async fn key(app: &TestApp, guild: &str, level: u8) -> String {
    let guild = Snowflake::parse(guild).unwrap();
    api::keys::create(&app.pool, guild, &admin(), "k", Level(level))
        .await
        .unwrap()
        .secret
}

async fn with_key(
    app: &TestApp,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> common::Answer {
    let mut b = app.client.request(method, app.url(path)).bearer_auth(key);
    if let Some(body) = body {
        b = b.json(&body);
    }
    app.send(b).await
}

async fn jobs(app: &TestApp, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM job WHERE kind = $1")
        .bind(kind)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn settings_read_and_change_like_configverification() {
    let app = spawn_app().await;
    let path = format!("/v1/guilds/{GUILD}/verification/config");
    let answer = app.get(&path).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(
        answer.body,
        json!({
            "realmeye": true, "screenshot": true, "panel_message": null, "image_url": null,
            "min_rank": null, "min_alive_fame": null, "min_characters": null,
            "min_account_age_days": null, "hidden_location": false
        })
    );

    // Absent fields are kept; 0 removes a requirement.
    let answer = app
        .put(
            &path,
            json!({"min_rank": 20, "min_characters": 3, "panel_message": "Read the rules first."}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["min_rank"], 20);
    assert_eq!(answer.body["panel_message"], "Read the rules first.");
    let answer = app
        .put(&path, json!({"min_rank": 0, "screenshot": false}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["min_rank"], Value::Null);
    assert_eq!(answer.body["min_characters"], 3);
    assert_eq!(answer.body["screenshot"], false);
    assert_eq!(app.get(&path).await.body, answer.body);

    // Bad values are 422s that say why, and change nothing.
    let answer = app.put(&path, json!({"realmeye": false})).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.code(), "no_method");
    let answer = app.put(&path, json!({"min_rank": 101})).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.code(), "out_of_range");
    let answer = app
        .put(&path, json!({"image_url": "http://example.com/a.png"}))
        .await;
    assert_eq!(answer.code(), "bad_image_url");
    let answer = app.put(&path, json!({"min_rnak": 3})).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.code(), "invalid_body");
    assert_eq!(app.get(&path).await.body["realmeye"], true);

    // Posting the panel needs a getverified channel; then it is a job.
    let answer = app.put(&path, json!({"post_panel": true})).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.code(), "getverified_not_configured");
    let answer = app
        .put(
            &format!("/v1/guilds/{GUILD}/config/channels"),
            json!({"getverified": "900000000000000001"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let answer = app.put(&path, json!({"post_panel": true})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(jobs(&app, "veri_panel_post").await, 1);

    // A key needs Moderator, as /configverification; and only on its own server.
    let security = key(&app, GUILD, 4).await;
    let answer = with_key(&app, &security, Method::GET, &path, None).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = with_key(
        &app,
        &security,
        Method::PUT,
        &path,
        Some(json!({"min_rank": 5})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let moderator = key(&app, GUILD, 7).await;
    let answer = with_key(&app, &moderator, Method::GET, &path, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let elsewhere = key(&app, OTHER_GUILD, 8).await;
    let answer = with_key(&app, &elsewhere, Method::GET, &path, None).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn staff_verify_unverify_and_alts() {
    let app = spawn_app().await;
    let member = format!("/v1/guilds/{GUILD}/members/{MEMBER}/verification");

    // A member raidbot never saw is simply unverified.
    let answer = app.get(&member).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(
        answer.body,
        json!({
            "user_id": MEMBER, "status": "unverified", "ign": null, "alts": [],
            "verified_at": null, "verified_by": null, "method": null
        })
    );

    // Verify by hand: the IGN is stored and the role and nickname are a job.
    let verifications = format!("/v1/guilds/{GUILD}/verifications");
    let answer = app
        .post(
            &verifications,
            json!({"user_id": MEMBER, "ign": "Stormveil"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    assert_eq!(answer.body["status"], "verified");
    assert_eq!(answer.body["ign"], "Stormveil");
    assert_eq!(answer.body["method"], "staff");
    assert!(answer.body["verified_at"].is_string(), "{}", answer.text);
    assert_eq!(jobs(&app, "member_sync").await, 1);
    assert_eq!(app.get(&member).await.body, answer.body);

    // The name is unique in the server, whatever its case.
    let answer = app
        .post(
            &verifications,
            json!({"user_id": OTHER_MEMBER, "ign": "STORMVEIL"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.code(), "ign_taken");
    let answer = app
        .post(
            &verifications,
            json!({"user_id": OTHER_MEMBER, "ign": "Storm veil1"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.code(), "invalid_ign");
    let answer = app
        .post(
            &verifications,
            json!({"user_id": "someone", "ign": "Other"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.code(), "invalid_snowflake");

    // Alts: added, refused twice, removed by any case, then gone.
    let alts = format!("/v1/guilds/{GUILD}/members/{MEMBER}/alts");
    let answer = app.post(&alts, json!({"ign": "Stormalt"})).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    assert_eq!(answer.body["alts"], json!(["Stormalt"]));
    let answer = app.post(&alts, json!({"ign": "Stormalt"})).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.code(), "alt_exists");
    let answer = app
        .post(
            &format!("/v1/guilds/{GUILD}/members/{OTHER_MEMBER}/alts"),
            json!({"ign": "Other"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.code(), "no_main");
    let answer = app.delete(&format!("{alts}/stormalt")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["alts"], json!([]));
    let answer = app.delete(&format!("{alts}/stormalt")).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);

    // Unverify keeps the name for history; twice is a conflict.
    let answer = app.delete(&format!("{member}?reason=alt%20account")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["status"], "unverified");
    assert_eq!(answer.body["ign"], "Stormveil");
    let logged: Option<String> = sqlx::query_scalar(
        "SELECT detail FROM veri_event WHERE kind = 'unverified' ORDER BY event_id DESC LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(logged.as_deref(), Some("alt account"));
    let answer = app.delete(&member).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.code(), "not_verified");

    // A key needs Security, as /verify.
    let organizer = key(&app, GUILD, 3).await;
    let body = json!({"user_id": OTHER_MEMBER, "ign": "Other"});
    let answer = with_key(
        &app,
        &organizer,
        Method::POST,
        &verifications,
        Some(body.clone()),
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = with_key(&app, &organizer, Method::GET, &member, None).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let security = key(&app, GUILD, 4).await;
    let answer = with_key(&app, &security, Method::POST, &verifications, Some(body)).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    assert_eq!(answer.body["verified_by"], Value::Null);
    let answer = app
        .get(&format!("/v1/guilds/{GUILD}/members/nobody/verification"))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn custom_role_verifications_are_listed_and_removed() {
    let app = spawn_app().await;
    let guild = Snowflake::parse(GUILD).unwrap();
    let sf = |n: u64| Snowflake::new(n).unwrap();
    let cr = service::verification::add_custom_role(
        &app.pool,
        guild,
        &admin(),
        service::verification::NewCustomRole {
            name: "Oryx 3 completion",
            role: sf(800_000_000_000_000_001),
            description: Some("Show the O3 loot screen."),
            review_channel: sf(900_000_000_000_000_002),
            panel_channel: sf(900_000_000_000_000_003),
        },
    )
    .await
    .unwrap();
    // The bot posted its panel.
    service::verification::custom_role_panel_posted(
        &app.pool,
        guild,
        cr.custom_role_id,
        sf(900_000_000_000_000_003),
        sf(950_000_000_000_000_001),
    )
    .await
    .unwrap();

    let list = format!("/v1/guilds/{GUILD}/verification/custom-roles");
    let answer = app.get(&list).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let items = answer.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], cr.custom_role_id);
    assert_eq!(items[0]["name"], "Oryx 3 completion");
    assert_eq!(items[0]["role_id"], "800000000000000001");
    assert_eq!(items[0]["review_channel_id"], "900000000000000002");
    assert_eq!(items[0]["description"], "Show the O3 loot screen.");
    assert_eq!(items[0]["removed_at"], Value::Null);

    // Moderator, as /addroleverification.
    let security = key(&app, GUILD, 4).await;
    let answer = with_key(&app, &security, Method::GET, &list, None).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let one = format!("{list}/{}", cr.custom_role_id);
    let answer = with_key(&app, &security, Method::DELETE, &one, None).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);

    // Removing it deletes its panel on Discord (a job) and takes it off the list.
    let moderator = key(&app, GUILD, 7).await;
    let answer = with_key(&app, &moderator, Method::DELETE, &one, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["name"], "Oryx 3 completion");
    assert!(answer.body["removed_at"].is_string(), "{}", answer.text);
    assert_eq!(jobs(&app, "veri_panel_delete").await, 1);
    assert_eq!(app.get(&list).await.body["items"], json!([]));
    let answer = app.delete(&one).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let answer = app.delete(&format!("{list}/abc")).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);

    // The same role added again takes requests again.
    service::verification::add_custom_role(
        &app.pool,
        guild,
        &admin(),
        service::verification::NewCustomRole {
            name: "Oryx 3 completion",
            role: sf(800_000_000_000_000_001),
            description: None,
            review_channel: sf(900_000_000_000_000_002),
            panel_channel: sf(900_000_000_000_000_003),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        app.get(&list).await.body["items"].as_array().map(Vec::len),
        Some(1)
    );
}
