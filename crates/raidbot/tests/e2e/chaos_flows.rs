//! Chaos beyond the raid: a headcount converted into a run, a RealmEye verification, a
//! modmail ticket and a suspension that expires, each with the bot process SIGKILLed at
//! points a seed chooses and started again. After the outbox drains, every acknowledged
//! action is stored once and everything a member or staff would see is there exactly once.
//! `RAIDBOT_CHAOS_SEEDS=1-200` runs more seeds (`scripts/soak`).

use std::time::Duration;

use discord_sim::{ChannelKind, CommandOption, Message, ResponseKind, UserId};

use crate::chaos::{BotProcess, Rng, crash, seeds};
use crate::harness::{WAIT, World, drain_outbox, field, footer};
use crate::moderation::{answer, setup};
use crate::verification::{code_in, player_page, veri_world};

/// The bot as a process, killed after a step with probability 1/2, 0–40 ms after it.
struct Killer {
    rng: Rng,
    bot: Option<BotProcess>,
    kills: usize,
}

impl Killer {
    /// Stops the world's in-process bot and starts `raidbot bot` in its place.
    async fn start(w: &mut World, seed: u64) -> Killer {
        w.stop_bot().await;
        Killer {
            rng: Rng::seeded(seed),
            bot: Some(BotProcess::start(w).await),
            kills: 0,
        }
    }

    async fn maybe_kill(&mut self, w: &World) {
        if self.rng.below(2) == 0 {
            let delay = Duration::from_millis(self.rng.below(40));
            let bot = self.bot.take().expect("a bot process");
            self.bot = Some(crash(w, bot, delay).await);
            self.kills += 1;
        }
    }
}

/// How many DMs the bot sent `user` that contain `text`.
fn dms_with(w: &World, user: UserId, text: &str) -> usize {
    w.sim
        .dms(user)
        .iter()
        .filter(|m| m.author_id != user && m.content.contains(text))
        .count()
}

async fn failed_jobs(w: &World) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM job WHERE state = 'failed'")
        .fetch_one(&w.db.pool)
        .await
        .unwrap()
}

fn text(res: &discord_sim::InteractionResult) -> String {
    res.content.clone().unwrap_or_default()
}

fn headcount_panels(w: &World) -> Vec<Message> {
    w.sim
        .messages(w.raid)
        .into_iter()
        .filter(|m| footer(m).is_some_and(|f| f.starts_with("Headcount #")))
        .collect()
}

#[tokio::test]
async fn a_headcount_converted_into_a_run_survives_kills() {
    let mut kills = 0;
    for seed in seeds() {
        let mut w = World::new(3).await;
        w.configure().await;
        let mut k = Killer::start(&mut w, seed).await;
        let sim = w.sim.clone();
        let res = sim
            .run_command(
                w.guild,
                w.raid,
                w.organizer,
                "headcount",
                vec![CommandOption::string("dungeon1", "shatters")],
            )
            .await;
        assert_eq!(
            res.kind,
            ResponseKind::Reply,
            "seed {seed}: {:?}",
            res.content
        );
        k.maybe_kill(&w).await;
        let panel = sim
            .eventually(WAIT, || headcount_panels(&w).into_iter().next())
            .await
            .expect("the headcount panel");
        for r in w.raiders.clone() {
            let res = sim
                .press(w.guild, r, w.raid, panel.id, "Interested: Shatters")
                .await;
            assert!(
                text(&res).starts_with("You are interested in Shatters"),
                "seed {seed}: {}",
                text(&res)
            );
            k.maybe_kill(&w).await;
        }
        let res = sim
            .press(w.guild, w.raiders[1], w.raid, panel.id, "Shatters Key")
            .await;
        assert!(text(&res).starts_with("You are listed with a Shatters Key"));
        k.maybe_kill(&w).await;
        let res = sim
            .press(w.guild, w.organizer, w.raid, panel.id, "Organizer panel")
            .await;
        let organizer_panel = res.message.clone().expect("the organizer panel");
        let res = sim
            .press(
                w.guild,
                w.organizer,
                w.raid,
                organizer_panel.id,
                "Convert to Shatters run",
            )
            .await;
        assert!(
            text(&res).starts_with("Headcount converted: your Shatters run #"),
            "seed {seed}: {}",
            text(&res)
        );
        k.maybe_kill(&w).await;
        drain_outbox(&w.db.pool).await;

        // Stored once: the headcount converted into the one run, the key carried over.
        let (status, runs, carried): (String, i64, i64) = sqlx::query_as(
            "SELECT (SELECT status FROM headcount),
                    (SELECT count(*) FROM run),
                    (SELECT count(*) FROM run_reaction WHERE reaction = 'shatters_key')",
        )
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
        assert_eq!(
            (status.as_str(), runs, carried),
            ("converted", 1, 1),
            "seed {seed}"
        );
        assert_eq!(failed_jobs(&w).await, 0, "seed {seed}: failed jobs");
        // On Discord: one headcount panel showing the conversion, one run panel, one
        // "run is up" ping, one of each raid_log entry.
        let panels = headcount_panels(&w);
        assert_eq!(panels.len(), 1, "seed {seed}: headcount panels");
        assert!(
            field(&panels[0], "Status").is_some_and(|f| f.1.starts_with("✅ Converted to run #")),
            "seed {seed}: {:?}",
            panels[0].embeds
        );
        let run_panels = sim
            .messages(w.raid)
            .iter()
            .filter(|m| footer(m).is_some_and(|f| f.starts_with("Run #")))
            .count();
        assert_eq!(run_panels, 1, "seed {seed}: run panels");
        let pings = sim
            .messages(w.raid)
            .iter()
            .filter(|m| m.content.contains("run is up"))
            .count();
        assert_eq!(pings, 1, "seed {seed}: run-is-up pings");
        let titles = w.titles(w.raid_log);
        for what in ["created", "converted to run"] {
            let n = titles
                .iter()
                .filter(|t| t.starts_with("Headcount #") && t.contains(what))
                .count();
            assert_eq!(n, 1, "seed {seed}: `{what}` entries in {titles:?}");
        }
        kills += k.kills;
    }
    println!("chaos headcount: {} seeds, {kills} kills", seeds().len());
}

