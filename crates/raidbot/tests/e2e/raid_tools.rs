//! The run panel's deeper tools: run roles and pings, the bench, key reactions with early
//! location, removals, key pops and Oryx 3 stages.

use discord_sim::{CommandOption, InteractionResult, Message, ResponseKind};
use domain::catalog::catalog;

use crate::harness::{Posted, WAIT, World, field, organizer_panel};

/// Picks `values` in the only select menu of an ephemeral picker message.
async fn pick(w: &World, picker: &InteractionResult, values: &[&str]) -> InteractionResult {
    let msg = picker.message.clone().expect("a picker message");
    let custom_id = msg
        .all_components()
        .into_iter()
        .find_map(|c| c["custom_id"].as_str().map(str::to_owned))
        .expect("a select menu");
    w.sim
        .select(w.guild, w.organizer, w.raid, msg.id, &custom_id, values)
        .await
}

fn key_name(dungeon: &str) -> String {
    let d = catalog().dungeon(dungeon).unwrap();
    catalog().reaction_name(&d.keys[0].reaction)
}

#[tokio::test]
async fn the_run_role_follows_the_roster_and_goes_with_the_ping_at_close() {
    let w = World::new(1).await;
    w.configure().await;
    let sim = &w.sim;
    // Members who opted in to Shatters pings are mentioned when a Shatters run goes up.
    let shatters_ping = sim.create_role(w.guild, "Shatters", 0, 1);
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "configrolepings",
            vec![
                CommandOption::string("dungeon", "shatters"),
                CommandOption::role("role", shatters_ping),
            ],
        )
        .await;
    assert!(res.is_ok(), "{:?}", res.content);
    let Posted {
        organizer: org,
        panel,
    } = w.open_run("shatters").await;
    let role = sim
        .eventually(WAIT, || {
            sim.roles(w.guild)
                .into_iter()
                .find(|r| r.name == "Shatters run #1")
        })
        .await
        .expect("a run role");
    let ping = sim
        .eventually(WAIT, || {
            sim.messages(w.raid)
                .into_iter()
                .find(|m| m.content.contains(&format!("<@&{}>", role.id.0)))
        })
        .await
        .expect("a ping mentioning the run role");
    assert!(ping.content.contains("**Shatters** run by"));
    assert!(
        ping.content.contains(&format!("<@&{}>", shatters_ping.0)),
        "{}",
        ping.content
    );

    let raider = w.raiders[0];
    w.press(raider, &panel, "Join").await;
    let has_role = || {
        sim.member(w.guild, raider)
            .is_some_and(|m| m.roles.contains(&role.id))
    };
    sim.eventually(WAIT, || has_role().then_some(()))
        .await
        .expect("Join gives the run role");
    w.press(raider, &panel, "Leave").await;
    sim.eventually(WAIT, || (!has_role()).then_some(()))
        .await
        .expect("Leave takes it");
    w.press(raider, &panel, "Join").await;
    sim.eventually(WAIT, || has_role().then_some(()))
        .await
        .expect("joining again gives it back");

    w.press(w.organizer, &org, "Start").await;
    w.press(w.organizer, &org, "End run").await;
    sim.eventually(WAIT, || {
        (!sim.roles(w.guild).iter().any(|r| r.id == role.id)).then_some(())
    })
    .await
    .expect("the run role is deleted when the run closes");
    sim.eventually(WAIT, || {
        sim.message(w.raid, ping.id).is_none().then_some(())
    })
    .await
    .expect("the ping is deleted when the run closes");
    // Community roles are untouched.
    assert!(sim.roles(w.guild).iter().any(|r| r.id == w.raider_role));
}

