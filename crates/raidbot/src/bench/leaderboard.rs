//! `raidbot bench leaderboard`: seeds a database of its own with one guild of 50,000
//! members and 5,000,000 point events over two years (generate_series, summaries built
//! in bulk), then measures the leaderboard (current period and all time, first page and
//! page 100), `/stats` for one member, a quota panel render, and awarding a run's points
//! (organizer + 50 raiders) while reads run. Prints figures, then one JSON line.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;
use domain::quota::{Metric, PeriodChoice, Schedule};
use domain::roles::Level;
use domain::{RunStatus, Snowflake};
use service::Actor;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

const GUILD: i64 = 424_242_424_242_424_242;
pub(crate) const MEMBER_BASE: i64 = 300_000_000_000_000_000;
pub(crate) const QUOTA_ROLE: i64 = 777_777_777_777_777_777;
const PANEL_MEMBERS: i64 = 300;

pub struct Options {
    pub members: i64,
    pub events: i64,
    pub iterations: usize,
    /// Runs awarded while the readers read.
    pub awards: usize,
    pub keep: bool,
    /// Concurrent reader tasks while awards are measured.
    pub readers: usize,
    /// Reads per second of all readers together; 0 for as fast as they can.
    pub reads_per_second: u32,
    /// Pause between measured awards (runs ending one after another, not all at once).
    pub award_interval: Duration,
    /// Measure an existing bench database (from `--keep`) instead of seeding a new one.
    pub reuse: Option<String>,
}

/// Milliseconds at quantile `q` (0–1) of the samples, by the benches' shared nearest rank.
pub(crate) fn percentile(samples: &mut [Duration], q: f64) -> f64 {
    let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    super::percentile(&ms, q * 100.0)
}

struct Figures {
    name: &'static str,
    samples: Vec<Duration>,
}

impl Figures {
    fn p(&mut self, q: f64) -> f64 {
        percentile(&mut self.samples, q)
    }
    /// p99 rounded, or nothing when no sample was taken (no readers).
    fn p99_if_any(&mut self) -> Option<f64> {
        (!self.samples.is_empty()).then(|| round(self.p(0.99)))
    }
    fn line(&mut self) -> String {
        let (p50, p99, max) = (self.p(0.5), self.p(0.99), self.p(1.0));
        format!(
            "{:<34} n={:<5} p50 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms",
            self.name,
            self.samples.len(),
            p50,
            p99,
            max
        )
    }
}

pub async fn leaderboard(database_url: &str, opts: Options) -> anyhow::Result<()> {
    let base = PgConnectOptions::from_str(database_url)
        .context("DATABASE_URL is not a PostgreSQL URL")?
        .log_statements(tracing::log::LevelFilter::Off)
        .log_slow_statements(tracing::log::LevelFilter::Off, Duration::from_secs(3600));
    let mut admin = PgConnection::connect_with(&base.clone().database("postgres"))
        .await
        .context("cannot reach PostgreSQL")?;
    if let Some(name) = &opts.reuse {
        println!("bench database: {name} (reused, not seeded)");
        return run(&base.clone().database(name), &opts, false).await;
    }
    let name = format!("raidbot_bench_{}", std::process::id());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await?;
    println!("bench database: {name}");
    let result = run(&base.clone().database(&name), &opts, true).await;
    if !opts.keep {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await?;
    }
    result
}

