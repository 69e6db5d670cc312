//! # discord-sim: a simulated Discord for testing raidbot
//!
//! `discord-sim` runs a small Discord inside the test process: an axum server on
//! `127.0.0.1:<random port>` that speaks Discord's REST API (`/api/v10/...`, plain HTTP) and
//! its gateway (JSON text frames over a websocket). The **real** bot connects to it unchanged,
//! only configured with [`DiscordSim::http_proxy_addr`] (for `twilight_http`'s `proxy(.., true)`)
//! and [`DiscordSim::gateway_url`] (for `twilight_gateway`'s `proxy_url`).
//!
//! Tests then act as Discord users ([`DiscordSim::run_command`], [`DiscordSim::press`],
//! [`DiscordSim::select`], [`DiscordSim::submit_modal`], [`DiscordSim::send_message`], ...) and
//! observe what people would see ([`DiscordSim::messages`], [`DiscordSim::ephemerals`],
//! [`DiscordSim::member`], [`DiscordSim::calls`]). The simulator enforces the Discord rules the
//! bot must respect: the 3 s interaction deadline (10062), double acknowledgements (40060),
//! message/embed/component/modal limits (50035), role hierarchy and owner checks (50013),
//! per-route and per-channel rate limits (429 + headers), and it can inject faults
//! ([`DiscordSim::fail_next`], [`DiscordSim::drop_gateway`], deletions behind the bot's back).
//!
//! ## Sandbox web client
//!
//! [`web::router`] serves a small Discord in the browser over a simulator (used by
//! `raidbot sandbox`): channels, messages with embeds and components, the slash-command box
//! with autocomplete, modals, DMs with uploads, ephemeral replies, and the bot's REST calls,
//! pushed live from [`DiscordSim::subscribe`]. A person acts as any member through the same
//! driver methods tests use. Files uploaded with [`DiscordSim::upload`] (and the bot's own
//! uploads) are served at `http://<sim addr>/attachments/{id}/{filename}`, so the bot can
//! download them and the browser can show them.
//!
//! ## Log in with Discord
//!
//! [`oauth`] serves OAuth2's authorization code flow with `state` and PKCE, as a web
//! dashboard uses it: a consent page with a member picker at
//! [`DiscordSim::oauth_authorize_url`], the token exchange and refresh, revocation, and
//! `users/@me` and `users/@me/guilds` for a bearer token. The client id is
//! [`DiscordSim::application_id`] and the secret [`DiscordSim::oauth_client_secret`].
//!
//! ## What it is not
//!
//! - Not a complete Discord: only the routes a raid bot uses exist; anything else answers
//!   `404 {"code":0,"message":"404: Not Found"}` and logs a loud `tracing::error!`.
//! - Sharding is modelled as on Discord: `GET /gateway/bot` recommends
//!   [`SimConfig::recommended_shards`] and reports the session start limit; each IDENTIFY's
//!   `[shard_id, shard_total]` decides which guilds' events it receives
//!   (`(guild_id >> 22) % shard_total`, DMs on shard 0); a second IDENTIFY in a bucket within
//!   [`SimConfig::identify_interval`] is closed with 4008; every IDENTIFY and RESUME is
//!   recorded ([`DiscordSim::gateway_logins`]).
//! - Intents, presences, voice, compression, audit logs, emojis and stickers are
//!   not modelled. Channel permission overwrites are stored, shown and settable
//!   (`PUT`/`DELETE /channels/{id}/permissions/{id}`, checked against the bot's permissions
//!   in that channel); other routes check guild-level permissions only.
//! - Not a security boundary or a performance model; all state lives in memory behind one mutex.
//!
//! ```no_run
//! # async fn demo() {
//! use discord_sim::{DiscordSim, ChannelKind, CommandOption};
//! let sim = DiscordSim::start().await;
//! let owner = sim.create_user("owner");
//! let guild = sim.create_guild("Raids", owner);
//! let channel = sim.create_channel(guild, "raids", ChannelKind::Text);
//! // ... start the bot with sim.http_proxy_addr(), sim.gateway_url(), sim.bot_token() ...
//! let res = sim.run_command(guild, channel, owner, "run", vec![CommandOption::string("dungeon", "shatters")]).await;
//! assert!(res.is_ok());
//! # }
//! ```

