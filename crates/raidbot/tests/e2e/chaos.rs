//! Chaos: a run from `/run` to its end while the bot process is killed (`SIGKILL`) and
//! started again at points chosen by a seed. After the outbox drains, every acknowledged
//! action is stored once, the panel shows the database's state and no job was given up;
//! messages a killed job posted and its retry posted again are counted (a known gap).

use std::time::Duration;

use discord_sim::{CommandOption, MessageId, ResponseKind};

use crate::harness::{Proc, World, drain_outbox, field, footer, raidbot};

/// Seeds CI runs; `RAIDBOT_CHAOS_SEEDS=1-200` runs more (a soak).
pub(crate) fn seeds() -> Vec<u64> {
    match std::env::var("RAIDBOT_CHAOS_SEEDS") {
        Ok(range) => {
            let (a, b) = range.split_once('-').unwrap_or((&range, &range));
            (a.trim().parse().unwrap()..=b.trim().parse().unwrap()).collect()
        }
        Err(_) => vec![1, 2, 3],
    }
}

/// A small deterministic generator (xorshift): the seed alone decides the kill points.
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator from a seed (any value; 0 is mapped to a non-zero state).
    pub(crate) fn seeded(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `raidbot bot` as a process against the world's simulated Discord and database.
pub(crate) struct BotProcess(Proc);

impl BotProcess {
    pub(crate) async fn start(w: &World) -> BotProcess {
        let identified = w.sim.identify_count() + w.sim.resume_count();
        let process = Proc::spawn(
            raidbot(&w.sim, &w.db.url, &["bot"])
                .env("DISCORD_DEV_GUILD_ID", w.guild.0.to_string())
                .env(
                    "REALMEYE_BASE_URL",
                    w.realmeye_base_url
                        .as_deref()
                        .unwrap_or("http://127.0.0.1:9"),
                ),
        );
        let sim = &w.sim;
        sim.eventually(Duration::from_secs(20), || {
            (sim.gateway_connected() && sim.identify_count() + sim.resume_count() > identified)
                .then_some(())
        })
        .await
        .expect("the bot process connects to the gateway");
        // Let it finish READY and guild create before members act.
        tokio::time::sleep(Duration::from_millis(300)).await;
        BotProcess(process)
    }

    /// SIGKILL: no shutdown, no cleanup; claimed jobs keep their lease.
    fn kill(self) {
        self.0.kill();
    }
}

/// Kills the bot `delay` after the last action and starts it again. A job the dead process
/// had claimed is claimed again when its lease runs out; the test ends the lease at once
/// instead of waiting its minute.
pub(crate) async fn crash(w: &World, bot: BotProcess, delay: Duration) -> BotProcess {
    tokio::time::sleep(delay).await;
    bot.kill();
    sqlx::query("UPDATE job SET locked_until = now() WHERE state = 'running'")
        .execute(&w.db.pool)
        .await
        .unwrap();
    BotProcess::start(w).await
}

/// Waits until no job is due or running, twice in a row a little apart.
/// What CI holds to: state exactly once, every acknowledged action stored, the panel
/// showing the database's state, no job given up, every log entry posted. Messages posted
/// twice are counted and printed; the test below holds them to zero.
#[tokio::test]
async fn a_run_survives_the_bot_being_killed_at_seeded_points() {
    let (mut kills, mut duplicates) = (0, 0);
    for seed in seeds() {
        let report = chaos_run(seed).await;
        kills += report.kills;
        duplicates += report.duplicate_posts;
    }
    println!(
        "chaos: {} seeds, {kills} kills, {duplicates} messages posted twice",
        seeds().len()
    );
}

/// A job killed after Discord accepted its message but before the job was marked done is
/// delivered again when its lease runs out; the message carries a nonce derived from the
/// job with `enforce_nonce`, so Discord answers the retry with the message it already
/// has. Without it, seed 6 posts a raid_log entry twice.
#[tokio::test]
async fn no_message_is_posted_twice_when_the_bot_is_killed() {
    for seed in 1..=10 {
        let report = chaos_run(seed).await;
        assert_eq!(report.duplicate_posts, 0, "seed {seed}");
    }
}

struct Report {
    kills: usize,
    duplicate_posts: usize,
}

async fn chaos_run(seed: u64) -> Report {
    let mut rng = Rng::seeded(seed);
    let mut w = World::new(4).await;
    w.configure().await;
    w.stop_bot().await;
    let mut bot = BotProcess::start(&w).await;
    let mut kills = 0;
    // After each step, a kill with probability 1/2, 0–40 ms later (mid-job, often).
    macro_rules! maybe_crash {
        () => {
            if rng.below(2) == 0 {
                let delay = Duration::from_millis(rng.below(40));
                bot = crash(&w, bot, delay).await;
                kills += 1;
            }
        };
    }

    let res = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "run",
            vec![
                CommandOption::string("dungeon", "shatters"),
                CommandOption::string("location", "USEast Left"),
            ],
        )
        .await;
    assert_eq!(
        res.kind,
        ResponseKind::Reply,
        "seed {seed}: {:?}",
        res.content
    );
    let organizer_panel: MessageId = res.message.clone().expect("organizer panel").id;
    maybe_crash!();

    let panel = w.panel().await;
    for raider in w.raiders.clone() {
        let res = w.sim.press(w.guild, raider, w.raid, panel.id, "Join").await;
        assert!(
            res.content
                .as_deref()
                .unwrap_or_default()
                .starts_with("You joined the Shatters run"),
            "seed {seed}: {:?}",
            res.content
        );
        maybe_crash!();
    }
    let res = w
        .sim
        .press(w.guild, w.organizer, w.raid, organizer_panel, "Start")
        .await;
    assert_eq!(
        res.content.as_deref(),
        Some("The run is live. Raiders can still join."),
        "seed {seed}"
    );
    maybe_crash!();
    let res = w
        .sim
        .press(w.guild, w.organizer, w.raid, organizer_panel, "End run")
        .await;
    assert_eq!(
        res.content.as_deref(),
        Some("Run ended with 4 raiders."),
        "seed {seed}"
    );
    maybe_crash!();

    drain_outbox(&w.db.pool).await;

    // Stored once: the run, ended, with the four acknowledged joins.
    let (runs, joined): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM run WHERE status = 'ended'),
                (SELECT count(*) FROM run_participant WHERE state = 'joined')",
    )
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!((runs, joined), (1, 4), "seed {seed}");
    let failed: i64 = sqlx::query_scalar("SELECT count(*) FROM job WHERE state = 'failed'")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(failed, 0, "seed {seed}: failed jobs");

    // On Discord: the run's panel shows the database's end; each raid_log entry is there.
    let panels: Vec<_> = w
        .sim
        .messages(w.raid)
        .into_iter()
        .filter(|m| footer(m).is_some_and(|f| f.starts_with("Run #")))
        .collect();
    let stored: Option<i64> = sqlx::query_scalar("SELECT panel_message_id FROM run")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    let panel = panels
        .iter()
        .find(|m| Some(m.id.0 as i64) == stored)
        .unwrap_or_else(|| panic!("seed {seed}: the stored panel is on Discord"));
    assert!(
        field(panel, "Status").is_some_and(|f| f.1.starts_with("⚫ Ended")),
        "seed {seed}: {:?}",
        panel.embeds
    );
    assert_eq!(
        field(panel, "Final roster").map(|f| f.0),
        Some("Final roster (4)"),
        "seed {seed}"
    );
    let titles: Vec<String> = w
        .sim
        .messages(w.raid_log)
        .iter()
        .filter_map(|m| m.embeds.first()?.get("title")?.as_str().map(str::to_owned))
        .collect();
    let mut duplicate_posts = panels.len() - 1;
    for what in ["created", "started", "ended"] {
        let n = titles.iter().filter(|t| t.ends_with(what)).count();
        assert!(
            n >= 1,
            "seed {seed}: no raid_log `{what}` entry in {titles:?}"
        );
        duplicate_posts += n - 1;
    }
    println!("chaos seed {seed}: {kills} kills, {duplicate_posts} messages posted twice");
    drop(bot);
    Report {
        kills,
        duplicate_posts,
    }
}
