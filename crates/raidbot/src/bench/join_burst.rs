//! `raidbot bench join-burst`: raiders pressing Join on run panels, through the simulated
//! Discord, the real bot and PostgreSQL, all on this machine.
//!
//! For each scenario it prints: interactions acknowledged within 3 s (%), acknowledgment
//! latency p50/p99/max (press → answer, as the raider's client sees it), panel edits per
//! panel per second (the most in any one-second window), the time from the last click until
//! the panel shows the exact count, and whether every count matched the database. It ends
//! with one JSON object per scenario, one per line.

use std::time::{Duration, Instant, SystemTime};

use anyhow::Context as _;
use discord_sim::{
    ChannelId, ChannelKind, CommandOption, DiscordSim, GuildId, MessageId, ResponseKind, SimConfig,
    UserId,
};
use domain::roles::Level;
use domain::{ChannelKey, RoleKey, Snowflake};
use serde_json::json;
use service::Actor;
use store::PgPool;
use tokio_util::sync::CancellationToken;

use super::percentile;

/// One guild with a run panel and its raiders.
pub(super) struct Stage {
    guild: GuildId,
    channel: ChannelId,
    panel: MessageId,
    run_id: i64,
    raiders: Vec<UserId>,
}

pub struct Scenario {
    pub name: &'static str,
    /// Runs in parallel (each in its own guild: Discord limits message edits per channel).
    pub runs: usize,
    pub raiders_per_run: usize,
    /// All clicks of a run are spread evenly over this window.
    pub window: Duration,
}

pub const SCENARIOS: [Scenario; 3] = [
    Scenario {
        name: "300 raiders in 5 s on one panel",
        runs: 1,
        raiders_per_run: 300,
        window: Duration::from_secs(5),
    },
    Scenario {
        name: "1000 raiders in 2 s on one panel",
        runs: 1,
        raiders_per_run: 1000,
        window: Duration::from_secs(2),
    },
    Scenario {
        name: "20 runs in parallel, 100 raiders each",
        runs: 20,
        raiders_per_run: 100,
        window: Duration::from_secs(2),
    },
];

fn sf(v: u64) -> anyhow::Result<Snowflake> {
    Snowflake::new(v).context("a simulated id is not a snowflake")
}

async fn set_up_guild(
    sim: &DiscordSim,
    pool: &PgPool,
    n: usize,
    tag: &str,
) -> anyhow::Result<Stage> {
    let owner = sim.create_user(&format!("owner-{tag}"));
    let guild = sim.create_guild(&format!("Bench {tag}"), owner);
    set_up_stage(sim, pool, guild, owner, n, tag).await
}

/// Roles, the raid channel, `n` verified raiders and an open run panel in `guild`.
pub(super) async fn set_up_stage(
    sim: &DiscordSim,
    pool: &PgPool,
    guild: GuildId,
    owner: UserId,
    n: usize,
    tag: &str,
) -> anyhow::Result<Stage> {
    let organizer_role = sim.create_role(guild, "Raid Leader", 0, 4);
    let raider_role = sim.create_role(guild, "Verified Raider", 0, 2);
    let channel = sim.create_channel(guild, "raids", ChannelKind::Text);
    let organizer = sim.create_user(&format!("organizer-{tag}"));
    sim.add_member(guild, organizer, &[organizer_role, raider_role]);
    let raiders = (0..n)
        .map(|i| {
            let u = sim.create_user(&format!("raider-{tag}-{i}"));
            sim.add_member(guild, u, &[raider_role]);
            u
        })
        .collect();
    let admin = Actor::member(sf(owner.0)?, Level::ADMINISTRATOR);
    let g = sf(guild.0)?;
    service::config::set_roles(
        pool,
        g,
        &admin,
        &[
            (RoleKey::Organizer, Some(sf(organizer_role.0)?)),
            (RoleKey::VerifiedRaider, Some(sf(raider_role.0)?)),
        ],
    )
    .await?;
    service::config::set_channels(pool, g, &admin, &[(ChannelKey::Raid, Some(sf(channel.0)?))])
        .await?;
    let res = sim
        .run_command(
            guild,
            channel,
            organizer,
            "run",
            vec![CommandOption::string("dungeon", "shatters")],
        )
        .await;
    anyhow::ensure!(
        res.kind == ResponseKind::Reply,
        "/run was not answered: {:?}",
        res.kind
    );
    let panel = sim
        .eventually(Duration::from_secs(10), || {
            sim.messages(channel)
                .into_iter()
                .find(|m| !m.embeds.is_empty() && !m.ephemeral)
        })
        .await
        .context("the run panel never appeared")?;
    let run_id: i64 = sqlx::query_scalar("SELECT run_id FROM run WHERE guild_id = $1")
        .bind(g.db())
        .fetch_one(pool)
        .await?;
    Ok(Stage {
        guild,
        channel,
        panel: panel.id,
        run_id,
        raiders,
    })
}

