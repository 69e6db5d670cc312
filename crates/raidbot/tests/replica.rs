//! A read replica (`DATABASE_READ_URL`): a private primary and a streaming replica made
//! from it with `pg_basebackup -R`, and `raidbot up` pointed at both. `/leaderboard`,
//! `/stats`, the REST leaderboard and stats and the public leaderboard page read from the
//! replica; awards are written to the primary, and keep working while the replica's replay
//! is paused (a replica lagging as far behind as can be): the boards trail until it
//! resumes, then show the award.
//!
//! The shared test server cannot be copied (its `pg_hba.conf` admits no replication
//! connections, and a test should not edit it), so the test starts both clusters itself
//! under the system's temporary directory, as the `postgres` user when it runs as root,
//! the way `raidbot sandbox` starts its private cluster.
//!
//! A test binary of its own: it starts two PostgreSQL clusters and a raidbot process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "e2e/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use discord_sim::{CommandOption, DiscordSim, InteractionResult, SimConfig};
use domain::Snowflake;
use domain::quota::Metric;

use crate::harness::{Community, Proc, free_port, raidbot};

/// What the replica's connections call themselves, to find them in `pg_stat_activity`.
const READ_APP: &str = "raidbot-replica-reads";

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// The directory of `initdb`, `pg_ctl` and `pg_basebackup` (Debian keeps the real ones
/// beside `postgres`).
fn server_programs() -> PathBuf {
    let has = |d: &Path| d.join("initdb").is_file() && d.join("pg_basebackup").is_file();
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|r| r.filter_map(|e| Some(e.ok()?.path().join("bin"))).collect())
        .unwrap_or_default();
    versions.sort();
    if let Some(d) = versions.into_iter().rev().find(|d| has(d)) {
        return d;
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .find(|d| has(d))
        .expect("PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup) are installed")
}

/// A primary and its streaming replica, stopped and removed when dropped.
struct Pair {
    root: PathBuf,
    bin: PathBuf,
    run_as: Option<&'static str>,
    primary_port: u16,
    replica_port: u16,
}

