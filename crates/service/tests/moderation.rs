//! Moderation use cases against a real PostgreSQL: hierarchy refusals, durations, expiry
//! exactly once, rejoin, removal and notes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::moderation::{HierarchyRefusal, PunishmentKind, TargetFacts};
use domain::roles::Level;
use domain::{RoleKey, Snowflake};
use service::error::Refusal;
use service::moderation::{self, ModerationError, PunishRequest, Target};
use service::{Actor, ServiceError, config};
use store::punishments::PunishmentStatus;
use store::testing::TestDb;

const GUILD: u64 = 700;

fn sf(v: u64) -> Snowflake {
    Snowflake::new(v).unwrap()
}

fn g() -> Snowflake {
    sf(GUILD)
}

fn lvl(k: RoleKey) -> Level {
    k.level().unwrap()
}

fn security(id: u64) -> Actor {
    Actor::member(sf(id), lvl(RoleKey::Security))
}

fn officer(id: u64) -> Actor {
    Actor::member(sf(id), lvl(RoleKey::Officer))
}

fn target(id: u64, level: Level) -> Target {
    Target {
        facts: TargetFacts {
            user_id: sf(id),
            level,
            is_owner: false,
            top_position: Some(1),
        },
        bot_top_position: Some(10),
    }
}

fn raider(id: u64) -> Target {
    target(id, lvl(RoleKey::VerifiedRaider))
}

fn req(kind: PunishmentKind, duration: Option<&str>) -> PunishRequest {
    PunishRequest {
        kind,
        reason: "Spamming in chat".into(),
        duration: duration.map(str::to_owned),
        delete_days: None,
    }
}

async fn setup() -> TestDb {
    let t = TestDb::new().await;
    config::set_roles(
        &t.pool,
        g(),
        &Actor::member(sf(1), Level::ADMINISTRATOR),
        &[
            (RoleKey::Suspended, Some(sf(801))),
            (RoleKey::Muted, Some(sf(802))),
        ],
    )
    .await
    .unwrap();
    t
}

async fn jobs(t: &TestDb, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM job WHERE kind = $1")
        .bind(kind)
        .fetch_one(&t.pool)
        .await
        .unwrap()
}

