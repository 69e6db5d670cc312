//! A suspended member cannot raid: every raiding action asks the same rule, answers with
//! the time the suspension ends, and lets the member back in the moment it is over.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::headcount::ReactionKind;
use domain::moderation::{PunishmentKind, TargetFacts};
use domain::roles::Level;
use domain::{ChannelKey, RoleKey, Snowflake};
use service::moderation::{self, PunishRequest, Target};
use service::party::{self, PartyRequest};
use service::runs::{self, JoinChange, RunRequest};
use service::{Actor, ServiceError, config, headcounts};
use store::testing::TestDb;

const GUILD: u64 = 710;
const RAIDER: u64 = 20;

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

async fn setup() -> TestDb {
    let t = TestDb::new().await;
    config::set_roles(
        &t.pool,
        g(),
        &admin(),
        &[(RoleKey::Suspended, Some(sf(801)))],
    )
    .await
    .unwrap();
    config::set_channels(
        &t.pool,
        g(),
        &admin(),
        &[
            (ChannelKey::Raid, Some(sf(900))),
            (ChannelKey::PartyFinder, Some(sf(910))),
        ],
    )
    .await
    .unwrap();
    t
}

async fn suspend(t: &TestDb, user: u64) -> chrono::DateTime<chrono::Utc> {
    let target = Target {
        facts: TargetFacts {
            user_id: sf(user),
            level: RoleKey::VerifiedRaider.level().unwrap(),
            is_owner: false,
            top_position: Some(1),
        },
        bot_top_position: Some(10),
    };
    let p = moderation::punish(
        &t.pool,
        g(),
        &Actor::member(sf(5), RoleKey::Security.level().unwrap()),
        &target,
        PunishRequest {
            kind: PunishmentKind::Suspend,
            reason: "Leeching".into(),
            duration: Some("2d".into()),
            delete_days: None,
        },
    )
    .await
    .unwrap();
    p.expires_at.unwrap()
}

fn assert_suspended<T: std::fmt::Debug>(
    what: &str,
    r: Result<T, ServiceError>,
    until: chrono::DateTime<chrono::Utc>,
) {
    match r {
        Err(ServiceError::Suspended { user, until: u }) => {
            assert_eq!(user, sf(RAIDER), "{what}");
            assert_eq!(u, until, "{what} names the end of the suspension");
        }
        other => panic!("{what}: a suspended member is refused, got {other:?}"),
    }
}