#[tokio::test]
async fn a_full_run_offers_the_bench_and_moves_raiders_up_in_order() {
    let w = World::new(3).await;
    w.configure().await;
    w.post_run("shatters", vec![CommandOption::int("cap", 1)])
        .await;
    let panel = w.panel().await;
    let [a, b, c] = [w.raiders[0], w.raiders[1], w.raiders[2]];
    w.press(a, &panel, "Join").await;
    let full = w.press(b, &panel, "Join").await;
    assert_eq!(
        full.content.as_deref(),
        Some("This run is full (1 raiders). You can wait on the bench for a place.")
    );
    let offer = full.message.clone().expect("the bench offer");
    let benched = w
        .sim
        .press(w.guild, b, w.raid, offer.id, "Wait on the bench")
        .await;
    assert!(
        benched
            .content
            .as_deref()
            .unwrap_or_default()
            .contains("number 1 in line"),
        "{:?}",
        benched.content
    );
    let benched = w.press(c, &panel, "Bench").await;
    assert!(
        benched
            .content
            .as_deref()
            .unwrap_or_default()
            .contains("number 2 in line"),
        "{:?}",
        benched.content
    );
    w.panel_where("one raider and two on the bench", |m| {
        field(m, "Raiders").map(|f| f.0) == Some("Raiders (1/1)")
            && field(m, "Bench").map(|f| f.0) == Some("Bench (2)")
    })
    .await;

    w.press(a, &panel, "Leave").await;
    w.dm_containing(b, "you moved from the bench into the run")
        .await;
    let shown = w
        .panel_where("the first benched raider moved up", |m| {
            field(m, "Raiders").is_some_and(|f| f.1.contains(&format!("<@{}>", b.0)))
        })
        .await;
    assert_eq!(field(&shown, "Bench").map(|f| f.0), Some("Bench (1)"));
    // Once everything queued is delivered, the second in line still has no DM.
    w.settle().await;
    assert!(w.sim.dms(c).is_empty(), "the second in line waits");
}

#[tokio::test]
async fn key_reactors_confirm_and_the_first_ones_get_the_location_by_dm() {
    let w = World::new(3).await;
    w.configure().await;
    let early_loc = w
        .sim
        .create_channel(w.guild, "early-loc", discord_sim::ChannelKind::Text);
    w.sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "setchannels",
            vec![CommandOption::channel("early_loc", early_loc)],
        )
        .await;
    let Posted {
        organizer: org,
        panel,
    } = w.open_run("shatters").await;
    let key = key_name("shatters"); // two early places
    let max_early = catalog().dungeon("shatters").unwrap().keys[0].max_early_location as usize;
    assert_eq!(max_early, 2);

    let ask = w.press(w.raiders[0], &panel, &key).await;
    assert!(
        ask.content
            .as_deref()
            .unwrap_or_default()
            .contains(&format!("Do you have a **{key}**"))
    );
    let confirm = ask.message.clone().unwrap();
    let yes = w
        .sim
        .press(
            w.guild,
            w.raiders[0],
            w.raid,
            confirm.id,
            &format!("Yes, I have a {key}"),
        )
        .await;
    assert_eq!(yes.kind, ResponseKind::UpdateMessage);
    assert!(
        yes.content
            .as_deref()
            .unwrap_or_default()
            .contains("You will get the location by DM")
    );
    for r in &w.raiders[1..] {
        let ask = w.press(*r, &panel, &key).await;
        let yes = w
            .sim
            .press(
                w.guild,
                *r,
                w.raid,
                ask.message.unwrap().id,
                &format!("Yes, I have a {key}"),
            )
            .await;
        assert!(yes.is_ok());
    }
    w.panel_where("three key holders", |m| {
        field(m, "Keys").map(|f| f.1) == Some(&format!("{key} ×3")[..])
    })
    .await;

    // The organizer sets the location: the first two key holders get it by DM.
    let form = w.press(w.organizer, &org, "Set location & party").await;
    assert_eq!(form.kind, ResponseKind::Modal);
    let done = w
        .sim
        .submit_modal(
            w.organizer,
            &form,
            &[("location", "USWest Right Bazaar"), ("party", "Lunar")],
        )
        .await;
    assert!(
        done.content
            .as_deref()
            .unwrap_or_default()
            .starts_with("Location set"),
        "{:?}",
        done.content
    );
    for r in &w.raiders[..2] {
        let dm = w.dm_containing(*r, "USWest Right Bazaar").await;
        assert!(dm.content.contains("Party: **Lunar**"));
    }
    w.settle().await;
    assert!(
        w.sim.dms(w.raiders[2]).is_empty(),
        "only the first {max_early} get it early"
    );
    let notice = w
        .sim
        .eventually(WAIT, || w.sim.messages(early_loc).into_iter().next())
        .await
        .expect("a notice in early_loc");
    assert!(
        notice.embeds[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("Location set")
    );

    // Pressing again withdraws.
    let again = w.press(w.raiders[2], &panel, &key).await;
    assert_eq!(
        again.content,
        Some(format!("Your {key} reaction is withdrawn."))
    );
}

