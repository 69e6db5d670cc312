//! REST routes under `/api/v10`: routing, auth, fault injection, rate limits, handlers.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::DiscordSim;
use crate::ids::*;
use crate::limits::{self, ApiError};
use crate::model::*;
use crate::ratelimit::Verdict;

/// How long a message's `nonce` is remembered for `enforce_nonce` (Discord: "the past few
/// minutes").
const NONCE_WINDOW: Duration = Duration::from_secs(5 * 60);

/// Path parameters of a matched route.
#[derive(Debug, Default)]
pub(crate) struct Params {
    pub channel: Option<String>,
    pub message: Option<String>,
    pub guild: Option<String>,
    pub user: Option<String>,
    /// A permission overwrite's target (role or member id).
    pub overwrite: Option<String>,
    /// A reaction's emoji, percent-decoded (`✅`, or `name:id` for a custom one).
    pub emoji: Option<String>,
    pub role: Option<String>,
    pub app: Option<String>,
    pub token: Option<String>,
    pub interaction: Option<String>,
}

fn parse_id(v: &Option<String>, err: fn() -> ApiError) -> Result<u64, ApiError> {
    v.as_deref()
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(err)
}

impl Params {
    pub fn channel(&self) -> Result<ChannelId, ApiError> {
        parse_id(&self.channel, ApiError::unknown_channel).map(ChannelId)
    }
    pub fn message(&self) -> Result<MessageId, ApiError> {
        parse_id(&self.message, ApiError::unknown_message).map(MessageId)
    }
    pub fn guild(&self) -> Result<GuildId, ApiError> {
        parse_id(&self.guild, ApiError::unknown_guild).map(GuildId)
    }
    pub fn user(&self) -> Result<UserId, ApiError> {
        parse_id(&self.user, ApiError::unknown_user).map(UserId)
    }
    pub fn role(&self) -> Result<RoleId, ApiError> {
        parse_id(&self.role, ApiError::unknown_role).map(RoleId)
    }
}

fn s(x: &str) -> Option<String> {
    Some(x.to_owned())
}

/// Matches a request to a route template (`"PATCH /channels/{channel_id}/messages/{message_id}"`).
pub(crate) fn route(method: &str, segs: &[&str]) -> Option<(String, Params)> {
    let mut p = Params::default();
    let t: &str = match (method, segs) {
        ("GET", ["users", "@me"]) => "/users/@me",
        ("POST", ["users", "@me", "channels"]) => "/users/@me/channels",
        ("GET", ["users", u]) => {
            p.user = s(u);
            "/users/{user_id}"
        }
        ("GET", ["oauth2", "applications", "@me"]) => "/oauth2/applications/@me",
        ("GET", ["applications", "@me"]) => "/applications/@me",
        ("GET", ["gateway"]) => "/gateway",
        ("GET", ["gateway", "bot"]) => "/gateway/bot",
        ("GET" | "PUT" | "POST", ["applications", a, "commands"]) => {
            p.app = s(a);
            "/applications/{application_id}/commands"
        }
        ("GET" | "PUT" | "POST", ["applications", a, "guilds", g, "commands"]) => {
            p.app = s(a);
            p.guild = s(g);
            "/applications/{application_id}/guilds/{guild_id}/commands"
        }
        ("POST", ["interactions", i, tok, "callback"]) => {
            p.interaction = s(i);
            p.token = s(tok);
            "/interactions/{interaction_id}/{interaction_token}/callback"
        }
        ("GET" | "PATCH" | "DELETE", ["webhooks", a, tok, "messages", m]) => {
            p.app = s(a);
            p.token = s(tok);
            p.message = s(m);
            if *m == "@original" {
                "/webhooks/{application_id}/{interaction_token}/messages/@original"
            } else {
                "/webhooks/{application_id}/{interaction_token}/messages/{message_id}"
            }
        }
        ("POST", ["webhooks", a, tok]) => {
            p.app = s(a);
            p.token = s(tok);
            "/webhooks/{application_id}/{interaction_token}"
        }
        ("GET" | "PATCH" | "DELETE", ["channels", c]) => {
            p.channel = s(c);
            "/channels/{channel_id}"
        }
        ("GET" | "POST", ["channels", c, "messages"]) => {
            p.channel = s(c);
            "/channels/{channel_id}/messages"
        }
        ("POST", ["channels", c, "messages", "bulk-delete"]) => {
            p.channel = s(c);
            "/channels/{channel_id}/messages/bulk-delete"
        }
        ("GET", ["channels", c, "messages", "pins"]) | ("GET", ["channels", c, "pins"]) => {
            p.channel = s(c);
            "/channels/{channel_id}/messages/pins"
        }
        ("PUT" | "DELETE", ["channels", c, "messages", "pins", m])
        | ("PUT" | "DELETE", ["channels", c, "pins", m]) => {
            p.channel = s(c);
            p.message = s(m);
            "/channels/{channel_id}/messages/pins/{message_id}"
        }
        ("GET" | "PATCH" | "DELETE", ["channels", c, "messages", m]) => {
            p.channel = s(c);
            p.message = s(m);
            "/channels/{channel_id}/messages/{message_id}"
        }
        ("POST", ["channels", c, "messages", m, "threads"]) => {
            p.channel = s(c);
            p.message = s(m);
            "/channels/{channel_id}/messages/{message_id}/threads"
        }
        ("PUT" | "DELETE", ["channels", c, "messages", m, "reactions", e, "@me"]) => {
            p.channel = s(c);
            p.message = s(m);
            p.emoji = Some(percent_decode(e));
            "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
        }
        ("POST", ["channels", c, "threads"]) => {
            p.channel = s(c);
            "/channels/{channel_id}/threads"
        }
        ("PUT" | "DELETE", ["channels", c, "permissions", o]) => {
            p.channel = s(c);
            p.overwrite = s(o);
            "/channels/{channel_id}/permissions/{overwrite_id}"
        }
        ("POST", ["channels", c, "typing"]) => {
            p.channel = s(c);
            "/channels/{channel_id}/typing"
        }
        ("GET", ["guilds", g]) => {
            p.guild = s(g);
            "/guilds/{guild_id}"
        }
        ("GET", ["guilds", g, "channels"]) => {
            p.guild = s(g);
            "/guilds/{guild_id}/channels"
        }
        ("GET", ["guilds", g, "members"]) => {
            p.guild = s(g);
            "/guilds/{guild_id}/members"
        }
        ("GET" | "PATCH" | "DELETE", ["guilds", g, "members", u]) => {
            p.guild = s(g);
            p.user = s(u);
            "/guilds/{guild_id}/members/{user_id}"
        }
        ("PUT" | "DELETE", ["guilds", g, "members", u, "roles", r]) => {
            p.guild = s(g);
            p.user = s(u);
            p.role = s(r);
            "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"
        }
        ("GET" | "POST", ["guilds", g, "roles"]) => {
            p.guild = s(g);
            "/guilds/{guild_id}/roles"
        }
        ("PATCH" | "DELETE", ["guilds", g, "roles", r]) => {
            p.guild = s(g);
            p.role = s(r);
            "/guilds/{guild_id}/roles/{role_id}"
        }
        ("PUT" | "DELETE", ["guilds", g, "bans", u]) => {
            p.guild = s(g);
            p.user = s(u);
            "/guilds/{guild_id}/bans/{user_id}"
        }
        _ => return None,
    };
    Some((format!("{method} {t}"), p))
}

