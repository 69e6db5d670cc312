//! Points and quotas against a real PostgreSQL: exactly-once awards, period boundaries,
//! summaries that always equal the events, leaderboards and stats.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, Utc};
use domain::quota::{Currency, Metric, PeriodChoice, PointKind, Points, Schedule};
use domain::roles::Level;
use domain::run::RunAction;
use domain::{ChannelKey, RoleKey, Snowflake};
use proptest::prelude::*;
use service::ServiceError;
use service::quota::{self, QuotaChange, QuotaError};
use service::runs::{self, RunRequest};
use service::{Actor, config};
use store::PgPool;
use store::point_events::{self, NewEvent};
use store::testing::TestDb;
use store::{leaderboard, point_periods};

const GUILD: u64 = 500;
const ORGANIZER_ROLE: u64 = 4000;

fn sf(v: u64) -> Snowflake {
    Snowflake::new(v).unwrap()
}

fn admin() -> Actor {
    Actor::member(sf(1), Level::ADMINISTRATOR)
}

fn at_level(id: u64, key: RoleKey) -> Actor {
    Actor::member(sf(id), key.level().unwrap())
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

/// A live Shatters run by `organizer` with `raiders` joined.
async fn live_run(pool: &PgPool, organizer: u64, raiders: &[u64]) -> i64 {
    let org = at_level(organizer, RoleKey::Organizer);
    let run = runs::create(
        pool,
        sf(GUILD),
        &org,
        RunRequest {
            dungeon: "shatters".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .run_id;
    for r in raiders {
        runs::join(
            pool,
            sf(GUILD),
            run,
            &at_level(*r, RoleKey::VerifiedRaider),
            sf(*r),
            None,
        )
        .await
        .unwrap();
    }
    runs::transition(pool, sf(GUILD), run, &org, RunAction::Start)
        .await
        .unwrap();
    run
}

async fn events(pool: &PgPool) -> Vec<(i64, String, String, i64, i32, String)> {
    sqlx::query_as(
        "SELECT member_id, currency, kind, amount, units, source FROM point_event
         ORDER BY member_id, kind, source",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn ending_a_run_awards_organizer_and_raiders_once() {
    let t = setup().await;
    let run = live_run(&t.pool, 10, &[100, 101, 102]).await;
    let org = at_level(10, RoleKey::Organizer);
    runs::transition(&t.pool, sf(GUILD), run, &org, RunAction::End)
        .await
        .unwrap();
    let got = events(&t.pool).await;
    assert_eq!(got.len(), 4, "{got:?}");
    assert_eq!(
        got[0],
        (
            10,
            "quota".into(),
            "run_organized".into(),
            100,
            1,
            format!("run:{run}")
        )
    );
    for (i, r) in [100, 101, 102].into_iter().enumerate() {
        assert_eq!(
            got[i + 1],
            (
                r,
                "raider".into(),
                "run_completed".into(),
                100,
                1,
                format!("run:{run}")
            )
        );
    }
    // Ending again is refused and awards nothing; so does calling the hook again.
    assert!(
        runs::transition(&t.pool, sf(GUILD), run, &org, RunAction::End)
            .await
            .is_err()
    );
    let mut conn = t.pool.acquire().await.unwrap();
    let r = store::runs::get(&mut conn, sf(GUILD), run)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(quota::on_run_ended(&mut conn, &r).await.unwrap(), 0);
    assert_eq!(events(&t.pool).await.len(), 4);
}

#[tokio::test]
async fn cancelled_runs_award_nothing() {
    let t = setup().await;
    let run = live_run(&t.pool, 10, &[100]).await;
    runs::transition(
        &t.pool,
        sf(GUILD),
        run,
        &at_level(10, RoleKey::Organizer),
        RunAction::Cancel,
    )
    .await
    .unwrap();
    assert!(events(&t.pool).await.is_empty());
}

#[tokio::test]
async fn concurrent_end_and_auto_end_award_exactly_once() {
    let t = setup().await;
    for round in 0..5u64 {
        let organizer = 10 + round;
        let raiders: Vec<u64> = (0..20).map(|i| 1000 + round * 100 + i).collect();
        let run = live_run(&t.pool, organizer, &raiders).await;
        sqlx::query("UPDATE run SET auto_end_at = now() - interval '1 second' WHERE run_id = $1")
            .bind(run)
            .execute(&t.pool)
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for i in 0..6 {
            let pool = t.pool.clone();
            tasks.push(tokio::spawn(async move {
                if i % 2 == 0 {
                    runs::transition(
                        &pool,
                        sf(GUILD),
                        run,
                        &at_level(organizer, RoleKey::Organizer),
                        RunAction::End,
                    )
                    .await
                    .is_ok()
                } else {
                    runs::auto_end(&pool, sf(GUILD), run).await.unwrap()
                }
            }));
        }
        let mut closers = 0;
        for task in tasks {
            closers += usize::from(task.await.unwrap());
        }
        assert_eq!(closers, 1, "exactly one call ends the run");
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM point_event WHERE source = $1")
            .bind(format!("run:{run}"))
            .fetch_one(&t.pool)
            .await
            .unwrap();
        assert_eq!(n, 21);
    }
    assert_sums_match_events(&t.pool).await;
}

#[tokio::test]
async fn key_pops_complete_one_dungeon_each_for_the_raiders_present() {
    let t = setup().await;
    let run = live_run(&t.pool, 10, &[100, 101, 102]).await;
    // Two pops: the first with all three present, the second after 102 left.
    for (popper, present) in [(100i64, vec![100i64, 101, 102]), (101, vec![100, 101])] {
        let pop: i64 = sqlx::query_scalar(
            "INSERT INTO key_pop (guild_id, run_id, user_id, dungeon_code, count)
             VALUES ($1, $2, $3, 'shatters', 1) RETURNING pop_id",
        )
        .bind(GUILD as i64)
        .bind(run)
        .bind(popper)
        .fetch_one(&t.pool)
        .await
        .unwrap();
        for r in present {
            sqlx::query(
                "INSERT INTO key_pop_raider (guild_id, pop_id, user_id) VALUES ($1, $2, $3)",
            )
            .bind(GUILD as i64)
            .bind(pop)
            .bind(r)
            .execute(&t.pool)
            .await
            .unwrap();
        }
    }
    // Raider points: shatters completion 1.5, key pop 4.
    quota::configure_points(
        &t.pool,
        sf(GUILD),
        &admin(),
        quota::PointsChange::Dungeon {
            dungeon: "shatters".into(),
            completion: Some(Points(150)),
            key_pop: Some(Points(400)),
        },
    )
    .await
    .unwrap();
    runs::auto_end(&t.pool, sf(GUILD), run).await.ok();
    sqlx::query("UPDATE run SET auto_end_at = now() WHERE run_id = $1")
        .bind(run)
        .execute(&t.pool)
        .await
        .unwrap();
    assert!(runs::auto_end(&t.pool, sf(GUILD), run).await.unwrap());
    let stats = |m: u64| {
        let pool = t.pool.clone();
        async move {
            quota::stats(&pool, sf(GUILD), &admin(), sf(m))
                .await
                .unwrap()
        }
    };
    let org = stats(10).await;
    assert_eq!(org.quota_all_time, Points(200), "two dungeons at 1 point");
    assert_eq!(org.runs_organized, 2);
    let r100 = stats(100).await;
    assert_eq!(r100.raider_points, Points(150 * 2 + 400));
    assert_eq!((r100.runs_completed, r100.keys_popped), (2, 1));
    let r102 = stats(102).await;
    assert_eq!(r102.raider_points, Points(150));
    assert_eq!(r102.runs_completed, 1);
    assert_eq!(r100.raider_rank, Some(1));
    assert_eq!(stats(101).await.raider_rank, Some(1), "ties share a rank");
    assert_eq!(r102.raider_rank, Some(3));
    assert_eq!(r100.dungeons[0].dungeon_code, "shatters");
    assert_sums_match_events(&t.pool).await;
}

/// The spec's worked example: weekly reset Monday 00:00 UTC, Shatters worth 2.0; runs
/// ended Sunday 23:59 and Monday 00:01 land in different periods.
#[tokio::test]
async fn worked_example_sunday_and_monday_land_in_different_periods() {
    let t = setup().await;
    let mods = at_level(2, RoleKey::Moderator);
    let role = sf(ORGANIZER_ROLE);
    for change in [
        QuotaChange::Required(Points::whole(20)),
        QuotaChange::Override {
            dungeon: "shatters".into(),
            points: Some(Points(200)),
        },
    ] {
        quota::configure_quota_role(&t.pool, sf(GUILD), &mods, role, Some(3), change)
            .await
            .unwrap();
    }
    quota::member_roles_seen(&t.pool, sf(GUILD), sf(10), &[role])
        .await
        .unwrap();
    // A Monday 00:00 boundary a week back, so both times are in the past.
    let monday = Schedule::default().boundary_at_or_before(Utc::now()) - Duration::days(7);
    let times = [monday - Duration::minutes(1), monday + Duration::minutes(1)];
    for when in times {
        let run = live_run(&t.pool, 10, &[]).await;
        let mut tx = t.pool.begin().await.unwrap();
        sqlx::query(
            "UPDATE run SET status = 'ended', ended_at = $2, close_reason = 'organizer'
             WHERE run_id = $1",
        )
        .bind(run)
        .bind(when)
        .execute(&mut *tx)
        .await
        .unwrap();
        let r = store::runs::get(&mut tx, sf(GUILD), run)
            .await
            .unwrap()
            .unwrap();
        quota::on_run_ended(&mut tx, &r).await.unwrap();
        tx.commit().await.unwrap();
    }
    let mut conn = t.pool.acquire().await.unwrap();
    let schedule = Schedule::default();
    for when in times {
        let p = point_periods::ensure_period(&mut conn, sf(GUILD), role.db(), &schedule, when)
            .await
            .unwrap();
        assert!(p.period.contains(when));
        let pts = point_events::member_quota_between(&mut conn, sf(GUILD), sf(10), &p.period)
            .await
            .unwrap();
        assert_eq!(pts, Points(200), "period {:?}", p.period);
    }
    let old = point_periods::ensure_period(&mut conn, sf(GUILD), role.db(), &schedule, times[0])
        .await
        .unwrap();
    assert_eq!(old.period.end, monday);
    // Both periods stay queryable as rows; the panel shows the current one.
    let panels = quota::panels(&t.pool, sf(GUILD)).await.unwrap();
    assert_eq!(panels.len(), 1);
    assert_eq!(panels[0].rows, vec![(sf(10), Points::ZERO)]);
    assert_eq!(panels[0].role.required, Points::whole(20));
}

#[tokio::test]
async fn manual_awards_check_limits_and_permissions() {
    let t = setup().await;
    let officer = at_level(5, RoleKey::Officer);
    let organizer = at_level(10, RoleKey::Organizer);
    for (amount, want) in [
        ("0", "cannot be 0"),
        ("10000", "too large"),
        ("1.234", "more than two decimals"),
        ("lots", "not a number"),
    ] {
        let err = quota::adjust(
            &t.pool,
            sf(GUILD),
            &officer,
            sf(100),
            Currency::Raider,
            amount,
            "x",
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&err, ServiceError::Quota(QuotaError::BadPoints { why, .. })
                if why.to_string().contains(want)),
            "{amount}: {err:?}"
        );
    }
    let err = quota::adjust(
        &t.pool,
        sf(GUILD),
        &officer,
        sf(100),
        Currency::Raider,
        "5",
        "  ",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ServiceError::Quota(QuotaError::ReasonRequired)),
        "{err:?}"
    );
    let err = quota::adjust(
        &t.pool,
        sf(GUILD),
        &organizer,
        sf(100),
        Currency::Raider,
        "5",
        "x",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ServiceError::MissingRole(RoleKey::Officer)),
        "{err:?}"
    );
    let out = quota::adjust(
        &t.pool,
        sf(GUILD),
        &officer,
        sf(100),
        Currency::Raider,
        "-2.5",
        "typo",
    )
    .await
    .unwrap();
    assert_eq!(out.total, Points(-250));
    // /logrun: for yourself as organizer, for others as officer; ±999, not 0.
    let out = quota::log_run(&t.pool, sf(GUILD), &organizer, "shatters", 3, None)
        .await
        .unwrap();
    assert_eq!(
        (out.member, out.amount, out.units),
        (sf(10), Points(300), 3)
    );
    let err = quota::log_run(&t.pool, sf(GUILD), &organizer, "shatters", 1, Some(sf(11)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ServiceError::Quota(QuotaError::MayNotLogForOthers)),
        "{err:?}"
    );
    quota::log_run(&t.pool, sf(GUILD), &officer, "shatters", -1, Some(sf(10)))
        .await
        .unwrap();
    for bad in [0, 1000] {
        assert!(
            quota::log_run(&t.pool, sf(GUILD), &organizer, "shatters", bad, None)
                .await
                .is_err()
        );
    }
    let err = quota::log_run(&t.pool, sf(GUILD), &organizer, "atlantis", 1, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ServiceError::Quota(QuotaError::UnknownDungeon { code }) if code == "atlantis"),
        "{err:?}"
    );
    let out = quota::log_key(&t.pool, sf(GUILD), &organizer, sf(100), "the_void", 2)
        .await
        .unwrap();
    assert_eq!((out.amount, out.total), (Points(200), Points(-50)));
    // Each manual award is queued for quota_log.
    let logs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM job WHERE kind = 'log_post' AND payload->'event'->>'event' = 'points_awarded'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(logs, 4);
    let s = quota::stats(&t.pool, sf(GUILD), &organizer, sf(10))
        .await
        .unwrap();
    assert_eq!((s.quota_all_time, s.runs_organized), (Points(200), 2));
    assert_sums_match_events(&t.pool).await;
}

