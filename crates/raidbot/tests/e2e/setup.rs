//! An administrator configures roles and channels.

use discord_sim::{ChannelKind, CommandOption, ResponseKind};
use domain::command::CommandName;

use crate::harness::{WAIT, World};

#[tokio::test]
async fn admin_maps_roles_and_channels_and_a_wrong_channel_is_refused() {
    let w = World::new(0).await;
    let sim = &w.sim;
    // The commands were registered to the guild when the bot started: exactly the ones in
    // the command table, each once, described, and visible to every member (raidbot
    // answers who may use what; Discord permissions cannot express its role mapping).
    let registered = sim.commands(Some(w.guild));
    let mut names: Vec<&str> = registered
        .iter()
        .map(|c| c["name"].as_str().expect("a command name"))
        .collect();
    names.sort_unstable();
    let mut table: Vec<&str> = CommandName::ALL.iter().map(|c| c.as_str()).collect();
    table.sort_unstable();
    assert_eq!(names, table, "registered commands against domain::command");
    for c in &registered {
        let description = c["description"].as_str().unwrap_or_default();
        assert!(!description.is_empty(), "{c}");
        assert!(c["default_member_permissions"].is_null(), "{c}");
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

#[tokio::test]
async fn admin_sets_how_long_runs_last_and_new_runs_follow_it() {
    let w = World::new(0).await;
    w.configure().await;
    let sim = &w.sim;

    // Without a value: the default.
    let res = sim
        .run_command(w.guild, w.raid, w.admin, "setautoend", vec![])
        .await;
    assert!(res.ephemeral);
    let text = res.embeds[0]["description"].as_str().unwrap();
    assert!(text.contains("after **2 hours**"), "{text}");

    // An organizer may not change it.
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "setautoend",
            vec![CommandOption::int("minutes", 30)],
        )
        .await;
    assert!(res.ephemeral);
    assert_eq!(
        res.content.as_deref(),
        Some("You need the Administrator role (or higher) to do this.")
    );

    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "setautoend",
            vec![CommandOption::int("minutes", 90)],
        )
        .await;
    assert!(res.ephemeral);
    let text = res.embeds[0]["description"].as_str().unwrap();
    assert!(
        text.contains("after **1 hour 30 minutes** (was 2 hours)"),
        "{text}"
    );
    let audits: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'set_run_auto_end'",
    )
    .bind(w.admin.0 as i64)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(audits, 1);

    // A run posted now ends by itself 90 minutes after it was posted.
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "run",
            vec![CommandOption::string("dungeon", "shatters")],
        )
        .await;
    assert_eq!(res.kind, ResponseKind::Reply, "{:?}", res.content);
    let minutes: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM auto_end_at - created_at)::float8 / 60 FROM run",
    )
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert!((89.0..=91.0).contains(&minutes), "{minutes}");
}

#[tokio::test]
async fn bot_log_shows_each_start_and_each_settings_change() {
    let mut w = World::new(0).await;
    w.configure().await;
    let sim = w.sim.clone();
    let bot_log = sim.create_channel(w.guild, "bot-log", ChannelKind::Text);
    let getverified = sim.create_channel(w.guild, "get-verified", ChannelKind::Text);
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "setchannels",
            vec![
                CommandOption::channel("bot_log", bot_log),
                CommandOption::channel("getverified", getverified),
            ],
        )
        .await;
    assert!(res.is_ok(), "{:?}", res.kind);
    let titled = |title: &'static str| {
        let sim = sim.clone();
        move || {
            sim.messages(bot_log).into_iter().find(|m| {
                m.embeds
                    .first()
                    .and_then(|e| e["title"].as_str())
                    .is_some_and(|t| t == title)
            })
        }
    };

    // A restart says so in bot_log.
    w.restart_bot().await;
    let started = sim
        .eventually(WAIT, titled("raidbot started"))
        .await
        .expect("a start-up line in bot_log");
    assert!(
        started.embeds[0]["description"]
            .as_str()
            .unwrap()
            .contains(env!("CARGO_PKG_VERSION"))
    );

    // /configverification changes are posted with what changed and who changed it.
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "configverification",
            vec![CommandOption::int("min_rank", 30)],
        )
        .await;
    assert!(res.is_ok(), "{:?}", res.kind);
    let entry = sim
        .eventually(WAIT, titled("Verification settings changed"))
        .await
        .unwrap_or_else(|| {
            panic!(
                "a bot_log entry for /configverification; answer {:?}, bot_log {:?}",
                res.content,
                sim.messages(bot_log)
                    .iter()
                    .map(|m| m.embeds.clone())
                    .collect::<Vec<_>>()
            )
        });
    let text = entry.embeds[0].to_string();
    assert!(text.contains("**min_rank** → 30"), "{text}");
    assert!(text.contains(&format!("By user {}", w.admin.0)), "{text}");
}
