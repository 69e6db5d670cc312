//! Run use cases against a real PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::roles::Level;
use domain::run::{RunAction, TransitionError};
use domain::{ChannelKey, RoleKey, RunStatus, Snowflake};
use service::runs::{self, RunError, RunRequest};
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

/// A burst of joins queues one run-role job for the run (coalesced while it waits), and the
/// job gives and takes the difference between the roster and the role's holders, a slice at
/// a time, never a member twice.
#[tokio::test]
async fn one_role_job_per_run_gives_the_difference_a_slice_at_a_time() {
    use service::runs::delivery::{self, ROLE_CHANGES_PER_JOB, RoleWork};
    let t = setup().await;
    let run = shatters(&t, &organizer(10)).await.unwrap();
    let role_jobs = || async {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM job WHERE kind IN ('run_roles', 'run_role_sync')
               AND state = 'pending'",
        )
        .fetch_one(&t.pool)
        .await
        .unwrap();
        n
    };
    // Before the set-up made the role, the job waits for it.
    assert_eq!(
        delivery::role_work(&t.pool, sf(GUILD), run).await.unwrap(),
        RoleWork::NotYet
    );
    let raiders: Vec<u64> = (0..60).map(|i| 1000 + i).collect();
    let joins = raiders.iter().map(|&i| {
        let pool = t.pool.clone();
        tokio::spawn(
            async move { runs::join(&pool, sf(GUILD), run, &raider(i), sf(i), None).await },
        )
    });
    for j in futures_util::future::join_all(joins).await {
        j.unwrap().unwrap();
    }
    assert_eq!(role_jobs().await, 1, "60 joins, one pending role job");
    delivery::run_role_created(&t.pool, sf(GUILD), run, sf(77))
        .await
        .unwrap();

    // The job's slices, as the bot runs them: what it gave is recorded with the next slice.
    let mut given = Vec::new();
    loop {
        let RoleWork::Changes {
            role,
            give,
            take,
            more,
        } = delivery::role_work(&t.pool, sf(GUILD), run).await.unwrap()
        else {
            panic!("the run has a role and changes to make");
        };
        assert_eq!(role, sf(77));
        assert!(take.is_empty());
        assert!(give.len() <= ROLE_CHANGES_PER_JOB);
        delivery::roles_changed(&t.pool, sf(GUILD), run, &give, &[], more)
            .await
            .unwrap();
        given.extend(give);
        if !more {
            break;
        }
    }
    given.sort();
    let expected: Vec<Snowflake> = raiders.iter().map(|&i| sf(i)).collect();
    assert_eq!(given, expected, "every raider given the role once");

    // Two leave: the next job takes theirs and gives nobody anything.
    for i in [1003, 1040] {
        runs::leave(&t.pool, sf(GUILD), run, &raider(i), sf(i))
            .await
            .unwrap();
    }
    assert_eq!(
        delivery::role_work(&t.pool, sf(GUILD), run).await.unwrap(),
        RoleWork::Changes {
            role: sf(77),
            give: vec![],
            take: vec![sf(1003), sf(1040)],
            more: false
        }
    );
    delivery::roles_changed(&t.pool, sf(GUILD), run, &[], &[sf(1003), sf(1040)], false)
        .await
        .unwrap();
    let RoleWork::Changes { give, take, .. } =
        delivery::role_work(&t.pool, sf(GUILD), run).await.unwrap()
    else {
        panic!("the run still has its role");
    };
    assert!(give.is_empty() && take.is_empty(), "{give:?} {take:?}");

    // Once the run ends its role goes with it: nothing to give or take.
    runs::transition(&t.pool, sf(GUILD), run, &organizer(10), RunAction::Cancel)
        .await
        .unwrap();
    assert_eq!(
        delivery::role_work(&t.pool, sf(GUILD), run).await.unwrap(),
        RoleWork::Nothing
    );
}

