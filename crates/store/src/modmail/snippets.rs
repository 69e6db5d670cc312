//! Saved modmail answers (snippets), per guild.

use chrono::{DateTime, Utc};
use domain::Snowflake;

use crate::{PgConnection, Result};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Snippet {
    pub name: String,
    pub body: String,
    pub updated_at: DateTime<Utc>,
}

/// Saves a snippet; true when it is new, false when it replaced one of the same name.
pub async fn put(
    conn: &mut PgConnection,
    guild: Snowflake,
    name: &str,
    body: &str,
    by: Option<Snowflake>,
) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "INSERT INTO modmail_snippet (guild_id, name, body, created_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (guild_id, name) DO UPDATE SET body = $3, created_by = $4, updated_at = now()
         RETURNING (xmax = 0)",
    )
    .bind(guild.db())
    .bind(name)
    .bind(body)
    .bind(by.map(Snowflake::db))
    .fetch_one(conn)
    .await?)
}

pub async fn remove(conn: &mut PgConnection, guild: Snowflake, name: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM modmail_snippet WHERE guild_id = $1 AND name = $2")
        .bind(guild.db())
        .bind(name)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get(conn: &mut PgConnection, guild: Snowflake, name: &str) -> Result<Option<Snippet>> {
    Ok(sqlx::query_as::<_, Snippet>(
        "SELECT name, body, updated_at FROM modmail_snippet WHERE guild_id = $1 AND name = $2",
    )
    .bind(guild.db())
    .bind(name)
    .fetch_optional(conn)
    .await?)
}

/// The guild's snippets by name, those whose name contains `filter` (all when empty).
pub async fn list(
    conn: &mut PgConnection,
    guild: Snowflake,
    filter: &str,
    limit: i64,
) -> Result<Vec<Snippet>> {
    Ok(sqlx::query_as::<_, Snippet>(
        "SELECT name, body, updated_at FROM modmail_snippet
         WHERE guild_id = $1 AND strpos(name, $2) > 0 ORDER BY name LIMIT $3",
    )
    .bind(guild.db())
    .bind(filter)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
