//! The route families issue 19 added for dashboards: run history filters and key pops,
//! `/logkey` and `/logrun`, point adjustments, point and quota settings, headcounts,
//! parties, modmail replies, the audit log and API keys. Each test drives the API as a
//! client does and checks what the client sees: the answer, its status and error code,
//! and the permission levels of the matching commands.

// A failed unwrap is a failed test, with its line.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Answer, GUILD, TestApp, spawn_app};
use domain::Snowflake;
use domain::roles::Level;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use service::Actor;

const MEMBER: &str = "700000000000000009";
const ACTOR: &str = "700000000000000001";

fn admin() -> Actor {
    Actor::member(Snowflake::new(1).unwrap(), Level::ADMINISTRATOR)
}

async fn key(app: &TestApp, level: u8) -> String {
    let guild = Snowflake::parse(GUILD).unwrap();
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
) -> Answer {
    let mut b = app.client.request(method, app.url(path)).bearer_auth(key);
    if let Some(body) = body {
        b = b.json(&body);
    }
    app.send(b).await
}

/// The service key acting for a Discord user.
async fn as_user(
    app: &TestApp,
    user: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let mut b = app
        .request(method, &app.url(path).replace(&app.base, ""))
        .header("x-actor-id", user);
    if let Some(body) = body {
        b = b.json(&body);
    }
    app.send(b).await
}

fn g(path: &str) -> String {
    format!("/v1/guilds/{GUILD}{path}")
}

async fn set_channels(app: &TestApp, body: Value) {
    let a = app.put(&g("/config/channels"), body).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
}

