//! The web dashboard's logins and sessions: a login under way (its `state` and PKCE
//! verifier) until Discord sends the person back, then a session until it expires or is
//! revoked (log out, `raidbot sessions revoke`). The adapter generates the secrets and
//! passes only their SHA-256 hashes, so the ids never reach the database or a log.

use chrono::{DateTime, Duration, Utc};
use domain::Snowflake;
use store::web_sessions as store_ws;

use store::PgPool;
pub use store::web_sessions::{NewSession, WebSession};

use crate::Result;

/// How long a login may wait for Discord's answer.
pub const LOGIN_LIFETIME: Duration = Duration::minutes(10);
/// The longest a session lives (less when Discord's token expires sooner).
pub const SESSION_LIFETIME: Duration = Duration::days(7);

/// Remembers a login under way.
pub async fn begin_login(
    pool: &PgPool,
    state_hash: &[u8],
    code_verifier: &str,
    return_to: &str,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    // Old logins and sessions go now and then; a login is rare enough to carry it.
    store_ws::purge_old(&mut conn).await?;
    store_ws::insert_login(
        &mut conn,
        state_hash,
        code_verifier,
        return_to,
        Utc::now() + LOGIN_LIFETIME,
    )
    .await?;
    Ok(())
}

/// Takes the login whose state hashes to `state_hash` (once): its PKCE verifier and where
/// to go afterwards. `None` for an unknown, used or expired state.
pub async fn take_login(pool: &PgPool, state_hash: &[u8]) -> Result<Option<(String, String)>> {
    let mut conn = pool.acquire().await?;
    Ok(store_ws::take_login(&mut conn, state_hash).await?)
}

/// When a session started now ends: [`SESSION_LIFETIME`]; sooner when Discord's access
/// token expires sooner and there is no refresh token to renew it (the session cannot ask
/// Discord anything after that).
pub fn session_expiry(
    now: DateTime<Utc>,
    token_expires_at: Option<DateTime<Utc>>,
    refreshable: bool,
) -> DateTime<Utc> {
    let longest = now + SESSION_LIFETIME;
    match token_expires_at {
        Some(t) if !refreshable => t.min(longest),
        _ => longest,
    }
}

/// How long before its access token expires a session renews it.
pub const REFRESH_BEFORE: Duration = Duration::hours(1);

/// Whether the session's access token should be renewed now.
pub fn refresh_due(session: &WebSession, now: DateTime<Utc>) -> bool {
    session.refresh_token.is_some()
        && session
            .token_expires_at
            .is_some_and(|t| t - now < REFRESH_BEFORE)
}

/// Discord's answer to a refresh.
#[derive(Debug, Clone)]
pub struct RenewedTokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub token_expires_at: Option<DateTime<Utc>>,
}

/// Renews the session's access token when it is due, once: the session's row is locked
/// while `renew` asks Discord (with the refresh token), so two requests (or processes) at
/// the same moment do not both spend the single-use refresh token; the second finds it
/// renewed. Returns the session as it is afterwards (`None` when it is no longer running);
/// when `renew` fails (`None`) the tokens stay as they were.
pub async fn refresh_if_due<F, Fut>(
    pool: &PgPool,
    session_hash: &[u8],
    renew: F,
) -> Result<Option<WebSession>>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Option<RenewedTokens>>,
{
    let mut tx = pool.begin().await?;
    let Some(session) = store_ws::lock(&mut tx, session_hash).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    if session.revoked_at.is_some() || session.expires_at <= now {
        return Ok(None);
    }
    let Some(refresh_token) = session
        .refresh_token
        .clone()
        .filter(|_| refresh_due(&session, now))
    else {
        return Ok(Some(session));
    };
    let Some(renewed) = renew(refresh_token).await else {
        return Ok(Some(session));
    };
    store_ws::set_tokens(
        &mut tx,
        session_hash,
        &renewed.access_token,
        renewed.refresh_token.as_deref(),
        renewed.token_expires_at,
    )
    .await?;
    let session = store_ws::lock(&mut tx, session_hash).await?;
    tx.commit().await?;
    Ok(session)
}

pub async fn create(pool: &PgPool, new: &NewSession<'_>) -> Result<()> {
    let mut conn = pool.acquire().await?;
    store_ws::insert(&mut conn, new).await?;
    Ok(())
}

/// The running session with this hash: not revoked and not expired.
pub async fn find_active(pool: &PgPool, session_hash: &[u8]) -> Result<Option<WebSession>> {
    let mut conn = pool.acquire().await?;
    let found = store_ws::find(&mut conn, session_hash).await?;
    Ok(found.filter(|s| s.revoked_at.is_none() && s.expires_at > Utc::now()))
}

/// Ends a session (log out); returns it when it was running, so its Discord token can be
/// revoked too.
pub async fn revoke(pool: &PgPool, session_hash: &[u8]) -> Result<Option<WebSession>> {
    let mut conn = pool.acquire().await?;
    Ok(store_ws::revoke(&mut conn, session_hash).await?)
}

/// Ends every running session of `user`, or everyone's (`raidbot sessions revoke`).
pub async fn revoke_all(pool: &PgPool, user: Option<Snowflake>) -> Result<u64> {
    let mut conn = pool.acquire().await?;
    Ok(store_ws::revoke_all(&mut conn, user).await?)
}

/// The servers among `guilds` that raidbot serves (has seen), in the order given.
pub async fn served_guilds(pool: &PgPool, guilds: &[Snowflake]) -> Result<Vec<Snowflake>> {
    let mut conn = pool.acquire().await?;
    Ok(store_ws::known_guilds(&mut conn, guilds).await?)
}
