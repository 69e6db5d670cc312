//! The web dashboard in headless Chromium: people log in through the simulated Discord's
//! consent page (the real bot connected to it mapped the roles with `/setroles`), and see
//! what their current roles allow. A raider opening a member's punishments reads a 403
//! page; security reads them; an administrator publishes the leaderboard and a visitor
//! with no login sees only that; a changed session cookie and a changed CSRF token are
//! refused. Every check waits for the page with a deadline (screenshots of failures in
//! `target/browser-failures/`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "e2e/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "browser/webdriver.rs"]
#[allow(dead_code)]
mod webdriver;

use discord_sim::{CommandOption, UserId};
use domain::Snowflake;
use serde_json::json;

use harness::World;
use webdriver::{Driver, Session};

fn snowflake(id: impl ToString) -> Snowflake {
    Snowflake::parse(&id.to_string()).unwrap()
}

/// The world with a Security role mapped by the administrator's `/setroles`, and a
/// security member; returns the security member.
async fn with_security(w: &World) -> UserId {
    let role = w.sim.create_role(w.guild, "Security", 0, 3);
    let sec = w.sim.create_user("warden");
    w.sim.add_member(w.guild, sec, &[role, w.raider_role]);
    let res = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "setroles",
            vec![CommandOption::role("security", role)],
        )
        .await;
    assert!(res.is_ok(), "{:?}", res.kind);
    sec
}

/// Serves the dashboard for the world's simulator on a free loopback port.
async fn serve(w: &World) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (api_base, authorize_url) = web::WebConfig::discord_urls(Some(&w.sim.http_proxy_addr()));
    let config = web::WebConfig {
        client_id: w.sim.application_id().to_string(),
        client_secret: w.sim.oauth_client_secret().to_owned(),
        public_url: url.clone(),
        api_base,
        authorize_url,
        bot_token: w.sim.bot_token().to_owned(),
    };
    let app = web::router(web::WebState::new(w.db.pool.clone(), config));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

/// The HTTP status of the page the browser shows.
async fn status(s: &Session) -> u64 {
    s.wait_for(
        "the page's status",
        "const n = performance.getEntriesByType('navigation')[0]; \
         return document.readyState === 'complete' && n && n.responseStatus ? n.responseStatus : null;",
        json!([]),
    )
    .await
    .as_u64()
    .unwrap()
}

/// From the dashboard's front page: Log in with Discord, pick `user` on the consent page,
/// Authorize, and land on the server list.
async fn log_in(s: &Session, url: &str, user: UserId) {
    s.goto(&format!("{url}/")).await;
    s.click("a.button[href=\"/login\"]").await;
    s.click(&format!("input[name=user_id][value=\"{user}\"]"))
        .await;
    s.click("[data-testid=oauth-authorize]").await;
    s.wait_text("the server list", "ul.servers a", "Raid Community")
        .await;
}

async fn log_out(s: &Session, url: &str) {
    s.goto(&format!("{url}/")).await;
    s.click("form[action=\"/logout\"] button").await;
    s.wait_text("the front page", "a.button", "Log in with Discord")
        .await;
}

#[tokio::test]
async fn a_raider_gets_a_403_on_punishments_and_security_reads_them() {
    let w = World::new(1).await;
    w.configure().await;
    let sec = with_security(&w).await;
    let raider = w.raiders[0];
    {
        let mut conn = w.db.pool.acquire().await.unwrap();
        store::punishments::insert(
            &mut conn,
            &store::punishments::NewPunishment {
                guild_id: snowflake(w.guild),
                kind: domain::moderation::PunishmentKind::Warn,
                user_id: snowflake(raider),
                actor_id: Some(snowflake(sec)),
                actor: "warden".to_owned(),
                reason: "afk in the boss room".to_owned(),
                delete_days: None,
                minutes: None,
                actor_level: None,
                batch_key: None,
            },
        )
        .await
        .unwrap();
    }
    let url = serve(&w).await;
    let driver = Driver::start().await;
    let s = driver.session().await;

    log_in(&s, &url, raider).await;
    s.click("ul.servers a").await;
    s.wait_text("the server's overview", "h2", "Runs now").await;
    s.click(&format!("nav.crumbs a[href$=\"/members/{raider}\"]"))
        .await;
    s.wait_text("the raider's own page", "h2", "Quota").await;
    s.wait_text("their stats", "dt", "Raider points").await;
    let links = s
        .js(
            "return [...document.querySelectorAll('a')].map(a => a.textContent).join('|');",
            json!([]),
        )
        .await
        .unwrap();
    assert!(
        !links.as_str().unwrap().contains("Punishments"),
        "no history link for a raider: {links}"
    );
    s.goto(&format!("{url}/g/{}/members/{sec}/punishments", w.guild))
        .await;
    s.wait_text("the refusal", ".notice", "You need the Security role")
        .await;
    assert_eq!(status(&s).await, 403);
    log_out(&s, &url).await;

    log_in(&s, &url, sec).await;
    s.goto(&format!("{url}/g/{}/members/{raider}", w.guild))
        .await;
    s.click("a[href$=\"/punishments\"]").await;
    s.wait_text("the raider's warning", "td", "afk in the boss room")
        .await;
    assert_eq!(status(&s).await, 200);
    s.wait_text("the count", "h2", "Punishments (1)").await;
    s.quit().await;
}