#[tokio::test]
async fn leaderboard_pages_rank_ties_together() {
    let t = setup().await;
    let officer = at_level(5, RoleKey::Officer);
    // 30 members: values 30, 29, 29, 27, … (every third ties with the one before).
    for i in 0..30u64 {
        let value = 30 - i + u64::from(i % 3 == 2);
        quota::adjust(
            &t.pool,
            sf(GUILD),
            &officer,
            sf(100 + i),
            Currency::Raider,
            &value.to_string(),
            "seed",
        )
        .await
        .unwrap();
    }
    let raider = at_level(100, RoleKey::VerifiedRaider);
    let page = quota::leaderboard(
        &t.pool,
        sf(GUILD),
        &raider,
        Metric::RaiderPoints,
        PeriodChoice::AllTime,
        0,
        25,
    )
    .await
    .unwrap();
    assert_eq!(page.total, 30);
    assert_eq!(page.pages(), (1, 2));
    let ranks: Vec<i64> = page.rows.iter().map(|r| r.rank).collect();
    assert_eq!(&ranks[..6], &[1, 2, 2, 4, 5, 5]);
    // Among ties, whoever reached the value first is listed first.
    assert_eq!(page.rows[1].member_id, sf(101));
    let second = quota::leaderboard(
        &t.pool,
        sf(GUILD),
        &raider,
        Metric::RaiderPoints,
        PeriodChoice::Current,
        25,
        25,
    )
    .await
    .unwrap();
    assert_eq!(second.rows.len(), 5);
    assert_eq!(second.pages(), (2, 2));
    assert_eq!(second.rows[0].rank, 26);
    // Past the end: the last page.
    let far = quota::leaderboard(
        &t.pool,
        sf(GUILD),
        &raider,
        Metric::RaiderPoints,
        PeriodChoice::AllTime,
        5000,
        25,
    )
    .await
    .unwrap();
    assert_eq!(far.pages(), (2, 2));
    // Last period does not exist yet: empty.
    let last = quota::leaderboard(
        &t.pool,
        sf(GUILD),
        &raider,
        Metric::RaiderPoints,
        PeriodChoice::Last,
        0,
        25,
    )
    .await
    .unwrap();
    assert!(last.rows.is_empty());
    let stranger = Actor::member(sf(999), Level::NONE);
    assert!(
        quota::leaderboard(
            &t.pool,
            sf(GUILD),
            &stranger,
            Metric::RaiderPoints,
            PeriodChoice::AllTime,
            0,
            25
        )
        .await
        .is_err()
    );
}

