//! Modmail DM sessions: a member choosing a guild and confirming a message, and the
//! guilds that take modmail.

use domain::Snowflake;

use crate::{PgConnection, Result, snowflake};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Session {
    #[sqlx(try_from = "crate::columns::Id")]
    pub user_id: Snowflake,
    /// `choose_guild` or `confirm`.
    pub step: String,
    #[sqlx(try_from = "crate::columns::Ids")]
    pub candidates: Vec<Snowflake>,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub guild_id: Option<Snowflake>,
    pub body: String,
    pub attachments: Vec<String>,
}

/// The member's live session (expired ones are deleted on the way), locked.
pub async fn lock_session(conn: &mut PgConnection, user: Snowflake) -> Result<Option<Session>> {
    sqlx::query("DELETE FROM modmail_session WHERE user_id = $1 AND expires_at <= now()")
        .bind(user.db())
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query_as::<_, Session>(
        "SELECT user_id, step, candidates, guild_id, body, attachments FROM modmail_session
         WHERE user_id = $1 FOR UPDATE",
    )
    .bind(user.db())
    .fetch_optional(conn)
    .await?)
}

/// Starts or replaces the member's session, for `minutes`.
pub async fn put_session(conn: &mut PgConnection, s: &Session, minutes: i64) -> Result<()> {
    let candidates: Vec<i64> = s.candidates.iter().map(|g| g.db()).collect();
    sqlx::query(
        "INSERT INTO modmail_session (user_id, step, candidates, guild_id, body, attachments, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(mins => $7::int))
         ON CONFLICT (user_id) DO UPDATE SET step = $2, candidates = $3, guild_id = $4, body = $5,
             attachments = $6, expires_at = now() + make_interval(mins => $7::int)",
    )
    .bind(s.user_id.db())
    .bind(&s.step)
    .bind(candidates)
    .bind(s.guild_id.map(Snowflake::db))
    .bind(&s.body)
    .bind(&s.attachments)
    .bind(i32::try_from(minutes).unwrap_or(30))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn end_session(conn: &mut PgConnection, user: Snowflake) -> Result<()> {
    sqlx::query("DELETE FROM modmail_session WHERE user_id = $1")
        .bind(user.db())
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether the member is in the middle of a modmail conversation (for the DM router).
pub async fn has_session(conn: &mut PgConnection, user: Snowflake) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM modmail_session WHERE user_id = $1 AND expires_at > now())",
    )
    .bind(user.db())
    .fetch_one(conn)
    .await?)
}

/// Guilds with a modmail forum configured.
pub async fn guilds_with_modmail(conn: &mut PgConnection) -> Result<Vec<Snowflake>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT guild_id FROM guild_channel WHERE channel_key = 'modmail' ORDER BY guild_id",
    )
    .fetch_all(conn)
    .await?;
    ids.into_iter().map(snowflake).collect()
}
