//! Discord misbehaving: rate limits, server errors, a panel or run role deleted behind the
//! bot's back, missing permissions. Nothing is lost, nothing is posted twice, and staff are
//! told in bot_log when something cannot be done.

use discord_sim::{CommandOption, Failure};

use crate::harness::{Posted, WAIT, World, field, footer};

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
    let panel = w.open_run("shatters").await.panel;
    w.sim.fail_next(EDIT, 2, Failure::Status(500));
    w.join(&panel, &w.raiders[..2]).await;
    w.panel_where("two raiders despite two failed edits", |m| {
        field(m, "Raiders").map(|f| f.0) == Some("Raiders (2)")
    })
    .await;
    w.sim.fail_next(EDIT, 1, Failure::RateLimited(0.5));
    w.join(&panel, &w.raiders[2..]).await;
    w.panel_where("four raiders after a 429", |m| {
        field(m, "Raiders").map(|f| f.0) == Some("Raiders (4)")
    })
    .await;
    // Once everything queued is delivered: exactly one "created" entry in raid_log, and one
    // panel in the raid channel.
    w.settle().await;
    let titles = w.titles(w.raid_log);
    let created = titles.iter().filter(|t| t.ends_with("created")).count();
    assert_eq!(created, 1, "{titles:?}");
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
    let Posted {
        organizer: organizer_panel,
        panel,
    } = w.open_run("shatters").await;
    w.join(&panel, &w.raiders[..1]).await;
    w.panel_where("one raider", |m| {
        field(m, "Raiders").map(|f| f.0) == Some("Raiders (1)")
    })
    .await;
    // Everything queued is delivered (the coalesced edit included), so the next change is
    // a fresh edit that meets the deleted message.
    w.settle().await;

    w.sim.delete_message_behind_bot(w.raid, panel.id);
    // Nobody can post a second run while this one is open.
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
    w.press(w.organizer, &organizer_panel, "Start").await;
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
    w.join(&fresh, &w.raiders[1..2]).await;
    w.panel_where("both raiders on the new panel", |m| {
        m.id == fresh.id && field(m, "Raiders").map(|f| f.0) == Some("Raiders (2)")
    })
    .await;
    // Once everything queued is delivered: the panel was posted again once, and staff
    // were told once.
    w.settle().await;
    let panels = w
        .sim
        .messages(w.raid)
        .iter()
        .filter(|m| footer(m).is_some_and(|f| f.starts_with("Run #")))
        .count();
    assert_eq!(panels, 1, "one panel in the raid channel");
    let told = bot_log_text(&w, bot_log)
        .iter()
        .filter(|t| t.contains("was deleted; it has been posted again"))
        .count();
    assert_eq!(told, 1, "{:?}", bot_log_text(&w, bot_log));
}

#[tokio::test]
async fn a_deleted_run_role_is_made_again_and_missing_permissions_are_reported() {
    let w = World::new(2).await;
    let bot_log = with_bot_log(&w).await;
    let panel = w.open_run("shatters").await.panel;
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
    w.join(&panel, &w.raiders[..1]).await;
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
    w.join(&panel, &w.raiders[1..2]).await;
    w.panel_where("both raiders", |m| {
        field(m, "Raiders").map(|f| f.0) == Some("Raiders (2)")
    })
    .await;
    // Once everything queued is delivered: one report naming the member, saying why.
    w.settle().await;
    let reports: Vec<String> = bot_log_text(&w, bot_log)
        .into_iter()
        .filter(|t| t.contains(&format!("<@{}>", w.raiders[1].0)))
        .collect();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(reports[0].contains("lacks the permission"), "{reports:?}");
    let roles = sim
        .roles(w.guild)
        .into_iter()
        .filter(|r| r.name == "Shatters run #1")
        .count();
    assert_eq!(roles, 1, "the run role was made again once");
}