/// A pool whose every transaction is read-only, as on a streaming replica: a write fails.
async fn read_only(t: &TestDb) -> PgPool {
    use std::str::FromStr;
    let options = sqlx::postgres::PgConnectOptions::from_str(&t.url)
        .unwrap()
        .options([("default_transaction_read_only", "on")]);
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .unwrap()
}

async fn periods_stored(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM point_period")
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn board(pool: &PgPool, choice: PeriodChoice) -> quota::LeaderboardPage {
    let raider = at_level(100, RoleKey::VerifiedRaider);
    quota::leaderboard(
        pool,
        sf(GUILD),
        &raider,
        Metric::RaiderPoints,
        choice,
        0,
        25,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn leaderboards_and_stats_write_nothing_so_a_read_only_replica_serves_them() {
    let t = setup().await;
    let replica = read_only(&t).await;
    let member = at_level(100, RoleKey::VerifiedRaider);
    // A guild nobody was ever awarded in: no period is stored, and none is created.
    for choice in [
        PeriodChoice::Current,
        PeriodChoice::Last,
        PeriodChoice::AllTime,
    ] {
        let page = board(&replica, choice).await;
        assert!(page.rows.is_empty() && page.total == 0);
    }
    let current = board(&replica, PeriodChoice::Current).await.period.unwrap();
    assert!(current.start <= Utc::now() && Utc::now() < current.end);
    assert_eq!(board(&replica, PeriodChoice::Last).await.period, None);
    let s = quota::stats(&replica, sf(GUILD), &member, sf(100))
        .await
        .unwrap();
    assert_eq!((s.raider_points, s.period), (Points::ZERO, current));
    assert_eq!(periods_stored(&t.pool).await, 0);

    // Awards three weeks ago: that period is stored, the ones since are not. The replica
    // shows the periods the primary would create, the last one empty.
    let weeks_ago = Utc::now() - Duration::weeks(3);
    let mut conn = t.pool.acquire().await.unwrap();
    let award = NewEvent {
        member_id: sf(100),
        currency: Currency::Raider,
        kind: PointKind::Adjustment,
        amount: Points(4),
        units: 1,
        dungeon_code: None,
        source: "adj:old".into(),
    };
    point_events::insert_events(&mut conn, sf(GUILD), &[award], None, None, weeks_ago)
        .await
        .unwrap();
    drop(conn);
    assert_eq!(periods_stored(&t.pool).await, 1);
    let (seen_current, seen_last) = (
        board(&replica, PeriodChoice::Current).await,
        board(&replica, PeriodChoice::Last).await,
    );
    assert!(seen_current.rows.is_empty() && seen_last.rows.is_empty());
    assert_eq!(board(&replica, PeriodChoice::AllTime).await.total, 1);
    let s = quota::stats(&replica, sf(GUILD), &member, sf(100))
        .await
        .unwrap();
    assert_eq!(s.raider_points, Points(4));
    assert_eq!(periods_stored(&t.pool).await, 1);
    // The primary then stores them (an award now): the same periods.
    quota::adjust(
        &t.pool,
        sf(GUILD),
        &at_level(5, RoleKey::Officer),
        sf(101),
        Currency::Raider,
        "2",
        "now",
    )
    .await
    .unwrap();
    assert!(periods_stored(&t.pool).await >= 3);
    assert_eq!(
        board(&t.pool, PeriodChoice::Current).await.period,
        seen_current.period
    );
    assert_eq!(
        board(&t.pool, PeriodChoice::Last).await.period,
        seen_last.period
    );
    assert_eq!(board(&replica, PeriodChoice::Current).await.total, 1);
}

#[tokio::test]
async fn the_highest_quota_role_counts_and_setting_the_start_moves_the_period() {
    let t = setup().await;
    let mods = at_level(2, RoleKey::Moderator);
    let (low, high) = (sf(4001), sf(4002));
    quota::configure_quota_role(
        &t.pool,
        sf(GUILD),
        &mods,
        low,
        Some(2),
        QuotaChange::Required(Points::whole(10)),
    )
    .await
    .unwrap();
    quota::configure_quota_role(
        &t.pool,
        sf(GUILD),
        &mods,
        high,
        Some(5),
        QuotaChange::BasePoints {
            exalt: Points(300),
            non_exalt: Points(50),
        },
    )
    .await
    .unwrap();
    quota::member_roles_seen(&t.pool, sf(GUILD), sf(10), &[low, high])
        .await
        .unwrap();
    quota::member_roles_seen(&t.pool, sf(GUILD), sf(11), &[low])
        .await
        .unwrap();
    let out = quota::log_run(
        &t.pool,
        sf(GUILD),
        &at_level(10, RoleKey::Organizer),
        "shatters",
        1,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        out.amount,
        Points(300),
        "shatters is an exalt dungeon, high role gives 3"
    );
    let panels = quota::panels(&t.pool, sf(GUILD)).await.unwrap();
    assert_eq!(panels[0].role.role_id, high);
    assert_eq!(panels[0].rows, vec![(sf(10), Points(300))]);
    assert_eq!(panels[1].rows, vec![(sf(11), Points::ZERO)]);
    // Bad values are refused with a reason.
    let err = quota::configure_quota_role(
        &t.pool,
        sf(GUILD),
        &mods,
        low,
        None,
        QuotaChange::Schedule(Schedule::Weekly {
            weekday: 0,
            hour: 25,
            minute: 0,
        }),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, ServiceError::Quota(QuotaError::BadSchedule(why))
            if why.to_string().contains("hour")),
        "{err:?}"
    );
    let err = quota::configure_quota_role(
        &t.pool,
        sf(GUILD),
        &at_level(5, RoleKey::Officer),
        low,
        None,
        QuotaChange::Touch,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ServiceError::MissingRole(RoleKey::Moderator)),
        "{err:?}"
    );
    // The moderator sets the current period's start by hand: points before it drop out.
    let start = chrono::DurationRound::duration_trunc(Utc::now(), Duration::seconds(1)).unwrap()
        + Duration::seconds(1);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let view = quota::configure_quota_role(
        &t.pool,
        sf(GUILD),
        &mods,
        high,
        None,
        QuotaChange::CurrentStart(start),
    )
    .await
    .unwrap();
    assert_eq!(view.period.start, start);
    let panels = quota::panels(&t.pool, sf(GUILD)).await.unwrap();
    assert_eq!(panels[0].rows, vec![(sf(10), Points::ZERO)]);
    // The boundary timer is a job row due at the period's end.
    let due: DateTime<Utc> = sqlx::query_scalar(
        "SELECT due_at FROM job WHERE kind = 'quota_rollover' AND dedupe_key = $1 AND state = 'pending'",
    )
    .bind(format!("rollover:{high}"))
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(due, view.period.end);
    // Rolling over (even early, twice) keeps one timer and changes nothing else.
    quota::rollover(&t.pool, sf(GUILD), high).await.unwrap();
    quota::rollover(&t.pool, sf(GUILD), high).await.unwrap();
    let timers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM job WHERE kind = 'quota_rollover' AND state = 'pending'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(timers, 2);
}

/// Every summary (folded value plus pending deltas) equals the sum of its events'
/// contributions.
async fn assert_sums_match_events(pool: &PgPool) {
    let mismatches: Vec<(i64, i16, i64, i64, i64)> = sqlx::query_as(
        "WITH contrib AS (
            SELECT guild_id, member_id, period_id,
                   CASE currency WHEN 'raider' THEN 1 ELSE 2 END::smallint AS metric,
                   amount AS v FROM point_event
            UNION ALL
            SELECT guild_id, member_id, period_id,
                   CASE WHEN kind IN ('run_organized', 'run_logged') THEN 3
                        WHEN kind = 'run_completed' THEN 4
                        WHEN kind IN ('key_popped', 'key_logged') THEN 5
                        ELSE 6 END::smallint, units
            FROM point_event
            WHERE kind IN ('run_organized', 'run_logged', 'run_completed', 'key_popped',
                           'key_logged', 'mod_verify')
         ), expected AS (
            SELECT guild_id, 0::bigint AS scope, metric, member_id, sum(v)::bigint AS v
            FROM contrib GROUP BY 1, 2, 3, 4
            UNION ALL
            SELECT guild_id, period_id, metric, member_id, sum(v)::bigint
            FROM contrib GROUP BY 1, 2, 3, 4
         )
         SELECT coalesce(e.scope, s.scope), coalesce(e.metric, s.metric),
                coalesce(e.member_id, s.member_id), coalesce(e.v, 0), coalesce(s.value, 0)
         FROM expected e FULL JOIN (
            SELECT guild_id, scope, metric, member_id, sum(value)::bigint AS value FROM (
                SELECT guild_id, scope, metric, member_id, value FROM point_sum
                UNION ALL
                SELECT guild_id, scope, metric, member_id, delta FROM point_sum_delta) u
            GROUP BY 1, 2, 3, 4) s
           ON s.guild_id = e.guild_id AND s.scope = e.scope AND s.metric = e.metric
          AND s.member_id = e.member_id
         WHERE coalesce(e.v, 0) <> coalesce(s.value, 0)",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(
        mismatches.is_empty(),
        "sums differ from events: {mismatches:?}"
    );
    // The same per dungeon, all time (what /stats lists).
    let mismatches: Vec<(i64, String, i16, i64, i64)> = sqlx::query_as(
        "WITH contrib AS (
            SELECT guild_id, member_id, dungeon_code,
                   CASE currency WHEN 'raider' THEN 1 ELSE 2 END::smallint AS metric,
                   amount AS v FROM point_event
            UNION ALL
            SELECT guild_id, member_id, dungeon_code,
                   CASE WHEN kind IN ('run_organized', 'run_logged') THEN 3
                        WHEN kind = 'run_completed' THEN 4
                        WHEN kind IN ('key_popped', 'key_logged') THEN 5
                        ELSE 6 END::smallint, units
            FROM point_event
            WHERE kind IN ('run_organized', 'run_logged', 'run_completed', 'key_popped',
                           'key_logged', 'mod_verify')
         ), expected AS (
            SELECT guild_id, member_id, dungeon_code, metric, sum(v)::bigint AS v
            FROM contrib WHERE dungeon_code IS NOT NULL GROUP BY 1, 2, 3, 4
         )
         SELECT coalesce(e.member_id, s.member_id), coalesce(e.dungeon_code, s.dungeon_code),
                coalesce(e.metric, s.metric), coalesce(e.v, 0), coalesce(s.value, 0)
         FROM expected e FULL JOIN (
            SELECT guild_id, member_id, dungeon_code, metric, sum(value)::bigint AS value FROM (
                SELECT guild_id, member_id, dungeon_code, metric, value FROM point_dungeon_sum
                UNION ALL
                SELECT guild_id, member_id, dungeon_code, metric, delta FROM point_sum_delta
                WHERE scope = 0 AND dungeon_code IS NOT NULL) u
            GROUP BY 1, 2, 3, 4) s
           ON s.guild_id = e.guild_id AND s.member_id = e.member_id
          AND s.dungeon_code = e.dungeon_code AND s.metric = e.metric
         WHERE coalesce(e.v, 0) <> coalesce(s.value, 0)",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(
        mismatches.is_empty(),
        "per-dungeon sums differ from events: {mismatches:?}"
    );
    let outside: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM point_event e JOIN point_period p
           ON p.guild_id = e.guild_id AND p.period_id = e.period_id
         WHERE NOT (e.created_at >= p.starts_at AND e.created_at < p.ends_at)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(
        outside, 0,
        "events counted in a period that does not contain them"
    );
}