#[tokio::test]
async fn a_realmeye_verification_survives_kills() {
    let mut kills = 0;
    for seed in seeds() {
        let mut v = veri_world((true, false)).await;
        let member = v.newcomer("stormy");
        let mut k = Killer::start(&mut v.w, seed).await;
        v.start(member, "Stormveil").await;
        k.maybe_kill(&v.w).await;
        let code_dm = v.dm(member, "Your code: `RAID-").await;
        let code = code_in(&code_dm.content);
        k.maybe_kill(&v.w).await;
        v.stub.set(
            "Stormveil",
            200,
            player_page("Stormveil", ["hi", &code, ""]),
        );
        let said = v.press_dm(member, &code_dm, "Done").await;
        assert_eq!(
            said, "Found your code: you are verified as **Stormveil**.",
            "seed {seed}"
        );
        k.maybe_kill(&v.w).await;
        drain_outbox(&v.w.db.pool).await;

        v.verified(member, "Stormveil").await;
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM member_ign WHERE user_id = $1")
            .bind(member.0 as i64)
            .fetch_one(&v.w.db.pool)
            .await
            .unwrap();
        assert_eq!(rows, 1, "seed {seed}");
        assert_eq!(failed_jobs(&v.w).await, 0, "seed {seed}: failed jobs");
        assert_eq!(
            dms_with(&v.w, member, "Your code: `RAID-"),
            1,
            "seed {seed}: code DMs"
        );
        assert_eq!(
            dms_with(&v.w, member, "You are verified as **Stormveil**"),
            1,
            "seed {seed}: verified DMs"
        );
        let logged =
            v.w.sim
                .messages(v.veri_log)
                .iter()
                .filter(|m| {
                    m.embeds
                        .iter()
                        .any(|e| e.to_string().contains("Member verified"))
                })
                .count();
        assert_eq!(logged, 1, "seed {seed}: veri_log entries");
        kills += k.kills;
    }
    println!("chaos verification: {} seeds, {kills} kills", seeds().len());
}

