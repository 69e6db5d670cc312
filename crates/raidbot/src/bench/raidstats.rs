//! `raidbot bench raidstats`: seeds a database of its own with one guild's runs (100,000 by
//! default, spread over the last 50 weeks across 12 dungeons, ~10 raiders each) and
//! measures `/raidstats`: the aggregate query (service::analytics::runs), the chart render
//! (charts::raidstats_png), both for the whole year and for one dungeon. Prints p50/p99,
//! the PNG's size, then one JSON line.

use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;
use domain::Snowflake;
use domain::analytics::StatsPeriod;
use domain::roles::Level;
use service::Actor;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

const GUILD: i64 = 434_343_434_343_434_343;
const DUNGEONS: [&str; 12] = [
    "shatters",
    "nest",
    "cultist_hideout",
    "the_void",
    "fungal_cavern",
    "oryx_3",
    "moonlight_village",
    "lost_halls",
    "undead_lair",
    "lair_of_draconis",
    "tomb_of_the_ancients",
    "ocean_trench",
];

pub struct Options {
    pub runs: i64,
    pub iterations: usize,
    pub keep: bool,
}

struct Figures {
    name: &'static str,
    ms: Vec<f64>,
}

impl Figures {
    fn new(name: &'static str) -> Self {
        Figures {
            name,
            ms: Vec::new(),
        }
    }
    fn push(&mut self, d: Duration) {
        self.ms.push(d.as_secs_f64() * 1000.0);
    }
    fn p(&mut self, q: f64) -> f64 {
        self.ms.sort_by(f64::total_cmp);
        super::percentile(&self.ms, q)
    }
    fn line(&mut self) -> String {
        let (p50, p99, max) = (self.p(50.0), self.p(99.0), self.p(100.0));
        format!(
            "{:<34} n={:<4} p50 {:>8.2} ms   p99 {:>8.2} ms   max {:>8.2} ms",
            self.name,
            self.ms.len(),
            p50,
            p99,
            max
        )
    }
}

pub async fn run(database_url: &str, opts: Options) -> anyhow::Result<()> {
    let base = PgConnectOptions::from_str(database_url)
        .context("DATABASE_URL is not a PostgreSQL URL")?
        .log_statements(tracing::log::LevelFilter::Off)
        .log_slow_statements(tracing::log::LevelFilter::Off, Duration::from_secs(3600));
    let mut admin = PgConnection::connect_with(&base.clone().database("postgres"))
        .await
        .context("cannot reach PostgreSQL")?;
    let name = format!("raidbot_bench_stats_{}", std::process::id());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await?;
    println!("bench database: {name}");
    let result = measure(&base.clone().database(&name), &opts).await;
    if !opts.keep {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await?;
    }
    result
}