#[derive(Debug, Clone)]
struct Op {
    member: u64,
    raider: bool,
    kind: u8,
    amount: i64,
    units: i32,
    source: u8,
    hours: i64,
}

fn op() -> impl Strategy<Value = Op> {
    (
        0u64..6,
        any::<bool>(),
        0u8..7,
        -999_900i64..999_900,
        1i32..5,
        0u8..8,
        0i64..(24 * 60),
    )
        .prop_map(|(member, raider, kind, amount, units, source, hours)| Op {
            member,
            raider,
            kind,
            amount,
            units,
            source,
            hours,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// After any sequence of awards (including repeated sources that must be absorbed, and
    /// times spread over two months), the summaries equal the sums of the events.
    #[test]
    fn summaries_always_equal_the_events(ops in proptest::collection::vec(op(), 1..40)) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let t = TestDb::new().await;
            let base = Utc::now() - Duration::days(60);
            for chunk in ops.chunks(3) {
                let at = base + Duration::hours(chunk[0].hours);
                let events: Vec<NewEvent> = chunk.iter().map(|o| NewEvent {
                    member_id: sf(100 + o.member),
                    currency: if o.raider { Currency::Raider } else { Currency::Quota },
                    kind: [PointKind::RunOrganized, PointKind::RunCompleted, PointKind::KeyPopped,
                           PointKind::Adjustment, PointKind::RunLogged, PointKind::KeyLogged,
                           PointKind::Moderation(domain::quota::ModAction::Verify)][usize::from(o.kind)],
                    amount: Points(o.amount),
                    units: o.units,
                    dungeon_code: Some(["shatters", "nest", "oryx_3"][(o.hours % 3) as usize].into()),
                    source: format!("src:{}", o.source),
                }).collect();
                // Within one call a repeated key would be one row: keep the first.
                let mut seen = std::collections::HashSet::new();
                let events: Vec<NewEvent> = events
                    .into_iter()
                    .filter(|e| seen.insert((e.member_id, e.kind, e.source.clone())))
                    .collect();
                let mut tx = t.pool.begin().await.unwrap();
                point_events::insert_events(&mut tx, sf(GUILD), &events, None, None, at).await.unwrap();
                tx.commit().await.unwrap();
                // Fold now and then, so reads meet folded sums, pending deltas and both.
                if chunk[0].source % 3 == 0 {
                    quota::fold_pending(&t.pool).await.unwrap();
                }
            }
            assert_sums_match_events(&t.pool).await;
            let before = board_reads(&t.pool).await;
            quota::fold_pending(&t.pool).await.unwrap();
            let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM point_sum_pending")
                .fetch_one(&t.pool).await.unwrap();
            assert_eq!(pending, 0, "a fold leaves no delta behind");
            assert_sums_match_events(&t.pool).await;
            assert_eq!(board_reads(&t.pool).await, before, "folding changed what readers see");
            point_events::vacuum_sums(&t.pool).await.unwrap();
            assert_eq!(board_reads(&t.pool).await, before, "vacuuming changed what readers see");
        });
    }
}

