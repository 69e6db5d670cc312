//! "Log in with Discord", the session cookie and CSRF.
//!
//! `GET /login` remembers a new `state` (hashed) with a PKCE verifier in PostgreSQL, puts
//! the state in a signed cookie of this browser, and sends the person to Discord's consent
//! page. `GET /auth/callback` accepts Discord's answer only with the same state as the
//! browser's cookie (a login started elsewhere cannot be finished here), takes the login
//! (single use), trades the code and verifier for tokens, and opens a session. `POST
//! /logout` ends it here and revokes the token at Discord.

use axum::Form;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use domain::Snowflake;
use serde::Deserialize;
use service::web_sessions::{self, NewSession, WebSession};

use crate::crypto;
use crate::discord::DiscordError;
use crate::{WebError, WebState};

/// The session cookie: the session's random id, signed.
pub const SESSION_COOKIE: &str = "raidbot_session";
/// The login-under-way cookie: the `state` sent to Discord, signed.
pub const LOGIN_COOKIE: &str = "raidbot_login";

fn cookie(state: &WebState, name: &str, value: &str, max_age: i64) -> String {
    let secure = if state.config.secure() {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// A `Set-Cookie` value that makes the browser forget cookie `name`.
pub fn clear_cookie(name: &str) -> String {
    format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// The value of cookie `name` in the request, if sent.
fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn with_cookies(mut response: Response, cookies: &[String]) -> Response {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

/// Only paths of this site may be gone back to after logging in.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_owned(),
        _ => "/".to_owned(),
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// `GET /login`: off to Discord's consent page.
pub async fn login(
    State(state): State<WebState>,
    Query(q): Query<LoginQuery>,
) -> Result<Response, WebError> {
    let login_state = crypto::random_secret();
    let verifier = crypto::random_secret();
    let next = local_path(q.next.as_deref());
    web_sessions::begin_login(&state.pool, &crypto::hash(&login_state), &verifier, &next).await?;
    let config = &state.config;
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", config.client_id.as_str()),
            ("redirect_uri", config.redirect_uri().as_str()),
            ("scope", "identify guilds"),
            ("state", login_state.as_str()),
            ("code_challenge", crypto::s256_challenge(&verifier).as_str()),
            ("code_challenge_method", "S256"),
        ])
        .finish();
    let to = format!("{}?{query}", config.authorize_url);
    let signed = crypto::sign(state.cookie_key.as_slice(), &login_state);
    let max_age = web_sessions::LOGIN_LIFETIME.num_seconds();
    Ok(with_cookies(
        Redirect::to(&to).into_response(),
        &[cookie(&state, LOGIN_COOKIE, &signed, max_age)],
    ))
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /auth/callback`: Discord sends the person back here.
pub async fn callback(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, WebError> {
    let start_again =
        "This login did not start in this browser or has expired; please log in again.";
    let Some(sent_state) = q.state.as_deref() else {
        return Err(WebError::bad_request(start_again));
    };
    let ours = cookie_value(&headers, LOGIN_COOKIE)
        .and_then(|c| crypto::verify(state.cookie_key.as_slice(), c));
    if !ours.is_some_and(|s| crypto::equal(s.as_bytes(), sent_state.as_bytes())) {
        return Err(WebError::bad_request(start_again));
    }
    let Some((verifier, next)) =
        web_sessions::take_login(&state.pool, &crypto::hash(sent_state)).await?
    else {
        return Err(WebError::bad_request(start_again));
    };
    let clear_login = clear_cookie(LOGIN_COOKIE);
    if q.error.is_some() {
        let page = WebError::new(
            axum::http::StatusCode::OK,
            "Not logged in",
            "You cancelled the login on Discord; nothing was shared.",
        );
        return Ok(with_cookies(page.into_response(), &[clear_login]));
    }
    let Some(code) = q.code.as_deref().filter(|c| !c.is_empty()) else {
        return Err(WebError::bad_request(start_again));
    };
    let tokens = state
        .discord
        .exchange_code(code, &verifier)
        .await
        .map_err(|e| match e {
            DiscordError::Refused { .. } | DiscordError::Unauthorized => {
                WebError::bad_request(start_again)
            }
            other => WebError::discord(other),
        })?;
    let me = state
        .discord
        .me(&tokens.access_token)
        .await
        .map_err(WebError::discord)?;
    let user = Snowflake::parse(&me.id).map_err(WebError::discord)?;
    let now = Utc::now();
    let token_expires_at = tokens
        .expires_in
        .map(|s| now + chrono::Duration::seconds(s));
    let session_id = crypto::random_secret();
    let csrf = crypto::random_secret();
    let name: String = me.display_name().chars().take(100).collect();
    web_sessions::create(
        &state.pool,
        &NewSession {
            session_hash: &crypto::hash(&session_id),
            user_id: user,
            user_name: &name,
            access_token: &tokens.access_token,
            refresh_token: tokens.refresh_token.as_deref(),
            token_expires_at,
            csrf_token: &csrf,
            expires_at: web_sessions::session_expiry(
                now,
                token_expires_at,
                tokens.refresh_token.is_some(),
            ),
        },
    )
    .await?;
    tracing::info!(%user, "web: logged in");
    let signed = crypto::sign(state.cookie_key.as_slice(), &session_id);
    let max_age = web_sessions::SESSION_LIFETIME.num_seconds();
    Ok(with_cookies(
        Redirect::to(&next).into_response(),
        &[
            clear_login,
            cookie(&state, SESSION_COOKIE, &signed, max_age),
        ],
    ))
}

/// A logged-in person: their running session, found from the signed cookie.
#[derive(Debug, Clone)]
pub struct Session {
    pub session_hash: Vec<u8>,
    pub data: WebSession,
}

impl Session {
    pub fn user_id(&self) -> Snowflake {
        self.data.user_id
    }

    pub fn header(&self) -> crate::html::Header<'_> {
        crate::html::Header {
            user_name: &self.data.user_name,
            csrf: &self.data.csrf_token,
        }
    }

    /// Refuses a form unless it carries this session's CSRF token and comes from the
    /// dashboard's own origin (`Origin`, or `Referer` when a browser sends no `Origin`).
    pub fn check_form(
        &self,
        state: &WebState,
        headers: &HeaderMap,
        csrf: &str,
    ) -> Result<(), WebError> {
        let refused = || {
            WebError::forbidden(
                "This form has expired or did not come from this page; go back, reload and try again.",
            )
        };
        if !crypto::equal(csrf.as_bytes(), self.data.csrf_token.as_bytes()) {
            return Err(refused());
        }
        let origin = state.config.origin();
        let same_origin = match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
            Some(o) => o == origin,
            None => headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|r| r == origin || r.starts_with(&format!("{origin}/"))),
        };
        if !same_origin {
            return Err(refused());
        }
        Ok(())
    }
}

/// The session the request's cookie names: `Ok(None)` when there is no cookie; a refusal
/// when the cookie is forged, or the session is over (expired, logged out, revoked).
pub async fn session_of(
    state: &WebState,
    headers: &HeaderMap,
) -> Result<Option<Session>, WebError> {
    let Some(value) = cookie_value(headers, SESSION_COOKIE).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let Some(id) = crypto::verify(state.cookie_key.as_slice(), value) else {
        return Err(WebError::login_required(
            "Your session cookie is not valid; please log in again.",
        ));
    };
    let session_hash = crypto::hash(id);
    let ended = || WebError::login_required("Your session has ended; please log in again.");
    let mut data = web_sessions::find_active(&state.pool, &session_hash)
        .await?
        .ok_or_else(ended)?;
    let now = Utc::now();
    if web_sessions::refresh_due(&data, now) {
        data = refresh(state, &session_hash).await?.ok_or_else(ended)?;
        if data.token_expires_at.is_some_and(|t| t <= now) {
            return Err(WebError::login_required(
                "Discord no longer accepts this login; please log in again.",
            ));
        }
    }
    Ok(Some(Session { session_hash, data }))
}

/// Renews the session's Discord token shortly before it expires (once, under the
/// session's row lock); a refusal leaves the old token, which works until it expires.
async fn refresh(state: &WebState, session_hash: &[u8]) -> Result<Option<WebSession>, WebError> {
    let discord = state.discord.clone();
    Ok(
        web_sessions::refresh_if_due(&state.pool, session_hash, |refresh_token| async move {
            match discord.refresh(&refresh_token).await {
                Ok(t) => Some(web_sessions::RenewedTokens {
                    token_expires_at: t
                        .expires_in
                        .map(|s| Utc::now() + chrono::Duration::seconds(s)),
                    access_token: t.access_token,
                    refresh_token: t.refresh_token,
                }),
                Err(e) => {
                    tracing::warn!(error = %e, "web: could not renew a Discord token");
                    None
                }
            }
        })
        .await?,
    )
}

impl FromRequestParts<WebState> for Session {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, WebError> {
        session_of(state, &parts.headers)
            .await?
            .ok_or_else(|| WebError::login_required("Log in with Discord to see this page."))
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`: ends the session here and revokes its token at Discord.
pub async fn logout(
    State(state): State<WebState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    session.check_form(&state, &headers, &form.csrf)?;
    if let Some(ended) = web_sessions::revoke(&state.pool, &session.session_hash).await? {
        state.discord.revoke(&ended.access_token).await;
    }
    Ok(with_cookies(
        Redirect::to("/").into_response(),
        &[clear_cookie(SESSION_COOKIE)],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(local_path(Some("/g/1")), "/g/1");
        assert_eq!(local_path(Some("//evil.example")), "/");
        assert_eq!(local_path(Some("https://evil.example")), "/");
        assert_eq!(local_path(Some("/\\evil")), "/");
        assert_eq!(local_path(None), "/");
    }
}
