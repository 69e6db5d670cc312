//! Raid runs: an organizer posts a run, raiders join through the panel.

use discord_sim::{CommandOption, ResponseKind};

use crate::harness::{World, field, footer};

async fn start_run(w: &World) -> discord_sim::InteractionResult {
    let res = w
        .post_run(
            "shatters",
            vec![CommandOption::string("location", "USEast Left")],
        )
        .await;
    assert!(res.ephemeral);
    res
}

#[tokio::test]
async fn organizer_runs_a_raid_from_panel_to_end() {
    let w = World::new(3).await;
    w.configure().await;
    let sim = &w.sim;

    // Autocomplete offers dungeons by name, at most 25.
    let choices = sim
        .autocomplete(
            w.guild,
            w.raid,
            w.organizer,
            "run",
            vec![CommandOption::string("dungeon", "shat").focused()],
        )
        .await
        .unwrap();
    assert!(!choices.is_empty() && choices.len() <= 25);
    assert_eq!(choices[0].name, "Shatters");
    let all = sim
        .autocomplete(
            w.guild,
            w.raid,
            w.organizer,
            "run",
            vec![CommandOption::string("dungeon", "").focused()],
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 25);

    // A raider cannot start runs.
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.raiders[0],
            "run",
            vec![CommandOption::string("dungeon", "shatters")],
        )
        .await;
    assert_eq!(
        res.content.as_deref(),
        Some("You need the Organizer role (or higher) to do this.")
    );
    // An unknown dungeon is refused with a reason.
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "run",
            vec![CommandOption::string("dungeon", "atlantis")],
        )
        .await;
    assert!(res.ephemeral);
    assert!(
        res.content
            .as_deref()
            .unwrap_or_default()
            .contains("`atlantis` is not a dungeon")
    );

    let organizer_panel = start_run(&w).await;
    assert!(
        organizer_panel
            .content
            .as_deref()
            .unwrap_or_default()
            .contains(&format!("<#{}>", w.raid.0))
    );
    let panel = w.panel().await;
    assert_eq!(panel.embeds[0]["title"], "Shatters run");
    // The location stays private until the run is live.
    assert_eq!(field(&panel, "Location"), None);
    assert!(!panel.ephemeral);

    // A member who is not verified is told why they cannot join.
    let stranger = sim.create_user("stranger");
    sim.add_member(w.guild, stranger, &[]);
    let res = sim.press(w.guild, stranger, w.raid, panel.id, "Join").await;
    assert!(res.ephemeral);
    assert_eq!(
        res.content.as_deref(),
        Some("You need the Verified Raider role (or higher) to do this.")
    );

    // Three raiders join, one picks a class, one leaves.
    for r in &w.raiders {
        let res = sim.press(w.guild, *r, w.raid, panel.id, "Join").await;
        assert!(res.ephemeral);
        assert!(
            res.content
                .as_deref()
                .unwrap_or_default()
                .starts_with("You joined the Shatters run")
        );
    }
    let again = sim
        .press(w.guild, w.raiders[0], w.raid, panel.id, "Join")
        .await;
    assert_eq!(
        again.content.as_deref(),
        Some("You are already in the Shatters run.")
    );
    let class_id = format!(
        "run:class:{}",
        footer(&panel).unwrap().trim_start_matches("Run #")
    );
    let res = sim
        .select(
            w.guild,
            w.raiders[1],
            w.raid,
            panel.id,
            &class_id,
            &["Warrior"],
        )
        .await;
    assert_eq!(
        res.content.as_deref(),
        Some("You joined the Shatters run as Warrior.")
    );
    let res = sim
        .press(w.guild, w.raiders[2], w.raid, panel.id, "Leave")
        .await;
    assert_eq!(res.content.as_deref(), Some("You left the run."));

    let panel = w
        .panel_where("two raiders", |m| {
            field(m, "Raiders").map(|f| f.0) == Some("Raiders (2)")
        })
        .await;
    let (_, roster) = field(&panel, "Raiders").unwrap();
    assert!(roster.contains(&format!("<@{}>", w.raiders[0].0)));
    assert!(roster.contains(&format!("<@{}> — Warrior", w.raiders[1].0)));
    assert!(!roster.contains(&format!("<@{}>", w.raiders[2].0)));
    assert_eq!(
        field(&panel, "By class").unwrap().1,
        "No class ×1 · Warrior ×1"
    );

    // A raider pressing the organizer's button is refused, privately.
    let res = sim
        .press(w.guild, w.raiders[0], w.raid, panel.id, "Organizer panel")
        .await;
    assert!(res.ephemeral);
    assert!(
        res.content
            .as_deref()
            .unwrap_or_default()
            .starts_with("Only this run's organizer")
    );

    // The organizer starts and ends the run from the ephemeral organizer panel.
    let org_msg = organizer_panel
        .message
        .clone()
        .expect("organizer panel message");
    let res = sim
        .press(w.guild, w.organizer, w.raid, org_msg.id, "Start")
        .await;
    assert_eq!(res.kind, ResponseKind::UpdateMessage);
    assert_eq!(
        res.content.as_deref(),
        Some("The run is live. Raiders can still join.")
    );
    w.panel_where("the location once live", |m| {
        field(m, "Location").map(|f| f.1) == Some("USEast Left")
    })
    .await;
    let res = sim
        .press(w.guild, w.organizer, w.raid, org_msg.id, "End run")
        .await;
    assert_eq!(res.content.as_deref(), Some("Run ended with 2 raiders."));

    // The panel shows the end and loses its buttons; the database holds the end time.
    let panel = w
        .panel_where("the end", |m| {
            field(m, "Status").is_some_and(|f| f.1.starts_with("⚫ Ended"))
        })
        .await;
    assert!(panel.buttons().is_empty());
    assert_eq!(
        field(&panel, "Final roster").map(|f| f.0),
        Some("Final roster (2)")
    );
    let (status, ended, reason): (
        String,
        Option<chrono::DateTime<chrono::Utc>>,
        Option<String>,
    ) = sqlx::query_as("SELECT status, ended_at, close_reason FROM run")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "ended");
    assert!(ended.is_some());
    assert_eq!(reason.as_deref(), Some("organizer"));

    // Once everything queued is delivered, raid_log has one created, one started and one
    // ended entry.
    w.settle().await;
    let log: Vec<String> = sim
        .messages(w.raid_log)
        .iter()
        .filter_map(|m| m.embeds.first()?.get("title")?.as_str().map(str::to_owned))
        .collect();
    for what in ["created", "started", "ended"] {
        let n = log.iter().filter(|t| t.ends_with(what)).count();
        assert_eq!(n, 1, "{n} '{what}' entries in raid_log: {log:?}");
    }

    // Every command and button press is in the command log.
    let logged: i64 = sqlx::query_scalar("SELECT count(*) FROM command_log WHERE command = '/run'")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(logged, 3);
}

