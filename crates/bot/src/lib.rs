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
mod members;
pub mod rest_limiter;
mod router;
pub mod views;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use domain::{RoleKey, Snowflake};

use service::PgPool;
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
    /// Pace every Discord request (but interaction answers) through PostgreSQL, so all
    /// processes sharing the token stay within Discord's global and route limits together
    /// (see [`rest_limiter`]).
    pub shared_rate_limit: bool,
    /// Gateway URL override (the simulator's `ws://host:port`).
    pub gateway_url: Option<String>,
    /// Register commands to this guild (instant) instead of globally.
    pub dev_guild_id: Option<Id<GuildMarker>>,
    /// Register slash commands at start-up.
    pub register_commands: bool,
    /// RealmEye (`REALMEYE_BASE_URL`): `https://www.realmeye.com` or a local stub.
    pub realmeye_base_url: String,
    /// The shards this process runs (`SHARD_TOTAL`, `SHARDS`); default: all recommended.
    pub shards: gateway::ShardConfig,
    /// The web dashboard's address (`PUBLIC_URL`) when it is served: links to its pages
    /// (a closed modmail ticket's transcript). None: the transcript goes as a file.
    pub public_url: Option<String>,
}

impl std::fmt::Debug for BotConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotConfig")
            .field("token", &"<redacted>")
            .field("api_proxy", &self.api_proxy)
            .field("shared_rate_limit", &self.shared_rate_limit)
            .field("gateway_url", &self.gateway_url)
            .field("shards", &self.shards)
            .field("dev_guild_id", &self.dev_guild_id)
            .finish()
    }
}

/// What every handler needs.
pub struct Context {
    pub http: Client,
    /// For interaction answers only: straight to Discord, past the shared rate limiter
    /// (Discord's global limit leaves interaction answers out, and a click's answer should
    /// not take an extra hop).
    pub answers: Client,
    pub pool: PgPool,
    /// Where `/leaderboard` and `/stats` read (`DATABASE_READ_URL`, a streaming replica);
    /// the primary's pool when there is none or it does not answer. Never written through.
    pub read_pool: service::ReadPool,
    pub application_id: Id<ApplicationMarker>,
    /// Role mappings read recently, so a burst of clicks does not read the same mapping
    /// a thousand times. Only a cache: PostgreSQL holds the mapping.
    pub role_mappings: RoleMappingCache,
    /// The Discord roles each member last showed, so an interaction records them only when
    /// they changed (quota panels read the recorded roles). Only a cache.
    pub roles_seen: RolesSeenCache,
    /// The latest heartbeat round trip of any of this process's shards, for /ping (a cache
    /// of what the gateway loops measure; None until the first heartbeat ACK).
    pub gateway_latency: std::sync::Mutex<Option<std::time::Duration>>,
    pub realmeye: realmeye::Client,
    pub realmeye_base_url: String,
    /// Whether PostgreSQL is believed unreachable: members are told at once to try again
    /// instead of waiting for the pool's timeout (see `router`).
    pub outage: service::health::Outage,
    /// See [`BotConfig::public_url`] (without a trailing slash).
    pub public_url: Option<String>,
    /// Join clicks arriving together share one transaction and one commit.
    pub joins: service::runs::JoinBatcher,
    /// So do runs created, started, ended and cancelled together.
    pub lifecycle: service::runs::LifecycleBatcher,
    /// Interactions arriving together are taken in one statement (see `router`).
    pub events: service::gateway::EventTaker,
    /// Members' roles seen on interactions arriving together, recorded in one statement.
    pub sightings: service::quota::RoleSightings,
    /// Command log lines of interactions ending together, written in one statement.
    pub command_log: service::command_log::CommandLog,
}

type Mapping = BTreeMap<RoleKey, Snowflake>;

/// Per-guild role mappings, each kept for `ROLE_MAPPING_TTL`; this process forgets a guild's
/// entry at once when it changes the mapping, other processes within the TTL.
#[derive(Default)]
pub struct RoleMappingCache(Mutex<HashMap<Snowflake, (Instant, Arc<Mapping>)>>);

/// Per member, the roles last recorded and when; entries older than `ROLES_SEEN_TTL` are
/// recorded again, so a change made while another process held the cache still lands.
#[derive(Default)]
pub struct RolesSeenCache(Mutex<HashMap<GuildMember, (Instant, Vec<Snowflake>)>>);

/// (guild, user)
type GuildMember = (Snowflake, Snowflake);

pub const ROLES_SEEN_TTL: Duration = Duration::from_secs(60);
/// Past this many members the cache starts over rather than grow without end.
const ROLES_SEEN_MAX: usize = 200_000;

impl RolesSeenCache {
    /// True when these roles need recording (new, changed, or not recorded lately).
    pub fn changed(&self, guild: Snowflake, user: Snowflake, roles: &[Snowflake]) -> bool {
        let Ok(map) = self.0.lock() else {
            return true;
        };
        !matches!(map.get(&(guild, user)), Some((at, seen)) if at.elapsed() < ROLES_SEEN_TTL && seen == roles)
    }

    pub fn recorded(&self, guild: Snowflake, user: Snowflake, roles: &[Snowflake]) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= ROLES_SEEN_MAX {
                map.clear();
            }
            map.insert((guild, user), (Instant::now(), roles.to_vec()));
        }
    }
}

