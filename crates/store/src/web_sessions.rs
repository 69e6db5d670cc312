//! The web dashboard's sessions and logins under way. Sessions are found by the SHA-256
//! of their id; the id itself is never stored.

use chrono::{DateTime, Utc};
use domain::Snowflake;

use crate::{PgConnection, Result};

/// A dashboard session as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct WebSession {
    #[sqlx(try_from = "crate::columns::Id")]
    pub user_id: Snowflake,
    pub user_name: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What a new session is made of.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub session_hash: &'a [u8],
    pub user_id: Snowflake,
    pub user_name: &'a str,
    pub access_token: &'a str,
    pub refresh_token: Option<&'a str>,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub csrf_token: &'a str,
    pub expires_at: DateTime<Utc>,
}

const COLUMNS: &str = "user_id, user_name, access_token, refresh_token, token_expires_at, \
                       csrf_token, created_at, expires_at, revoked_at";

pub async fn insert(conn: &mut PgConnection, new: &NewSession<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO web_session (session_hash, user_id, user_name, access_token, refresh_token,
                                  token_expires_at, csrf_token, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new.session_hash)
    .bind(new.user_id.db())
    .bind(new.user_name)
    .bind(new.access_token)
    .bind(new.refresh_token)
    .bind(new.token_expires_at)
    .bind(new.csrf_token)
    .bind(new.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The session with this hash, ended or not (the caller decides what ended means).
pub async fn find(conn: &mut PgConnection, session_hash: &[u8]) -> Result<Option<WebSession>> {
    let sql = format!("SELECT {COLUMNS} FROM web_session WHERE session_hash = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(session_hash)
        .fetch_optional(conn)
        .await?)
}

/// Ends one session; returns it (with its tokens, to revoke them at Discord) when it was
/// still running.
pub async fn revoke(conn: &mut PgConnection, session_hash: &[u8]) -> Result<Option<WebSession>> {
    let sql = format!(
        "UPDATE web_session SET revoked_at = now()
         WHERE session_hash = $1 AND revoked_at IS NULL RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(session_hash)
        .fetch_optional(conn)
        .await?)
}

/// Ends every running session of `user` (all users' when `None`); returns how many.
pub async fn revoke_all(conn: &mut PgConnection, user: Option<Snowflake>) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE web_session SET revoked_at = now()
         WHERE revoked_at IS NULL AND expires_at > now()
           AND ($1::BIGINT IS NULL OR user_id = $1)",
    )
    .bind(user.map(Snowflake::db))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Forgets sessions and logins that ended more than a day ago.
pub async fn purge_old(conn: &mut PgConnection) -> Result<u64> {
    let sessions = sqlx::query(
        "DELETE FROM web_session
         WHERE expires_at < now() - interval '1 day' OR revoked_at < now() - interval '1 day'",
    )
    .execute(&mut *conn)
    .await?;
    let logins = sqlx::query("DELETE FROM web_login WHERE expires_at < now()")
        .execute(conn)
        .await?;
    Ok(sessions.rows_affected() + logins.rows_affected())
}

pub async fn insert_login(
    conn: &mut PgConnection,
    state_hash: &[u8],
    code_verifier: &str,
    return_to: &str,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO web_login (state_hash, code_verifier, return_to, expires_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(state_hash)
    .bind(code_verifier)
    .bind(return_to)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes the login under way with this state (single use): its verifier and where to go
/// afterwards, when it exists and has not expired.
pub async fn take_login(
    conn: &mut PgConnection,
    state_hash: &[u8],
) -> Result<Option<(String, String)>> {
    let row: Option<(String, String, bool)> = sqlx::query_as(
        "DELETE FROM web_login WHERE state_hash = $1
         RETURNING code_verifier, return_to, expires_at > now()",
    )
    .bind(state_hash)
    .fetch_optional(conn)
    .await?;
    Ok(row
        .filter(|(_, _, fresh)| *fresh)
        .map(|(verifier, return_to, _)| (verifier, return_to)))
}

/// Which of `guilds` raidbot knows (has a `guild` row for), in the order given.
pub async fn known_guilds(conn: &mut PgConnection, guilds: &[Snowflake]) -> Result<Vec<Snowflake>> {
    let ids: Vec<i64> = guilds.iter().map(|g| g.db()).collect();
    let known: Vec<i64> = sqlx::query_scalar("SELECT guild_id FROM guild WHERE guild_id = ANY($1)")
        .bind(&ids)
        .fetch_all(conn)
        .await?;
    Ok(guilds
        .iter()
        .copied()
        .filter(|g| known.contains(&g.db()))
        .collect())
}

/// The session with this hash, its row locked for the rest of the transaction (one token
/// refresh at a time, across processes).
pub async fn lock(conn: &mut PgConnection, session_hash: &[u8]) -> Result<Option<WebSession>> {
    let sql = format!("SELECT {COLUMNS} FROM web_session WHERE session_hash = $1 FOR UPDATE");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(session_hash)
        .fetch_optional(conn)
        .await?)
}

/// Stores Discord's new tokens for a session (after a refresh).
pub async fn set_tokens(
    conn: &mut PgConnection,
    session_hash: &[u8],
    access_token: &str,
    refresh_token: Option<&str>,
    token_expires_at: Option<DateTime<Utc>>,
) -> Result<()> {
    sqlx::query(
        "UPDATE web_session SET access_token = $2, refresh_token = COALESCE($3, refresh_token),
                                token_expires_at = $4
         WHERE session_hash = $1",
    )
    .bind(session_hash)
    .bind(access_token)
    .bind(refresh_token)
    .bind(token_expires_at)
    .execute(conn)
    .await?;
    Ok(())
}
