//! Verification events: the rows behind veri_log and a member's history.

use chrono::{DateTime, Utc};
use domain::Snowflake;

use crate::{PgConnection, Result};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Event {
    pub event_id: i64,
    #[sqlx(try_from = "crate::columns::Id")]
    pub user_id: Snowflake,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub actor_id: Option<Snowflake>,
    pub kind: String,
    pub ign: Option<String>,
    pub detail: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_event(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    actor: Option<Snowflake>,
    kind: &str,
    ign: Option<&str>,
    detail: Option<&str>,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO veri_event (guild_id, user_id, actor_id, kind, ign, detail)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING event_id",
    )
    .bind(guild.db())
    .bind(user.db())
    .bind(actor.map(Snowflake::db))
    .bind(kind)
    .bind(ign)
    .bind(detail)
    .fetch_one(conn)
    .await?)
}

pub async fn event(conn: &mut PgConnection, guild: Snowflake, id: i64) -> Result<Option<Event>> {
    Ok(
        sqlx::query_as::<_, Event>(
            "SELECT * FROM veri_event WHERE guild_id = $1 AND event_id = $2",
        )
        .bind(guild.db())
        .bind(id)
        .fetch_optional(conn)
        .await?,
    )
}

/// Event kinds of one member, oldest first (tests and history).
pub async fn event_kinds(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT kind FROM veri_event WHERE guild_id = $1 AND user_id = $2 ORDER BY event_id",
    )
    .bind(guild.db())
    .bind(user.db())
    .fetch_all(conn)
    .await?)
}

/// One member's events, newest first, at most `limit`, and how many there are in all
/// (a member's verification history).
pub async fn member_events(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    limit: i64,
) -> Result<(Vec<Event>, i64)> {
    let events = sqlx::query_as::<_, Event>(
        "SELECT * FROM veri_event WHERE guild_id = $1 AND user_id = $2
         ORDER BY created_at DESC, event_id DESC LIMIT $3",
    )
    .bind(guild.db())
    .bind(user.db())
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let total =
        sqlx::query_scalar("SELECT count(*) FROM veri_event WHERE guild_id = $1 AND user_id = $2")
            .bind(guild.db())
            .bind(user.db())
            .fetch_one(conn)
            .await?;
    Ok((events, total))
}
