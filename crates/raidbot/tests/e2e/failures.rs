//! Discord misbehaving: rate limits, server errors, a panel or run role deleted behind the
//! bot's back, missing permissions. Nothing is lost, nothing is posted twice, and staff are
//! told in bot_log when something cannot be done.

use discord_sim::{CommandOption, Failure, Message};

use crate::harness::{WAIT, World, field, footer};

const EDIT: &str = "PATCH /channels/{channel_id}/messages/{message_id}";
const POST: &str = "POST /channels/{channel_id}/messages";

async fn with_bot_log(w: &World) -> discord_sim::ChannelId {
    w.configure().await;
    let bot_log = w
        .sim
        .create_channel(w.guild, "bot-log", discord_sim::ChannelKind::Text);
    let res = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "setchannels",
            vec![CommandOption::channel("bot_log", bot_log)],
        )
        .await;
    assert!(res.is_ok());
    bot_log
}

/// Posts a Shatters run and returns its public panel.
async fn post_run(w: &World) -> Message {
    w.post_run("shatters", vec![]).await;
    w.panel().await
}

fn bot_log_text(w: &World, channel: discord_sim::ChannelId) -> Vec<String> {
    w.sim
        .messages(channel)
        .iter()
        .filter_map(|m| {
            m.embeds
                .first()
                .and_then(|e| e["description"].as_str())
                .map(str::to_owned)
        })
        .collect()
}

#[tokio::test]
async fn rate_limits_and_server_errors_lose_no_join_and_post_nothing_twice() {
    let w = World::new(4).await;
    w.configure().await;
    // The raid_log entry for the new run meets a 500 first, then succeeds once.
    w.sim.fail_next(POST, 1, Failure::Status(500));
    let panel_or_log = post_run(&w).await;
    let panel = panel_or_log;
    w.sim.fail_next(EDIT, 2, Failure::Status(500));
    for r in &w.raiders[..2] {
        assert!(
            w.sim
                .press(w.guild, *r, w.raid, panel.id, "Join")
                .await
                .is_ok()
        );
    }
    w.panel_where("two raiders despite two failed edits", |m| {
        field(m, "Raiders").map(|f| f.0) == Some("Raiders (2)")
    })
    .await;
    w.sim.fail_next(EDIT, 1, Failure::RateLimited(0.5));
    for r in &w.raiders[2..] {
        assert!(
            w.sim
                .press(w.guild, *r, w.raid, panel.id, "Join")
                .await
                .is_ok()
        );
    }
    w.panel_where("four raiders after a 429", |m| {
        field(m, "Raiders").map(|f| f.0) == Some("Raiders (4)")
    })
    .await;
    // Once everything queued is delivered: exactly one "created" entry in raid_log, and one
    // panel in the raid channel.
    w.settle().await;
    let created = w
        .sim
        .messages(w.raid_log)
        .iter()
        .filter(|m| {
            m.embeds
                .first()
                .and_then(|e| e["title"].as_str())
                .is_some_and(|t| t.ends_with("created"))
        })
        .count();
    assert_eq!(created, 1);
    let panels = w
        .sim
        .messages(w.raid)
        .iter()
        .filter(|m| footer(m).is_some())
        .count();
    assert_eq!(panels, 1);
}

#[tokio::test]
async fn a_deleted_panel_is_posted_again_and_staff_are_told() {
    let w = World::new(2).await;
    let bot_log = with_bot_log(&w).await;
    let panel = post_run(&w).await;
    assert!(
        w.sim
            .press(w.guild, w.raiders[0], w.raid, panel.id, "Join")
            .await
            .is_ok()
    );
    w.panel_where("one raider", |m| {
        field(m, "Raiders").map(|f| f.0) == Some("Raiders (1)")
    })
    .await;
    // Wait out the edit spacing so the next join is a fresh edit.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    w.sim.delete_message_behind_bot(w.raid, panel.id);
    // The join on the deleted panel came in before anyone noticed; a raider who still
    // sees it in their client presses Join on it through the run's custom id.
    let again = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "run",
            vec![CommandOption::string("dungeon", "shatters")],
        )
        .await;
    assert!(
        again
            .content
            .as_deref()
            .unwrap_or_default()
            .contains("already an active run")
    );
    // A change makes the bot edit the panel: it finds it gone and posts it anew.
    let organizer_panel = w
        .sim
        .ephemerals(w.organizer)
        .into_iter()
        .find(|m| {
            m.buttons()
                .iter()
                .any(|b| b.label.as_deref() == Some("Start"))
        })
        .expect("the organizer panel");
    let start = w
        .sim
        .press(w.guild, w.organizer, w.raid, organizer_panel.id, "Start")
        .await;
    assert!(start.is_ok());
    let fresh = w
        .sim
        .eventually(WAIT, || {
            w.sim
                .messages(w.raid)
                .into_iter()
                .find(|m| footer(m).is_some() && m.id != panel.id)
        })
        .await
        .expect("the panel is posted again");
    assert_eq!(field(&fresh, "Raiders").map(|f| f.0), Some("Raiders (1)"));
    let joined = w
        .sim
        .press(w.guild, w.raiders[1], w.raid, fresh.id, "Join")
        .await;
    assert!(
        joined
            .content
            .as_deref()
            .unwrap_or_default()
            .starts_with("You joined")
    );
    w.sim
        .eventually(WAIT, || {
            bot_log_text(&w, bot_log)
                .iter()
                .any(|t| t.contains("was deleted; it has been posted again"))
                .then_some(())
        })
        .await
        .expect("staff are told in bot_log");
}

#[tokio::test]
async fn a_deleted_run_role_is_made_again_and_missing_permissions_are_reported() {
    let w = World::new(2).await;
    let bot_log = with_bot_log(&w).await;
    let panel = post_run(&w).await;
    let sim = &w.sim;
    let role = sim
        .eventually(WAIT, || {
            sim.roles(w.guild)
                .into_iter()
                .find(|r| r.name == "Shatters run #1")
        })
        .await
        .expect("a run role");
    sim.delete_role_behind_bot(w.guild, role.id);
    assert!(
        sim.press(w.guild, w.raiders[0], w.raid, panel.id, "Join")
            .await
            .is_ok()
    );
    let remade = sim
        .eventually(WAIT, || {
            sim.roles(w.guild)
                .into_iter()
                .find(|r| r.name == "Shatters run #1" && r.id != role.id)
        })
        .await
        .expect("a new run role");
    sim.eventually(WAIT, || {
        sim.member(w.guild, w.raiders[0])
            .is_some_and(|m| m.roles.contains(&remade.id))
            .then_some(())
    })
    .await
    .expect("the raider holds the new run role");

    // A member whose top role is above the bot's cannot be given the run role: the join
    // still counts, and staff are told why in bot_log (once).
    let high = sim.create_role(w.guild, "Veteran", 0, 20);
    sim.set_member_roles(w.guild, w.raiders[1], &[w.raider_role, high]);
    let res = sim
        .press(w.guild, w.raiders[1], w.raid, panel.id, "Join")
        .await;
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
    let report = sim
        .eventually(WAIT, || {
            bot_log_text(&w, bot_log)
                .into_iter()
                .find(|t| t.contains(&format!("<@{}>", w.raiders[1].0)))
        })
        .await
        .expect("a bot_log report");
    assert!(report.contains("lacks the permission"), "{report}");
}