#[tokio::test]
async fn the_organizer_removes_a_fake_key_reactor_who_cannot_rejoin_until_allowed() {
    let w = World::new(1).await;
    w.configure().await;
    let Posted {
        organizer: org,
        panel,
    } = w.open_run("shatters").await;
    let cheat = w.raiders[0];
    w.press(cheat, &panel, "Join").await;

    // A raider cannot use the organizer's tools.
    let refused = w
        .sim
        .press(w.guild, cheat, w.raid, panel.id, "Organizer panel")
        .await;
    assert!(
        refused
            .content
            .as_deref()
            .unwrap_or_default()
            .starts_with("Only this run's organizer")
    );

    let picker = w.press(w.organizer, &org, "Remove raider").await;
    let form = pick(&w, &picker, &[&cheat.0.to_string()]).await;
    assert_eq!(form.kind, ResponseKind::Modal);
    let done = w
        .sim
        .submit_modal(w.organizer, &form, &[("reason", "fake key reaction")])
        .await;
    assert!(
        done.content
            .as_deref()
            .unwrap_or_default()
            .contains("is removed from the run")
    );
    w.dm_containing(cheat, "Reason: fake key reaction").await;
    w.panel_where("nobody", |m| {
        field(m, "Raiders").map(|f| f.0) == Some("Raiders (0)")
    })
    .await;

    let back = w.sim.press(w.guild, cheat, w.raid, panel.id, "Join").await;
    assert!(
        back.content
            .as_deref()
            .unwrap_or_default()
            .contains("removed you from this run (fake key reaction)")
    );

    let picker = w.press(w.organizer, &org, "Allow rejoin").await;
    let ok = pick(&w, &picker, &[&cheat.0.to_string()]).await;
    assert!(
        ok.content
            .as_deref()
            .unwrap_or_default()
            .contains("may join the run again")
    );
    let back = w.sim.press(w.guild, cheat, w.raid, panel.id, "Join").await;
    assert!(
        back.content
            .as_deref()
            .unwrap_or_default()
            .starts_with("You joined")
    );
}