/// Decodes `%E2%9C%85` to `✅` (a path segment as twilight encodes emoji).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn is_interaction_route(template: &str) -> bool {
    template.contains("/interactions/") || template.contains("/webhooks/")
}

fn error_response(err: &ApiError) -> Response {
    let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, axum::Json(err.body())).into_response()
}

fn add_ratelimit_headers(h: &mut HeaderMap, v: &Verdict) {
    let reset_at = SystemTime::now()
        .checked_add(v.reset_after)
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let pairs = [
        ("x-ratelimit-bucket", v.bucket.clone()),
        ("x-ratelimit-limit", v.limit.to_string()),
        ("x-ratelimit-remaining", v.remaining.to_string()),
        ("x-ratelimit-reset", format!("{reset_at:.3}")),
        (
            "x-ratelimit-reset-after",
            format!("{:.3}", v.reset_after.as_secs_f64()),
        ),
        ("x-ratelimit-scope", "user".to_owned()),
    ];
    for (k, val) in pairs {
        if let Ok(hv) = HeaderValue::from_str(&val) {
            h.insert(k, hv);
        }
    }
}

fn too_many(retry_after: Duration, global: bool, verdict: Option<&Verdict>) -> Response {
    let secs = retry_after.as_secs_f64().max(0.001);
    let body = json!({"message": "You are being rate limited.", "retry_after": (secs * 1000.0).round() / 1000.0, "global": global});
    let mut resp = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&(secs.ceil() as u64).max(1).to_string()) {
        h.insert("retry-after", v);
    }
    if global {
        h.insert("x-ratelimit-global", HeaderValue::from_static("true"));
        h.insert("x-ratelimit-scope", HeaderValue::from_static("global"));
    } else if let Some(v) = verdict {
        add_ratelimit_headers(h, v);
    }
    resp
}

/// Parsed request body.
pub(crate) struct Body {
    pub json: Value,
    pub files: Vec<Attachment>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn header_param(headers: &str, key: &str) -> Option<String> {
    let pat = format!("{key}=\"");
    let start = headers.find(&pat)? + pat.len();
    let end = headers[start..].find('"')? + start;
    Some(headers[start..end].to_owned())
}

/// Minimal multipart/form-data parser for `payload_json` + `files[n]`: the files come back
/// as (filename, content type, bytes) for the caller to store.
#[allow(clippy::type_complexity)]
fn parse_multipart(body: &[u8], boundary: &str) -> (Value, Vec<(String, Option<String>, Vec<u8>)>) {
    let mut json = Value::Null;
    let mut files = Vec::new();
    let delim = format!("--{boundary}");
    let mut rest = body;
    while let Some(pos) = find(rest, delim.as_bytes()) {
        rest = &rest[pos + delim.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let Some(hdr_end) = find(rest, b"\r\n\r\n") else {
            break;
        };
        let headers = String::from_utf8_lossy(&rest[..hdr_end]).to_string();
        let content_start = hdr_end + 4;
        let content_end = find(&rest[content_start..], delim.as_bytes())
            .map(|e| content_start + e)
            .unwrap_or(rest.len());
        let mut content = &rest[content_start..content_end];
        if content.ends_with(b"\r\n") {
            content = &content[..content.len() - 2];
        }
        let name = header_param(&headers, "name").unwrap_or_default();
        if name == "payload_json" {
            json = serde_json::from_slice(content).unwrap_or(Value::Null);
        } else if let Some(filename) = header_param(&headers, "filename") {
            let content_type = headers.lines().find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.trim().eq_ignore_ascii_case("content-type"))
                    .map(|(_, v)| v.trim().to_owned())
            });
            files.push((filename, content_type, content.to_vec()));
        }
        rest = &rest[content_end..];
    }
    (json, files)
}

/// Parses a request body; uploaded files are stored in the simulator (served under
/// `/attachments/...`) so the bot's own uploads can be downloaded and shown like Discord's CDN.
fn parse_body(sim: &DiscordSim, headers: &HeaderMap, bytes: &[u8]) -> Result<Body, ApiError> {
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.starts_with("multipart/form-data") {
        let boundary = ct
            .split("boundary=")
            .nth(1)
            .unwrap_or("")
            .trim_matches('"')
            .to_owned();
        let (json, files) = parse_multipart(bytes, &boundary);
        let files = files
            .into_iter()
            .map(|(name, ct, data)| sim.upload(&name, ct.as_deref(), data))
            .collect();
        return Ok(Body { json, files });
    }
    if bytes.is_empty() {
        return Ok(Body {
            json: Value::Null,
            files: Vec::new(),
        });
    }
    serde_json::from_slice(bytes)
        .map(|json| Body {
            json,
            files: Vec::new(),
        })
        .map_err(|_| ApiError::new(400, 50109, "The request body contains invalid JSON."))
}

pub(crate) fn query_map(q: Option<&str>) -> HashMap<String, String> {
    q.unwrap_or("")
        .split('&')
        .filter(|x| !x.is_empty())
        .filter_map(|kv| {
            let mut it = kv.splitn(2, '=');
            Some((it.next()?.to_owned(), it.next().unwrap_or("").to_owned()))
        })
        .collect()
}

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
    let response = handle_matched(&sim, &method, &template, &params, &full, &headers, &bytes).await;
    sim.record(
        &method,
        &template,
        &full,
        response.status().as_u16(),
        body_for_record,
    );
    response
}

