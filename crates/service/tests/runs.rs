//! Run use cases against a real PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::roles::Level;
use domain::run::RunAction;
use domain::{ChannelKey, RoleKey, RunStatus, Snowflake};
use service::runs::{self, RunRequest};
use service::{Actor, ServiceError, config};
use store::testing::TestDb;

const GUILD: u64 = 500;

fn sf(v: u64) -> Snowflake {
    Snowflake::new(v).unwrap()
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

async fn setup() -> TestDb {
    let t = TestDb::new().await;
    config::set_channels(
        &t.pool,
        sf(GUILD),
        &admin(),
        &[(ChannelKey::Raid, Some(sf(900)))],
    )
    .await
    .unwrap();
    t
}

async fn shatters(t: &TestDb, by: &Actor) -> Result<i64, ServiceError> {
    let req = RunRequest {
        dungeon: "shatters".into(),
        ..Default::default()
    };
    runs::create(&t.pool, sf(GUILD), by, req)
        .await
        .map(|r| r.run_id)
}

#[tokio::test]
async fn a_hundred_concurrent_joins_count_exactly() {
    let t = setup().await;
    let run = shatters(&t, &organizer(10)).await.unwrap();
    let joins = (0..100u64).map(|i| {
        let pool = t.pool.clone();
        tokio::spawn(async move {
            runs::join(&pool, sf(GUILD), run, &raider(1000 + i), sf(1000 + i), None).await
        })
    });
    for j in futures_util::future::join_all(joins).await {
        j.unwrap().unwrap();
    }
    // Pressing again changes nothing.
    runs::join(&t.pool, sf(GUILD), run, &raider(1000), sf(1000), None)
        .await
        .unwrap();
    let d = runs::get(&t.pool, sf(GUILD), run).await.unwrap();
    assert_eq!(d.run.participant_count, 100);
    assert_eq!(d.participants.len(), 100);
}

#[tokio::test]
async fn rules_of_creation() {
    let t = TestDb::new().await;
    let raider = Actor::member(sf(20), RoleKey::VerifiedRaider.level().unwrap());
    assert!(matches!(
        shatters(&t, &raider).await,
        Err(ServiceError::Forbidden(_))
    ));
    let err = shatters(&t, &organizer(10)).await.unwrap_err();
    assert_eq!(err.code(), "raid_channel_not_configured");
    config::set_channels(
        &t.pool,
        sf(GUILD),
        &admin(),
        &[(ChannelKey::Raid, Some(sf(900)))],
    )
    .await
    .unwrap();
    let bad = RunRequest {
        dungeon: "atlantis".into(),
        ..Default::default()
    };
    let err = runs::create(&t.pool, sf(GUILD), &organizer(10), bad)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unknown_dungeon");
    let long = RunRequest {
        dungeon: "shatters".into(),
        description: Some("x".repeat(501)),
        ..Default::default()
    };
    let err = runs::create(&t.pool, sf(GUILD), &organizer(10), long)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Description is too long: 501 characters, at most 500."
    );
    let first = shatters(&t, &organizer(10)).await.unwrap();
    let err = shatters(&t, &organizer(10)).await.unwrap_err();
    assert_eq!(err.code(), "active_run_exists");
    assert!(err.to_string().contains(&format!("#{first}")));
}

#[tokio::test]
async fn only_the_organizer_or_higher_staff_manage_and_ending_happens_once() {
    let t = setup().await;
    let run = shatters(&t, &organizer(10)).await.unwrap();
    let other_organizer = organizer(11);
    let err = runs::transition(&t.pool, sf(GUILD), run, &other_organizer, RunAction::Start)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden(_)));
    let err = runs::transition(&t.pool, sf(GUILD), run, &organizer(10), RunAction::End)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_transition");
    runs::transition(&t.pool, sf(GUILD), run, &organizer(10), RunAction::Start)
        .await
        .unwrap();

    let officer = Actor::member(sf(12), RoleKey::Officer.level().unwrap());
    let org = organizer(10);
    let (a, b) = tokio::join!(
        runs::transition(&t.pool, sf(GUILD), run, &org, RunAction::End),
        runs::transition(&t.pool, sf(GUILD), run, &officer, RunAction::End),
    );
    assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1, "exactly one end wins");
    let loser = a.err().or(b.err()).unwrap();
    assert_eq!(loser.to_string(), "This run has already ended.");
    let ended = runs::get(&t.pool, sf(GUILD), run).await.unwrap().run;
    assert_eq!(ended.status, RunStatus::Ended);
    let ended_at = ended.ended_at.unwrap();
    assert!(!runs::auto_end(&t.pool, sf(GUILD), run).await.unwrap());
    let again = runs::get(&t.pool, sf(GUILD), run).await.unwrap().run;
    assert_eq!(again.ended_at, Some(ended_at));
    let err = runs::join(&t.pool, sf(GUILD), run, &raider(77), sf(77), None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "run_closed");
    // A run of this guild is not found through another guild.
    assert!(matches!(
        runs::get(&t.pool, sf(GUILD + 1), run).await,
        Err(ServiceError::NotFound(_))
    ));
}

#[tokio::test]
async fn only_verified_raiders_join_themselves_and_only_managers_move_others() {
    let t = setup().await;
    let run = shatters(&t, &organizer(10)).await.unwrap();
    let unverified = Actor::member(sf(30), domain::roles::Level::NONE);
    let err = runs::join(&t.pool, sf(GUILD), run, &unverified, sf(30), None)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "You need the Verified Raider role (or higher) to do this."
    );
    let err = runs::join(&t.pool, sf(GUILD), run, &raider(31), sf(32), None)
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden(_)));
    // The organizer can add and remove someone (e.g. from a voice channel roll call).
    runs::join(
        &t.pool,
        sf(GUILD),
        run,
        &organizer(10),
        sf(32),
        Some("priest"),
    )
    .await
    .unwrap();
    let err = runs::leave(&t.pool, sf(GUILD), run, &raider(31), sf(32))
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden(_)));
    assert!(
        runs::leave(&t.pool, sf(GUILD), run, &organizer(10), sf(32))
            .await
            .unwrap()
            .was_in
    );
}

#[tokio::test]
async fn the_default_run_length_is_checked_and_only_administrators_change_it() {
    let t = setup().await;
    let g = sf(GUILD);
    for bad in [0, -5, 1441] {
        let err = config::run_auto_end(&t.pool, g, &admin(), Some(bad))
            .await
            .unwrap_err();
        assert!(
            matches!(err, ServiceError::Invalid { .. }),
            "{bad}: {err:?}"
        );
    }
    let err = config::run_auto_end(&t.pool, g, &organizer(5), Some(60))
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden(_)));
    // Nothing changed: still the 2-hour default.
    assert_eq!(
        config::run_auto_end(&t.pool, g, &admin(), None)
            .await
            .unwrap(),
        (120, 120)
    );
    assert_eq!(
        config::run_auto_end(&t.pool, g, &admin(), Some(45))
            .await
            .unwrap(),
        (120, 45)
    );
    // A run without its own duration takes the new length.
    let run = shatters(&t, &organizer(5)).await.unwrap();
    let minutes: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM auto_end_at - created_at)::float8 / 60 FROM run WHERE run_id = $1",
    )
    .bind(run)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert!((44.0..=46.0).contains(&minutes), "{minutes}");
}