#[tokio::test]
async fn a_modmail_ticket_survives_kills() {
    let mut kills = 0;
    for seed in seeds() {
        let mut w = World::new(1).await;
        let m = setup(&w).await;
        let forum = w.sim.create_channel(w.guild, "modmail", ChannelKind::Forum);
        let res = w
            .sim
            .run_command(
                w.guild,
                w.raid,
                w.admin,
                "setchannels",
                vec![CommandOption::channel("modmail", forum)],
            )
            .await;
        assert!(res.is_ok(), "{:?}", res.kind);
        let raider = w.raiders[0];
        let mut k = Killer::start(&mut w, seed).await;

        w.sim
            .send_dm(raider, "Please look at my suspension", vec![]);
        w.dm_containing(raider, "Press **Open ticket**").await;
        k.maybe_kill(&w).await;
        w.sim.send_dm(raider, "yes", vec![]);
        let opened = w.dm_containing(raider, "is open").await.content;
        let start = opened.find("MM-").expect("a ticket id");
        let code = opened[start..start + 7].to_owned();
        k.maybe_kill(&w).await;
        let res = w
            .sim
            .run_command(
                w.guild,
                w.raid,
                m.security,
                "modmailreply",
                vec![
                    CommandOption::string("ticket", &code),
                    CommandOption::string("text", "We will check it today."),
                ],
            )
            .await;
        let said = answer(&res).await;
        assert!(said.contains("Reply sent"), "seed {seed}: {said}");
        k.maybe_kill(&w).await;
        drain_outbox(&w.db.pool).await;

        let (tickets, messages): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM modmail_ticket),
                    (SELECT count(*) FROM modmail_message)",
        )
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
        let bodies: Vec<(String, String)> =
            sqlx::query_as("SELECT direction, body FROM modmail_message ORDER BY 1, 2")
                .fetch_all(&w.db.pool)
                .await
                .unwrap();
        assert_eq!((tickets, messages), (1, 2), "seed {seed}: {bodies:?}");
        assert_eq!(failed_jobs(&w).await, 0, "seed {seed}: failed jobs");
        let threads: Vec<_> = w
            .sim
            .channels(w.guild)
            .into_iter()
            .filter(|c| c.parent_id == Some(forum))
            .collect();
        assert_eq!(threads.len(), 1, "seed {seed}: threads");
        let relayed = w
            .sim
            .messages(threads[0].id)
            .iter()
            .filter(|m| m.content.contains("Please look at my suspension"))
            .count();
        assert_eq!(
            relayed, 1,
            "seed {seed}: the member's message in the thread"
        );
        assert_eq!(dms_with(&w, raider, "is open"), 1, "seed {seed}");
        assert_eq!(
            dms_with(&w, raider, "We will check it today."),
            1,
            "seed {seed}: the reply reached the member once"
        );
        let opened_log = titled_prefix(&w, m.log, &format!("Modmail ticket {code} opened"));
        assert_eq!(opened_log, 1, "seed {seed}");
        kills += k.kills;
    }
    println!("chaos modmail: {} seeds, {kills} kills", seeds().len());
}

fn titled_prefix(w: &World, channel: discord_sim::ChannelId, prefix: &str) -> usize {
    w.titles(channel)
        .iter()
        .filter(|t| t.starts_with(prefix))
        .count()
}

#[tokio::test]
async fn a_suspension_survives_kills_and_expires_once() {
    let mut kills = 0;
    for seed in seeds() {
        let mut w = World::new(1).await;
        let m = setup(&w).await;
        let raider = w.raiders[0];
        let mut k = Killer::start(&mut w, seed).await;
        let res = w
            .sim
            .run_command(
                w.guild,
                w.raid,
                m.security,
                "suspend",
                vec![
                    CommandOption::user("member", raider),
                    CommandOption::string("duration", "1h"),
                    CommandOption::string("reason", "Leeching in runs"),
                ],
            )
            .await;
        let said = answer(&res).await;
        assert!(said.contains("suspended until"), "seed {seed}: {said}");
        k.maybe_kill(&w).await;
        let sim = w.sim.clone();
        sim.eventually(WAIT, || w.has_role(raider, m.suspended).then_some(()))
            .await
            .unwrap_or_else(|| panic!("seed {seed}: the suspended role is given"));
        k.maybe_kill(&w).await;
        // The hour passes.
        sqlx::query("UPDATE punishment SET expires_at = now()")
            .execute(&w.db.pool)
            .await
            .unwrap();
        sqlx::query("UPDATE job SET due_at = now() WHERE kind = 'punishment_expire'")
            .execute(&w.db.pool)
            .await
            .unwrap();
        k.maybe_kill(&w).await;
        sim.eventually(WAIT * 3, || {
            (!w.has_role(raider, m.suspended)).then_some(())
        })
        .await
        .unwrap_or_else(|| panic!("seed {seed}: the suspended role is taken back"));
        k.maybe_kill(&w).await;
        drain_outbox(&w.db.pool).await;

        let status: String = sqlx::query_scalar("SELECT status FROM punishment")
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
        assert_eq!(status, "expired", "seed {seed}");
        assert_eq!(failed_jobs(&w).await, 0, "seed {seed}: failed jobs");
        assert!(!w.has_role(raider, m.suspended), "seed {seed}");
        assert_eq!(
            titled_prefix(&w, m.log, "Suspension —"),
            1,
            "seed {seed}: {:?}",
            w.titles(m.log)
        );
        assert_eq!(
            titled_prefix(&w, m.log, "Suspension expired"),
            1,
            "seed {seed}: {:?}",
            w.titles(m.log)
        );
        let told = w
            .sim
            .dms(raider)
            .iter()
            .filter(|d| {
                d.embeds.first().is_some_and(|e| {
                    e["title"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("You are suspended"))
                })
            })
            .count();
        assert_eq!(
            told, 1,
            "seed {seed}: the member is told of the suspension once"
        );
        kills += k.kills;
    }
    println!("chaos suspension: {} seeds, {kills} kills", seeds().len());
}
