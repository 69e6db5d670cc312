//! An administrator configures roles and channels.

use discord_sim::{CommandOption, ResponseKind};

use crate::harness::World;

#[tokio::test]
async fn admin_maps_roles_and_channels_and_a_wrong_channel_is_refused() {
    let w = World::new(0).await;
    let sim = &w.sim;
    // The commands were registered to the guild when the bot started.
    let names: Vec<String> = sim
        .commands(Some(w.guild))
        .iter()
        .filter_map(|c| c["name"].as_str().map(str::to_owned))
        .collect();
    for expected in ["setroles", "setchannels", "run"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }

    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "setroles",
            vec![
                CommandOption::role("organizer", w.organizer_role),
                CommandOption::role("verified_raider", w.raider_role),
            ],
        )
        .await;
    assert_eq!(res.kind, ResponseKind::Reply);
    assert!(res.ephemeral);
    let text = res.embeds[0]["description"].as_str().unwrap();
    assert!(
        text.contains(&format!("**organizer** → <@&{}>", w.organizer_role.0)),
        "{text}"
    );
    assert!(text.contains("**security** → not set"), "{text}");

    // A raider may not change the configuration.
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "setchannels",
            vec![CommandOption::channel("raid", w.raid)],
        )
        .await;
    assert!(res.ephemeral);
    assert_eq!(
        res.content.as_deref(),
        Some("You need the Administrator role (or higher) to do this.")
    );

    // A voice channel cannot hold raid panels: refused, nothing stored.
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "setchannels",
            vec![CommandOption::channel("raid", w.voice)],
        )
        .await;
    assert!(res.ephemeral);
    let refusal = res.content.clone().unwrap_or_default();
    assert!(refusal.contains("must be a text channel"), "{refusal}");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM guild_channel")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);

    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "setchannels",
            vec![
                CommandOption::channel("raid", w.raid),
                CommandOption::channel("raid_log", w.raid_log),
            ],
        )
        .await;
    let text = res.embeds[0]["description"].as_str().unwrap();
    assert!(
        text.contains(&format!("**raid** → <#{}>", w.raid.0)),
        "{text}"
    );
    let stored: Vec<(String, i64)> = sqlx::query_as(
        "SELECT channel_key, discord_channel_id FROM guild_channel ORDER BY channel_key",
    )
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(
        stored,
        vec![
            ("raid".to_owned(), w.raid.0 as i64),
            ("raid_log".to_owned(), w.raid_log.0 as i64)
        ]
    );
    // Every change is audited with who did it.
    let audits: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE actor_id = $1")
        .bind(w.admin.0 as i64)
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(audits, 2);
}
