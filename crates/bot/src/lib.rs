//! The Discord adapter. It translates gateway events and interactions into `service` calls
//! and renders answers; it delivers queued jobs (panel posts and edits, log posts, timers)
//! to Discord. It holds no rules and no state of its own: everything is in PostgreSQL, so
//! any number of bot processes can run and a restart loses nothing.
//!
//! Not here: permission rules (in `domain`/`service`), SQL (in `store`).

pub mod commands;
pub mod discord;
pub mod dispatcher;
pub mod gateway;
mod handlers;
mod jobs;
mod router;
pub mod views;

use std::sync::Arc;

use store::PgPool;
use tokio_util::sync::CancellationToken;
use twilight_http::Client;
use twilight_model::id::Id;
use twilight_model::id::marker::{ApplicationMarker, GuildMarker};

/// How the bot reaches Discord (or the simulated Discord).
#[derive(Clone)]
pub struct BotConfig {
    pub token: String,
    /// `host:port` of a plain-HTTP Discord API (the simulator); None for discord.com.
    pub api_proxy: Option<String>,
    /// Gateway URL override (the simulator's `ws://host:port`).
    pub gateway_url: Option<String>,
    /// Register commands to this guild (instant) instead of globally.
    pub dev_guild_id: Option<Id<GuildMarker>>,
    /// Register slash commands at start-up.
    pub register_commands: bool,
    /// RealmEye (`REALMEYE_BASE_URL`): `https://www.realmeye.com` or a local stub.
    pub realmeye_base_url: String,
}

impl std::fmt::Debug for BotConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotConfig")
            .field("token", &"<redacted>")
            .field("api_proxy", &self.api_proxy)
            .field("gateway_url", &self.gateway_url)
            .field("dev_guild_id", &self.dev_guild_id)
            .finish()
    }
}

/// What every handler needs.
pub struct Context {
    pub http: Client,
    pub pool: PgPool,
    pub application_id: Id<ApplicationMarker>,
    pub realmeye: realmeye::Client,
    pub realmeye_base_url: String,
}

pub type Ctx = Arc<Context>;

#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error("Discord rejected the bot token (check DISCORD_TOKEN)")]
    Unauthorized,
    #[error("cannot reach Discord: {0}")]
    Discord(String),
}

/// Connects, registers commands if asked, and runs the gateway loop and the job dispatcher
/// until `shutdown` is cancelled; then lets in-flight interactions and jobs finish.
pub async fn run(
    config: BotConfig,
    pool: PgPool,
    shutdown: CancellationToken,
) -> Result<(), BotError> {
    discord::install_crypto();
    let http = discord::http_client(&config);
    let application = http
        .current_user_application()
        .await
        .map_err(discord::startup_error)?
        .model()
        .await
        .map_err(|e| BotError::Discord(e.to_string()))?;
    let realmeye = realmeye::Client::new(realmeye::ClientConfig::with_base_url(
        config.realmeye_base_url.clone(),
    ))
    .map_err(|e| BotError::Discord(e.to_string()))?;
    let ctx: Ctx = Arc::new(Context {
        http,
        pool,
        application_id: application.id,
        realmeye,
        realmeye_base_url: config.realmeye_base_url.clone(),
    });
    if config.register_commands {
        commands::register(&ctx.http, ctx.application_id, config.dev_guild_id)
            .await
            .map_err(|e| BotError::Discord(format!("registering commands failed: {e}")))?;
    }
    let dispatcher = tokio::spawn(dispatcher::run(ctx.clone(), shutdown.clone()));
    let gateway = gateway::run(ctx.clone(), &config, shutdown.clone()).await;
    shutdown.cancel();
    if let Err(e) = dispatcher.await {
        tracing::error!(error = %e, "dispatcher task failed");
    }
    gateway
}
