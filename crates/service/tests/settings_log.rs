//! Every configuration change is audited and posted to `bot_log`; a change that changes
//! nothing records nothing; a start-up queues one line per server with a `bot_log`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::quota::Points;
use domain::roles::Level;
use domain::{ChannelKey, RoleKey, Snowflake};
use service::quota::{self, PointsChange, QuotaChange};
use service::verification::{self, ConfigChange, NewCustomRole};
use service::{Actor, config};
use store::testing::TestDb;

const GUILD: u64 = 720;

fn sf(v: u64) -> Snowflake {
    Snowflake::new(v).unwrap()
}

fn g() -> Snowflake {
    sf(GUILD)
}

fn moderator() -> Actor {
    Actor::member(sf(7), RoleKey::Moderator.level().unwrap())
}

/// (audit rows, bot_log entries) with this action / settings area.
async fn recorded(t: &TestDb, action: &str, area: &str) -> (i64, i64) {
    let audits: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = $1 AND actor_id = 7")
            .bind(action)
            .fetch_one(&t.pool)
            .await
            .unwrap();
    let logs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM job WHERE kind = 'log_post'
           AND payload->'channel' = '\"bot_log\"'
           AND payload->'event'->>'event' = 'settings_changed'
           AND payload->'event'->>'area' = $1",
    )
    .bind(area)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    (audits, logs)
}

#[tokio::test]
async fn every_settings_change_is_audited_and_posted_to_bot_log() {
    let t = TestDb::new().await;
    let admin = Actor::member(sf(1), Level::ADMINISTRATOR);
    config::set_channels(&t.pool, g(), &admin, &[(ChannelKey::BotLog, Some(sf(950)))])
        .await
        .unwrap();
    let m = moderator();

    quota::configure_quota_role(
        &t.pool,
        g(),
        &m,
        sf(300),
        Some(3),
        QuotaChange::Required(Points::whole(12)),
    )
    .await
    .unwrap();
    // Setting the same value again changes nothing and records nothing.
    quota::configure_quota_role(
        &t.pool,
        g(),
        &m,
        sf(300),
        Some(3),
        QuotaChange::Required(Points::whole(12)),
    )
    .await
    .unwrap();
    assert_eq!(recorded(&t, "configure_quota_role", "quota").await, (1, 1));

    quota::configure_points(
        &t.pool,
        g(),
        &m,
        PointsChange::Defaults {
            completion: Points::whole(2),
            key_pop: Points::whole(5),
        },
    )
    .await
    .unwrap();
    assert_eq!(recorded(&t, "configure_points", "points").await, (1, 1));

    verification::configure(
        &t.pool,
        g(),
        &m,
        ConfigChange {
            min_rank: Some(30),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        recorded(&t, "configure_verification", "verification").await,
        (1, 1)
    );

    let cr = verification::add_custom_role(
        &t.pool,
        g(),
        &m,
        NewCustomRole {
            name: "Oryx 3 completion",
            role: sf(400),
            description: None,
            review_channel: sf(951),
            panel_channel: sf(952),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        recorded(&t, "add_role_verification", "role_verification_added").await,
        (1, 1)
    );
    verification::remove_custom_role(&t.pool, g(), &m, cr.custom_role_id)
        .await
        .unwrap();
    assert_eq!(
        recorded(&t, "remove_role_verification", "role_verification_removed").await,
        (1, 1)
    );

    // What the verification entry carries: the changed setting and its new value.
    let changes: serde_json::Value = sqlx::query_scalar(
        "SELECT payload->'event'->'changes' FROM job
         WHERE payload->'event'->>'area' = 'verification'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(changes, serde_json::json!([["min_rank", "30"]]));
}

#[tokio::test]
async fn a_start_queues_one_line_for_each_server_with_a_bot_log() {
    let t = TestDb::new().await;
    let admin = Actor::member(sf(1), Level::ADMINISTRATOR);
    for (guild, log) in [(721, Some(sf(960))), (722, Some(sf(961))), (723, None)] {
        config::set_channels(
            &t.pool,
            sf(guild),
            &admin,
            &[(ChannelKey::BotLog, log), (ChannelKey::Raid, Some(sf(970)))],
        )
        .await
        .unwrap();
    }
    assert_eq!(config::announce_start(&t.pool, "9.9.9").await.unwrap(), 2);
    let guilds: Vec<i64> = sqlx::query_scalar(
        "SELECT guild_id FROM job WHERE payload->'event'->>'event' = 'bot_started'
         ORDER BY guild_id",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    assert_eq!(guilds, vec![721, 722]);
}
