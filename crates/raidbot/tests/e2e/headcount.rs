//! Headcounts: an organizer asks who would come, raiders answer, the organizer converts
//! the headcount into a run (or ends it), across a bot restart.

use discord_sim::{CommandOption, Message, ResponseKind};

use crate::harness::{WAIT, World, field, footer};

/// The headcount panel in the raid channel that satisfies `f`.
async fn headcount_panel_where(w: &World, what: &str, f: impl Fn(&Message) -> bool) -> Message {
    let sim = &w.sim;
    let found = sim
        .eventually(WAIT, || {
            sim.messages(w.raid)
                .into_iter()
                .find(|m| footer(m).is_some_and(|t| t.starts_with("Headcount #")) && f(m))
        })
        .await;
    match found {
        Some(m) => m,
        None => panic!(
            "the headcount panel never showed {what}; raid channel: {:#?}",
            sim.messages(w.raid)
                .iter()
                .map(|m| m.embeds.clone())
                .collect::<Vec<_>>()
        ),
    }
}

/// The custom id of the component on `m` whose id starts with `prefix`.
fn custom_id(m: &Message, prefix: &str) -> String {
    m.all_components()
        .iter()
        .filter_map(|c| c.get("custom_id")?.as_str().map(str::to_owned))
        .find(|id| id.starts_with(prefix))
        .unwrap_or_else(|| panic!("no component `{prefix}…` on {:#?}", m.components))
}

fn text(res: &discord_sim::InteractionResult) -> String {
    res.content.clone().unwrap_or_default()
}