impl Pair {
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        let mut c = match self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(path);
                c
            }
            None => Command::new(path),
        };
        c.stdin(Stdio::null());
        c
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = self
            .command(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn dir(&self, which: &str) -> String {
        self.root.join(which).display().to_string()
    }

    fn start(&self, which: &str, port: u16) {
        let dir = self.dir(which);
        let log = format!("{dir}.log");
        self.run(
            "pg_ctl",
            &[
                "start",
                "-D",
                &dir,
                "-w",
                "-t",
                "60",
                "-l",
                &log,
                "-o",
                &format!("-p {port}"),
            ],
        );
    }

    /// Stops a cluster (`pg_ctl stop -m fast`: its connections are closed, as when the
    /// replica's machine goes away).
    fn stop(&self, which: &str) {
        let dir = self.dir(which);
        self.run(
            "pg_ctl",
            &["stop", "-D", &dir, "-m", "fast", "-w", "-t", "60"],
        );
    }

    /// initdb a primary that admits replication from loopback (initdb's trust setup
    /// does), start it, copy it with `pg_basebackup -R` and start the copy as its replica.
    fn create() -> Pair {
        let run_as = running_as_root().then_some("postgres");
        let root = std::env::temp_dir().join(format!(
            "raidbot-replica-test-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        std::fs::create_dir_all(&root).unwrap();
        if run_as.is_some() {
            let owned = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&root)
                .status()
                .unwrap();
            assert!(owned.success(), "chown {}", root.display());
        }
        let pair = Pair {
            root,
            bin: server_programs(),
            run_as,
            primary_port: free_port(),
            replica_port: free_port(),
        };
        let primary = pair.dir("primary");
        pair.run(
            "initdb",
            &[
                "-D",
                &primary,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        let conf = format!("{primary}/postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).unwrap();
        text.push_str(
            "\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n\
             synchronous_commit = off\nfsync = off\nmax_connections = 60\n\
             wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n",
        );
        std::fs::write(&conf, text).unwrap();
        pair.start("primary", pair.primary_port);
        let replica = pair.dir("replica");
        pair.run(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &pair.primary_port.to_string(),
                "-U",
                "postgres",
                "-D",
                &replica,
                "-R",
                "-X",
                "stream",
                "--no-sync",
            ],
        );
        pair.start("replica", pair.replica_port);
        pair
    }

    fn primary_url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/raidbot",
            self.primary_port
        )
    }

    fn replica_url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/raidbot?application_name={READ_APP}",
            self.replica_port
        )
    }

    fn admin_url(&self, port: u16) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/postgres")
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        for which in ["replica", "primary"] {
            let dir = self.dir(which);
            let _ = self
                .command("pg_ctl")
                .args(["stop", "-D", &dir, "-m", "immediate", "-w"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

async fn connect(url: &str) -> store::PgPool {
    let started = Instant::now();
    loop {
        match store::db::connect(url, 2).await {
            Ok(p) => return p,
            Err(e) if started.elapsed() > Duration::from_secs(60) => panic!("{url}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Waits until the replica has replayed everything the primary has written so far.
async fn caught_up(primary: &store::PgPool, replica_admin: &store::PgPool) {
    let lsn: String = sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
        .fetch_one(primary)
        .await
        .unwrap();
    let started = Instant::now();
    loop {
        let behind: bool =
            sqlx::query_scalar("SELECT coalesce(pg_last_wal_replay_lsn() < $1::pg_lsn, true)")
                .bind(&lsn)
                .fetch_one(replica_admin)
                .await
                .unwrap();
        if !behind {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the replica never caught up with {lsn}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn text_of(res: &InteractionResult) -> String {
    let mut t = res.content.clone().unwrap_or_default();
    if let Some(m) = &res.message {
        t.push_str(&serde_json::to_string(&m.embeds).unwrap());
    }
    t
}

/// What every read shows of `raider`'s raider points, through each way in.
struct Reads<'a> {
    sim: &'a DiscordSim,
    http: reqwest::Client,
    api: String,
    guild: discord_sim::GuildId,
    channel: discord_sim::ChannelId,
    reader: discord_sim::UserId,
    raider: discord_sim::UserId,
}

impl Reads<'_> {
    /// The raider's points as the REST stats read them, or why not.
    async fn rest_points(&self) -> Result<String, String> {
        let resp = self
            .http
            .get(format!(
                "{}/v1/guilds/{}/members/{}/stats",
                self.api, self.guild.0, self.raider.0
            ))
            .bearer_auth("test-key")
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status();
        let body: serde_json::Value = resp.json().await.map_err(|e| e.to_string())?;
        match body["raider_points"].as_str() {
            Some(p) if status.is_success() => Ok(p.to_owned()),
            _ => Err(format!("{status}: {body}")),
        }
    }

    /// Reads the REST stats until they show `points`: how long that took and how many
    /// reads before failed or showed something else.
    async fn until_shows(&self, points: &str, within: Duration) -> (Duration, usize) {
        let started = Instant::now();
        let mut misses = 0;
        loop {
            match self.rest_points().await {
                Ok(p) if p == points => return (started.elapsed(), misses),
                other => {
                    misses += 1;
                    assert!(
                        started.elapsed() < within,
                        "the stats never showed {points} within {within:?}: {other:?}"
                    );
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Asserts every read shows `points` for the raider.
    async fn all_show(&self, points: &str) {
        let line = format!("<@{}> — **{points}**", self.raider.0);
        let res = self
            .sim
            .run_command(
                self.guild,
                self.channel,
                self.reader,
                "leaderboard",
                vec![
                    CommandOption::string("category", "raider_points"),
                    CommandOption::string("period", "all"),
                ],
            )
            .await;
        assert!(
            text_of(&res).contains(&line),
            "/leaderboard: {}",
            text_of(&res)
        );
        let res = self
            .sim
            .run_command(
                self.guild,
                self.channel,
                self.reader,
                "stats",
                vec![CommandOption::user("member", self.raider)],
            )
            .await;
        assert!(
            text_of(&res).contains(&format!(r#""name":"Raider points","value":"**{points}**"#)),
            "/stats: {}",
            text_of(&res)
        );
        let stats: serde_json::Value = self
            .http
            .get(format!(
                "{}/v1/guilds/{}/members/{}/stats",
                self.api, self.guild.0, self.raider.0
            ))
            .bearer_auth("test-key")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(stats["raider_points"], points, "REST stats: {stats}");
        let board: serde_json::Value = self
            .http
            .get(format!(
                "{}/v1/guilds/{}/leaderboard?period=all",
                self.api, self.guild.0
            ))
            .bearer_auth("test-key")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            board["entries"][0]["value"], points,
            "REST leaderboard: {board}"
        );
        let page = self
            .http
            .get(format!(
                "{}/public/{}/leaderboard?period=all",
                self.api, self.guild.0
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status().as_u16(), 200);
        let html = page.text().await.unwrap();
        assert!(
            html.contains(&format!(">{points}<")),
            "public page shows {points}: {html}"
        );
    }
}

#[tokio::test]
async fn leaderboards_and_stats_read_from_the_replica_and_awards_survive_its_lag() {
    bot::discord::install_crypto();
    let pair = std::sync::Arc::new(tokio::task::spawn_blocking(Pair::create).await.unwrap());
    let primary = store::db::prepare(&pair.primary_url(), 4).await.unwrap();
    let replica_admin = connect(&pair.admin_url(pair.replica_port)).await;
    let in_recovery: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(&replica_admin)
        .await
        .unwrap();
    assert!(in_recovery, "the copy is a standby");
    caught_up(&primary, &replica_admin).await;

    let sim = DiscordSim::start_with(SimConfig {
        heartbeat_interval_ms: 1000,
        ..Default::default()
    })
    .await;
    let owner = sim.create_user("owner");
    let guild = sim.create_guild("Replica Raiders", owner);
    let community = Community::create(&sim, guild, "", 1);
    let (admin, raider, channel) = (community.admin, community.raiders[0], community.raid);

    let port = free_port();
    let api = format!("http://127.0.0.1:{port}");
    let _up = Proc::spawn(
        raidbot(&sim, &pair.primary_url(), &["up"])
            .env("DATABASE_READ_URL", pair.replica_url())
            .env("DISCORD_DEV_GUILD_ID", guild.0.to_string())
            .env("DISCORD_CLIENT_ID", sim.application_id().to_string())
            .env("DISCORD_CLIENT_SECRET", sim.oauth_client_secret())
            .env("PUBLIC_URL", &api)
            .env("API_BIND", format!("127.0.0.1:{port}")),
    );
    sim.eventually(Duration::from_secs(30), || {
        sim.gateway_connected().then_some(())
    })
    .await
    .expect("the bot connects");
    community.configure(&sim).await;
    let g = Snowflake::new(guild.0).unwrap();
    let administrator = service::Actor {
        user_id: None,
        level: domain::Level::ADMINISTRATOR,
        label: "test".into(),
    };
    service::dashboard::set_public_board(
        &primary,
        g,
        &administrator,
        &service::dashboard::PublicBoard {
            enabled: true,
            metrics: vec![Metric::RaiderPoints],
            show_names: false,
        },
    )
    .await
    .unwrap();

    let award = |amount: &'static str, total: &'static str| {
        let sim = sim.clone();
        async move {
            let res = sim
                .run_command(
                    guild,
                    channel,
                    admin,
                    "addpoints",
                    vec![
                        CommandOption::user("member", raider),
                        CommandOption::string("amount", amount),
                        CommandOption::string("reason", "event winner"),
                    ],
                )
                .await;
            let text = res.content.clone().unwrap_or_default();
            assert!(
                text.contains(&format!("now have **{total}** raider points")),
                "{text}"
            );
        }
    };
    let reads = Reads {
        sim: &sim,
        http: reqwest::Client::new(),
        api: api.clone(),
        guild,
        channel,
        reader: raider,
        raider,
    };

    award("5", "5").await;
    caught_up(&primary, &replica_admin).await;
    reads.all_show("5").await;

    // The replica stops replaying: as lagged as a replica can be.
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&replica_admin)
        .await
        .unwrap();
    let started = Instant::now();
    loop {
        let state: String = sqlx::query_scalar("SELECT pg_get_wal_replay_pause_state()")
            .fetch_one(&replica_admin)
            .await
            .unwrap();
        if state == "paused" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{state}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The award is written to the primary and answered with the new total...
    award("7", "12").await;
    let on_primary: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM point_event WHERE guild_id = $1 AND member_id = $2",
    )
    .bind(g.db())
    .bind(raider.0 as i64)
    .fetch_one(&primary)
    .await
    .unwrap();
    assert_eq!(on_primary, 2);
    // ...while every leaderboard and stats read still shows the replica's 5.
    reads.all_show("5").await;
    let reads_on = |pool: &store::PgPool| {
        let pool = pool.clone();
        async move {
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
            )
            .bind(READ_APP)
            .fetch_one(&pool)
            .await
            .unwrap();
            n
        }
    };
    assert!(
        reads_on(&replica_admin).await > 0,
        "reads connect to the replica"
    );
    assert_eq!(reads_on(&primary).await, 0, "and not to the primary");

    // Replay resumes: the boards catch up with the award.
    sqlx::query("SELECT pg_wal_replay_resume()")
        .execute(&replica_admin)
        .await
        .unwrap();
    caught_up(&primary, &replica_admin).await;
    reads.all_show("12").await;

    // The replica dies: the reads fall back to the primary within a few seconds, and a
    // gauge and a log line say so.
    let metric = |value: &'static str| {
        let (http, api) = (reads.http.clone(), api.clone());
        async move {
            let text = http
                .get(format!("{api}/metrics"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(
                text.lines()
                    .any(|l| l == format!("raidbot_read_replica_in_use {value}")),
                "raidbot_read_replica_in_use {value}: {}",
                text.lines()
                    .filter(|l| l.contains("replica"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    };
    metric("1").await;
    // Paused at 12 while the primary has 15: a read showing 15 comes from the primary.
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&replica_admin)
        .await
        .unwrap();
    award("3", "15").await;
    let p = pair.clone();
    tokio::task::spawn_blocking(move || p.stop("replica"))
        .await
        .unwrap();
    let (fell_back, misses) = reads.until_shows("15", Duration::from_secs(10)).await;
    eprintln!(
        "replica stopped: reads on the primary {fell_back:?} later ({misses} reads before failed or showed the replica's 12)"
    );
    assert!(
        fell_back < Duration::from_secs(3),
        "fell back after {fell_back:?}"
    );
    reads.all_show("15").await;
    metric("0").await;

    // The replica returns and catches up; paused again at 15 while the primary has 16, a
    // read showing 15 comes from the replica.
    let restarted = Instant::now();
    let p = pair.clone();
    tokio::task::spawn_blocking(move || p.start("replica", p.replica_port))
        .await
        .unwrap();
    caught_up(&primary, &replica_admin).await;
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&replica_admin)
        .await
        .unwrap();
    award("1", "16").await;
    let (back, _) = reads.until_shows("15", Duration::from_secs(10)).await;
    eprintln!(
        "replica restarted: reads on it again {:?} after pg_ctl start returned ({back:?} after the award)",
        restarted.elapsed()
    );
    reads.all_show("15").await;
    metric("1").await;
    sqlx::query("SELECT pg_wal_replay_resume()")
        .execute(&replica_admin)
        .await
        .unwrap();
    caught_up(&primary, &replica_admin).await;
    reads.all_show("16").await;

    // Nothing was written twice, nothing failed.
    let failed: i64 = sqlx::query_scalar("SELECT count(*) FROM job WHERE state = 'failed'")
        .fetch_one(&primary)
        .await
        .unwrap();
    assert_eq!(failed, 0);
    primary.close().await;
    replica_admin.close().await;
    drop(pair);
}