/// Every leaderboard page (3 per page), size, rank and member total of every scope and
/// category, each checked against a ranking computed here from the raw sums.
async fn board_reads(pool: &PgPool) -> Vec<String> {
    let mut conn = pool.acquire().await.unwrap();
    let scopes: Vec<i64> = sqlx::query_scalar(
        "SELECT 0::bigint UNION SELECT period_id FROM point_period WHERE scope_id = 0 ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut out = Vec::new();
    for scope in scopes {
        for metric in Metric::CATEGORIES {
            // The truth: folded value plus pending deltas, per member.
            let raw: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT member_id, sum(v)::bigint FROM (
                    SELECT member_id, value AS v FROM point_sum WHERE scope = $1 AND metric = $2
                    UNION ALL
                    SELECT member_id, delta FROM point_sum_delta WHERE scope = $1 AND metric = $2) u
                 GROUP BY member_id HAVING sum(v) <> 0",
            )
            .bind(scope)
            .bind(metric.code())
            .fetch_all(&mut *conn)
            .await
            .unwrap();
            let size = leaderboard::leaderboard_size(&mut conn, sf(GUILD), scope, metric)
                .await
                .unwrap();
            assert_eq!(size, raw.len() as i64, "size of {metric:?} scope {scope}");
            let mut listed = Vec::new();
            let mut offset = 0;
            loop {
                let page = leaderboard::leaderboard(&mut conn, sf(GUILD), scope, metric, offset, 3)
                    .await
                    .unwrap();
                if page.is_empty() {
                    break;
                }
                offset += 3;
                listed.extend(page);
            }
            assert_eq!(listed.len(), raw.len(), "pages of {metric:?} scope {scope}");
            for w in listed.windows(2) {
                assert!(w[0].value >= w[1].value, "pages out of order: {listed:?}");
            }
            for r in &listed {
                let truth = raw
                    .iter()
                    .find(|(m, _)| *m == r.member_id.get() as i64)
                    .unwrap()
                    .1;
                assert_eq!(r.value, truth, "value of {} in {metric:?}", r.member_id);
                let above = raw.iter().filter(|(_, v)| *v > truth).count() as i64;
                assert_eq!(r.rank, above + 1, "rank of {} in {metric:?}", r.member_id);
                let rank_of = leaderboard::rank_of(&mut conn, sf(GUILD), scope, metric, truth)
                    .await
                    .unwrap();
                assert_eq!(rank_of, above + 1);
                // Just above and below a member's value (its bucket's neighbours).
                for v in [truth - 1, truth + 1] {
                    let above = raw.iter().filter(|(_, x)| *x > v).count() as i64;
                    let rank = leaderboard::rank_of(&mut conn, sf(GUILD), scope, metric, v)
                        .await
                        .unwrap();
                    assert_eq!(rank, above + 1, "rank of value {v} in {metric:?}");
                }
                let sums = leaderboard::member_sums(&mut conn, sf(GUILD), scope, r.member_id)
                    .await
                    .unwrap();
                assert_eq!(sums.get(&metric).copied(), Some(truth));
                out.push(format!(
                    "{scope} {metric:?} #{} {} {} {}",
                    r.rank, r.member_id, r.value, r.reached_at
                ));
            }
        }
    }
    // /stats per dungeon, for every member.
    let members: Vec<i64> =
        sqlx::query_scalar("SELECT DISTINCT member_id FROM point_event ORDER BY 1")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    for m in members {
        let lines = leaderboard::member_dungeons(&mut conn, sf(GUILD), sf(m as u64))
            .await
            .unwrap();
        out.push(format!("{m} {lines:?}"));
    }
    out
}

