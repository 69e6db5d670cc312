//! The sandbox web client in a real browser: headless Chromium driven through
//! chromedriver (Debian's `chromium` and `chromium-driver`), against the simulated Discord
//! with the real bot and a fresh database. People act only through the page; the test reads
//! the simulator only to learn ids and to do what no page can (delete a message behind the
//! bot). Every check waits for the page with a deadline, so a page that stops updating live
//! fails the test, with a screenshot in `target/browser-failures/`.
//!
//! `RAIDBOT_SCREENSHOTS=docs/screenshots` (see `scripts/sandbox-screenshots`) also saves the
//! README's screenshots.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "e2e/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "browser/webdriver.rs"]
mod webdriver;

use serde_json::json;

use harness::{World, footer};
use webdriver::{Driver, Session, fail};

/// Serves the web client for the world's simulator on a free loopback port.
async fn serve(w: &World) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = discord_sim::web::router(w.sim.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// Saves a README screenshot of `css` when `RAIDBOT_SCREENSHOTS` names a directory.
async fn doc_shot(s: &Session, css: &str, name: &str) {
    let Ok(dir) = std::env::var("RAIDBOT_SCREENSHOTS") else {
        return;
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let png = if css.is_empty() {
        s.screenshot().await
    } else {
        s.element_screenshot(css).await
    };
    match png {
        Ok(png) => std::fs::write(dir.join(name), png).unwrap(),
        Err(e) => fail(s, &format!("screenshot {name}: {e:?}")).await,
    }
}

async fn act_as(s: &Session, user: discord_sim::UserId) {
    s.click(&format!("#act-as option[value=\"{user}\"]")).await;
    s.wait_for(
        "the member switch",
        "return document.getElementById('act-as').value === arguments[0];",
        json!([user.to_string()]),
    )
    .await;
}

fn in_message(id: discord_sim::MessageId, css: &str) -> String {
    format!("article[data-message-id=\"{id}\"] {css}")
}

/// The newest ephemeral message (only the acting member sees it) containing `text`.
async fn wait_ephemeral(s: &Session, what: &str, text: &str) -> String {
    s.wait_text(what, "article[data-ephemeral=\"true\"]", text)
        .await
}

#[tokio::test]
async fn a_raid_from_slash_command_to_raid_log_in_the_browser() {
    bot::discord::install_crypto();
    let w = World::new(3).await;
    w.configure().await;
    let url = serve(&w).await;
    let driver = Driver::start().await;
    let s = driver.session().await;
    s.goto(&format!("{url}/?as={}&channel={}", w.organizer, w.raid))
        .await;
    s.wait_for(
        "the page ready",
        "return document.body.dataset.ready === 'true';",
        json!([]),
    )
    .await;
    // A marker that a reload would wipe: every update below must arrive live.
    s.js("window.__sameDocument = true; return true;", json!([]))
        .await
        .unwrap();

    // The organizer types /ru, picks /run, types "shat" in the dungeon and picks Shatters.
    s.type_into("[data-testid=composer]", "/ru").await;
    s.click("[data-testid=command-item][data-command=\"run\"]")
        .await;
    s.type_into("[data-testid=option-dungeon]", "shat").await;
    s.wait_text(
        "Shatters among the dungeon suggestions",
        "[data-testid=autocomplete-item]",
        "Shatters",
    )
    .await;
    doc_shot(&s, "", "slash-command-autocomplete.png").await;
    s.click("[data-testid=autocomplete-item][data-name=\"Shatters\"]")
        .await;
    s.type_into("[data-testid=option-location]", "USEast Left")
        .await;
    s.click("[data-testid=send]").await;

    let panel = w.panel().await;
    let run_id = footer(&panel)
        .unwrap()
        .trim_start_matches("Run #")
        .to_owned();
    s.wait_text(
        "the run panel",
        &in_message(panel.id, "[data-testid=embed-title]"),
        "Shatters run",
    )
    .await;
    wait_ephemeral(
        &s,
        "the organizer panel, only for the organizer",
        "Only you can see this",
    )
    .await;

    // Three raiders join; one picks a class from the select.
    act_as(&s, w.raiders[0]).await;
    s.click(&in_message(
        panel.id,
        "[data-testid=button][data-label=\"Join\"]",
    ))
    .await;
    wait_ephemeral(&s, "the join answer", "You joined the Shatters run").await;

    act_as(&s, w.raiders[1]).await;
    s.click(&in_message(
        panel.id,
        &format!("[data-testid=select][data-custom-id=\"run:class:{run_id}\"] [data-testid=select-trigger]"),
    ))
    .await;
    s.click("[data-testid=select-option][data-value=\"Warrior\"]")
        .await;
    wait_ephemeral(
        &s,
        "the class answer",
        "You joined the Shatters run as Warrior.",
    )
    .await;

    act_as(&s, w.raiders[2]).await;
    s.click(&in_message(
        panel.id,
        "[data-testid=button][data-label=\"Join\"]",
    ))
    .await;
    wait_ephemeral(&s, "the third join answer", "You joined the Shatters run").await;

    // The panel shows three raiders without a reload (the bot edits it; the page is told).
    s.wait_text(
        "the panel with 3 raiders",
        &in_message(
            panel.id,
            "[data-testid=embed-field][data-field-name^=\"Raiders\"]",
        ),
        "Raiders (3)",
    )
    .await;
    s.wait_text(
        "the Warrior in the roster",
        &in_message(panel.id, "[data-testid=embed-field]"),
        "— Warrior",
    )
    .await;
    doc_shot(&s, &in_message(panel.id, ".msg-body"), "run-panel.png").await;

    // The organizer starts the run from the ephemeral organizer panel, sets a chain in a
    // modal, and ends the run.
    act_as(&s, w.organizer).await;
    s.click("article[data-ephemeral=\"true\"] [data-testid=button][data-label=\"Start\"]")
        .await;
    s.wait_text(
        "the organizer panel of a live run",
        "article[data-ephemeral=\"true\"]",
        "The run is live",
    )
    .await;
    s.click("article[data-ephemeral=\"true\"] [data-testid=button][data-label=\"Chain amount\"]")
        .await;
    s.wait_for(
        "the chain modal",
        "return !!document.querySelector('[data-testid=modal] [data-testid=modal-input-value]');",
        json!([]),
    )
    .await;
    doc_shot(&s, "", "modal.png").await;
    s.type_into("[data-testid=modal-input-value]", "3").await;
    s.click("[data-testid=modal-submit]").await;
    wait_ephemeral(&s, "the chain answer", "Chain set to 3 keys.").await;
    s.click("article[data-ephemeral=\"true\"] [data-testid=button][data-label=\"End run\"]")
        .await;
    wait_ephemeral(&s, "the end answer", "Run ended with 3 raiders.").await;
    s.wait_text(
        "the ended panel",
        &in_message(panel.id, "[data-testid=embed-field]"),
        "Ended",
    )
    .await;

    // The raid log shows the run's end.
    s.click("[data-testid=channel][data-channel-name=\"raid-log\"]")
        .await;
    s.wait_text(
        "the raid log entry of the end",
        "[data-testid=embed-title]",
        "ended",
    )
    .await;
    // The bot's calls are listed in the event log.
    s.click("[data-testid=tab-log]").await;
    s.wait_text(
        "panel edits in the event log",
        "[data-testid=rest-call]",
        "PATCH /channels/{channel_id}/messages/{message_id}",
    )
    .await;

    let same = s
        .js("return window.__sameDocument === true;", json!([]))
        .await
        .unwrap();
    assert_eq!(same, json!(true), "the page was reloaded");
    s.quit().await;
}

#[tokio::test]
async fn bad_input_shows_what_discord_shows() {
    bot::discord::install_crypto();
    let w = World::new(1).await;
    w.configure().await;
    let url = serve(&w).await;
    let driver = Driver::start().await;
    let s = driver.session().await;
    s.goto(&format!("{url}/?as={}&channel={}", w.organizer, w.raid))
        .await;
    s.wait_for(
        "the page ready",
        "return document.body.dataset.ready === 'true';",
        json!([]),
    )
    .await;

    // An unknown command.
    s.type_into("[data-testid=composer]", "/nosuchcommand\u{E007}")
        .await;
    s.wait_text(
        "the unknown command refused",
        "[data-testid=composer-error]",
        "/nosuchcommand is not a command",
    )
    .await;

    // A required option left empty.
    s.js(
        "const c = document.getElementById('composer'); c.value = ''; c.dispatchEvent(new Event('input')); return true;",
        json!([]),
    )
    .await
    .unwrap();
    s.type_into("[data-testid=composer]", "/run").await;
    s.click("[data-testid=command-item][data-command=\"run\"]")
        .await;
    s.click("[data-testid=send]").await;
    s.wait_text(
        "the missing option refused",
        "[data-testid=composer-error]",
        "dungeon",
    )
    .await;
    s.click("[data-testid=command-cancel]").await;

    // A button of a message deleted while the page did not show it yet.
    let res = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "run",
            vec![discord_sim::CommandOption::string("dungeon", "shatters")],
        )
        .await;
    assert!(res.is_ok());
    let panel = w.panel().await;
    let join = in_message(panel.id, "[data-testid=button][data-label=\"Join\"]");
    s.wait_for(
        "the new panel",
        "return !!document.querySelector(arguments[0]);",
        json!([join]),
    )
    .await;
    act_as(&s, w.raiders[0]).await;
    s.wait_for(
        "the panel for the raider",
        "return !!document.querySelector(arguments[0]);",
        json!([join]),
    )
    .await;
    s.click("[data-testid=live-toggle]").await;
    w.sim.delete_message_behind_bot(w.raid, panel.id);
    s.click(&join).await;
    s.wait_text(
        "the failed interaction",
        &in_message(panel.id, "[data-testid=interaction-error]"),
        "This interaction failed",
    )
    .await;
    // Back live, the deleted message disappears.
    s.click("[data-testid=live-toggle]").await;
    s.wait_for(
        "the deleted panel gone",
        "return !document.querySelector(arguments[0]);",
        json!([format!("article[data-message-id=\"{}\"]", panel.id)]),
    )
    .await;
    s.quit().await;
}

#[tokio::test]
async fn a_member_dms_the_bot_a_screenshot() {
    bot::discord::install_crypto();
    let w = World::new(1).await;
    let url = serve(&w).await;
    let driver = Driver::start().await;
    let s = driver.session().await;
    s.goto(&format!("{url}/?as={}&channel={}", w.raiders[0], w.raid))
        .await;
    s.wait_for(
        "the page ready",
        "return document.body.dataset.ready === 'true';",
        json!([]),
    )
    .await;
    s.click("[data-testid=channel-dm]").await;
    // A 1×1 PNG, attached through the page's file input as a person would pick it.
    let png: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0,
        0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 13, 0x49, 0x44, 0x41,
        0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0, 0x05, 0, 0x01, 0xff, 0x89, 0x99,
        0x3d, 0x1d, 0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
    let path = std::env::temp_dir().join(format!("raidbot-browser-{}.png", std::process::id()));
    std::fs::write(&path, png).unwrap();
    s.js(
        "document.getElementById('file-input').hidden = false; return true;",
        json!([]),
    )
    .await
    .unwrap();
    s.type_into("[data-testid=file-input]", &path.to_string_lossy())
        .await;
    s.wait_text(
        "the attached file",
        "[data-testid=pending-file]",
        "raidbot-browser-",
    )
    .await;
    s.type_into("[data-testid=composer]", "my screenshot\u{E007}")
        .await;
    s.wait_for(
        "the DM with its image",
        "for (const m of document.querySelectorAll('[data-testid=message]')) {
           const img = m.querySelector('[data-testid=attachment] img');
           if (m.textContent.includes('my screenshot') && img && img.complete && img.naturalWidth === 1) return true;
         }
         return null;",
        json!([]),
    )
    .await;
    let _ = std::fs::remove_file(&path);
    // The bot answers in the conversation (no server here takes modmail).
    s.wait_text(
        "the bot's answer in the DM",
        "[data-testid=message][data-author-id] [data-testid=content]",
        "takes modmail",
    )
    .await;
    // The bot got the DM with a file it can download from the simulator.
    let dm = w.sim.dms(w.raiders[0]);
    let sent = dm.iter().find(|m| m.content == "my screenshot").unwrap();
    let (_, bytes) = w.sim.uploaded(sent.attachments[0].id).unwrap();
    assert_eq!(bytes, png);
    s.quit().await;
}
