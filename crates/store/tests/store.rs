//! Store behaviour against a real PostgreSQL, a fresh database per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use domain::{RunStatus, Snowflake};
use store::jobs::{self, NewJob};
use store::run_roster::{self, RosterState};
use store::runs::{self, NewRun};
use store::testing::TestDb;
use store::{db, guild_config};

fn sf(v: u64) -> Snowflake {
    Snowflake::new(v).unwrap()
}

async fn new_run(db: &TestDb, organizer: u64) -> Result<i64, store::StoreError> {
    let mut conn = db.pool.acquire().await.unwrap();
    guild_config::ensure_guild(&mut conn, sf(1)).await.unwrap();
    runs::insert(
        &mut conn,
        &NewRun {
            guild_id: sf(1),
            organizer_id: sf(organizer),
            dungeon_code: "shatters".into(),
            party: None,
            location: None,
            description: None,
            auto_end_at: Utc::now() + chrono::Duration::hours(2),
            panel_channel_id: None,
            raider_cap: None,
        },
    )
    .await
}

#[tokio::test]
async fn migrations_run_twice_and_concurrently() {
    let t = TestDb::new().await;
    let (a, b) = tokio::join!(db::migrate(&t.pool, &t.url), db::migrate(&t.pool, &t.url));
    a.unwrap();
    b.unwrap();
    db::migrate(&t.pool, &t.url).await.unwrap();
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(applied as usize, db::MIGRATOR.iter().count());
}

#[tokio::test]
async fn one_active_run_per_organizer_is_enforced_by_the_database() {
    let t = TestDb::new().await;
    new_run(&t, 10).await.unwrap();
    let second = new_run(&t, 10).await.unwrap_err();
    assert_eq!(
        second.unique_violation().as_deref(),
        Some("run_one_active_per_organizer")
    );
    new_run(&t, 11).await.unwrap();
}

#[tokio::test]
async fn joining_twice_counts_once_and_closing_twice_keeps_first_time() {
    let t = TestDb::new().await;
    let run = new_run(&t, 10).await.unwrap();
    let mut c = t.pool.acquire().await.unwrap();
    let joined = RosterState::Joined;
    run_roster::set_state(&mut c, sf(1), run, sf(100), joined, None)
        .await
        .unwrap();
    run_roster::set_state(&mut c, sf(1), run, sf(100), joined, Some("Wizard"))
        .await
        .unwrap();
    run_roster::set_state(&mut c, sf(1), run, sf(101), joined, None)
        .await
        .unwrap();
    run_roster::set_state(&mut c, sf(1), run, sf(101), RosterState::Left, None)
        .await
        .unwrap();
    let r = runs::get(&mut c, sf(1), run).await.unwrap().unwrap();
    assert_eq!(r.participant_count, 1);
    let ps = runs::participants(&mut c, sf(1), run).await.unwrap();
    assert_eq!(ps[0].class.as_deref(), Some("Wizard"));

    runs::mark_started(&mut c, sf(1), run).await.unwrap();
    assert!(
        runs::mark_closed(
            &mut c,
            sf(1),
            run,
            RunStatus::Ended,
            Some(sf(10)),
            Some("user 10"),
            "organizer"
        )
        .await
        .unwrap()
    );
    let first = runs::get(&mut c, sf(1), run)
        .await
        .unwrap()
        .unwrap()
        .ended_at;
    assert!(
        !runs::mark_closed(&mut c, sf(1), run, RunStatus::Ended, None, None, "auto")
            .await
            .unwrap()
    );
    let after = runs::get(&mut c, sf(1), run).await.unwrap().unwrap();
    assert_eq!(after.ended_at, first);
    assert_eq!(after.close_reason.as_deref(), Some("organizer"));
    // Another guild's path never sees it.
    assert!(runs::get(&mut c, sf(2), run).await.unwrap().is_none());
}

