//! Verification events: the rows behind veri_log and a member's history.

use chrono::{DateTime, Utc};
use domain::Snowflake;
use sqlx::Row;

use crate::{PgConnection, Result, opt_snowflake, snowflake};

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub event_id: i64,
    pub user_id: Snowflake,
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
    let row = sqlx::query("SELECT * FROM veri_event WHERE guild_id = $1 AND event_id = $2")
        .bind(guild.db())
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        Ok(Event {
            event_id: r.try_get("event_id")?,
            user_id: snowflake(r.try_get("user_id")?)?,
            actor_id: opt_snowflake(r.try_get("actor_id")?)?,
            kind: r.try_get("kind")?,
            ign: r.try_get("ign")?,
            detail: r.try_get("detail")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .transpose()
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
