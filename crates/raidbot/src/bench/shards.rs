//! `raidbot bench shards`: the same load served by 1, 2 and 4 `raidbot bot` processes that
//! split four gateway shards (`SHARDS=0-3`; `0-1` and `2-3`; one shard each), on one
//! database and one simulated Discord, all on this machine.
//!
//! For each layout it starts the processes (this binary, `raidbot bot`), waits until all
//! four shards are connected, opens a run panel in each of many guilds (the same number on
//! every shard) and has every guild's raiders press Join, spread over a window. It prints
//! the throughput (acknowledged clicks per second, first press to last acknowledgment),
//! acknowledgment p50/p99, the share answered within Discord's 3 s and whether every panel
//! ended with the database's count; then one JSON object per layout, one per line.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use discord_sim::{DiscordSim, SimConfig};
use serde_json::json;

use super::join_burst::{self, Stage};
use super::percentile;

/// Gateway shards the bot runs, split between the processes of each layout.
pub const SHARD_TOTAL: u32 = 4;

/// The process layouts: each process's `SHARDS`.
pub const LAYOUTS: [&[&str]; 3] = [&["0-3"], &["0-1", "2-3"], &["0", "1", "2", "3"]];

/// The load, the same for every layout.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Guilds on each shard (each with one run panel).
    pub guilds_per_shard: usize,
    /// Raiders pressing Join in each guild.
    pub raiders: usize,
    /// Each guild's presses are spread over this window.
    pub window: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            guilds_per_shard: 4,
            raiders: 50,
            window: Duration::from_secs(2),
        }
    }
}

/// `raidbot bot` processes, stopped (SIGTERM, then SIGKILL) when dropped.
struct Bots(Vec<Child>);

impl Bots {
    fn start(sim: &DiscordSim, database_url: &str, ranges: &[&str]) -> anyhow::Result<Bots> {
        let exe = std::env::current_exe().context("cannot find the raidbot binary")?;
        let mut children = Vec::new();
        for range in ranges {
            let child = Command::new(&exe)
                .arg("bot")
                .env("DATABASE_URL", database_url)
                .env_remove("DATABASE_READ_URL")
                .env("DISCORD_TOKEN", sim.bot_token())
                .env(
                    "DISCORD_API_BASE",
                    format!("http://{}", sim.http_proxy_addr()),
                )
                .env("DISCORD_GATEWAY_URL", sim.gateway_url())
                .env("REALMEYE_BASE_URL", "http://127.0.0.1:9")
                .env("SHARD_TOTAL", SHARD_TOTAL.to_string())
                .env("SHARDS", range)
                .env("RUST_LOG", "error")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .context("cannot start a raidbot bot process")?;
            children.push(child);
        }
        Ok(Bots(children))
    }

