//! Discord's OAuth2 "Log in with Discord", as a web dashboard uses it: the authorization
//! code flow with `state` and PKCE (`S256`), scopes `identify` and `guilds`.
//!
//! - `GET /oauth2/authorize?response_type=code&client_id=..&redirect_uri=..&scope=identify%20guilds&state=..&code_challenge=..&code_challenge_method=S256`
//!   shows a consent page with a member picker (the simulator has no passwords: whoever
//!   opens it picks who they are, as the sandbox's "act as" does). Authorize redirects to
//!   `redirect_uri?code=..&state=..`, Cancel to `redirect_uri?error=access_denied&state=..`.
//!   A wrong `client_id` or a `redirect_uri` that is not an http(s) URL gets an error page
//!   and no redirect, as OAuth2 requires.
//! - `POST /api/v10/oauth2/token` (form): `grant_type=authorization_code` with `code`,
//!   `redirect_uri` (the same as at authorize) and `code_verifier` (when a challenge was
//!   sent), or `grant_type=refresh_token`; the client authenticates with `client_id` and
//!   `client_secret` in the form or HTTP Basic. Codes are single-use and live 10 minutes;
//!   errors are `400 {"error": "invalid_grant" | "invalid_request" | ...}` and
//!   `401 {"error": "invalid_client"}`.
//! - `POST /api/v10/oauth2/token/revoke` (form `token`).
//! - `GET /api/v10/users/@me` and `GET /api/v10/users/@me/guilds` with
//!   `Authorization: Bearer <access_token>` (scopes `identify` and `guilds`); the bot's own
//!   `Bot` token still reaches the REST routes as before.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::Form;
use axum::body::Bytes;
use axum::extract::{Query, State as AxState};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::DiscordSim;
use crate::ids::*;

/// How long an authorization code may wait for its exchange (Discord: 10 minutes).
const CODE_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// How long an access token lives (Discord: 7 days).
const TOKEN_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);
/// The scopes the simulator knows.
const SCOPES: [&str; 2] = ["identify", "guilds"];

/// Codes and tokens given out (in memory: a restarted simulator logs everyone out).
#[derive(Default)]
pub(crate) struct OAuthState {
    codes: HashMap<String, Grant>,
    access: HashMap<String, Token>,
    refresh: HashMap<String, Token>,
}

#[derive(Clone)]
struct Grant {
    user: UserId,
    scopes: Vec<String>,
    redirect_uri: String,
    challenge: Option<String>,
    issued: Instant,
}

#[derive(Clone)]
struct Token {
    user: UserId,
    scopes: Vec<String>,
    issued: Instant,
}

fn random_token() -> String {
    hex::encode(rand::random::<[u8; 24]>())
}