async fn count(t: &TestDb) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM punishment")
        .fetch_one(&t.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn hierarchy_refusals_name_the_reason_and_change_nothing() {
    let t = setup().await;
    let sec = security(10);
    let cases = [
        (target(20, lvl(RoleKey::Officer)), "target_not_below_actor"),
        (target(21, lvl(RoleKey::Security)), "target_not_below_actor"),
        (target(10, Level(0)), "self_target"),
        (
            Target {
                facts: TargetFacts {
                    is_owner: true,
                    ..raider(22).facts
                },
                ..raider(22)
            },
            "owner_target",
        ),
    ];
    for (tg, code) in cases {
        let e = moderation::punish(&t.pool, g(), &sec, &tg, req(PunishmentKind::Warn, None))
            .await
            .unwrap_err();
        assert_eq!(e.code(), code, "{e}");
    }
    // Above the bot: a warning is only a record, a suspension needs Discord.
    let high = Target {
        facts: TargetFacts {
            top_position: Some(12),
            ..raider(23).facts
        },
        ..raider(23)
    };
    let e = moderation::punish(
        &t.pool,
        g(),
        &sec,
        &high,
        req(PunishmentKind::Suspend, Some("1h")),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "target_above_bot");
    assert!(
        matches!(
            e,
            ServiceError::Moderation(ModerationError::Hierarchy(
                HierarchyRefusal::AboveBot { .. }
            ))
        ),
        "{e:?}"
    );
    // Security cannot kick at all.
    let e = moderation::punish(
        &t.pool,
        g(),
        &sec,
        &raider(24),
        req(PunishmentKind::Kick, None),
    )
    .await
    .unwrap_err();
    assert_eq!(e.refusal(), Some(Refusal::Forbidden));
    assert_eq!(count(&t).await, 0);
    assert_eq!(jobs(&t, "punishment_apply").await, 0);
}

#[tokio::test]
async fn bad_durations_and_reasons_are_refused_with_an_example() {
    let t = setup().await;
    for (d, code) in [
        (None, "duration_required"),
        (Some("soon"), "invalid_duration"),
        (Some("30s"), "invalid_duration"),
        (Some("31d"), "invalid_duration"),
    ] {
        let e = moderation::punish(
            &t.pool,
            g(),
            &security(10),
            &raider(20),
            req(PunishmentKind::Mute, d),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code(), code, "{d:?}");
        assert!(
            matches!(
                e,
                ServiceError::Moderation(
                    ModerationError::DurationRequired | ModerationError::BadDuration(_)
                )
            ),
            "{e:?}"
        );
    }
    let mut r = req(PunishmentKind::Warn, None);
    r.reason = "   ".into();
    let e = moderation::punish(&t.pool, g(), &security(10), &raider(20), r)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_text");
    assert_eq!(count(&t).await, 0);
}

#[tokio::test]
async fn a_suspension_records_queues_apply_and_timer_and_ids_are_short() {
    let t = setup().await;
    let p = moderation::punish(
        &t.pool,
        g(),
        &security(10),
        &raider(20),
        req(PunishmentKind::Suspend, Some("1d12h")),
    )
    .await
    .unwrap();
    assert!(p.code.starts_with("P-") && p.code.len() == 7, "{}", p.code);
    assert_eq!(p.status, PunishmentStatus::Active);
    let minutes = (p.expires_at.unwrap() - p.created_at).num_minutes();
    assert_eq!(minutes, 36 * 60);
    assert_eq!(jobs(&t, "punishment_apply").await, 1);
    assert_eq!(jobs(&t, "punishment_expire").await, 1);
    // A second suspension while one runs is refused, naming the running one.
    let e = moderation::punish(
        &t.pool,
        g(),
        &security(11),
        &raider(20),
        req(PunishmentKind::Suspend, Some("2d")),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "already_punished");
    assert!(
        matches!(&e, ServiceError::Moderation(ModerationError::AlreadyPunished {
            running: Some((code, _)), ..
        }) if *code == p.code),
        "{e:?}"
    );
    // Many punishments get distinct codes.
    let mut codes = std::collections::HashSet::new();
    for i in 0..40 {
        let w = moderation::punish(
            &t.pool,
            g(),
            &security(10),
            &raider(100 + i),
            req(PunishmentKind::Warn, None),
        )
        .await
        .unwrap();
        assert!(codes.insert(w.code));
    }
}

#[tokio::test]
async fn a_punishment_role_must_be_configured_first() {
    let t = TestDb::new().await;
    let e = moderation::punish(
        &t.pool,
        g(),
        &security(10),
        &raider(20),
        req(PunishmentKind::Mute, Some("30m")),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "punishment_role_not_configured");
    assert!(
        matches!(
            e,
            ServiceError::Moderation(ModerationError::RoleNotConfigured { .. })
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn expiry_happens_exactly_once_under_two_workers() {
    let t = setup().await;
    let p = moderation::punish(
        &t.pool,
        g(),
        &security(10),
        &raider(20),
        req(PunishmentKind::Mute, Some("1m")),
    )
    .await
    .unwrap();
    // Early: nothing ends, the timer is set again.
    assert!(
        !moderation::expire(&t.pool, g(), p.punishment_id)
            .await
            .unwrap()
    );
    sqlx::query("UPDATE punishment SET created_at = now() - interval '2 minutes', expires_at = now() - interval '1 second'")
        .execute(&t.pool)
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        moderation::expire(&t.pool, g(), p.punishment_id),
        moderation::expire(&t.pool, g(), p.punishment_id)
    );
    assert_eq!([a.unwrap(), b.unwrap()].iter().filter(|x| **x).count(), 1);
    let after = moderation::get(&t.pool, g(), p.punishment_id)
        .await
        .unwrap();
    assert_eq!(after.status, PunishmentStatus::Expired);
    assert_eq!(jobs(&t, "punishment_role").await, 1);
    let logs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM job WHERE kind = 'log_post' AND payload->'event'->>'what' = 'expired'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(logs, 1);
    // Lifting an expired mute is refused.
    let e = moderation::lift(
        &t.pool,
        g(),
        &security(10),
        &raider(20),
        PunishmentKind::Mute,
        "ok",
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "not_punished");
}

#[tokio::test]
async fn rejoining_gives_back_running_roles_only() {
    let t = setup().await;
    moderation::punish(
        &t.pool,
        g(),
        &security(10),
        &raider(20),
        req(PunishmentKind::Mute, Some("2h")),
    )
    .await
    .unwrap();
    moderation::punish(
        &t.pool,
        g(),
        &security(10),
        &raider(20),
        req(PunishmentKind::Warn, None),
    )
    .await
    .unwrap();
    assert_eq!(
        moderation::member_joined(&t.pool, g(), sf(20))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        moderation::member_joined(&t.pool, g(), sf(21))
            .await
            .unwrap()
            .is_empty()
    );
    moderation::lift(
        &t.pool,
        g(),
        &security(10),
        &raider(20),
        PunishmentKind::Mute,
        "apologized",
    )
    .await
    .unwrap();
    assert!(
        moderation::member_joined(&t.pool, g(), sf(20))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn removal_is_kept_in_history_and_happens_once() {
    let t = setup().await;
    let p = moderation::punish(
        &t.pool,
        g(),
        &security(10),
        &raider(20),
        req(PunishmentKind::Mute, Some("2h")),
    )
    .await
    .unwrap();
    // Another security member may not remove it; an officer may.
    let e = moderation::remove(&t.pool, g(), &security(11), &p.code, "error")
        .await
        .unwrap_err();
    assert_eq!(e.refusal(), Some(Refusal::Forbidden));
    let e = moderation::remove(&t.pool, g(), &security(11), "P-0000", "error")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_punishment_id");
    let e = moderation::remove(&t.pool, g(), &officer(12), "P-ZZZZZ", "error")
        .await
        .unwrap_err();
    assert_eq!(e.refusal(), Some(Refusal::NotFound));
    let removed = moderation::remove(
        &t.pool,
        g(),
        &officer(12),
        &p.code.to_lowercase(),
        "issued in error",
    )
    .await
    .unwrap();
    assert_eq!(removed.status, PunishmentStatus::Removed);
    let e = moderation::remove(&t.pool, g(), &officer(12), &p.code, "again")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "punishment_not_active");
    let (items, total) = moderation::history(&t.pool, g(), &security(10), sf(20), 0, 5)
        .await
        .unwrap();
    assert_eq!((items.len(), total), (1, 1));
    assert_eq!(items[0].end_reason.as_deref(), Some("issued in error"));
}

fn key(id: i64, level: RoleKey) -> Actor {
    Actor {
        user_id: None,
        level: lvl(level),
        label: format!("api key 'dashboard' (#{id})"),
    }
}

/// What the REST API passes: the target's id only.
fn api_target(id: u64) -> Target {
    Target {
        facts: TargetFacts {
            user_id: sf(id),
            level: Level::NONE,
            is_owner: false,
            top_position: None,
        },
        bot_top_position: None,
    }
}

#[tokio::test]
async fn a_key_removes_what_it_gave_and_security_removes_any_warning() {
    let t = setup().await;
    let key1 = key(1, RoleKey::Security);
    let key2 = key(2, RoleKey::Security);
    let by_key1 = moderation::punish(
        &t.pool,
        g(),
        &key1,
        &api_target(20),
        req(PunishmentKind::Suspend, Some("1d")),
    )
    .await
    .unwrap();
    let by_key2 = moderation::punish(
        &t.pool,
        g(),
        &key2,
        &api_target(21),
        req(PunishmentKind::Mute, Some("1h")),
    )
    .await
    .unwrap();
    // Another key (same label, another key) and a security member did not give it.
    for other in [&key2, &security(10)] {
        let e = moderation::remove(&t.pool, g(), other, &by_key1.code, "appeal")
            .await
            .unwrap_err();
        assert_eq!(e.refusal(), Some(Refusal::Forbidden), "{e:?}");
    }
    let removed = moderation::remove(&t.pool, g(), &key1, &by_key1.code, "appeal")
        .await
        .unwrap();
    assert_eq!(removed.status, PunishmentStatus::Removed);
    let e = moderation::remove(&t.pool, g(), &key1, &by_key2.code, "appeal")
        .await
        .unwrap_err();
    assert_eq!(e.refusal(), Some(Refusal::Forbidden), "{e:?}");

    // Any security member, or security key, may remove any warning.
    let w1 = moderation::punish(
        &t.pool,
        g(),
        &security(10),
        &raider(22),
        req(PunishmentKind::Warn, None),
    )
    .await
    .unwrap();
    let w2 = moderation::punish(
        &t.pool,
        g(),
        &key2,
        &api_target(23),
        req(PunishmentKind::Warn, None),
    )
    .await
    .unwrap();
    moderation::remove(&t.pool, g(), &key1, &w1.code, "mistake")
        .await
        .unwrap();
    moderation::remove(&t.pool, g(), &security(11), &w2.code, "mistake")
        .await
        .unwrap();
}

#[tokio::test]
async fn notes_are_added_by_security_and_removed_by_officers_without_their_text() {
    let t = setup().await;
    let n = moderation::add_note(
        &t.pool,
        g(),
        &security(10),
        &raider(20),
        "Suspicious trades in bazaar",
    )
    .await
    .unwrap();
    let e = moderation::add_note(&t.pool, g(), &security(10), &raider(20), &"x".repeat(1001))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_text");
    let e = moderation::remove_note(&t.pool, g(), &security(10), n.note_id)
        .await
        .unwrap_err();
    assert_eq!(e.refusal(), Some(Refusal::Forbidden));
    moderation::remove_note(&t.pool, g(), &officer(12), n.note_id)
        .await
        .unwrap();
    let e = moderation::remove_note(&t.pool, g(), &officer(12), n.note_id)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "note_removed");
    let (items, total) = moderation::notes(&t.pool, g(), &security(10), sf(20), 0, 5)
        .await
        .unwrap();
    assert!(items.is_empty() && total == 0);
    // No job carries the note's text anywhere.
    let leaked: i64 =
        sqlx::query_scalar("SELECT count(*) FROM job WHERE payload::text LIKE '%bazaar%'")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(leaked, 0);
}

#[tokio::test]
async fn purge_limits_hold_for_concurrent_uses_and_say_when_to_retry() {
    let t = setup().await;
    let sec = security(10);
    let e = service::staff::purge_begin(&t.pool, g(), &sec, sf(900), 26)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_amount");
    let e = service::staff::purge_begin(&t.pool, g(), &sec, sf(900), 0)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_amount");
    let results = futures_util::future::join_all(
        (0..6).map(|_| service::staff::purge_begin(&t.pool, g(), &sec, sf(900), 5)),
    )
    .await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 3, "3 per minute, even when sent at once");
    let refused = results.into_iter().find_map(Result::err).unwrap();
    assert_eq!(refused.code(), "purge_rate_limited");
    assert!(
        matches!(
            refused,
            ServiceError::Staff(service::staff::StaffError::PurgeRateLimited { wait, .. })
                if (1..=60).contains(&wait)
        ),
        "{refused:?}"
    );
    // Another member has their own budget; 10 an hour counts older uses too.
    assert!(
        service::staff::purge_begin(&t.pool, g(), &security(11), sf(900), 5)
            .await
            .is_ok()
    );
    sqlx::query(
        "UPDATE purge_use SET created_at = created_at - interval '2 minutes' WHERE user_id = 10",
    )
    .execute(&t.pool)
    .await
    .unwrap();
    for _ in 0..3 {
        service::staff::purge_begin(&t.pool, g(), &sec, sf(900), 5)
            .await
            .unwrap();
    }
    sqlx::query(
        "UPDATE purge_use SET created_at = created_at - interval '2 minutes' WHERE user_id = 10",
    )
    .execute(&t.pool)
    .await
    .unwrap();
    for _ in 0..3 {
        service::staff::purge_begin(&t.pool, g(), &sec, sf(900), 5)
            .await
            .unwrap();
    }
    sqlx::query(
        "UPDATE purge_use SET created_at = created_at - interval '2 minutes' WHERE user_id = 10",
    )
    .execute(&t.pool)
    .await
    .unwrap();
    service::staff::purge_begin(&t.pool, g(), &sec, sf(900), 5)
        .await
        .unwrap();
    let e = service::staff::purge_begin(&t.pool, g(), &sec, sf(900), 5)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ServiceError::Staff(service::staff::StaffError::PurgeRateLimited { wait, .. })
                if (1..=3600).contains(&wait)
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_warning_earns_the_staff_members_moderation_points_once() {
    use domain::quota::{ModAction, Points};
    use service::quota::{self, QuotaChange};
    let t = setup().await;
    let quota_role = sf(900);
    let mods = Actor::member(sf(2), lvl(RoleKey::Moderator));
    let mut points = std::collections::BTreeMap::new();
    points.insert("warn".to_owned(), Points(250));
    quota::configure_quota_role(
        &t.pool,
        g(),
        &mods,
        quota_role,
        Some(3),
        QuotaChange::Moderation(points),
    )
    .await
    .unwrap();
    quota::member_roles_seen(&t.pool, g(), sf(10), &[quota_role])
        .await
        .unwrap();
    let p = moderation::punish(
        &t.pool,
        g(),
        &security(10),
        &raider(30),
        req(PunishmentKind::Warn, None),
    )
    .await
    .unwrap();
    let events = || async {
        sqlx::query_as::<_, (i64, String, i64, String)>(
            "SELECT member_id, kind, amount, source FROM point_event ORDER BY event_id",
        )
        .fetch_all(&t.pool)
        .await
        .unwrap()
    };
    let source = format!("mod:punishment:{}", p.punishment_id);
    assert_eq!(
        events().await,
        vec![(10, "mod_warn".to_owned(), 250, source.clone())]
    );
    // The same action awarded again (a retry) writes nothing.
    let mut tx = t.pool.begin().await.unwrap();
    let again = quota::award_moderation(
        &mut tx,
        g(),
        sf(10),
        ModAction::Warn,
        &format!("punishment:{}", p.punishment_id),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(!again);
    assert_eq!(events().await.len(), 1);
    // A suspension is worth nothing in this role: no event; a refused warning neither.
    moderation::punish(
        &t.pool,
        g(),
        &security(10),
        &raider(31),
        req(PunishmentKind::Suspend, Some("1h")),
    )
    .await
    .unwrap();
    moderation::punish(
        &t.pool,
        g(),
        &security(10),
        &target(20, lvl(RoleKey::Officer)),
        req(PunishmentKind::Warn, None),
    )
    .await
    .unwrap_err();
    assert_eq!(events().await.len(), 1);
}