/// The rank buckets split every integer into ordered intervals: each value lies in its
/// bucket, the next value is in the same bucket or the next one, and a bucket spans at
/// most 1/64 of its values (one value below 128), checked across every power of two.
#[tokio::test]
async fn rank_buckets_split_the_integers_in_order() {
    let t = TestDb::new().await;
    let bad: Vec<(i64, i64, i64)> = sqlx::query_as(
        "WITH v AS (
            SELECT v FROM generate_series(-70000::bigint, 70000) v
            UNION ALL
            SELECT s * ((1::bigint << k) + d)
            FROM generate_series(7, 61) k, generate_series(-2, 2) d, (VALUES (1), (-1)) x(s))
         SELECT v, point_bucket_lo(v), point_bucket_hi(v) FROM v
         WHERE NOT (point_bucket_lo(v) <= v AND v < point_bucket_hi(v)
                    AND point_bucket_lo(v + 1) IN (point_bucket_lo(v), point_bucket_hi(v))
                    AND (abs(v) < 128 AND point_bucket_hi(v) - point_bucket_lo(v) = 1
                         OR (point_bucket_hi(v) - point_bucket_lo(v)) * 64 <= abs(v)))",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    assert!(bad.is_empty(), "values outside their buckets: {bad:?}");
    let widths: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT point_bucket_lo(v), point_bucket_hi(v)
         FROM unnest('{0, 127, 128, 129, 1000, -1, -128, -129}'::bigint[]) v",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    // By hand: 128..130 share a bucket of two; 1000 = 0b1111101000, top seven bits
    // 1111101 span 992..1000 + 8; -128 and -129 share [-129, -127).
    assert_eq!(
        widths,
        vec![
            (0, 1),
            (127, 128),
            (128, 130),
            (128, 130),
            (1000, 1008),
            (-1, 0),
            (-129, -127),
            (-129, -127)
        ]
    );
}

