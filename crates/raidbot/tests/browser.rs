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
use webdriver::{Browser, Driver, Session, fail};

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

async fn act_as(s: &Session, user: impl std::fmt::Display) {
    s.click(&format!("#act-as option[value=\"{user}\"]")).await;
    s.wait_for(
        "the member switch",
        "return document.getElementById('act-as').value === arguments[0];",
        json!([user.to_string()]),
    )
    .await;
}

/// Empties the message box, as a person selecting all and deleting would.
async fn clear_composer(s: &Session) {
    s.js(
        "const c = document.getElementById('composer'); c.value = ''; c.dispatchEvent(new Event('input')); return true;",
        json!([]),
    )
    .await
    .unwrap();
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
    a_raid_from_slash_command_to_raid_log(Browser::Chromium).await;
}

/// The same raid in Firefox: the page uses nothing Chromium alone has.
#[tokio::test]
async fn a_raid_from_slash_command_to_raid_log_in_firefox() {
    a_raid_from_slash_command_to_raid_log(Browser::Firefox).await;
}

async fn a_raid_from_slash_command_to_raid_log(browser: Browser) {
    bot::discord::install_crypto();
    let w = World::new(3).await;
    w.configure().await;
    let url = serve(&w).await;
    let driver = Driver::start_for(browser).await;
    let s = driver.session().await;
    // The README's screenshots are Chromium's.
    let shots = browser == Browser::Chromium;
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
    if shots {
        doc_shot(&s, "", "slash-command-autocomplete.png").await;
    }
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
    if shots {
        doc_shot(&s, &in_message(panel.id, ".msg-body"), "run-panel.png").await;
    }

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
    if shots {
        doc_shot(&s, "", "modal.png").await;
    }
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

    // A wrong option type: the administrator types a word where a whole number goes.
    s.goto(&format!("{url}/?as={}&channel={}", w.admin, w.raid))
        .await;
    s.wait_for(
        "the page ready",
        "return document.body.dataset.ready === 'true';",
        json!([]),
    )
    .await;
    s.type_into("[data-testid=composer]", "/purge").await;
    s.click("[data-testid=command-item][data-command=\"purge\"]")
        .await;
    s.type_into("[data-testid=option-amount]", "many").await;
    let calls_before = w.sim.calls().len();
    s.click("[data-testid=send]").await;
    s.wait_text(
        "the wrong option type refused",
        "[data-testid=composer-error]",
        "must be a whole number",
    )
    .await;
    assert_eq!(
        w.sim.calls().len(),
        calls_before,
        "a refused command reached the bot"
    );

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
    clear_composer(&s).await;
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
    clear_composer(&s).await;

    // A run posted from the page, for the modal and the deleted message below.
    s.type_into("[data-testid=composer]", "/run").await;
    s.click("[data-testid=command-item][data-command=\"run\"]")
        .await;
    s.type_into("[data-testid=option-dungeon]", "shat").await;
    s.click("[data-testid=autocomplete-item][data-name=\"Shatters\"]")
        .await;
    s.click("[data-testid=send]").await;
    let panel = w.panel().await;
    let run_id = footer(&panel)
        .unwrap()
        .trim_start_matches("Run #")
        .to_owned();
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
    // A modal field longer than it allows: the page's input stops at the limit, as
    // Discord's does; a value pushed past it (as a modified client could) is refused with
    // Discord's words, the modal stays open, and the bot never sees the submit.
    act_as(&s, w.organizer).await;
    let cap_button =
        "article[data-ephemeral=\"true\"] [data-testid=button][data-label=\"Raider cap\"]";
    s.wait_for(
        "the organizer panel",
        "return !!document.querySelector(arguments[0]);",
        json!([cap_button]),
    )
    .await;
    s.click(cap_button).await;
    s.wait_for(
        "the raider cap modal",
        "return !!document.querySelector('[data-testid=modal] [data-testid=modal-input-value]');",
        json!([]),
    )
    .await;
    let max = s
        .js(
            "return document.querySelector('[data-testid=modal-input-value]').maxLength;",
            json!([]),
        )
        .await
        .unwrap();
    assert_eq!(max, json!(4), "the page caps the field at its max_length");
    let submits_before = w
        .sim
        .calls()
        .iter()
        .filter(|c| c.route.contains("/callback"))
        .count();
    s.js(
        "document.querySelector('[data-testid=modal-input-value]').value = '123456'; return true;",
        json!([]),
    )
    .await
    .unwrap();
    s.click("[data-testid=modal-submit]").await;
    s.wait_text(
        "the too-long field refused",
        "[data-testid=modal-error]",
        "must be 4 or fewer in length",
    )
    .await;
    let still_open = s
        .js(
            "return !!document.querySelector('[data-testid=modal]');",
            json!([]),
        )
        .await
        .unwrap();
    assert_eq!(
        still_open,
        json!(true),
        "the modal stays open to fix the field"
    );
    s.click("[data-testid=modal-cancel]").await;
    let submits_after = w
        .sim
        .calls()
        .iter()
        .filter(|c| c.route.contains("/callback"))
        .count();
    assert_eq!(
        submits_after, submits_before,
        "the bot answered a submit the simulator should have refused"
    );
    let cap: Option<i32> = sqlx::query_scalar("SELECT raider_cap FROM run WHERE run_id = $1")
        .bind(run_id.parse::<i64>().unwrap())
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(cap, None, "the refused modal changed the run");

    act_as(&s, w.raiders[0]).await;
    s.wait_for(
        "the panel for the raider again",
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

/// The member of the page's "act as" list whose name starts with `name`.
async fn member_named(s: &Session, name: &str) -> String {
    let id = s
        .js(
            "for (const o of document.getElementById('act-as').options) {
               if (o.textContent.trim().startsWith(arguments[0])) return o.value;
             }
             return null;",
            json!([name]),
        )
        .await
        .unwrap();
    match id.as_str() {
        Some(id) => id.to_owned(),
        None => fail(s, &format!("{name} is not in the member switcher")).await,
    }
}

/// `raidbot sandbox` as a person first meets it: the seeded "Raid Sandbox", where the
/// newcomer verifies through RealmEye with nothing but the page — the panel's button, the
/// DM conversation, and the RealmEye pane to put the code in their description.
#[tokio::test]
async fn a_newcomer_verifies_through_realmeye_in_the_seeded_sandbox() {
    let db = store::testing::TestDb::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let sandbox = raidbot::sandbox::start(db.pool.clone(), listener, None, shutdown.clone())
        .await
        .expect("the sandbox starts");
    let driver = Driver::start().await;
    let s = driver.session().await;
    s.goto(&format!("{}/", sandbox.url)).await;
    s.wait_for(
        "the page ready",
        "return document.body.dataset.ready === 'true';",
        json!([]),
    )
    .await;
    s.wait_text(
        "the seeded server",
        "[data-testid=guild-name]",
        "Raid Sandbox",
    )
    .await;
    doc_shot(&s, "", "sandbox.png").await;

    let newcomer = member_named(&s, raidbot::sandbox::seed::NEWCOMER).await;
    act_as(&s, &newcomer).await;
    s.click("[data-testid=channel][data-channel-name=\"get-verified\"]")
        .await;
    s.click("[data-testid=button][data-label=\"Get verified\"]")
        .await;
    wait_ephemeral(&s, "the answer to Get verified", "direct message").await;

    // The conversation in DMs: the name, then the code.
    s.click("[data-testid=channel-dm]").await;
    s.wait_text(
        "the bot's first DM",
        "[data-testid=message] [data-testid=content]",
        "Let's verify you",
    )
    .await;
    s.type_into("[data-testid=composer]", "Newblade\u{E007}")
        .await;
    s.wait_text(
        "the code in a DM",
        "[data-testid=message] [data-testid=content]",
        "RAID-",
    )
    .await;
    let user = discord_sim::UserId(newcomer.parse().unwrap());
    let code_dm = sandbox
        .sim
        .dms(user)
        .into_iter()
        .find(|m| m.content.contains("RAID-"))
        .unwrap();
    let at = code_dm.content.find("RAID-").unwrap();
    let code = code_dm.content[at..at + 11].to_owned();

    // The code goes into the RealmEye page's description, from the RealmEye pane.
    s.click("[data-testid=tab-realmeye]").await;
    let lines = "[data-testid=realmeye-lines][data-ign=\"Newblade\"]";
    s.wait_for(
        "Newblade's RealmEye page",
        "return !!document.querySelector(arguments[0]);",
        json!([lines]),
    )
    .await;
    s.js(
        "document.querySelector(arguments[0]).value = ''; return true;",
        json!([lines]),
    )
    .await
    .unwrap();
    s.type_into(lines, &format!("raiding since today {code}"))
        .await;
    s.click("[data-testid=realmeye-player][data-ign=\"Newblade\"] [data-testid=realmeye-save]")
        .await;
    s.wait_text(
        "the page saved",
        "[data-testid=realmeye-player][data-ign=\"Newblade\"]",
        "Saved.",
    )
    .await;

    // Done, in the DM with the code: verified, with the raider role and the name.
    s.click(&in_message(
        code_dm.id,
        "[data-testid=button][data-label=\"Done\"]",
    ))
    .await;
    s.wait_text(
        "the bot's answer to Done",
        "[data-testid=message] [data-testid=content]",
        "you are verified as",
    )
    .await;
    let verified_role = sandbox
        .sim
        .roles(sandbox.guild)
        .into_iter()
        .find(|r| r.name == "Verified Raider")
        .expect("the seeded raider role");
    let ok = sandbox
        .sim
        .eventually(std::time::Duration::from_secs(10), || {
            sandbox
                .sim
                .member(sandbox.guild, user)
                .filter(|m| {
                    m.roles.contains(&verified_role.id) && m.nick.as_deref() == Some("Newblade")
                })
                .map(|_| ())
        })
        .await;
    if ok.is_none() {
        fail(&s, "Newblade did not get the raider role and the name").await;
    }
    s.quit().await;
    shutdown.cancel();
    sandbox.stopped().await.unwrap();
}