/// The count the panel shows in its "Raiders (N)" field.
fn panel_count(sim: &DiscordSim, stage: &Stage) -> Option<usize> {
    let m = sim.message(stage.channel, stage.panel)?;
    let fields = m.embeds.first()?.get("fields")?.as_array()?;
    fields.iter().find_map(|f| {
        let name = f.get("name")?.as_str()?;
        let n = name.strip_prefix("Raiders (")?.trim_end_matches(')');
        n.split('/').next()?.parse().ok()
    })
}

/// The most edits of one message in any one-second window.
fn max_edits_per_second(times: &mut [SystemTime]) -> usize {
    times.sort();
    let mut best = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end].duration_since(times[start]).unwrap_or_default() >= Duration::from_secs(1)
        {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

pub(super) struct Outcome {
    pub acks_ms: Vec<f64>,
    pub in_time: usize,
    pub clicks: usize,
    pub max_edits: usize,
    /// Discord calls of the scenario answered 429 (each counts against the bot).
    pub rate_limited: usize,
    /// The shortest time between two edits of one panel.
    pub closest_edits_ms: Option<f64>,
    pub settle_ms: f64,
    pub exact: bool,
    /// From the first press to the last acknowledgment.
    pub elapsed: Duration,
}

async fn run_scenario(
    sim: &DiscordSim,
    pool: &PgPool,
    sc: &Scenario,
    index: usize,
) -> anyhow::Result<Outcome> {
    let mut stages = Vec::new();
    for r in 0..sc.runs {
        stages.push(set_up_guild(sim, pool, sc.raiders_per_run, &format!("{index}-{r}")).await?);
    }
    burst(sim, pool, &stages, sc.window).await
}

/// Every raider of every stage presses Join once, spread evenly over `window` per stage;
/// then waits until every panel shows its exact count.
pub(super) async fn burst(
    sim: &DiscordSim,
    pool: &PgPool,
    stages: &[Stage],
    window: Duration,
) -> anyhow::Result<Outcome> {
    // Let set-up edits (panel post, pings) pass so they are not counted.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let calls_before = sim.calls().len();

    let started = Instant::now();
    let mut tasks = Vec::new();
    for stage in stages {
        let n = stage.raiders.len();
        for (i, raider) in stage.raiders.iter().enumerate() {
            let offset = window.mul_f64(i as f64 / n as f64);
            let (sim, guild, channel, panel, raider) = (
                sim.clone(),
                stage.guild,
                stage.channel,
                stage.panel,
                *raider,
            );
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep_until((started + offset).into()).await;
                let t0 = Instant::now();
                let res = sim.press(guild, raider, channel, panel, "Join").await;
                (
                    t0.elapsed(),
                    res.kind == ResponseKind::Reply,
                    Instant::now(),
                )
            }));
        }
    }
    let mut acks_ms = Vec::new();
    let mut in_time = 0;
    let mut last_click = started;
    for t in futures_util::future::join_all(tasks).await {
        let (elapsed, ok, at) = t.context("a click task failed")?;
        let ms = elapsed.as_secs_f64() * 1000.0;
        acks_ms.push(ms);
        if ok && elapsed <= Duration::from_secs(3) {
            in_time += 1;
        }
        last_click = last_click.max(at);
    }
    let elapsed = last_click.saturating_duration_since(started);
    // Settle: until every panel shows its exact count.
    let deadline = Instant::now() + Duration::from_secs(60);
    let settled_at = loop {
        if stages
            .iter()
            .all(|s| panel_count(sim, s) == Some(s.raiders.len()))
        {
            break Instant::now();
        }
        if Instant::now() > deadline {
            break deadline;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let settle_ms = settled_at
        .saturating_duration_since(last_click)
        .as_secs_f64()
        * 1000.0;
    tokio::time::sleep(Duration::from_millis(1200)).await;

    let calls = sim.calls();
    let mut max_edits = 0;
    let mut closest_edits: Option<Duration> = None;
    let rate_limited = calls[calls_before..]
        .iter()
        .filter(|c| c.status == 429)
        .count();
    let mut exact = true;
    for stage in stages {
        let suffix = format!("/messages/{}", stage.panel.0);
        let mut times: Vec<SystemTime> = calls[calls_before..]
            .iter()
            .filter(|c| c.method == "PATCH" && c.path.ends_with(&suffix))
            .map(|c| c.at)
            .collect();
        max_edits = max_edits.max(max_edits_per_second(&mut times));
        for pair in times.windows(2) {
            let gap = pair[1].duration_since(pair[0]).unwrap_or_default();
            closest_edits = Some(closest_edits.map_or(gap, |c: Duration| c.min(gap)));
        }
        let in_db: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM run_participant WHERE guild_id = $1 AND run_id = $2 AND state = 'joined'",
        )
        .bind(sf(stage.guild.0)?.db())
        .bind(stage.run_id)
        .fetch_one(pool)
        .await?;
        let shown = panel_count(sim, stage);
        exact &= in_db as usize == stage.raiders.len() && shown == Some(stage.raiders.len());
    }
    acks_ms.sort_by(f64::total_cmp);
    Ok(Outcome {
        clicks: acks_ms.len(),
        acks_ms,
        in_time,
        max_edits,
        rate_limited,
        closest_edits_ms: closest_edits.map(|d| d.as_secs_f64() * 1000.0),
        settle_ms,
        exact,
        elapsed,
    })
}

