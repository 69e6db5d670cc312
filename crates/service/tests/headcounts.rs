//! Headcount use cases against a real PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::headcount::{HeadcountStatus, ReactionKind};
use domain::roles::Level;
use domain::{ChannelKey, RoleKey, Snowflake};
use service::headcounts::{self, HeadcountError};
use service::runs::{self, RunError, RunRequest};
use service::{Actor, ServiceError, config};
use store::testing::TestDb;

/// The reason a refused dungeon list gives the organizer (the domain's sentence, carried
/// by the typed reason).
fn words(err: &ServiceError) -> String {
    match err {
        ServiceError::Headcount(headcounts::HeadcountError::BadDungeons(why)) => why.to_string(),
        other => other.to_string(),
    }
}

const GUILD: u64 = 500;

fn sf(v: u64) -> Snowflake {
    Snowflake::new(v).unwrap()
}

fn g() -> Snowflake {
    sf(GUILD)
}

fn admin() -> Actor {
    Actor::member(sf(1), Level::ADMINISTRATOR)
}

fn raider(id: u64) -> Actor {
    Actor::member(sf(id), RoleKey::VerifiedRaider.level().unwrap())
}

fn organizer(id: u64) -> Actor {
    Actor::member(sf(id), RoleKey::Organizer.level().unwrap())
}

fn officer(id: u64) -> Actor {
    Actor::member(sf(id), RoleKey::Officer.level().unwrap())
}

fn codes(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

async fn setup() -> TestDb {
    let t = TestDb::new().await;
    config::set_channels(&t.pool, g(), &admin(), &[(ChannelKey::Raid, Some(sf(900)))])
        .await
        .unwrap();
    t
}

async fn headcount(t: &TestDb, by: &Actor, dungeons: &[&str]) -> Result<i64, ServiceError> {
    headcounts::create(&t.pool, g(), by, None, &codes(dungeons))
        .await
        .map(|h| h.headcount_id)
}

async fn run(t: &TestDb, by: &Actor) -> Result<i64, ServiceError> {
    let req = RunRequest {
        dungeon: "shatters".into(),
        ..Default::default()
    };
    runs::create(&t.pool, g(), by, req).await.map(|r| r.run_id)
}

async fn count(t: &TestDb, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&t.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn one_run_or_headcount_per_organizer() {
    let t = setup().await;
    let org = organizer(10);
    let hc = headcount(&t, &org, &["shatters", "nest"]).await.unwrap();

    let err = run(&t, &org).await.unwrap_err();
    assert_eq!(err.code(), "active_headcount_exists");
    assert!(
        matches!(err, ServiceError::Headcount(HeadcountError::ActiveHeadcountExists {
            headcount_id: Some(id)
        }) if id == hc),
        "{err:?}"
    );
    let err = headcount(&t, &org, &["nest"]).await.unwrap_err();
    assert_eq!(err.code(), "active_headcount_exists");
    let err = headcounts::open_picker(&t.pool, g(), &org)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "active_headcount_exists");
    // Another organizer is not affected.
    run(&t, &organizer(11)).await.unwrap();

    headcounts::end(&t.pool, g(), hc, &org).await.unwrap();
    let run_id = run(&t, &org).await.unwrap();
    let err = headcount(&t, &org, &["nest"]).await.unwrap_err();
    assert_eq!(err.code(), "active_run_exists");
    assert!(
        matches!(err, ServiceError::Run(RunError::ActiveRunExists { run_id: Some(id) }) if id == run_id),
        "{err:?}"
    );

    // Bad input gets a reason.
    let err = headcount(&t, &organizer(12), &[]).await.unwrap_err();
    assert_eq!(words(&err), "Pick at least one dungeon.");
    let err = headcount(&t, &organizer(12), &["a", "b"])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unknown_dungeon");
    let five = ["shatters", "nest", "oryx_3", "lost_halls", "the_void"];
    let err = headcount(&t, &organizer(12), &five).await.unwrap_err();
    assert_eq!(
        words(&err),
        "A headcount holds at most 4 dungeons; you picked 5."
    );
    let err = headcount(&t, &raider(13), &["nest"]).await.unwrap_err();
    assert_eq!(err.code(), "forbidden");
}

#[tokio::test]
async fn concurrent_creations_for_one_organizer_let_exactly_one_win() {
    let t = setup().await;
    // Two headcounts at once.
    let org = organizer(10);
    let (a, b) = tokio::join!(
        headcount(&t, &org, &["shatters"]),
        headcount(&t, &org, &["nest"])
    );
    assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1, "{a:?} {b:?}");
    assert_eq!(
        a.err().or(b.err()).unwrap().code(),
        "active_headcount_exists"
    );
    // A headcount and a run at once, many times over: never both.
    for i in 0..10u64 {
        let org = organizer(100 + i);
        let (h, r) = tokio::join!(headcount(&t, &org, &["shatters"]), run(&t, &org));
        assert_eq!(h.is_ok() as u8 + r.is_ok() as u8, 1, "{h:?} {r:?}");
    }
    assert_eq!(
        count(&t, "SELECT count(*) FROM headcount WHERE status = 'open'").await
            + count(&t, "SELECT count(*) FROM run WHERE status = 'open'").await,
        11
    );
}

