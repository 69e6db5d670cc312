//! Dungeon ping role use cases against a real PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::roles::Level;
use domain::{ChannelKey, RoleKey, Snowflake};
use service::{Actor, ServiceError, config, role_pings};
use store::testing::TestDb;

const GUILD: u64 = 700;

fn sf(v: u64) -> Snowflake {
    Snowflake::new(v).unwrap()
}

fn g() -> Snowflake {
    sf(GUILD)
}

fn moderator() -> Actor {
    Actor::member(sf(2), RoleKey::Moderator.level().unwrap())
}

#[tokio::test]
async fn moderators_map_and_clear_with_an_audit_row_each() {
    let t = TestDb::new().await;
    let organizer = Actor::member(sf(3), RoleKey::Organizer.level().unwrap());
    assert_eq!(
        role_pings::configure(&t.pool, g(), &organizer, "shatters", Some(sf(50)))
            .await
            .map_err(|e| e.code())
            .err(),
        Some("forbidden")
    );
    let err = role_pings::configure(&t.pool, g(), &moderator(), "atlantis", Some(sf(50)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unknown_dungeon");
    let err = role_pings::configure(&t.pool, g(), &moderator(), "shatters", Some(g()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "everyone_role");

    assert_eq!(
        role_pings::configure(&t.pool, g(), &moderator(), "shatters", Some(sf(50)))
            .await
            .unwrap(),
        None
    );
    role_pings::configure(&t.pool, g(), &moderator(), "oryx_3", Some(sf(51)))
        .await
        .unwrap();
    // The same mapping again changes nothing and is not audited again.
    role_pings::configure(&t.pool, g(), &moderator(), "oryx_3", Some(sf(51)))
        .await
        .unwrap();
    let mut conn = t.pool.acquire().await.unwrap();
    assert_eq!(
        store::role_pings::ping_role(&mut conn, g(), "shatters")
            .await
            .unwrap(),
        Some(sf(50))
    );
    assert_eq!(
        store::role_pings::ping_role(&mut conn, sf(GUILD + 1), "shatters")
            .await
            .unwrap(),
        None
    );
    let all = role_pings::list(&t.pool, g(), &moderator()).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(
        role_pings::configure(&t.pool, g(), &moderator(), "shatters", None)
            .await
            .unwrap(),
        Some(sf(50))
    );
    assert!(
        role_pings::role_for(&t.pool, g(), "shatters")
            .await
            .is_err()
    );
    assert_eq!(
        role_pings::role_for(&t.pool, g(), "oryx_3").await.unwrap(),
        sf(51)
    );
    let audits: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'set_role_ping'")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(audits, 3);
}

#[tokio::test]
async fn the_panel_needs_a_channel_and_a_mapping() {
    let t = TestDb::new().await;
    let err = role_pings::post_panel(&t.pool, g(), &moderator(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ServiceError::RolePing(role_pings::RolePingError::NoChannel)
        ),
        "{err:?}"
    );
    let err = role_pings::post_panel(&t.pool, g(), &moderator(), Some(sf(77)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "no_role_pings");
    role_pings::configure(&t.pool, g(), &moderator(), "shatters", Some(sf(50)))
        .await
        .unwrap();
    config::set_channels(
        &t.pool,
        g(),
        &Actor::member(sf(1), Level::ADMINISTRATOR),
        &[(ChannelKey::RolePing, Some(sf(78)))],
    )
    .await
    .unwrap();
    assert_eq!(
        role_pings::post_panel(&t.pool, g(), &moderator(), None)
            .await
            .unwrap(),
        sf(78)
    );
    assert_eq!(
        role_pings::post_panel(&t.pool, g(), &moderator(), Some(sf(77)))
            .await
            .unwrap(),
        sf(77)
    );
    let queued: i64 =
        sqlx::query_scalar("SELECT count(*) FROM job WHERE kind = 'role_ping_panel_post'")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(queued, 2);
}
