//! `raidbot sandbox`: the whole product against the simulated Discord, opened to a person
//! in a web browser, with no Discord account.
//!
//! One process runs: the simulated Discord (`discord-sim`, on a loopback port of its own),
//! the real bot connected to it exactly as to Discord (gateway, REST, interactions), the job
//! dispatcher and timers, the REST API, a RealmEye stub, and one web server on `--bind`
//! serving the sandbox's client (a small Discord in the browser, from `discord-sim`), the
//! RealmEye stub (`/realmeye/...`) and the REST API (`/v1/...`).
//!
//! State: raidbot's tables and the simulated world (schema `sandbox`, saved every second
//! and at exit) live in one PostgreSQL database, so a second start continues where the
//! first stopped and Discord's side always matches the bot's. The database is
//! `raidbot_sandbox` on `DATABASE_URL`'s server when it answers, else on a private cluster
//! in the data directory ([`postgres`]).

pub mod persist;
pub mod postgres;
pub mod realmeye;
pub mod seed;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use discord_sim::{DiscordSim, GuildId, SimConfig, Snapshot};
use serde_json::json;
use store::PgPool;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use twilight_model::id::Id;

/// Where the sandbox listens unless `--bind` says otherwise.
pub const DEFAULT_BIND: &str = "127.0.0.1:4100";

/// How long the bot gets to connect and register its commands.
const CONNECT_DEADLINE: Duration = Duration::from_secs(30);

/// Connections the sandbox's process keeps to PostgreSQL.
const POOL_SIZE: u32 = 20;

/// `raidbot sandbox`'s options.
#[derive(Clone, Debug)]
pub struct Options {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub reset: bool,
    /// `DATABASE_URL`: whose server to use when it answers.
    pub server_url: String,
}

/// Runs the sandbox until `shutdown`, then stops the bot (its in-flight work finishes),
/// saves the world and stops the private cluster if it started one.
pub async fn run(
    options: Options,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&options.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            options.data_dir.display()
        )
    })?;
    let database = postgres::resolve(&options.server_url, &options.data_dir).await?;
    let result = run_on(&options, &database.url, metrics, shutdown).await;
    if let Some(cluster) = database.cluster {
        let _ = tokio::task::spawn_blocking(move || cluster.stop()).await;
    }
    result
}

async fn run_on(
    options: &Options,
    url: &str,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    if options.reset {
        postgres::drop_sandbox_database(url).await?;
    }
    let mut pool = store::db::prepare(url, POOL_SIZE).await?;
    persist::init(&pool).await?;
    if persist::load(&pool).await?.is_none() && has_guilds(&pool).await? {
        // A first start that stopped before its world was saved: begin again cleanly
        // rather than pair a new simulated server with the old one's rows.
        tracing::info!("an unfinished first start was found; starting afresh");
        pool.close().await;
        postgres::drop_sandbox_database(url).await?;
        pool = store::db::prepare(url, POOL_SIZE).await?;
        persist::init(&pool).await?;
    }
    let listener = tokio::net::TcpListener::bind(options.bind)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (is another sandbox running?); choose another address with --bind",
                options.bind
            )
        })?;
    let running = start(pool.clone(), listener, metrics, shutdown.clone()).await?;
    let local = if options.bind.ip().is_loopback() {
        " (loopback only)"
    } else {
        ""
    };
    println!(
        "raidbot sandbox is ready: open {}{local}; Ctrl-C stops it",
        running.url
    );
    if !options.bind.ip().is_loopback() {
        tracing::warn!(
            bind = %options.bind,
            "the sandbox listens beyond this machine: anyone who can reach it can act as any member"
        );
        eprintln!(
            "warning: listening on {}: anyone who can reach this address can act as any member",
            options.bind
        );
    }
    let result = running.stopped().await;
    pool.close().await;
    result
}

async fn has_guilds(pool: &PgPool) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM guild)")
        .fetch_one(pool)
        .await
}

/// A running sandbox.
pub struct Running {
    /// The page to open, e.g. `http://127.0.0.1:4100`.
    pub url: String,
    /// The web dashboard ("Log in with Discord" through the simulated Discord).
    pub dashboard_url: String,
    pub sim: DiscordSim,
    pub guild: GuildId,
    /// The REST API's service key (administrator of the sandbox server).
    pub service_key: String,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Waits until the sandbox has stopped (after `shutdown` was cancelled) and its world
    /// was saved.
    pub async fn stopped(self) -> anyhow::Result<()> {
        self.task.await.context("the sandbox task panicked")?
    }
}

/// The address the sandbox's own parts use to reach its web server.
fn loopback(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
    } else {
        addr
    }
}