#[tokio::test]
async fn pending_jobs_coalesce_and_a_claimed_job_is_not_claimed_twice() {
    let t = TestDb::new().await;
    let job = NewJob {
        guild_id: sf(1),
        kind: "panel".into(),
        dedupe_key: Some("run:1".into()),
        payload: serde_json::json!({"run_id": 1}),
        due_at: None,
        priority: 0,
    };
    let mut c = t.pool.acquire().await.unwrap();
    assert!(jobs::enqueue(&mut c, &job).await.unwrap());
    assert!(!jobs::enqueue(&mut c, &job).await.unwrap());
    let lease = std::time::Duration::from_secs(30);
    let (a, b) = tokio::join!(
        jobs::claim(&t.pool, 10, 10, lease),
        jobs::claim(&t.pool, 10, 10, lease)
    );
    let claimed: Vec<_> = a.unwrap().into_iter().chain(b.unwrap()).collect();
    assert_eq!(claimed.len(), 1);
    // While it runs, a new change queues a new edit rather than being lost.
    assert!(jobs::enqueue(&mut c, &job).await.unwrap());
    jobs::complete(&t.pool, &claimed[0]).await.unwrap();
    assert_eq!(jobs::count(&t.pool, "panel", "done").await.unwrap(), 1);
    assert_eq!(jobs::count(&t.pool, "panel", "pending").await.unwrap(), 1);
}

/// `raidbot bench join-burst` (20 runs × 100 raiders) saw two or three edits of one panel
/// within a second: while an edit waited on Discord's rate limits, the next coalesced edit
/// of the same panel was claimed and sent alongside it. A job waits while another with its
/// dedupe key runs; jobs of other keys are not held up.
/// Background jobs (priority 0: role changes, cleanups) take at most their share of the
/// workers, and never ahead of a due panel edit: `raidbot bench join-burst --ramp` saw run-role
/// jobs, 25 Discord calls each, hold every worker while panel edits waited to be claimed.
#[tokio::test]
async fn background_jobs_take_at_most_their_share_and_go_after_the_rest() {
    let t = TestDb::new().await;
    let job = |key: String, priority: i16| NewJob {
        guild_id: sf(1),
        kind: if priority > 0 { "panel" } else { "roles" }.into(),
        dedupe_key: Some(key),
        payload: serde_json::json!({}),
        due_at: None,
        priority,
    };
    let mut c = t.pool.acquire().await.unwrap();
    for i in 0..5 {
        assert!(
            jobs::enqueue(&mut c, &job(format!("roles:{i}"), 0))
                .await
                .unwrap()
        );
    }
    for i in 0..2 {
        assert!(
            jobs::enqueue(&mut c, &job(format!("panel:{i}"), 10))
                .await
                .unwrap()
        );
    }
    let lease = std::time::Duration::from_secs(30);
    // Four workers free, one of them for background work: both panels and one role job.
    let first = jobs::claim(&t.pool, 4, 1, lease).await.unwrap();
    let kinds = |claimed: &[jobs::Job]| {
        let mut k: Vec<(String, bool)> = claimed
            .iter()
            .map(|j| (j.kind.clone(), j.background))
            .collect();
        k.sort();
        k
    };
    assert_eq!(
        kinds(&first),
        vec![
            ("panel".to_owned(), false),
            ("panel".to_owned(), false),
            ("roles".to_owned(), true)
        ]
    );
    // A new panel edit comes first even when background workers are free.
    assert!(
        jobs::enqueue(&mut c, &job("panel:9".into(), 10))
            .await
            .unwrap()
    );
    let second = jobs::claim(&t.pool, 1, 8, lease).await.unwrap();
    assert_eq!(kinds(&second), vec![("panel".to_owned(), false)]);
    // With no background share left, the remaining role jobs wait.
    assert!(jobs::claim(&t.pool, 8, 0, lease).await.unwrap().is_empty());
    assert_eq!(jobs::claim(&t.pool, 8, 8, lease).await.unwrap().len(), 4);
}