async fn run(options: &PgConnectOptions, opts: &Options, fresh: bool) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(12)
        .connect_with(options.clone())
        .await?;
    store::db::MIGRATOR.run(&pool).await?;
    if fresh {
        let started = Instant::now();
        seed(&pool, GUILD, opts.members, opts.events).await?;
        println!(
            "seeded {} members and {} events in {:.1} s",
            opts.members,
            opts.events,
            started.elapsed().as_secs_f64()
        );
    }
    let guild = Snowflake::from_db(GUILD)?;
    let actor = Actor {
        user_id: None,
        level: Level::ADMINISTRATOR,
        label: "bench".into(),
    };
    let n = opts.iterations;
    let mut seed_state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed_state ^= seed_state << 13;
        seed_state ^= seed_state >> 7;
        seed_state ^= seed_state << 17;
        seed_state
    };

    // Warm up the caches the way a running bot has them.
    for choice in [PeriodChoice::Current, PeriodChoice::AllTime] {
        for offset in [0, 2475] {
            service::quota::leaderboard(
                &pool,
                guild,
                &actor,
                Metric::RaiderPoints,
                choice,
                offset,
                25,
            )
            .await?;
        }
    }

    let mut boards = Vec::new();
    let mut all = Figures {
        name: "leaderboard (all four)",
        samples: Vec::new(),
    };
    for (label, choice, offset) in [
        ("leaderboard current, page 1", PeriodChoice::Current, 0),
        ("leaderboard current, page 100", PeriodChoice::Current, 2475),
        ("leaderboard all time, page 1", PeriodChoice::AllTime, 0),
        (
            "leaderboard all time, page 100",
            PeriodChoice::AllTime,
            2475,
        ),
    ] {
        let mut f = Figures {
            name: label,
            samples: Vec::with_capacity(n),
        };
        for i in 0..n {
            let metric = if i % 2 == 0 {
                Metric::RaiderPoints
            } else {
                Metric::QuotaPoints
            };
            let t = Instant::now();
            let page =
                service::quota::leaderboard(&pool, guild, &actor, metric, choice, offset, 25)
                    .await?;
            f.samples.push(t.elapsed());
            anyhow::ensure!(
                !page.rows.is_empty() || choice == PeriodChoice::Current,
                "empty board"
            );
        }
        all.samples.extend(f.samples.iter().copied());
        boards.push(f);
    }

    let mut stats = Figures {
        name: "/stats one member",
        samples: Vec::with_capacity(n),
    };
    for _ in 0..n {
        let member = Snowflake::from_db(MEMBER_BASE + (next() % opts.members as u64) as i64)?;
        let t = Instant::now();
        service::quota::stats(&pool, guild, &actor, member).await?;
        stats.samples.push(t.elapsed());
    }

    let mut panel = Figures {
        name: "quota panel render (300 members)",
        samples: Vec::with_capacity(n),
    };
    for _ in 0..n {
        let t = Instant::now();
        let mut conn = pool.acquire().await?;
        let role =
            store::quota_roles::quota_role(&mut conn, guild, Snowflake::from_db(QUOTA_ROLE)?)
                .await?
                .context("quota role")?;
        let data = service::quota::panel_for(&mut conn, guild, role, Utc::now()).await?;
        let messages = bot::views::quota::panel_messages(&data);
        panel.samples.push(t.elapsed());
        anyhow::ensure!(data.rows.len() as i64 == PANEL_MEMBERS && !messages.is_empty());
    }

    // Awards while two readers hammer leaderboards and stats.
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for r in 0..opts.readers as u64 {
        let (pool, stop, actor) = (pool.clone(), stop.clone(), actor.clone());
        let members = opts.members as u64;
        // Each round is two reads (a leaderboard page and a /stats).
        let pace = (opts.reads_per_second > 0).then(|| {
            Duration::from_secs_f64(2.0 * opts.readers as f64 / f64::from(opts.reads_per_second))
        });
        readers.push(tokio::spawn(async move {
            let (mut boards, mut stats) = (Vec::new(), Vec::new());
            let mut i = r;
            let mut next = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                if let Some(pace) = pace {
                    next += pace;
                    tokio::time::sleep_until(next.into()).await;
                }
                i = i
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let period = if i % 2 == 0 {
                    PeriodChoice::Current
                } else {
                    PeriodChoice::AllTime
                };
                let t = Instant::now();
                let page = ((i >> 33) % 100 * 25) as i64;
                let ok = service::quota::leaderboard(
                    &pool,
                    guild,
                    &actor,
                    Metric::RaiderPoints,
                    period,
                    page,
                    25,
                )
                .await
                .is_ok();
                if ok {
                    boards.push(t.elapsed());
                }
                if let Ok(m) = Snowflake::from_db(MEMBER_BASE + ((i >> 20) % members) as i64) {
                    let t = Instant::now();
                    if service::quota::stats(&pool, guild, &actor, m).await.is_ok() {
                        stats.push(t.elapsed());
                    }
                }
            }
            (boards, stats)
        }));
    }
    // The bot folds awards' summary deltas (and vacuums) in the background; so does the
    // bench.
    let folder = {
        let (pool, stop) = (pool.clone(), stop.clone());
        tokio::spawn(async move {
            let mut folder = service::quota::Folder::default();
            let mut folded = 0;
            while !stop.load(Ordering::Relaxed) {
                folded += folder.tick(&pool).await.unwrap_or(0);
                tokio::time::sleep(service::quota::FOLD_EVERY).await;
            }
            folded + service::quota::fold_pending(&pool).await.unwrap_or(0)
        })
    };
    let mut award = Figures {
        name: "award run (organizer + 50 raiders)",
        samples: Vec::with_capacity(opts.awards),
    };
    let mut award_commit = Figures {
        name: "  award with its commit",
        samples: Vec::with_capacity(opts.awards),
    };
    let mut end = Figures {
        name: "end run (whole transaction)",
        samples: Vec::with_capacity(opts.awards),
    };
    let mut commit = Figures {
        name: "  of which commit",
        samples: Vec::with_capacity(opts.awards),
    };
    for i in 0..opts.awards as i64 {
        if i > 0 && !opts.award_interval.is_zero() {
            tokio::time::sleep(opts.award_interval).await;
        }
        let run = prepare_run(&pool, guild, opts.members, i).await?;
        let t = Instant::now();
        let mut tx = pool.begin().await?;
        let r = store::runs::lock(&mut tx, guild, run)
            .await?
            .context("run")?;
        store::runs::mark_closed(&mut tx, guild, run, RunStatus::Ended, None, None, "staff")
            .await?;
        let a = Instant::now();
        let written = service::quota::on_run_ended(&mut tx, &r).await?;
        let c = Instant::now();
        tx.commit().await?;
        commit.samples.push(c.elapsed());
        award.samples.push(c - a);
        award_commit.samples.push(a.elapsed());
        end.samples.push(t.elapsed());
        anyhow::ensure!(written == 51, "awarded {written}");
    }
    stop.store(true, Ordering::Relaxed);
    let mut boards_during = Figures {
        name: "leaderboard while awarding",
        samples: Vec::new(),
    };
    let mut stats_during = Figures {
        name: "/stats while awarding",
        samples: Vec::new(),
    };
    for r in readers {
        if let Ok((b, s)) = r.await {
            boards_during.samples.extend(b);
            stats_during.samples.extend(s);
        }
    }
    let folded = folder.await.unwrap_or(0);
    anyhow::ensure!(
        folded == opts.awards as i64 * 51 * 2 * 2,
        "folded {folded} summary deltas, expected 4 per award"
    );

    println!();
    for f in boards.iter_mut() {
        println!("{}", f.line());
    }
    println!("{}", all.line());
    println!("{}", stats.line());
    println!("{}", panel.line());
    if !boards_during.samples.is_empty() {
        println!("{}", boards_during.line());
        println!("{}", stats_during.line());
    }
    println!("{}", award.line());
    println!("{}", commit.line());
    println!("{}", award_commit.line());
    println!("{}", end.line());
    println!(
        "{}",
        serde_json::json!({
            "events": opts.events,
            "members": opts.members,
            "iterations": n,
            "awards": opts.awards,
            "leaderboard_p50_ms": round(all.p(0.5)),
            "leaderboard_p99_ms": round(all.p(0.99)),
            "leaderboard_page100_p99_ms": round(boards[1].p(0.99).max(boards[3].p(0.99))),
            "stats_p50_ms": round(stats.p(0.5)),
            "stats_p99_ms": round(stats.p(0.99)),
            "panel_p50_ms": round(panel.p(0.5)),
            "panel_p99_ms": round(panel.p(0.99)),
            "award_p50_ms": round(award.p(0.5)),
            "award_p99_ms": round(award.p(0.99)),
            "award_with_commit_p50_ms": round(award_commit.p(0.5)),
            "award_with_commit_p99_ms": round(award_commit.p(0.99)),
            "commit_p99_ms": round(commit.p(0.99)),
            "readers": opts.readers,
            "reads_per_second": opts.reads_per_second,
            "award_interval_ms": opts.award_interval.as_millis() as u64,
            "leaderboard_while_awarding_p99_ms": boards_during.p99_if_any(),
            "stats_while_awarding_p99_ms": stats_during.p99_if_any(),
            "end_run_p99_ms": round(end.p(0.99)),
        })
    );
    pool.close().await;
    Ok(())
}

fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// A live run of organizer `i` with 50 raiders joined (not measured).
async fn prepare_run(pool: &PgPool, guild: Snowflake, members: i64, i: i64) -> anyhow::Result<i64> {
    let mut conn = pool.acquire().await?;
    let organizer = Snowflake::from_db(MEMBER_BASE + (i * 7919) % members)?;
    let run = store::runs::insert(
        &mut conn,
        &store::runs::NewRun {
            guild_id: guild,
            organizer_id: organizer,
            dungeon_code: "shatters".into(),
            party: None,
            location: None,
            description: None,
            auto_end_at: Utc::now() + chrono::Duration::hours(2),
            panel_channel_id: None,
            raider_cap: None,
        },
    )
    .await?;
    store::runs::mark_started(&mut conn, guild, run).await?;
    sqlx::query(
        "INSERT INTO run_participant (guild_id, run_id, user_id, state)
         SELECT $1, $2, $3 + ((($4 * 50 + g) * 104729) % $5), 'joined'
         FROM generate_series(1, 50) g ON CONFLICT DO NOTHING",
    )
    .bind(guild.db())
    .bind(run)
    .bind(MEMBER_BASE)
    .bind(i)
    .bind(members)
    .execute(&mut *conn)
    .await?;
    Ok(run)
}