/// How long another process's role mapping change may take to apply here.
pub const ROLE_MAPPING_TTL: Duration = Duration::from_secs(5);

impl RoleMappingCache {
    pub async fn get(
        &self,
        pool: &PgPool,
        guild: Snowflake,
    ) -> Result<Arc<Mapping>, service::ServiceError> {
        if let Ok(map) = self.0.lock()
            && let Some((at, mapping)) = map.get(&guild)
            && at.elapsed() < ROLE_MAPPING_TTL
        {
            return Ok(mapping.clone());
        }
        let mapping = Arc::new(service::config::roles(pool, guild).await?);
        if let Ok(mut map) = self.0.lock() {
            map.insert(guild, (Instant::now(), mapping.clone()));
        }
        Ok(mapping)
    }

    pub fn forget(&self, guild: Snowflake) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(&guild);
        }
    }
}

pub type Ctx = Arc<Context>;

#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error("Discord rejected the bot token (check DISCORD_TOKEN)")]
    Unauthorized,
    #[error("cannot reach Discord: {0}")]
    Discord(String),
    #[error("{0}")]
    Config(String),
}

/// Connects, registers commands if asked, and runs the gateway loop and the job dispatcher
/// until `shutdown` is cancelled; then lets in-flight interactions and jobs finish.
pub async fn run(
    config: BotConfig,
    pool: PgPool,
    shutdown: CancellationToken,
) -> Result<(), BotError> {
    run_with_reads(
        config,
        pool.clone(),
        service::ReadPool::primary(pool),
        shutdown,
    )
    .await
}

/// [`run`], with leaderboard and stats reads sent to `read_pool` (a streaming replica of
/// `pool`'s database).
pub async fn run_with_reads(
    config: BotConfig,
    pool: PgPool,
    read_pool: service::ReadPool,
    shutdown: CancellationToken,
) -> Result<(), BotError> {
    discord::install_crypto();
    let http = if config.shared_rate_limit {
        let addr = rest_limiter::start(pool.clone(), config.api_proxy.clone(), shutdown.clone())
            .await
            .map_err(|e| {
                BotError::Discord(format!("the shared rate limiter cannot listen: {e}"))
            })?;
        discord::http_client(&BotConfig {
            api_proxy: Some(addr.to_string()),
            ..config.clone()
        })
    } else {
        discord::http_client(&config)
    };
    let answers = discord::http_client(&config);
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
        answers,
        pool: pool.clone(),
        read_pool,
        application_id: application.id,
        role_mappings: RoleMappingCache::default(),
        roles_seen: RolesSeenCache::default(),
        gateway_latency: std::sync::Mutex::new(None),
        joins: service::runs::JoinBatcher::new(pool.clone()),
        lifecycle: service::runs::LifecycleBatcher::new(pool.clone()),
        events: service::gateway::EventTaker::new(pool.clone()),
        sightings: service::quota::RoleSightings::new(pool.clone()),
        command_log: service::command_log::CommandLog::new(pool.clone()),
        realmeye,
        realmeye_base_url: config.realmeye_base_url.clone(),
        outage: service::health::Outage::new(pool.clone()),
        public_url: config
            .public_url
            .as_deref()
            .map(|u| u.trim_end_matches('/').to_owned()),
    });
    if config.register_commands {
        commands::register(&ctx.http, ctx.application_id, config.dev_guild_id)
            .await
            .map_err(|e| BotError::Discord(format!("registering commands failed: {e}")))?;
    }
    if let Err(e) = service::config::announce_start(&ctx.pool, env!("CARGO_PKG_VERSION")).await {
        tracing::warn!(error = %e, "could not queue the start-up line for bot_log");
    }
    let dispatcher = tokio::spawn(dispatcher::run(ctx.clone(), shutdown.clone()));
    let folder = tokio::spawn(fold_points(ctx.pool.clone(), shutdown.clone()));
    let gateway = gateway::run(ctx.clone(), &config, shutdown.clone()).await;
    shutdown.cancel();
    if let Err(e) = dispatcher.await {
        tracing::error!(error = %e, "dispatcher task failed");
    }
    if let Err(e) = folder.await {
        tracing::error!(error = %e, "points fold task failed");
    }
    gateway
}

/// Folds awards' pending summary deltas (and vacuums the summaries when due) every
/// [`service::quota::FOLD_EVERY`] until `shutdown`, and folds once more on the way out.
async fn fold_points(pool: PgPool, shutdown: CancellationToken) {
    let mut folder = service::quota::Folder::default();
    let mut forgot = Instant::now();
    loop {
        if let Err(e) = folder.tick(&pool).await {
            tracing::warn!(error = %e, "folding point deltas failed; retrying");
        }
        // The same loop keeps the table of taken gateway events short.
        if forgot.elapsed() >= Duration::from_secs(60) {
            forgot = Instant::now();
            if let Err(e) = service::gateway::forget_old_events(&pool).await {
                tracing::warn!(error = %e, "forgetting old gateway events failed");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(service::quota::FOLD_EVERY) => {}
            _ = shutdown.cancelled() => break,
        }
    }
    if let Err(e) = service::quota::fold_pending(&pool).await {
        tracing::warn!(error = %e, "folding point deltas at shutdown failed");
    }
}
