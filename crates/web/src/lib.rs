//! raidbot's web dashboard: the third adapter over `service`, next to the bot and the REST
//! API. Server-rendered HTML (readable without JavaScript), its stylesheet embedded in the
//! binary, no CDN.
//!
//! - **Login** ([`auth`]): "Log in with Discord", OAuth2's authorization code flow with
//!   PKCE (S256) and `state`, scopes `identify guilds`. The session lives in PostgreSQL
//!   (`service::web_sessions`: only the hash of its random id is stored); the browser
//!   holds the id in a signed, `HttpOnly`, `SameSite=Lax` cookie (`Secure` over HTTPS).
//!   Every POST carries the session's CSRF token and must come from `PUBLIC_URL`'s origin.
//! - **Permissions** ([`access`]): on every page of a server, Discord is asked for the
//!   person's current roles there (with the bot's token) and they become a
//!   [`service::Actor`] through the server's role mapping, exactly as a slash command's
//!   member does; the `service` function behind the page decides. Nothing the browser
//!   sends sets a level.
//! - **Pages** ([`pages`], [`overview`], [`leaderboard`], [`runs`], [`quota`],
//!   [`settings`]): the server picker; a server's overview (runs and headcounts under
//!   way, refreshed by `/assets/live.js`, today's and this week's figures); each run's
//!   page (roster, classes, key pops, duration, who ended it); a member's page (names,
//!   stats with inline SVG charts ([`chart`]), quota progress; for security and up their
//!   verification history and modmail tickets); a member's punishments and notes and
//!   their whole verification history (security and up; a 403 page otherwise);
//!   leaderboards with a member search; run history with filters and CSV; the quota page
//!   (organizers and up); settings (administrators: roles, channels, auto-end, raider
//!   points and per-dungeon values, quota requirements, verification methods,
//!   requirements and panel, role pings, the public leaderboard — each change audited
//!   and posted in `bot_log` by the slash command's service function); the public
//!   leaderboard page.
//! - **Discord's answers** ([`cache`]) are kept 30 s for pages any raider may read;
//!   staff pages and changes ask again. The OAuth token is renewed an hour before it
//!   expires ([`auth`]).
//!
//! [`router`] builds the routes; the binary puts the REST API behind them as the fallback.

use std::sync::Arc;

pub mod access;
pub mod auth;
pub mod cache;
pub mod chart;
pub mod crypto;
pub mod discord;
pub mod error;
pub mod html;
pub mod leaderboard;
pub mod modmail;
pub mod overview;
pub mod pages;
pub mod quota;
pub mod runs;
pub mod settings;

pub use error::WebError;
use service::PgPool;

/// How the dashboard reaches Discord and where it is served.
#[derive(Clone)]
pub struct WebConfig {
    /// The Discord application's id (`DISCORD_CLIENT_ID`).
    pub client_id: String,
    /// Its OAuth2 secret (`DISCORD_CLIENT_SECRET`); also the root of the cookie signing key.
    pub client_secret: String,
    /// Where people reach the dashboard (`PUBLIC_URL`), without a trailing slash, e.g.
    /// `https://raid.example.org`. The OAuth2 redirect is `PUBLIC_URL/auth/callback`.
    pub public_url: String,
    /// Discord's API base, e.g. `https://discord.com/api/v10` (the simulator's when the bot
    /// uses it).
    pub api_base: String,
    /// Discord's consent page, e.g. `https://discord.com/oauth2/authorize`.
    pub authorize_url: String,
    /// The bot's token, to read a member's current roles.
    pub bot_token: String,
}

impl std::fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebConfig")
            .field("client_id", &self.client_id)
            .field("public_url", &self.public_url)
            .field("api_base", &self.api_base)
            .field("authorize_url", &self.authorize_url)
            .finish_non_exhaustive()
    }
}

impl WebConfig {
    /// Discord's real endpoints, or the simulator's at `proxy` (`host:port`, what the bot's
    /// `DISCORD_API_BASE` names).
    pub fn discord_urls(proxy: Option<&str>) -> (String, String) {
        match proxy {
            Some(addr) => (
                format!("http://{addr}/api/v10"),
                format!("http://{addr}/oauth2/authorize"),
            ),
            None => (
                "https://discord.com/api/v10".to_owned(),
                "https://discord.com/oauth2/authorize".to_owned(),
            ),
        }
    }

