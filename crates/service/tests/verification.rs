//! Verification use cases against a real PostgreSQL and a local RealmEye stub.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use domain::roles::Level;
use domain::verification::Unmet;
use domain::{ChannelKey, RoleKey, Snowflake};
use service::verification::{self as veri, CheckFailure, CheckOutcome, ConfigChange, LineOutcome};
use service::{Actor, ServiceError, config};
use store::testing::TestDb;

fn sf(v: u64) -> Snowflake {
    Snowflake::new(v).unwrap()
}
fn g() -> Snowflake {
    sf(700)
}
fn admin() -> Actor {
    Actor::member(sf(1), Level::ADMINISTRATOR)
}
fn security() -> Actor {
    Actor::member(sf(2), RoleKey::Security.level().unwrap())
}

async fn setup() -> TestDb {
    let t = TestDb::new().await;
    config::set_channels(
        &t.pool,
        g(),
        &admin(),
        &[
            (ChannelKey::ManualVerification, Some(sf(920))),
            (ChannelKey::VeriLog, Some(sf(921))),
        ],
    )
    .await
    .unwrap();
    t
}

/// A RealmEye stub: `/player/{name}` answers with the page in `page` (`{CODE}` replaced
/// by `code`), or 503 when `page` is "down".
#[derive(Clone, Default)]
struct Stub {
    page: Arc<Mutex<String>>,
    code: Arc<Mutex<String>>,
}

async fn handler(State(s): State<Stub>, Path(_name): Path<String>) -> axum::response::Response {
    let page = s.page.lock().unwrap().clone();
    if page == "down" {
        return (StatusCode::SERVICE_UNAVAILABLE, "down").into_response();
    }
    page.replace("{CODE}", &s.code.lock().unwrap())
        .into_response()
}

