//! Staff notes on members (kept when removed, hidden).

use chrono::{DateTime, Utc};
use domain::Snowflake;

use crate::{PgConnection, Result};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Note {
    #[sqlx(try_from = "crate::columns::Id")]
    pub guild_id: Snowflake,
    pub note_id: i64,
    #[sqlx(try_from = "crate::columns::Id")]
    pub user_id: Snowflake,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub author_id: Option<Snowflake>,
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub removed_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub removed_by: Option<Snowflake>,
}

const NOTE_COLUMNS: &str =
    "guild_id, note_id, user_id, author_id, author, body, created_at, removed_at, removed_by";

pub async fn insert_note(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    author_id: Option<Snowflake>,
    author: &str,
    body: &str,
) -> Result<Note> {
    let sql = format!(
        "INSERT INTO member_note (guild_id, user_id, author_id, author, body)
         VALUES ($1, $2, $3, $4, $5) RETURNING {NOTE_COLUMNS}"
    );
    Ok(sqlx::query_as::<_, Note>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(user.db())
        .bind(author_id.map(Snowflake::db))
        .bind(author)
        .bind(body)
        .fetch_one(conn)
        .await?)
}

pub async fn get_note(conn: &mut PgConnection, guild: Snowflake, id: i64) -> Result<Option<Note>> {
    let sql =
        format!("SELECT {NOTE_COLUMNS} FROM member_note WHERE guild_id = $1 AND note_id = $2");
    Ok(sqlx::query_as::<_, Note>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// The member's notes that were not removed, newest first, a page and the total.
pub async fn notes_for_member(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Note>, i64)> {
    let sql = format!(
        "SELECT {NOTE_COLUMNS} FROM member_note
         WHERE guild_id = $1 AND user_id = $2 AND removed_at IS NULL
         ORDER BY created_at DESC, note_id DESC LIMIT $3 OFFSET $4"
    );
    let rows = sqlx::query_as::<_, Note>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(user.db())
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await?;
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM member_note WHERE guild_id = $1 AND user_id = $2 AND removed_at IS NULL",
    )
    .bind(guild.db())
    .bind(user.db())
    .fetch_one(conn)
    .await?;
    Ok((rows, total))
}

/// Removes a note (kept, hidden). Returns whether this call removed it.
pub async fn remove_note(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
    by: Option<Snowflake>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE member_note SET removed_at = now(), removed_by = $3
         WHERE guild_id = $1 AND note_id = $2 AND removed_at IS NULL",
    )
    .bind(guild.db())
    .bind(id)
    .bind(by.map(Snowflake::db))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
