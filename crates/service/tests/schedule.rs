//! Scheduled raid use cases against a real PostgreSQL: the opening and the reminder under
//! races (two processes, a retried timer), the organizer's busy case, and the no-show count.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::roles::Level;
use domain::{ChannelKey, RoleKey, RunAction, Snowflake};
use service::schedule::{self, Answer, ScheduleRequest};
use service::{Actor, config};
use store::testing::TestDb;

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

async fn setup() -> TestDb {
    let t = TestDb::new().await;
    config::set_channels(&t.pool, g(), &admin(), &[(ChannelKey::Raid, Some(sf(900)))])
        .await
        .unwrap();
    t
}

async fn count(t: &TestDb, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&t.pool)
        .await
        .unwrap()
}

async fn scheduled(t: &TestDb, org: &Actor, when: &str) -> i64 {
    let req = ScheduleRequest {
        dungeon: "shatters".into(),
        when: when.into(),
        ..Default::default()
    };
    schedule::create(&t.pool, g(), org, req)
        .await
        .unwrap()
        .schedule_id
}

async fn now_is_start(t: &TestDb, id: i64) {
    sqlx::query(
        "UPDATE scheduled_run SET starts_at = now(), remind_at = now() WHERE schedule_id = $1",
    )
    .bind(id)
    .execute(&t.pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn two_processes_firing_the_opening_make_one_run_and_one_dm_each() {
    let t = setup().await;
    let org = organizer(10);
    let id = scheduled(&t, &org, "in 2h").await;
    for r in [20, 21] {
        schedule::answer(&t.pool, g(), id, &raider(r), sf(r), Answer::Going)
            .await
            .unwrap();
    }
    schedule::answer(&t.pool, g(), id, &raider(22), sf(22), Answer::Maybe)
        .await
        .unwrap();

    // Before its time the timer only sets itself again.
    assert!(!schedule::open_due(&t.pool, g(), id).await.unwrap());
    assert_eq!(count(&t, "SELECT count(*) FROM run").await, 0);

    now_is_start(&t, id).await;
    let (a, b, c) = tokio::join!(
        schedule::open_due(&t.pool, g(), id),
        schedule::open_due(&t.pool, g(), id),
        schedule::open_due(&t.pool, g(), id),
    );
    let opened = [a.unwrap(), b.unwrap(), c.unwrap()];
    assert_eq!(opened.iter().filter(|o| **o).count(), 1, "{opened:?}");
    assert_eq!(count(&t, "SELECT count(*) FROM run").await, 1);
    assert_eq!(
        count(&t, "SELECT count(*) FROM run WHERE organizer_id = 10").await,
        1
    );
    // One DM per signed-up member; none for the maybe.
    assert_eq!(
        count(&t, "SELECT count(*) FROM job WHERE kind = 'schedule_dm'").await,
        2
    );
    let d = schedule::get(&t.pool, g(), id).await.unwrap();
    assert!(schedule::opened_run(&d.scheduled).is_ok());
    // Answers after the opening are refused with the run's number.
    let err = schedule::answer(&t.pool, g(), id, &raider(23), sf(23), Answer::Going)
        .await
        .unwrap_err();
    assert!(
        matches!(err, service::ServiceError::Schedule(schedule::ScheduleError::Opened { run_id }) if Some(run_id) == d.scheduled.run_id),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_reminder_is_due_once_and_waits_for_a_moved_time() {
    let t = setup().await;
    let org = organizer(10);
    let id = scheduled(&t, &org, "in 2h").await;
    // Not yet due: nothing to send.
    assert!(
        schedule::reminder_due(&t.pool, g(), id)
            .await
            .unwrap()
            .is_none()
    );
    now_is_start(&t, id).await;
    assert!(
        schedule::reminder_due(&t.pool, g(), id)
            .await
            .unwrap()
            .is_some()
    );
    schedule::reminded(&t.pool, g(), id).await.unwrap();
    // A retried timer after the post finds it sent.
    assert!(
        schedule::reminder_due(&t.pool, g(), id)
            .await
            .unwrap()
            .is_none()
    );
    // Moving the raid sends a new reminder before the new time, not now.
    schedule::reschedule(&t.pool, g(), id, &org, "in 3h")
        .await
        .unwrap();
    assert!(
        schedule::reminder_due(&t.pool, g(), id)
            .await
            .unwrap()
            .is_none()
    );
    // Someone else may not move it.
    let err = schedule::reschedule(&t.pool, g(), id, &organizer(11), "in 4h")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden", "{err}");
}

#[tokio::test]
async fn a_busy_organizer_delays_the_opening_and_cancelled_runs_make_no_no_shows() {
    let t = setup().await;
    let org = organizer(10);
    let id = scheduled(&t, &org, "in 1h").await;
    schedule::answer(&t.pool, g(), id, &raider(20), sf(20), Answer::Going)
        .await
        .unwrap();
    // The organizer is running another raid when the time comes.
    let req = service::runs::RunRequest {
        dungeon: "nest".into(),
        ..Default::default()
    };
    let other = service::runs::create(&t.pool, g(), &org, req)
        .await
        .unwrap();
    now_is_start(&t, id).await;
    assert!(!schedule::open_due(&t.pool, g(), id).await.unwrap());
    assert_eq!(count(&t, "SELECT count(*) FROM run").await, 1);
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM job WHERE kind = 'schedule_open' AND state = 'pending'
               AND due_at > now() + interval '30 seconds'"
        )
        .await,
        1,
        "the opening tries again a minute later"
    );
    service::runs::transition(&t.pool, g(), other.run_id, &org, RunAction::Cancel)
        .await
        .unwrap();
    assert!(schedule::open_due(&t.pool, g(), id).await.unwrap());
    let run = schedule::get(&t.pool, g(), id)
        .await
        .unwrap()
        .scheduled
        .run_id
        .unwrap();
    // The organizer cancels the opened run: the signed-up raider is not a no-show.
    service::runs::transition(&t.pool, g(), run, &org, RunAction::Cancel)
        .await
        .unwrap();
    let r = schedule::member_record(&t.pool, g(), &raider(20), sf(20))
        .await
        .unwrap();
    assert_eq!((r.signups, r.attended, r.no_shows), (1, 0, 0));
}

#[tokio::test]
async fn settings_are_checked_audited_and_read_local_times_in_the_zone() {
    let t = setup().await;
    let err = schedule::set_settings(&t.pool, g(), &organizer(10), Some("UTC"), None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden", "{err}");
    let err = schedule::set_settings(&t.pool, g(), &admin(), Some("Mars/Olympus"), None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unknown_time_zone");
    let s = schedule::set_settings(&t.pool, g(), &admin(), Some("asia/tokyo"), Some(60))
        .await
        .unwrap();
    assert_eq!((s.time_zone.name(), s.reminder_minutes), ("Asia/Tokyo", 60));
    // Setting the same again changes nothing and records nothing more.
    schedule::set_settings(&t.pool, g(), &admin(), Some("Asia/Tokyo"), None)
        .await
        .unwrap();
    assert_eq!(
        count(
            &t,
            "SELECT count(*) FROM audit_log WHERE action = 'configure_schedule'"
        )
        .await,
        1
    );
    // A local time is read in Tokyo (UTC+9): 20:00 there is 11:00 UTC.
    let day = (chrono::Utc::now() + chrono::Duration::days(2))
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .date_naive();
    let id = scheduled(&t, &organizer(10), &format!("{day} 20:00")).await;
    let d = schedule::get(&t.pool, g(), id).await.unwrap();
    assert_eq!(d.scheduled.starts_at.format("%H:%M").to_string(), "11:00");
    assert_eq!(
        d.scheduled.starts_at - d.scheduled.remind_at,
        chrono::Duration::minutes(60)
    );
}
