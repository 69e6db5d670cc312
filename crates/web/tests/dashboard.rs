//! The dashboard over HTTP (a browser drives the same pages in
//! `crates/raidbot/tests/browser.rs`), logged in through the simulated Discord exactly as a browser
//! does (consent page, redirect, callback), on a fresh PostgreSQL database per test:
//! who sees what from their current roles, the session cookie's signature, CSRF and
//! origin checks, expiry and revocation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use discord_sim::{DiscordSim, GuildId, RoleId, UserId};
use domain::{RoleKey, Snowflake};
use reqwest::StatusCode;
use sha2::Digest;
use store::testing::TestDb;
use web::{WebConfig, WebState};

struct World {
    sim: DiscordSim,
    /// The dashboard's state (its Discord client counts requests).
    state: WebState,
    db: TestDb,
    base: String,
    http: reqwest::Client,
    guild: GuildId,
    raider_role: RoleId,
    raider: UserId,
    security: UserId,
    admin: UserId,
}

fn snowflake(id: impl ToString) -> Snowflake {
    Snowflake::parse(&id.to_string()).unwrap()
}

async fn world() -> World {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = DiscordSim::start().await;
    let owner = sim.create_user("owner");
    let guild = sim.create_guild("Raid Community", owner);
    let raider_role = sim.create_role(guild, "Verified Raider", 0, 1);
    let security_role = sim.create_role(guild, "Security", 0, 2);
    let raider = sim.create_user("rita");
    sim.add_member(guild, raider, &[raider_role]);
    let security = sim.create_user("sam");
    sim.add_member(guild, security, &[raider_role, security_role]);
    let admins = sim.create_role(guild, "Admins", discord_sim::model::perms::ADMINISTRATOR, 3);
    let admin = sim.create_user("ada");
    sim.add_member(guild, admin, &[admins]);
    let elsewhere = sim.create_guild("Not raidbot's", owner);
    sim.add_member(elsewhere, raider, &[]);

    let db = TestDb::new().await;
    {
        let mut conn = db.pool.acquire().await.unwrap();
        let g = snowflake(guild);
        store::guild_config::ensure_guild(&mut conn, g)
            .await
            .unwrap();
        for (key, role) in [
            (RoleKey::VerifiedRaider, raider_role),
            (RoleKey::Security, security_role),
        ] {
            store::guild_config::set_role(&mut conn, g, key, Some(snowflake(role)))
                .await
                .unwrap();
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (api_base, authorize_url) = WebConfig::discord_urls(Some(&sim.http_proxy_addr()));
    let config = WebConfig {
        client_id: sim.application_id().to_string(),
        client_secret: sim.oauth_client_secret().to_owned(),
        public_url: base.clone(),
        api_base,
        authorize_url,
        bot_token: sim.bot_token().to_owned(),
    };
    let state = WebState::new(db.pool.clone(), config);
    let app = web::router(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    World {
        sim,
        state,
        db,
        base,
        http,
        guild,
        raider_role,
        raider,
        security,
        admin,
    }
}

/// The value a response sets for cookie `name`.
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let first = v.split(';').next()?;
            let (k, val) = first.split_once('=')?;
            (k == name).then(|| val.to_owned())
        })
}

fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// A login as far as Discord's redirect back: (the login cookie, the callback URL).
async fn consent(w: &World, user: UserId) -> (String, String) {
    let res = w
        .http
        .get(format!("{}/login", w.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let login_cookie = set_cookie(&res, "raidbot_login").expect("a login cookie");
    let to = reqwest::Url::parse(&location(&res)).unwrap();
    let q: Vec<(String, String)> = to
        .query_pairs()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(get("scope").as_deref(), Some("identify guilds"));
    assert_eq!(get("code_challenge_method").as_deref(), Some("S256"));
    assert!(get("state").is_some_and(|s| s.len() >= 32));
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.extend_pairs(&q);
    form.append_pair("user_id", &user.to_string());
    form.append_pair("decision", "authorize");
    let res = w
        .http
        .post(w.sim.oauth_authorize_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.finish())
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    let back = location(&res);
    assert!(
        back.starts_with(&format!("{}/auth/callback?", w.base)),
        "{back}"
    );
    (login_cookie, back)
}

/// Logs `user` in; returns the session cookie's value.
async fn login(w: &World, user: UserId) -> String {
    let (login_cookie, back) = consent(w, user).await;
    let res = w
        .http
        .get(&back)
        .header("cookie", format!("raidbot_login={login_cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    let session = set_cookie(&res, "raidbot_session").expect("a session cookie");
    let raw = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("raidbot_session="))
        .unwrap();
    assert!(
        raw.contains("HttpOnly") && raw.contains("SameSite=Lax"),
        "{raw}"
    );
    assert!(!raw.contains("Secure"), "not Secure over plain http: {raw}");
    session
}

async fn get(w: &World, path: &str, session: &str) -> (StatusCode, String) {
    let res = w
        .http
        .get(format!("{}{path}", w.base))
        .header("cookie", format!("raidbot_session={session}"))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body = if status.is_redirection() {
        location(&res)
    } else {
        res.text().await.unwrap()
    };
    (status, body)
}

async fn post(
    w: &World,
    path: &str,
    session: &str,
    origin: Option<&str>,
    body: String,
) -> StatusCode {
    let mut req = w
        .http
        .post(format!("{}{path}", w.base))
        .header("cookie", format!("raidbot_session={session}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    req.send().await.unwrap().status()
}

/// [`post`] with an Origin, answering the status and the page.
async fn post_read(
    w: &World,
    path: &str,
    session: &str,
    origin: &str,
    body: String,
) -> (StatusCode, String) {
    let res = w
        .http
        .post(format!("{}{path}", w.base))
        .header("cookie", format!("raidbot_session={session}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", origin)
        .body(body)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

fn csrf_of(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("a log-out form") + 19;
    html[start..start + 64].to_owned()
}

#[tokio::test]
async fn a_raider_sees_their_servers_and_page_and_a_403_on_punishments() {
    let w = world().await;
    let session = login(&w, w.raider).await;
    let (status, home) = get(&w, "/", &session).await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("Raid Community"), "{home}");
    assert!(
        !home.contains("Not raidbot&#39;s"),
        "only servers raidbot serves: {home}"
    );
    assert!(
        home.contains("Logged in as <strong>rita</strong>"),
        "{home}"
    );

    let (status, overview) = get(&w, &format!("/g/{}", w.guild), &session).await;
    assert_eq!(status, StatusCode::OK, "{overview}");
    let to = format!("/g/{}/members/{}", w.guild, w.raider);
    assert!(
        overview.contains(&format!("href=\"{to}\">My page</a>")),
        "{overview}"
    );
    let (status, page) = get(&w, &to, &session).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Quota") && page.contains("Raider points"),
        "{page}"
    );
    assert!(
        !page.contains("Punishments and notes"),
        "no history link for a raider"
    );

    let path = format!("/g/{}/members/{}/punishments", w.guild, w.security);
    let (status, page) = get(&w, &path, &session).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("You need the Security role"), "{page}");
}

#[tokio::test]
async fn security_reads_a_members_punishments_until_the_role_is_taken_away() {
    let w = world().await;
    {
        let mut conn = w.db.pool.acquire().await.unwrap();
        store::punishments::insert(
            &mut conn,
            &store::punishments::NewPunishment {
                guild_id: snowflake(w.guild),
                kind: domain::moderation::PunishmentKind::Warn,
                user_id: snowflake(w.raider),
                actor_id: Some(snowflake(w.security)),
                actor: "sam".to_owned(),
                reason: "left the run <early>".to_owned(),
                delete_days: None,
                minutes: None,
                actor_level: None,
                batch_key: None,
            },
        )
        .await
        .unwrap();
    }
    let session = login(&w, w.security).await;
    let member = format!("/g/{}/members/{}", w.guild, w.raider);
    let (status, page) = get(&w, &member, &session).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Punishments and notes"), "{page}");
    let (status, page) = get(&w, &format!("{member}/punishments"), &session).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("left the run &lt;early&gt;"),
        "escaped: {page}"
    );
    assert!(page.contains("Punishments (1)"), "{page}");

    // The role is taken away on Discord: the very next page knows.
    w.sim
        .set_member_roles(w.guild, w.security, &[w.raider_role]);
    let (status, _) = get(&w, &format!("{member}/punishments"), &session).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_tampered_or_forged_session_cookie_is_refused() {
    let w = world().await;
    let session = login(&w, w.raider).await;
    let page = format!("/g/{}/members/{}", w.guild, w.raider);
    assert_eq!(get(&w, &page, &session).await.0, StatusCode::OK);

    // One character of the id changed: the signature no longer matches.
    let mut tampered = session.clone().into_bytes();
    tampered[0] = if tampered[0] == b'a' { b'b' } else { b'a' };
    let tampered = String::from_utf8(tampered).unwrap();
    let (status, body) = get(&w, &page, &tampered).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("not valid"), "{body}");
    // An unsigned id, and a cookie signed with another key.
    let (id, _) = session.split_once('.').unwrap();
    assert_eq!(get(&w, &page, id).await.0, StatusCode::UNAUTHORIZED);
    let forged = format!("{id}.{}", hex::encode([7u8; 32]));
    assert_eq!(get(&w, &page, &forged).await.0, StatusCode::UNAUTHORIZED);
    // No cookie at all: log in first.
    let res = w
        .http
        .get(format!("{}{page}", w.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await.unwrap().contains("Log in with Discord"));

    // The id is stored only hashed.
    let by_id: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM web_session WHERE encode(session_hash, 'hex') = $1",
    )
    .bind(id)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    let by_hash: i64 =
        sqlx::query_scalar("SELECT count(*) FROM web_session WHERE session_hash = $1")
            .bind(sha2::Sha256::digest(id.as_bytes()).to_vec())
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
    assert_eq!((by_id, by_hash), (0, 1));
}

#[tokio::test]
async fn logging_out_needs_the_csrf_token_and_the_dashboards_origin() {
    let w = world().await;
    let session = login(&w, w.raider).await;
    let (_, home) = get(&w, "/", &session).await;
    let csrf = csrf_of(&home);
    let origin = w.base.clone();

    let wrong = format!("csrf={}", "0".repeat(64));
    assert_eq!(
        post(&w, "/logout", &session, Some(&origin), wrong).await,
        StatusCode::FORBIDDEN
    );
    let none = String::new();
    assert_eq!(
        post(&w, "/logout", &session, Some(&origin), none).await,
        StatusCode::FORBIDDEN
    );
    let right = format!("csrf={csrf}");
    let evil = Some("http://evil.example");
    assert_eq!(
        post(&w, "/logout", &session, evil, right.clone()).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(&w, "/logout", &session, None, right.clone()).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&w, "/", &session).await.0,
        StatusCode::OK,
        "still logged in"
    );

    assert_eq!(
        post(&w, "/logout", &session, Some(&origin), right).await,
        StatusCode::SEE_OTHER
    );
    let (status, body) = get(&w, "/", &session).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "logged out: {body}");
}

#[tokio::test]
async fn sessions_end_when_they_expire_or_are_revoked() {
    let w = world().await;
    let rita = login(&w, w.raider).await;
    let rita_again = login(&w, w.raider).await;
    let sam = login(&w, w.security).await;
    for s in [&rita, &rita_again, &sam] {
        assert_eq!(get(&w, "/", s).await.0, StatusCode::OK);
    }
    // `raidbot sessions revoke --user`: every session of that person, no one else's.
    let ended = service::web_sessions::revoke_all(&w.db.pool, Some(snowflake(w.raider)))
        .await
        .unwrap();
    assert_eq!(ended, 2);
    assert_eq!(get(&w, "/", &rita).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&w, "/", &rita_again).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&w, "/", &sam).await.0, StatusCode::OK);

    // Time passes beyond the session's end.
    sqlx::query(
        "UPDATE web_session SET expires_at = now() - interval '1 second' WHERE user_id = $1",
    )
    .bind(snowflake(w.security).db())
    .execute(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(get(&w, "/", &sam).await.0, StatusCode::UNAUTHORIZED);

    // `--all`.
    let sam = login(&w, w.security).await;
    assert_eq!(get(&w, "/", &sam).await.0, StatusCode::OK);
    assert_eq!(
        service::web_sessions::revoke_all(&w.db.pool, None)
            .await
            .unwrap(),
        1
    );
    assert_eq!(get(&w, "/", &sam).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_login_finishes_only_once_and_only_in_the_browser_that_started_it() {
    let w = world().await;
    // Discord's redirect opened in another browser (no login cookie): refused.
    let (login_cookie, back) = consent(&w, w.raider).await;
    let res = w.http.get(&back).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(set_cookie(&res, "raidbot_session").is_none());
    // Another login's cookie does not fit either.
    let (other_cookie, _) = consent(&w, w.raider).await;
    let res = w
        .http
        .get(&back)
        .header("cookie", format!("raidbot_login={other_cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // The right browser: logged in; the same answer again: refused.
    let res = w
        .http
        .get(&back)
        .header("cookie", format!("raidbot_login={login_cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = w
        .http
        .get(&back)
        .header("cookie", format!("raidbot_login={login_cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

/// `user` is verified in the world's guild with `ign` as their main name.
async fn verified_member(w: &World, user: UserId, ign: &str) {
    let (g, u) = (snowflake(w.guild).db(), snowflake(user).db());
    sqlx::query(
        "INSERT INTO member (guild_id, user_id, ign, status) VALUES ($1, $2, $3, 'verified')",
    )
    .bind(g)
    .bind(u)
    .bind(ign)
    .execute(&w.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO member_ign (guild_id, ign_key, ign, user_id, is_main) VALUES ($1, lower($2), $2, $3, true)",
    )
    .bind(g)
    .bind(ign)
    .bind(u)
    .execute(&w.db.pool)
    .await
    .unwrap();
}

/// Rita (IGN "Rita") and Sam (IGN "Samwise") with raider points; Sam ahead.
async fn seed_points(w: &World) {
    let g = snowflake(w.guild);
    for (user, ign, points) in [(w.raider, "Rita", "3"), (w.security, "Samwise", "5")] {
        let u = snowflake(user);
        verified_member(w, user, ign).await;
        let officer = service::Actor::member(snowflake(w.admin), domain::Level::ADMINISTRATOR);
        service::quota::adjust(
            &w.db.pool,
            g,
            &officer,
            u,
            domain::quota::Currency::Raider,
            points,
            "seed",
        )
        .await
        .unwrap();
    }
    service::quota::fold_pending(&w.db.pool).await.unwrap();
}

#[tokio::test]
async fn the_leaderboard_pages_through_every_category_and_finds_members_by_name() {
    let w = world().await;
    seed_points(&w).await;
    let session = login(&w, w.raider).await;
    let board = format!("/g/{}/leaderboard", w.guild);
    let (status, page) = get(
        &w,
        &format!("{board}?metric=raider_points&period=all"),
        &session,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let sam = page.find("Samwise").expect("Sam is listed");
    let rita = page.find(">Rita<").expect("Rita is listed");
    assert!(sam < rita, "best first: {page}");
    assert!(page.contains("Page 1 of 1 (2 members)"), "{page}");
    for metric in [
        "quota_points",
        "runs_organized",
        "runs_completed",
        "keys_popped",
    ] {
        for period in ["current", "last", "all"] {
            let path = format!("{board}?metric={metric}&period={period}&page=1");
            assert_eq!(get(&w, &path, &session).await.0, StatusCode::OK, "{path}");
        }
    }
    let (status, page) = get(&w, &format!("{board}?metric=nope"), &session).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("no such leaderboard category"), "{page}");
    assert_eq!(
        get(&w, &format!("{board}?page=0"), &session).await.0,
        StatusCode::BAD_REQUEST
    );

    let (status, page) = get(&w, &format!("{board}?q=sam"), &session).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains(&format!(
            "<a href=\"/g/{}/members/{}\">Samwise</a>",
            w.guild, w.security
        )),
        "{page}"
    );
    let (status, page) = get(&w, &format!("{board}?q=%3Cb%3E"), &session).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("1 to 10 letters") && !page.contains("<b>"),
        "{page}"
    );
}

#[tokio::test]
async fn an_administrator_publishes_the_leaderboard_and_the_public_page_shows_only_that() {
    let w = world().await;
    seed_points(&w).await;
    let public = format!("/public/{}/leaderboard", w.guild);
    let anonymous = w
        .http
        .get(format!("{}{public}", w.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        anonymous.status(),
        StatusCode::NOT_FOUND,
        "nothing published yet"
    );

    // A raider may not open the settings, nor post them.
    let rita = login(&w, w.raider).await;
    let settings = format!("/g/{}/settings", w.guild);
    assert_eq!(get(&w, &settings, &rita).await.0, StatusCode::FORBIDDEN);
    let (_, home) = get(&w, "/", &rita).await;
    let form = format!("csrf={}&enabled=on&metric=raider_points", csrf_of(&home));
    let save = format!("{settings}/public-leaderboard");
    assert_eq!(
        post(&w, &save, &rita, Some(&w.base), form).await,
        StatusCode::FORBIDDEN
    );

    let ada = login(&w, w.admin).await;
    let (status, page) = get(&w, &settings, &ada).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let csrf = csrf_of(&page);
    // A forged token changes nothing.
    let forged = format!("csrf={}&enabled=on&metric=raider_points", "f".repeat(64));
    assert_eq!(
        post(&w, &save, &ada, Some(&w.base), forged).await,
        StatusCode::FORBIDDEN
    );
    let anonymous = w
        .http
        .get(format!("{}{public}", w.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::NOT_FOUND);
    // Turning it on with no category is refused with the reason.
    let empty = format!("csrf={csrf}&enabled=on");
    assert_eq!(
        post(&w, &save, &ada, Some(&w.base), empty).await,
        StatusCode::BAD_REQUEST
    );

    let form = format!("csrf={csrf}&enabled=on&metric=raider_points");
    assert_eq!(
        post(&w, &save, &ada, Some(&w.base), form).await,
        StatusCode::SEE_OTHER
    );
    let audit: Vec<(String, serde_json::Value)> =
        sqlx::query_as("SELECT action, after FROM audit_log WHERE action = 'public_leaderboard'")
            .fetch_all(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].1["metrics"], serde_json::json!(["raider_points"]));

    let res = w
        .http
        .get(format!("{}{public}?period=all", w.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("#1") && page.contains("#2") && page.contains(">5<"),
        "{page}"
    );
    assert!(
        !page.contains("Samwise") && !page.contains("Rita"),
        "names not published: {page}"
    );
    assert!(
        !page.contains("Quota points"),
        "only the published category: {page}"
    );
    let other = w
        .http
        .get(format!("{}{public}?metric=quota_points", w.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        other.status(),
        StatusCode::NOT_FOUND,
        "an unpublished category"
    );

    let form = format!("csrf={csrf}&enabled=on&metric=raider_points&show_names=on");
    assert_eq!(
        post(&w, &save, &ada, Some(&w.base), form).await,
        StatusCode::SEE_OTHER
    );
    let page = w
        .http
        .get(format!("{}{public}?period=all", w.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Samwise") && page.contains("Rita"), "{page}");
}

#[tokio::test]
async fn run_history_filters_pages_and_exports_csv() {
    let w = world().await;
    let g = snowflake(w.guild).db();
    let sam = snowflake(w.security).db();
    let ada = snowflake(w.admin).db();
    // 55 ended snake pits by Sam (an hour each), 3 cancelled magic woods by Ada.
    sqlx::query(
        "INSERT INTO run (guild_id, organizer_id, dungeon_code, status, auto_end_at, created_at,
                          started_at, ended_at, close_reason)
         SELECT $1, $2, 'snake_pit', 'ended', now(), now() - interval '3 days',
                now() - interval '3 days', now() - interval '3 days' + interval '1 hour', 'organizer'
         FROM generate_series(1, 55)",
    )
    .bind(g)
    .bind(sam)
    .execute(&w.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO run (guild_id, organizer_id, dungeon_code, status, auto_end_at, cancelled_at,
                          close_reason, closed_by_label)
         SELECT $1, $2, 'magic_woods', 'cancelled', now(), now(), 'staff', '=cmd()'
         FROM generate_series(1, 3)",
    )
    .bind(g)
    .bind(ada)
    .execute(&w.db.pool)
    .await
    .unwrap();
    let session = login(&w, w.raider).await;
    let runs = format!("/g/{}/runs", w.guild);
    let row = format!("<tr><td><a href=\"{runs}/");
    let (status, page) = get(&w, &runs, &session).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page.matches(row.as_str()).count(), 50, "a page of 50");
    assert!(page.contains("Older runs"), "{page}");
    let (_, older) = get(&w, &format!("{runs}?before=9"), &session).await;
    assert_eq!(older.matches(row.as_str()).count(), 8);

    let (_, woods) = get(
        &w,
        &format!("{runs}?dungeon=magic_woods&status=cancelled"),
        &session,
    )
    .await;
    assert_eq!(woods.matches(row.as_str()).count(), 3, "{woods}");
    let (_, by_sam) = get(
        &w,
        &format!("{runs}?organizer={}&status=ended", w.security),
        &session,
    )
    .await;
    assert!(by_sam.contains("1h 00m"), "{by_sam}");
    let today = chrono::Utc::now().date_naive();
    let (_, recent) = get(&w, &format!("{runs}?from={today}&to={today}"), &session).await;
    assert_eq!(recent.matches(row.as_str()).count(), 3, "only today's runs");
    let (status, bad) = get(&w, &format!("{runs}?dungeon=nowhere"), &session).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("There is no dungeon"), "{bad}");
    let (status, _) = get(&w, &format!("{runs}?from=yesterday"), &session).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let res = w
        .http
        .get(format!("{}{runs}.csv?dungeon=magic_woods", w.base))
        .header("cookie", format!("raidbot_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "a header and 3 runs: {csv}");
    assert!(lines[0].starts_with("run_id,dungeon,organizer_id,status"));
    assert!(lines[1].contains(",cancelled,"), "{csv}");
    assert!(
        lines[1].ends_with(",'=cmd()"),
        "a formula is defused: {csv}"
    );
    let all = w
        .http
        .get(format!("{}{runs}.csv", w.base))
        .header("cookie", format!("raidbot_session={session}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(all.lines().count(), 59, "every run, past one page");
}

#[tokio::test]
async fn security_reads_modmail_tickets_and_transcripts_and_a_raider_gets_a_403() {
    let w = world().await;
    let g = snowflake(w.guild);
    let member = snowflake(w.raider);
    let opened =
        service::modmail::open_in_guild(&w.db.pool, g, member, "rita", "my <key> vanished")
            .await
            .unwrap();
    let service::modmail::DmOutcome::Opened { code, .. } = opened else {
        panic!("{opened:?}")
    };
    let staff = service::Actor::member(snowflake(w.security), RoleKey::Security.level().unwrap());
    let input = service::modmail::ReplyInput {
        text: Some("Found it."),
        snippet: None,
        anonymous: true,
    };
    service::modmail::reply_with(&w.db.pool, g, &staff, "sam", &code, &input, None)
        .await
        .unwrap();

    let session = login(&w, w.security).await;
    let page = format!("/g/{}/modmail/{code}", w.guild);
    let (status, html) = get(&w, &page, &session).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("my &lt;key&gt; vanished"), "escaped: {html}");
    assert!(html.contains("sam (sent as Staff)"), "{html}");
    let (status, html) = get(&w, &format!("/g/{}/modmail?status=open", w.guild), &session).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains(&code), "{html}");
    let (_, html) = get(&w, &format!("/g/{}/modmail?q=vanished", w.guild), &session).await;
    assert!(html.contains(&code), "search by words: {html}");
    let (_, html) = get(
        &w,
        &format!("/g/{}/modmail?q=nothing+like+it", w.guild),
        &session,
    )
    .await;
    assert!(
        !html.contains(&code) && html.contains("No tickets"),
        "{html}"
    );
    let (_, html) = get(
        &w,
        &format!("/g/{}/modmail?status=closed", w.guild),
        &session,
    )
    .await;
    assert!(!html.contains(&code), "{html}");

    let raider = login(&w, w.raider).await;
    let (status, html) = get(&w, &page, &raider).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("You need the Security role"), "{html}");
    assert!(!html.contains("vanished"));
}

/// A live run by Sam with Rita (Warrior) and Ada (Priest) joined and a removed raider,
/// two key pops; an ended run today by Ada with Rita in it; an open headcount. Returns the
/// live run's id and the ended run's id.
async fn seed_activity(w: &World) -> (i64, i64) {
    let g = snowflake(w.guild).db();
    let sam = snowflake(w.security).db();
    let ada = snowflake(w.admin).db();
    let rita = snowflake(w.raider).db();
    let live: i64 = sqlx::query_scalar(
        "INSERT INTO run (guild_id, organizer_id, dungeon_code, status, auto_end_at, started_at,
                          raider_cap)
         VALUES ($1, $2, 'shatters', 'live', now() + interval '1 hour',
                 now() - interval '25 minutes', 8) RETURNING run_id",
    )
    .bind(g)
    .bind(sam)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    for (user, class, state) in [
        (rita, "Warrior", "joined"),
        (ada, "Priest", "joined"),
        (4242, "Rogue", "removed"),
    ] {
        sqlx::query(
            "INSERT INTO run_participant (guild_id, run_id, user_id, state, class)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(g)
        .bind(live)
        .bind(user)
        .bind(state)
        .bind(class)
        .execute(&w.db.pool)
        .await
        .unwrap();
    }
    for (user, count, name) in [(rita, 1, None), (ada, 2, Some("Shatters key <b>"))] {
        sqlx::query(
            "INSERT INTO key_pop (guild_id, run_id, user_id, dungeon_code, count, key_name)
             VALUES ($1, $2, $3, 'shatters', $4, $5)",
        )
        .bind(g)
        .bind(live)
        .bind(user)
        .bind(count)
        .bind(name)
        .execute(&w.db.pool)
        .await
        .unwrap();
    }
    let ended: i64 = sqlx::query_scalar(
        "INSERT INTO run (guild_id, organizer_id, dungeon_code, status, auto_end_at, started_at,
                          ended_at, close_reason, closed_by)
         VALUES ($1, $2, 'snake_pit', 'ended', now(), now() - interval '90 minutes',
                 now() - interval '5 minutes', 'organizer', $2) RETURNING run_id",
    )
    .bind(g)
    .bind(ada)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO run_participant (guild_id, run_id, user_id, state, class)
         VALUES ($1, $2, $3, 'joined', 'Wizard')",
    )
    .bind(g)
    .bind(ended)
    .bind(rita)
    .execute(&w.db.pool)
    .await
    .unwrap();
    let hc: i64 = sqlx::query_scalar(
        "INSERT INTO headcount (guild_id, organizer_id, auto_end_at)
         VALUES ($1, $2, now() + interval '30 minutes') RETURNING headcount_id",
    )
    .bind(g)
    .bind(ada)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO headcount_dungeon (guild_id, headcount_id, position, dungeon_code)
         VALUES ($1, $2, 0, 'magic_woods')",
    )
    .bind(g)
    .bind(hc)
    .execute(&w.db.pool)
    .await
    .unwrap();
    for user in [rita, sam] {
        sqlx::query(
            "INSERT INTO headcount_reaction (guild_id, headcount_id, kind, code, user_id)
             VALUES ($1, $2, 'interest', 'magic_woods', $3)",
        )
        .bind(g)
        .bind(hc)
        .bind(user)
        .execute(&w.db.pool)
        .await
        .unwrap();
    }
    (live, ended)
}

#[tokio::test]
async fn the_overview_lists_runs_under_way_and_todays_figures_and_refreshes() {
    let w = world().await;
    let session = login(&w, w.raider).await;
    let overview = format!("/g/{}", w.guild);
    let (status, page) = get(&w, &overview, &session).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("No run is open right now."), "{page}");
    assert!(page.contains("No headcount is open."), "{page}");

    let (live, _) = seed_activity(&w).await;
    let (_, page) = get(&w, &overview, &session).await;
    assert!(page.contains("Runs now (1)"), "{page}");
    assert!(
        page.contains(&format!(
            "href=\"/g/{}/runs/{live}\">#{live} Shatters</a>",
            w.guild
        )),
        "{page}"
    );
    assert!(page.contains("2 of 8 raiders"), "{page}");
    assert!(page.contains("3 keys"), "{page}");
    assert!(page.contains("Headcounts now (1)"), "{page}");
    assert!(page.contains("2 interested"), "{page}");
    // Today: two runs posted, one completed with one raider, three keys.
    let today =
        &page[page.find("<h3>Today</h3>").unwrap()..page.find("<h3>This week</h3>").unwrap()];
    assert!(today.contains("<strong>2</strong> runs posted"), "{today}");
    assert!(
        today.contains("<strong>1</strong> runs completed"),
        "{today}"
    );
    assert!(
        today.contains("<strong>1</strong> raiders in completed runs"),
        "{today}"
    );
    assert!(today.contains("<strong>3</strong> keys popped"), "{today}");
    assert!(page.contains("data-live=") && page.contains("/assets/live.js"));

    // The part the script fetches says the same, without the page around it.
    let (status, part) = get(&w, &format!("{overview}/live"), &session).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        part.starts_with("<h2 id=\"runs-now\">Runs now (1)</h2>"),
        "{part}"
    );
    assert!(!part.contains("<html"), "{part}");
    sqlx::query("UPDATE run SET status = 'ended', ended_at = now(), close_reason = 'auto' WHERE run_id = $1")
        .bind(live)
        .execute(&w.db.pool)
        .await
        .unwrap();
    let (_, part) = get(&w, &format!("{overview}/live"), &session).await;
    assert!(part.contains("Runs now (0)"), "{part}");
    let res = w
        .http
        .get(format!("{}/assets/live.js", w.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("data-live"));

    // Someone without the raider role reads a 403 page.
    let stranger = w.sim.create_user("stan");
    w.sim.add_member(w.guild, stranger, &[]);
    let s2 = login(&w, stranger).await;
    let (status, page) = get(&w, &overview, &s2).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
}

#[tokio::test]
async fn a_runs_page_shows_its_roster_classes_key_pops_and_who_ended_it() {
    let w = world().await;
    let (live, ended) = seed_activity(&w).await;
    verified_member(&w, w.raider, "Rita").await;
    let session = login(&w, w.raider).await;
    let (status, page) = get(&w, &format!("/g/{}/runs/{live}", w.guild), &session).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains(&format!("Run #{live} · Shatters")), "{page}");
    assert!(page.contains("<strong>1</strong> Warrior"), "{page}");
    assert!(page.contains("<strong>1</strong> Priest"), "{page}");
    assert!(
        !page.contains("<strong>1</strong> Rogue"),
        "removed raiders are not counted"
    );
    assert!(page.contains("Roster (3)"), "{page}");
    assert!(page.contains("removed"), "{page}");
    assert!(page.contains("Key pops (2)"), "{page}");
    assert!(
        page.contains("Shatters key &lt;b&gt;"),
        "names are escaped: {page}"
    );
    assert!(
        ["0h 25m", "0h 26m"]
            .iter()
            .any(|d| page.contains(&format!("<dd>{d} so far</dd>"))),
        "a live run's duration so far: {page}"
    );
    assert!(
        page.contains(&format!(
            "href=\"/g/{}/members/{}\">Rita</a>",
            w.guild, w.raider
        )),
        "raiders by in-game name: {page}"
    );
    assert!(page.contains("<dd>2 of 8</dd>"), "{page}");

    let (_, page) = get(&w, &format!("/g/{}/runs/{ended}", w.guild), &session).await;
    assert!(page.contains("<dd>1h 25m</dd>"), "{page}");
    assert!(
        page.contains(&format!(
            "ended by <a href=\"/g/{}/members/{}\">",
            w.guild, w.admin
        )),
        "{page}"
    );
    assert!(page.contains("<strong>1</strong> Wizard"), "{page}");

    // Linked from the history.
    let (_, list) = get(&w, &format!("/g/{}/runs", w.guild), &session).await;
    assert!(
        list.contains(&format!("href=\"/g/{}/runs/{ended}\"", w.guild)),
        "{list}"
    );
    let (status, _) = get(&w, &format!("/g/{}/runs/999999", w.guild), &session).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&w, &format!("/g/{}/runs/abc", w.guild), &session).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_quota_page_shows_each_roles_progress_and_past_periods_to_staff_only() {
    let w = world().await;
    let g = snowflake(w.guild);
    let leaders = w.sim.create_role(w.guild, "Raid Leaders", 0, 4);
    let rl = snowflake(leaders);
    let admin = service::Actor::member(snowflake(w.admin), domain::Level::ADMINISTRATOR);
    service::quota::configure_quota_role(
        &w.db.pool,
        g,
        &admin,
        rl,
        Some(4),
        service::quota::QuotaChange::Required(domain::quota::Points(300)),
    )
    .await
    .unwrap();
    for (user, points) in [(w.security, "3"), (w.raider, "1")] {
        let mut conn = w.db.pool.acquire().await.unwrap();
        store::member_roles::sync_member_roles(&mut conn, g, snowflake(user), &[rl])
            .await
            .unwrap();
        service::quota::adjust(
            &w.db.pool,
            g,
            &admin,
            snowflake(user),
            domain::quota::Currency::Quota,
            points,
            "seed",
        )
        .await
        .unwrap();
    }
    // A finished week before the current period, in which Rita made 4 points.
    sqlx::query(
        "INSERT INTO point_period (guild_id, scope_id, starts_at, ends_at)
         SELECT guild_id, scope_id, starts_at - interval '7 days', starts_at FROM point_period
         WHERE guild_id = $1 AND scope_id = $2",
    )
    .bind(g.db())
    .bind(rl.db())
    .execute(&w.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO point_event (guild_id, member_id, currency, kind, amount, source, created_at)
         SELECT guild_id, $3, 'quota', 'adjustment', 400, 'adj:past', starts_at + interval '1 hour'
         FROM point_period WHERE guild_id = $1 AND scope_id = $2 ORDER BY starts_at LIMIT 1",
    )
    .bind(g.db())
    .bind(rl.db())
    .bind(snowflake(w.raider).db())
    .execute(&w.db.pool)
    .await
    .unwrap();

    let sam = login(&w, w.security).await;
    let quota = format!("/g/{}/quota", w.guild);
    let (status, page) = get(&w, &quota, &sam).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("@Raid Leaders"),
        "the role's name from Discord: {page}"
    );
    assert!(page.contains("3 points required"), "{page}");
    assert!(page.contains("1 of 2 members have met it"), "{page}");
    assert!(
        page.contains("<progress value=\"300\" max=\"300\""),
        "{page}"
    );
    assert!(
        page.contains("<progress value=\"100\" max=\"300\""),
        "{page}"
    );
    assert!(
        page.contains("1 of 2 met the quota"),
        "the past week: {page}"
    );
    let (_, overview) = get(&w, &format!("/g/{}", w.guild), &sam).await;
    assert!(
        overview.contains(&format!("href=\"{quota}\">Quota</a>")),
        "{overview}"
    );

    let rita = login(&w, w.raider).await;
    let (status, page) = get(&w, &quota, &rita).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    let (_, overview) = get(&w, &format!("/g/{}", w.guild), &rita).await;
    assert!(!overview.contains(">Quota</a>"), "{overview}");
    // Modmail is linked for security and up only.
    assert!(!overview.contains(">Modmail</a>"), "{overview}");
    let (_, overview) = get(&w, &format!("/g/{}", w.guild), &sam).await;
    assert!(
        overview.contains(&format!("href=\"/g/{}/modmail\">Modmail</a>", w.guild)),
        "{overview}"
    );
}

/// Every `bot_log` entry queued for the server, as JSON text.
async fn bot_log_jobs(w: &World) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT payload::text FROM job WHERE guild_id = $1 AND payload::text LIKE '%bot_log%'
         ORDER BY job_id",
    )
    .bind(snowflake(w.guild).db())
    .fetch_all(&w.db.pool)
    .await
    .unwrap()
}

async fn audit_actions(w: &World) -> Vec<String> {
    sqlx::query_scalar("SELECT action FROM audit_log WHERE guild_id = $1 ORDER BY audit_id")
        .bind(snowflake(w.guild).db())
        .fetch_all(&w.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_administrator_changes_settings_with_an_audit_row_and_a_bot_log_entry_each() {
    let w = world().await;
    let raid = w
        .sim
        .create_channel(w.guild, "raids", discord_sim::model::ChannelKind::Text);
    let voice = w
        .sim
        .create_channel(w.guild, "voice", discord_sim::model::ChannelKind::Voice);
    let organizers = w.sim.create_role(w.guild, "Raid Leaders", 0, 4);
    let g = snowflake(w.guild);
    let admin_actor = service::Actor::member(snowflake(w.admin), domain::Level::ADMINISTRATOR);
    service::quota::configure_quota_role(
        &w.db.pool,
        g,
        &admin_actor,
        snowflake(organizers),
        Some(4),
        service::quota::QuotaChange::Touch,
    )
    .await
    .unwrap();
    let audits_before = audit_actions(&w).await.len();
    let logs_before = bot_log_jobs(&w).await.len();

    let ada = login(&w, w.admin).await;
    let settings = format!("/g/{}/settings", w.guild);
    let (status, page) = get(&w, &settings, &ada).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("@Raid Leaders"),
        "Discord's roles to pick: {page}"
    );
    assert!(page.contains("#raids"), "text channels to pick: {page}");
    assert!(
        !page.contains("#voice"),
        "no voice channel to post in: {page}"
    );
    let csrf = csrf_of(&page);
    let origin = Some(w.base.as_str());
    let form = |pairs: &[(&str, String)]| {
        let mut f = url::form_urlencoded::Serializer::new(String::new());
        f.append_pair("csrf", &csrf);
        for (k, v) in pairs {
            f.append_pair(k, v);
        }
        f.finish()
    };

    // Roles: Organizer mapped, Security kept, Verified Raider kept.
    let body = form(&[
        ("role.organizer", organizers.to_string()),
        ("role.security", String::new()),
    ]);
    assert_eq!(
        post(&w, &format!("{settings}/roles"), &ada, origin, body).await,
        StatusCode::SEE_OTHER
    );
    let mapping = service::config::roles(&w.db.pool, g).await.unwrap();
    assert_eq!(
        mapping.get(&RoleKey::Organizer),
        Some(&snowflake(organizers))
    );
    assert_eq!(mapping.get(&RoleKey::Security), None, "cleared");
    assert!(mapping.contains_key(&RoleKey::VerifiedRaider), "untouched");
    // Channels: a voice channel is refused, a text channel saved.
    let body = form(&[("channel.raid", voice.to_string())]);
    assert_eq!(
        post(&w, &format!("{settings}/channels"), &ada, origin, body).await,
        StatusCode::BAD_REQUEST
    );
    let body = form(&[("channel.raid", raid.to_string())]);
    assert_eq!(
        post(&w, &format!("{settings}/channels"), &ada, origin, body).await,
        StatusCode::SEE_OTHER
    );
    // Auto-end: the command's limits.
    let body = form(&[("auto_end", "5000".to_owned())]);
    assert_eq!(
        post(&w, &format!("{settings}/runs"), &ada, origin, body).await,
        StatusCode::BAD_REQUEST
    );
    let body = form(&[("auto_end", "90".to_owned())]);
    assert_eq!(
        post(&w, &format!("{settings}/runs"), &ada, origin, body).await,
        StatusCode::SEE_OTHER
    );
    let body = form(&[
        ("completion", "2.5".to_owned()),
        ("key_pop", "x".to_owned()),
    ]);
    assert_eq!(
        post(&w, &format!("{settings}/points"), &ada, origin, body).await,
        StatusCode::BAD_REQUEST
    );
    let body = form(&[
        ("completion", "2.5".to_owned()),
        ("key_pop", "3".to_owned()),
    ]);
    assert_eq!(
        post(&w, &format!("{settings}/points"), &ada, origin, body).await,
        StatusCode::SEE_OTHER
    );
    let body = form(&[
        ("role", organizers.to_string()),
        ("required", "4".to_owned()),
    ]);
    assert_eq!(
        post(&w, &format!("{settings}/quota"), &ada, origin, body).await,
        StatusCode::SEE_OTHER
    );
    let body = form(&[
        ("enabled", "on".to_owned()),
        ("metric", "raider_points".to_owned()),
    ]);
    assert_eq!(
        post(
            &w,
            &format!("{settings}/public-leaderboard"),
            &ada,
            origin,
            body
        )
        .await,
        StatusCode::SEE_OTHER
    );

    let audits = audit_actions(&w).await;
    assert_eq!(
        audits[audits_before..],
        [
            "set_roles",
            "set_channels",
            "set_run_auto_end",
            "configure_points",
            "configure_quota_role",
            "public_leaderboard"
        ],
        "one audit row per change, none for the refused ones"
    );
    let logs = bot_log_jobs(&w).await;
    assert_eq!(
        logs.len() - logs_before,
        6,
        "one bot_log entry per change: {logs:?}"
    );
    assert!(
        logs.last().unwrap().contains("public_leaderboard"),
        "{logs:?}"
    );
    let (_, page) = get(&w, &format!("{settings}?saved=public"), &ada).await;
    assert!(page.contains("Public leaderboard saved."), "{page}");
    assert!(page.contains("value=\"90\""), "{page}");
    assert!(page.contains("value=\"2.5\""), "{page}");

    // Saving the same again changes nothing and records nothing.
    let body = form(&[("auto_end", "90".to_owned())]);
    post(&w, &format!("{settings}/runs"), &ada, origin, body).await;
    assert_eq!(audit_actions(&w).await.len(), audits.len());

    // Security (not an administrator): 403 on the page and on every form.
    let sam = login(&w, w.security).await;
    let (status, _) = get(&w, &settings, &sam).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, own) = get(&w, "/", &sam).await;
    let sam_csrf = csrf_of(&own);
    for (path, field) in [
        ("roles", "role.organizer"),
        ("channels", "channel.raid"),
        ("runs", "auto_end"),
        ("points", "completion"),
        ("quota", "role"),
    ] {
        let body = format!("csrf={sam_csrf}&{field}=1");
        assert_eq!(
            post(&w, &format!("{settings}/{path}"), &sam, origin, body).await,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(audit_actions(&w).await.len(), audits.len());
}

#[tokio::test]
async fn discords_answers_are_reused_for_raider_pages_and_asked_again_for_staff_pages() {
    let w = world().await;
    let rita = login(&w, w.raider).await;
    let calls = || w.state.discord.calls();
    let before = calls();
    let g = w.guild;
    let (status, _) = get(&w, &format!("/g/{g}"), &rita).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        calls() - before,
        2,
        "the server list and the member's roles"
    );
    let before = calls();
    for path in [
        format!("/g/{g}/live"),
        format!("/g/{g}/leaderboard"),
        format!("/g/{g}/runs"),
        format!("/g/{g}/members/{}", w.raider),
        "/".to_owned(),
    ] {
        let (status, page) = get(&w, &path, &rita).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
    }
    assert_eq!(calls() - before, 0, "answers reused within 30 s");

    // Staff pages ask every time, so a role taken away is known at once.
    let sam = login(&w, w.security).await;
    let path = format!("/g/{g}/members/{}/punishments", w.raider);
    assert_eq!(get(&w, &path, &sam).await.0, StatusCode::OK);
    let before = calls();
    assert_eq!(get(&w, &path, &sam).await.0, StatusCode::OK);
    assert_eq!(calls() - before, 2);
}

#[tokio::test]
async fn the_discord_token_is_renewed_once_before_it_expires() {
    let w = world().await;
    let rita = login(&w, w.raider).await;
    let read = || async {
        sqlx::query_as::<
            _,
            (
                String,
                Option<String>,
                chrono::DateTime<chrono::Utc>,
                chrono::DateTime<chrono::Utc>,
            ),
        >(
            "SELECT access_token, refresh_token, token_expires_at, expires_at FROM web_session
             WHERE user_id = $1",
        )
        .bind(snowflake(w.raider).db())
        .fetch_one(&w.db.pool)
        .await
        .unwrap()
    };
    let (token, refresh, token_expiry, session_expiry) = read().await;
    assert!(refresh.is_some());
    assert!(session_expiry >= token_expiry - chrono::Duration::seconds(5));
    // The server list is known (cached) ...
    assert_eq!(get(&w, "/", &rita).await.0, StatusCode::OK);
    // ... half an hour before the token expires, two pages at the same moment.
    sqlx::query(
        "UPDATE web_session SET token_expires_at = now() + interval '30 minutes' WHERE user_id = $1",
    )
    .bind(snowflake(w.raider).db())
    .execute(&w.db.pool)
    .await
    .unwrap();
    let before = w.state.discord.calls();
    let (a, b) = tokio::join!(get(&w, "/", &rita), get(&w, "/", &rita));
    assert_eq!(a.0, StatusCode::OK, "{}", a.1);
    assert_eq!(b.0, StatusCode::OK, "{}", b.1);
    let (new_token, new_refresh, new_expiry, _) = read().await;
    assert_ne!(new_token, token, "a new access token");
    assert_ne!(new_refresh, refresh, "a new refresh token");
    assert!(new_expiry > chrono::Utc::now() + chrono::Duration::days(6));
    // One refresh, nothing else (the server list was cached).
    assert_eq!(w.state.discord.calls() - before, 1);
    // The new token works at Discord.
    let (status, _) = get(&w, &format!("/g/{}", w.guild), &rita).await;
    assert_eq!(status, StatusCode::OK);

    // A token past its end that cannot be renewed ends the session.
    sqlx::query(
        "UPDATE web_session SET token_expires_at = now() - interval '1 minute',
                                refresh_token = 'spent' WHERE user_id = $1",
    )
    .bind(snowflake(w.raider).db())
    .execute(&w.db.pool)
    .await
    .unwrap();
    let (status, _) = get(&w, "/", &rita).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_members_page_charts_their_runs_and_shows_staff_their_verification_and_modmail() {
    let w = world().await;
    let (_, ended) = seed_activity(&w).await;
    let g = snowflake(w.guild);
    let rita = snowflake(w.raider);
    {
        // The ended run's awards, as the bot records them when a run ends.
        let mut tx = w.db.pool.begin().await.unwrap();
        let run = store::runs::get(&mut tx, g, ended).await.unwrap().unwrap();
        service::quota::on_run_ended(&mut tx, &run).await.unwrap();
        tx.commit().await.unwrap();
        service::quota::fold_pending(&w.db.pool).await.unwrap();
    }
    let staff = service::Actor::member(snowflake(w.security), RoleKey::Security.level().unwrap());
    service::verification::verify(&w.db.pool, g, &staff, rita, "RitaMain")
        .await
        .unwrap();
    service::verification::add_alt(&w.db.pool, g, &staff, rita, "RitaAlt")
        .await
        .unwrap();
    let opened = service::modmail::open_in_guild(&w.db.pool, g, rita, "rita", "lost my key")
        .await
        .unwrap();
    let service::modmail::DmOutcome::Opened { code, .. } = opened else {
        panic!("{opened:?}")
    };

    // Rita reads her own page: stats as two charts drawn in the page, no staff sections.
    let session = login(&w, w.raider).await;
    let page = format!("/g/{}/members/{}", w.guild, w.raider);
    let (status, html) = get(&w, &page, &session).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 2, "{html}");
    assert!(html.contains("Runs completed per week"), "{html}");
    assert!(
        html.contains(": 1 completed</title>"),
        "this week's run: {html}"
    );
    assert!(
        html.contains("Snake Pit: 1 completed"),
        "by dungeon: {html}"
    );
    assert!(
        !html.contains("Verification history") && !html.contains("Modmail tickets"),
        "staff only: {html}"
    );
    assert!(html.len() < 200 * 1024, "page weight {}", html.len());
    // Her verification history, and anyone else's, is for security.
    for who in [w.raider, w.security] {
        let path = format!("/g/{}/members/{who}/verification", w.guild);
        let (status, html) = get(&w, &path, &session).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(html.contains("You need the Security role"), "{html}");
    }

    // Security: the history (newest first) and the tickets, linking the transcript.
    let sam = login(&w, w.security).await;
    let (status, html) = get(&w, &page, &sam).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Verification history (2)"), "{html}");
    let (alt, main) = (
        html.find("RitaAlt").unwrap(),
        html.find("RitaMain").unwrap(),
    );
    assert!(
        html.contains("alt added") && html.contains(">verified<"),
        "{html}"
    );
    assert!(
        alt < html.rfind("RitaMain").unwrap() && main < alt,
        "{html}"
    );
    assert!(html.contains("Modmail tickets (1)"), "{html}");
    let transcript = format!("/g/{}/modmail/{code}", w.guild);
    assert!(html.contains(&format!("href=\"{transcript}\"")), "{html}");
    assert_eq!(get(&w, &transcript, &sam).await.0, StatusCode::OK);
    let (status, html) = get(&w, &format!("{page}/verification"), &sam).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Verification history (2)"), "{html}");

    // The role is taken away on Discord: the staff sections go at once.
    w.sim
        .set_member_roles(w.guild, w.security, &[w.raider_role]);
    let (status, html) = get(&w, &page, &sam).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("Verification history"), "{html}");
    assert_eq!(
        get(&w, &format!("{page}/verification"), &sam).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn an_administrator_sets_verification_role_pings_and_dungeon_points_as_the_commands_do() {
    let w = world().await;
    let pings = w.sim.create_role(w.guild, "Shatters Pings", 0, 1);
    let g = snowflake(w.guild);
    let audits_before = audit_actions(&w).await.len();
    let logs_before = bot_log_jobs(&w).await.len();
    let ada = login(&w, w.admin).await;
    let settings = format!("/g/{}/settings", w.guild);
    let (status, page) = get(&w, &settings, &ada).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    for section in ["Dungeon points", "Verification", "Role pings"] {
        assert!(
            page.contains(&format!(">{section}</h2>")),
            "{section}: {page}"
        );
    }
    assert!(page.contains("@Shatters Pings"), "{page}");
    assert!(page.len() < 200 * 1024, "page weight {}", page.len());
    let csrf = csrf_of(&page);
    let origin = Some(w.base.as_str());
    let form = |pairs: &[(&str, &str)]| {
        let mut f = url::form_urlencoded::Serializer::new(String::new());
        f.append_pair("csrf", &csrf);
        for (k, v) in pairs {
            f.append_pair(k, v);
        }
        f.finish()
    };
    let veri = format!("{settings}/verification");
    let requirements = [
        ("min_rank", "30"),
        ("min_alive_fame", "5000"),
        ("min_characters", "2"),
        ("min_account_age_days", "0"),
        ("panel_message", "Read #rules <first>"),
        ("image_url", ""),
    ];
    // Refused as the command refuses: no method at all, a rank above 100, a non-https
    // image, a message longer than 1500 characters.
    let long = "x".repeat(1501);
    // The page says why in words (the REST API's sentence), not a code.
    let (status, page) = post_read(&w, &veri, &ada, &w.base, form(&requirements)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("At least one verification method") && !page.contains("refused:"),
        "{page}"
    );
    for bad in [
        form(&requirements),
        form(&[("realmeye", "on"), ("min_rank", "101")]),
        form(&[
            ("realmeye", "on"),
            ("image_url", "http://img.example/a.png"),
        ]),
        form(&[("realmeye", "on"), ("panel_message", long.as_str())]),
        form(&[("realmeye", "on"), ("min_characters", "two")]),
        form(&[
            ("realmeye", "on"),
            ("min_alive_fame", "18446744073709551615"),
        ]),
    ] {
        assert_eq!(
            post(&w, &veri, &ada, origin, bad).await,
            StatusCode::BAD_REQUEST
        );
    }
    let body = form(
        &[
            &requirements[..],
            &[("realmeye", "on"), ("hidden_location", "on")],
        ]
        .concat(),
    );
    assert_eq!(
        post(&w, &veri, &ada, origin, body).await,
        StatusCode::SEE_OTHER
    );
    let c = service::verification::config(&w.db.pool, g).await.unwrap();
    assert!(c.realmeye_enabled && !c.screenshot_enabled);
    assert_eq!(c.requirements.min_rank, Some(30));
    assert_eq!(c.requirements.min_alive_fame, Some(5000));
    assert_eq!(c.requirements.min_account_age_days, None, "0: none");
    assert!(c.requirements.hidden_location);
    assert_eq!(c.panel_message.as_deref(), Some("Read #rules <first>"));

    // Role pings: a role of another server is refused; mapped; removed.
    let pings_path = format!("{settings}/role-pings");
    let body = form(&[("dungeon", "shatters"), ("role", "123456789012345678")]);
    assert_eq!(
        post(&w, &pings_path, &ada, origin, body).await,
        StatusCode::BAD_REQUEST
    );
    let body = form(&[("dungeon", "no_such_place"), ("role", &pings.to_string())]);
    assert_eq!(
        post(&w, &pings_path, &ada, origin, body).await,
        StatusCode::BAD_REQUEST
    );
    let body = form(&[("dungeon", "shatters"), ("role", &pings.to_string())]);
    assert_eq!(
        post(&w, &pings_path, &ada, origin, body).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        service::role_pings::ping_role(&w.db.pool, g, "shatters")
            .await
            .unwrap(),
        Some(snowflake(pings))
    );
    let (_, page) = get(&w, &format!("{settings}?saved=role-pings"), &ada).await;
    assert!(page.contains("Role ping saved."), "{page}");
    assert!(page.contains("Shatters → @Shatters Pings"), "{page}");
    assert!(
        page.contains("Read #rules &lt;first&gt;</textarea>"),
        "{page}"
    );
    let body = form(&[("dungeon", "shatters"), ("role", "")]);
    assert_eq!(
        post(&w, &pings_path, &ada, origin, body).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        service::role_pings::ping_role(&w.db.pool, g, "shatters")
            .await
            .unwrap(),
        None
    );

    // Dungeon points: a value that is not a number is refused; one set, the other default.
    let dp = format!("{settings}/dungeon-points");
    let body = form(&[("dungeon", "shatters"), ("completion", "lots")]);
    assert_eq!(
        post(&w, &dp, &ada, origin, body).await,
        StatusCode::BAD_REQUEST
    );
    let body = form(&[
        ("dungeon", "shatters"),
        ("completion", "4.5"),
        ("key_pop", ""),
    ]);
    assert_eq!(
        post(&w, &dp, &ada, origin, body).await,
        StatusCode::SEE_OTHER
    );
    let admin_actor = service::Actor::member(snowflake(w.admin), domain::Level::ADMINISTRATOR);
    let cfg = service::quota::point_config(&w.db.pool, g, &admin_actor)
        .await
        .unwrap();
    assert_eq!(cfg.completion("shatters").to_string(), "4.5");
    assert_eq!(cfg.key_pop("shatters"), cfg.key_pop_points, "default");
    let (_, page) = get(&w, &settings, &ada).await;
    assert!(page.contains("<td>4.5</td>"), "{page}");

    let audits = audit_actions(&w).await;
    assert_eq!(
        audits[audits_before..],
        [
            "configure_verification",
            "set_role_ping",
            "set_role_ping",
            "configure_points"
        ],
        "one audit row per change, none for the refused ones"
    );
    assert_eq!(
        bot_log_jobs(&w).await.len() - logs_before,
        4,
        "one bot_log entry per change"
    );

    // Security (not an administrator): 403 on every form, nothing recorded.
    let sam = login(&w, w.security).await;
    let (_, own) = get(&w, "/", &sam).await;
    let sam_csrf = csrf_of(&own);
    for (path, body) in [
        ("verification", "realmeye=on&min_rank=1"),
        ("role-pings", "dungeon=shatters&role="),
        ("dungeon-points", "dungeon=shatters&completion=9"),
    ] {
        let body = format!("csrf={sam_csrf}&{body}");
        assert_eq!(
            post(&w, &format!("{settings}/{path}"), &sam, origin, body).await,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(audit_actions(&w).await.len(), audits.len());
}