/// Starts the sandbox on a migrated database and a bound listener: restores the saved
/// world or seeds a new one, connects the bot, serves the web client. Stops on `shutdown`.
pub async fn start(
    pool: PgPool,
    listener: tokio::net::TcpListener,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    shutdown: CancellationToken,
) -> anyhow::Result<Running> {
    bot::discord::install_crypto();
    persist::init(&pool).await?;
    let addr = loopback(listener.local_addr()?);
    let url = format!("http://{addr}");
    // Uploads are served by the web server too, whose address stays the same across
    // restarts (the simulator's port does not).
    let config = SimConfig {
        attachment_base_url: Some(url.clone()),
        ..SimConfig::default()
    };
    let saved = persist::load(&pool).await?;
    let (sim, world, service_key) = match saved {
        Some(saved) => {
            let snapshot = Snapshot::from_json(saved.snapshot)?;
            let sim = DiscordSim::start_restored(config, snapshot).await;
            tracing::info!("the sandbox's world was restored");
            (sim, Err(GuildId(saved.guild_id as u64)), saved.service_key)
        }
        None => {
            let sim = DiscordSim::start_with(config).await;
            let world = seed::create_world(&sim);
            (sim, Ok(world), api::keys::generate())
        }
    };
    let guild = match &world {
        Ok(w) => w.guild,
        Err(g) => *g,
    };
    let bot_stop = CancellationToken::new();
    let bot_config = bot::BotConfig {
        token: sim.bot_token().to_owned(),
        api_proxy: Some(sim.http_proxy_addr()),
        shared_rate_limit: false,
        gateway_url: Some(sim.gateway_url()),
        dev_guild_id: Some(Id::new(guild.0.max(1))),
        register_commands: true,
        realmeye_base_url: format!("{url}/realmeye"),
        shards: Default::default(),
        public_url: None,
    };
    let identified = sim.identify_count();
    let bot_task = tokio::spawn(bot::run(bot_config, pool.clone(), bot_stop.clone()));
    let connected = sim
        .eventually(CONNECT_DEADLINE, || {
            (sim.gateway_connected()
                && sim.identify_count() > identified
                && !sim.commands(Some(guild)).is_empty())
            .then_some(())
        })
        .await;
    if connected.is_none() {
        bot_stop.cancel();
        let outcome = bot_task.await;
        anyhow::bail!("the bot did not connect to the simulated Discord: {outcome:?}");
    }
    let mut saver = persist::Saver::new(
        pool.clone(),
        sim.clone(),
        guild.0 as i64,
        service_key.clone(),
    );
    if let Ok(world) = &world {
        seed::configure(&sim, world, &pool).await;
        saver.save_if_changed().await?;
        tracing::info!(
            members = world.verified.len() + 1,
            "the sandbox's community is ready"
        );
    }
    let saver_stop = CancellationToken::new();
    let saver_task = tokio::spawn(saver.run(saver_stop.clone()));

    let api_state = api::ApiState {
        pool: pool.clone(),
        read_pool: service::ReadPool::primary(pool.clone()),
        service_key: Some(service_key.clone()),
        metrics,
    };
    // The web dashboard, on a port of its own (both pages want `/`): "Log in with
    // Discord" goes to the simulated Discord's consent page.
    let dashboard_listener = match tokio::net::TcpListener::bind(SocketAddr::new(
        addr.ip(),
        addr.port().wrapping_add(1),
    ))
    .await
    {
        Ok(l) if addr.port() != 0 && addr.port() != u16::MAX => l,
        _ => tokio::net::TcpListener::bind(SocketAddr::new(addr.ip(), 0)).await?,
    };
    let dashboard_url = format!("http://{}", loopback(dashboard_listener.local_addr()?));
    let (api_base, authorize_url) = web::WebConfig::discord_urls(Some(&sim.http_proxy_addr()));
    let dashboard = web::router(web::WebState::new(
        pool.clone(),
        web::WebConfig {
            client_id: sim.application_id().to_string(),
            client_secret: sim.oauth_client_secret().to_owned(),
            public_url: dashboard_url.clone(),
            api_base,
            authorize_url,
            bot_token: sim.bot_token().to_owned(),
        },
    ));
    let app = discord_sim::web::router(sim.clone())
        .merge(realmeye::router(pool.clone()))
        .merge(info_router(
            &sim,
            guild,
            service_key.clone(),
            &dashboard_url,
        ))
        .fallback_service(api::router_with(api_state, None));
    let web_stop = CancellationToken::new();
    let web_task = tokio::spawn({
        let web_stop = web_stop.clone();
        async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { web_stop.cancelled().await })
                .await
        }
    });
    tokio::spawn({
        let web_stop = web_stop.clone();
        async move {
            axum::serve(dashboard_listener, dashboard)
                .with_graceful_shutdown(async move { web_stop.cancelled().await })
                .await
        }
    });

    let task = tokio::spawn(async move {
        shutdown.cancelled().await;
        tracing::info!("stopping the sandbox: the bot finishes its work first");
        bot_stop.cancel();
        let bot_result = bot_task.await;
        saver_stop.cancel();
        let mut saver = saver_task.await.context("the saver panicked")?;
        saver
            .save_if_changed()
            .await
            .context("saving the simulated world at exit")?;
        web_stop.cancel();
        // Open event streams would hold a graceful shutdown forever.
        let _ = tokio::time::timeout(Duration::from_secs(2), web_task).await;
        match bot_result {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(anyhow::anyhow!("the bot stopped with an error: {e}")),
            Err(e) => Err(anyhow::anyhow!("the bot task panicked: {e}")),
        }
    });
    Ok(Running {
        url,
        dashboard_url,
        sim,
        guild,
        service_key,
        task,
    })
}

/// `GET /sandbox/info`: what the page shows about this sandbox, and where a developer can
/// point another client (the simulated Discord's REST base, gateway and bot token; the REST
/// API's key).
fn info_router(
    sim: &DiscordSim,
    guild: GuildId,
    service_key: String,
    dashboard_url: &str,
) -> axum::Router {
    let info = json!({
        "dashboard_url": dashboard_url,
        "guild_id": guild.to_string(),
        "api_key": service_key,
        "discord_api_base": format!("http://{}", sim.http_proxy_addr()),
        "discord_gateway_url": sim.gateway_url(),
        "discord_bot_token": sim.bot_token(),
        "hint": "Act as any member from the switcher. The REST API is under /v1 \
                 (Authorization: Bearer <api_key>); RealmEye pages are edited in the \
                 RealmEye panel.",
    });
    axum::Router::new().route(
        "/sandbox/info",
        axum::routing::get(move || {
            let info = info.clone();
            async move { axum::Json(info) }
        }),
    )
}