#[tokio::test]
async fn an_administrator_publishes_the_leaderboard_and_a_visitor_sees_only_that() {
    let w = World::new(2).await;
    w.configure().await;
    let g = snowflake(w.guild);
    let admin = service::Actor::member(snowflake(w.admin), domain::Level::ADMINISTRATOR);
    for (raider, points) in w.raiders.iter().zip(["4", "7"]) {
        service::quota::adjust(
            &w.db.pool,
            g,
            &admin,
            snowflake(raider),
            domain::quota::Currency::Raider,
            points,
            "seed",
        )
        .await
        .unwrap();
    }
    service::quota::fold_pending(&w.db.pool).await.unwrap();
    let url = serve(&w).await;
    let driver = Driver::start().await;
    let s = driver.session().await;
    let public = format!("{url}/public/{}/leaderboard?period=all", w.guild);
    s.goto(&public).await;
    s.wait_text("not published yet", ".notice", "does not publish")
        .await;
    assert_eq!(status(&s).await, 404);

    log_in(&s, &url, w.admin).await;
    s.goto(&format!("{url}/g/{}/settings", w.guild)).await;
    s.click("input[name=enabled]").await;
    s.click("input[name=metric][value=raider_points]").await;
    // A CSRF token changed in the page: refused, nothing saved.
    s.js(
        "document.querySelector('form[action$=\"public-leaderboard\"] input[name=csrf]').value = 'f'.repeat(64); return true;",
        json!([]),
    )
    .await
    .unwrap();
    s.click("form[action$=\"public-leaderboard\"] button").await;
    s.wait_text("the refusal", ".notice", "did not come from this page")
        .await;
    assert_eq!(status(&s).await, 403);
    s.goto(&public).await;
    s.wait_text("still not published", ".notice", "does not publish")
        .await;

    s.goto(&format!("{url}/g/{}/settings", w.guild)).await;
    s.click("input[name=enabled]").await;
    s.click("input[name=metric][value=raider_points]").await;
    s.click("form[action$=\"public-leaderboard\"] button").await;
    s.wait_text("saved", ".saved", "Public leaderboard saved")
        .await;
    s.wait_for(
        "the saved setting",
        "return document.querySelector('input[name=enabled]')?.checked && \
                document.querySelector('input[name=metric][value=raider_points]')?.checked;",
        json!([]),
    )
    .await;

    // A changed session cookie: refused, and asked to log in again.
    let cookie = s.cookie("raidbot_session").await.expect("a session cookie");
    let flipped = if cookie.starts_with('a') { "b" } else { "a" };
    s.set_cookie("raidbot_session", &format!("{flipped}{}", &cookie[1..]))
        .await;
    s.goto(&format!("{url}/g/{}/settings", w.guild)).await;
    s.wait_text("the refusal", ".notice", "session cookie is not valid")
        .await;
    assert_eq!(status(&s).await, 401);

    // A visitor with no login reads the published board: ranks and points, no names, no
    // other category.
    s.goto(&public).await;
    s.wait_text("the public board", "caption", "Raider points")
        .await;
    assert_eq!(status(&s).await, 200);
    let text = s
        .js(
            "return document.querySelector('main').textContent;",
            json!([]),
        )
        .await
        .unwrap();
    let text = text.as_str().unwrap();
    assert!(
        text.contains("#1") && text.contains("#2") && text.contains('7'),
        "{text}"
    );
    assert!(
        !text.contains("Quota points") && !text.contains("raider0"),
        "{text}"
    );
    s.quit().await;
}