#[tokio::test]
async fn key_pops_move_the_chain_and_oryx_3_stages_go_in_order() {
    let w = World::new(2).await;
    w.configure().await;
    let Posted {
        organizer: org,
        panel,
    } = w.open_run("oryx_3").await;
    w.join(&panel, &w.raiders).await;
    w.press(w.organizer, &org, "Start").await;

    let form = w.press(w.organizer, &org, "Chain amount").await;
    let set = w
        .sim
        .submit_modal(w.organizer, &form, &[("value", "2")])
        .await;
    assert_eq!(set.content.as_deref(), Some("Chain set to 2 keys."));
    let bad = w
        .sim
        .submit_modal(w.organizer, &form, &[("value", "lots")])
        .await;
    assert_eq!(
        bad.content.as_deref(),
        Some("The chain amount must be a whole number, not `lots`.")
    );

    let picker = w.press(w.organizer, &org, "Key popped").await;
    let form = pick(&w, &picker, &[&w.raiders[0].0.to_string()]).await;
    let popped = w
        .sim
        .submit_modal(w.organizer, &form, &[("window", "")])
        .await;
    assert!(
        popped
            .content
            .as_deref()
            .unwrap_or_default()
            .contains("Chain 1/2"),
        "{:?}",
        popped.content
    );
    w.panel_where("the chain", |m| {
        field(m, "Keys popped").map(|f| f.1) == Some("Chain 1/2")
    })
    .await;
    let key_ping = w
        .sim
        .eventually(WAIT, || {
            w.sim
                .messages(w.raid)
                .into_iter()
                .find(|m| m.content.contains("popped a"))
        })
        .await
        .expect("a key pop announcement");
    assert!(key_ping.content.contains(&format!("<@{}>", w.raiders[0].0)));
    let snapshot: i64 = sqlx::query_scalar("SELECT count(*) FROM key_pop_raider")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(snapshot, 2, "the raiders present are recorded with the pop");

    // Stages go in order.
    let early = w.press(w.organizer, &org, "Third room").await;
    assert_eq!(
        early.content.as_deref(),
        Some("Oryx 3 stages go in order: realm closed, then miniboss, then third room.")
    );
    w.press(w.organizer, &org, "Realm closed").await;
    let first_stage_ping = w
        .sim
        .eventually(WAIT, || {
            w.sim
                .messages(w.raid)
                .into_iter()
                .find(|m| m.content.contains("Oryx 3: Realm closed"))
        })
        .await
        .expect("realm closed announced");
    let picker = w.press(w.organizer, &org, "Miniboss").await;
    pick(&w, &picker, &["Chief Beisa"]).await;
    w.panel_where("the miniboss", |m| {
        field(m, "Oryx 3").map(|f| f.1) == Some("Miniboss: Chief Beisa")
    })
    .await;
    w.sim
        .eventually(WAIT, || {
            w.sim
                .message(w.raid, first_stage_ping.id)
                .is_none()
                .then_some(())
        })
        .await
        .expect("each stage's ping replaces the previous one");

    // The third room comes last: the panel says so and its ping replaces the miniboss's.
    let miniboss_ping = w
        .sim
        .eventually(WAIT, || {
            w.sim
                .messages(w.raid)
                .into_iter()
                .find(|m| m.content.contains("Oryx 3: Miniboss: Chief Beisa"))
        })
        .await
        .expect("the miniboss announced");
    let third = w.press(w.organizer, &org, "Third room").await;
    assert_eq!(third.content.as_deref(), Some("Announced."));
    w.panel_where("the third room", |m| {
        field(m, "Oryx 3").map(|f| f.1) == Some("Third room reached")
    })
    .await;
    w.sim
        .eventually(WAIT, || {
            w.sim
                .messages(w.raid)
                .into_iter()
                .find(|m| m.content.contains("Oryx 3: Third room reached"))
        })
        .await
        .expect("the third room announced");
    w.sim
        .eventually(WAIT, || {
            w.sim
                .message(w.raid, miniboss_ping.id)
                .is_none()
                .then_some(())
        })
        .await
        .expect("the third room's ping replaces the miniboss's");
    // Going back a stage is refused.
    let back = w.press(w.organizer, &org, "Realm closed").await;
    assert!(
        back.content
            .as_deref()
            .unwrap_or_default()
            .contains("go in order"),
        "{:?}",
        back.content
    );
}

#[tokio::test]
async fn key_logging_survives_a_restart_between_its_steps() {
    let mut w = World::new(1).await;
    w.configure().await;
    let Posted {
        organizer: org,
        panel,
    } = w.open_run("shatters").await;
    w.press(w.raiders[0], &panel, "Join").await;
    w.press(w.organizer, &org, "Start").await;
    let picker = w.press(w.organizer, &org, "Key popped").await;
    w.restart_bot().await;

    let form = pick(&w, &picker, &[&w.raiders[0].0.to_string()]).await;
    w.restart_bot().await;
    let popped = w
        .sim
        .submit_modal(w.organizer, &form, &[("window", "25")])
        .await;
    assert!(
        popped
            .content
            .as_deref()
            .unwrap_or_default()
            .starts_with("Key pop logged; raiders have 25 seconds"),
        "{:?}",
        popped.content
    );
    w.panel_where("one key popped", |m| {
        field(m, "Keys popped").map(|f| f.1) == Some("1 popped")
    })
    .await;
}