mod driver;
mod events;
mod gateway;
pub mod ids;
mod interactions;
pub mod limits;
pub mod model;
pub mod oauth;
mod ratelimit;
mod rest;
pub mod snapshot;
pub mod web;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

pub use driver::{CommandOption, InteractionResult, OptionValue, SimError, eventually};
pub use events::SimEvent;
pub use ids::{ChannelId, GuildId, MessageId, RoleId, UserId};
pub use limits::ApiError;
pub use model::{
    Attachment, Button, ChannelKind, Choice, Failure, FaultPlan, GatewayLogin, InjectedFaults,
    LoginKind, Member, Message, Modal, Overwrite, RecordedCall, ResponseKind, Role, SimConfig,
    TextInput, perms,
};
pub use snapshot::{Snapshot, SnapshotError};

use model::{State, User};

/// The simulated Discord. Cheap to clone (shared state).
#[derive(Clone)]
pub struct DiscordSim {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: SimConfig,
    pub(crate) state: Mutex<State>,
    pub(crate) addr: SocketAddr,
    pub(crate) app_id: u64,
    pub(crate) bot_user: UserId,
    pub(crate) events: tokio::sync::broadcast::Sender<SimEvent>,
    pub(crate) oauth: Mutex<oauth::OAuthState>,
}

impl std::fmt::Debug for DiscordSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscordSim")
            .field("addr", &self.inner.addr)
            .finish_non_exhaustive()
    }
}

impl DiscordSim {
    /// Starts a simulator with default settings on `127.0.0.1:0`.
    pub async fn start() -> DiscordSim {
        Self::start_with(SimConfig::default()).await
    }

    /// Starts a simulator with the given settings.
    pub async fn start_with(config: SimConfig) -> DiscordSim {
        let bot_user = UserId(ids::next_snowflake());
        let mut state = State::default();
        state.users.insert(
            bot_user,
            User {
                id: bot_user,
                name: "raidbot".to_owned(),
                bot: true,
                accepts_dms: true,
            },
        );
        Self::start_from_state(config, state, bot_user).await
    }