async fn handle_matched(
    sim: &DiscordSim,
    method: &Method,
    template: &str,
    params: &Params,
    full: &str,
    headers: &HeaderMap,
    bytes: &[u8],
) -> Response {
    let interaction_route = is_interaction_route(template);
    if !interaction_route {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let want = &sim.inner.config.token;
        if auth != format!("Bot {want}") && auth != want.as_str() {
            tracing::warn!("discord-sim: wrong token on {method} {full}");
            return error_response(&ApiError::unauthorized());
        }
    }
    // fault injection
    let injected = {
        let mut st = sim.lock();
        let hit = st
            .failures
            .get_mut(template)
            .filter(|(n, _)| *n > 0)
            .map(|(n, f)| {
                *n -= 1;
                f.clone()
            });
        st.failures.retain(|_, (n, _)| *n > 0);
        hit
    };
    if let Some(f) = injected {
        return match f {
            Failure::Timeout => {
                tokio::time::sleep(Duration::from_secs(60)).await;
                error_response(&ApiError::new(504, 0, "504: Gateway Timeout"))
            }
            Failure::RateLimited(secs) => injected_429(secs),
            Failure::Status(429) => injected_429(1.0),
            Failure::Status(code) => error_response(&ApiError::new(
                code,
                0,
                &format!("{code}: injected failure"),
            )),
        };
    }
    let body = match parse_body(sim, headers, bytes) {
        Ok(b) => b,
        Err(e) => return error_response(&e),
    };
    let query = query_map(full.split_once('?').map(|(_, q)| q));
    let cfg = &sim.inner.config;
    let mut st = sim.lock();
    // rate limits
    let mut verdict = None;
    if !interaction_route {
        if let Some(retry) = st.ratelimit.take_global(cfg.global_limit) {
            return too_many(retry, true, None);
        }
        let v = if template == "POST /channels/{channel_id}/messages"
            || template == "PATCH /channels/{channel_id}/messages/{message_id}"
        {
            st.ratelimit.take(
                "channel-messages-write",
                params.channel.as_deref().unwrap_or(""),
                cfg.channel_message_limit,
                cfg.channel_message_window,
            )
        } else {
            let resource = params
                .channel
                .as_deref()
                .or(params.guild.as_deref())
                .unwrap_or("");
            st.ratelimit
                .take(template, resource, cfg.route_limit, cfg.route_window)
        };
        if v.limited {
            return too_many(v.reset_after, false, Some(&v));
        }
        verdict = Some(v);
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
        add_ratelimit_headers(resp.headers_mut(), &v);
    }
    resp
}

