//! Verification sessions: one member's way through the DM flow, step by step.

use chrono::{DateTime, Utc};
use domain::Snowflake;

use crate::{PgConnection, Result, opt_snowflake};

/// The open steps of a session (the member still has something to do).
pub const OPEN_STEPS: [&str; 3] = ["awaiting_ign", "awaiting_done", "awaiting_screenshot"];

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Session {
    #[sqlx(try_from = "crate::columns::Id")]
    pub guild_id: Snowflake,
    pub session_id: i64,
    #[sqlx(try_from = "crate::columns::Id")]
    pub user_id: Snowflake,
    pub method: String,
    pub custom_role_id: Option<i64>,
    pub step: String,
    #[sqlx(try_from = "crate::columns::OptIgn")]
    pub ign: Option<domain::Ign>,
    pub code: Option<String>,
    pub checks: i32,
    pub last_check_at: Option<DateTime<Utc>>,
    pub last_failure: Option<String>,
    pub expires_at: DateTime<Utc>,
}

impl Session {
    pub fn is_open(&self) -> bool {
        OPEN_STEPS.contains(&self.step.as_str())
    }
}

pub struct NewSession<'a> {
    pub guild_id: Snowflake,
    pub user_id: Snowflake,
    pub method: &'a str,
    pub custom_role_id: Option<i64>,
    pub step: &'a str,
    pub minutes: i64,
}

/// Closes the member's open session in this guild (as cancelled), returning its id.
pub async fn cancel_open(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "UPDATE veri_session SET step = 'cancelled', updated_at = now()
         WHERE guild_id = $1 AND user_id = $2 AND step = ANY($3) RETURNING session_id",
    )
    .bind(guild.db())
    .bind(user.db())
    .bind(&OPEN_STEPS[..])
    .fetch_optional(conn)
    .await?)
}

pub async fn insert_session(conn: &mut PgConnection, s: &NewSession<'_>) -> Result<Session> {
    Ok(sqlx::query_as::<_, Session>(
        "INSERT INTO veri_session (guild_id, user_id, method, custom_role_id, step, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(mins => $6)) RETURNING *",
    )
    .bind(s.guild_id.db())
    .bind(s.user_id.db())
    .bind(s.method)
    .bind(s.custom_role_id)
    .bind(s.step)
    .bind(i32::try_from(s.minutes).unwrap_or(30))
    .fetch_one(conn)
    .await?)
}

pub async fn lock_session(
    conn: &mut PgConnection,
    guild: Snowflake,
    session_id: i64,
) -> Result<Option<Session>> {
    Ok(sqlx::query_as::<_, Session>(
        "SELECT * FROM veri_session WHERE guild_id = $1 AND session_id = $2 FOR UPDATE",
    )
    .bind(guild.db())
    .bind(session_id)
    .fetch_optional(conn)
    .await?)
}

/// The member's most recent open session in any guild (a DM carries no guild).
pub async fn open_for_user(conn: &mut PgConnection, user: Snowflake) -> Result<Option<Session>> {
    Ok(sqlx::query_as::<_, Session>(
        "SELECT * FROM veri_session WHERE user_id = $1 AND step = ANY($2)
         ORDER BY updated_at DESC LIMIT 1",
    )
    .bind(user.db())
    .bind(&OPEN_STEPS[..])
    .fetch_optional(conn)
    .await?)
}

/// A session by id without knowing its guild (DM buttons carry only the session id).
pub async fn session_guild(conn: &mut PgConnection, session_id: i64) -> Result<Option<Snowflake>> {
    let g: Option<i64> =
        sqlx::query_scalar("SELECT guild_id FROM veri_session WHERE session_id = $1")
            .bind(session_id)
            .fetch_optional(conn)
            .await?;
    opt_snowflake(g)
}

pub async fn update_session(conn: &mut PgConnection, s: &Session) -> Result<()> {
    sqlx::query(
        "UPDATE veri_session SET step = $3, ign = $4, code = $5, checks = $6, last_check_at = $7,
            last_failure = $8, expires_at = $9, method = $10, updated_at = now()
         WHERE guild_id = $1 AND session_id = $2",
    )
    .bind(s.guild_id.db())
    .bind(s.session_id)
    .bind(&s.step)
    .bind(s.ign.as_deref())
    .bind(&s.code)
    .bind(s.checks)
    .bind(s.last_check_at)
    .bind(&s.last_failure)
    .bind(s.expires_at)
    .bind(&s.method)
    .execute(conn)
    .await?;
    Ok(())
}
