//! Punishments and staff notes through the REST API, as a client sees them.

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

fn admin() -> Actor {
    Actor::member(Snowflake::new(1).unwrap(), Level::ADMINISTRATOR)
}

/// An app whose guild has its punishment roles mapped.
async fn app_with_roles() -> TestApp {
    let app = spawn_app().await;
    let answer = app
        .put(
            &format!("/v1/guilds/{GUILD}/config/roles"),
            json!({"suspended": "800000000000000001", "muted": "800000000000000002"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    app
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

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn punish_list_and_remove_once() {
    let app = app_with_roles().await;
    let path = format!("/v1/guilds/{GUILD}/punishments");
    let suspended = app
        .post(
            &path,
            json!({"kind": "suspend", "user_id": MEMBER, "reason": "left early", "duration": "1d12h"}),
        )
        .await;
    assert_eq!(suspended.status, StatusCode::CREATED, "{}", suspended.text);
    let id = suspended.body["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("P-") && id.len() == 7, "{id}");
    assert_eq!(suspended.body["kind"], "suspend");
    assert_eq!(suspended.body["user_id"], MEMBER);
    assert_eq!(suspended.body["status"], "active");
    assert!(suspended.body["expires_at"].is_string());
    // Discord's side is queued: the apply job and the expiry timer.
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM job WHERE kind IN ('punishment_apply', 'punishment_expire')"
        )
        .await,
        2
    );

    let warned = app
        .post(
            &path,
            json!({"kind": "warn", "user_id": MEMBER, "reason": "spam"}),
        )
        .await;
    assert_eq!(warned.status, StatusCode::CREATED, "{}", warned.text);
    assert!(warned.body["expires_at"].is_null());

    let removed = app
        .post(
            &format!("{path}/{id}/remove"),
            json!({"reason": "appealed"}),
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text);
    assert_eq!(removed.body["status"], "removed");
    let again = app
        .post(&format!("{path}/{id}/remove"), json!({"reason": "again"}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(again.code(), "punishment_not_active");
    let unknown = app
        .post(&format!("{path}/P-22222/remove"), json!({"reason": "x"}))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let list = app
        .get(&format!("/v1/guilds/{GUILD}/members/{MEMBER}/punishments"))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["kind"], "warn", "newest first");
    assert_eq!(items[1]["status"], "removed");
}

#[tokio::test]
async fn bad_durations_are_422_naming_a_valid_example() {
    let app = app_with_roles().await;
    let path = format!("/v1/guilds/{GUILD}/punishments");
    for (duration, example) in [
        (Some("30s"), "30m"),
        (Some("0m"), "1m"),
        (Some("31d"), "30d"),
        (Some("soon"), "1d12h"),
        // The API's sentences are plain text: the example without Discord's backticks.
        (None, "1d12h"),
    ] {
        let mut body = json!({"kind": "mute", "user_id": MEMBER, "reason": "caps"});
        if let Some(d) = duration {
            body["duration"] = json!(d);
        }
        let answer = app.post(&path, body).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            answer.text
        );
        let message = answer.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(example), "{duration:?}: {message}");
    }
    for body in [
        json!({"kind": "yeet", "user_id": MEMBER, "reason": "x"}),
        json!({"kind": "warn", "user_id": "me", "reason": "x"}),
        json!({"kind": "warn", "user_id": MEMBER, "reason": " "}),
        json!({"kind": "warn", "user_id": MEMBER, "reason": "x", "duration": "2d"}),
    ] {
        let answer = app.post(&path, body.clone()).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            answer.text
        );
    }
    assert_eq!(count(&app, "SELECT count(*) FROM punishment").await, 0);
}

#[tokio::test]
async fn a_keys_level_gates_each_kind_and_other_guilds_change_nothing() {
    let app = app_with_roles().await;
    let security = key(&app, GUILD, 4).await;
    let path = format!("/v1/guilds/{GUILD}/punishments");
    let warn = with_key(
        &app,
        &security,
        Method::POST,
        &path,
        Some(json!({"kind": "warn", "user_id": MEMBER, "reason": "spam"})),
    )
    .await;
    assert_eq!(warn.status, StatusCode::CREATED, "{}", warn.text);
    // The apply job will re-check Discord's hierarchy against the key's level.
    let level: Option<i16> = sqlx::query_scalar("SELECT actor_level FROM punishment")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(level, Some(4));
    for kind in ["kick", "ban", "softban"] {
        let answer = with_key(
            &app,
            &security,
            Method::POST,
            &path,
            Some(json!({"kind": kind, "user_id": MEMBER, "reason": "x"})),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{kind}: {}",
            answer.text
        );
    }
    // A security key may not remove a suspension it did not give (only officers remove
    // any); the warning it gave is its own to remove (see below).
    let suspension = app
        .post(
            &path,
            json!({"kind": "suspend", "user_id": MEMBER, "reason": "x", "duration": "1h"}),
        )
        .await;
    assert_eq!(
        suspension.status,
        StatusCode::CREATED,
        "{}",
        suspension.text
    );
    let id = suspension.body["id"].as_str().unwrap();
    let remove = with_key(
        &app,
        &security,
        Method::POST,
        &format!("{path}/{id}/remove"),
        Some(json!({"reason": "x"})),
    )
    .await;
    assert_eq!(remove.status, StatusCode::FORBIDDEN, "{}", remove.text);

    let other = key(&app, OTHER_GUILD, 8).await;
    let answer = with_key(
        &app,
        &other,
        Method::POST,
        &path,
        Some(json!({"kind": "warn", "user_id": MEMBER, "reason": "x"})),
    )
    .await;
    assert!(
        matches!(answer.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        answer.text
    );
    let answer = with_key(
        &app,
        &other,
        Method::POST,
        &format!("{path}/{id}/remove"),
        Some(json!({"reason": "x"})),
    )
    .await;
    assert!(matches!(
        answer.status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    assert_eq!(count(&app, "SELECT count(*) FROM punishment").await, 2);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM punishment WHERE status = 'active'"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn notes_add_list_and_delete_by_officers_once() {
    let app = spawn_app().await;
    let security = key(&app, GUILD, 4).await;
    let officer = key(&app, GUILD, 5).await;
    let path = format!("/v1/guilds/{GUILD}/members/{MEMBER}/notes");
    let added = with_key(
        &app,
        &security,
        Method::POST,
        &path,
        Some(json!({"text": "alt of X"})),
    )
    .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    assert_eq!(added.body["text"], "alt of X");
    for text in [String::new(), "n".repeat(1001)] {
        let bad = app.post(&path, json!({"text": text})).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    }
    let long = app.post(&path, json!({"text": "n".repeat(1000)})).await;
    assert_eq!(long.status, StatusCode::CREATED);

    let list = with_key(&app, &security, Method::GET, &path, None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);

    let id = added.body["id"].as_i64().unwrap();
    let note = format!("/v1/guilds/{GUILD}/notes/{id}");
    let refused = with_key(&app, &security, Method::DELETE, &note, None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let deleted = with_key(&app, &officer, Method::DELETE, &note, None).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    assert!(deleted.body["removed_at"].is_string());
    let again = with_key(&app, &officer, Method::DELETE, &note, None).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let missing = app
        .delete(&format!("/v1/guilds/{GUILD}/notes/999999"))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let bad = app.delete(&format!("/v1/guilds/{GUILD}/notes/abc")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let other = with_key(
        &app,
        &officer,
        Method::DELETE,
        &format!("/v1/guilds/{OTHER_GUILD}/notes/{id}"),
        None,
    )
    .await;
    assert!(matches!(
        other.status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
}

/// Opens a ticket the way the bot does: first DM, confirmation.
async fn open_ticket(app: &TestApp, user: u64, text: &str) -> String {
    let guild = Snowflake::parse(GUILD).unwrap();
    let user = Snowflake::new(user).unwrap();
    let atts = vec!["https://cdn.example/a.png".to_owned()];
    let first = service::modmail::start(&app.pool, user, text, &atts, &[guild])
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
async fn modmail_tickets_list_by_status_and_show_the_transcript() {
    let app = spawn_app().await;
    let a = open_ticket(&app, 700000000000000011, "hello staff").await;
    let b = open_ticket(&app, 700000000000000012, "another one").await;
    let guild = Snowflake::parse(GUILD).unwrap();
    service::modmail::reply(&app.pool, guild, &admin(), "<@1>", &a, "hi there", None)
        .await
        .unwrap();
    service::modmail::close(&app.pool, guild, &admin(), &b)
        .await
        .unwrap();

    let base = format!("/v1/guilds/{GUILD}/modmail/tickets");
    let all = app.get(&base).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    assert_eq!(all.body["items"].as_array().unwrap().len(), 2);
    let open = app.get(&format!("{base}?status=open")).await;
    let items = open.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], a.as_str());
    let bad = app.get(&format!("{base}?status=maybe")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let one = app.get(&format!("{base}/{a}")).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    assert_eq!(one.body["status"], "open");
    let transcript = one.body["transcript"].as_array().unwrap();
    assert_eq!(transcript.len(), 2);
    assert_eq!(transcript[0]["direction"], "member");
    assert_eq!(transcript[0]["text"], "hello staff");
    assert_eq!(
        transcript[0]["attachments"],
        json!(["https://cdn.example/a.png"])
    );
    assert_eq!(transcript[1]["direction"], "staff");
    assert_eq!(
        app.get(&format!("{base}/MM-2222")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("{base}/nope")).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // A raider-level key reads nothing; another guild's key neither.
    let raider = key(&app, GUILD, 1).await;
    let r = with_key(&app, &raider, Method::GET, &base, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let other = key(&app, OTHER_GUILD, 8).await;
    let r = with_key(&app, &other, Method::GET, &format!("{base}/{a}"), None).await;
    assert!(matches!(
        r.status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
}

#[tokio::test]
async fn one_open_ticket_per_member_even_when_confirmed_twice_at_once() {
    let app = spawn_app().await;
    let guild = Snowflake::parse(GUILD).unwrap();
    let user = Snowflake::new(700000000000000013).unwrap();
    service::modmail::start(&app.pool, user, "hi", &[], &[guild])
        .await
        .unwrap();
    let (x, y) = tokio::join!(
        service::modmail::continue_dm(&app.pool, user, "m", "yes", &[]),
        service::modmail::continue_dm(&app.pool, user, "m", "yes", &[]),
    );
    x.unwrap();
    y.unwrap();
    assert_eq!(count(&app, "SELECT count(*) FROM modmail_ticket").await, 1);
    assert_eq!(
        count(&app, "SELECT count(*) FROM modmail_message").await,
        2,
        "the second yes is added to the open ticket as a message"
    );
}

#[tokio::test]
async fn a_security_key_removes_the_punishment_it_gave_and_any_warning() {
    let app = app_with_roles().await;
    let mine = key(&app, GUILD, 4).await;
    let other = key(&app, GUILD, 4).await;
    let path = format!("/v1/guilds/{GUILD}/punishments");
    let given = with_key(
        &app,
        &mine,
        Method::POST,
        &path,
        Some(
            json!({"kind": "suspend", "user_id": MEMBER, "reason": "left early", "duration": "1d"}),
        ),
    )
    .await;
    assert_eq!(given.status, StatusCode::CREATED, "{}", given.text);
    let id = given.body["id"].as_str().unwrap().to_owned();
    let remove = format!("{path}/{id}/remove");
    let refused = with_key(
        &app,
        &other,
        Method::POST,
        &remove,
        Some(json!({"reason": "appeal"})),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    let removed = with_key(
        &app,
        &mine,
        Method::POST,
        &remove,
        Some(json!({"reason": "appeal"})),
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text);
    assert_eq!(removed.body["status"], "removed");

    let warned = with_key(
        &app,
        &other,
        Method::POST,
        &path,
        Some(json!({"kind": "warn", "user_id": MEMBER, "reason": "spam"})),
    )
    .await;
    assert_eq!(warned.status, StatusCode::CREATED, "{}", warned.text);
    let id = warned.body["id"].as_str().unwrap();
    let removed = with_key(
        &app,
        &mine,
        Method::POST,
        &format!("{path}/{id}/remove"),
        Some(json!({"reason": "mistake"})),
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text);
}

#[tokio::test]
async fn a_suspended_member_cannot_be_put_in_a_run_until_the_suspension_ends() {
    let app = app_with_roles().await;
    let set = app
        .put(
            &format!("/v1/guilds/{GUILD}/config/channels"),
            json!({"raid": "800000000000000005"}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let run = app
        .post(
            &format!("/v1/guilds/{GUILD}/runs"),
            json!({"organizer_id": "700000000000000001", "dungeon": "shatters"}),
        )
        .await;
    assert_eq!(run.status, StatusCode::CREATED, "{}", run.text);
    let suspended = app
        .post(
            &format!("/v1/guilds/{GUILD}/punishments"),
            json!({"kind": "suspend", "user_id": MEMBER, "reason": "left early", "duration": "1d"}),
        )
        .await;
    assert_eq!(suspended.status, StatusCode::CREATED, "{}", suspended.text);
    let participants = format!("/v1/guilds/{GUILD}/runs/{}/participants", run.body["id"]);
    let refused = app.post(&participants, json!({"user_id": MEMBER})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert_eq!(refused.code(), "suspended");
    assert!(refused.text.contains("suspended until"), "{}", refused.text);

    sqlx::query(
        "UPDATE punishment SET created_at = now() - interval '2 days',
                expires_at = now() - interval '1 second'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let joined = app.post(&participants, json!({"user_id": MEMBER})).await;
    assert_eq!(joined.status, StatusCode::CREATED, "{}", joined.text);
}

/// PostgreSQL cannot store a NUL character: text holding one, in a body, a query or a
/// path, is a 422 naming the field, and nothing is stored (it used to be a 500).
#[tokio::test]
async fn text_with_a_nul_character_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let notes = format!("/v1/guilds/{GUILD}/members/{MEMBER}/notes");
    let cases = [
        (
            Method::POST,
            notes.clone(),
            Some(json!({"text": "abc\u{0}def"})),
            "`text`",
        ),
        (
            Method::POST,
            format!("/v1/guilds/{GUILD}/punishments"),
            Some(json!({"user_id": MEMBER, "kind": "warn", "reason": "spam\u{0}"})),
            "`reason`",
        ),
        (
            Method::POST,
            format!("/v1/guilds/{GUILD}/runs"),
            Some(json!({"organizer_id": MEMBER, "dungeon": "shatters", "location": "usw\u{0}"})),
            "`location`",
        ),
        (
            Method::DELETE,
            format!("/v1/guilds/{GUILD}/members/{MEMBER}/verification?reason=a%00b"),
            None,
            "`reason`",
        ),
        (
            Method::DELETE,
            format!("/v1/guilds/{GUILD}/members/{MEMBER}/alts/ab%00c"),
            None,
            "`ign`",
        ),
    ];
    for (method, path, body, field) in cases {
        let mut request = app.request(method.clone(), &path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = app.send(request).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {path}: {}",
            answer.text
        );
        assert_eq!(answer.code(), "invalid_text", "{path}");
        assert!(
            answer.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(field),
            "{path}: {}",
            answer.text
        );
    }
    let list = app.get(&notes).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 0);
    let runs = app.get(&format!("/v1/guilds/{GUILD}/runs")).await;
    assert_eq!(
        runs.body["runs"].as_array().map(Vec::len),
        Some(0),
        "{}",
        runs.text
    );
}

#[tokio::test]
async fn patch_moves_a_suspensions_end_and_the_history_says_who_ended_it() {
    let app = app_with_roles().await;
    let giver = key(&app, GUILD, 4).await;
    let other = key(&app, GUILD, 4).await;
    let path = format!("/v1/guilds/{GUILD}/punishments");
    let given = with_key(
        &app,
        &giver,
        Method::POST,
        &path,
        Some(json!({"kind": "suspend", "user_id": MEMBER, "reason": "afk", "duration": "1d"})),
    )
    .await;
    assert_eq!(given.status, StatusCode::CREATED, "{}", given.text);
    let id = given.body["id"].as_str().unwrap().to_owned();
    let one = format!("{path}/{id}");

    // Another security key may not edit it; the one that gave it may.
    let refused = with_key(
        &app,
        &other,
        Method::PATCH,
        &one,
        Some(json!({"duration": "3d"})),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    let nothing = with_key(&app, &giver, Method::PATCH, &one, Some(json!({}))).await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(nothing.code(), "nothing_to_edit");
    let edited = with_key(
        &app,
        &giver,
        Method::PATCH,
        &one,
        Some(json!({"duration": "3d", "reason": "afk twice"})),
    )
    .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    assert_eq!(edited.body["reason"], "afk twice");
    assert!(edited.body["edited_at"].is_string());
    let length: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM expires_at - created_at)::float8 FROM punishment",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(length, 3.0 * 86_400.0, "three days from when it was given");
    // The timer moved with it: one pending expiry, due when the punishment ends.
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM job j JOIN punishment p ON j.due_at = p.expires_at
             WHERE j.kind = 'punishment_expire' AND j.state = 'pending'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM job WHERE kind = 'punishment_expire'"
        )
        .await,
        1
    );

    // A warning has no length to change.
    let warned = app
        .post(
            &path,
            json!({"kind": "warn", "user_id": MEMBER, "reason": "spam"}),
        )
        .await;
    let warn_id = warned.body["id"].as_str().unwrap();
    let no_length = app
        .request(Method::PATCH, &format!("{path}/{warn_id}"))
        .json(&json!({"duration": "2d"}));
    let no_length = app.send(no_length).await;
    assert_eq!(no_length.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_length.code(), "duration_not_allowed");

    let removed = with_key(
        &app,
        &giver,
        Method::POST,
        &format!("{one}/remove"),
        Some(json!({"reason": "wrong member"})),
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text);
    let list = app
        .get(&format!("/v1/guilds/{GUILD}/members/{MEMBER}/punishments"))
        .await;
    let items = list.body["items"].as_array().unwrap();
    let shown = items.iter().find(|p| p["id"] == id.as_str()).unwrap();
    assert_eq!(shown["status"], "removed");
    assert_eq!(shown["end_reason"], "wrong member");
    let by = shown["ended_by"].as_str().unwrap();
    assert!(by.starts_with("api key 'k'"), "{by}");
    assert!(shown["ended_at"].is_string());
    let late = with_key(
        &app,
        &giver,
        Method::PATCH,
        &one,
        Some(json!({"reason": "x"})),
    )
    .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert_eq!(late.code(), "punishment_not_active");
}

#[tokio::test]
async fn modmail_stats_give_first_response_times_and_tickets_per_staff_member() {
    let app = spawn_app().await;
    let guild = Snowflake::parse(GUILD).unwrap();
    let a = open_ticket(&app, 700000000000000021, "one").await;
    let b = open_ticket(&app, 700000000000000022, "two").await;
    let staff = |id: u64| {
        Actor::member(
            Snowflake::new(id).unwrap(),
            domain::RoleKey::Security.level().unwrap(),
        )
    };
    let (x, y) = (staff(500000000000000001), staff(500000000000000002));
    for (who, code, text) in [(&x, &a, "first"), (&y, &a, "second"), (&x, &b, "hello")] {
        service::modmail::reply(&app.pool, guild, who, "<@staff>", code, text, None)
            .await
            .unwrap();
    }
    // Known times: `a` opened 10 minutes ago and first answered 2 minutes later (by x),
    // `b` opened 5 minutes ago and answered after 1 minute (by x); y answered `a` later.
    for (code, ago) in [(&a, 600), (&b, 300)] {
        sqlx::query(
            "UPDATE modmail_ticket SET created_at = now() - make_interval(secs => $2) WHERE code = $1",
        )
        .bind(code)
        .bind(f64::from(ago))
        .execute(&app.pool)
        .await
        .unwrap();
    }
    for (body, after) in [
        ("one", 0),
        ("two", 0),
        ("first", 120),
        ("second", 300),
        ("hello", 60),
    ] {
        sqlx::query(
            "UPDATE modmail_message m SET created_at = t.created_at + make_interval(secs => $2)
             FROM modmail_ticket t
             WHERE t.guild_id = m.guild_id AND t.ticket_id = m.ticket_id AND m.body = $1",
        )
        .bind(body)
        .bind(f64::from(after))
        .execute(&app.pool)
        .await
        .unwrap();
    }

    let r = app
        .get(&format!("/v1/guilds/{GUILD}/modmail/stats?days=7"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["opened"], 2);
    assert_eq!(r.body["answered"], 2);
    assert_eq!(r.body["closed"], 0);
    assert_eq!(r.body["avg_first_response_seconds"].as_f64(), Some(90.0));
    assert_eq!(r.body["median_first_response_seconds"].as_f64(), Some(90.0));
    let per = r.body["staff"].as_array().unwrap();
    assert_eq!(per.len(), 2);
    assert_eq!(per[0]["user_id"], "500000000000000001");
    assert_eq!(per[0]["tickets"], 2);
    assert_eq!(per[0]["replies"], 2);
    assert_eq!(per[0]["first_responses"], 2);
    assert_eq!(per[0]["avg_first_response_seconds"].as_f64(), Some(90.0));
    assert_eq!(per[1]["user_id"], "500000000000000002");
    assert_eq!(per[1]["tickets"], 1);
    assert_eq!(per[1]["first_responses"], 0);
    assert!(per[1]["avg_first_response_seconds"].is_null());

    let bad = app
        .get(&format!("/v1/guilds/{GUILD}/modmail/stats?days=0"))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let raider = key(&app, GUILD, 1).await;
    let r = with_key(
        &app,
        &raider,
        Method::GET,
        &format!("/v1/guilds/{GUILD}/modmail/stats"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