/// base64url without padding (RFC 7636's encoding of the S256 challenge).
fn base64url(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(char::from(ABC[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// `BASE64URL(SHA256(verifier))`, RFC 7636 §4.2.
pub fn s256_challenge(verifier: &str) -> String {
    base64url(&Sha256::digest(verifier.as_bytes()))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let sep = if uri.contains('?') { '&' } else { '?' };
    let q: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    format!("{uri}{sep}{}", q.join("&"))
}

/// What `/oauth2/authorize` takes, as query (GET) or form (POST).
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct AuthorizeParams {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    code_challenge: Option<String>,
    #[serde(default)]
    code_challenge_method: Option<String>,
    /// POST only: who the person picked, and whether they pressed Authorize.
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    decision: Option<String>,
}

fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Discord (simulated)</title>\
         <body style=\"font-family:sans-serif;background:#313338;color:#f2f3f5;padding:2em\">\
         <h1>Something went wrong</h1><p data-testid=\"oauth-error\">{}</p></body></html>",
        escape(message)
    );
    (status, Html(body)).into_response()
}

impl AuthorizeParams {
    /// Checks what must hold before anything is redirected anywhere: the client and the
    /// redirect. Then the rest, whose errors go back to the client.
    fn check(&self, sim: &DiscordSim) -> Result<Result<Vec<String>, &'static str>, Box<Response>> {
        if self.client_id != sim.application_id().to_string() {
            return Err(Box::new(error_page(
                StatusCode::BAD_REQUEST,
                "Unknown application (client_id).",
            )));
        }
        let uri = self.redirect_uri.as_str();
        if !(uri.starts_with("http://") || uri.starts_with("https://")) || uri.contains('#') {
            return Err(Box::new(error_page(
                StatusCode::BAD_REQUEST,
                "Invalid redirect_uri: an http(s) URL without a fragment is required.",
            )));
        }
        if self.response_type != "code" {
            return Ok(Err("unsupported_response_type"));
        }
        let scopes: Vec<String> = self
            .scope
            .split([' ', '+'])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if scopes.is_empty() || scopes.iter().any(|s| !SCOPES.contains(&s.as_str())) {
            return Ok(Err("invalid_scope"));
        }
        match (&self.code_challenge, self.code_challenge_method.as_deref()) {
            (Some(c), Some("S256")) if (43..=128).contains(&c.len()) => {}
            (None, None) => {}
            _ => return Ok(Err("invalid_request")),
        }
        Ok(Ok(scopes))
    }

    fn hidden_fields(&self) -> String {
        let mut out = String::new();
        let mut add = |k: &str, v: &str| {
            out.push_str(&format!(
                "<input type=\"hidden\" name=\"{k}\" value=\"{}\">",
                escape(v)
            ));
        };
        add("response_type", &self.response_type);
        add("client_id", &self.client_id);
        add("redirect_uri", &self.redirect_uri);
        add("scope", &self.scope);
        if let Some(s) = &self.state {
            add("state", s);
        }
        if let Some(c) = &self.code_challenge {
            add("code_challenge", c);
        }
        if let Some(m) = &self.code_challenge_method {
            add("code_challenge_method", m);
        }
        out
    }

    fn back(&self, pairs: &[(&str, &str)]) -> Response {
        let mut all: Vec<(&str, &str)> = pairs.to_vec();
        if let Some(s) = &self.state {
            all.push(("state", s));
        }
        Redirect::to(&with_query(&self.redirect_uri, &all)).into_response()
    }
}

/// `GET /oauth2/authorize`: the consent page with a member picker.
pub(crate) async fn authorize_page(
    AxState(sim): AxState<DiscordSim>,
    Query(p): Query<AuthorizeParams>,
) -> Response {
    let scopes = match p.check(&sim) {
        Err(page) => return *page,
        Ok(Err(error)) => return p.back(&[("error", error)]),
        Ok(Ok(scopes)) => scopes,
    };
    let (app, people) = {
        let st = sim.lock();
        let app = st
            .users
            .get(&sim.inner.bot_user)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| "the application".to_owned());
        // Everyone who is a member somewhere, by name.
        let mut people: Vec<(UserId, String, Vec<String>)> = st
            .users
            .values()
            .filter(|u| !u.bot)
            .map(|u| {
                let guilds = st
                    .guilds
                    .values()
                    .filter(|g| g.members.contains_key(&u.id))
                    .map(|g| g.name.clone())
                    .collect::<Vec<_>>();
                (u.id, u.name.clone(), guilds)
            })
            .filter(|(_, _, g)| !g.is_empty())
            .collect();
        people.sort_by_key(|p| p.1.to_lowercase());
        (app, people)
    };
    let wants: Vec<&str> = scopes
        .iter()
        .map(|s| match s.as_str() {
            "identify" => "Access your username and avatar",
            _ => "Know what servers you're in",
        })
        .collect();
    let mut options = String::new();
    for (i, (id, name, guilds)) in people.iter().enumerate() {
        options.push_str(&format!(
            "<label class=\"who\" data-testid=\"oauth-user\" data-name=\"{n}\"><input type=\"radio\" name=\"user_id\" value=\"{id}\"{checked}> \
             <b>{n}</b> <small>{g}</small></label>",
            n = escape(name),
            g = escape(&guilds.join(", ")),
            checked = if i == 0 { " checked" } else { "" },
        ));
    }
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Authorize {app} — Discord (simulated)</title><style>\
         body{{font-family:sans-serif;background:#313338;color:#f2f3f5;display:flex;justify-content:center;padding:2em}}\
         form{{background:#2b2d31;border-radius:8px;padding:1.5em;max-width:28em;width:100%}}\
         .who{{display:block;padding:.3em 0}} small{{color:#b5bac1}}\
         .people{{max-height:18em;overflow:auto;border:1px solid #1e1f22;padding:.5em;margin:1em 0}}\
         button{{padding:.6em 1.2em;border:0;border-radius:4px;font-size:1em;margin-right:.5em;cursor:pointer}}\
         .ok{{background:#5865f2;color:#fff}} .no{{background:#4e5058;color:#fff}}\
         </style></head><body><form method=\"post\" action=\"/oauth2/authorize\" data-testid=\"oauth-form\">\
         <p>This is the simulated Discord: pick who you are.</p>\
         <h1>{app} wants to access your account</h1><ul>{wants}</ul>\
         <div class=\"people\" role=\"radiogroup\" aria-label=\"Log in as\">{options}</div>{hidden}\
         <button class=\"ok\" type=\"submit\" name=\"decision\" value=\"authorize\" data-testid=\"oauth-authorize\">Authorize</button>\
         <button class=\"no\" type=\"submit\" name=\"decision\" value=\"cancel\" data-testid=\"oauth-cancel\">Cancel</button>\
         </form></body></html>",
        app = escape(&app),
        wants = wants
            .iter()
            .map(|w| format!("<li>{w}</li>"))
            .collect::<String>(),
        hidden = p.hidden_fields(),
    );
    Html(body).into_response()
}

/// `POST /oauth2/authorize`: the person's answer.
pub(crate) async fn authorize_answer(
    AxState(sim): AxState<DiscordSim>,
    Form(p): Form<AuthorizeParams>,
) -> Response {
    let scopes = match p.check(&sim) {
        Err(page) => return *page,
        Ok(Err(error)) => return p.back(&[("error", error)]),
        Ok(Ok(scopes)) => scopes,
    };
    if p.decision.as_deref() != Some("authorize") {
        return p.back(&[
            ("error", "access_denied"),
            ("error_description", "The resource owner denied the request"),
        ]);
    }
    let user = p
        .user_id
        .as_deref()
        .and_then(|u| u.parse::<u64>().ok())
        .map(UserId)
        .filter(|u| sim.lock().users.get(u).is_some_and(|u| !u.bot));
    let Some(user) = user else {
        return error_page(StatusCode::BAD_REQUEST, "Pick who you are.");
    };
    let code = random_token();
    sim.inner
        .oauth
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .codes
        .insert(
            code.clone(),
            Grant {
                user,
                scopes,
                redirect_uri: p.redirect_uri.clone(),
                challenge: p.code_challenge.clone(),
                issued: Instant::now(),
            },
        );
    p.back(&[("code", &code)])
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    redirect_uri: Option<String>,
    #[serde(default)]
    code_verifier: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    token: Option<String>,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// The client's credentials from HTTP Basic or the form.
fn client_of(headers: &HeaderMap, form: &TokenForm) -> Option<(String, String)> {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = decode_base64(basic.trim())?;
        let text = String::from_utf8(decoded).ok()?;
        let (id, secret) = text.split_once(':')?;
        return Some((id.to_owned(), secret.to_owned()));
    }
    Some((form.client_id.clone()?, form.client_secret.clone()?))
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        })
    };
    let bytes: Vec<u8> = s.bytes().filter(|b| *b != b'=').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= val(*c)? << (18 - 6 * i);
        }
        for i in 0..chunk.len().saturating_sub(1) {
            out.push(((n >> (16 - 8 * i)) & 0xff) as u8);
        }
    }
    Some(out)
}

fn authenticate(
    sim: &DiscordSim,
    headers: &HeaderMap,
    form: &TokenForm,
) -> Result<(), Box<Response>> {
    let ok = client_of(headers, form).is_some_and(|(id, secret)| {
        id == sim.application_id().to_string() && secret == sim.oauth_client_secret()
    });
    if ok {
        Ok(())
    } else {
        Err(Box::new(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        )))
    }
}

/// `POST /api/v10/oauth2/token`.
pub(crate) async fn token(
    AxState(sim): AxState<DiscordSim>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    if let Err(e) = authenticate(&sim, &headers, &form) {
        return *e;
    }
    let mut st = sim.inner.oauth.lock().unwrap_or_else(|e| e.into_inner());
    let (user, scopes) = match form.grant_type.as_str() {
        "authorization_code" => {
            // Single use: a second exchange of the same code fails.
            let Some(grant) = form.code.as_deref().and_then(|c| st.codes.remove(c)) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Invalid \"code\" in request.",
                );
            };
            if grant.issued.elapsed() > CODE_LIFETIME {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The code has expired.",
                );
            }
            if form.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str()) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Invalid \"redirect_uri\" in request.",
                );
            }
            if let Some(challenge) = &grant.challenge {
                let ok = form
                    .code_verifier
                    .as_deref()
                    .is_some_and(|v| s256_challenge(v) == *challenge);
                if !ok {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "Invalid \"code_verifier\".",
                    );
                }
            }
            (grant.user, grant.scopes)
        }
        "refresh_token" => {
            let Some(old) = form
                .refresh_token
                .as_deref()
                .and_then(|t| st.refresh.remove(t))
            else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Invalid \"refresh_token\" in request.",
                );
            };
            (old.user, old.scopes)
        }
        "" => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required.",
            );
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Unsupported grant type.",
            );
        }
    };
    let access = random_token();
    let refresh = random_token();
    let t = Token {
        user,
        scopes: scopes.clone(),
        issued: Instant::now(),
    };
    st.access.insert(access.clone(), t.clone());
    st.refresh.insert(refresh.clone(), t);
    axum::Json(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME.as_secs(),
        "refresh_token": refresh,
        "scope": scopes.join(" "),
    }))
    .into_response()
}