async fn new_run(app: &TestApp, organizer: &str, dungeon: &str) -> i64 {
    let a = app
        .post(
            &g("/runs"),
            json!({"organizer_id": organizer, "dungeon": dungeon}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    a.body["id"].as_i64().unwrap()
}

fn ids(a: &Answer, list: &str) -> Vec<i64> {
    a.body[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn run_history_filters_by_dungeon_organizer_status_and_dates_and_pages_stably() {
    let app = spawn_app().await;
    set_channels(&app, json!({"raid": "800000000000000011"})).await;
    let a = new_run(&app, "600000000000000001", "shatters").await;
    let b = new_run(&app, "600000000000000002", "nest").await;
    let c = new_run(&app, "600000000000000003", "shatters").await;
    let cancelled = app.post_empty(&g(&format!("/runs/{b}/cancel"))).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text);

    let shatters = app.get(&g("/runs?dungeon=shatters")).await;
    assert_eq!(shatters.status, StatusCode::OK, "{}", shatters.text);
    assert_eq!(ids(&shatters, "runs"), vec![c, a]);
    let by = app.get(&g("/runs?organizer=600000000000000002")).await;
    assert_eq!(ids(&by, "runs"), vec![b]);
    let done = app.get(&g("/runs?status=cancelled")).await;
    assert_eq!(ids(&done, "runs"), vec![b]);
    let future = app.get(&g("/runs?from=2999-01-01T00:00:00Z")).await;
    assert_eq!(ids(&future, "runs"), Vec::<i64>::new());
    let past = app
        .get(&g(
            "/runs?from=2000-01-01T00:00:00Z&to=2999-01-01T00:00:00Z",
        ))
        .await;
    assert_eq!(ids(&past, "runs"), vec![c, b, a]);

    // Pages: newest first, the cursor is the last id; a run created meanwhile does not
    // shift the second page.
    let first = app.get(&g("/runs?limit=2")).await;
    assert_eq!(ids(&first, "runs"), vec![c, b]);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(cursor, b.to_string());
    new_run(&app, "600000000000000004", "nest").await;
    let second = app.get(&g(&format!("/runs?limit=2&cursor={cursor}"))).await;
    assert_eq!(ids(&second, "runs"), vec![a]);
    assert!(second.body["next_cursor"].is_null());

    for (query, code) in [
        ("dungeon=atlantis", "invalid_dungeon"),
        ("organizer=abc", "invalid_snowflake"),
        ("from=yesterday", "invalid_time"),
        (
            "from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            "invalid_dates",
        ),
        ("status=done", "invalid_status"),
        ("limit=500", "invalid_limit"),
        ("cursor=-1", "invalid_cursor"),
    ] {
        let bad = app.get(&g(&format!("/runs?{query}"))).await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            bad.text
        );
        assert_eq!(bad.code(), code, "{query}");
    }

    let pops = app.get(&g(&format!("/runs/{a}/pops"))).await;
    assert_eq!(pops.status, StatusCode::OK, "{}", pops.text);
    assert_eq!(pops.body["items"], json!([]));
    let missing = app.get(&g("/runs/999999/pops")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.code(), "not_found");
}

#[tokio::test]
async fn logkey_logrun_and_adjustments_give_points_at_the_commands_levels() {
    let app = spawn_app().await;
    let team = key(&app, 2).await;
    let organizer = key(&app, 3).await;
    let security = key(&app, 4).await;
    let keys = g(&format!("/members/{MEMBER}/keys"));

    let low = with_key(
        &app,
        &team,
        Method::POST,
        &keys,
        Some(json!({"dungeon": "shatters", "amount": 1})),
    )
    .await;
    assert_eq!(low.status, StatusCode::FORBIDDEN, "{}", low.text);
    let logged = with_key(
        &app,
        &organizer,
        Method::POST,
        &keys,
        Some(json!({"dungeon": "shatters", "amount": 2})),
    )
    .await;
    assert_eq!(logged.status, StatusCode::CREATED, "{}", logged.text);
    assert_eq!(logged.body["currency"], "raider");
    assert_eq!(logged.body["units"], 2);
    assert_eq!(logged.body["amount"], "2");
    assert_eq!(logged.body["total"], "2");
    for (body, code) in [
        (
            json!({"dungeon": "shatters", "amount": 0}),
            "invalid_amount",
        ),
        (
            json!({"dungeon": "shatters", "amount": 1000}),
            "invalid_amount",
        ),
        (
            json!({"dungeon": "atlantis", "amount": 1}),
            "unknown_dungeon",
        ),
        (json!({"dungeon": "shatters"}), "invalid_body"),
    ] {
        let bad = app.post(&keys, body.clone()).await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            bad.text
        );
        assert_eq!(bad.code(), code, "{body}");
    }

    // `/logrun` for another member needs Officer, as the command.
    let runs = g(&format!("/members/{MEMBER}/logged-runs"));
    let refused = with_key(
        &app,
        &organizer,
        Method::POST,
        &runs,
        Some(json!({"dungeon": "shatters", "amount": 1})),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    let ran = app
        .post(&runs, json!({"dungeon": "shatters", "amount": 1}))
        .await;
    assert_eq!(ran.status, StatusCode::CREATED, "{}", ran.text);
    assert_eq!(ran.body["currency"], "quota");

    // Adjustments: Officer and up, with a reason.
    let points = g(&format!("/members/{MEMBER}/points"));
    let body = json!({"currency": "raider", "amount": "-0.5", "reason": "double log"});
    let refused = with_key(&app, &security, Method::POST, &points, Some(body.clone())).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let adjusted = app.post(&points, body).await;
    assert_eq!(adjusted.status, StatusCode::CREATED, "{}", adjusted.text);
    assert_eq!(adjusted.body["amount"], "-0.5");
    assert_eq!(adjusted.body["total"], "1.5");
    let stats = app.get(&g(&format!("/members/{MEMBER}/stats"))).await;
    assert_eq!(stats.status, StatusCode::OK, "{}", stats.text);
    for (body, code) in [
        (
            json!({"currency": "gold", "amount": "1", "reason": "x"}),
            "invalid_currency",
        ),
        (
            json!({"currency": "raider", "amount": "abc", "reason": "x"}),
            "invalid_points",
        ),
        (
            json!({"currency": "raider", "amount": "0", "reason": "x"}),
            "invalid_points",
        ),
        (
            json!({"currency": "raider", "amount": "1", "reason": " "}),
            "reason_required",
        ),
    ] {
        let bad = app.post(&points, body.clone()).await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            bad.text
        );
        assert_eq!(bad.code(), code, "{body}");
    }
    let bad_path = app
        .post(
            &g("/members/abc/points"),
            json!({"currency": "raider", "amount": "1", "reason": "x"}),
        )
        .await;
    assert_eq!(bad_path.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_path.code(), "invalid_path_parameter");
}

#[tokio::test]
async fn point_and_quota_settings_read_and_change_as_moderator_and_are_audited() {
    let app = spawn_app().await;
    let officer = key(&app, 5).await;
    let config = g("/points/config");
    let refused = with_key(&app, &officer, Method::GET, &config, None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let before = app.get(&config).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.text);
    assert_eq!(before.body["completion_points"], "1");

    let changed = app
        .put(
            &config,
            json!({"completion_points": "2.5", "key_pop_points": "3"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(changed.body["completion_points"], "2.5");
    assert_eq!(changed.body["key_pop_points"], "3");
    let negative = app
        .put(
            &config,
            json!({"completion_points": "-1", "key_pop_points": "3"}),
        )
        .await;
    assert_eq!(negative.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(negative.code(), "invalid_points");

    let dungeon = app
        .put(&g("/points/dungeons/shatters"), json!({"completion": "5"}))
        .await;
    assert_eq!(dungeon.status, StatusCode::OK, "{}", dungeon.text);
    assert_eq!(
        dungeon.body["dungeons"],
        json!([{"dungeon": "shatters", "completion": "5", "key_pop": null}])
    );
    // A body is an object: serde alone would read `[null, null]` as two absent options.
    let array = app
        .put(&g("/points/dungeons/shatters"), json!([null, null]))
        .await;
    assert_eq!(
        array.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        array.text
    );
    assert_eq!(array.code(), "invalid_body");
    let unknown = app
        .put(&g("/points/dungeons/atlantis"), json!({"completion": "5"}))
        .await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown.text
    );

    let role = g("/quota/roles/800000000000000055");
    let fresh = app.get(&role).await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.text);
    assert_eq!(fresh.body["configured"], false);
    let set = app
        .send(
            app.request(Method::PATCH, &role)
                .json(&json!({"required": "10", "exalt_points": "2", "non_exalt_points": "1"})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.body["configured"], true);
    assert_eq!(set.body["required"], "10");
    assert_eq!(set.body["exalt_points"], "2");
    let nothing = app
        .send(app.request(Method::PATCH, &role).json(&json!({})))
        .await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(nothing.code(), "nothing_to_change");
    let half = app
        .send(
            app.request(Method::PATCH, &role)
                .json(&json!({"exalt_points": "2"})),
        )
        .await;
    assert_eq!(half.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Every change is in the audit log, newest first, which only administrators read.
    let log = app.get(&g("/audit-log?limit=100")).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text);
    let actions: Vec<&str> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"configure_points"), "{actions:?}");
    assert!(actions.contains(&"configure_quota_role"), "{actions:?}");
    let only = app.get(&g("/audit-log?action=configure_points")).await;
    assert!(
        only.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["action"] == "configure_points")
    );
    let moderator = key(&app, 7).await;
    let refused = with_key(&app, &moderator, Method::GET, &g("/audit-log"), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let bad = app.get(&g("/audit-log?action=Drop%20table")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.code(), "invalid_action");
}

#[tokio::test]
async fn headcounts_are_posted_read_converted_and_ended_once() {
    let app = spawn_app().await;
    let raider = key(&app, 1).await;
    let body = json!({"organizer_id": "600000000000000001", "dungeons": ["shatters"]});
    let refused = with_key(
        &app,
        &raider,
        Method::POST,
        &g("/headcounts"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let no_channel = app.post(&g("/headcounts"), body.clone()).await;
    assert_eq!(
        no_channel.status,
        StatusCode::CONFLICT,
        "{}",
        no_channel.text
    );
    set_channels(&app, json!({"raid": "800000000000000011"})).await;
    let created = app.post(&g("/headcounts"), body.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["status"], "open");
    let id = created.body["id"].as_i64().unwrap();
    let twice = app.post(&g("/headcounts"), body).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let none = app
        .post(
            &g("/headcounts"),
            json!({"organizer_id": "600000000000000002", "dungeons": []}),
        )
        .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(none.code(), "no_dungeon");

    let read = with_key(
        &app,
        &raider,
        Method::GET,
        &g(&format!("/headcounts/{id}")),
        None,
    )
    .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    assert_eq!(read.body["dungeons"], json!(["shatters"]));
    assert_eq!(read.body["answers"], json!([]));

    let convert = g(&format!("/headcounts/{id}/convert"));
    let wrong = app.post(&convert, json!({"dungeon": "nest"})).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.code(), "not_in_headcount");
    let converted = app.post(&convert, json!({"dungeon": "shatters"})).await;
    assert_eq!(converted.status, StatusCode::OK, "{}", converted.text);
    assert_eq!(converted.body["headcount"]["status"], "converted");
    let run = converted.body["run"]["id"].as_i64().unwrap();
    assert_eq!(converted.body["headcount"]["converted_run_id"], run);
    let again = app.post(&convert, json!({"dungeon": "shatters"})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "headcount_closed");
    let end = app.post_empty(&g(&format!("/headcounts/{id}/end"))).await;
    assert_eq!(end.status, StatusCode::CONFLICT);
    let missing = app.get(&g("/headcounts/999999")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let bad = app.get(&g("/headcounts/abc")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.code(), "invalid_path_parameter");

    // The list: newest first, by state, a page at a time; raiders may read it.
    let second = app
        .post(
            &g("/headcounts"),
            json!({"organizer_id": "600000000000000002", "dungeons": ["nest"]}),
        )
        .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.text);
    let id2 = second.body["id"].as_i64().unwrap();
    let open = with_key(
        &app,
        &raider,
        Method::GET,
        &g("/headcounts?status=open"),
        None,
    )
    .await;
    assert_eq!(open.status, StatusCode::OK, "{}", open.text);
    let ids = |page: &serde_json::Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(ids(&open.body), vec![id2]);
    assert_eq!(open.body["next_cursor"], serde_json::Value::Null);
    let first = app.get(&g("/headcounts?limit=1")).await;
    assert_eq!(ids(&first.body), vec![id2]);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let next = app
        .get(&g(&format!("/headcounts?limit=1&cursor={cursor}")))
        .await;
    assert_eq!(ids(&next.body), vec![id]);
    assert_eq!(next.body["items"][0]["status"], "converted");
    let wrong = app.get(&g("/headcounts?status=maybe")).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.code(), "invalid_status");
    let bad_limit = app.get(&g("/headcounts?limit=0")).await;
    assert_eq!(bad_limit.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn parties_belong_to_the_acting_member() {
    let app = spawn_app().await;
    let body = json!({"name": "Lost Halls cult", "location": "USW3"});
    let no_channel = as_user(
        &app,
        ACTOR,
        Method::POST,
        &g("/parties"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(
        no_channel.status,
        StatusCode::CONFLICT,
        "{}",
        no_channel.text
    );
    set_channels(&app, json!({"party_finder": "800000000000000012"})).await;
    // An API key is no member to post as.
    let raider = key(&app, 1).await;
    let keyed = with_key(
        &app,
        &raider,
        Method::POST,
        &g("/parties"),
        Some(body.clone()),
    )
    .await;
    assert!(keyed.status.is_client_error(), "{}", keyed.text);
    let created = as_user(
        &app,
        ACTOR,
        Method::POST,
        &g("/parties"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["owner_id"], ACTOR);
    let id = created.body["id"].as_i64().unwrap();
    let second = as_user(&app, ACTOR, Method::POST, &g("/parties"), Some(body)).await;
    assert_eq!(second.status, StatusCode::CONFLICT);

    let read = with_key(
        &app,
        &raider,
        Method::GET,
        &g(&format!("/parties/{id}")),
        None,
    )
    .await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["name"], "Lost Halls cult");
    let not_owner = as_user(
        &app,
        MEMBER,
        Method::POST,
        &g(&format!("/parties/{id}/extend")),
        None,
    )
    .await;
    assert_eq!(
        not_owner.status,
        StatusCode::FORBIDDEN,
        "{}",
        not_owner.text
    );
    let extended = as_user(
        &app,
        ACTOR,
        Method::POST,
        &g(&format!("/parties/{id}/extend")),
        None,
    )
    .await;
    assert_eq!(extended.status, StatusCode::OK, "{}", extended.text);
    assert_eq!(extended.body["changed"], true);
    // A raider-level key may not close another's party; a moderator (the service key) may.
    let refused = with_key(
        &app,
        &raider,
        Method::POST,
        &g(&format!("/parties/{id}/close")),
        None,
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let closed = app.post_empty(&g(&format!("/parties/{id}/close"))).await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.text);
    assert_eq!(closed.body["close_reason"], "moderator");
    let again = app.post_empty(&g(&format!("/parties/{id}/close"))).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let missing = app.get(&g("/parties/999999")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

/// Opens a ticket the way the bot does: first DM, confirmation.
async fn open_ticket(app: &TestApp, user: u64, text: &str) -> String {
    let guild = Snowflake::parse(GUILD).unwrap();
    let user = Snowflake::new(user).unwrap();
    let first = service::modmail::start(&app.pool, user, text, &[], &[guild])
        .await
        .unwrap();
    assert_eq!(first, service::modmail::DmOutcome::Confirm { guild });
    match service::modmail::continue_dm(&app.pool, user, "member", "yes", &[])
        .await
        .unwrap()
    {
        Some(service::modmail::DmOutcome::Opened { code, .. }) => code,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn modmail_replies_go_into_the_transcript() {
    let app = spawn_app().await;
    let code = open_ticket(&app, 700000000000000011, "hello staff").await;
    let path = g(&format!("/modmail/tickets/{code}/replies"));
    let organizer = key(&app, 3).await;
    let refused = with_key(
        &app,
        &organizer,
        Method::POST,
        &path,
        Some(json!({"text": "hi"})),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let replied = as_user(
        &app,
        ACTOR,
        Method::POST,
        &path,
        Some(json!({"text": "We are on it."})),
    )
    .await;
    assert_eq!(replied.status, StatusCode::CREATED, "{}", replied.text);
    let transcript = replied.body["transcript"].as_array().unwrap();
    let last = transcript.last().unwrap();
    assert_eq!(last["direction"], "staff");
    assert_eq!(last["text"], "We are on it.");
    assert_eq!(last["author_id"], ACTOR);
    let empty = app.post(&path, json!({})).await;
    assert_eq!(
        empty.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        empty.text
    );
    let missing = app
        .post(
            &g("/modmail/tickets/MM-ZZZZ/replies"),
            json!({"text": "hi"}),
        )
        .await;
    assert!(
        matches!(
            missing.status,
            StatusCode::NOT_FOUND | StatusCode::UNPROCESSABLE_ENTITY
        ),
        "{}",
        missing.text
    );
}

#[tokio::test]
async fn administrators_list_create_and_revoke_api_keys() {
    let app = spawn_app().await;
    let moderator = key(&app, 7).await;
    let refused = with_key(&app, &moderator, Method::GET, &g("/api-keys"), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = with_key(
        &app,
        &moderator,
        Method::POST,
        &g("/api-keys"),
        Some(json!({"label": "x", "level": 1})),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let created = app
        .post(&g("/api-keys"), json!({"label": "dashboard", "level": 4}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("rbk_"));
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(created.body["level"], 4);
    // The new key works at its level.
    let works = with_key(
        &app,
        &secret,
        Method::GET,
        &g(&format!("/members/{MEMBER}/punishments")),
        None,
    )
    .await;
    assert_eq!(works.status, StatusCode::OK, "{}", works.text);

    for (body, code) in [
        (json!({"label": "", "level": 4}), "invalid_label"),
        (json!({"label": "x", "level": 9}), "invalid_level"),
        (json!({"label": "x", "level": 0}), "invalid_level"),
    ] {
        let bad = app.post(&g("/api-keys"), body.clone()).await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            bad.text
        );
        assert_eq!(bad.code(), code, "{body}");
    }

    let page = app.get(&g("/api-keys?limit=1")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(ids(&page, "items"), vec![id]);
    assert!(page.body["items"][0].get("secret").is_none());
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    let rest = app.get(&g(&format!("/api-keys?cursor={cursor}"))).await;
    assert_eq!(ids(&rest, "items").len(), 1, "the moderator's key");

    let revoked = app.delete(&g(&format!("/api-keys/{id}"))).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.text);
    let gone = with_key(
        &app,
        &secret,
        Method::GET,
        &g(&format!("/members/{MEMBER}/punishments")),
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::UNAUTHORIZED);
    let twice = app.delete(&g(&format!("/api-keys/{id}"))).await;
    assert_eq!(twice.status, StatusCode::NOT_FOUND);
    let listed = app.get(&g("/api-keys")).await;
    assert!(listed.body["items"][0]["revoked_at"].is_string());
    let log = app.get(&g("/audit-log?action=api_key_revoke")).await;
    assert_eq!(log.body["items"].as_array().unwrap().len(), 1);
}
