//! The sandbox web client: a small Discord in the browser over the simulator.
//!
//! [`router`] serves one page (`/`, with its script and style under `/assets/`, embedded in
//! the binary: no Node.js, CDN or network) and a JSON API under `/sim/` that the page uses to
//! read the simulator's state and to act as any member. Acting goes through the same driver
//! methods the tests use ([`DiscordSim::run_command`], [`DiscordSim::press`], ...), so the bot
//! sees exactly what it sees in tests, and the answer is what Discord's client would show:
//! the reply, an opened modal, "The application did not respond", or the client's own
//! refusal. Changes reach the page as server-sent events from [`DiscordSim::subscribe`].
//!
//! It is a development tool for one person on loopback: there is no authentication, and
//! whoever reaches it can act as every member.

mod api;
mod view;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};

use crate::{DiscordSim, InteractionResult};

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");

/// Largest upload the page may send (Discord's free limit is 10 MB).
const MAX_UPLOAD: usize = 10 * 1024 * 1024;

/// Shared by the handlers: the simulator and the modals the page has open (a modal is
/// submitted against the interaction that opened it, which lives only here).
#[derive(Clone)]
pub(crate) struct Web {
    pub(crate) sim: DiscordSim,
    pub(crate) modals: Arc<Mutex<HashMap<u64, InteractionResult>>>,
}

impl Web {
    pub(crate) fn modals(&self) -> std::sync::MutexGuard<'_, HashMap<u64, InteractionResult>> {
        self.modals.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The page and its API for `sim`. Merge it with other routers freely: it uses `/`,
/// `/assets/...`, `/attachments/...` and `/sim/...` only.
pub fn router(sim: DiscordSim) -> Router {
    let web = Web {
        sim,
        modals: Arc::default(),
    };
    Router::new()
        .route("/", get(index))
        .route("/assets/app.js", get(app_js))
        .route("/assets/app.css", get(app_css))
        .route("/attachments/{id}/{filename}", get(attachment))
        .route("/sim/state", get(api::state))
        .route("/sim/commands", get(api::commands))
        .route("/sim/channels/{channel_id}/messages", get(api::messages))
        .route("/sim/users/{user_id}/dm", get(api::dm_channel))
        .route("/sim/users/{user_id}", patch(api::patch_user))
        .route("/sim/calls", get(api::calls))
        .route("/sim/events", get(api::events))
        .route("/sim/members", post(api::create_member))
        .route(
            "/sim/members/{guild_id}/{user_id}",
            patch(api::patch_member),
        )
        .route(
            "/sim/upload",
            post(api::upload).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/sim/act/command", post(api::act_command))
        .route("/sim/act/autocomplete", post(api::act_autocomplete))
        .route("/sim/act/press", post(api::act_press))
        .route("/sim/act/select", post(api::act_select))
        .route("/sim/act/modal", post(api::act_modal))
        .route("/sim/act/message", post(api::act_message))
        .fallback(api::not_found)
        .with_state(web)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

async fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

async fn app_js() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

async fn app_css() -> Response {
    asset("text/css; charset=utf-8", APP_CSS)
}

async fn attachment(State(web): State<Web>, path: Path<(String, String)>) -> Response {
    serve_attachment(State(web.sim), path).await
}

/// `GET /attachments/{id}/{filename}`: the bytes of an uploaded file, like Discord's CDN.
pub(crate) async fn serve_attachment(
    State(sim): State<DiscordSim>,
    Path((id, _filename)): Path<(String, String)>,
) -> Response {
    let Some((a, bytes)) = id.parse::<u64>().ok().and_then(|id| sim.uploaded(id)) else {
        return (StatusCode::NOT_FOUND, "404: Not Found").into_response();
    };
    let ct = a
        .content_type
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
        .unwrap_or_else(|| HeaderValue::from_static("application/octet-stream"));
    (
        [
            (header::CONTENT_TYPE, ct),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("max-age=86400"),
            ),
            // An uploaded file is data, never a page of this origin.
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("sandbox"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests;