#[tokio::test]
async fn a_suspended_member_is_refused_every_raiding_action_until_the_suspension_ends() {
    let t = setup().await;
    let run = runs::create(
        &t.pool,
        g(),
        &organizer(10),
        RunRequest {
            dungeon: "shatters".into(),
            raider_cap: Some(1),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .run_id;
    // Someone fills the only place, so Bench is a real choice.
    runs::join(&t.pool, g(), run, &raider(30), sf(30), None)
        .await
        .unwrap();
    let hc = headcounts::create(&t.pool, g(), &organizer(11), None, &["nest".to_owned()])
        .await
        .unwrap()
        .headcount_id;
    let until = suspend(&t, RAIDER).await;
    let me = raider(RAIDER);

    assert_suspended(
        "Join",
        runs::join(&t.pool, g(), run, &me, sf(RAIDER), None).await,
        until,
    );
    assert_suspended(
        "class",
        runs::join(&t.pool, g(), run, &me, sf(RAIDER), Some("Wizard")).await,
        until,
    );
    assert_suspended(
        "Bench",
        runs::bench(&t.pool, g(), run, &me, sf(RAIDER)).await,
        until,
    );
    assert_suspended(
        "a key",
        runs::react(&t.pool, g(), run, &me, "shatters_key", false).await,
        until,
    );
    assert_suspended(
        "a confirmed key",
        runs::react(&t.pool, g(), run, &me, "shatters_key", true).await,
        until,
    );
    assert_suspended(
        "headcount interest",
        headcounts::toggle(
            &t.pool,
            g(),
            hc,
            &me,
            sf(RAIDER),
            ReactionKind::Interest,
            "nest",
        )
        .await,
        until,
    );
    assert_suspended(
        "headcount key",
        headcounts::toggle(
            &t.pool,
            g(),
            hc,
            &me,
            sf(RAIDER),
            ReactionKind::Key,
            "nest_key",
        )
        .await,
        until,
    );
    assert_suspended(
        "a party",
        party::create(
            &t.pool,
            g(),
            &me,
            PartyRequest {
                name: "Chill Fungal".into(),
                location: None,
                description: None,
            },
        )
        .await,
        until,
    );
    // Staff putting them in (the REST API's join for another member) are refused too.
    assert_suspended(
        "join by staff",
        runs::join(&t.pool, g(), run, &admin(), sf(RAIDER), None).await,
        until,
    );
    let d = runs::get(&t.pool, g(), run).await.unwrap();
    assert!(d.roster.iter().all(|e| e.user_id != sf(RAIDER)));
    assert!(d.reactions.is_empty());

    // The suspension's time is up; its timer has not run yet (the role is still on them),
    // yet the member can raid again at once.
    sqlx::query(
        "UPDATE punishment SET created_at = now() - interval '3 days',
                expires_at = now() - interval '1 second'",
    )
    .execute(&t.pool)
    .await
    .unwrap();
    let out = runs::bench(&t.pool, g(), run, &me, sf(RAIDER))
        .await
        .unwrap();
    assert_eq!(out, runs::BenchOutcome::Benched { place: 1 });
    runs::leave(&t.pool, g(), run, &me, sf(RAIDER))
        .await
        .unwrap();
    runs::set_cap(&t.pool, g(), run, &organizer(10), None)
        .await
        .unwrap();
    let out = runs::join(&t.pool, g(), run, &me, sf(RAIDER), Some("Wizard"))
        .await
        .unwrap();
    assert_eq!(out.change, JoinChange::Joined);
    runs::react(&t.pool, g(), run, &me, "shatters_key", true)
        .await
        .unwrap();
    headcounts::toggle(
        &t.pool,
        g(),
        hc,
        &me,
        sf(RAIDER),
        ReactionKind::Interest,
        "nest",
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_suspended_member_can_still_leave_and_withdraw_a_key() {
    let t = setup().await;
    let run = runs::create(
        &t.pool,
        g(),
        &organizer(10),
        RunRequest {
            dungeon: "shatters".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .run_id;
    let me = raider(RAIDER);
    runs::join(&t.pool, g(), run, &me, sf(RAIDER), None)
        .await
        .unwrap();
    runs::react(&t.pool, g(), run, &me, "shatters_key", true)
        .await
        .unwrap();
    suspend(&t, RAIDER).await;
    let out = runs::react(&t.pool, g(), run, &me, "shatters_key", false)
        .await
        .unwrap();
    assert!(matches!(out, runs::ReactOutcome::Withdrawn { .. }));
    let out = runs::leave(&t.pool, g(), run, &me, sf(RAIDER))
        .await
        .unwrap();
    assert!(out.was_in);
}

#[tokio::test]
async fn a_raider_suspended_on_the_bench_is_passed_over_when_a_place_opens() {
    let t = setup().await;
    let run = runs::create(
        &t.pool,
        g(),
        &organizer(10),
        RunRequest {
            dungeon: "shatters".into(),
            raider_cap: Some(1),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .run_id;
    runs::join(&t.pool, g(), run, &raider(30), sf(30), None)
        .await
        .unwrap();
    // RAIDER benches first, then 31; RAIDER is suspended while waiting.
    runs::bench(&t.pool, g(), run, &raider(RAIDER), sf(RAIDER))
        .await
        .unwrap();
    runs::bench(&t.pool, g(), run, &raider(31), sf(31))
        .await
        .unwrap();
    suspend(&t, RAIDER).await;
    let out = runs::leave(&t.pool, g(), run, &raider(30), sf(30))
        .await
        .unwrap();
    assert_eq!(
        out.promoted,
        vec![sf(31)],
        "the suspended raider is passed over"
    );
    let d = runs::get(&t.pool, g(), run).await.unwrap();
    assert_eq!(
        d.participants.iter().map(|p| p.user_id).collect::<Vec<_>>(),
        vec![sf(31)]
    );
    assert_eq!(
        d.benched().map(|e| e.user_id).collect::<Vec<_>>(),
        vec![sf(RAIDER)],
        "still benched, not dropped"
    );
}

#[tokio::test]
async fn a_converted_headcount_leaves_out_the_keys_of_members_suspended_since() {
    let t = setup().await;
    let hc = headcounts::create(&t.pool, g(), &organizer(11), None, &["nest".to_owned()])
        .await
        .unwrap()
        .headcount_id;
    for who in [RAIDER, 32] {
        headcounts::toggle(
            &t.pool,
            g(),
            hc,
            &raider(who),
            sf(who),
            ReactionKind::Key,
            "nest_key",
        )
        .await
        .unwrap();
    }
    suspend(&t, RAIDER).await;
    let conv = headcounts::convert(&t.pool, g(), hc, &organizer(11), "nest")
        .await
        .unwrap();
    let d = runs::get(&t.pool, g(), conv.run.run_id).await.unwrap();
    assert_eq!(
        d.reactors("nest_key")
            .map(|r| r.user_id)
            .collect::<Vec<_>>(),
        vec![sf(32)]
    );
}