#[tokio::test]
async fn an_administrator_changes_settings_and_the_bot_posts_them_in_bot_log() {
    let w = World::new(1).await;
    w.configure().await;
    let bot_log = w
        .sim
        .create_channel(w.guild, "bot-log", discord_sim::model::ChannelKind::Text);
    let url = serve(&w).await;
    let driver = Driver::start().await;
    let s = driver.session().await;

    // A raider: the settings page is refused with a 403 page saying why.
    log_in(&s, &url, w.raiders[0]).await;
    s.goto(&format!("{url}/g/{}/settings", w.guild)).await;
    s.wait_text("the refusal", ".notice", "Administrator").await;
    assert_eq!(status(&s).await, 403);
    log_out(&s, &url).await;

    log_in(&s, &url, w.admin).await;
    s.click("ul.servers a").await;
    s.wait_text("the overview", "h2", "Runs now (0)").await;
    // A run posted on Discord shows up on the open overview without a reload (the page's
    // script refreshes the list every 20 s).
    s.js("window.notReloaded = true; return true;", json!([]))
        .await
        .unwrap();
    w.open_run("shatters").await;
    s.wait_text("the new run, live", "#live li", "Shatters")
        .await;
    s.wait_text("its count", "#live h2", "Runs now (1)").await;
    assert_eq!(
        s.js("return window.notReloaded === true;", json!([]))
            .await
            .unwrap(),
        json!(true),
        "refreshed in place"
    );
    s.click("nav.crumbs a[href$=\"/settings\"]").await;
    s.wait_text("the settings page", "h2", "Channels").await;
    // Picks the bot_log channel as a person would: the select, then the option.
    s.click("select[name=\"channel.bot_log\"]").await;
    s.click(&format!(
        "select[name=\"channel.bot_log\"] option[value=\"{bot_log}\"]"
    ))
    .await;
    s.click("form[action$=\"/settings/channels\"] button").await;
    s.wait_text("saved", ".saved", "Channels saved").await;
    assert_eq!(status(&s).await, 200);

    // Auto-end: typed and saved.
    s.js(
        "document.querySelector('input[name=auto_end]').value = ''; return true;",
        json!([]),
    )
    .await
    .unwrap();
    s.type_into("input[name=auto_end]", "45").await;
    s.click("form[action$=\"/settings/runs\"] button").await;
    s.wait_text("saved", ".saved", "Auto-end saved").await;
    s.wait_for(
        "the new value in the form",
        "return document.querySelector('input[name=auto_end]').value === '45';",
        json!([]),
    )
    .await;
    s.quit().await;

    // The Discord side follows: both changes are posted in bot_log, once each.
    w.settle().await;
    assert_eq!(
        w.count_embeds(bot_log, "Channel mapping changed"),
        1,
        "{:?}",
        w.titles(bot_log)
    );
    assert_eq!(
        w.count_embeds(bot_log, "Run length changed"),
        1,
        "{:?}",
        w.titles(bot_log)
    );
    let minutes = service::config::run_auto_end(
        &w.db.pool,
        snowflake(w.guild),
        &service::Actor::member(snowflake(w.admin), domain::Level::ADMINISTRATOR),
        None,
    )
    .await
    .unwrap();
    assert_eq!(minutes, (45, 45));
}

#[tokio::test]
async fn an_administrator_changes_verification_and_discord_follows_and_a_raider_gets_a_403_on_a_history()
 {
    let w = World::new(1).await;
    w.configure().await;
    let sec = with_security(&w).await;
    let getverified = w.sim.create_channel(
        w.guild,
        "get-verified",
        discord_sim::model::ChannelKind::Text,
    );
    let bot_log = w
        .sim
        .create_channel(w.guild, "bot-log", discord_sim::model::ChannelKind::Text);
    let res = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "setchannels",
            vec![
                CommandOption::channel("getverified", getverified),
                CommandOption::channel("bot_log", bot_log),
            ],
        )
        .await;
    assert!(res.is_ok(), "{:?}", res.kind);
    let url = serve(&w).await;
    let driver = Driver::start().await;
    let s = driver.session().await;

    // A raider opening another member's verification history reads why they may not.
    let raider = w.raiders[0];
    log_in(&s, &url, raider).await;
    s.goto(&format!("{url}/g/{}/members/{sec}/verification", w.guild))
        .await;
    s.wait_text("the refusal", ".notice", "You need the Security role")
        .await;
    assert_eq!(status(&s).await, 403);
    log_out(&s, &url).await;

    // The administrator: screenshot review off, new panel text, the panel posted.
    log_in(&s, &url, w.admin).await;
    s.goto(&format!("{url}/g/{}/settings", w.guild)).await;
    s.wait_text("the settings page", "h2", "Verification").await;
    s.click("input[name=screenshot]").await;
    s.click("textarea[name=panel_message]").await;
    s.type_into(
        "textarea[name=panel_message]",
        "Read the rules in #rules before you verify.",
    )
    .await;
    s.wait_for(
        "the panel box ticked",
        "return document.querySelector('input[name=post_panel]')?.checked === true;",
        json!([]),
    )
    .await;
    s.click("form[action$=\"/settings/verification\"] button")
        .await;
    s.wait_text("saved", ".saved", "Verification saved").await;
    assert_eq!(status(&s).await, 200);
    s.wait_for(
        "the saved methods in the form",
        "return document.querySelector('input[name=realmeye]').checked && \
                !document.querySelector('input[name=screenshot]').checked;",
        json!([]),
    )
    .await;
    s.quit().await;

    // Discord follows: the get-verified panel with the new text and only RealmEye, and one
    // bot_log entry.
    w.settle().await;
    let panels: Vec<String> = w
        .sim
        .messages(getverified)
        .iter()
        .filter_map(|m| m.embeds.first().map(ToString::to_string))
        .collect();
    assert_eq!(panels.len(), 1, "{panels:?}");
    assert!(
        panels[0].contains("Read the rules in #rules before you verify.")
            && panels[0].contains("Method: RealmEye (automatic).")
            && !panels[0].contains("reviewed by staff"),
        "{panels:?}"
    );
    assert_eq!(
        w.count_embeds(bot_log, "Verification settings changed"),
        1,
        "{:?}",
        w.titles(bot_log)
    );
    let c = service::verification::config(&w.db.pool, snowflake(w.guild))
        .await
        .unwrap();
    assert!(c.realmeye_enabled && !c.screenshot_enabled);
}