fn injected_429(secs: f64) -> Response {
    let d = Duration::from_secs_f64(secs.max(0.001));
    let v = Verdict {
        bucket: "injected".to_owned(),
        limit: 1,
        remaining: 0,
        reset_after: d,
        limited: true,
    };
    too_many(d, false, Some(&v))
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

fn handle(
    sim: &DiscordSim,
    st: &mut State,
    template: &str,
    p: &Params,
    q: &HashMap<String, String>,
    body: Body,
) -> Reply {
    let app_id = sim.inner.app_id;
    let bot = sim.inner.bot_user;
    let b = &body.json;
    match template {
        "GET /users/@me" => ok(sim.current_user_json(st)),
        "GET /users/{user_id}" => {
            let u = p.user()?;
            st.users
                .get(&u)
                .map(|u| u.to_json())
                .map(ok)
                .unwrap_or(Err(ApiError::unknown_user()))
        }
        "POST /users/@me/channels" => {
            let uid = b
                .get("recipient_id")
                .and_then(json_u64)
                .map(UserId)
                .ok_or_else(ApiError::unknown_user)?;
            if !st.users.contains_key(&uid) {
                return Err(ApiError::unknown_user());
            }
            let ch = sim.dm_channel(st, uid);
            let c = st
                .channels
                .get(&ch)
                .map(|c| c.to_json(st))
                .unwrap_or(Value::Null);
            ok(c)
        }
        "GET /oauth2/applications/@me" | "GET /applications/@me" => ok(json!({
            "id": app_id.to_string(),
            "name": "raidbot",
            "icon": null,
            "description": "",
            "summary": "",
            "bot_public": false,
            "bot_require_code_grant": false,
            "verify_key": "0000000000000000000000000000000000000000000000000000000000000000",
            "flags": 0,
            "owner": st.users.get(&bot).map(|u| u.to_json()),
            "team": null,
            "rpc_origins": [],
            "bot": st.users.get(&bot).map(|u| u.to_json()),
        })),
        "GET /gateway" => ok(json!({"url": sim.gateway_url()})),
        "GET /gateway/bot" => ok(crate::gateway::gateway_bot_json(sim, st)),
        t if t.ends_with("/commands") => commands(sim, st, t, p, b),
        "POST /interactions/{interaction_id}/{interaction_token}/callback" => {
            sim.interaction_callback(st, p, q, body)
        }
        t if t.contains("/webhooks/") => sim.webhook(st, t, p, body),
        "GET /channels/{channel_id}" => {
            let c = p.channel()?;
            st.channels
                .get(&c)
                .map(|c| c.to_json(st))
                .map(ok)
                .unwrap_or(Err(ApiError::unknown_channel()))
        }
        "DELETE /channels/{channel_id}" => delete_channel(sim, st, p),
        "PUT /channels/{channel_id}/permissions/{overwrite_id}" => put_overwrite(sim, st, p, b),
        "DELETE /channels/{channel_id}/permissions/{overwrite_id}" => delete_overwrite(sim, st, p),
        "PATCH /channels/{channel_id}" => {
            // Threads: archive and lock (what the bot uses). Other fields are ignored.
            let id = p.channel()?;
            let c = st
                .channels
                .get_mut(&id)
                .ok_or_else(ApiError::unknown_channel)?;
            if let Some(a) = b.get("archived").and_then(Value::as_bool) {
                c.archived = a;
            }
            if let Some(l) = b.get("locked").and_then(Value::as_bool) {
                c.locked = l;
            }
            let json = st
                .channels
                .get(&id)
                .map(|c| c.to_json(st))
                .unwrap_or(Value::Null);
            ok(json)
        }
        "GET /channels/{channel_id}/messages" => {
            let c = p.channel()?;
            if !st.channels.contains_key(&c) {
                return Err(ApiError::unknown_channel());
            }
            let limit = q
                .get("limit")
                .and_then(|l| l.parse::<usize>().ok())
                .unwrap_or(50)
                .clamp(1, 100);
            let before = q.get("before").and_then(|l| l.parse::<u64>().ok());
            let after = q.get("after").and_then(|l| l.parse::<u64>().ok());
            let msgs: Vec<Value> = st
                .messages
                .get(&c)
                .map(|m| {
                    m.values()
                        .rev()
                        .filter(|m| {
                            before.is_none_or(|b| m.id.0 < b) && after.is_none_or(|a| m.id.0 > a)
                        })
                        .take(limit)
                        .map(|m| m.to_json(st, app_id))
                        .collect()
                })
                .unwrap_or_default();
            ok(Value::Array(msgs))
        }
        "POST /channels/{channel_id}/messages" => {
            let c = p.channel()?;
            let (guild, kind, recipient) = {
                let ch = st.channels.get(&c).ok_or_else(ApiError::unknown_channel)?;
                (ch.guild_id, ch.kind, ch.recipient)
            };
            match (guild, recipient) {
                (_, Some(u)) if !st.users.get(&u).is_some_and(|u| u.accepts_dms && !u.bot) => {
                    return Err(ApiError::cannot_dm());
                }
                (_, Some(_)) => {}
                (Some(g), None) => {
                    let need = if kind == ChannelKind::PublicThread {
                        perms::SEND_MESSAGES_IN_THREADS
                    } else {
                        perms::SEND_MESSAGES
                    };
                    if st.permissions(g, bot) & need == 0 {
                        return Err(ApiError::missing_permissions());
                    }
                    if matches!(kind, ChannelKind::Forum | ChannelKind::Category) {
                        return Err(ApiError::new(
                            400,
                            50008,
                            "Cannot send messages in a non-text channel",
                        ));
                    }
                }
                _ => {}
            }
            // `nonce` with `enforce_nonce`: the same author's message with the same nonce
            // in the last few minutes is answered again instead of being posted twice.
            let nonce = match b.get("nonce") {
                Some(Value::String(n)) => Some(n.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                Some(Value::Null) | None => None,
                Some(_) => {
                    return Err(ApiError::form(
                        "nonce",
                        "BASE_TYPE_BAD_LENGTH",
                        "Must be a string or an integer of 25 characters or fewer.",
                    ));
                }
            };
            if nonce.as_ref().is_some_and(|n| n.chars().count() > 25) {
                return Err(ApiError::form(
                    "nonce",
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be 25 or fewer in length.",
                ));
            }
            let enforce = b.get("enforce_nonce").and_then(Value::as_bool) == Some(true);
            let nonce = nonce.filter(|_| enforce);
            if let Some(n) = &nonce {
                st.nonces.retain(|_, (_, at)| at.elapsed() < NONCE_WINDOW);
                let earlier = st
                    .nonces
                    .get(&(c, n.clone()))
                    .and_then(|(m, _)| st.messages.get(&c).and_then(|x| x.get(m)));
                if let Some(m) = earlier {
                    return ok(m.to_json(st, app_id));
                }
            }
            limits::validate_message(b, body.files.is_empty())?;
            let mut msg = sim.new_message(c, guild, bot, b);
            msg.attachments = body.files;
            if b.get("message_reference").is_some() {
                msg.kind = 19;
            }
            if let Some(n) = nonce {
                st.nonces
                    .insert((c, n), (msg.id, std::time::Instant::now()));
            }
            let json = sim.insert_message(st, msg);
            ok(json)
        }
        "GET /channels/{channel_id}/messages/{message_id}" => {
            let (c, m) = (p.channel()?, p.message()?);
            if !st.channels.contains_key(&c) {
                return Err(ApiError::unknown_channel());
            }
            st.messages
                .get(&c)
                .and_then(|x| x.get(&m))
                .map(|m| m.to_json(st, app_id))
                .map(ok)
                .unwrap_or(Err(ApiError::unknown_message()))
        }
        "PATCH /channels/{channel_id}/messages/{message_id}" => {
            let (c, m) = (p.channel()?, p.message()?);
            if !st.channels.contains_key(&c) {
                return Err(ApiError::unknown_channel());
            }
            let author = st
                .messages
                .get(&c)
                .and_then(|x| x.get(&m))
                .map(|m| m.author_id)
                .ok_or_else(ApiError::unknown_message)?;
            if author != bot {
                return Err(ApiError::new(
                    403,
                    50005,
                    "Cannot edit a message authored by another user",
                ));
            }
            limits::validate_message(b, false)?;
            let json = sim
                .edit_message(st, c, m, b, body.files)
                .ok_or_else(ApiError::unknown_message)?;
            ok(json)
        }
        "DELETE /channels/{channel_id}/messages/{message_id}" => {
            let (c, m) = (p.channel()?, p.message()?);
            let guild = st
                .channels
                .get(&c)
                .ok_or_else(ApiError::unknown_channel)?
                .guild_id;
            let author = st
                .messages
                .get(&c)
                .and_then(|x| x.get(&m))
                .map(|m| m.author_id)
                .ok_or_else(ApiError::unknown_message)?;
            if author != bot
                && guild.is_some_and(|g| st.permissions(g, bot) & perms::MANAGE_MESSAGES == 0)
            {
                return Err(ApiError::missing_permissions());
            }
            if author != bot && guild.is_none() {
                return Err(ApiError::new(
                    403,
                    50003,
                    "Cannot execute action on a DM channel",
                ));
            }
            sim.remove_message(st, c, m, true);
            no_content()
        }
        "POST /channels/{channel_id}/messages/bulk-delete" => {
            let c = p.channel()?;
            let guild = st
                .channels
                .get(&c)
                .ok_or_else(ApiError::unknown_channel)?
                .guild_id;
            let Some(g) = guild else {
                return Err(ApiError::new(
                    403,
                    50003,
                    "Cannot execute action on a DM channel",
                ));
            };
            if st.permissions(g, bot) & perms::MANAGE_MESSAGES == 0 {
                return Err(ApiError::missing_permissions());
            }
            let ids: Vec<u64> = b
                .get("messages")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(json_u64).collect())
                .unwrap_or_default();
            if ids.len() < 2 || ids.len() > 100 {
                return Err(ApiError::form(
                    "messages",
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 2 and 100 in length.",
                ));
            }
            let cutoff = now_ms().saturating_sub(14 * 24 * 3600 * 1000);
            if ids.iter().any(|id| snowflake_unix_ms(*id) < cutoff) {
                return Err(ApiError::new(
                    400,
                    50034,
                    "You can only bulk delete messages that are under 14 days old.",
                ));
            }
            for id in &ids {
                sim.remove_message(st, c, MessageId(*id), false);
            }
            let d = json!({"ids": ids.iter().map(|i| i.to_string()).collect::<Vec<_>>(), "channel_id": c.to_string(), "guild_id": g.to_string()});
            sim.dispatch(st, "MESSAGE_DELETE_BULK", d);
            no_content()
        }
        "GET /channels/{channel_id}/messages/pins" => {
            let c = p.channel()?;
            if !st.channels.contains_key(&c) {
                return Err(ApiError::unknown_channel());
            }
            let items: Vec<Value> = st
                .messages
                .get(&c)
                .map(|m| {
                    m.values()
                        .rev()
                        .filter(|m| m.pinned)
                        .map(|m| json!({"pinned_at": iso_from_ms(now_ms()), "message": m.to_json(st, app_id)}))
                        .collect()
                })
                .unwrap_or_default();
            ok(json!({"items": items, "has_more": false}))
        }
        "PUT /channels/{channel_id}/messages/pins/{message_id}"
        | "DELETE /channels/{channel_id}/messages/pins/{message_id}" => {
            let (c, m) = (p.channel()?, p.message()?);
            let guild = st
                .channels
                .get(&c)
                .ok_or_else(ApiError::unknown_channel)?
                .guild_id;
            if guild.is_some_and(|g| st.permissions(g, bot) & perms::MANAGE_MESSAGES == 0) {
                return Err(ApiError::missing_permissions());
            }
            let pin = template.starts_with("PUT");
            let msg = st
                .messages
                .get_mut(&c)
                .and_then(|x| x.get_mut(&m))
                .ok_or_else(ApiError::unknown_message)?;
            msg.pinned = pin;
            let json = msg.clone().to_json(st, app_id);
            sim.dispatch(st, "MESSAGE_UPDATE", json);
            no_content()
        }
        "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
        | "DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me" => {
            let (c, m) = (p.channel()?, p.message()?);
            let emoji = p.emoji.clone().unwrap_or_default();
            let msg = st
                .messages
                .get_mut(&c)
                .and_then(|x| x.get_mut(&m))
                .ok_or_else(ApiError::unknown_message)?;
            msg.reactions.retain(|r| *r != emoji);
            if template.starts_with("PUT") {
                msg.reactions.push(emoji);
            }
            no_content()
        }
        "POST /channels/{channel_id}/typing" => {
            p.channel()?;
            no_content()
        }
        "POST /channels/{channel_id}/threads"
        | "POST /channels/{channel_id}/messages/{message_id}/threads" => {
            create_thread(sim, st, template, p, b)
        }
        "GET /guilds/{guild_id}" => {
            let g = st
                .guilds
                .get(&p.guild()?)
                .ok_or_else(ApiError::unknown_guild)?;
            ok(st.guild_json(g, false))
        }
        "GET /guilds/{guild_id}/channels" => {
            let g = st
                .guilds
                .get(&p.guild()?)
                .ok_or_else(ApiError::unknown_guild)?;
            ok(Value::Array(
                g.channels
                    .iter()
                    .filter_map(|c| st.channels.get(c))
                    .filter(|c| c.kind != ChannelKind::PublicThread)
                    .map(|c| c.to_json(st))
                    .collect(),
            ))
        }
        "GET /guilds/{guild_id}/members" => {
            let g = st
                .guilds
                .get(&p.guild()?)
                .ok_or_else(ApiError::unknown_guild)?;
            let limit = q
                .get("limit")
                .and_then(|l| l.parse::<usize>().ok())
                .unwrap_or(1)
                .clamp(1, 1000);
            let after = q
                .get("after")
                .and_then(|l| l.parse::<u64>().ok())
                .unwrap_or(0);
            ok(Value::Array(
                g.members
                    .values()
                    .filter(|m| m.user_id.0 > after)
                    .take(limit)
                    .map(|m| st.member_json(m))
                    .collect(),
            ))
        }
        "GET /guilds/{guild_id}/members/{user_id}" => {
            let g = st
                .guilds
                .get(&p.guild()?)
                .ok_or_else(ApiError::unknown_guild)?;
            let m = g
                .members
                .get(&p.user()?)
                .ok_or_else(ApiError::unknown_member)?;
            ok(st.member_json(m))
        }
        "PATCH /guilds/{guild_id}/members/{user_id}" => update_member(sim, st, p, b),
        "DELETE /guilds/{guild_id}/members/{user_id}" | "PUT /guilds/{guild_id}/bans/{user_id}" => {
            let (g, u) = (p.guild()?, p.user()?);
            let ban = template.starts_with("PUT");
            let guild = st.guilds.get(&g).ok_or_else(ApiError::unknown_guild)?;
            let need = if ban {
                perms::BAN_MEMBERS
            } else {
                perms::KICK_MEMBERS
            };
            let is_member = guild.members.contains_key(&u);
            if !is_member && !ban {
                return Err(ApiError::unknown_member());
            }
            if st.permissions(g, bot) & need == 0
                || guild.owner_id == u
                || (is_member && st.top_position(g, u) >= st.top_position(g, bot))
            {
                return Err(ApiError::missing_permissions());
            }
            if let Some(guild) = st.guilds.get_mut(&g) {
                guild.members.remove(&u);
                if ban && !guild.bans.contains(&u) {
                    guild.bans.push(u);
                }
            }
            let user = st.users.get(&u).map(|u| u.to_json());
            if ban {
                sim.dispatch(
                    st,
                    "GUILD_BAN_ADD",
                    json!({"guild_id": g.to_string(), "user": user}),
                );
            }
            if is_member {
                sim.dispatch(
                    st,
                    "GUILD_MEMBER_REMOVE",
                    json!({"guild_id": g.to_string(), "user": user}),
                );
            }
            no_content()
        }
        "DELETE /guilds/{guild_id}/bans/{user_id}" => {
            let (g, u) = (p.guild()?, p.user()?);
            let guild = st.guilds.get_mut(&g).ok_or_else(ApiError::unknown_guild)?;
            let before = guild.bans.len();
            guild.bans.retain(|x| *x != u);
            if guild.bans.len() == before {
                return Err(ApiError::new(404, 10026, "Unknown Ban"));
            }
            no_content()
        }
        "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}"
        | "DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}" => {
            let (g, u, r) = (p.guild()?, p.user()?, p.role()?);
            let guild = st.guilds.get(&g).ok_or_else(ApiError::unknown_guild)?;
            let role_pos = guild
                .roles
                .get(&r)
                .map(|r| r.position)
                .ok_or_else(ApiError::unknown_role)?;
            if !guild.members.contains_key(&u) {
                return Err(ApiError::unknown_member());
            }
            let bot_top = st.top_position(g, bot);
            if st.permissions(g, bot) & perms::MANAGE_ROLES == 0
                || role_pos >= bot_top
                || (u != bot && st.top_position(g, u) >= bot_top)
            {
                return Err(ApiError::missing_permissions());
            }
            let add = template.starts_with("PUT");
            if let Some(m) = st.guilds.get_mut(&g).and_then(|g| g.members.get_mut(&u)) {
                if add && !m.roles.contains(&r) {
                    m.roles.push(r);
                } else if !add {
                    m.roles.retain(|x| *x != r);
                }
            }
            sim.member_update_dispatch(st, g, u);
            no_content()
        }
        "GET /guilds/{guild_id}/roles" => {
            let g = st
                .guilds
                .get(&p.guild()?)
                .ok_or_else(ApiError::unknown_guild)?;
            ok(Value::Array(g.roles.values().map(Role::to_json).collect()))
        }
        "POST /guilds/{guild_id}/roles" => {
            let g = p.guild()?;
            let guild = st.guilds.get(&g).ok_or_else(ApiError::unknown_guild)?;
            let bot_perms = st.permissions(g, bot);
            if bot_perms & perms::MANAGE_ROLES == 0 {
                return Err(ApiError::missing_permissions());
            }
            if guild.roles.len() >= 250 {
                return Err(ApiError::new(
                    400,
                    30005,
                    "Maximum number of guild roles reached (250)",
                ));
            }
            let permissions = b.get("permissions").and_then(json_u64).unwrap_or(0);
            if permissions & !bot_perms != 0 {
                return Err(ApiError::missing_permissions());
            }
            let name = b
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("new role")
                .to_owned();
            if name.chars().count() > 100 {
                return Err(ApiError::form(
                    "name",
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 100 or fewer in length.",
                ));
            }
            let role = Role {
                id: RoleId(next_snowflake()),
                guild_id: g,
                name,
                permissions,
                position: 1,
                managed: false,
                color: b.get("color").and_then(Value::as_u64).unwrap_or(0) as u32,
                hoist: b.get("hoist").and_then(Value::as_bool).unwrap_or(false),
                mentionable: b
                    .get("mentionable")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                bot_id: None,
            };
            if let Some(guild) = st.guilds.get_mut(&g) {
                for r in guild.roles.values_mut() {
                    if r.position >= 1 {
                        r.position += 1;
                    }
                }
                guild.roles.insert(role.id, role.clone());
            }
            sim.dispatch(
                st,
                "GUILD_ROLE_CREATE",
                json!({"guild_id": g.to_string(), "role": role.to_json()}),
            );
            ok(role.to_json())
        }
        "PATCH /guilds/{guild_id}/roles/{role_id}"
        | "DELETE /guilds/{guild_id}/roles/{role_id}" => {
            let (g, r) = (p.guild()?, p.role()?);
            let guild = st.guilds.get(&g).ok_or_else(ApiError::unknown_guild)?;
            let role = guild.roles.get(&r).ok_or_else(ApiError::unknown_role)?;
            let bot_perms = st.permissions(g, bot);
            if bot_perms & perms::MANAGE_ROLES == 0
                || (role.position >= st.top_position(g, bot) && r.0 != g.0)
            {
                return Err(ApiError::missing_permissions());
            }
            if template.starts_with("DELETE") {
                if r.0 == g.0 || role.managed {
                    return Err(ApiError::new(400, 50028, "Invalid Role"));
                }
                if let Some(guild) = st.guilds.get_mut(&g) {
                    guild.roles.remove(&r);
                    for m in guild.members.values_mut() {
                        m.roles.retain(|x| *x != r);
                    }
                }
                sim.dispatch(
                    st,
                    "GUILD_ROLE_DELETE",
                    json!({"guild_id": g.to_string(), "role_id": r.to_string()}),
                );
                return no_content();
            }
            if let Some(pm) = b.get("permissions").and_then(json_u64)
                && pm & !bot_perms != 0
            {
                return Err(ApiError::missing_permissions());
            }
            let Some(role) = st.guilds.get_mut(&g).and_then(|g| g.roles.get_mut(&r)) else {
                return Err(ApiError::unknown_role());
            };
            if let Some(n) = b.get("name").and_then(Value::as_str) {
                role.name = n.to_owned();
            }
            if let Some(pm) = b.get("permissions").and_then(json_u64) {
                role.permissions = pm;
            }
            if let Some(c) = b.get("color").and_then(Value::as_u64) {
                role.color = c as u32;
            }
            if let Some(h) = b.get("hoist").and_then(Value::as_bool) {
                role.hoist = h;
            }
            if let Some(h) = b.get("mentionable").and_then(Value::as_bool) {
                role.mentionable = h;
            }
            let json = role.to_json();
            sim.dispatch(
                st,
                "GUILD_ROLE_UPDATE",
                json!({"guild_id": g.to_string(), "role": json}),
            );
            ok(json)
        }
        other => {
            tracing::error!("discord-sim: route {other} matched but has no handler");
            Err(ApiError::not_found())
        }
    }
}

/// A snowflake given as string or number.
pub(crate) fn json_u64(v: &Value) -> Option<u64> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

fn commands(sim: &DiscordSim, st: &mut State, t: &str, p: &Params, b: &Value) -> Reply {
    let app_id = sim.inner.app_id;
    if p.app.as_deref() != Some(app_id.to_string().as_str()) {
        return Err(ApiError::new(404, 10002, "Unknown Application"));
    }
    let guild = match &p.guild {
        Some(_) => {
            let g = p.guild()?;
            if !st.guilds.contains_key(&g) {
                return Err(ApiError::new(403, 50001, "Missing Access"));
            }
            Some(g)
        }
        None => None,
    };
    let existing = match guild {
        Some(g) => st.guild_commands.get(&g).cloned().unwrap_or_default(),
        None => st.global_commands.clone(),
    };
    let normalize = |cmd: &Value, existing: &[Value]| -> Value {
        let mut c = cmd.clone();
        let kind = c.get("type").and_then(Value::as_u64).unwrap_or(1);
        let name = c
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let id = existing
            .iter()
            .find(|e| {
                e.get("name").and_then(Value::as_str) == Some(name.as_str())
                    && e.get("type").and_then(Value::as_u64) == Some(kind)
            })
            .and_then(|e| e.get("id").cloned())
            .unwrap_or_else(|| json!(next_snowflake().to_string()));
        c["id"] = id;
        c["type"] = json!(kind);
        c["application_id"] = json!(app_id.to_string());
        c["version"] = json!(next_snowflake().to_string());
        if c.get("description").is_none() {
            c["description"] = json!("");
        }
        if c.get("default_member_permissions").is_none() {
            c["default_member_permissions"] = Value::Null;
        }
        if c.get("nsfw").is_none() {
            c["nsfw"] = json!(false);
        }
        if let Some(g) = guild {
            c["guild_id"] = json!(g.to_string());
        }
        c
    };
    let method = t.split(' ').next().unwrap_or("");
    match method {
        "GET" => ok(Value::Array(existing)),
        "PUT" => {
            let list = b.as_array().cloned().unwrap_or_default();
            if list.len() > 100 {
                return Err(ApiError::form(
                    "",
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 100 or fewer in length.",
                ));
            }
            for (i, cmd) in list.iter().enumerate() {
                limits::validate_command(cmd, i)?;
            }
            let stored: Vec<Value> = list.iter().map(|c| normalize(c, &existing)).collect();
            match guild {
                Some(g) => {
                    st.guild_commands.insert(g, stored.clone());
                }
                None => st.global_commands = stored.clone(),
            }
            ok(Value::Array(stored))
        }
        _ => {
            limits::validate_command(b, 0)?;
            let cmd = normalize(b, &existing);
            let list = match guild {
                Some(g) => st.guild_commands.entry(g).or_default(),
                None => &mut st.global_commands,
            };
            list.retain(|e| e.get("id") != cmd.get("id"));
            list.push(cmd.clone());
            Ok((201, Some(cmd)))
        }
    }
}

fn create_thread(sim: &DiscordSim, st: &mut State, template: &str, p: &Params, b: &Value) -> Reply {
    let bot = sim.inner.bot_user;
    let c = p.channel()?;
    let parent = st
        .channels
        .get(&c)
        .cloned()
        .ok_or_else(ApiError::unknown_channel)?;
    let g = parent
        .guild_id
        .ok_or_else(|| ApiError::new(400, 50024, "Cannot execute action on this channel type"))?;
    if st.permissions(g, bot) & perms::CREATE_PUBLIC_THREADS == 0 {
        return Err(ApiError::missing_permissions());
    }
    let name = b
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let n = name.chars().count();
    if n == 0 || n > 100 {
        return Err(ApiError::form(
            "name",
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 100 in length.",
        ));
    }
    let from_message = template.contains("{message_id}");
    let thread_id = if from_message {
        let m = p.message()?;
        let msg = st
            .messages
            .get(&c)
            .and_then(|x| x.get(&m))
            .ok_or_else(ApiError::unknown_message)?;
        if msg.thread_id.is_some() {
            return Err(ApiError::new(
                400,
                160004,
                "A thread has already been created for this message",
            ));
        }
        ChannelId(m.0)
    } else {
        ChannelId(next_snowflake())
    };
    let forum = parent.kind == ChannelKind::Forum;
    let starter = if forum {
        let msg = b.get("message").cloned().ok_or_else(|| {
            ApiError::form("message", "BASE_TYPE_REQUIRED", "This field is required")
        })?;
        limits::validate_message(&msg, true)?;
        Some(msg)
    } else {
        if !matches!(parent.kind, ChannelKind::Text) {
            return Err(ApiError::new(
                400,
                50024,
                "Cannot execute action on this channel type",
            ));
        }
        None
    };
    let thread = Channel {
        id: thread_id,
        guild_id: Some(g),
        name,
        kind: ChannelKind::PublicThread,
        parent_id: Some(c),
        position: 0,
        recipient: None,
        owner_id: Some(bot),
        archived: false,
        locked: false,
        overwrites: Vec::new(),
    };
    st.channels.insert(thread_id, thread);
    if let Some(guild) = st.guilds.get_mut(&g) {
        guild.channels.push(thread_id);
    }
    if from_message
        && let Some(m) = st
            .messages
            .get_mut(&c)
            .and_then(|x| x.get_mut(&MessageId(thread_id.0)))
    {
        m.thread_id = Some(thread_id);
    }
    let mut json = st
        .channels
        .get(&thread_id)
        .map(|t| t.to_json(st))
        .unwrap_or(Value::Null);
    json["newly_created"] = json!(true);
    sim.dispatch(st, "THREAD_CREATE", json.clone());
    if let Some(starter) = starter {
        let mut msg = sim.new_message(thread_id, Some(g), bot, &starter);
        msg.id = MessageId(thread_id.0);
        let m = sim.insert_message(st, msg);
        json["message"] = m;
    }
    Ok((201, Some(json)))
}

/// The guild channel an overwrite route acts on, once the bot may manage its permissions
/// (Manage Roles in that channel, i.e. after the channel's own overwrites). Threads have
/// none of their own.
fn overwrite_channel(
    sim: &DiscordSim,
    st: &State,
    p: &Params,
) -> Result<(ChannelId, GuildId, u64), ApiError> {
    let bot = sim.inner.bot_user;
    let c = p.channel()?;
    let ch = st.channels.get(&c).ok_or_else(ApiError::unknown_channel)?;
    let Some(g) = ch.guild_id else {
        return Err(ApiError::new(
            403,
            50003,
            "Cannot execute action on a DM channel",
        ));
    };
    if ch.kind == ChannelKind::PublicThread {
        return Err(ApiError::new(
            400,
            50024,
            "Cannot execute action on this channel type",
        ));
    }
    let have = st.channel_permissions(c, bot);
    if have & perms::MANAGE_ROLES == 0 {
        return Err(ApiError::missing_permissions());
    }
    let target = p
        .overwrite
        .as_deref()
        .and_then(|o| o.parse::<u64>().ok())
        .ok_or_else(|| ApiError::new(404, 10009, "Unknown Overwrite"))?;
    Ok((c, g, target))
}

/// Creates or replaces a role's or member's overwrite (204). Like Discord, the bot may only
/// allow or deny permissions it has in the channel.
fn put_overwrite(sim: &DiscordSim, st: &mut State, p: &Params, b: &Value) -> Reply {
    let bot = sim.inner.bot_user;
    let (c, g, target) = overwrite_channel(sim, st, p)?;
    let kind = match b.get("type").and_then(json_u64) {
        Some(k @ (0 | 1)) => k as u8,
        _ => {
            return Err(ApiError::form(
                "type",
                "BASE_TYPE_CHOICES",
                "Value must be one of {0, 1}.",
            ));
        }
    };
    let allow = b.get("allow").and_then(json_u64).unwrap_or(0);
    let deny = b.get("deny").and_then(json_u64).unwrap_or(0);
    let guild = st.guilds.get(&g).ok_or_else(ApiError::unknown_guild)?;
    match kind {
        0 if !guild.roles.contains_key(&RoleId(target)) => return Err(ApiError::unknown_role()),
        1 if !guild.members.contains_key(&UserId(target)) => {
            return Err(ApiError::unknown_member());
        }
        _ => {}
    }
    let have = st.channel_permissions(c, bot);
    if (allow | deny) & !have != 0 {
        return Err(ApiError::missing_permissions());
    }
    let ow = Overwrite {
        id: target,
        kind,
        allow,
        deny,
    };
    if let Some(ch) = st.channels.get_mut(&c) {
        ch.overwrites.retain(|o| o.id != target);
        ch.overwrites.push(ow);
    }
    let json = st
        .channels
        .get(&c)
        .map(|ch| ch.to_json(st))
        .unwrap_or(Value::Null);
    sim.dispatch(st, "CHANNEL_UPDATE", json);
    no_content()
}

/// Removes an overwrite (204; 10009 when there is none).
fn delete_overwrite(sim: &DiscordSim, st: &mut State, p: &Params) -> Reply {
    let (c, _, target) = overwrite_channel(sim, st, p)?;
    let ch = st
        .channels
        .get_mut(&c)
        .ok_or_else(ApiError::unknown_channel)?;
    let before = ch.overwrites.len();
    ch.overwrites.retain(|o| o.id != target);
    if ch.overwrites.len() == before {
        return Err(ApiError::new(404, 10009, "Unknown Overwrite"));
    }
    let json = st
        .channels
        .get(&c)
        .map(|ch| ch.to_json(st))
        .unwrap_or(Value::Null);
    sim.dispatch(st, "CHANNEL_UPDATE", json);
    no_content()
}

/// Deletes a guild channel or thread: MANAGE_THREADS for a thread, MANAGE_CHANNELS for
/// anything else; its messages go with it (CHANNEL_DELETE / THREAD_DELETE).
fn delete_channel(sim: &DiscordSim, st: &mut State, p: &Params) -> Reply {
    let bot = sim.inner.bot_user;
    let c = p.channel()?;
    let ch = st
        .channels
        .get(&c)
        .cloned()
        .ok_or_else(ApiError::unknown_channel)?;
    let Some(g) = ch.guild_id else {
        return Err(ApiError::new(
            403,
            50003,
            "Cannot execute action on a DM channel",
        ));
    };
    let thread = ch.kind == ChannelKind::PublicThread;
    let need = if thread {
        perms::MANAGE_THREADS
    } else {
        perms::MANAGE_CHANNELS
    };
    if st.permissions(g, bot) & need == 0 {
        return Err(ApiError::missing_permissions());
    }
    let json = ch.to_json(st);
    st.channels.remove(&c);
    st.messages.remove(&c);
    if let Some(guild) = st.guilds.get_mut(&g) {
        guild.channels.retain(|x| *x != c);
    }
    if let Some(parent) = ch.parent_id
        && let Some(starter) = st.find_message_mut(parent, MessageId(c.0))
        && starter.thread_id == Some(c)
    {
        starter.thread_id = None;
    }
    let event = if thread {
        "THREAD_DELETE"
    } else {
        "CHANNEL_DELETE"
    };
    sim.dispatch(st, event, json.clone());
    ok(json)
}

fn update_member(sim: &DiscordSim, st: &mut State, p: &Params, b: &Value) -> Reply {
    let bot = sim.inner.bot_user;
    let (g, u) = (p.guild()?, p.user()?);
    let guild = st.guilds.get(&g).ok_or_else(ApiError::unknown_guild)?;
    let member = guild
        .members
        .get(&u)
        .cloned()
        .ok_or_else(ApiError::unknown_member)?;
    let owner = guild.owner_id;
    let bot_perms = st.permissions(g, bot);
    let bot_top = st.top_position(g, bot);
    let target_top = st.top_position(g, u);
    let above = u != bot && target_top >= bot_top;
    let mut updated = member.clone();
    if let Some(nick) = b.get("nick") {
        let nick = nick.as_str().unwrap_or("");
        limits::validate_nick(nick)?;
        let need = if u == bot {
            perms::MANAGE_NICKNAMES | (1 << 26)
        } else {
            perms::MANAGE_NICKNAMES
        };
        if u == owner || above || bot_perms & need == 0 {
            return Err(ApiError::missing_permissions());
        }
        updated.nick = if nick.is_empty() {
            None
        } else {
            Some(nick.to_owned())
        };
    }
    if let Some(roles) = b.get("roles") {
        let wanted: Vec<RoleId> = roles
            .as_array()
            .map(|a| a.iter().filter_map(json_u64).map(RoleId).collect())
            .unwrap_or_default();
        for r in &wanted {
            if !guild.roles.contains_key(r) {
                return Err(ApiError::unknown_role());
            }
        }
        let changed: Vec<&RoleId> = wanted
            .iter()
            .filter(|r| !member.roles.contains(r))
            .chain(member.roles.iter().filter(|r| !wanted.contains(r)))
            .collect();
        if !changed.is_empty() {
            let too_high = changed.iter().any(|r| {
                guild
                    .roles
                    .get(r)
                    .is_none_or(|r| r.position >= bot_top || r.managed)
            });
            if bot_perms & perms::MANAGE_ROLES == 0 || above || too_high {
                return Err(ApiError::missing_permissions());
            }
        }
        updated.roles = wanted;
    }
    if let Some(until) = b.get("communication_disabled_until") {
        match until.as_str() {
            None => updated.communication_disabled_until = None,
            Some(ts) => {
                let parsed = chrono::DateTime::parse_from_rfc3339(ts).map_err(|_| {
                    ApiError::form(
                        "communication_disabled_until",
                        "DATE_TIME_TYPE_PARSE",
                        "Could not parse timestamp.",
                    )
                })?;
                let max = chrono::Utc::now() + chrono::Duration::days(28);
                if parsed > max {
                    return Err(ApiError::form(
                        "communication_disabled_until",
                        "BASE_TYPE_BAD_TIME",
                        "Timeout duration is too long (max 28 days).",
                    ));
                }
                if u == owner || above || bot_perms & perms::MODERATE_MEMBERS == 0 {
                    return Err(ApiError::missing_permissions());
                }
                updated.communication_disabled_until = Some(ts.to_owned());
            }
        }
    }
    let json = st.member_json(&updated);
    if let Some(m) = st.guilds.get_mut(&g).and_then(|g| g.members.get_mut(&u)) {
        *m = updated;
    }
    sim.member_update_dispatch(st, g, u);
    ok(json)
}
