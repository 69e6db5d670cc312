//! Dungeon ping roles: a moderator maps dungeons to roles and posts the self-service
//! panel; raiders switch their pings on and off from it.

use discord_sim::{ChannelKind, CommandOption, Message};

use crate::harness::{WAIT, World};

#[tokio::test]
async fn a_moderator_sets_up_pings_and_a_raider_toggles_them() {
    let mut w = World::new(1).await;
    w.configure().await;
    let sim = &w.sim;
    let raider = w.raiders[0];
    let mod_role = sim.create_role(w.guild, "Moderator", 0, 6);
    let moderator = sim.create_user("moderator");
    sim.add_member(w.guild, moderator, &[mod_role]);
    sim.run_command(
        w.guild,
        w.raid,
        w.admin,
        "setroles",
        vec![CommandOption::role("moderator", mod_role)],
    )
    .await;
    let shatters = sim.create_role(w.guild, "Shatters", 0, 3);
    let o3 = sim.create_role(w.guild, "O3", 0, 3);
    // Above the bot's own role (position 10): the bot cannot hand it out.
    let void = sim.create_role(w.guild, "Void", 0, 20);
    let pings = sim.create_channel(w.guild, "pick-your-pings", ChannelKind::Text);

    // Raiders cannot configure pings.
    let res = sim
        .run_command(w.guild, w.raid, raider, "configrolepings", vec![])
        .await;
    assert_eq!(
        res.content.as_deref(),
        Some("You need the Moderator role (or higher) to do this.")
    );
    // The dungeon option autocompletes from the catalog like /run's.
    let choices = sim
        .autocomplete(
            w.guild,
            w.raid,
            moderator,
            "configrolepings",
            vec![CommandOption::string("dungeon", "shat").focused()],
        )
        .await
        .unwrap();
    assert_eq!(choices[0].name, "Shatters");

    for (dungeon, role) in [("shatters", shatters), ("Oryx 3", o3), ("the_void", void)] {
        let res = sim
            .run_command(
                w.guild,
                w.raid,
                moderator,
                "configrolepings",
                vec![
                    CommandOption::string("dungeon", dungeon),
                    CommandOption::role("role", role),
                ],
            )
            .await;
        assert!(res.ephemeral);
        assert!(
            res.content
                .as_deref()
                .unwrap_or_default()
                .ends_with(&format!("runs now ping <@&{}>.", role.0)),
            "{:?}",
            res.content
        );
    }
    // No options: the list.
    let res = sim
        .run_command(w.guild, w.raid, moderator, "configrolepings", vec![])
        .await;
    let list = res.embeds[0]["description"].as_str().unwrap().to_owned();
    assert_eq!(
        list,
        format!(
            "**Oryx 3** → <@&{}>\n**Shatters** → <@&{}>\n**Void** → <@&{}>",
            o3.0, shatters.0, void.0
        )
    );

    // No role_ping channel and none given: told how to fix it.
    let res = sim
        .run_command(w.guild, w.raid, moderator, "sendrolepingembed", vec![])
        .await;
    assert!(
        res.content
            .as_deref()
            .unwrap_or_default()
            .contains("/setchannels"),
        "{:?}",
        res.content
    );
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            moderator,
            "sendrolepingembed",
            vec![CommandOption::channel("channel", pings)],
        )
        .await;
    assert_eq!(
        res.content.as_deref(),
        Some(format!("The ping role panel is being posted in <#{}>.", pings.0).as_str())
    );
    let panel: Message = sim
        .eventually(WAIT, || sim.messages(pings).into_iter().next())
        .await
        .expect("the panel is posted");
    let labels: Vec<String> = panel
        .buttons()
        .into_iter()
        .filter_map(|b| b.label)
        .collect();
    assert_eq!(
        labels,
        ["Oryx 3", "Shatters", "Void", "Add all", "Remove all"]
    );

    // The panel keeps working after a restart.
    w.restart_bot().await;
    let sim = &w.sim;

    let res = sim
        .press(w.guild, raider, pings, panel.id, "Shatters")
        .await;
    assert!(res.ephemeral);
    assert_eq!(
        res.content.as_deref(),
        Some("You will now be pinged for Shatters runs.")
    );
    assert!(w.has_role(raider, shatters));
    let res = sim
        .press(w.guild, raider, pings, panel.id, "Shatters")
        .await;
    assert_eq!(
        res.content.as_deref(),
        Some("You will no longer be pinged for Shatters runs.")
    );
    assert!(!w.has_role(raider, shatters));

    // A role above the bot: a clear refusal that tells staff what to do.
    let res = sim.press(w.guild, raider, pings, panel.id, "Void").await;
    let text = res.content.clone().unwrap_or_default();
    assert!(text.contains("above my own"), "{text}");
    assert!(text.contains("move the raidbot role above"), "{text}");
    w.settle().await;
    assert!(!w.has_role(raider, void));

    // Add all gives what the bot can give and says what it could not.
    let res = sim.press(w.guild, raider, pings, panel.id, "Add all").await;
    let text = res.content.clone().unwrap_or_default();
    assert!(
        text.starts_with("You will now be pinged for Oryx 3, Shatters runs."),
        "{text}"
    );
    assert!(text.contains("above my own"), "{text}");
    assert!(w.has_role(raider, shatters) && w.has_role(raider, o3));
    let res = sim
        .press(w.guild, raider, pings, panel.id, "Remove all")
        .await;
    assert_eq!(
        res.content.as_deref(),
        Some("You will no longer be pinged for Oryx 3, Shatters runs.")
    );
    assert!(!w.has_role(raider, shatters) && !w.has_role(raider, o3));
    let res = sim
        .press(w.guild, raider, pings, panel.id, "Remove all")
        .await;
    assert_eq!(
        res.content.as_deref(),
        Some("Nothing to change: your pings were already like that.")
    );

    // A mapping removed after the panel was posted: its old button answers clearly.
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            moderator,
            "configrolepings",
            vec![CommandOption::string("dungeon", "oryx_3")],
        )
        .await;
    assert_eq!(
        res.content.as_deref(),
        Some(format!("Oryx 3 runs no longer ping <@&{}>.", o3.0).as_str())
    );
    let res = sim.press(w.guild, raider, pings, panel.id, "Oryx 3").await;
    assert!(
        res.content
            .as_deref()
            .unwrap_or_default()
            .starts_with("Oryx 3 pings are no longer offered here"),
        "{:?}",
        res.content
    );
    w.settle().await;
    assert!(!w.has_role(raider, o3));

    let audits: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'set_role_ping' AND actor_id = $1",
    )
    .bind(moderator.0 as i64)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(audits, 4);
}

