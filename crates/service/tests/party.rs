//! Party finder use cases against a real PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use domain::roles::Level;
use domain::{ChannelKey, RoleKey, Snowflake};
use service::party::{self, PartyError, PartyRequest};
use service::{Actor, ServiceError, config};
use store::party::{CloseReason, PartyStatus};
use store::testing::TestDb;

const GUILD: u64 = 600;

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

fn moderator(id: u64) -> Actor {
    Actor::member(sf(id), RoleKey::Moderator.level().unwrap())
}

async fn setup() -> TestDb {
    let t = TestDb::new().await;
    config::set_channels(
        &t.pool,
        g(),
        &admin(),
        &[(ChannelKey::PartyFinder, Some(sf(910)))],
    )
    .await
    .unwrap();
    t
}

fn req(name: &str) -> PartyRequest {
    PartyRequest {
        name: name.into(),
        location: Some("USEast".into()),
        description: None,
    }
}

async fn timer_due(t: &TestDb, party_id: i64) -> Vec<chrono::DateTime<Utc>> {
    sqlx::query_scalar(
        "SELECT due_at FROM job WHERE kind = 'party_auto_close' AND state = 'pending'
           AND dedupe_key = $1",
    )
    .bind(format!("party:{party_id}"))
    .fetch_all(&t.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_party_is_posted_with_a_two_hour_timer_and_one_open_per_member() {
    let t = setup().await;
    let p = party::create(&t.pool, g(), &raider(20), req("Chill Fungal"))
        .await
        .unwrap();
    assert_eq!(p.status, PartyStatus::Open);
    assert_eq!(p.channel_id, sf(910));
    assert_eq!(p.closes_at - p.created_at, Duration::hours(2));
    // The auto-close timer is a job row due when the party closes; the post is queued.
    assert_eq!(timer_due(&t, p.party_id).await, vec![p.closes_at]);
    let posts: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM job WHERE kind = 'party_post' AND state = 'pending'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(posts, 1);

    let err = party::create(&t.pool, g(), &raider(20), req("Another"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "party_open_exists");
    assert!(
        matches!(&err, ServiceError::Party(PartyError::OpenExists { open: Some((name, _)) }) if name == "Chill Fungal"),
        "{err:?}"
    );
    // Someone else may post their own.
    party::create(&t.pool, g(), &raider(21), req("Other"))
        .await
        .unwrap();
}

#[tokio::test]
async fn who_may_post_and_what_is_refused() {
    let t = TestDb::new().await;
    // No channel configured: the answer names /setchannels.
    let err = party::create(&t.pool, g(), &raider(20), req("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ServiceError::Party(PartyError::ChannelNotConfigured)),
        "{err:?}"
    );
    let t = setup().await;
    let nobody = Actor::member(sf(30), Level::NONE);
    assert_eq!(
        party::create(&t.pool, g(), &nobody, req("x"))
            .await
            .map_err(|e| e.code())
            .err(),
        Some("forbidden")
    );
    for (name, loc, desc) in [
        ("   ", None, None),
        (&*"n".repeat(61), None, None),
        ("ok", Some("l".repeat(101)), None),
        ("ok", None, Some("d".repeat(501))),
    ] {
        let r = PartyRequest {
            name: name.to_owned(),
            location: loc,
            description: desc,
        };
        let err = party::create(&t.pool, g(), &raider(20), r)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "invalid_text", "{err}");
    }
    let ok = PartyRequest {
        name: "n".repeat(60),
        location: Some("l".repeat(100)),
        description: Some("d".repeat(500)),
    };
    party::create(&t.pool, g(), &raider(20), ok).await.unwrap();
}

#[tokio::test]
async fn three_parties_per_rolling_hour_then_a_clear_when() {
    let t = setup().await;
    let me = raider(40);
    let mut first_created = None;
    for i in 0..3 {
        let p = party::create(&t.pool, g(), &me, req(&format!("P{i}")))
            .await
            .unwrap();
        first_created.get_or_insert(p.created_at);
        party::close(&t.pool, g(), p.party_id, &me).await.unwrap();
    }
    let err = party::create(&t.pool, g(), &me, req("P3"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "party_rate_limited");
    let again = first_created.unwrap() + Duration::hours(1);
    assert!(
        matches!(err, ServiceError::Party(PartyError::RateLimited { again: at }) if at.timestamp() == again.timestamp()),
        "{err:?}"
    );
    // The count comes from rows: move the oldest creation back past the hour and the
    // member may post again.
    sqlx::query("UPDATE party SET created_at = created_at - interval '61 minutes', closes_at = closes_at - interval '61 minutes' WHERE name = 'P0'")
        .execute(&t.pool)
        .await
        .unwrap();
    party::create(&t.pool, g(), &me, req("P3")).await.unwrap();
}

#[tokio::test]
async fn concurrent_creations_respect_both_rules() {
    let t = setup().await;
    let tries = (0..8).map(|i| {
        let pool = t.pool.clone();
        tokio::spawn(async move {
            party::create(&pool, g(), &raider(50), req(&format!("Race {i}"))).await
        })
    });
    let results = futures_util::future::join_all(tries).await;
    let ok = results
        .iter()
        .filter(|r| r.as_ref().unwrap().is_ok())
        .count();
    assert_eq!(ok, 1);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM party")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn extend_rules_and_the_timer_moves() {
    let t = setup().await;
    let owner = raider(60);
    let p = party::create(&t.pool, g(), &owner, req("Long"))
        .await
        .unwrap();
    // Someone else, even a moderator, cannot extend it.
    for who in [raider(61), moderator(62)] {
        assert!(matches!(
            party::extend(&t.pool, g(), p.party_id, &who).await,
            Err(ServiceError::Party(PartyError::NotOwner))
        ));
    }
    // A double click extends once.
    let clicks = (0..2).map(|_| {
        let pool = t.pool.clone();
        let owner = owner.clone();
        tokio::spawn(async move { party::extend(&pool, g(), p.party_id, &owner).await })
    });
    let results: Vec<_> = futures_util::future::join_all(clicks)
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap())
        .collect();
    assert_eq!(results.iter().filter(|e| e.changed).count(), 1);
    let after = party::get(&t.pool, g(), p.party_id).await.unwrap();
    assert_eq!(after.closes_at - p.closes_at, Duration::hours(1));
    assert_eq!(timer_due(&t, p.party_id).await, vec![after.closes_at]);

    // Later presses extend up to 6 hours after creation, then refuse.
    for _ in 0..3 {
        sqlx::query("UPDATE party SET extended_at = extended_at - interval '1 minute'")
            .execute(&t.pool)
            .await
            .unwrap();
        let e = party::extend(&t.pool, g(), p.party_id, &owner)
            .await
            .unwrap();
        assert!(e.changed);
    }
    let full = party::get(&t.pool, g(), p.party_id).await.unwrap();
    assert_eq!(full.closes_at - full.created_at, Duration::hours(6));
    sqlx::query("UPDATE party SET extended_at = extended_at - interval '1 minute'")
        .execute(&t.pool)
        .await
        .unwrap();
    let err = party::extend(&t.pool, g(), p.party_id, &owner)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "party_max_lifetime");
    assert!(
        matches!(err, ServiceError::Party(PartyError::MaxLifetime { .. })),
        "{err:?}"
    );

    // A closed party cannot be extended.
    party::close(&t.pool, g(), p.party_id, &owner)
        .await
        .unwrap();
    let err = party::extend(&t.pool, g(), p.party_id, &owner)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "party_closed");
}

#[tokio::test]
async fn close_rules_and_concurrent_closes() {
    let t = setup().await;
    let owner = raider(70);
    let p = party::create(&t.pool, g(), &owner, req("Closing"))
        .await
        .unwrap();
    assert!(matches!(
        party::close(&t.pool, g(), p.party_id, &raider(71)).await,
        Err(ServiceError::Party(PartyError::MayNotClose))
    ));
    // Owner and a moderator click Close at once: one closes, the other is told.
    let clicks = [owner.clone(), moderator(72)].map(|who| {
        let pool = t.pool.clone();
        tokio::spawn(async move { party::close(&pool, g(), p.party_id, &who).await })
    });
    let results: Vec<_> = futures_util::future::join_all(clicks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    let err = results.iter().find_map(|r| r.as_ref().err()).unwrap();
    assert_eq!(err.code(), "party_closed");
    assert!(
        matches!(
            err,
            ServiceError::Party(PartyError::AlreadyClosed { by: Some(_), .. })
        ),
        "{err:?}"
    );
    let closed = party::get(&t.pool, g(), p.party_id).await.unwrap();
    assert_eq!(closed.status, PartyStatus::Closed);
    assert!(closed.closed_at.is_some());
    assert!(matches!(
        closed.close_reason,
        Some(CloseReason::Owner | CloseReason::Moderator)
    ));
    // Exactly one removal was queued.
    let removals: i64 = sqlx::query_scalar("SELECT count(*) FROM job WHERE kind = 'party_remove'")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(removals, 1);
    // The owner may post again now.
    party::create(&t.pool, g(), &owner, req("Next"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_moderator_closes_and_the_timer_closes_only_when_due() {
    let t = setup().await;
    let p = party::create(&t.pool, g(), &raider(80), req("Mod"))
        .await
        .unwrap();
    let closed = party::close(&t.pool, g(), p.party_id, &moderator(81))
        .await
        .unwrap();
    assert_eq!(closed.close_reason, Some(CloseReason::Moderator));
    assert_eq!(closed.closed_by, Some(sf(81)));
    // The timer of a closed party does nothing.
    assert!(!party::auto_close(&t.pool, g(), p.party_id).await.unwrap());

    let p = party::create(&t.pool, g(), &raider(82), req("Timed"))
        .await
        .unwrap();
    // Too early (it was extended): it re-arms and stays open.
    assert!(!party::auto_close(&t.pool, g(), p.party_id).await.unwrap());
    assert_eq!(
        party::get(&t.pool, g(), p.party_id).await.unwrap().status,
        PartyStatus::Open
    );
    sqlx::query(
        "UPDATE party SET created_at = now() - interval '2 hours', closes_at = now() - interval '1 second'
         WHERE party_id = $1",
    )
        .bind(p.party_id)
        .execute(&t.pool)
        .await
        .unwrap();
    assert!(party::auto_close(&t.pool, g(), p.party_id).await.unwrap());
    let closed = party::get(&t.pool, g(), p.party_id).await.unwrap();
    assert_eq!(closed.close_reason, Some(CloseReason::Auto));
    assert_eq!(closed.closed_by, None);
    assert!(!party::auto_close(&t.pool, g(), p.party_id).await.unwrap());
}

#[tokio::test]
async fn a_post_that_cannot_be_made_does_not_block_its_owner() {
    let t = setup().await;
    let owner = raider(90);
    let p = party::create(&t.pool, g(), &owner, req("Lost"))
        .await
        .unwrap();
    assert!(party::post_failed(&t.pool, g(), p.party_id).await.unwrap());
    let closed = party::get(&t.pool, g(), p.party_id).await.unwrap();
    assert_eq!(closed.close_reason, Some(CloseReason::Auto));
    party::create(&t.pool, g(), &owner, req("Found"))
        .await
        .unwrap();
}