#[tokio::test]
async fn raiders_toggle_interest_and_keys() {
    let t = setup().await;
    let hc = headcount(&t, &organizer(10), &["shatters", "the_void"])
        .await
        .unwrap();
    let r = raider(20);
    let on = headcounts::toggle(
        &t.pool,
        g(),
        hc,
        &r,
        sf(20),
        ReactionKind::Key,
        "shatters_key",
    )
    .await
    .unwrap();
    assert!(on.on);
    let off = headcounts::toggle(
        &t.pool,
        g(),
        hc,
        &r,
        sf(20),
        ReactionKind::Key,
        "shatters_key",
    )
    .await
    .unwrap();
    assert!(!off.on, "pressing again withdraws");
    for (who, kind, code) in [
        (20, ReactionKind::Key, "lost_halls_key"),
        (21, ReactionKind::Key, "lost_halls_key"),
        (20, ReactionKind::Interest, "the_void"),
        (22, ReactionKind::Interest, "shatters"),
    ] {
        let on = headcounts::toggle(&t.pool, g(), hc, &raider(who), sf(who), kind, code)
            .await
            .unwrap();
        assert!(on.on);
    }
    let d = headcounts::get(&t.pool, g(), hc).await.unwrap();
    assert_eq!(d.key_holders("lost_halls_key"), vec![sf(20), sf(21)]);
    assert!(d.key_holders("shatters_key").is_empty());
    assert_eq!(d.interested("the_void"), vec![sf(20)]);
    assert_eq!(d.interested("shatters"), vec![sf(22)]);

    // Keys and dungeons of other headcounts, other people's answers, unverified members.
    let err = headcounts::toggle(&t.pool, g(), hc, &r, sf(20), ReactionKind::Key, "nest_key")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_in_headcount");
    let err = headcounts::toggle(&t.pool, g(), hc, &r, sf(20), ReactionKind::Interest, "nest")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_in_headcount");
    let err = headcounts::toggle(
        &t.pool,
        g(),
        hc,
        &r,
        sf(21),
        ReactionKind::Interest,
        "shatters",
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let nobody = Actor::member(sf(30), Level::NONE);
    let err = headcounts::toggle(
        &t.pool,
        g(),
        hc,
        &nobody,
        sf(30),
        ReactionKind::Interest,
        "shatters",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ServiceError::MissingRole(RoleKey::VerifiedRaider)),
        "{err:?}"
    );
    // Every answer queued one coalesced panel refresh.
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM job WHERE kind = 'headcount_panel_refresh' AND state = 'pending'"
        )
        .await,
        1
    );

    headcounts::end(&t.pool, g(), hc, &organizer(10))
        .await
        .unwrap();
    let err = headcounts::toggle(
        &t.pool,
        g(),
        hc,
        &r,
        sf(20),
        ReactionKind::Interest,
        "shatters",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ServiceError::Headcount(HeadcountError::Ended)),
        "{err:?}"
    );
}