#[tokio::test]
async fn a_run_whose_time_ran_out_while_the_bot_was_down_ends_at_start_up_once() {
    let mut w = World::new(1).await;
    w.configure().await;
    let Posted {
        organizer: org,
        panel,
    } = w.open_run("shatters").await;
    w.press(w.raiders[0], &panel, "Join").await;
    w.press(w.organizer, &org, "Start").await;

    w.stop_bot().await;
    // The run's time runs out while no bot is connected.
    sqlx::query("UPDATE run SET auto_end_at = now() - interval '1 minute'")
        .execute(&w.db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE job SET due_at = now() - interval '1 minute' WHERE kind = 'run_auto_end'")
        .execute(&w.db.pool)
        .await
        .unwrap();
    w.start_bot().await;

    w.panel_where("auto-ended", |m| {
        field(m, "Status").is_some_and(|f| f.1.contains("Auto-ended"))
    })
    .await;
    let (status, reason): (String, Option<String>) =
        sqlx::query_as("SELECT status, close_reason FROM run")
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(
        (status.as_str(), reason.as_deref()),
        ("ended", Some("auto"))
    );
    // Once everything queued is delivered: one "auto-ended" entry in raid_log.
    w.settle().await;
    let titles = w.titles(w.raid_log);
    let ended = titles.iter().filter(|t| t.ends_with("auto-ended")).count();
    assert_eq!(ended, 1, "{titles:?}");
}

#[tokio::test]
async fn the_organizer_attaches_one_completion_screenshot_with_taken() {
    let w = World::new(1).await;
    w.configure().await;
    let shot = |name: &str| discord_sim::Attachment::new(name, 120_000);
    let none = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "taken",
            vec![CommandOption::attachment("screenshot", shot("o3.png"))],
        )
        .await;
    assert_eq!(
        none.content.as_deref(),
        Some("You have no active run to attach a screenshot to.")
    );
    let org = organizer_panel(&w.post_run("oryx_3", vec![]).await);
    w.press(w.organizer, &org, "Start").await;
    w.panel_where("the screenshot hint", |m| {
        field(m, "Screenshot").is_some_and(|f| f.1.contains("/taken"))
    })
    .await;
    let text = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "taken",
            vec![CommandOption::attachment("screenshot", shot("notes.txt"))],
        )
        .await;
    assert_eq!(
        text.content.as_deref(),
        Some("Attach the screenshot as an image (PNG or JPEG).")
    );
    let ok = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "taken",
            vec![CommandOption::attachment("screenshot", shot("o3.png"))],
        )
        .await;
    assert!(ok.ephemeral);
    assert_eq!(
        ok.content.as_deref(),
        Some("Screenshot attached to your Oryx 3 run #1.")
    );
    let again = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "taken",
            vec![CommandOption::attachment("screenshot", shot("o3b.png"))],
        )
        .await;
    assert_eq!(
        again.content.as_deref(),
        Some("This run already has its screenshot.")
    );
    w.panel_where("the screenshot", |m| {
        field(m, "Screenshot").map(|f| f.1) == Some("Submitted")
    })
    .await;
    let url: Option<String> = sqlx::query_scalar("SELECT screenshot_url FROM run")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert!(url.unwrap().ends_with("/o3.png"));
}

