//! Screenshot reviews: a session's screenshot waiting for, or decided by, staff.

use chrono::{DateTime, Utc};
use domain::Snowflake;

use super::sessions::Session;
use crate::{PgConnection, Result};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Review {
    #[sqlx(try_from = "crate::columns::Id")]
    pub guild_id: Snowflake,
    pub review_id: i64,
    pub session_id: i64,
    #[sqlx(try_from = "crate::columns::Id")]
    pub user_id: Snowflake,
    #[sqlx(try_from = "crate::columns::OptIgn")]
    pub ign: Option<domain::Ign>,
    pub custom_role_id: Option<i64>,
    pub attachment_url: String,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub channel_id: Option<Snowflake>,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub message_id: Option<Snowflake>,
    pub state: String,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub decided_by: Option<Snowflake>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_review(
    conn: &mut PgConnection,
    s: &Session,
    attachment_url: &str,
    channel: Snowflake,
) -> Result<Review> {
    Ok(sqlx::query_as::<_, Review>(
        "INSERT INTO veri_review (guild_id, session_id, user_id, ign, custom_role_id,
            attachment_url, channel_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
    )
    .bind(s.guild_id.db())
    .bind(s.session_id)
    .bind(s.user_id.db())
    .bind(s.ign.as_deref())
    .bind(s.custom_role_id)
    .bind(attachment_url)
    .bind(channel.db())
    .fetch_one(conn)
    .await?)
}

pub async fn review(
    conn: &mut PgConnection,
    guild: Snowflake,
    review_id: i64,
    lock: bool,
) -> Result<Option<Review>> {
    let sql = if lock {
        "SELECT * FROM veri_review WHERE guild_id = $1 AND review_id = $2 FOR UPDATE"
    } else {
        "SELECT * FROM veri_review WHERE guild_id = $1 AND review_id = $2"
    };
    Ok(sqlx::query_as::<_, Review>(sql)
        .bind(guild.db())
        .bind(review_id)
        .fetch_optional(conn)
        .await?)
}

pub async fn decide_review(
    conn: &mut PgConnection,
    guild: Snowflake,
    review_id: i64,
    state: &str,
    by: Snowflake,
    reason: Option<&str>,
    ign: Option<&domain::Ign>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE veri_review SET state = $3, decided_by = $4, decided_at = now(), reason = $5,
            ign = COALESCE($6, ign)
         WHERE guild_id = $1 AND review_id = $2 AND state = 'pending'",
    )
    .bind(guild.db())
    .bind(review_id)
    .bind(state)
    .bind(by.db())
    .bind(reason)
    .bind(ign.map(domain::Ign::as_str))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_review_message(
    conn: &mut PgConnection,
    guild: Snowflake,
    review_id: i64,
    message: Snowflake,
) -> Result<()> {
    sqlx::query("UPDATE veri_review SET message_id = $3 WHERE guild_id = $1 AND review_id = $2")
        .bind(guild.db())
        .bind(review_id)
        .bind(message.db())
        .execute(conn)
        .await?;
    Ok(())
}
