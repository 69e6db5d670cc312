//! REST routes under `/api/v10`: the pipeline every request goes through (routing, auth,
//! fault injection, rate limits) and the dispatch to one module per resource family.

mod auth;
mod body;
mod channels;
mod commands;
mod faults;
mod guilds;
mod members;
mod messages;
mod rate_limits;
mod roles;
mod routing;
mod users;

use std::collections::HashMap;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

pub(crate) use body::{Body, json_u64};
pub(crate) use routing::{Params, query_map, route};

use crate::DiscordSim;
use crate::limits::ApiError;
use crate::model::*;

/// The single entry point for REST requests.
pub(crate) async fn rest_handler(
    AxState(sim): AxState<DiscordSim>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let full = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| path.clone());
    let body_for_record = serde_json::from_slice::<Value>(&bytes).ok();
    let matched = path.strip_prefix("/api/v10/").and_then(|rest| {
        route(
            method.as_str(),
            &rest.trim_end_matches('/').split('/').collect::<Vec<_>>(),
        )
    });
    let Some((template, params)) = matched else {
        tracing::error!(
            "discord-sim: UNKNOWN ROUTE {method} {full} (answering 404; add it to the simulator if the bot needs it)"
        );
        sim.record(&method, "UNKNOWN", &full, 404, body_for_record);
        return error_response(&ApiError::not_found());
    };
    let mut answer_late = None;
    let response = handle_matched(
        &sim,
        (&method, &template, &params, &full),
        &headers,
        &bytes,
        &mut answer_late,
    )
    .await;
    sim.record(
        &method,
        &template,
        &full,
        response.status().as_u16(),
        body_for_record,
    );
    if let Some(d) = answer_late {
        // Handled and recorded; the answer waits (its client may be gone by then).
        tokio::time::sleep(d).await;
    }
    response
}

/// Handles a matched request: `(method, template, params, full path)`. A queued
/// [`Failure::AnswerLate`] is handled as usual and its delay left in `answer_late`.
async fn handle_matched(
    sim: &DiscordSim,
    (method, template, params, full): (&Method, &str, &Params, &str),
    headers: &HeaderMap,
    bytes: &[u8],
    answer_late: &mut Option<std::time::Duration>,
) -> Response {
    let interaction_route = routing::is_interaction_route(template);
    if !interaction_route && !auth::authorized(sim, headers) {
        tracing::warn!("discord-sim: wrong token on {method} {full}");
        return error_response(&ApiError::unauthorized());
    }
    match faults::take(sim, template) {
        Some(Failure::AnswerLate(d)) => *answer_late = Some(d),
        Some(f) => return faults::respond(f).await,
        None => {}
    }
    if !interaction_route && let Some(f) = faults::draw(sim) {
        return faults::respond(f).await;
    }
    let body = match body::parse_body(sim, headers, bytes) {
        Ok(b) => b,
        Err(e) => return error_response(&e),
    };
    let query = query_map(full.split_once('?').map(|(_, q)| q));
    let cfg = &sim.inner.config;
    let mut st = sim.lock();
    let mut verdict = None;
    if !interaction_route {
        match rate_limits::take(&mut st, cfg, template, params) {
            Ok(v) => verdict = Some(v),
            Err(limited) => return *limited,
        }
    }
    let result = handle(sim, &mut st, template, params, &query, body);
    drop(st);
    let mut resp = match result {
        Ok((status, Some(v))) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            axum::Json(v),
        )
            .into_response(),
        Ok((_, None)) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error_response(&e),
    };
    if let Some(v) = verdict {
        rate_limits::add_ratelimit_headers(resp.headers_mut(), &v);
    }
    resp
}

fn error_response(err: &ApiError) -> Response {
    let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, axum::Json(err.body())).into_response()
}

impl DiscordSim {
    fn record(&self, method: &Method, route: &str, path: &str, status: u16, body: Option<Value>) {
        let route = if route == "UNKNOWN" {
            format!("{method} UNKNOWN")
        } else {
            route.to_owned()
        };
        let at = SystemTime::now();
        let mut st = self.lock();
        let index = st.calls.len();
        let changes_commands = method != Method::GET && route.ends_with("/commands");
        self.emit(crate::SimEvent::RestCall {
            index,
            method: method.as_str().to_owned(),
            route: route.clone(),
            path: path.to_owned(),
            status,
            at_ms: crate::events::unix_ms(at),
        });
        if changes_commands && status < 300 {
            self.emit(crate::SimEvent::CommandsChanged);
        }
        st.calls.push(RecordedCall {
            method: method.as_str().to_owned(),
            route,
            path: path.to_owned(),
            status,
            at,
            body,
        });
    }
}

type Reply = Result<(u16, Option<Value>), ApiError>;

fn ok(v: Value) -> Reply {
    Ok((200, Some(v)))
}
fn no_content() -> Reply {
    Ok((204, None))
}

/// Hands a matched route to the module of its resource family.
fn handle(
    sim: &DiscordSim,
    st: &mut State,
    template: &str,
    p: &Params,
    q: &HashMap<String, String>,
    body: Body,
) -> Reply {
    let path = template.split_once(' ').map_or(template, |(_, path)| path);
    if path.ends_with("/commands") {
        commands::handle(sim, st, template, p, &body.json)
    } else if template == "POST /interactions/{interaction_id}/{interaction_token}/callback" {
        sim.interaction_callback(st, p, q, body)
    } else if path.contains("/webhooks/") {
        sim.webhook(st, template, p, body)
    } else if path.starts_with("/channels/{channel_id}/messages") && !path.ends_with("/threads") {
        messages::handle(sim, st, template, p, q, body)
    } else if path.starts_with("/channels/") {
        channels::handle(sim, st, template, p, &body.json)
    } else if path.starts_with("/guilds/{guild_id}/roles") {
        roles::handle(sim, st, template, p, &body.json)
    } else if path.starts_with("/guilds/{guild_id}/members")
        || path.starts_with("/guilds/{guild_id}/bans")
    {
        members::handle(sim, st, template, p, q, &body.json)
    } else if path.starts_with("/guilds/") {
        guilds::handle(sim, st, template, p)
    } else {
        users::handle(sim, st, template, p, &body.json)
    }
}

/// A route the routing table knows but no handler answers (a simulator bug).
fn unhandled(template: &str) -> Reply {
    tracing::error!("discord-sim: route {template} matched but has no handler");
    Err(ApiError::not_found())
}