#[tokio::test]
async fn join_on_an_old_panel_works_after_the_bot_restarts() {
    let mut w = World::new(2).await;
    w.configure().await;
    start_run(&w).await;
    let panel = w.panel().await;
    let res = w
        .sim
        .press(w.guild, w.raiders[0], w.raid, panel.id, "Join")
        .await;
    assert!(res.is_ok());

    w.restart_bot().await;

    let res = w
        .sim
        .press(w.guild, w.raiders[1], w.raid, panel.id, "Join")
        .await;
    assert_eq!(res.kind, ResponseKind::Reply);
    assert!(
        res.content
            .as_deref()
            .unwrap_or_default()
            .starts_with("You joined")
    );
    w.panel_where("both raiders", |m| {
        field(m, "Raiders").map(|f| f.0) == Some("Raiders (2)")
    })
    .await;
}

#[tokio::test]
async fn fifty_joins_in_a_second_become_a_few_panel_edits_showing_all_fifty() {
    let w = World::new(50).await;
    w.configure().await;
    start_run(&w).await;
    let panel = w.panel().await;
    let edits_before = edits_of(&w, panel.id.0);
    let presses = w
        .raiders
        .iter()
        .map(|r| w.sim.press(w.guild, *r, w.raid, panel.id, "Join"));
    let results = futures_util::future::join_all(presses).await;
    assert!(
        results.iter().all(|r| r.kind == ResponseKind::Reply),
        "every click answered in time"
    );
    w.panel_where("fifty raiders", |m| {
        field(m, "Raiders").map(|f| f.0) == Some("Raiders (50)")
    })
    .await;
    // Once the trailing coalesced edit has landed, count.
    w.settle().await;
    let edits = edits_of(&w, panel.id.0) - edits_before;
    assert!((1..=4).contains(&edits), "{edits} panel edits for 50 joins");
    let last = w.sim.message(w.raid, panel.id).unwrap();
    assert_eq!(field(&last, "Raiders").unwrap().0, "Raiders (50)");
}

fn edits_of(w: &World, message_id: u64) -> usize {
    w.sim
        .calls()
        .iter()
        .filter(|c| c.method == "PATCH" && c.path.ends_with(&format!("/messages/{message_id}")))
        .count()
}