#[tokio::test]
async fn convert_carries_key_holders_and_makes_one_run_even_when_pressed_twice() {
    let t = setup().await;
    let org = organizer(10);
    let hc = headcount(&t, &org, &["oryx_3", "shatters"]).await.unwrap();
    // Three raiders hold a Wine Cellar Incantation (2 get the location early), one a
    // Shatters key (not carried into an Oryx 3 run), two are interested.
    for who in [20, 21, 22] {
        headcounts::toggle(
            &t.pool,
            g(),
            hc,
            &raider(who),
            sf(who),
            ReactionKind::Key,
            "wc_inc",
        )
        .await
        .unwrap();
    }
    headcounts::toggle(
        &t.pool,
        g(),
        hc,
        &raider(23),
        sf(23),
        ReactionKind::Key,
        "shatters_key",
    )
    .await
    .unwrap();
    for who in [24, 25] {
        headcounts::toggle(
            &t.pool,
            g(),
            hc,
            &raider(who),
            sf(who),
            ReactionKind::Interest,
            "oryx_3",
        )
        .await
        .unwrap();
    }

    // A raider and another organizer may not convert it.
    let err = headcounts::convert(&t.pool, g(), hc, &raider(20), "oryx_3")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let err = headcounts::convert(&t.pool, g(), hc, &organizer(11), "oryx_3")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let err = headcounts::convert(&t.pool, g(), hc, &org, "nest")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_in_headcount");

    // The organizer and an officer press Convert at the same moment.
    let off = officer(12);
    let (a, b) = tokio::join!(
        headcounts::convert(&t.pool, g(), hc, &org, "oryx_3"),
        headcounts::convert(&t.pool, g(), hc, &off, "oryx_3"),
    );
    assert_eq!(
        a.is_ok() as u8 + b.is_ok() as u8,
        1,
        "exactly one convert wins"
    );
    let won = a.as_ref().ok().or(b.as_ref().ok()).unwrap().clone();
    let lost = a.err().or(b.err()).unwrap();
    assert_eq!(lost.code(), "headcount_closed");
    assert!(
        matches!(lost, ServiceError::Headcount(HeadcountError::Converted { run_id }) if run_id == won.run.run_id),
        "{lost:?}"
    );
    assert_eq!(count(&t, "SELECT count(*) FROM run").await, 1);
    assert_eq!(
        won.run.organizer_id,
        sf(10),
        "the run is the headcount organizer's"
    );
    assert_eq!(won.run.dungeon_code, "oryx_3");
    assert_eq!(won.keys_copied, 3);
    assert_eq!(won.headcount.status, HeadcountStatus::Converted);
    assert_eq!(won.headcount.converted_run_id, Some(won.run.run_id));

    let carried: Vec<(String, i64, bool)> = sqlx::query_as(
        "SELECT reaction, user_id, early FROM run_reaction WHERE run_id = $1
         ORDER BY created_at, user_id",
    )
    .bind(won.run.run_id)
    .fetch_all(&t.pool)
    .await
    .unwrap();
    assert_eq!(
        carried,
        vec![
            ("wc_inc".to_owned(), 20, true),
            ("wc_inc".to_owned(), 21, true),
            ("wc_inc".to_owned(), 22, false),
        ]
    );
    // The run panel, the raiders' announcement and the log entry are queued.
    assert_eq!(
        count(&t, "SELECT count(*) FROM job WHERE kind = 'run_panel_post'").await,
        1
    );
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM job WHERE kind = 'headcount_run_announce'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM job WHERE kind = 'log_post'
             AND payload->'event'->>'event' = 'headcount_converted'"
        )
        .await,
        1
    );
    // The converted headcount no longer blocks; the run does.
    let err = headcount(&t, &org, &["nest"]).await.unwrap_err();
    assert_eq!(err.code(), "active_run_exists");
    let err = headcounts::end(&t.pool, g(), hc, &org).await.unwrap_err();
    assert!(
        matches!(err, ServiceError::Headcount(HeadcountError::Converted { run_id }) if run_id == won.run.run_id),
        "{err:?}"
    );
}