#[tokio::test]
async fn a_job_is_not_claimed_while_another_with_its_key_is_running() {
    let t = TestDb::new().await;
    let job = |key: &str| NewJob {
        guild_id: sf(1),
        kind: "panel".into(),
        dedupe_key: Some(key.into()),
        payload: serde_json::json!({}),
        due_at: None,
        priority: 0,
    };
    let mut c = t.pool.acquire().await.unwrap();
    let lease = std::time::Duration::from_secs(30);
    assert!(jobs::enqueue(&mut c, &job("run:1")).await.unwrap());
    let first = jobs::claim(&t.pool, 10, 10, lease).await.unwrap();
    assert_eq!(first.len(), 1);

    // The next edit of the same panel, and an edit of another panel, both due now.
    assert!(jobs::enqueue(&mut c, &job("run:1")).await.unwrap());
    assert!(jobs::enqueue(&mut c, &job("run:2")).await.unwrap());
    let second = jobs::claim(&t.pool, 10, 10, lease).await.unwrap();
    let keys: Vec<_> = second.iter().map(|j| j.dedupe_key.clone()).collect();
    assert_eq!(keys, vec![Some("run:2".to_owned())]);
    // An idle worker does not spin on the held-back edit: nothing pending counts as due
    // before the running edits' leases run out.
    let next = jobs::next_due(&t.pool).await.unwrap().unwrap();
    assert!(next > Utc::now() + chrono::Duration::seconds(20));

    // Once the first edit has finished, its successor is claimed.
    jobs::complete(&t.pool, &first[0]).await.unwrap();
    let third = jobs::claim(&t.pool, 10, 10, lease).await.unwrap();
    let keys: Vec<_> = third.iter().map(|j| j.dedupe_key.clone()).collect();
    assert_eq!(keys, vec![Some("run:1".to_owned())]);
}

/// After a crash the dead worker's job is still `running`; once its lease runs out it is
/// claimed again, and a pending job with the same key (enqueued meanwhile) waits for that
/// attempt. Claimed together, two modmail syncs of one ticket each found no forum thread
/// and each made one (CI, `chaos_flows::a_modmail_ticket_survives_kills`, seed 2).
#[tokio::test]
async fn a_job_whose_lease_ran_out_runs_again_before_its_successor() {
    let t = TestDb::new().await;
    let job = NewJob {
        guild_id: sf(1),
        kind: "modmail_sync".into(),
        dedupe_key: Some("ticket:1".into()),
        payload: serde_json::json!({}),
        due_at: None,
        priority: 5,
    };
    let mut c = t.pool.acquire().await.unwrap();
    let lease = std::time::Duration::from_secs(30);
    assert!(jobs::enqueue(&mut c, &job).await.unwrap());
    let first = jobs::claim(&t.pool, 10, 10, lease).await.unwrap();
    assert_eq!(first.len(), 1);
    // The worker dies; a reply enqueues the next sync; the lease runs out.
    assert!(jobs::enqueue(&mut c, &job).await.unwrap());
    sqlx::query(
        "UPDATE job SET locked_until = now() - interval '1 second' WHERE state = 'running'",
    )
    .execute(&t.pool)
    .await
    .unwrap();
    assert!(jobs::next_due(&t.pool).await.unwrap().unwrap() <= Utc::now());

    let again = jobs::claim(&t.pool, 10, 10, lease).await.unwrap();
    let ids: Vec<_> = again.iter().map(|j| (j.job_id, j.attempts)).collect();
    assert_eq!(ids, vec![(first[0].job_id, 2)], "only the orphaned job");
    assert!(
        jobs::claim(&t.pool, 10, 10, lease)
            .await
            .unwrap()
            .is_empty()
    );

    jobs::complete(&t.pool, &again[0]).await.unwrap();
    let next = jobs::claim(&t.pool, 10, 10, lease).await.unwrap();
    assert_eq!(next.len(), 1);
    assert_ne!(next[0].job_id, first[0].job_id, "then its successor");
}