/// What `raidbot bench join-burst` measures, and under what load.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Keep one core busy with a separate process (a shell in a busy loop) throughout.
    pub noise: bool,
    /// Find the highest click rate over 20 panels with p99 ≤ 100 ms instead of the
    /// three fixed scenarios.
    pub ramp: bool,
}

/// The ramp's steps (clicks per second over 20 panels, each step 3 s of clicks).
const RAMP_RATES: [usize; 8] = [250, 500, 750, 1000, 1250, 1500, 2000, 2500];
const RAMP_WINDOW: Duration = Duration::from_secs(3);
const RAMP_P99_MS: f64 = 100.0;

/// A process that keeps one core busy until dropped.
struct Noise(std::process::Child);

impl Noise {
    fn start() -> anyhow::Result<Noise> {
        let child = std::process::Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .spawn()
            .context("could not start the noise process (sh)")?;
        Ok(Noise(child))
    }
}

impl Drop for Noise {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn report(name: &str, o: &Outcome) -> serde_json::Value {
    let pct = 100.0 * o.in_time as f64 / o.clicks.max(1) as f64;
    let (p50, p99, max) = (
        percentile(&o.acks_ms, 50.0),
        percentile(&o.acks_ms, 99.0),
        percentile(&o.acks_ms, 100.0),
    );
    println!("{name}");
    println!("  clicks {} · acknowledged within 3 s {pct:.1}%", o.clicks);
    println!("  acknowledgment latency p50 {p50:.1} ms · p99 {p99:.1} ms · max {max:.1} ms");
    println!(
        "  panel edits per panel per second (max) {} (closest two: {}) · Discord calls answered 429: {}",
        o.max_edits,
        o.closest_edits_ms
            .map_or_else(|| "-".to_owned(), |ms| format!("{ms:.0} ms")),
        o.rate_limited
    );
    println!(
        "  panel exact {:.0} ms after the last click · counts match the database: {}",
        o.settle_ms, o.exact
    );
    json!({
        "scenario": name,
        "clicks": o.clicks,
        "acked_in_time_pct": (pct * 10.0).round() / 10.0,
        "ack_p50_ms": (p50 * 10.0).round() / 10.0,
        "ack_p99_ms": (p99 * 10.0).round() / 10.0,
        "ack_max_ms": (max * 10.0).round() / 10.0,
        "max_edits_per_panel_per_s": o.max_edits,
        "rate_limited_calls": o.rate_limited,
        "closest_edits_ms": o.closest_edits_ms.map(f64::round),
        "settle_ms": o.settle_ms.round(),
        "exact": o.exact,
    })
}

/// Runs every scenario (or the ramp) on a fresh database next to `database_url` and
/// prints the figures.
pub async fn run(database_url: &str, opts: Options) -> anyhow::Result<()> {
    bot::discord::install_crypto();
    let name = format!("raidbot_bench_{}", std::process::id());
    let url = match database_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => anyhow::bail!("DATABASE_URL has no database name"),
    };
    let pool = store::db::prepare(&url, 30).await?;
    let sim = DiscordSim::start_with(SimConfig {
        heartbeat_interval_ms: 5_000,
        ..Default::default()
    })
    .await;
    let shutdown = CancellationToken::new();
    let bot_config = bot::BotConfig {
        token: sim.bot_token().to_owned(),
        api_proxy: Some(sim.http_proxy_addr()),
        // As deployed (`DISCORD_SHARED_RATE_LIMIT` is on by default): every Discord call but
        // the interaction answers is paced under the global limit, so a burst's run-role
        // syncs do not spend the limit the panel edits need (without it, twilight learns the
        // global limit from 429s).
        shared_rate_limit: true,
        gateway_url: Some(sim.gateway_url()),
        dev_guild_id: None,
        register_commands: true,
        // Not used by this benchmark: nothing here verifies.
        realmeye_base_url: "http://127.0.0.1:9".to_owned(),
        shards: Default::default(),
        public_url: None,
    };
    let bot_task = tokio::spawn(bot::run(bot_config, pool.clone(), shutdown.clone()));
    sim.eventually(Duration::from_secs(10), || {
        sim.gateway_connected().then_some(())
    })
    .await
    .context("the bot did not connect to the simulated Discord")?;