#[tokio::test]
async fn ending_twice_is_a_clear_conflict_and_the_timer_closes_forgotten_ones() {
    let t = setup().await;
    let org = organizer(10);
    let hc = headcount(&t, &org, &["nest"]).await.unwrap();
    let err = headcounts::end(&t.pool, g(), hc, &raider(20))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let off = officer(12);
    let (a, b) = tokio::join!(
        headcounts::end(&t.pool, g(), hc, &org),
        headcounts::end(&t.pool, g(), hc, &off),
    );
    assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1);
    let err = a.err().or(b.err()).unwrap();
    assert_eq!(err.code(), "headcount_closed");
    assert!(
        matches!(err, ServiceError::Headcount(HeadcountError::Ended)),
        "{err:?}"
    );
    let ended = headcounts::get(&t.pool, g(), hc).await.unwrap().headcount;
    assert_eq!(ended.status, HeadcountStatus::Ended);
    assert!(ended.closed_at.is_some());
    assert!(!headcounts::auto_end(&t.pool, g(), hc).await.unwrap());
    let again = headcounts::end(&t.pool, g(), hc, &org).await.unwrap_err();
    assert!(
        matches!(again, ServiceError::Headcount(HeadcountError::Ended)),
        "{again:?}"
    );
    assert_eq!(
        headcounts::get(&t.pool, sf(GUILD + 1), hc)
            .await
            .map_err(|e| e.code())
            .err(),
        Some("not_found")
    );

    // A forgotten headcount: the timer is queued 12 h out; early firing re-arms it; once
    // due it closes the headcount as "auto".
    let hc = headcount(&t, &org, &["nest"]).await.unwrap();
    let due: chrono::DateTime<chrono::Utc> = sqlx::query_scalar(
        "SELECT due_at FROM job WHERE kind = 'headcount_auto_end' AND state = 'pending'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    let hours = (due - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!((11.9..=12.0).contains(&hours), "{hours}");
    assert!(!headcounts::auto_end(&t.pool, g(), hc).await.unwrap());
    sqlx::query("UPDATE headcount SET auto_end_at = now() - interval '1 minute'")
        .execute(&t.pool)
        .await
        .unwrap();
    assert!(headcounts::auto_end(&t.pool, g(), hc).await.unwrap());
    let h = headcounts::get(&t.pool, g(), hc).await.unwrap().headcount;
    assert_eq!(h.status, HeadcountStatus::Ended);
    assert_eq!(h.close_reason.as_deref(), Some("auto"));
    assert_eq!(h.closed_by, None);
    run(&t, &org).await.unwrap();
}

#[tokio::test]
async fn the_picker_keeps_choices_across_categories_and_posts_once() {
    let t = setup().await;
    let org = organizer(10);
    let draft = headcounts::open_picker(&t.pool, g(), &org).await.unwrap();
    let id = draft.draft_id;
    let err = headcounts::pick_dungeons(&t.pool, g(), &org, id, &codes(&["shatters"]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "no_category");
    headcounts::pick_category(&t.pool, g(), &org, id, "exaltation_dungeons")
        .await
        .unwrap();
    headcounts::pick_dungeons(
        &t.pool,
        g(),
        &org,
        id,
        &codes(&["shatters", "nest", "oryx_3"]),
    )
    .await
    .unwrap();
    // Picking again in the same category replaces that category's picks.
    headcounts::pick_dungeons(&t.pool, g(), &org, id, &codes(&["shatters", "nest"]))
        .await
        .unwrap();
    headcounts::pick_category(&t.pool, g(), &org, id, "mini_dungeons")
        .await
        .unwrap();
    let err = headcounts::pick_dungeons(&t.pool, g(), &org, id, &codes(&["shatters"]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unknown_dungeon");
    let err = headcounts::pick_dungeons(
        &t.pool,
        g(),
        &org,
        id,
        &codes(&["machine", "ice_tomb", "mad_god_mayhem"]),
    )
    .await
    .unwrap_err();
    assert_eq!(
        words(&err),
        "A headcount holds at most 4 dungeons; you picked 5."
    );
    let d = headcounts::pick_dungeons(&t.pool, g(), &org, id, &codes(&["machine"]))
        .await
        .unwrap();
    assert_eq!(d.dungeons, codes(&["shatters", "nest", "machine"]));
    // Someone else cannot use this organizer's picker.
    let err = headcounts::post_draft(&t.pool, g(), &organizer(11), id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");

    let (a, b) = tokio::join!(
        headcounts::post_draft(&t.pool, g(), &org, id),
        headcounts::post_draft(&t.pool, g(), &org, id),
    );
    assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1);
    let h = a.as_ref().ok().or(b.as_ref().ok()).unwrap();
    assert_eq!(h.dungeons, codes(&["shatters", "nest", "machine"]));
    assert_eq!(a.err().or(b.err()).unwrap().code(), "picker_closed");
    assert_eq!(count(&t, "SELECT count(*) FROM headcount").await, 1);
    assert_eq!(count(&t, "SELECT count(*) FROM headcount_draft").await, 0);
}