/// The race `raidbot bench join-burst` hit: a panel edit is put back to wait ("spacing out
/// edits") while a join, in a transaction not yet committed, enqueues the next edit of the
/// same panel. The retry's check for a pending successor cannot see the uncommitted row,
/// its update then waits on that row's unique-index entry and failed with
/// `job_pending_dedupe` once the join committed: the outcome was not recorded and the job
/// stayed `running` until its lease ran out. Interleaved by hand on two connections.
#[tokio::test]
async fn a_retry_racing_the_enqueue_of_its_successor_is_recorded_and_drops_nothing() {
    let t = TestDb::new().await;
    let job = NewJob {
        guild_id: sf(1),
        kind: "panel".into(),
        dedupe_key: Some("run:1".into()),
        payload: serde_json::json!({"run_id": 1}),
        due_at: None,
        priority: 0,
    };
    let mut c = t.pool.acquire().await.unwrap();
    assert!(jobs::enqueue(&mut c, &job).await.unwrap());
    let lease = std::time::Duration::from_secs(30);
    let claimed = jobs::claim(&t.pool, 10, 10, lease).await.unwrap();
    assert_eq!(claimed.len(), 1);

    // The join's transaction enqueues the successor and has not committed yet.
    let mut join = t.pool.begin().await.unwrap();
    assert!(jobs::enqueue(&mut join, &job).await.unwrap());
    // The dispatcher puts the running job back to wait, on another connection.
    let pool = t.pool.clone();
    let running = claimed[0].clone();
    let retry = tokio::spawn(async move {
        jobs::retry_later(
            &pool,
            &running,
            std::time::Duration::from_secs(1),
            "spacing out edits",
        )
        .await
    });
    // Wait until the retry's update is blocked on the join's row, then commit the join.
    loop {
        let blocked: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'
               AND pid <> pg_backend_pid()",
        )
        .fetch_one(&mut *c)
        .await
        .unwrap();
        if blocked > 0 {
            break;
        }
        tokio::task::yield_now().await;
    }
    join.commit().await.unwrap();

    retry
        .await
        .unwrap()
        .expect("the retry's outcome is recorded");
    // The running job finished (its successor carries the latest state), and the
    // successor still waits to run: nothing is running with a stale lease, nothing lost.
    assert_eq!(jobs::count(&t.pool, "panel", "running").await.unwrap(), 0);
    assert_eq!(jobs::count(&t.pool, "panel", "done").await.unwrap(), 1);
    assert_eq!(jobs::count(&t.pool, "panel", "pending").await.unwrap(), 1);
}

/// A client that goes away while its request's transaction is being opened (a dropped
/// future: a closed HTTP connection, a timeout) must not hand the next request a pooled
/// connection still inside that transaction. sqlx 0.9.0 did (transact-rs/sqlx#4393): the
/// next statement ran in the stale transaction and was never committed.
#[tokio::test]
async fn a_transaction_dropped_while_it_begins_leaves_no_transaction_open() {
    let db = TestDb::new().await;
    // One connection, so every statement below reuses the one the dropped BEGIN used.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&db.url)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE cancelled_begin (n int)")
        .execute(&pool)
        .await
        .unwrap();
    let tries = 300;
    for n in 0..tries {
        // Dropped after a few microseconds: over the tries, some drops land between
        // sending BEGIN and reading its answer.
        let _ = tokio::time::timeout(
            std::time::Duration::from_micros(10 * (n % 60) as u64),
            pool.begin(),
        )
        .await;
        sqlx::query("INSERT INTO cancelled_begin VALUES ($1)")
            .bind(n)
            .execute(&pool)
            .await
            .unwrap();
    }
    // Another connection sees every insert: none was left inside an open transaction.
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM cancelled_begin")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(seen, i64::from(tries));
    let idle_in_transaction: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(idle_in_transaction, 0);
    pool.close().await;
}

#[tokio::test]
async fn events_taken_together_are_each_taken_once() {
    let t = TestDb::new().await;
    let mut conn = t.pool.acquire().await.unwrap();
    assert!(store::gateway::take_event(&mut conn, 1, 100).await.unwrap());
    // 100 was taken before; 101 twice in one batch (a replay arriving at once); 102 in
    // another guild.
    let mut taken = store::gateway::take_events(&mut conn, &[1, 1, 1, 2], &[100, 101, 101, 102])
        .await
        .unwrap();
    taken.sort_unstable();
    assert_eq!(taken, vec![(1, 101), (2, 102)]);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM event_taken")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(rows, 3);
}

