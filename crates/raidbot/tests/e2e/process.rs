//! `raidbot up` as a real process against the simulated Discord: it migrates, serves the
//! API, connects the bot, and stops cleanly on SIGTERM.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use discord_sim::{DiscordSim, SimConfig};
use store::testing::TestDb;

use crate::harness::{WAIT, free_port, raidbot};

#[tokio::test]
async fn up_runs_api_and_bot_in_one_process_and_stops_cleanly_on_sigterm() {
    bot::discord::install_crypto();
    let sim = DiscordSim::start_with(SimConfig {
        heartbeat_interval_ms: 1000,
        ..Default::default()
    })
    .await;
    let owner = sim.create_user("owner");
    let guild = sim.create_guild("Raid Community", owner);
    let server = TestDb::new().await;
    let name = format!("raidbot_up_{}", std::process::id());
    let url = server
        .url
        .rsplit_once('/')
        .map(|(base, _)| format!("{base}/{name}"))
        .unwrap();
    let port = free_port();
    let mut child = raidbot(&sim, &url, &["up"])
        .env("DISCORD_DEV_GUILD_ID", guild.0.to_string())
        .env("API_BIND", format!("127.0.0.1:{port}"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    sim.eventually(WAIT, || sim.gateway_connected().then_some(()))
        .await
        .expect("the bot connects");
    let client = reqwest::Client::new();
    let health = format!("http://127.0.0.1:{port}/v1/health");
    let started = Instant::now();
    let status = loop {
        if let Ok(r) = client.get(&health).send().await {
            break r.status().as_u16();
        }
        assert!(started.elapsed() < WAIT, "the API never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status, 200);
    assert!(
        sim.commands(Some(guild)).len() >= 3,
        "commands registered to the dev guild"
    );

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "raidbot did not stop within 15 s of SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let out = child.wait_with_output().unwrap();
    assert!(
        exit.success(),
        "exit {exit:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    drop(server);
    let cleanup = TestDb::new().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&cleanup.pool)
    .await
    .unwrap();
}