#[tokio::test]
async fn rules_of_creation() {
    let t = TestDb::new().await;
    let raider = Actor::member(sf(20), RoleKey::VerifiedRaider.level().unwrap());
    assert_eq!(
        shatters(&t, &raider).await.map_err(|e| e.code()).err(),
        Some("forbidden")
    );
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
    match &err {
        ServiceError::Run(runs::RunError::BadText(why)) => assert_eq!(
            why.to_string(),
            "Description is too long: 501 characters, at most 500."
        ),
        other => panic!("not a text refusal: {other:?}"),
    }
    let first = shatters(&t, &organizer(10)).await.unwrap();
    let err = shatters(&t, &organizer(10)).await.unwrap_err();
    assert_eq!(err.code(), "active_run_exists");
    assert!(
        matches!(err, ServiceError::Run(RunError::ActiveRunExists { run_id: Some(id) }) if id == first),
        "{err:?}"
    );
}

#[tokio::test]
async fn only_the_organizer_or_higher_staff_manage_and_ending_happens_once() {
    let t = setup().await;
    let run = shatters(&t, &organizer(10)).await.unwrap();
    let other_organizer = organizer(11);
    let err = runs::transition(&t.pool, sf(GUILD), run, &other_organizer, RunAction::Start)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let err = runs::transition(&t.pool, sf(GUILD), run, &organizer(10), RunAction::End)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_transition");
    runs::transition(&t.pool, sf(GUILD), run, &organizer(10), RunAction::Start)
        .await
        .unwrap();
    let err = runs::transition(&t.pool, sf(GUILD), run, &other_organizer, RunAction::End)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden", "another organizer cannot end it");

    let officer = Actor::member(sf(12), RoleKey::Officer.level().unwrap());
    let org = organizer(10);
    let (a, b) = tokio::join!(
        runs::transition(&t.pool, sf(GUILD), run, &org, RunAction::End),
        runs::transition(&t.pool, sf(GUILD), run, &officer, RunAction::End),
    );
    assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1, "exactly one end wins");
    // The row says who closed it: the organizer themselves, or staff; and the audit row
    // records the run as it was (live) and as it is.
    let (winner, reason) = if a.is_ok() {
        (10, "organizer")
    } else {
        (12, "staff")
    };
    let winner_run = a.as_ref().or(b.as_ref()).unwrap();
    assert_eq!(winner_run.close_reason.as_deref(), Some(reason));
    assert_eq!(winner_run.closed_by, Some(sf(winner)));
    let audit: (i64, serde_json::Value, serde_json::Value) =
        sqlx::query_as("SELECT actor_id, before, after FROM audit_log WHERE action = 'run_end'")
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert_eq!(audit.0, sf(winner).db());
    assert_eq!(audit.1["status"], "live");
    assert_eq!(audit.2["close_reason"], reason);
    let loser = a.err().or(b.err()).unwrap();
    assert!(
        matches!(
            loser,
            ServiceError::Run(RunError::Transition(TransitionError::AlreadyEnded))
        ),
        "{loser:?}"
    );
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
    assert_eq!(
        runs::get(&t.pool, sf(GUILD + 1), run)
            .await
            .map_err(|e| e.code())
            .err(),
        Some("not_found")
    );
}

#[tokio::test]
async fn only_verified_raiders_join_themselves_and_only_managers_move_others() {
    let t = setup().await;
    let run = shatters(&t, &organizer(10)).await.unwrap();
    let unverified = Actor::member(sf(30), domain::roles::Level::NONE);
    let err = runs::join(&t.pool, sf(GUILD), run, &unverified, sf(30), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ServiceError::MissingRole(RoleKey::VerifiedRaider)),
        "{err:?}"
    );
    let err = runs::join(&t.pool, sf(GUILD), run, &raider(31), sf(32), None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
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
    assert_eq!(err.code(), "forbidden");
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
            matches!(
                err,
                ServiceError::Settings(config::SettingsError::AutoEndOutOfRange)
            ),
            "{bad}: {err:?}"
        );
    }
    let err = config::run_auto_end(&t.pool, g, &organizer(5), Some(60))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
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