    /// Serves `state` on `127.0.0.1:<random port>`; the bot is `bot_user` (and its
    /// application has the same id, like most bots).
    ///
    /// # Panics
    /// If no local port can be bound (test environment broken).
    pub(crate) async fn start_from_state(
        config: SimConfig,
        state: State,
        bot_user: UserId,
    ) -> DiscordSim {
        #[allow(clippy::expect_used)]
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("discord-sim: bind 127.0.0.1:0");
        #[allow(clippy::expect_used)]
        let addr = listener.local_addr().expect("discord-sim: local addr");
        let app_id = bot_user.0;
        let sim = DiscordSim {
            inner: Arc::new(Inner {
                config,
                state: Mutex::new(state),
                addr,
                app_id,
                bot_user,
                events: tokio::sync::broadcast::channel(events::BUFFER).0,
                oauth: Mutex::new(oauth::OAuthState::default()),
            }),
        };
        let app = axum::Router::new()
            .route("/", axum::routing::get(gateway::ws_handler))
            .route(
                "/attachments/{id}/{filename}",
                axum::routing::get(web::serve_attachment),
            )
            .route(
                "/oauth2/authorize",
                axum::routing::get(oauth::authorize_page).post(oauth::authorize_answer),
            )
            .route("/api/v10/oauth2/token", axum::routing::post(oauth::token))
            .route(
                "/api/v10/oauth2/token/revoke",
                axum::routing::post(oauth::revoke),
            )
            .route("/api/v10/users/@me", axum::routing::any(oauth::users_me))
            .route(
                "/api/v10/users/@me/guilds",
                axum::routing::any(oauth::users_me_guilds),
            )
            .fallback(rest::rest_handler)
            .with_state(sim.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!("discord-sim: server stopped: {e}");
            }
        });
        sim
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A feed of every change to the simulator's state (messages, ephemerals, members,
    /// guilds, REST calls...). The buffer is bounded: a receiver that falls behind gets
    /// `RecvError::Lagged` and should read the state again.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<SimEvent> {
        self.inner.events.subscribe()
    }

    /// Sends a change to subscribers (none listening is fine).
    pub(crate) fn emit(&self, event: SimEvent) {
        let _ = self.inner.events.send(event);
    }

    /// Stores a file as Discord's CDN would and returns its attachment, whose `url`
    /// (`http://<sim addr>/attachments/{id}/{filename}`) serves the bytes: the bot can
    /// download what a user uploaded (e.g. `/syncteam` files, verification screenshots) and
    /// a browser can show it. The filename is reduced to characters safe in a URL.
    pub fn upload(&self, filename: &str, content_type: Option<&str>, bytes: Vec<u8>) -> Attachment {
        let id = ids::next_snowflake();
        let safe: String = filename
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let safe = if safe.trim_matches('.').is_empty() {
            "file".to_owned()
        } else {
            safe
        };
        let mut a = Attachment::new(&safe, bytes.len() as u64);
        a.id = id;
        if let Some(ct) = content_type.filter(|c| !c.is_empty()) {
            a.content_type = Some(ct.to_owned());
        }
        let base = match &self.inner.config.attachment_base_url {
            Some(base) => base.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.inner.addr),
        };
        a.url = format!("{base}/attachments/{id}/{safe}");
        self.lock().uploads.insert(id, (a.clone(), bytes));
        a
    }

    /// A file stored by [`DiscordSim::upload`] (or uploaded by the bot), with its bytes.
    pub fn uploaded(&self, id: u64) -> Option<(Attachment, Vec<u8>)> {
        self.lock().uploads.get(&id).cloned()
    }

    /// `"127.0.0.1:PORT"`, for `twilight_http::Client::builder().proxy(addr, true)`.
    pub fn http_proxy_addr(&self) -> String {
        self.inner.addr.to_string()
    }

    /// `"ws://127.0.0.1:PORT"`, for `twilight_gateway::ConfigBuilder::proxy_url`.
    pub fn gateway_url(&self) -> String {
        format!("ws://{}", self.inner.addr)
    }

    /// `"http://127.0.0.1:PORT/api/v10"`: Discord's API base, for OAuth2 clients.
    pub fn api_base_url(&self) -> String {
        format!("http://{}/api/v10", self.inner.addr)
    }

    /// `"http://127.0.0.1:PORT/oauth2/authorize"`: where "Log in with Discord" sends people.
    pub fn oauth_authorize_url(&self) -> String {
        format!("http://{}/oauth2/authorize", self.inner.addr)
    }

    /// The OAuth2 client secret of the simulated application (its client id is
    /// [`DiscordSim::application_id`]).
    pub fn oauth_client_secret(&self) -> &str {
        &self.inner.config.oauth_client_secret
    }

    /// The only token the simulator accepts (REST: 401 otherwise; gateway: close 4004).
    pub fn bot_token(&self) -> &str {
        &self.inner.config.token
    }

    pub fn application_id(&self) -> u64 {
        self.inner.app_id
    }

    pub fn bot_user_id(&self) -> u64 {
        self.inner.bot_user.0
    }

    /// The settings this simulator runs with.
    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    pub(crate) fn current_user_json(&self, st: &State) -> serde_json::Value {
        let mut u = st
            .users
            .get(&self.inner.bot_user)
            .map(User::to_json)
            .unwrap_or_else(|| serde_json::json!({"id": self.inner.bot_user.to_string(), "username": "raidbot", "discriminator": "0"}));
        u["mfa_enabled"] = serde_json::json!(false);
        u["verified"] = serde_json::json!(true);
        u["flags"] = serde_json::json!(0);
        u["locale"] = serde_json::json!("en-US");
        u
    }
}