    /// SIGTERM (in-flight work finishes), then SIGKILL after 15 s.
    fn stop(&mut self) {
        for child in &self.0 {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        for child in &mut self.0 {
            while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        self.0.clear();
    }
}

impl Drop for Bots {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Figures {
    processes: usize,
    o: join_burst::Outcome,
}

impl Figures {
    fn throughput(&self) -> f64 {
        self.o.clicks as f64 / self.o.elapsed.as_secs_f64().max(0.001)
    }

    fn print(&self) {
        let o = &self.o;
        let pct = 100.0 * o.in_time as f64 / o.clicks.max(1) as f64;
        println!(
            "{} bot process{}: {} clicks in {:.2} s · throughput {:.0} acks/s · ack p50 {:.1} ms · p99 {:.1} ms · max {:.1} ms · within 3 s {pct:.1}% · counts exact: {}",
            self.processes,
            if self.processes == 1 { "" } else { "es" },
            o.clicks,
            o.elapsed.as_secs_f64(),
            self.throughput(),
            percentile(&o.acks_ms, 50.0),
            percentile(&o.acks_ms, 99.0),
            percentile(&o.acks_ms, 100.0),
            o.exact
        );
    }

    fn json(&self, opts: &Options) -> serde_json::Value {
        let o = &self.o;
        let round = |v: f64| (v * 10.0).round() / 10.0;
        json!({
            "processes": self.processes,
            "shards": SHARD_TOTAL,
            "guilds": opts.guilds_per_shard * SHARD_TOTAL as usize,
            "raiders_per_guild": opts.raiders,
            "window_ms": opts.window.as_millis() as u64,
            "clicks": o.clicks,
            "throughput_acks_per_s": round(self.throughput()),
            "ack_p50_ms": round(percentile(&o.acks_ms, 50.0)),
            "ack_p99_ms": round(percentile(&o.acks_ms, 99.0)),
            "ack_max_ms": round(percentile(&o.acks_ms, 100.0)),
            "acked_in_time_pct": round(100.0 * o.in_time as f64 / o.clicks.max(1) as f64),
            "exact": o.exact,
        })
    }
}

async fn wait_for_shards(sim: &DiscordSim, connected: bool) -> anyhow::Result<()> {
    let want: Vec<[u32; 2]> = if connected {
        (0..SHARD_TOTAL).map(|i| [i, SHARD_TOTAL]).collect()
    } else {
        Vec::new()
    };
    sim.eventually(Duration::from_secs(120), || {
        (sim.connected_shards() == want).then_some(())
    })
    .await
    .with_context(|| {
        format!(
            "shards connected: {:?}, wanted {want:?}",
            sim.connected_shards()
        )
    })
}

/// Runs the load under each layout on a fresh database next to `database_url` and prints
/// the figures.
pub async fn run(database_url: &str, opts: Options) -> anyhow::Result<()> {
    anyhow::ensure!(
        opts.guilds_per_shard >= 1 && opts.raiders >= 1,
        "--guilds-per-shard and --raiders must be at least 1"
    );
    bot::discord::install_crypto();
    let name = format!("raidbot_bench_shards_{}", std::process::id());
    let url = match database_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => anyhow::bail!("DATABASE_URL has no database name"),
    };
    let pool = store::db::prepare(&url, 10).await?;
    let sim = DiscordSim::start_with(SimConfig {
        heartbeat_interval_ms: 5_000,
        recommended_shards: SHARD_TOTAL,
        ..Default::default()
    })
    .await;
    println!(
        "{} guilds ({} per shard, {SHARD_TOTAL} shards), {} raiders each pressing Join within {} ms",
        opts.guilds_per_shard * SHARD_TOTAL as usize,
        opts.guilds_per_shard,
        opts.raiders,
        opts.window.as_millis()
    );
    let mut results = Vec::new();
    let outcome: anyhow::Result<()> = async {
        for (layout, ranges) in LAYOUTS.iter().enumerate() {
            let mut bots = Bots::start(&sim, &url, ranges)?;
            wait_for_shards(&sim, true).await?;
            // New guilds for each layout, the same number on every shard.
            let mut stages: Vec<Stage> = Vec::new();
            for shard in 0..SHARD_TOTAL {
                for k in 0..opts.guilds_per_shard {
                    let tag = format!("{layout}-{shard}-{k}");
                    let owner = sim.create_user(&format!("owner-{tag}"));
                    let guild = sim.create_guild_on_shard(
                        &format!("Bench {tag}"),
                        owner,
                        shard,
                        SHARD_TOTAL,
                    );
                    stages.push(
                        join_burst::set_up_stage(&sim, &pool, guild, owner, opts.raiders, &tag)
                            .await?,
                    );
                }
            }
            let o = join_burst::burst(&sim, &pool, &stages, opts.window).await?;
            let figures = Figures {
                processes: ranges.len(),
                o,
            };
            figures.print();
            results.push(figures);
            tokio::task::block_in_place(|| bots.stop());
            wait_for_shards(&sim, false).await?;
        }
        Ok(())
    }
    .await;
    pool.close().await;
    join_burst::drop_database(database_url, &name).await;
    outcome?;
    for f in &results {
        println!("{}", f.json(&opts));
    }
    Ok(())
}