/// Joins that arrive together share transactions (one commit for many), and each still gets
/// its own answer: a joiner, a raider pressing twice, joins of a closed run (refused without
/// spoiling the batch) and of a capped run (taken one by one under its exclusive lock).
#[tokio::test]
async fn joins_arriving_together_share_commits_and_each_gets_its_own_answer() {
    use service::runs::{JoinBatcher, JoinChange};
    use store::testing::queries;

    assert!(
        queries::install(),
        "another tracing subscriber was installed first; transactions cannot be counted"
    );
    let _counting = queries::counting();
    let t = setup().await;
    // An organizer has one active run at a time.
    let a = shatters(&t, &organizer(10)).await.unwrap();
    let b = shatters(&t, &organizer(11)).await.unwrap();
    let closed = shatters(&t, &organizer(12)).await.unwrap();
    runs::transition(
        &t.pool,
        sf(GUILD),
        closed,
        &organizer(12),
        RunAction::Cancel,
    )
    .await
    .unwrap();
    let capped = runs::create(
        &t.pool,
        sf(GUILD),
        &organizer(13),
        RunRequest {
            dungeon: "shatters".into(),
            raider_cap: Some(5),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .run_id;

    // 100 raiders for a (raider 1000 twice), 50 for b, 10 for the closed run, 12 for the
    // capped one: 173 joins handed in at once.
    let mut asks: Vec<(i64, u64)> = (0..100).map(|i| (a, 1000 + i)).collect();
    asks.push((a, 1000));
    asks.extend((0..50).map(|i| (b, 2000 + i)));
    asks.extend((0..10).map(|i| (closed, 3000 + i)));
    asks.extend((0..12).map(|i| (capped, 4000 + i)));
    // Raider 5000 joined b before and now picks a class; raider 5001 tries to add 5002.
    runs::join(&t.pool, sf(GUILD), b, &raider(5000), sf(5000), None)
        .await
        .unwrap();
    asks.push((b, 5000));
    let joins = JoinBatcher::new(t.pool.clone());
    let before = queries::thread_total();
    let answers = futures_util::future::join_all(asks.iter().map(|&(run, user)| {
        let joins = joins.clone();
        let class = (user == 5000).then_some("wizard");
        async move {
            joins
                .join_counted(sf(GUILD), run, &raider(user), sf(user), class)
                .await
        }
    }))
    .await;
    let other = joins
        .join(sf(GUILD), a, &raider(5001), sf(5002), None)
        .await;
    assert!(
        matches!(&other, Err(e) if e.code() == "forbidden"),
        "a raider cannot join someone else: {other:?}"
    );
    let work = queries::thread_total().since(&before);

    let mut joined = std::collections::HashMap::<i64, usize>::new();
    let (mut twice, mut refused_closed, mut refused_full) = (Vec::new(), 0, 0);
    for (&(run, user), answer) in asks.iter().zip(&answers) {
        match answer {
            // Two presses at once: one joined, the other is told they were in already.
            Ok(o) if (run, user) == (a, 1000) => twice.push(o.change),
            Ok(o) if user == 5000 => {
                assert_eq!(o.change, JoinChange::AlreadyJoined);
                assert_eq!(o.class.as_deref(), Some("Wizard"));
                // b's count when this join's batch committed.
                assert!(matches!(o.participant_count, Some(1..=51)), "{o:?}");
            }
            Ok(o) if o.change == JoinChange::Joined => *joined.entry(run).or_default() += 1,
            Ok(o) => panic!("run {run}, raider {user}: joined before? {o:?}"),
            Err(e) if e.code() == "run_closed" => {
                assert_eq!(run, closed);
                refused_closed += 1;
            }
            Err(e) if e.code() == "run_full" => {
                assert_eq!(run, capped);
                refused_full += 1;
            }
            other => panic!("run {run}, raider {user}: unexpected {other:?}"),
        }
    }
    assert_eq!(joined.get(&a), Some(&99));
    assert_eq!(joined.get(&b), Some(&50));
    assert_eq!(joined.get(&capped), Some(&5));
    twice.sort_by_key(|c| *c == JoinChange::AlreadyJoined);
    assert_eq!(
        twice,
        [JoinChange::Joined, JoinChange::AlreadyJoined],
        "raider 1000's two presses"
    );
    assert_eq!((refused_closed, refused_full), (10, 7));
    for (run, count) in [(a, 100), (b, 51), (capped, 5), (closed, 0)] {
        let d = runs::get(&t.pool, sf(GUILD), run).await.unwrap();
        assert_eq!(d.participants.len(), count, "run {run}'s roster");
    }
    let d = runs::get(&t.pool, sf(GUILD), b).await.unwrap();
    let wizard = d
        .participants
        .iter()
        .find(|p| p.user_id == sf(5000))
        .unwrap();
    assert_eq!(wizard.class.as_deref(), Some("Wizard"));
    // One by one, the 162 uncapped joins would be 162 commits.
    println!("{} joins handed in at once: {work}", asks.len());
    assert!(
        work.transactions <= 60,
        "joins arriving together were not batched: {work}"
    );
}

/// Runs created, started and ended together share transactions (one commit for many), and
/// each request still gets its own answer: an organizer asking twice gets one run and a
/// refusal, a refusal (someone else's run, a closed run) does not spoil its batch, and a
/// description PostgreSQL cannot store fails its batch, whose requests then run one by one.
/// Afterwards every run holds what the single path leaves: its status, its audit row and
/// its jobs, once each.
#[tokio::test]
async fn runs_changed_together_share_commits_and_each_gets_its_own_answer() {
    use service::runs::LifecycleBatcher;
    use store::testing::queries;

    assert!(
        queries::install(),
        "another tracing subscriber was installed first; transactions cannot be counted"
    );
    let _counting = queries::counting();
    let t = setup().await;
    let g = sf(GUILD);
    let busy = shatters(&t, &organizer(20)).await.unwrap();
    let closed = shatters(&t, &organizer(21)).await.unwrap();
    runs::transition(&t.pool, g, closed, &organizer(21), RunAction::Cancel)
        .await
        .unwrap();
    let lifecycle = LifecycleBatcher::new(t.pool.clone());
    let request = |description: Option<&str>| RunRequest {
        dungeon: "shatters".into(),
        description: description.map(str::to_owned),
        ..Default::default()
    };
    let organizers: Vec<u64> = (100..140).collect();
    let before = queries::thread_total();

    // 40 organizers create a run at once; organizer 100 asks twice, organizer 20 has a run
    // already, and organizer 200's description holds a NUL character.
    let mut asks: Vec<(u64, Option<&str>)> = organizers.iter().map(|&o| (o, None)).collect();
    asks.push((100, None));
    asks.push((20, None));
    asks.push((200, Some("bring \0 keys")));
    let created = futures_util::future::join_all(asks.iter().map(|&(o, description)| {
        let lifecycle = lifecycle.clone();
        async move {
            lifecycle
                .create(g, &organizer(o), request(description))
                .await
        }
    }))
    .await;
    let mut run_of = std::collections::BTreeMap::new();
    let mut refused = Vec::new();
    for (&(o, _), answer) in asks.iter().zip(&created) {
        match answer {
            Ok(run) => {
                assert_eq!(run.organizer_id, sf(o));
                assert_eq!(run.status, RunStatus::Open);
                assert!(
                    run_of.insert(o, run.run_id).is_none(),
                    "organizer {o}: two runs"
                );
            }
            Err(e) => refused.push((o, e.code())),
        }
    }
    refused.sort_unstable();
    assert_eq!(
        refused,
        [
            (20, "active_run_exists"),
            (100, "active_run_exists"),
            (200, "invalid_text")
        ]
    );
    assert_eq!(run_of.len(), organizers.len());

    // Every run started at once, with the closed run and someone else's run.
    let mut starts: Vec<(u64, i64)> = run_of.iter().map(|(&o, &r)| (o, r)).collect();
    starts.push((21, closed));
    starts.push((101, busy));
    let started = futures_util::future::join_all(starts.iter().map(|&(o, run)| {
        let lifecycle = lifecycle.clone();
        async move {
            lifecycle
                .transition(g, run, &organizer(o), RunAction::Start)
                .await
        }
    }))
    .await;
    for (&(o, run), answer) in starts.iter().zip(&started) {
        match (run, answer) {
            (r, Err(e)) if r == closed => assert_eq!(e.code(), "invalid_transition"),
            (r, Err(e)) if r == busy => assert_eq!(e.code(), "forbidden", "organizer {o}"),
            (_, Ok(run)) => assert_eq!(run.status, RunStatus::Live),
            (_, Err(e)) => panic!("run {run}: {e}"),
        }
    }
    // And ended at once.
    let ended = futures_util::future::join_all(run_of.iter().map(|(&o, &run)| {
        let lifecycle = lifecycle.clone();
        async move {
            lifecycle
                .transition(g, run, &organizer(o), RunAction::End)
                .await
        }
    }))
    .await;
    for answer in &ended {
        let run = answer.as_ref().unwrap();
        assert_eq!(run.status, RunStatus::Ended);
        assert!(run.ended_at.is_some());
    }
    let work = queries::thread_total().since(&before);

    let ids: Vec<i64> = run_of.values().copied().collect();
    let (ended_runs, audits): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM run WHERE run_id = ANY($1) AND status = 'ended'),
                (SELECT count(*) FROM audit_log WHERE action = 'run_end')",
    )
    .bind(&ids)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!((ended_runs, audits), (40, 40));
    // Per run: its panel post, auto-end timer, cleanup and panel refresh, and three raid_log
    // entries (created, started, closed).
    let jobs: Vec<(String, i64)> = sqlx::query_as(
        "SELECT kind, count(*) FROM job
          WHERE (payload->>'run_id')::bigint = ANY($1)
             OR (payload->'event'->>'run_id')::bigint = ANY($1)
          GROUP BY kind ORDER BY kind",
    )
    .bind(&ids)
    .fetch_all(&t.pool)
    .await
    .unwrap();
    let jobs: std::collections::BTreeMap<String, i64> = jobs.into_iter().collect();
    for (kind, n) in &jobs {
        let per_run = if kind == "log_post" { 3 } else { 1 };
        assert_eq!(*n, 40 * per_run, "{kind} jobs: {jobs:?}");
    }
    // One by one, the 126 requests would be 126 commits.
    let requests = asks.len() + starts.len() + run_of.len();
    println!("{requests} run creations and transitions handed in at once: {work}");
    assert!(
        work.transactions <= 60,
        "changes arriving together were not batched: {work}"
    );
}