#[tokio::test]
async fn organizer_converts_a_two_dungeon_headcount_into_a_run_across_a_restart() {
    let mut w = World::new(3).await;
    w.configure().await;
    let (r0, r1, r2) = (w.raiders[0], w.raiders[1], w.raiders[2]);

    // The organizer opens the picker, picks two Exaltation dungeons and posts.
    let res = w
        .sim
        .run_command(w.guild, w.raid, w.organizer, "headcount", vec![])
        .await;
    assert_eq!(res.kind, ResponseKind::Reply, "{:?}", res.content);
    assert!(res.ephemeral);
    let picker = res.message.clone().expect("the picker message");
    let post = picker
        .buttons()
        .into_iter()
        .find(|b| b.label.as_deref() == Some("Post headcount"))
        .expect("a Post button");
    assert!(post.disabled, "nothing to post yet");
    let category = custom_id(&picker, "hc:category:");
    let res = w
        .sim
        .select(
            w.guild,
            w.organizer,
            w.raid,
            picker.id,
            &category,
            &["exaltation_dungeons"],
        )
        .await;
    assert_eq!(res.kind, ResponseKind::UpdateMessage, "{:?}", res.kind);
    let picker = res.message.clone().expect("the updated picker");
    let pick = custom_id(&picker, "hc:pick:");
    let res = w
        .sim
        .select(
            w.guild,
            w.organizer,
            w.raid,
            picker.id,
            &pick,
            &["shatters", "nest"],
        )
        .await;
    assert_eq!(res.kind, ResponseKind::UpdateMessage, "{:?}", res.kind);
    assert!(res.embeds[0]["fields"][0]["name"] == "Chosen (2/4)");
    // The picker's choices are rows, not memory: a restart before Post loses nothing.
    w.restart_bot().await;
    let res = w
        .sim
        .press(w.guild, w.organizer, w.raid, picker.id, "Post headcount")
        .await;
    assert_eq!(res.kind, ResponseKind::UpdateMessage, "{:?}", res.content);
    assert!(text(&res).contains(&format!("is posted in <#{}>", w.raid.0)));
    let organizer_panel = res.message.clone().expect("the organizer panel");

    let panel = headcount_panel_where(&w, "itself", |_| true).await;
    assert_eq!(panel.embeds[0]["title"], "Headcount: Shatters · Nest");
    assert!(!panel.ephemeral);
    let hc_id: i64 = footer(&panel)
        .unwrap()
        .trim_start_matches("Headcount #")
        .parse()
        .unwrap();

    // Raiders answer: two are interested in Shatters, one has a Shatters key, one wants
    // Nest and changes their mind about a Nest key.
    let sim = &w.sim;
    for r in [r0, r1] {
        let res = sim
            .press(w.guild, r, w.raid, panel.id, "Interested: Shatters")
            .await;
        assert!(res.ephemeral);
        assert_eq!(
            text(&res),
            "You are interested in Shatters. Press again to withdraw."
        );
    }
    let res = sim
        .press(w.guild, r1, w.raid, panel.id, "Shatters Key")
        .await;
    assert_eq!(
        text(&res),
        "You are listed with a Shatters Key. Press again to withdraw."
    );
    sim.press(w.guild, r2, w.raid, panel.id, "Interested: Nest")
        .await;
    sim.press(w.guild, r2, w.raid, panel.id, "Nest Key").await;
    let res = sim.press(w.guild, r2, w.raid, panel.id, "Nest Key").await;
    assert_eq!(text(&res), "You are no longer listed with a Nest Key.");

    let panel = headcount_panel_where(&w, "the answers", |m| {
        field(m, "Shatters").map(|f| f.1) == Some("Interested: **2**\nShatters Key: **1**")
            && field(m, "Nest").map(|f| f.1) == Some("Interested: **1**\nNest Key: **0**")
    })
    .await;
    assert!(field(&panel, "Status").unwrap().1.starts_with("🟡 Open"));

    // A raider cannot reach Convert: the organizer panel refuses them.
    let res = sim
        .press(w.guild, r0, w.raid, panel.id, "Organizer panel")
        .await;
    assert!(res.ephemeral);
    assert!(
        text(&res).starts_with("Only this headcount's organizer"),
        "{}",
        text(&res)
    );
    // While the headcount is open the organizer cannot post a run.
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "run",
            vec![CommandOption::string("dungeon", "shatters")],
        )
        .await;
    assert!(res.ephemeral);
    assert_eq!(
        text(&res),
        format!(
            "There is already an open headcount for this organizer (#{hc_id}): convert or end it first."
        )
    );

    w.restart_bot().await;
    let sim = &w.sim;

    // The organizer panel from before the restart still works: convert to Shatters.
    let res = sim
        .press(
            w.guild,
            w.organizer,
            w.raid,
            organizer_panel.id,
            "Convert to Shatters run",
        )
        .await;
    assert_eq!(res.kind, ResponseKind::UpdateMessage, "{:?}", res.content);
    assert!(
        text(&res).starts_with("Headcount converted: your Shatters run #"),
        "{}",
        text(&res)
    );
    assert!(text(&res).contains("1 key holder was carried over."));
    // The organizer now holds the run's organizer panel.
    assert!(
        res.message
            .unwrap()
            .buttons()
            .iter()
            .any(|b| b.label.as_deref() == Some("Start"))
    );

    let run_panel = w.panel().await;
    assert_eq!(run_panel.embeds[0]["title"], "Shatters run");
    let run_id: i64 = footer(&run_panel)
        .unwrap()
        .trim_start_matches("Run #")
        .parse()
        .unwrap();
    let carried: Vec<(String, i64)> = sqlx::query_as(
        "SELECT reaction, user_id FROM run_reaction WHERE run_id = $1 ORDER BY user_id",
    )
    .bind(run_id)
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(carried, vec![("shatters_key".to_owned(), r1.0 as i64)]);

    // Interested raiders and the key holder are pinged under a link to the run panel.
    let ping = sim
        .eventually(WAIT, || {
            sim.messages(w.raid)
                .into_iter()
                .find(|m| m.content.contains("run is up"))
        })
        .await
        .expect("the run-is-up announcement");
    assert!(ping.content.contains(&format!(
        "https://discord.com/channels/{}/{}/{}",
        w.guild.0, w.raid.0, run_panel.id.0
    )));
    assert!(ping.content.contains(&format!("<@{}>", r0.0)));
    assert!(ping.content.contains(&format!("<@{}>", r1.0)));
    assert!(
        !ping.content.contains(&format!("<@{}>", r2.0)),
        "only Shatters raiders are pinged"
    );

    // The headcount panel says it was converted and has no buttons left.
    let panel = headcount_panel_where(&w, "the conversion", |m| {
        field(m, "Status")
            .is_some_and(|f| f.1.starts_with(&format!("✅ Converted to run #{run_id}")))
    })
    .await;
    assert!(panel.buttons().is_empty());
    let (status, converted): (String, Option<i64>) =
        sqlx::query_as("SELECT status, converted_run_id FROM headcount")
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), converted), ("converted", Some(run_id)));

    // raid_log: created and converted.
    let titles = sim
        .eventually(WAIT, || {
            let titles: Vec<String> = sim
                .messages(w.raid_log)
                .iter()
                .filter_map(|m| m.embeds.first()?.get("title")?.as_str().map(str::to_owned))
                .collect();
            titles
                .iter()
                .any(|t| t.contains("converted"))
                .then_some(titles)
        })
        .await
        .expect("raid_log entries");
    assert!(titles.contains(&format!("Headcount #{hc_id} created")));
    assert!(titles.contains(&format!("Headcount #{hc_id} converted to run #{run_id}")));

    // With the run active, a new headcount is refused.
    let res = sim
        .run_command(w.guild, w.raid, w.organizer, "headcount", vec![])
        .await;
    assert!(text(&res).starts_with("There is already an active run for this organizer"));
}