/// Seeds `runs` runs of GUILD created over the 52 weeks before now: 75 % completed, 15 %
/// auto-ended, 10 % cancelled; 20–60 minutes long; 5–15 raiders joined at the end (a
/// few more who left).
pub async fn seed(pool: &PgPool, runs: i64) -> anyhow::Result<()> {
    let mut c = pool.acquire().await?;
    sqlx::query("INSERT INTO guild (guild_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(GUILD)
        .execute(&mut *c)
        .await?;
    let codes: Vec<String> = DUNGEONS.iter().map(|d| (*d).to_owned()).collect();
    sqlx::query(
        "INSERT INTO run (guild_id, organizer_id, dungeon_code, status, auto_end_at, created_at,
                          started_at, ended_at, cancelled_at, close_reason)
         SELECT $1, 1000 + g % 400, ($3::text[])[1 + (g * 7) % array_length($3::text[], 1)],
                CASE WHEN g % 10 = 0 THEN 'cancelled' ELSE 'ended' END,
                t + interval '2 hours', t,
                CASE WHEN g % 10 = 0 THEN NULL ELSE t + interval '5 minutes' END,
                CASE WHEN g % 10 = 0 THEN NULL
                     ELSE t + interval '5 minutes' + (20 + g % 41) * interval '1 minute' END,
                CASE WHEN g % 10 = 0 THEN t + interval '10 minutes' END,
                CASE WHEN g % 10 = 0 THEN 'organizer'
                     WHEN g % 20 IN (1, 3, 5) THEN 'auto' ELSE 'organizer' END
         FROM generate_series(1, $2) g,
              LATERAL (SELECT now() - (g::float8 / $2) * interval '350 days' AS t) x",
    )
    .bind(GUILD)
    .bind(runs)
    .bind(&codes)
    .execute(&mut *c)
    .await?;
    sqlx::query(
        "INSERT INTO run_participant (guild_id, run_id, user_id, state)
         SELECT r.guild_id, r.run_id, 5000 + (r.run_id * 13 + i) % 3000,
                CASE WHEN i < 5 + r.run_id % 11 THEN 'joined' ELSE 'left' END
         FROM run r, generate_series(0, 16) i
         WHERE r.guild_id = $1",
    )
    .bind(GUILD)
    .execute(&mut *c)
    .await?;
    // What ending each run keeps on it (the raiders joined at the end, as seeded above).
    sqlx::query(
        "UPDATE run SET attendance = 5 + run_id % 11 WHERE guild_id = $1 AND status = 'ended'",
    )
    .bind(GUILD)
    .execute(&mut *c)
    .await?;
    // A live database is vacuumed by autovacuum (visibility map set: index-only scans).
    sqlx::raw_sql("VACUUM ANALYZE run, run_participant")
        .execute(&mut *c)
        .await?;
    Ok(())
}

async fn measure(options: &PgConnectOptions, opts: &Options) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(options.clone())
        .await?;
    store::db::MIGRATOR.run(&pool).await?;
    let started = Instant::now();
    seed(&pool, opts.runs).await?;
    println!(
        "seeded {} runs in {:.1} s",
        opts.runs,
        started.elapsed().as_secs_f64()
    );
    let guild = Snowflake::from_db(GUILD)?;
    let actor = Actor {
        user_id: None,
        level: Level::ADMINISTRATOR,
        label: "bench".into(),
    };
    let (from, to) = StatsPeriod::Weeks52.span(Utc::now());
    // Warm up.
    let s = service::analytics::runs(&pool, guild, &actor, from, to, None).await?;
    anyhow::ensure!(
        s.total == opts.runs,
        "counted {} runs of {}",
        s.total,
        opts.runs
    );
    let mut query = Figures::new("query, 52 weeks, all dungeons");
    let mut render = Figures::new("render PNG, 52 weeks");
    let mut one = Figures::new("query, 52 weeks, one dungeon");
    let mut total = Figures::new("/raidstats query + render");
    let mut size = 0;
    for _ in 0..opts.iterations {
        let t = Instant::now();
        let s = service::analytics::runs(&pool, guild, &actor, from, to, None).await?;
        let q = t.elapsed();
        query.push(q);
        let t = Instant::now();
        let png = charts::raidstats_png(&s)?;
        let r = t.elapsed();
        render.push(r);
        total.push(q + r);
        size = png.len();
        let t = Instant::now();
        service::analytics::runs(&pool, guild, &actor, from, to, Some("shatters")).await?;
        one.push(t.elapsed());
    }
    for f in [&mut query, &mut one, &mut render, &mut total] {
        println!("{}", f.line());
    }
    println!(
        "PNG: {}x{} px, {} bytes (Discord's limit: 10 MiB)",
        charts::RAIDSTATS_SIZE.0,
        charts::RAIDSTATS_SIZE.1,
        size
    );
    println!(
        "{}",
        serde_json::json!({
            "bench": "raidstats",
            "runs": opts.runs,
            "query_p50_ms": query.p(50.0), "query_p99_ms": query.p(99.0),
            "one_dungeon_p50_ms": one.p(50.0), "one_dungeon_p99_ms": one.p(99.0),
            "render_p50_ms": render.p(50.0), "render_p99_ms": render.p(99.0),
            "total_p50_ms": total.p(50.0), "total_p99_ms": total.p(99.0),
            "png_bytes": size,
        })
    );
    // Closed before the database is dropped, so no connection is cut under the pool.
    pool.close().await;
    Ok(())
}
