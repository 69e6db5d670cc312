//! Scale-out: two `raidbot bot` processes split four gateway shards, with a `raidbot api`
//! process, on one database. Both bots start at once and take turns to identify through
//! PostgreSQL; a guild on every shard runs a run; one bot is killed with SIGKILL mid-run
//! and restarted, and its shards resume; everything users see happens exactly once.
//!
//! A test binary of its own: its three processes would otherwise run beside the e2e
//! scenarios and slow their clicks past Discord's 3 s on a 2-core machine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "e2e/harness.rs"]
mod harness;

use std::time::{Duration, Instant};

use discord_sim::{
    ChannelId, ChannelKind, CommandOption, DiscordSim, Failure, LoginKind, MessageId, ResponseKind,
    RoleId, SimConfig, UserId,
};
use store::testing::TestDb;

use crate::harness::{
    Community, Proc, drain_outbox, field, footer, free_port, has_role, raidbot, titles,
};

const SHARDS: u32 = 4;

/// The simulated Discord with four recommended shards.
async fn sharded_sim() -> DiscordSim {
    bot::discord::install_crypto();
    DiscordSim::start_with(SimConfig {
        heartbeat_interval_ms: 1000,
        recommended_shards: SHARDS,
        ..Default::default()
    })
    .await
}

/// `raidbot bot` running `shards` of the four.
fn bot_process(sim: &DiscordSim, db_url: &str, shards: &str) -> Proc {
    Proc::spawn(
        raidbot(sim, db_url, &["bot"])
            .env("SHARD_TOTAL", "auto")
            .env("SHARDS", shards),
    )
}

/// Two `raidbot api` processes and their ports: each shows every shard's state, whichever
/// process runs it.
fn api_processes(sim: &DiscordSim, db_url: &str) -> ([u16; 2], Vec<Proc>) {
    let ports = [free_port(), free_port()];
    let procs = ports
        .iter()
        .map(|port| {
            Proc::spawn(raidbot(sim, db_url, &["api"]).env("API_BIND", format!("127.0.0.1:{port}")))
        })
        .collect();
    (ports, procs)
}

/// Community `n` (0: the only one) in a guild of its own on `shard`, with `raiders`
/// raiders.
fn community_on(sim: &DiscordSim, shard: u32, n: u32, raiders: usize) -> Community {
    let tag = if n == 0 {
        shard.to_string()
    } else {
        format!("{shard}_{n}")
    };
    let owner = sim.create_user(&format!("owner{tag}"));
    let guild = sim.create_guild_on_shard(&format!("Shard {tag} Raiders"), owner, shard, SHARDS);
    Community::create(sim, guild, &tag, raiders)
}

/// What the tests here do with a community's run.
trait Runs {
    async fn run_with_joins(&self, sim: &DiscordSim) -> MessageId;
    async fn start_and_end(&self, sim: &DiscordSim, organizer_panel: MessageId);
}

impl Runs for Community {
    /// Posts a run and has both raiders join; returns the organizer panel.
    async fn run_with_joins(&self, sim: &DiscordSim) -> MessageId {
        let res = sim
            .run_command(
                self.guild,
                self.raid,
                self.organizer,
                "run",
                vec![CommandOption::string("dungeon", "shatters")],
            )
            .await;
        assert_eq!(res.kind, ResponseKind::Reply, "{:?}", res.content);
        let organizer_panel = res.message.expect("organizer panel").id;
        let panel = sim
            .eventually(Duration::from_secs(10), || {
                sim.messages(self.raid)
                    .into_iter()
                    .find(|m| footer(m).is_some_and(|f| f.starts_with("Run #")))
            })
            .await
            .expect("a run panel");
        for raider in &self.raiders {
            let res = sim
                .press(self.guild, *raider, self.raid, panel.id, "Join")
                .await;
            assert!(
                res.content
                    .as_deref()
                    .unwrap_or_default()
                    .starts_with("You joined the Shatters run"),
                "{:?}",
                res.content
            );
        }
        organizer_panel
    }

