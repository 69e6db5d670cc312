//! Starting and stopping the parts: migrations, the REST API, the bot.

use anyhow::Context as _;
use store::PgPool;
use tokio_util::sync::CancellationToken;
use twilight_model::id::Id;

use crate::config::Config;

/// Connections to PostgreSQL per process.
const POOL_SIZE: u32 = 20;

/// Connections to the read replica per process.
const READ_POOL_SIZE: u32 = 10;

/// Creates the database if needed, connects and migrates.
pub async fn database(config: &Config) -> anyhow::Result<PgPool> {
    Ok(store::db::prepare(&config.database_url, POOL_SIZE).await?)
}

/// The primary (created and migrated) and where leaderboard and stats reads go: the
/// replica at `DATABASE_READ_URL` (only connected: a replica is read-only and follows the
/// primary's migrations) while it answers, or the primary ([`service::ReadPool`]).
#[derive(Clone)]
pub struct Pools {
    pub primary: PgPool,
    pub read: service::ReadPool,
}

pub async fn databases(config: &Config) -> anyhow::Result<Pools> {
    let primary = database(config).await?;
    let read = match &config.database_read_url {
        None => service::ReadPool::primary(primary.clone()),
        Some(url) => {
            let replica = store::db::connect(url, READ_POOL_SIZE)
                .await
                .context("DATABASE_READ_URL")?;
            tracing::info!(replica = %store::db::describe(url), "leaderboard and stats reads go to the read replica");
            let read = service::ReadPool::with_replica(primary.clone(), replica);
            read.watch();
            read
        }
    };
    Ok(Pools { primary, read })
}

pub fn bot_config(config: &Config, register_commands: bool) -> anyhow::Result<bot::BotConfig> {
    let token = config.require_token()?.to_owned();
    Ok(bot::BotConfig {
        token,
        api_proxy: config.discord_api_proxy.clone(),
        shared_rate_limit: config.discord_shared_rate_limit,
        gateway_url: config.discord_gateway_url.clone(),
        dev_guild_id: config.dev_guild_id.map(|g| Id::new(g.get())),
        register_commands,
        realmeye_base_url: config.realmeye_base_url.clone(),
        shards: config.shards.clone(),
        public_url: config.dashboard.as_ref().map(|d| d.public_url.clone()),
    })
}

/// The web dashboard's configuration, when its Discord application is configured and the
/// bot's token is there to read members' roles.
pub fn web_config(config: &Config) -> Option<web::WebConfig> {
    let dashboard = config.dashboard.as_ref()?;
    let Some(token) = config.discord_token.clone() else {
        tracing::warn!("web dashboard off: it needs DISCORD_TOKEN to read members' roles");
        return None;
    };
    let (api_base, authorize_url) =
        web::WebConfig::discord_urls(config.discord_api_proxy.as_deref());
    Some(web::WebConfig {
        client_id: dashboard.client_id.clone(),
        client_secret: dashboard.client_secret.clone(),
        public_url: dashboard.public_url.clone(),
        api_base,
        authorize_url,
        bot_token: token,
    })
}

/// Serves the REST API (and the web dashboard when configured, see [`web_config`]) on `config.api_bind` until `shutdown`.
pub async fn api(
    config: &Config,
    pools: Pools,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    if config.api_service_key.is_none() {
        tracing::warn!("API_SERVICE_KEY is not set: only per-guild API keys are accepted");
    }
    let listener = tokio::net::TcpListener::bind(config.api_bind)
        .await
        .with_context(|| format!("cannot listen on API_BIND {}", config.api_bind))?;
    tracing::info!(address = %config.api_bind, "REST API listening");
    let Pools {
        primary: pool,
        read: read_pool,
    } = pools;
    let state = api::ApiState {
        pool: pool.clone(),
        read_pool: read_pool.clone(),
        service_key: config.api_service_key.clone(),
        metrics,
    };
    let api = api::router_with(state, config.api_rate_limit);
    let app = match web_config(config) {
        Some(web) => {
            tracing::info!(public_url = %web.public_url, "web dashboard served");
            web::router(web::WebState::new(pool, web).with_read_pool(read_pool))
                .fallback_service(api)
        }
        None => {
            tracing::info!(
                "web dashboard off: set DISCORD_CLIENT_ID, DISCORD_CLIENT_SECRET (and PUBLIC_URL) to serve it"
            );
            api
        }
    };
    api::serve_app(listener, app, async move { shutdown.cancelled().await }).await?;
    Ok(())
}

/// Runs the bot until `shutdown`.
pub async fn bot(config: &Config, pools: Pools, shutdown: CancellationToken) -> anyhow::Result<()> {
    let bot_config = bot_config(config, true)?;
    bot::run_with_reads(bot_config, pools.primary, pools.read, shutdown).await?;
    Ok(())
}

/// `raidbot up`: migrations, the API and the bot in one process. When either part stops
/// (an error, or `shutdown`), the other is asked to stop too and both finish their work.
pub async fn up(
    config: &Config,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    config.require_token()?;
    let pools = databases(config).await?;
    let api_task = {
        let (config, pools, shutdown) = (config.clone(), pools.clone(), shutdown.clone());
        tokio::spawn(async move {
            let r = api(&config, pools, metrics, shutdown.clone()).await;
            shutdown.cancel();
            r
        })
    };
    let bot_result = bot(config, pools.clone(), shutdown.clone()).await;
    shutdown.cancel();
    let api_result = api_task.await.context("the API task panicked")?;
    pools.read.close().await;
    pools.primary.close().await;
    bot_result.and(api_result)
}

/// How often histogram samples are folded into their buckets.
const METRICS_UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Folds the recorder's pending histogram samples every few seconds. Without it they are
/// folded only when someone scrapes `/metrics`, so a process nobody scrapes grows with
/// every request it answers.
pub fn keep_metrics_small(
    handle: metrics_exporter_prometheus::PrometheusHandle,
    shutdown: CancellationToken,
) {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(METRICS_UPKEEP_EVERY) => handle.run_upkeep(),
                _ = shutdown.cancelled() => break,
            }
        }
    });
}

/// Cancels `token` on Ctrl-C or SIGTERM.
pub fn cancel_on_signals(token: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot listen for SIGTERM");
                        let _ = ctrl_c.await;
                        token.cancel();
                        return;
                    }
                };
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
        tracing::info!("shutting down: finishing in-flight work");
        token.cancel();
    });
}