async fn stub() -> (realmeye::Client, Stub) {
    let s = Stub::default();
    let app = Router::new()
        .route("/player/{name}", get(handler))
        .with_state(s.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    let client = realmeye::Client::new(realmeye::ClientConfig {
        base_url: format!("http://{addr}"),
        min_interval: Duration::from_millis(1),
        backoff: Duration::from_millis(1),
        ..Default::default()
    })
    .unwrap();
    (client, s)
}

fn page(rank: u32, location: &str) -> String {
    format!(
        r#"<html><body><h1><span class="entity-name">Stormveil</span></h1>
        <table class="summary"><tr><td>Characters</td><td>4</td></tr>
        <tr><td>Fame</td><td>900 (10th)</td></tr><tr><td>Rank</td><td>{rank}</td></tr>
        <tr><td>Created</td><td>~2 years ago</td></tr><tr><td>Last seen</td><td>{location}</td></tr></table>
        <div class="description" id="d"><div class="line1">hi</div><div class="line2">{{CODE}}</div></div>
        </body></html>"#
    )
}

async fn job_count(t: &TestDb, kind: &str) -> i64 {
    store::jobs::count(&t.pool, kind, "pending").await.unwrap()
}

async fn uncool(t: &TestDb) {
    sqlx::query("UPDATE veri_session SET last_check_at = NULL")
        .execute(&t.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn two_members_claiming_one_name_at_once_one_wins() {
    let t = setup().await;
    let sec = security();
    let (a, b) = tokio::join!(
        veri::verify(&t.pool, g(), &sec, sf(10), "Stormveil"),
        veri::verify(&t.pool, g(), &sec, sf(11), "STORMVEIL"),
    );
    assert!(a.is_ok() != b.is_ok(), "{a:?} {b:?}");
    let err = a.err().or(b.err()).unwrap();
    assert_eq!(err.code(), "ign_taken");
    assert!(
        matches!(
            &err,
            ServiceError::Verification(veri::VerificationError::IgnTaken { ign })
                if ign.eq_ignore_ascii_case("Stormveil")
        ),
        "{err:?}"
    );
    // Alts share the namespace.
    veri::verify(&t.pool, g(), &security(), sf(12), "Other")
        .await
        .unwrap();
    let e = veri::add_alt(&t.pool, g(), &security(), sf(12), "stormveil")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "ign_taken");
    veri::add_alt(&t.pool, g(), &security(), sf(12), "Alty")
        .await
        .unwrap();
    let n = veri::names(&t.pool, g(), sf(12)).await.unwrap().unwrap();
    assert_eq!(n.main.as_deref(), Some("Other"));
    assert_eq!(n.alts, ["Alty"]);
    assert!(job_count(&t, "member_sync").await >= 2);
}

#[tokio::test]
async fn a_realmeye_session_issues_a_code_checks_requirements_then_verifies() {
    let t = setup().await;
    let (client, s) = stub().await;
    veri::configure(
        &t.pool,
        g(),
        &admin(),
        ConfigChange {
            min_rank: Some(50),
            hidden_location: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let session = veri::start(&t.pool, g(), sf(20), None).await.unwrap();
    assert_eq!(session.step, "awaiting_ign");
    // Bad input is explained.
    veri::direct_message(&t.pool, sf(20), "Storm veil!", None)
        .await
        .unwrap();
    let still = veri::session(&t.pool, g(), session.session_id)
        .await
        .unwrap();
    assert_eq!(still.step, "awaiting_ign");
    let s2 = veri::direct_message(&t.pool, sf(20), "Stormveil", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s2.step, "awaiting_done");
    let code = s2.code.clone().unwrap();
    assert!(code.starts_with("RAID-"));
    *s.code.lock().unwrap() = code.clone();

    // Private profile, RealmEye down, code missing: specific reasons.
    *s.page.lock().unwrap() = std::fs::read_to_string(format!(
        "{}/../realmeye/tests/fixtures/private.html",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let out = veri::check(&t.pool, &client, g(), sf(20), session.session_id)
        .await
        .unwrap();
    assert!(
        matches!(&out, CheckOutcome::Failed { why: CheckFailure::Private { url } } if url.ends_with("/player/Stormveil")),
        "{out:?}"
    );
    // The cooldown refuses an immediate retry.
    let e = veri::check(&t.pool, &client, g(), sf(20), session.session_id)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "check_cooldown");
    uncool(&t).await;
    *s.page.lock().unwrap() = "down".into();
    let out = veri::check(&t.pool, &client, g(), sf(20), session.session_id)
        .await
        .unwrap();
    assert!(
        matches!(
            &out,
            CheckOutcome::Failed {
                why: CheckFailure::Unavailable { .. }
            }
        ),
        "{out:?}"
    );
    uncool(&t).await;
    *s.page.lock().unwrap() =
        page(10, "2024-01-01 at USEast as Wizard").replace("{CODE}", "nothing");
    let out = veri::check(&t.pool, &client, g(), sf(20), session.session_id)
        .await
        .unwrap();
    assert!(
        matches!(&out, CheckOutcome::Failed { why: CheckFailure::CodeMissing { code: c, .. } } if *c == code),
        "{out:?}"
    );
    // Requirements are named.
    uncool(&t).await;
    *s.page.lock().unwrap() = page(10, "2024-01-01 at USEast as Wizard");
    let out = veri::check(&t.pool, &client, g(), sf(20), session.session_id)
        .await
        .unwrap();
    let CheckOutcome::Failed {
        why: CheckFailure::RequirementsUnmet { unmet, screenshot },
    } = out
    else {
        panic!("{out:?}")
    };
    assert!(
        unmet.contains(&Unmet::Rank {
            min: 50,
            shown: Some(10)
        }) && unmet.contains(&Unmet::LocationShown {
            place: "USEast".into()
        }),
        "{unmet:?}"
    );
    assert!(screenshot);
    // Met: verified.
    uncool(&t).await;
    *s.page.lock().unwrap() = page(60, "hidden");
    let out = veri::check(&t.pool, &client, g(), sf(20), session.session_id)
        .await
        .unwrap();
    assert_eq!(
        out,
        CheckOutcome::Verified {
            ign: domain::Ign::parse("Stormveil").unwrap()
        }
    );
    let n = veri::names(&t.pool, g(), sf(20)).await.unwrap().unwrap();
    assert!(n.is_verified());
    let mut conn = t.pool.acquire().await.unwrap();
    let kinds = store::verification::events::event_kinds(&mut conn, g(), sf(20))
        .await
        .unwrap();
    assert_eq!(kinds.first().map(String::as_str), Some("started"));
    assert!(kinds.contains(&"code_issued".to_owned()));
    assert_eq!(kinds.iter().filter(|k| *k == "check_failed").count(), 4);
    assert_eq!(kinds.last().map(String::as_str), Some("verified"));
    // A second member cannot take the name through the DM flow.
    veri::start(&t.pool, g(), sf(21), None).await.unwrap();
    let s3 = veri::direct_message(&t.pool, sf(21), "stormveil", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s3.step, "awaiting_ign");
}

#[tokio::test]
async fn sessions_expire_by_their_timer_and_the_member_is_told() {
    let t = setup().await;
    let s = veri::start(&t.pool, g(), sf(30), None).await.unwrap();
    assert_eq!(job_count(&t, "veri_session_expire").await, 1);
    // Too early: re-armed, not expired.
    assert!(!veri::expire(&t.pool, g(), s.session_id).await.unwrap());
    sqlx::query("UPDATE veri_session SET expires_at = now() - interval '1 minute'")
        .execute(&t.pool)
        .await
        .unwrap();
    let dms_before = job_count(&t, "veri_dm").await;
    assert!(veri::expire(&t.pool, g(), s.session_id).await.unwrap());
    assert!(
        !veri::expire(&t.pool, g(), s.session_id).await.unwrap(),
        "only once"
    );
    assert_eq!(job_count(&t, "veri_dm").await, dms_before + 1);
    let after = veri::session(&t.pool, g(), s.session_id).await.unwrap();
    assert_eq!(after.step, "expired");
    assert!(
        veri::direct_message(&t.pool, sf(30), "Name", None)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn screenshots_are_reviewed_once() {
    let t = setup().await;
    veri::configure(
        &t.pool,
        g(),
        &admin(),
        ConfigChange {
            realmeye: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let s = veri::start(&t.pool, g(), sf(40), None).await.unwrap();
    assert_eq!(s.method, "screenshot");
    veri::direct_message(&t.pool, sf(40), "Picture", None)
        .await
        .unwrap();
    let s = veri::direct_message(&t.pool, sf(40), "", Some(("https://cdn/x.png", true)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.step, "under_review");
    let review_id: i64 = sqlx::query_scalar("SELECT review_id FROM veri_review")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    let raider = Actor::member(sf(99), RoleKey::VerifiedRaider.level().unwrap());
    assert_eq!(
        veri::approve(&t.pool, g(), &raider, review_id, None)
            .await
            .map_err(|e| e.code())
            .err(),
        Some("forbidden")
    );
    let r = veri::approve(&t.pool, g(), &security(), review_id, Some("Pictures"))
        .await
        .unwrap();
    assert_eq!(r.state, "approved");
    assert_eq!(r.decided_by, Some(sf(2)));
    let e = veri::deny(&t.pool, g(), &security(), review_id, "no")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "review_decided");
    let n = veri::names(&t.pool, g(), sf(40)).await.unwrap().unwrap();
    assert_eq!(n.main.as_deref(), Some("Pictures"));
}

#[tokio::test]
async fn syncteam_reports_each_line() {
    let t = setup().await;
    veri::verify(&t.pool, g(), &security(), sf(50), "Taken")
        .await
        .unwrap();
    let text = "\
123456789012345678 PlayerOne
234567890123456789 PlayerTwo AltTwo
345678901234567890 Taken
not-a-user Name
# comment

123456789012345678 PlayerOne
123456789012345678 PlayerUno Alt";
    let out = veri::sync_team(&t.pool, g(), &admin(), text).await.unwrap();
    let kinds: Vec<String> = out
        .iter()
        .map(|(n, o)| match o {
            LineOutcome::Added => format!("{n} added"),
            LineOutcome::Updated => format!("{n} updated"),
            LineOutcome::Unchanged => format!("{n} unchanged"),
            LineOutcome::Taken { .. } => format!("{n} conflict"),
            LineOutcome::Invalid(_) => format!("{n} invalid"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "1 added",
            "2 added",
            "3 conflict",
            "4 invalid",
            "7 unchanged",
            "8 updated"
        ]
    );
    let n = veri::names(&t.pool, g(), sf(123456789012345678))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n.main.as_deref(), Some("PlayerUno"));
    assert_eq!(n.alts, ["Alt"]);
    assert_eq!(
        veri::sync_team(&t.pool, g(), &security(), text)
            .await
            .map_err(|e| e.code())
            .err(),
        Some("forbidden")
    );
}

#[tokio::test]
async fn unverify_keeps_the_name_and_editname_renames() {
    let t = setup().await;
    veri::verify(&t.pool, g(), &security(), sf(60), "Oldname")
        .await
        .unwrap();
    veri::edit_name(&t.pool, g(), &security(), sf(60), "Newname")
        .await
        .unwrap();
    veri::unverify(&t.pool, g(), &security(), sf(60), Some("left"))
        .await
        .unwrap();
    let n = veri::names(&t.pool, g(), sf(60)).await.unwrap().unwrap();
    assert!(!n.is_verified());
    assert_eq!(n.main.as_deref(), Some("Newname"));
    // The old name is free again.
    veri::verify(&t.pool, g(), &security(), sf(61), "oldname")
        .await
        .unwrap();
    let e = veri::unverify(&t.pool, g(), &security(), sf(60), None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "not_verified");
}

/// A member who started with RealmEye presses "screenshot instead" in the DM: the session
/// is a screenshot session from then on, as stored, and they are asked for the image.
#[tokio::test]
async fn a_realmeye_session_switched_to_screenshot_stays_a_screenshot_session() {
    let t = setup().await;
    veri::configure(
        &t.pool,
        g(),
        &admin(),
        ConfigChange {
            screenshot: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let started = veri::start(&t.pool, g(), sf(50), None).await.unwrap();
    assert_eq!(started.method, "realmeye");
    let switched = veri::choose_screenshot(&t.pool, g(), sf(50), started.session_id)
        .await
        .unwrap();
    assert_eq!(switched.method, "screenshot");
    let stored = veri::session(&t.pool, g(), started.session_id)
        .await
        .unwrap();
    assert_eq!(stored.method, "screenshot");
    assert_eq!(stored.step, switched.step);
}

#[tokio::test]
async fn the_settings_keep_the_commands_limits_and_the_history_is_for_security() {
    let t = setup().await;
    for (change, code) in [
        (
            ConfigChange {
                min_rank: Some(101),
                ..ConfigChange::default()
            },
            "out_of_range",
        ),
        (
            ConfigChange {
                min_account_age_days: Some(10_001),
                ..ConfigChange::default()
            },
            "out_of_range",
        ),
        (
            ConfigChange {
                panel_message: Some("x".repeat(1501)),
                ..ConfigChange::default()
            },
            "too_long",
        ),
    ] {
        match veri::configure(&t.pool, g(), &admin(), change).await {
            Err(e) => assert_eq!(e.code(), code),
            other => panic!("{other:?}"),
        }
    }
    let c = veri::configure(
        &t.pool,
        g(),
        &admin(),
        ConfigChange {
            min_rank: Some(100),
            panel_message: Some("x".repeat(1500)),
            ..ConfigChange::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        c.requirements.min_rank,
        Some(100),
        "the limit itself is allowed"
    );

    let member = sf(55);
    veri::verify(&t.pool, g(), &security(), member, "Firstname")
        .await
        .unwrap();
    veri::edit_name(&t.pool, g(), &security(), member, "Secondname")
        .await
        .unwrap();
    let (events, total) = veri::history(&t.pool, g(), &security(), member, 1)
        .await
        .unwrap();
    assert_eq!(total, 2);
    assert_eq!(events.len(), 1, "at most the limit");
    assert_eq!(events[0].kind, "name_changed", "newest first");
    let raider = Actor::member(member, RoleKey::VerifiedRaider.level().unwrap());
    assert_eq!(
        veri::history(&t.pool, g(), &raider, member, 10)
            .await
            .map_err(|e| e.code())
            .err(),
        Some("forbidden")
    );
}