/// Ranks are exact when many members share a bucket, for every value around them, with
/// deltas pending, folded, and pending over folded values (members moving between
/// buckets and off the board).
#[tokio::test]
async fn ranks_are_exact_inside_shared_buckets() {
    let t = TestDb::new().await;
    let at = Utc::now();
    // 60 members between 900 and 1,150 hundredths (buckets of 8 and 16), many tied.
    let award = |round: u64| -> Vec<NewEvent> {
        (0..60u64)
            .map(|m| NewEvent {
                member_id: sf(100 + m),
                currency: Currency::Raider,
                kind: PointKind::Adjustment,
                amount: Points(match round {
                    0 => 900 + (m as i64 * 37) % 250,
                    // Some move up a bucket or two, some down, two leave the board.
                    _ if m < 2 => -(900 + (m as i64 * 37) % 250),
                    _ => (m as i64 % 7 - 3) * 5,
                }),
                units: 1,
                dungeon_code: None,
                source: format!("adj:{round}"),
            })
            .collect()
    };
    let check = |label: &'static str| {
        let pool = t.pool.clone();
        async move {
            let mut conn = pool.acquire().await.unwrap();
            let values: Vec<i64> = sqlx::query_scalar(
                "SELECT sum(amount)::bigint FROM point_event WHERE currency = 'raider'
                 GROUP BY member_id HAVING sum(amount) <> 0",
            )
            .fetch_all(&mut *conn)
            .await
            .unwrap();
            for v in 850..1200 {
                let above = values.iter().filter(|x| **x > v).count() as i64;
                let rank = leaderboard::rank_of(
                    &mut conn,
                    sf(GUILD),
                    leaderboard::ALL_TIME,
                    Metric::RaiderPoints,
                    v,
                )
                .await
                .unwrap();
                assert_eq!(rank, above + 1, "{label}: rank of {v}");
            }
            // Every page (of 7), against the values sorted here.
            let mut sorted = values.clone();
            sorted.sort_unstable_by(|a, b| b.cmp(a));
            let mut listed = Vec::new();
            for offset in (0..sorted.len() as i64 + 7).step_by(7) {
                let page = leaderboard::leaderboard(
                    &mut conn,
                    sf(GUILD),
                    leaderboard::ALL_TIME,
                    Metric::RaiderPoints,
                    offset,
                    7,
                )
                .await
                .unwrap();
                listed.extend(page.into_iter().map(|r| (r.value, r.rank)));
            }
            let expected: Vec<(i64, i64)> = sorted
                .iter()
                .map(|v| (*v, sorted.iter().filter(|x| *x > v).count() as i64 + 1))
                .collect();
            assert_eq!(listed, expected, "{label}: pages");
            let size = leaderboard::leaderboard_size(
                &mut conn,
                sf(GUILD),
                leaderboard::ALL_TIME,
                Metric::RaiderPoints,
            )
            .await
            .unwrap();
            assert_eq!(size, values.len() as i64, "{label}: board size");
        }
    };
    for round in 0..2 {
        let mut tx = t.pool.begin().await.unwrap();
        point_events::insert_events(&mut tx, sf(GUILD), &award(round), None, None, at)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        check("pending").await;
        quota::fold_pending(&t.pool).await.unwrap();
        check("folded").await;
    }
    let buckets: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM point_rank_bucket WHERE scope = 0 AND metric = 1 AND members > 0",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert!(
        buckets < 40,
        "members share buckets: {buckets} buckets for 58 members"
    );
}