#[tokio::test]
async fn the_organizer_chooses_the_key_window_names_a_custom_key_and_the_portal_closes() {
    let w = World::new(1).await;
    w.configure().await;
    let sim = &w.sim;
    let raider = w.raiders[0];
    let Posted {
        organizer: org,
        panel,
    } = w.open_run("shatters").await;
    w.press(raider, &panel, "Join").await;
    w.press(w.organizer, &org, "Start").await;

    // Key popped: who popped it, then how long raiders may still come in.
    let picker = w.press(w.organizer, &org, "Key popped").await;
    let form = pick(&w, &picker, &[&raider.0.to_string()]).await;
    let too_long = sim
        .submit_modal(w.organizer, &form, &[("window", "500")])
        .await;
    assert_eq!(
        too_long.content.as_deref(),
        Some("A key window lasts 1 to 300 seconds.")
    );
    let popped = sim
        .submit_modal(w.organizer, &form, &[("window", "90")])
        .await;
    assert_eq!(
        popped.content.as_deref(),
        Some("Key pop logged; raiders have 90 seconds to come in. 1 popped so far.")
    );
    let window: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM r.key_window_ends_at - p.created_at)::float8
         FROM run r JOIN key_pop p USING (guild_id, run_id)",
    )
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert!(
        (89.0..91.0).contains(&window),
        "a 90 s window, got {window}"
    );
    w.panel_where("the open portal", |m| field(m, "🔑 Key popped").is_some())
        .await;

    // The window closes: its timer is made due, and the panel drops the portal line.
    sqlx::query("UPDATE run SET key_window_ends_at = now() - interval '1 second'")
        .execute(&w.db.pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE job SET due_at = now() WHERE kind = 'run_key_window_closed' AND state = 'pending'",
    )
    .execute(&w.db.pool)
    .await
    .unwrap();
    w.panel_where("the portal closed", |m| {
        field(m, "🔑 Key popped").is_none() && field(m, "Keys popped").is_some()
    })
    .await;

    // Log keys with a key of another name: the answer and raid_log name it.
    let picker = w.press(w.organizer, &org, "Log keys").await;
    let form = pick(&w, &picker, &[&raider.0.to_string()]).await;
    let logged = sim
        .submit_modal(
            w.organizer,
            &form,
            &[("count", "2"), ("key", "Shatters event key")],
        )
        .await;
    assert_eq!(
        logged.content.as_deref(),
        Some("2 key pops (Shatters event key) logged. 3 popped so far.")
    );
    let entry = sim
        .eventually(WAIT, || {
            sim.messages(w.raid_log).into_iter().find(|m| {
                m.embeds
                    .first()
                    .is_some_and(|e| e.to_string().contains("(Shatters event key)"))
            })
        })
        .await
        .expect("a raid_log entry naming the key");
    assert!(
        entry.embeds[0].to_string().contains(&format!(
            "<@{}> popped 2 keys (Shatters event key)",
            raider.0
        )),
        "{}",
        entry.embeds[0]
    );
}