/// `POST /api/v10/oauth2/token/revoke`: the token (access or refresh) stops working.
pub(crate) async fn revoke(
    AxState(sim): AxState<DiscordSim>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    if let Err(e) = authenticate(&sim, &headers, &form) {
        return *e;
    }
    let Some(token) = form.token else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "token is required.",
        );
    };
    let mut st = sim.inner.oauth.lock().unwrap_or_else(|e| e.into_inner());
    st.access.remove(&token);
    st.refresh.remove(&token);
    axum::Json(json!({})).into_response()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({"message": "401: Unauthorized", "code": 0})),
    )
        .into_response()
}

/// The person behind a bearer token, when it is live and has `scope`.
fn person(sim: &DiscordSim, token: &str, scope: &str) -> Result<UserId, Box<Response>> {
    let st = sim.inner.oauth.lock().unwrap_or_else(|e| e.into_inner());
    let Some(t) = st
        .access
        .get(token)
        .filter(|t| t.issued.elapsed() < TOKEN_LIFETIME)
    else {
        return Err(Box::new(unauthorized()));
    };
    if !t.scopes.iter().any(|s| s == scope) {
        return Err(Box::new(
            (
                StatusCode::FORBIDDEN,
                axum::Json(json!({"message": "Missing Access", "code": 50001})),
            )
                .into_response(),
        ));
    }
    Ok(t.user)
}