    let noise = if opts.noise {
        println!("(one core kept busy by a separate process)");
        Some(Noise::start()?)
    } else {
        None
    };
    let mut lines = Vec::new();
    if opts.ramp {
        let step = |rate: usize| Scenario {
            name: "ramp",
            runs: 20,
            raiders_per_run: rate * RAMP_WINDOW.as_secs() as usize / 20,
            window: RAMP_WINDOW,
        };
        // The first step of a fresh database and process pays for cold caches and pools;
        // one unmeasured step first, so the ramp measures the steady state.
        run_scenario(&sim, &pool, &step(RAMP_RATES[0]), 99).await?;
        println!("(warm-up: {} clicks/s for 3 s, not counted)", RAMP_RATES[0]);
        // A step that misses only its p99 is measured once more, on fresh panels: on a
        // shared machine a moment of someone else's load fails a 3-second window, and one
        // failed window says little about the rate the system sustains. The step passes
        // when the second measurement does; both are printed, and the capacity at the first
        // try is reported beside the one with the second chance. A step that loses or
        // delays an answer, or ends with wrong counts, is never measured again.
        let mut capacity = 0;
        // The highest rate whose step, and every step below it, passed at the first try.
        let mut first_try = 0;
        let mut every_first_try = true;
        for (i, rate) in RAMP_RATES.iter().enumerate() {
            let name = format!("ramp: {rate} clicks/s over 20 panels for 3 s");
            let o = run_scenario(&sim, &pool, &step(*rate), 100 + i).await?;
            let mut line = report(&name, &o);
            line["clicks_per_s"] = json!(rate);
            lines.push(line);
            if o.in_time < o.clicks || !o.exact {
                break;
            }
            if percentile(&o.acks_ms, 99.0) > RAMP_P99_MS {
                every_first_try = false;
                let again = run_scenario(&sim, &pool, &step(*rate), 200 + i).await?;
                let mut line = report(&format!("{name}, measured again"), &again);
                line["clicks_per_s"] = json!(rate);
                line["measured_again"] = json!(true);
                lines.push(line);
                if percentile(&again.acks_ms, 99.0) > RAMP_P99_MS
                    || again.in_time < again.clicks
                    || !again.exact
                {
                    break;
                }
            }
            capacity = *rate;
            if every_first_try {
                first_try = capacity;
            }
        }
        println!(
            "ramp: highest rate with p99 ≤ {RAMP_P99_MS} ms: {capacity} clicks/s (at the first try of every step: {first_try})"
        );
        lines.push(json!({
            "ramp_capacity_clicks_per_s": capacity,
            "ramp_capacity_first_try_clicks_per_s": first_try,
            "noise": opts.noise,
        }));
    } else {
        for (i, sc) in SCENARIOS.iter().enumerate() {
            let o = run_scenario(&sim, &pool, sc, i).await?;
            let mut line = report(sc.name, &o);
            line["noise"] = json!(opts.noise);
            lines.push(line);
        }
    }
    drop(noise);
    shutdown.cancel();
    let _ = bot_task.await;
    pool.close().await;
    drop_database(database_url, &name).await;
    for line in lines {
        println!("{line}");
    }
    Ok(())
}

pub(super) async fn drop_database(database_url: &str, name: &str) {
    let Some((base, _)) = database_url.rsplit_once('/') else {
        return;
    };
    if let Ok(pool) = store::db::connect(&format!("{base}/postgres"), 1).await {
        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&pool).await {
            eprintln!("warning: could not drop the bench database {name}: {e}");
        }
    }
}