/// Starts and ends handed in together go through one statement for the starts and one for
/// the ends (with their awards read together), and still answer as one by one: a run
/// started twice is started once and the second press is told it is live already, a start
/// or an end by someone who does not manage the run is refused, an end of a run that never
/// started is refused, and every ended run awards its organizer and raiders once.
#[tokio::test]
async fn starts_and_ends_handed_in_together_answer_each_and_award_each_run_once() {
    use service::runs::LifecycleBatcher;

    let t = setup().await;
    let g = sf(GUILD);
    let lifecycle = LifecycleBatcher::new(t.pool.clone());
    let organizers: Vec<u64> = (300..316).collect();
    let mut run_of = Vec::new();
    for &o in &organizers {
        let run = shatters(&t, &organizer(o)).await.unwrap();
        for r in 0..2 {
            let user = o * 10 + r;
            runs::join(&t.pool, g, run, &raider(user), sf(user), None)
                .await
                .unwrap();
        }
        run_of.push((o, run));
    }
    let never_started = shatters(&t, &organizer(399)).await.unwrap();
    let press = |asks: Vec<(u64, i64, RunAction)>| {
        let lifecycle = lifecycle.clone();
        async move {
            let answers = futures_util::future::join_all(asks.iter().map(|&(by, run, action)| {
                let lifecycle = lifecycle.clone();
                async move { lifecycle.transition(g, run, &organizer(by), action).await }
            }))
            .await;
            asks.into_iter().zip(answers).collect::<Vec<_>>()
        }
    };

    // Every run started at once; the first run twice, the second by another organizer too.
    let mut asks: Vec<(u64, i64, RunAction)> = run_of
        .iter()
        .map(|&(o, r)| (o, r, RunAction::Start))
        .collect();
    asks.push((run_of[0].0, run_of[0].1, RunAction::Start));
    asks.push((398, run_of[1].1, RunAction::Start));
    let mut twice = Vec::new();
    for ((by, run, _), answer) in press(asks).await {
        match answer {
            Ok(r) => assert_eq!((r.run_id, r.status), (run, RunStatus::Live)),
            Err(e) if by == 398 => assert_eq!(e.code(), "forbidden"),
            Err(e) => twice.push((run, e.code())),
        }
    }
    assert_eq!(twice, [(run_of[0].1, "invalid_transition")]);

    // Every run ended at once, with an end by another organizer and one of a run that never
    // started.
    let mut asks: Vec<(u64, i64, RunAction)> = run_of
        .iter()
        .map(|&(o, r)| (o, r, RunAction::End))
        .collect();
    asks.push((398, run_of[2].1, RunAction::End));
    asks.push((399, never_started, RunAction::End));
    for ((by, run, _), answer) in press(asks).await {
        match (by, answer) {
            (398, Err(e)) => assert_eq!(e.code(), "forbidden"),
            (399, Err(e)) => assert_eq!(e.code(), "invalid_transition"),
            (_, Ok(r)) => {
                assert_eq!((r.run_id, r.status), (run, RunStatus::Ended));
                assert_eq!(r.closed_by, Some(sf(by)));
                assert_eq!(r.close_reason.as_deref(), Some("organizer"));
            }
            (_, Err(e)) => panic!("run {run} by {by}: {e}"),
        }
    }

    // Each ended run: its organizer's quota event and one per raider, once; its audit row;
    // the run that never started is still open and awarded nothing.
    let ids: Vec<i64> = run_of.iter().map(|&(_, r)| r).collect();
    let events: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT source, count(*) FILTER (WHERE currency = 'quota'),
                count(*) FILTER (WHERE currency = 'raider')
         FROM point_event WHERE guild_id = $1 GROUP BY source ORDER BY source",
    )
    .bind(g.db())
    .fetch_all(&t.pool)
    .await
    .unwrap();
    let mut expected: Vec<(String, i64, i64)> =
        ids.iter().map(|r| (format!("run:{r}"), 1, 2)).collect();
    expected.sort();
    assert_eq!(events, expected);
    let (audits, open): (i64, String) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM audit_log WHERE action = 'run_end'),
                (SELECT status FROM run WHERE run_id = $1)",
    )
    .bind(never_started)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!((audits, open.as_str()), (ids.len() as i64, "open"));
}