/// raid_log entries about reaction changes in a run, oldest first.
fn reaction_entries(w: &World) -> Vec<String> {
    let mut entries: Vec<String> = w
        .sim
        .messages(w.raid_log)
        .into_iter()
        .filter(|m| {
            m.embeds
                .first()
                .and_then(|e| e["title"].as_str())
                .is_some_and(|t| t.starts_with("Reaction changed"))
        })
        .map(|m| {
            m.embeds[0]["description"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    entries.reverse();
    entries
}

#[tokio::test]
async fn key_reactions_added_and_withdrawn_are_posted_to_raid_log() {
    let w = World::new(1).await;
    w.configure().await;
    let raider = w.raiders[0];
    w.post_run("shatters", vec![]).await;
    let panel = w.panel().await;
    let key = key_name("shatters");

    let ask = w.press(raider, &panel, &key).await;
    let confirm = ask.message.clone().unwrap();
    let yes = w
        .sim
        .press(
            w.guild,
            raider,
            w.raid,
            confirm.id,
            &format!("Yes, I have a {key}"),
        )
        .await;
    assert_eq!(yes.kind, ResponseKind::UpdateMessage);
    let added = format!(
        "<@{}> reacted with **{key}** in the Shatters run by <@{}>.",
        raider.0, w.organizer.0
    );
    w.sim
        .eventually(WAIT, || {
            reaction_entries(&w)
                .iter()
                .any(|e| e.starts_with(&added))
                .then_some(())
        })
        .await
        .unwrap_or_else(|| panic!("raid_log: {:?}", reaction_entries(&w)));

    // Pressing again withdraws it, and raid_log says so too.
    let again = w.press(raider, &panel, &key).await;
    assert!(
        again
            .content
            .as_deref()
            .unwrap_or_default()
            .contains("withdr"),
        "{:?}",
        again.content
    );
    let withdrawn = format!(
        "<@{}> withdrew **{key}** in the Shatters run by <@{}>.",
        raider.0, w.organizer.0
    );
    let entries = w
        .sim
        .eventually(WAIT, || {
            let e = reaction_entries(&w);
            (e.len() == 2).then_some(e)
        })
        .await
        .unwrap_or_else(|| panic!("raid_log: {:?}", reaction_entries(&w)));
    assert!(entries[0].starts_with(&added), "{entries:?}");
    assert!(entries[1].starts_with(&withdrawn), "{entries:?}");
}

fn panel_description(m: &Message) -> String {
    m.embeds
        .first()
        .and_then(|e| e["description"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_organizer_locks_and_unlocks_joining_and_edits_the_description() {
    let w = World::new(1).await;
    w.configure().await;
    let raider = w.raiders[0];
    let Posted {
        organizer: org,
        panel,
    } = w.open_run("shatters").await;

    let locked = w.press(w.organizer, &org, "Lock joining").await;
    assert_eq!(locked.kind, ResponseKind::UpdateMessage);
    assert_eq!(locked.content.as_deref(), Some("Joining is locked."));
    w.panel_where("the lock", |m| field(m, "🔒 Joining locked").is_some())
        .await;
    let refused = w.press(raider, &panel, "Join").await;
    assert_eq!(
        refused.content.as_deref(),
        Some("Joining this run is locked by its organizer.")
    );

    let open = w.press(w.organizer, &org, "Unlock joining").await;
    assert_eq!(open.content.as_deref(), Some("Joining is open again."));
    w.panel_where("no lock", |m| field(m, "🔒 Joining locked").is_none())
        .await;
    let joined = w.press(raider, &panel, "Join").await;
    assert!(
        joined
            .content
            .as_deref()
            .unwrap_or_default()
            .starts_with("You joined the Shatters run"),
        "{:?}",
        joined.content
    );

    // Edit description: the form shows the current text; the panel shows the new one.
    let form = w.press(w.organizer, &org, "Edit description").await;
    let done = w
        .sim
        .submit_modal(
            w.organizer,
            &form,
            &[("description", "Bring a priest; we go fast.")],
        )
        .await;
    assert_eq!(done.content.as_deref(), Some("Description updated."));
    w.panel_where("the description", |m| {
        panel_description(m).ends_with("Bring a priest; we go fast.")
    })
    .await;
    let form = w.press(w.organizer, &org, "Edit description").await;
    w.sim
        .submit_modal(w.organizer, &form, &[("description", "")])
        .await;
    w.panel_where("no description", |m| {
        panel_description(m) == format!("Organized by <@{}>", w.organizer.0)
    })
    .await;
}

#[tokio::test]
async fn the_organizer_sets_a_raider_cap_from_the_panel_and_raising_it_moves_the_bench_up() {
    let w = World::new(3).await;
    w.configure().await;
    let Posted {
        organizer: org,
        panel,
    } = w.open_run("shatters").await;
    w.press(w.raiders[0], &panel, "Join").await;

    let form = w.press(w.organizer, &org, "Raider cap").await;
    let bad = w
        .sim
        .submit_modal(w.organizer, &form, &[("value", "0")])
        .await;
    assert_eq!(
        bad.content.as_deref(),
        Some("The raider cap must be between 1 and 1000.")
    );
    let set = w
        .sim
        .submit_modal(w.organizer, &form, &[("value", "2")])
        .await;
    assert_eq!(set.content.as_deref(), Some("Raider cap set to 2."));
    let panel = w
        .panel_where("the cap", |m| {
            field(m, "Raiders").map(|f| f.0) == Some("Raiders (1/2)")
        })
        .await;
    w.press(w.raiders[1], &panel, "Join").await;
    // The run is full: the third raider is offered the bench and takes it.
    let full = w.press(w.raiders[2], &panel, "Join").await;
    assert!(
        full.content
            .as_deref()
            .unwrap_or_default()
            .starts_with("This run is full (2 raiders)"),
        "{:?}",
        full.content
    );
    let offer = full.message.clone().expect("the bench offer");
    let benched = w
        .sim
        .press(w.guild, w.raiders[2], w.raid, offer.id, "Wait on the bench")
        .await;
    assert!(benched.is_ok(), "{:?}", benched.kind);
    w.panel_where("one benched", |m| field(m, "Bench (1)").is_some())
        .await;

    // Raising the cap moves them up at once.
    let form = w.press(w.organizer, &org, "Raider cap").await;
    let raised = w
        .sim
        .submit_modal(w.organizer, &form, &[("value", "3")])
        .await;
    assert_eq!(
        raised.content.as_deref(),
        Some("Raider cap set to 3. 1 raider(s) moved up from the bench.")
    );
    w.panel_where("three of three", |m| {
        field(m, "Raiders").map(|f| f.0) == Some("Raiders (3/3)") && field(m, "Bench").is_none()
    })
    .await;
}

#[tokio::test]
async fn ping_raiders_mentions_the_run_role_with_a_link_to_the_panel() {
    let w = World::new(1).await;
    w.configure().await;
    let Posted {
        organizer: org,
        panel,
    } = w.open_run("shatters").await;
    w.press(w.raiders[0], &panel, "Join").await;
    w.press(w.organizer, &org, "Start").await;
    let res = w.press(w.organizer, &org, "Ping raiders").await;
    assert_eq!(res.content.as_deref(), Some("Raiders pinged."));
    let ping = w
        .sim
        .eventually(WAIT, || {
            w.sim
                .messages(w.raid)
                .into_iter()
                .find(|m| m.content.contains("needs you — check the panel"))
        })
        .await
        .expect("the ping in the raid channel");
    let role: Option<i64> = sqlx::query_scalar("SELECT run_role_id FROM run")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    let role = role.expect("the run has its role");
    assert!(
        ping.content.starts_with(&format!(
            "<@&{role}> The Shatters run by <@{}> needs you",
            w.organizer.0
        )),
        "{}",
        ping.content
    );
    assert!(
        ping.content.contains(&format!(
            "/channels/{}/{}/{}",
            w.guild.0, w.raid.0, panel.id.0
        )),
        "{}",
        ping.content
    );
}

#[tokio::test]
async fn cancel_closes_the_run_awards_nothing_and_logs_it() {
    let w = World::new(2).await;
    w.configure().await;
    let Posted {
        organizer: org,
        panel,
    } = w.open_run("shatters").await;
    w.join(&panel, &w.raiders).await;
    w.press(w.organizer, &org, "Start").await;
    let res = w.press(w.organizer, &org, "Cancel run").await;
    assert_eq!(res.kind, ResponseKind::UpdateMessage);
    assert_eq!(res.content.as_deref(), Some("Run cancelled."));
    let closed = w
        .panel_where("cancelled", |m| {
            field(m, "Status").is_some_and(|f| f.1.starts_with("⚫ Cancelled"))
        })
        .await;
    assert!(closed.buttons().is_empty(), "no buttons on a cancelled run");
    assert!(field(&closed, "Final roster (2)").is_some());
    // Joining the cancelled run is no longer possible, and nobody earned anything.
    let awards: i64 = sqlx::query_scalar("SELECT count(*) FROM point_event")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(awards, 0);
    w.sim
        .eventually(WAIT, || {
            w.sim.messages(w.raid_log).into_iter().find(|m| {
                m.embeds
                    .first()
                    .is_some_and(|e| e.to_string().to_lowercase().contains("cancel"))
            })
        })
        .await
        .expect("a raid_log entry for the cancelled run");
}

#[tokio::test]
async fn realm_score_is_stored_shown_and_announced() {
    let w = World::new(1).await;
    w.configure().await;
    let Posted {
        organizer: org,
        panel,
    } = w.open_run("realm_dungeon").await;
    w.press(w.raiders[0], &panel, "Join").await;
    w.press(w.organizer, &org, "Start").await;
    let form = w.press(w.organizer, &org, "Realm score").await;
    let bad = w
        .sim
        .submit_modal(w.organizer, &form, &[("value", "150")])
        .await;
    assert_eq!(
        bad.content.as_deref(),
        Some("A realm score is a percentage from 1 to 99.")
    );
    let ok = w
        .sim
        .submit_modal(w.organizer, &form, &[("value", "87")])
        .await;
    assert_eq!(ok.content.as_deref(), Some("Realm score 87% announced."));
    w.panel_where("the realm score", |m| {
        field(m, "Realm score").map(|f| f.1) == Some("87%")
    })
    .await;
    let ping = w
        .sim
        .eventually(WAIT, || {
            w.sim
                .messages(w.raid)
                .into_iter()
                .find(|m| m.content.contains("Realm score for the"))
        })
        .await
        .expect("the realm score announcement");
    assert!(ping.content.ends_with("**87%**"), "{}", ping.content);
    let stored: Option<i16> = sqlx::query_scalar("SELECT realm_score FROM run")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, Some(87));
}