/// Seeds one guild (`guild`, a database id) with `members` members' `events` point events
/// over two years and a quota role of 300 members (also `raidbot bench dashboard`).
pub(crate) async fn seed(
    pool: &PgPool,
    guild: i64,
    members: i64,
    events: i64,
) -> anyhow::Result<()> {
    let mut c = pool.acquire().await?;
    let now = Utc::now();
    let schedule = Schedule::default();
    let first = schedule.boundary_at_or_before(now - chrono::Duration::days(730));
    let weeks = (now - first).num_weeks() + 1;
    sqlx::raw_sql(
        "SET synchronous_commit = off; SET maintenance_work_mem = '256MB'; SET work_mem = '64MB';",
    )
    .execute(&mut *c)
    .await?;
    sqlx::query("INSERT INTO guild (guild_id) VALUES ($1)")
        .bind(guild)
        .execute(&mut *c)
        .await?;
    // Weekly leaderboard periods over the two years (ids 1…weeks, in order).
    sqlx::query(
        "INSERT INTO point_period (period_id, guild_id, scope_id, starts_at, ends_at)
         OVERRIDING SYSTEM VALUE
         SELECT k + 1, $1, 0, $2 + k * interval '7 days', $2 + (k + 1) * interval '7 days'
         FROM generate_series(0, $3 - 1) k",
    )
    .bind(guild)
    .bind(first)
    .bind(weeks)
    .execute(&mut *c)
    .await?;
    sqlx::query("SELECT setval(pg_get_serial_sequence('point_period', 'period_id'), $1 + 1)")
        .bind(weeks)
        .execute(&mut *c)
        .await?;
    // Bulk load: indexes are built after the rows are in.
    sqlx::raw_sql(
        "ALTER TABLE point_event DROP CONSTRAINT point_event_guild_id_source_member_id_kind_key;
         ALTER TABLE point_event DROP CONSTRAINT point_event_pkey;
         DROP INDEX point_event_quota_by_member;
         ALTER TABLE point_sum DROP CONSTRAINT point_sum_pkey; DROP INDEX point_sum_rank;",
    )
    .execute(&mut *c)
    .await?;
    let span = (now - first).num_seconds();
    // Skewed activity (some members far more active), 30% quota events, two years.
    sqlx::query(
        "INSERT INTO point_event (guild_id, member_id, currency, kind, amount, units,
                                  dungeon_code, source, period_id, created_at)
         SELECT $1, $2 + m, CASE WHEN q THEN 'quota' ELSE 'raider' END,
                CASE WHEN q THEN 'run_organized' WHEN g % 5 = 0 THEN 'key_popped'
                     ELSE 'run_completed' END,
                (50 + (g * 37) % 400), 1,
                (ARRAY['shatters','the_void','oryx_3','lost_halls','fungal_cavern','nest'])[1 + g % 6],
                'bench:' || g,
                1 + floor(extract(epoch FROM t - $3) / 604800)::bigint, t
         FROM (SELECT g, floor($4 * power(random(), 1.6))::bigint AS m, random() < 0.3 AS q,
                      $3 + random() * make_interval(secs => $5) AS t
               FROM generate_series(1, $6) g) s",
    )
    .bind(guild)
    .bind(MEMBER_BASE)
    .bind(first)
    .bind(members as f64)
    .bind(span as f64)
    .bind(events)
    .execute(&mut *c)
    .await?;
    sqlx::raw_sql(
        "INSERT INTO point_sum (guild_id, scope, metric, member_id, value, reached_at)
         SELECT guild_id, scope, metric, member_id, sum(v), max(t) FROM (
             SELECT guild_id, s.scope, CASE currency WHEN 'raider' THEN 1 ELSE 2 END AS metric,
                    member_id, amount AS v, created_at AS t
             FROM point_event, LATERAL (VALUES (0::bigint), (period_id)) s(scope)
             UNION ALL
             SELECT guild_id, s.scope, CASE WHEN kind = 'run_organized' THEN 3
                                             WHEN kind = 'run_completed' THEN 4 ELSE 5 END,
                    member_id, units, created_at
             FROM point_event, LATERAL (VALUES (0::bigint), (period_id)) s(scope)
         ) x GROUP BY 1, 2, 3, 4;
         INSERT INTO point_dungeon_sum (guild_id, member_id, dungeon_code, metric, value)
         SELECT guild_id, member_id, dungeon_code, metric, sum(v) FROM (
             SELECT guild_id, member_id, dungeon_code,
                    CASE currency WHEN 'raider' THEN 1 ELSE 2 END AS metric, amount AS v
             FROM point_event
             UNION ALL
             SELECT guild_id, member_id, dungeon_code, CASE WHEN kind = 'run_organized' THEN 3
                                                            WHEN kind = 'run_completed' THEN 4
                                                            ELSE 5 END, units
             FROM point_event
         ) x GROUP BY 1, 2, 3, 4;
         INSERT INTO point_rank_bucket (guild_id, scope, metric, lo, members)
         SELECT guild_id, scope, metric, point_bucket_lo(value), count(*)
         FROM point_sum WHERE value <> 0 GROUP BY 1, 2, 3, 4;
         ALTER TABLE point_event ADD PRIMARY KEY (guild_id, event_id);
         ALTER TABLE point_event ADD CONSTRAINT point_event_guild_id_source_member_id_kind_key
             UNIQUE (guild_id, source, member_id, kind);
         CREATE INDEX point_event_quota_by_member ON point_event (guild_id, member_id, created_at)
             INCLUDE (amount) WHERE currency = 'quota';
         ALTER TABLE point_sum ADD PRIMARY KEY (guild_id, scope, metric, member_id);
         CREATE INDEX point_sum_rank ON point_sum (guild_id, scope, metric, value DESC, reached_at, member_id);",
    )
    .execute(&mut *c)
    .await?;
    // A quota role with 300 members for the panel.
    sqlx::query("INSERT INTO quota_role (guild_id, role_id, required_points, position) VALUES ($1, $2, 2000, 1)")
        .bind(guild)
        .bind(QUOTA_ROLE)
        .execute(&mut *c)
        .await?;
    sqlx::query(
        "INSERT INTO member_role (guild_id, user_id, role_id)
         SELECT $1, $2 + g * 13, $3 FROM generate_series(0, $4 - 1) g",
    )
    .bind(guild)
    .bind(MEMBER_BASE)
    .bind(QUOTA_ROLE)
    .bind(PANEL_MEMBERS)
    .execute(&mut *c)
    .await?;
    sqlx::raw_sql("VACUUM ANALYZE").execute(&mut *c).await?;
    Ok(())
}
