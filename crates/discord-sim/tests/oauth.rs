//! "Log in with Discord" against the simulator, as a web dashboard does it over HTTP:
//! the consent page, the redirect with `code` and `state`, the token exchange with PKCE,
//! and the person's identity and servers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use discord_sim::model::perms::ADMINISTRATOR;
use discord_sim::oauth::s256_challenge;
use discord_sim::*;
use serde_json::Value;

const REDIRECT: &str = "http://127.0.0.1:9/auth/callback";
const VERIFIER: &str = "a-verifier-of-the-dashboard-at-least-43-characters-long-0123456789";

struct Login {
    sim: DiscordSim,
    http: reqwest::Client,
    alice: UserId,
    bob: UserId,
    staff: GuildId,
    other: GuildId,
}

async fn login_world() -> Login {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = DiscordSim::start().await;
    let owner = sim.create_user("owner");
    let staff = sim.create_guild("Raid Community", owner);
    let other = sim.create_guild("Elsewhere", owner);
    let admins = sim.create_role(staff, "Admins", ADMINISTRATOR, 3);
    let alice = sim.create_user("alice");
    sim.add_member(staff, alice, &[admins]);
    let bob = sim.create_user("bob");
    sim.add_member(staff, bob, &[]);
    sim.add_member(other, bob, &[]);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Login {
        sim,
        http,
        alice,
        bob,
        staff,
        other,
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let v: String = v
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                        char::from(b).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The query pairs of a redirect's `Location`.
fn query_of(location: &str) -> Vec<(String, String)> {
    let url = reqwest::Url::parse(location).unwrap();
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn get<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

impl Login {
    fn authorize_url(&self, params: &[(&'static str, String)]) -> String {
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        format!("{}?{}", self.sim.oauth_authorize_url(), form(&pairs))
    }

    fn authorize_params(&self, scope: &str) -> Vec<(&'static str, String)> {
        vec![
            ("response_type", "code".to_owned()),
            ("client_id", self.sim.application_id().to_string()),
            ("redirect_uri", REDIRECT.to_owned()),
            ("scope", scope.to_owned()),
            ("state", "st4te-xyz".to_owned()),
            ("code_challenge", s256_challenge(VERIFIER)),
            ("code_challenge_method", "S256".to_owned()),
        ]
    }

    /// Presses Authorize (or Cancel) on the consent page as `user`; returns the redirect.
    async fn answer(&self, user: UserId, scope: &str, decision: &str) -> reqwest::Response {
        let mut pairs = self.authorize_params(scope);
        pairs.push(("user_id", user.to_string()));
        pairs.push(("decision", decision.to_owned()));
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.http
            .post(self.sim.oauth_authorize_url())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&pairs))
            .send()
            .await
            .unwrap()
    }

    async fn code_for(&self, user: UserId, scope: &str) -> String {
        let res = self.answer(user, scope, "authorize").await;
        assert!(res.status().is_redirection(), "{}", res.status());
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(REDIRECT), "{location}");
        let q = query_of(&location);
        assert_eq!(get(&q, "state"), Some("st4te-xyz"));
        get(&q, "code").expect("a code").to_owned()
    }

    async fn exchange(&self, pairs: &[(&str, &str)]) -> (u16, Value) {
        let res = self
            .http
            .post(format!("{}/oauth2/token", self.sim.api_base_url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(pairs))
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }

    async fn token_for_code(&self, code: &str, verifier: &str, redirect: &str) -> (u16, Value) {
        let app = self.sim.application_id().to_string();
        self.exchange(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
            ("client_id", &app),
            ("client_secret", self.sim.oauth_client_secret()),
        ])
        .await
    }

    async fn me(&self, path: &str, token: &str) -> (u16, Value) {
        let res = self
            .http
            .get(format!("{}{path}", self.sim.api_base_url()))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }
}

#[tokio::test]
async fn a_member_logs_in_and_the_dashboard_learns_who_they_are_and_their_servers() {
    let l = login_world().await;
    // The consent page lists the people who can log in.
    let params = l.authorize_params("identify guilds");
    let page = l.http.get(l.authorize_url(&params)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("data-name=\"alice\""), "{html}");
    assert!(html.contains("Know what servers you're in"));

    let code = l.code_for(l.alice, "identify guilds").await;
    let (status, token) = l.token_for_code(&code, VERIFIER, REDIRECT).await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["scope"], "identify guilds");
    let access = token["access_token"].as_str().unwrap().to_owned();

    let (status, me) = l.me("/users/@me", &access).await;
    assert_eq!(status, 200);
    assert_eq!(me["id"], l.alice.to_string());
    assert_eq!(me["username"], "alice");
    let (status, guilds) = l.me("/users/@me/guilds", &access).await;
    assert_eq!(status, 200);
    let guilds = guilds.as_array().unwrap();
    assert_eq!(guilds.len(), 1, "alice is in one server: {guilds:?}");
    assert_eq!(guilds[0]["id"], l.staff.to_string());
    let perms: u64 = guilds[0]["permissions"].as_str().unwrap().parse().unwrap();
    assert_ne!(perms & ADMINISTRATOR, 0, "alice is an administrator there");

    // Bob is in both servers, without special permissions.
    let code = l.code_for(l.bob, "identify guilds").await;
    let (_, token) = l.token_for_code(&code, VERIFIER, REDIRECT).await;
    let (_, guilds) = l
        .me("/users/@me/guilds", token["access_token"].as_str().unwrap())
        .await;
    let mut ids: Vec<String> = guilds
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    let mut want = vec![l.staff.to_string(), l.other.to_string()];
    want.sort();
    assert_eq!(ids, want);

    // The refresh token gives a new access token; a revoked one stops working.
    let app = l.sim.application_id().to_string();
    let (status, refreshed) = l
        .exchange(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token["refresh_token"].as_str().unwrap()),
            ("client_id", &app),
            ("client_secret", l.sim.oauth_client_secret()),
        ])
        .await;
    assert_eq!(status, 200, "{refreshed}");
    let fresh = refreshed["access_token"].as_str().unwrap().to_owned();
    assert_eq!(l.me("/users/@me", &fresh).await.0, 200);
    let (status, _) = l
        .exchange(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token["refresh_token"].as_str().unwrap()),
            ("client_id", &app),
            ("client_secret", l.sim.oauth_client_secret()),
        ])
        .await;
    assert_eq!(status, 400, "a refresh token is single-use");
    let res = l
        .http
        .post(format!("{}/oauth2/token/revoke", l.sim.api_base_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("token", &fresh),
            ("client_id", &app),
            ("client_secret", l.sim.oauth_client_secret()),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(l.me("/users/@me", &fresh).await.0, 401);

    // The bot's own token still reaches the bot's route.
    let res = l
        .http
        .get(format!("{}/users/@me", l.sim.api_base_url()))
        .header("authorization", format!("Bot {}", l.sim.bot_token()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let bot: Value = res.json().await.unwrap();
    assert_eq!(bot["bot"], true);
}

#[tokio::test]
async fn codes_are_single_use_and_bound_to_the_verifier_redirect_and_client() {
    let l = login_world().await;
    let code = l.code_for(l.alice, "identify").await;
    // A wrong PKCE verifier, then a wrong redirect: refused (and the code is spent).
    let (status, err) = l
        .token_for_code(
            &code,
            "not-the-verifier-0123456789-0123456789-0123456789",
            REDIRECT,
        )
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = l.token_for_code(&code, VERIFIER, REDIRECT).await;
    assert_eq!(
        status, 400,
        "a code is single-use, even after a failed exchange"
    );

    let code = l.code_for(l.alice, "identify").await;
    let (status, err) = l
        .token_for_code(&code, VERIFIER, "http://127.0.0.1:9/elsewhere")
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // A wrong client secret.
    let code = l.code_for(l.alice, "identify").await;
    let app = l.sim.application_id().to_string();
    let (status, err) = l
        .exchange(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", &app),
            ("client_secret", "guess"),
        ])
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (401, Some("invalid_client"))
    );

    // The same code with the right everything still works once (the refused client did
    // not spend it), twice not.
    let (status, token) = l.token_for_code(&code, VERIFIER, REDIRECT).await;
    assert_eq!(status, 200, "{token}");
    let (status, _) = l.token_for_code(&code, VERIFIER, REDIRECT).await;
    assert_eq!(status, 400);

    // Only `identify` was granted: the servers are not readable.
    let access = token["access_token"].as_str().unwrap();
    assert_eq!(l.me("/users/@me", access).await.0, 200);
    assert_eq!(l.me("/users/@me/guilds", access).await.0, 403);
    assert_eq!(l.me("/users/@me", "made-up-token").await.0, 401);
}

#[tokio::test]
async fn cancel_and_bad_requests_go_back_or_stop_as_oauth_says() {
    let l = login_world().await;
    // Cancel: back to the dashboard with access_denied and the same state.
    let res = l.answer(l.alice, "identify", "cancel").await;
    assert!(res.status().is_redirection());
    let q = query_of(res.headers()["location"].to_str().unwrap());
    assert_eq!(get(&q, "error"), Some("access_denied"));
    assert_eq!(get(&q, "state"), Some("st4te-xyz"));
    assert_eq!(get(&q, "code"), None);

    // An unknown scope goes back with invalid_scope.
    let res = l.answer(l.alice, "identify email.write", "authorize").await;
    let q = query_of(res.headers()["location"].to_str().unwrap());
    assert_eq!(get(&q, "error"), Some("invalid_scope"));

    // An unknown application or a redirect that is not a URL: an error page, no redirect.
    let mut params = l.authorize_params("identify");
    params[1].1 = "12345".to_owned();
    let res = l.http.get(l.authorize_url(&params)).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
    let mut params = l.authorize_params("identify");
    params[2].1 = "javascript:alert(1)".to_owned();
    let res = l.http.get(l.authorize_url(&params)).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());

    // Nobody picked, or a bot picked: refused.
    let bot = UserId(l.sim.application_id());
    let res = l.answer(bot, "identify", "authorize").await;
    assert_eq!(res.status(), 400);
    let _ = l.bob;
}