/// The person behind the request's bearer token with `scope`; a request without a bearer
/// token is the bot's, answered by the REST routes (`Err` holds either answer).
async fn bearer_person(
    sim: DiscordSim,
    request: (Method, Uri, HeaderMap, Bytes),
    scope: &str,
) -> Result<(DiscordSim, UserId), Response> {
    let (method, uri, headers, bytes) = request;
    let Some(token) = bearer(&headers) else {
        return Err(crate::rest::rest_handler(AxState(sim), method, uri, headers, bytes).await);
    };
    let user = person(&sim, token, scope).map_err(|r| *r)?;
    Ok((sim, user))
}

/// `GET /api/v10/users/@me`: with a bearer token, the person; otherwise the bot's route.
pub(crate) async fn users_me(
    AxState(sim): AxState<DiscordSim>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let (sim, user) = match bearer_person(sim, (method, uri, headers, bytes), "identify").await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let st = sim.lock();
    match st.users.get(&user) {
        Some(u) => axum::Json(u.to_json()).into_response(),
        None => unauthorized(),
    }
}

/// `GET /api/v10/users/@me/guilds`: the servers the person is in, with their permissions
/// there (as a string, like Discord).
pub(crate) async fn users_me_guilds(
    AxState(sim): AxState<DiscordSim>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let (sim, user) = match bearer_person(sim, (method, uri, headers, bytes), "guilds").await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let st = sim.lock();
    let guilds: Vec<Value> = st
        .guilds
        .values()
        .filter(|g| g.members.contains_key(&user))
        .map(|g| {
            json!({
                "id": g.id.to_string(),
                "name": g.name,
                "icon": null,
                "banner": null,
                "owner": g.owner_id == user,
                "permissions": st.permissions(g.id, user).to_string(),
                "features": [],
            })
        })
        .collect();
    axum::Json(guilds).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_s256_challenge_is_rfc_7636s_example() {
        // RFC 7636, appendix B.
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn basic_credentials_decode() {
        assert_eq!(
            decode_base64("dXNlcjpwYXNz").as_deref(),
            Some(&b"user:pass"[..])
        );
    }
}