#[tokio::test]
async fn quick_headcount_from_options_is_ended_from_the_public_panel() {
    let w = World::new(1).await;
    w.configure().await;
    let sim = &w.sim;
    // Autocomplete helps with the optional dungeon options.
    let choices = sim
        .autocomplete(
            w.guild,
            w.raid,
            w.organizer,
            "headcount",
            vec![CommandOption::string("dungeon2", "oryx").focused()],
        )
        .await
        .unwrap();
    assert!(choices.iter().any(|c| c.name == "Oryx 3"));
    // A raider may not post one.
    let res = sim
        .run_command(w.guild, w.raid, w.raiders[0], "headcount", vec![])
        .await;
    assert_eq!(
        text(&res),
        "You need the Organizer role (or higher) to do this."
    );
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "headcount",
            vec![
                CommandOption::string("dungeon1", "oryx_3"),
                CommandOption::string("dungeon2", "Lost Halls"),
            ],
        )
        .await;
    assert_eq!(res.kind, ResponseKind::Reply, "{:?}", res.content);
    let panel = headcount_panel_where(&w, "itself", |_| true).await;
    // Oryx 3's four runes/incantation and Lost Halls' three keys all have buttons.
    let labels: Vec<String> = panel
        .buttons()
        .into_iter()
        .filter_map(|b| b.label)
        .collect();
    for l in [
        "Interested: Oryx 3",
        "Wine Cellar Incantation",
        "Helm Rune",
        "Cult Key",
        "Vial of Pure Darkness",
        "Organizer panel",
    ] {
        assert!(labels.iter().any(|x| x == l), "{l} missing from {labels:?}");
    }
    sim.press(w.guild, w.raiders[0], w.raid, panel.id, "Helm Rune")
        .await;

    // The organizer re-opens the organizer panel from the public panel and ends it.
    let res = sim
        .press(w.guild, w.organizer, w.raid, panel.id, "Organizer panel")
        .await;
    assert!(res.ephemeral);
    let organizer_panel = res.message.clone().unwrap();
    let helm = field(&organizer_panel, "Oryx").unwrap().1;
    assert!(
        helm.contains(&format!("Helm Rune (1): <@{}>", w.raiders[0].0)),
        "{helm}"
    );
    let res = sim
        .press(
            w.guild,
            w.organizer,
            w.raid,
            organizer_panel.id,
            "End headcount",
        )
        .await;
    assert_eq!(text(&res), "Headcount ended.");
    let panel = headcount_panel_where(&w, "the end", |m| {
        field(m, "Status").is_some_and(|f| {
            f.1.starts_with(&format!("⚫ Ended by <@{}>", w.organizer.0))
        })
    })
    .await;
    assert!(panel.buttons().is_empty());
    // The organizer is free again.
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "run",
            vec![CommandOption::string("dungeon", "shatters")],
        )
        .await;
    assert!(
        text(&res).starts_with("Your Shatters run #"),
        "{}",
        text(&res)
    );
}