#[tokio::test]
async fn members_roles_recorded_together_replace_each_members_roles() {
    use store::member_roles::{MemberRoles, sync_many_members_roles, sync_member_roles};
    let t = TestDb::new().await;
    let mut conn = t.pool.acquire().await.unwrap();
    guild_config::ensure_guild(&mut conn, sf(1)).await.unwrap();
    guild_config::ensure_guild(&mut conn, sf(2)).await.unwrap();
    sync_member_roles(&mut conn, sf(1), sf(10), &[sf(500), sf(501)])
        .await
        .unwrap();
    sync_member_roles(&mut conn, sf(1), sf(11), &[sf(500)])
        .await
        .unwrap();
    sync_member_roles(&mut conn, sf(2), sf(10), &[sf(600)])
        .await
        .unwrap();
    let member = |guild, user, roles: &[u64]| MemberRoles {
        guild: sf(guild),
        user: sf(user),
        roles: roles.iter().map(|r| sf(*r)).collect(),
    };
    sync_many_members_roles(
        &mut conn,
        &[
            // 10 lost 500 and gained 502; listed twice, the later list wins.
            member(1, 10, &[500]),
            member(1, 10, &[501, 502, 502]),
            // 11 holds nothing now.
            member(1, 11, &[]),
            // 12 is new.
            member(1, 12, &[500]),
        ],
    )
    .await
    .unwrap();
    let rows: Vec<(i64, i64, i64)> =
        sqlx::query_as("SELECT guild_id, user_id, role_id FROM member_role ORDER BY 1, 2, 3")
            .fetch_all(&t.pool)
            .await
            .unwrap();
    // Guild 2's member 10 is another member: untouched.
    assert_eq!(
        rows,
        vec![(1, 10, 501), (1, 10, 502), (1, 12, 500), (2, 10, 600)]
    );
}

/// The constraint a raw statement broke, if the database refused it for one.
async fn refused_by(t: &TestDb, sql: &str) -> Option<String> {
    let e = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&t.pool)
        .await
        .err()?;
    e.as_database_error()
        .and_then(|d| d.constraint())
        .map(str::to_owned)
}

#[tokio::test]
async fn a_name_that_is_not_an_ign_is_refused_by_the_database() {
    let t = TestDb::new().await;
    sqlx::raw_sql(
        "INSERT INTO guild (guild_id) VALUES (1);
         INSERT INTO member (guild_id, user_id, ign) VALUES (1, 10, 'Stormveil');",
    )
    .execute(&t.pool)
    .await
    .unwrap();
    for bad in ["Storm veil", "Raider1", "", "Abcdefghijk", "Ünïcode"] {
        assert_eq!(
            refused_by(
                &t,
                &format!("INSERT INTO member (guild_id, user_id, ign) VALUES (1, 11, '{bad}')")
            )
            .await
            .as_deref(),
            Some("member_ign_is_an_ign"),
            "{bad:?}"
        );
    }
    assert_eq!(
        refused_by(&t, "UPDATE member SET ign = 'x_x' WHERE user_id = 10")
            .await
            .as_deref(),
        Some("member_ign_is_an_ign")
    );
    // A member without a name yet is fine.
    sqlx::raw_sql("INSERT INTO member (guild_id, user_id) VALUES (1, 12)")
        .execute(&t.pool)
        .await
        .unwrap();
    // On a database whose rows all comply, the checks are validated.
    let validated: Vec<(String, bool)> = sqlx::query_as(
        "SELECT conname::text, convalidated FROM pg_constraint
         WHERE conname IN ('member_ign_is_an_ign', 'veri_review_ign_is_an_ign') ORDER BY 1",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    assert_eq!(
        validated,
        [
            ("member_ign_is_an_ign".to_owned(), true),
            ("veri_review_ign_is_an_ign".to_owned(), true)
        ]
    );
}

#[tokio::test]
async fn the_ign_check_migrates_a_database_holding_an_odd_name_and_checks_new_rows() {
    let t = TestDb::new().await;
    // As before the migration: no check, and a name that is not an IGN.
    sqlx::raw_sql(
        "ALTER TABLE member DROP CONSTRAINT member_ign_is_an_ign;
         ALTER TABLE veri_review DROP CONSTRAINT veri_review_ign_is_an_ign;
         INSERT INTO guild (guild_id) VALUES (1);
         INSERT INTO member (guild_id, user_id, ign) VALUES (1, 10, 'Old Name 1');",
    )
    .execute(&t.pool)
    .await
    .unwrap();
    sqlx::raw_sql(include_str!("../migrations/0291_ign_checks.sql"))
        .execute(&t.pool)
        .await
        .unwrap();
    let validated: bool = sqlx::query_scalar(
        "SELECT convalidated FROM pg_constraint WHERE conname = 'member_ign_is_an_ign'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert!(!validated, "left NOT VALID while an old row breaks it");
    assert_eq!(
        refused_by(
            &t,
            "INSERT INTO member (guild_id, user_id, ign) VALUES (1, 11, 'New 2')"
        )
        .await
        .as_deref(),
        Some("member_ign_is_an_ign")
    );
}
