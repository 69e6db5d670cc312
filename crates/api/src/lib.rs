//! raidbot's REST API: `/v1` over the same use cases the Discord bot calls.
//!
//! It exists for dashboards, integrations and scripts, and so that the bot and the API can
//! run on different machines over one database. Every handler is a thin translation:
//! authenticate the caller into a [`service::Actor`] for the guild in the path, parse the
//! request into domain values, call one `service` function, and render the result (or the
//! [`service::ServiceError`]) as JSON. No SQL and no rules live here.
//!
//! Entry points: [`router`] builds the axum app, [`serve`] runs it with graceful shutdown,
//! [`openapi::document`] is the generated OpenAPI 3 document, and [`keys`] creates per-guild
//! API keys (for `raidbot apikey create`).

use std::future::Future;

use metrics_exporter_prometheus::PrometheusHandle;
use service::PgPool;

pub mod auth;
pub mod docs;
pub mod error;
pub mod http_errors;
pub mod json;
pub mod keys;
pub mod openapi;
pub mod outage;
pub mod page;
mod params;
pub mod rate_limit;
pub mod routes;

pub use error::ApiError;
pub use rate_limit::RateLimit;

/// What every handler can reach. Cheap to clone: the pool and the handle are shared.
#[derive(Clone)]
pub struct ApiState {
    pub pool: PgPool,
    /// Where leaderboard and stats reads go (`DATABASE_READ_URL`, a streaming replica);
    /// the primary's pool when there is none or it does not answer. Never written through.
    pub read_pool: service::ReadPool,
    /// The trusted key from configuration (`API_SERVICE_KEY`); it acts as an administrator
    /// of every guild. `None` turns it off, leaving only per-guild keys.
    pub service_key: Option<String>,
    /// Where `/metrics` reads from; `None` makes `/metrics` answer 404.
    pub metrics: Option<PrometheusHandle>,
}

/// The whole HTTP app: `/v1/...`, `/metrics`, JSON 404/405 for everything else, with the
/// default per-key rate limit.
pub fn router(state: ApiState) -> axum::Router {
    router_with(state, Some(RateLimit::default()))
}

/// [`router`] with a chosen per-key rate limit, or none.
pub fn router_with(state: ApiState, rate_limit: Option<RateLimit>) -> axum::Router {
    let app = openapi::app()
        .layer(axum::Extension(routes::health::Monitor::default()))
        .layer(axum::Extension(service::runs::JoinBatcher::new(
            state.pool.clone(),
        )))
        .layer(axum::Extension(service::runs::LifecycleBatcher::new(
            state.pool.clone(),
        )))
        .layer(axum::middleware::from_fn_with_state(
            outage::Outage::new(state.pool.clone()),
            outage::guard,
        ));
    let app = match rate_limit {
        Some(limit) => app.layer(axum::middleware::from_fn_with_state(
            rate_limit::Limiter::new(limit, state.service_key.as_deref()),
            rate_limit::limit,
        )),
        None => app,
    };
    // Outermost, so that rate-limited answers are counted too.
    app.layer(axum::middleware::from_fn(routes::metrics::track))
        .with_state(state)
}

/// Serves the app on `listener` with `rate_limit` for per-guild keys (`None`: no limit)
/// until `shutdown` completes; requests already in flight finish before this returns.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ApiState,
    rate_limit: Option<RateLimit>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_app(listener, router_with(state, rate_limit), shutdown).await
}

/// Serves `app` (the API's [`router_with`], possibly behind other routes such as the web
/// dashboard's) on `listener` until `shutdown` completes, as [`serve`] does.
pub async fn serve_app(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    // `tap_io` only so axum hands the client address (ConnectInfo) through a custom listener.
    let listener = http_errors::JsonErrorListener::new(listener).tap_io(|_| {});
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
