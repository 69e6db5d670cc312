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

/// When a session started now ends: [`SESSION_LIFETIME`], or sooner when Discord's access
/// token expires sooner (the session cannot ask Discord anything after that).
pub fn session_expiry(
    now: DateTime<Utc>,
    token_expires_at: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    let longest = now + SESSION_LIFETIME;
    token_expires_at.map_or(longest, |t| t.min(longest))
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