    async fn start_and_end(&self, sim: &DiscordSim, organizer_panel: MessageId) {
        let res = sim
            .press(
                self.guild,
                self.organizer,
                self.raid,
                organizer_panel,
                "Start",
            )
            .await;
        assert_eq!(
            res.content.as_deref(),
            Some("The run is live. Raiders can still join.")
        );
        let res = sim
            .press(
                self.guild,
                self.organizer,
                self.raid,
                organizer_panel,
                "End run",
            )
            .await;
        assert_eq!(res.content.as_deref(), Some("Run ended with 2 raiders."));
    }
}

async fn all_shards_connected(sim: &DiscordSim, within: Duration) {
    let want: Vec<[u32; 2]> = (0..SHARDS).map(|i| [i, SHARDS]).collect();
    sim.eventually(within, || (sim.connected_shards() == want).then_some(()))
        .await
        .unwrap_or_else(|| panic!("connected: {:?}", sim.connected_shards()));
}

/// The tests of this binary run one at a time: each runs several processes.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The per-shard lines of `/ping` and the per-shard gauges of an API process's `/metrics`.
async fn shard_metrics(port: u16) -> Vec<String> {
    let text = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .expect("the API process answers /metrics")
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with("raidbot_gateway_shard_"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn two_bot_processes_split_four_shards_and_everything_happens_once() {
    let _one = ONE_AT_A_TIME.lock().await;
    let sim = sharded_sim().await;
    let db = TestDb::new().await;
    let communities: Vec<Community> = (0..SHARDS).map(|s| community_on(&sim, s, 0, 2)).collect();

    // Both bot processes start at once, and an API process beside them.
    let mut first = bot_process(&sim, &db.url, "0-1");
    let _second = bot_process(&sim, &db.url, "2-3");
    // Two API processes: each shows every shard's state, whichever process runs it.
    let (ports, _apis) = api_processes(&sim, &db.url);
    let port = ports[0];
    // Four identifies in one bucket (max_concurrency 1), 5 s apart.
    all_shards_connected(&sim, Duration::from_secs(60)).await;
    let identifies: Vec<_> = sim
        .gateway_logins()
        .into_iter()
        .filter(|l| l.kind == LoginKind::Identify)
        .collect();
    assert!(
        identifies.iter().all(|l| l.accepted),
        "no IDENTIFY was rate limited: {identifies:?}"
    );
    assert_eq!(identifies.len(), SHARDS as usize);
    for pair in identifies.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(
            gap >= Duration::from_secs(5),
            "identifies {gap:?} apart: {identifies:?}"
        );
    }

    let health = reqwest::get(format!("http://127.0.0.1:{port}/v1/health"))
        .await
        .expect("the API process answers");
    assert_eq!(health.status().as_u16(), 200);

    let mut panels = Vec::new();
    for c in &communities {
        c.configure(&sim).await;
        panels.push(c.run_with_joins(&sim).await);
    }

    // SIGKILL the process of shards 0 and 1 mid-run; the other keeps serving its guilds.
    first = {
        // With no job in flight: a job a dead process claimed waits out its lease (a
        // minute), and the chaos tests cover kills mid-job.
        drain_outbox(&db.pool).await;
        first.kill();
        for (c, panel) in communities.iter().zip(&panels).skip(2) {
            c.start_and_end(&sim, *panel).await;
        }
        let resumed = sim.resume_count();
        let restarted = bot_process(&sim, &db.url, "0-1");
        sim.eventually(Duration::from_secs(30), || {
            (sim.resume_count() >= resumed + 2).then_some(())
        })
        .await
        .expect("both shards resume");
        all_shards_connected(&sim, Duration::from_secs(10)).await;
        restarted
    };
    for (c, panel) in communities.iter().zip(&panels).take(2) {
        c.start_and_end(&sim, *panel).await;
    }
    drain_outbox(&db.pool).await;

    // The restarted process resumed; nothing identified again.
    let logins = sim.gateway_logins();
    let identifies = logins
        .iter()
        .filter(|l| l.kind == LoginKind::Identify)
        .count();
    assert_eq!(identifies, SHARDS as usize, "{logins:?}");
    let mut resumed: Vec<[u32; 2]> = logins
        .iter()
        .filter(|l| l.kind == LoginKind::Resume && l.accepted)
        .map(|l| l.shard)
        .collect();
    resumed.sort_unstable();
    assert_eq!(resumed, vec![[0, SHARDS], [1, SHARDS]]);

    // Stored once per guild.
    let failed: i64 = sqlx::query_scalar("SELECT count(*) FROM job WHERE state = 'failed'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(failed, 0, "no job gave up");
    let mut awards = Vec::new();
    for c in &communities {
        let g = c.guild.get() as i64;
        let (runs, joined): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM run WHERE guild_id = $1 AND status = 'ended'),
                    (SELECT count(*) FROM run_participant WHERE guild_id = $1 AND state = 'joined')",
        )
        .bind(g)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!((runs, joined), (1, 2), "guild {}", c.guild);
        let points: Vec<(String, i64)> = sqlx::query_as(
            "SELECT kind, count(*) FROM point_event WHERE guild_id = $1 GROUP BY kind ORDER BY kind",
        )
        .bind(g)
        .fetch_all(&db.pool)
        .await
        .unwrap();
        awards.push(points);

        // On Discord: one panel showing the end, one raid-log line per step.
        let run_panels: Vec<_> = sim
            .messages(c.raid)
            .into_iter()
            .filter(|m| footer(m).is_some_and(|f| f.starts_with("Run #")))
            .collect();
        assert_eq!(run_panels.len(), 1, "guild {}", c.guild);
        assert!(
            field(&run_panels[0], "Status").is_some_and(|f| f.1.starts_with("⚫ Ended")),
            "{:?}",
            run_panels[0].embeds
        );
        let titles: Vec<String> = sim
            .messages(c.raid_log)
            .iter()
            .filter_map(|m| m.embeds.first()?.get("title")?.as_str().map(str::to_owned))
            .collect();
        for what in ["created", "started", "ended"] {
            let n = titles.iter().filter(|t| t.ends_with(what)).count();
            assert_eq!(n, 1, "guild {}: raid-log `{what}` in {titles:?}", c.guild);
        }
    }
    assert!(!awards[0].is_empty(), "the runs awarded points");

    // Per-shard state, read by any process: /ping (answered by whichever process runs the
    // guild's shard) and both API processes' /metrics.
    let c = &communities[3];
    let res = sim
        .run_command(c.guild, c.raid, c.raiders[0], "ping", vec![])
        .await;
    let text = res.content.unwrap_or_default();
    println!("/ping:\n{text}");
    for shard in 0..SHARDS {
        let resumes = if shard < 2 { "1 resume" } else { "0 resumes" };
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("Shard {shard}/{SHARDS}: ")))
            .unwrap_or_else(|| panic!("/ping shows shard {shard}: {text}"));
        assert!(
            line.contains(": connected, ")
                && line.contains("1 identify, ")
                && line.ends_with(resumes),
            "{line}"
        );
    }
    for port in ports {
        // Every shard has sent a heartbeat (one a second here) before the gauges are read.
        let started = Instant::now();
        let gauges = loop {
            let gauges = shard_metrics(port).await;
            let latencies = gauges
                .iter()
                .filter(|l| l.contains("latency_seconds"))
                .count();
            if latencies == SHARDS as usize || started.elapsed() > Duration::from_secs(10) {
                break gauges;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        println!("/metrics of the API on {port}:\n{}", gauges.join("\n"));
        for shard in 0..SHARDS {
            let resumes = if shard < 2 { 1 } else { 0 };
            for (name, value) in [("connected", 1), ("identifies", 1), ("resumes", resumes)] {
                let want = format!("raidbot_gateway_shard_{name}{{shard=\"{shard}\"}} {value}");
                assert!(gauges.contains(&want), "{want} in {gauges:?}");
            }
        }
    }
    assert!(
        awards.iter().all(|a| *a == awards[0]),
        "every guild's run awarded the same, once: {awards:?}"
    );
    drop(first);
}

/// Discord's limits hold across processes: two bot processes share the bot's token, and
/// sixteen guilds (four per shard) post runs, take six joins each and end them all at once,
/// far more than 50 requests a second between them. Every request is paced through
/// PostgreSQL, so the simulator, which answers 429 to any request over the global limit
/// (50/s), a route's bucket or a channel's message writes (5 per 5 s), records none.
#[tokio::test]
async fn two_bot_processes_stay_within_discords_rate_limits_together() {
    let _one = ONE_AT_A_TIME.lock().await;
    let sim = sharded_sim().await;
    let db = TestDb::new().await;
    let communities: Vec<Community> = (0..SHARDS)
        .flat_map(|s| (1..=4).map(move |n| (s, n)))
        .map(|(s, n)| community_on(&sim, s, n, 6))
        .collect();
    let _first = bot_process(&sim, &db.url, "0-1");
    let _second = bot_process(&sim, &db.url, "2-3");
    all_shards_connected(&sim, Duration::from_secs(60)).await;
    for c in &communities {
        c.configure(&sim).await;
    }
    drain_outbox(&db.pool).await;
    let before = sim.calls().len();
    let started = Instant::now();

    // Every guild posts a run at once.
    let posted = futures_util::future::join_all(communities.iter().map(|c| {
        sim.run_command(
            c.guild,
            c.raid,
            c.organizer,
            "run",
            vec![CommandOption::string("dungeon", "shatters")],
        )
    }))
    .await;
    let mut panels = Vec::new();
    for (c, res) in communities.iter().zip(posted) {
        assert_eq!(res.kind, ResponseKind::Reply, "{:?}", res.content);
        let organizer_panel = res.message.expect("organizer panel").id;
        let panel = sim
            .eventually(Duration::from_secs(30), || {
                sim.messages(c.raid)
                    .into_iter()
                    .find(|m| footer(m).is_some_and(|f| f.starts_with("Run #")))
            })
            .await
            .expect("a run panel");
        panels.push((organizer_panel, panel.id));
    }
    // The raiders join in waves, one raider of every guild at once (96 clicks at once
    // would test the machine's two cores against Discord's 3 s, not the limits): a run
    // role each, panels refreshed.
    for i in 0..6 {
        let joins = futures_util::future::join_all(
            communities
                .iter()
                .zip(&panels)
                .map(|(c, (_, panel))| sim.press(c.guild, c.raiders[i], c.raid, *panel, "Join")),
        )
        .await;
        for res in joins {
            assert!(
                res.content
                    .as_deref()
                    .unwrap_or_default()
                    .starts_with("You joined the Shatters run"),
                "{:?}",
                res.content
            );
        }
    }
    // Every raider's run role is given before the runs end (a role sync finding its run
    // ended gives nothing: the role goes with the run).
    drain_outbox(&db.pool).await;
    // Every run starts and ends at once.
    for button in ["Start", "End run"] {
        let pressed = futures_util::future::join_all(communities.iter().zip(&panels).map(
            |(c, (organizer_panel, _))| {
                sim.press(c.guild, c.organizer, c.raid, *organizer_panel, button)
            },
        ))
        .await;
        for res in pressed {
            assert!(res.is_ok(), "{button}: {:?}", res.content);
        }
    }
    drain_outbox(&db.pool).await;

    // The bot's own requests (interaction answers are outside the global limit).
    let calls: Vec<_> = sim
        .calls()
        .into_iter()
        .skip(before)
        .filter(|c| !c.route.contains("/interactions/") && !c.route.contains("/webhooks/"))
        .collect();
    let busiest = calls
        .iter()
        .map(|a| {
            calls
                .iter()
                .filter(|b| {
                    b.at.duration_since(a.at)
                        .is_ok_and(|d| d < Duration::from_secs(1))
                })
                .count()
        })
        .max()
        .unwrap_or(0);
    let role_adds: Vec<&str> = calls
        .iter()
        .filter(|c| c.method == "PUT" && c.route.contains("/roles/"))
        .map(|c| c.path.as_str())
        .collect();
    let distinct: std::collections::BTreeSet<&str> = role_adds.iter().copied().collect();
    println!(
        "{} requests in {:.1} s, busiest second {busiest}, {} role adds, 429s: {:?}",
        calls.len(),
        started.elapsed().as_secs_f64(),
        role_adds.len(),
        sim.rate_limit_violations()
    );
    assert!(role_adds.len() >= 96, "every raider got the run role");
    assert_eq!(distinct.len(), role_adds.len(), "each run role given once");
    assert!(
        calls.len() > 200,
        "the load was heavy: {} requests",
        calls.len()
    );
    assert!(busiest <= 50, "the busiest second held {busiest} requests");
    assert_eq!(sim.rate_limit_violations(), Vec::<String>::new());
    let failed: i64 = sqlx::query_scalar("SELECT count(*) FROM job WHERE state = 'failed'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(failed, 0, "no job gave up");
}

/// Moderation and modmail in one community: a Security member, the suspended role, a
/// punishment log and a modmail forum.
struct Moderation {
    security: UserId,
    suspended: RoleId,
    log: ChannelId,
    forum: ChannelId,
}

impl Moderation {
    async fn configure(c: &Community, sim: &DiscordSim, n: u32) -> Moderation {
        let security_role = sim.create_role(c.guild, "Security", 0, 3);
        let suspended = sim.create_role(c.guild, "Suspended", 0, 1);
        let log = sim.create_channel(c.guild, "punishment-log", ChannelKind::Text);
        let forum = sim.create_channel(c.guild, "modmail", ChannelKind::Forum);
        let security = sim.create_user(&format!("security{n}"));
        sim.add_member(c.guild, security, &[security_role]);
        for (name, options) in [
            (
                "setroles",
                vec![
                    CommandOption::role("security", security_role),
                    CommandOption::role("suspended", suspended),
                ],
            ),
            (
                "setchannels",
                vec![
                    CommandOption::channel("punishment_log", log),
                    CommandOption::channel("modmail", forum),
                ],
            ),
        ] {
            let res = sim
                .run_command(c.guild, c.raid, c.admin, name, options)
                .await;
            assert!(res.is_ok(), "{name} in {}: {:?}", c.guild, res.kind);
        }
        Moderation {
            security,
            suspended,
            log,
            forum,
        }
    }
}

/// Timers and DMs across processes: in a guild on every shard (two bot processes, two API
/// processes), a run's time runs out and the auto-end timer ends it, a suspension expires,
/// and a member opens a modmail ticket by DM (DMs reach shard 0, in the first process,
/// while the guild of the last community is served by the second). Once the outbox has
/// drained, each happened exactly once.
#[tokio::test]
async fn timers_suspensions_and_modmail_happen_once_across_processes() {
    let _one = ONE_AT_A_TIME.lock().await;
    let sim = sharded_sim().await;
    let db = TestDb::new().await;
    let communities: Vec<Community> = (0..SHARDS).map(|s| community_on(&sim, s, 0, 2)).collect();
    let _first = bot_process(&sim, &db.url, "0-1");
    let _second = bot_process(&sim, &db.url, "2-3");
    let (ports, _apis) = api_processes(&sim, &db.url);
    all_shards_connected(&sim, Duration::from_secs(60)).await;
    let mut mods = Vec::new();
    for (n, c) in communities.iter().enumerate() {
        c.configure(&sim).await;
        mods.push(Moderation::configure(c, &sim, n as u32).await);
    }

    // A live run in every guild; then its time runs out.
    for c in &communities {
        let organizer_panel = c.run_with_joins(&sim).await;
        let res = sim
            .press(c.guild, c.organizer, c.raid, organizer_panel, "Start")
            .await;
        assert_eq!(
            res.content.as_deref(),
            Some("The run is live. Raiders can still join.")
        );
    }
    // Every guild's first raider is suspended for an hour.
    for (c, m) in communities.iter().zip(&mods) {
        let res = sim
            .run_command(
                c.guild,
                c.raid,
                m.security,
                "suspend",
                vec![
                    CommandOption::user("member", c.raiders[0]),
                    CommandOption::string("duration", "1h"),
                    CommandOption::string("reason", "Leeching in runs"),
                ],
            )
            .await;
        assert!(res.is_ok(), "suspend in {}: {:?}", c.guild, res.kind);
    }
    for (c, m) in communities.iter().zip(&mods) {
        sim.eventually(Duration::from_secs(20), || {
            has_role(&sim, c.guild, c.raiders[0], m.suspended).then_some(())
        })
        .await
        .unwrap_or_else(|| panic!("the suspended role is given in {}", c.guild));
    }
    // The hour passes, and the runs' time runs out.
    for sql in [
        "UPDATE run SET auto_end_at = now() - interval '1 minute'",
        "UPDATE job SET due_at = now() - interval '1 minute' WHERE kind = 'run_auto_end'",
        "UPDATE punishment SET expires_at = now()",
        "UPDATE job SET due_at = now() WHERE kind = 'punishment_expire'",
    ] {
        sqlx::query(sql).execute(&db.pool).await.unwrap();
    }
    // A member of the last guild (shard 3, the second process) writes to staff by DM,
    // which reaches shard 0 (the first process).
    let c = &communities[3];
    let member = c.raiders[1];
    sim.send_dm(member, "Please look at my suspension", vec![]);
    let dm = |text: &'static str| {
        let sim = &sim;
        async move {
            sim.eventually(Duration::from_secs(20), || {
                sim.dms(member)
                    .into_iter()
                    .find(|m| m.author_id != member && m.content.contains(text))
            })
            .await
            .unwrap_or_else(|| panic!("no DM containing {text:?}: {:?}", sim.dms(member)))
        }
    };
    dm("Press **Open ticket**").await;
    sim.send_dm(member, "yes", vec![]);
    let opened = dm("is open").await.content;
    let start = opened.find("MM-").expect("a ticket id");
    let code = opened[start..start + 7].to_owned();

    for (c, m) in communities.iter().zip(&mods) {
        sim.eventually(Duration::from_secs(30), || {
            (!has_role(&sim, c.guild, c.raiders[0], m.suspended)).then_some(())
        })
        .await
        .unwrap_or_else(|| panic!("the suspended role is taken back in {}", c.guild));
    }
    drain_outbox(&db.pool).await;

    let failed: i64 = sqlx::query_scalar("SELECT count(*) FROM job WHERE state = 'failed'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(failed, 0, "no job gave up");
    for (c, m) in communities.iter().zip(&mods) {
        let g = c.guild.get() as i64;
        let (status, reason): (String, Option<String>) =
            sqlx::query_as("SELECT status, close_reason FROM run WHERE guild_id = $1")
                .bind(g)
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert_eq!(
            (status.as_str(), reason.as_deref()),
            ("ended", Some("auto")),
            "guild {}",
            c.guild
        );
        let raid_log = titles(&sim, c.raid_log);
        let auto = raid_log
            .iter()
            .filter(|t| t.ends_with("auto-ended"))
            .count();
        assert_eq!(auto, 1, "guild {}: {raid_log:?}", c.guild);
        let panel = sim
            .messages(c.raid)
            .into_iter()
            .filter(|m| footer(m).is_some_and(|f| f.starts_with("Run #")))
            .collect::<Vec<_>>();
        assert_eq!(panel.len(), 1, "guild {}", c.guild);
        assert!(
            field(&panel[0], "Status").is_some_and(|f| f.1.contains("Auto-ended")),
            "{:?}",
            panel[0].embeds
        );

        let punishment: String =
            sqlx::query_scalar("SELECT status FROM punishment WHERE guild_id = $1")
                .bind(g)
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert_eq!(punishment, "expired", "guild {}", c.guild);
        let log = titles(&sim, m.log);
        for prefix in ["Suspension —", "Suspension expired"] {
            let n = log.iter().filter(|t| t.starts_with(prefix)).count();
            assert_eq!(n, 1, "guild {}: `{prefix}` in {log:?}", c.guild);
        }
    }

    // The ticket: one, in the last guild, its first message relayed once into one thread.
    let tickets: Vec<(i64,)> = sqlx::query_as("SELECT guild_id FROM modmail_ticket")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(tickets, vec![(c.guild.get() as i64,)]);
    let forum = mods[3].forum;
    let threads: Vec<_> = sim
        .channels(c.guild)
        .into_iter()
        .filter(|ch| ch.parent_id == Some(forum))
        .collect();
    assert_eq!(threads.len(), 1, "one ticket thread");
    let relayed = sim
        .messages(threads[0].id)
        .iter()
        .filter(|m| m.content.contains("Please look at my suspension"))
        .count();
    assert_eq!(relayed, 1, "the member's message in the thread once");
    let open_dms = sim
        .dms(member)
        .iter()
        .filter(|m| m.author_id != member && m.content.contains("is open"))
        .count();
    assert_eq!(open_dms, 1, "the member was told once that {code} is open");
    for port in ports {
        let health = reqwest::get(format!("http://127.0.0.1:{port}/v1/health"))
            .await
            .expect("the API process answers");
        assert_eq!(health.status().as_u16(), 200);
    }
}

/// A job in flight when its process is SIGKILLed runs once on the other process after the
/// claim's lease runs out: bot process A claims the job posting a run's panel, Discord
/// takes the message but its answer is held, and A is killed before it hears back. Process
/// B, running beside it, leaves the job alone while A's lease holds, then runs it again:
/// the panel carries the same job-derived nonce with `enforce_nonce`, so Discord answers
/// with the message it has, and the channel shows one panel; the job is done once.
#[tokio::test]
async fn a_job_in_flight_when_its_process_dies_runs_once_on_the_other() {
    let _one = ONE_AT_A_TIME.lock().await;
    let sim = sharded_sim().await;
    let db = TestDb::new().await;
    let c = community_on(&sim, 0, 0, 2);
    let a = bot_process(&sim, &db.url, "0-1");
    sim.eventually(Duration::from_secs(60), || {
        (sim.connected_shards() == vec![[0, SHARDS], [1, SHARDS]]).then_some(())
    })
    .await
    .expect("A connects shards 0 and 1");
    c.configure(&sim).await;
    drain_outbox(&db.pool).await;

    // The next two messages Discord takes have their answers held far past any client's
    // patience: the run's panel and its raid_log entry, whose jobs are queued together and
    // may be delivered in either order.
    sim.fail_next(
        "POST /channels/{channel_id}/messages",
        2,
        Failure::AnswerLate(Duration::from_secs(600)),
    );
    let res = sim
        .run_command(
            c.guild,
            c.raid,
            c.organizer,
            "run",
            vec![CommandOption::string("dungeon", "shatters")],
        )
        .await;
    assert_eq!(res.kind, ResponseKind::Reply, "{:?}", res.content);
    let panels = || {
        sim.messages(c.raid)
            .into_iter()
            .filter(|m| footer(m).is_some_and(|f| f.starts_with("Run #")))
            .count()
    };
    sim.eventually(Duration::from_secs(30), || (panels() == 1).then_some(()))
        .await
        .expect("Discord took the panel");
    // A holds the job, waiting for the answer.
    let (job_id, attempts, lease_ends): (i64, i32, chrono::DateTime<chrono::Utc>) = sqlx::query_as(
        "SELECT job_id, attempts, locked_until FROM job
              WHERE state = 'running' AND kind = 'run_panel_post'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("A's job is running");
    assert_eq!(attempts, 1);

    // B starts beside it; then A dies with the request in flight (well before A's HTTP
    // client would give up on the answer, after 10 s).
    let _b = bot_process(&sim, &db.url, "2-3");
    a.kill();
    let killed = Instant::now();

    // B runs the job once A's lease has run out.
    let started = Instant::now();
    loop {
        let (state, attempts): (String, i32) =
            sqlx::query_as("SELECT state, attempts FROM job WHERE job_id = $1")
                .bind(job_id)
                .fetch_one(&db.pool)
                .await
                .unwrap();
        if state == "done" {
            assert_eq!(attempts, 2, "run again once");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the job is {state} after {attempts} attempts"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drain_outbox(&db.pool).await;
    let posts: Vec<_> = sim
        .calls()
        .into_iter()
        .filter(|call| {
            call.route == "POST /channels/{channel_id}/messages"
                && call.path.contains(&c.raid.0.to_string())
                && call
                    .body
                    .as_ref()
                    .is_some_and(|b| b["enforce_nonce"] == true)
        })
        .collect();
    // The panel's posts: A's (taken, answer held) and B's, with A's nonce; the run's
    // ping that B posted after it has its own.
    let nonce = |c: &discord_sim::RecordedCall| c.body.as_ref().map(|b| b["nonce"].clone());
    let panel_posts: Vec<_> = posts
        .iter()
        .filter(|c| nonce(c) == nonce(&posts[0]))
        .collect();
    let second_try = panel_posts.last().expect("B posted").at;
    let lease_ends = std::time::SystemTime::from(lease_ends);
    println!(
        "job {job_id}: A killed; B ran it {:.1} s later, {:.1} s after A's lease ended; {} panel posts with the same nonce, {} panel shown",
        killed.elapsed().as_secs_f64(),
        second_try
            .duration_since(lease_ends)
            .unwrap_or_default()
            .as_secs_f64(),
        panel_posts.len(),
        panels()
    );
    assert!(second_try >= lease_ends, "B waited for A's lease");
    assert_eq!(panel_posts.len(), 2, "A's post and B's");
    assert_eq!(panels(), 1, "one panel in the channel");
    let done: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM job WHERE kind = 'run_panel_post' AND state = 'done'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(done, 1, "the job's row is done once");
}