/// A batch of run changes queues the jobs of all its requests in one insert, so a run
/// started and ended in the same batch hands in its panel refresh twice: it is one job, due
/// at the earlier time (PostgreSQL refuses a statement that updates a row twice).
#[tokio::test]
async fn jobs_with_one_key_queued_together_are_one_job_due_at_the_earlier_time() {
    use service::tasks::{self, Task};

    let t = setup().await;
    let g = sf(GUILD);
    let now = chrono::Utc::now();
    let (early, late) = (
        now + chrono::Duration::seconds(1),
        now + chrono::Duration::seconds(5),
    );
    let mut tx = t.pool.begin().await.unwrap();
    tasks::queue_many(
        &mut tx,
        &[
            (g, Task::RunPanelRefresh { run_id: 7 }, Some(late)),
            (g, Task::RunRoles { run_id: 7 }, None),
            (g, Task::RunPanelRefresh { run_id: 7 }, Some(early)),
        ],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let rows: Vec<(String, chrono::DateTime<chrono::Utc>)> =
        sqlx::query_as("SELECT kind, due_at FROM job WHERE kind LIKE 'run_%' ORDER BY kind")
            .fetch_all(&t.pool)
            .await
            .unwrap();
    let kinds: Vec<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["run_panel_refresh", "run_roles"]);
    let due = rows[0].1;
    assert!(
        (due - early).num_milliseconds().abs() < 2,
        "due at {due}, not {early}"
    );
}