#[tokio::test]
async fn many_mappings_use_menus_in_one_message() {
    let w = World::new(1).await;
    w.configure().await;
    let sim = &w.sim;
    let raider = w.raiders[0];
    let pings = sim.create_channel(w.guild, "pings", ChannelKind::Text);
    sim.run_command(
        w.guild,
        w.raid,
        w.admin,
        "setchannels",
        vec![CommandOption::channel("role_ping", pings)],
    )
    .await;
    // 22 dungeons mapped (more than 20 buttons fit next to Add all / Remove all).
    let codes: Vec<String> = domain::catalog::catalog()
        .dungeons
        .iter()
        .take(22)
        .map(|d| d.code.clone())
        .collect();
    let mut roles = Vec::new();
    for code in &codes {
        let role = sim.create_role(w.guild, code, 0, 3);
        roles.push(role);
        let res = sim
            .run_command(
                w.guild,
                w.raid,
                w.admin,
                "configrolepings",
                vec![
                    CommandOption::string("dungeon", code),
                    CommandOption::role("role", role),
                ],
            )
            .await;
        assert!(res.is_ok());
    }
    sim.run_command(w.guild, w.raid, w.admin, "sendrolepingembed", vec![])
        .await;
    let panel: Message = sim
        .eventually(WAIT, || sim.messages(pings).into_iter().next())
        .await
        .expect("the panel is posted in the role_ping channel");
    assert!(panel.components.len() <= 5);
    // All 22 fit the first menu (25 options); picking toggles each picked dungeon.
    let res = sim
        .select(
            w.guild,
            raider,
            pings,
            panel.id,
            "rping:pick:0",
            &["snake_pit", "magic_woods"],
        )
        .await;
    assert_eq!(
        res.content.as_deref(),
        Some("You will now be pinged for Snake Pit, Magic Woods runs.")
    );
    for code in ["snake_pit", "magic_woods"] {
        let i = codes.iter().position(|c| c == code).unwrap();
        assert!(w.has_role(raider, roles[i]));
    }
    let res = sim.press(w.guild, raider, pings, panel.id, "Add all").await;
    assert!(res.is_ok());
    assert!(roles.iter().all(|r| w.has_role(raider, *r)));
}