    /// Whether cookies must be `Secure` (the dashboard is served over HTTPS).
    pub fn secure(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// `scheme://host[:port]` of [`WebConfig::public_url`], what browsers send as `Origin`.
    pub fn origin(&self) -> String {
        match url::Url::parse(&self.public_url) {
            Ok(u) => u.origin().ascii_serialization(),
            Err(_) => self.public_url.clone(),
        }
    }

    pub fn redirect_uri(&self) -> String {
        format!("{}/auth/callback", self.public_url)
    }
}

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct WebState {
    pub pool: PgPool,
    /// Where leaderboard and stats reads go (`DATABASE_READ_URL`, a streaming replica);
    /// the primary's pool unless [`WebState::with_read_pool`] set another.
    pub read_pool: service::ReadPool,
    pub config: Arc<WebConfig>,
    pub discord: discord::Discord,
    /// Discord's recent answers ([`cache`]).
    pub cache: Arc<cache::DiscordCache>,
    /// The key cookies are signed with (derived from the client secret).
    pub(crate) cookie_key: Arc<[u8; 32]>,
}

impl WebState {
    pub fn new(pool: PgPool, mut config: WebConfig) -> WebState {
        config.public_url = config.public_url.trim_end_matches('/').to_owned();
        let cookie_key = crypto::hmac_sha256(
            config.client_secret.as_bytes(),
            b"raidbot web dashboard cookie signing key",
        );
        let discord = discord::Discord::new(&config);
        WebState {
            read_pool: service::ReadPool::primary(pool.clone()),
            pool,
            config: Arc::new(config),
            discord,
            cache: Arc::new(cache::DiscordCache::new(cache::TTL)),
            cookie_key: Arc::new(cookie_key),
        }
    }
}

impl WebState {
    /// Leaderboard and stats pages read from `read_pool` (a streaming replica).
    pub fn with_read_pool(mut self, read_pool: service::ReadPool) -> WebState {
        self.read_pool = read_pool;
        self
    }
}

/// The dashboard's routes. They have no fallback of their own, so the binary can send
/// everything else to the REST API (`web::router(state).fallback_service(api)`).
pub fn router(state: WebState) -> axum::Router {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/", get(pages::home))
        .route("/assets/style.css", get(pages::stylesheet))
        .route("/login", get(auth::login))
        .route("/auth/callback", get(auth::callback))
        .route("/logout", post(auth::logout))
        .route("/g/{guild}", get(overview::page))
        .route("/g/{guild}/members/{user}", get(pages::member))
        .route(
            "/g/{guild}/members/{user}/punishments",
            get(pages::punishments),
        )
        .route(
            "/g/{guild}/members/{user}/verification",
            get(pages::verification),
        )
        .route("/g/{guild}/leaderboard", get(leaderboard::leaderboard))
        .route("/g/{guild}/runs", get(runs::page))
        .route("/g/{guild}/runs.csv", get(runs::export))
        .route("/g/{guild}/settings", get(settings::page))
        .route(
            "/g/{guild}/settings/public-leaderboard",
            post(settings::save_public_board),
        )
        .route("/public/{guild}/leaderboard", get(leaderboard::public))
        .route("/g/{guild}/modmail", get(modmail::list))
        .route("/g/{guild}/modmail/{ticket}", get(modmail::transcript))
        .route("/assets/live.js", get(overview::script))
        .route("/g/{guild}/live", get(overview::live))
        .route("/g/{guild}/runs/{id}", get(overview::run))
        .route("/g/{guild}/quota", get(quota::page))
        .route("/g/{guild}/settings/roles", post(settings::save_roles))
        .route(
            "/g/{guild}/settings/channels",
            post(settings::save_channels),
        )
        .route("/g/{guild}/settings/runs", post(settings::save_runs))
        .route("/g/{guild}/settings/points", post(settings::save_points))
        .route("/g/{guild}/settings/quota", post(settings::save_quota))
        .route(
            "/g/{guild}/settings/dungeon-points",
            post(settings::save_dungeon_points),
        )
        .route(
            "/g/{guild}/settings/verification",
            post(settings::save_verification),
        )
        .route(
            "/g/{guild}/settings/role-pings",
            post(settings::save_role_ping),
        )
        .with_state(state)
}