/// Waits until `n` statements of the test database wait for a lock.
async fn until_waiting(t: &TestDb, n: i64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&t.pool)
        .await
        .unwrap();
        if waiting >= n {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{waiting} of {n} joins wait"
        );
        tokio::task::yield_now().await;
    }
}

/// Two presses of Join by the same raider at the same moment, neither seeing the other's
/// row when it reads the roster: one is told "joined", the other that they were in
/// already (the roster holds them once). On the single
/// path and on the batched one (each press in a batch of its own worker, with another
/// raider's join). A transaction holding an uncommitted row of that raider keeps both
/// presses between their read and their write until both are there.
#[tokio::test]
async fn two_presses_at_once_join_once_and_the_second_is_told_so() {
    use service::runs::{JoinBatcher, JoinChange};

    let t = setup().await;
    let run = shatters(&t, &organizer(10)).await.unwrap();
    let g = sf(GUILD);
    let hold = |user: u64| {
        let pool = t.pool.clone();
        async move {
            let mut tx = pool.begin().await.unwrap();
            sqlx::query(
                "INSERT INTO run_participant (guild_id, run_id, user_id, state)
                 VALUES ($1, $2, $3, 'joined')",
            )
            .bind(g.db())
            .bind(run)
            .bind(sf(user).db())
            .execute(&mut *tx)
            .await
            .unwrap();
            tx
        }
    };
    let sorted = |mut changes: Vec<JoinChange>| {
        changes.sort_by_key(|c| *c == JoinChange::AlreadyJoined);
        changes
    };

    // The single path.
    let held = hold(700).await;
    let presses: Vec<_> = (0..2)
        .map(|_| {
            let pool = t.pool.clone();
            tokio::spawn(async move {
                runs::join(&pool, g, run, &raider(700), sf(700), None)
                    .await
                    .map(|o| o.change)
            })
        })
        .collect();
    until_waiting(&t, 2).await;
    held.rollback().await.unwrap();
    let mut changes = Vec::new();
    for p in presses {
        changes.push(p.await.unwrap().unwrap());
    }
    assert_eq!(
        sorted(changes),
        [JoinChange::Joined, JoinChange::AlreadyJoined]
    );

    // The batched path: two batchers, each with a batch of raider 701 and someone else.
    let held = hold(701).await;
    let (x, y) = (
        JoinBatcher::new(t.pool.clone()),
        JoinBatcher::new(t.pool.clone()),
    );
    let presses: Vec<_> = [(x.clone(), 701), (x, 702), (y.clone(), 701), (y, 703)]
        .into_iter()
        .map(|(joins, user)| {
            tokio::spawn(async move {
                joins
                    .join_counted(g, run, &raider(user), sf(user), None)
                    .await
            })
        })
        .collect();
    until_waiting(&t, 2).await;
    held.rollback().await.unwrap();
    let mut answers = Vec::new();
    for p in presses {
        answers.push(p.await.unwrap().unwrap());
    }
    assert_eq!(
        sorted(vec![answers[0].change, answers[2].change]),
        [JoinChange::Joined, JoinChange::AlreadyJoined],
        "raider 701's two presses"
    );
    assert_eq!(answers[1].change, JoinChange::Joined);
    assert_eq!(answers[3].change, JoinChange::Joined);

    let d = runs::get(&t.pool, g, run).await.unwrap();
    let mut ids: Vec<u64> = d.participants.iter().map(|p| p.user_id.get()).collect();
    ids.sort_unstable();
    assert_eq!(ids, [700, 701, 702, 703]);
}
