//! What the web dashboard reads and keeps beyond the bot's tables: the public leaderboard
//! setting, members' in-game names for a page of rows, a member search by name, and the
//! run history with filters.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::Snowflake;
use sqlx::Row;

use crate::runs::{RUN_COLUMNS, Run};
use crate::{PgConnection, Result, snowflake};

/// A server's public leaderboard setting as stored (`metrics` by their `as_str` names).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PublicBoardRow {
    pub enabled: bool,
    pub metrics: Vec<String>,
    pub show_names: bool,
}

/// The setting; the default (off) when never set.
pub async fn public_board(conn: &mut PgConnection, guild: Snowflake) -> Result<PublicBoardRow> {
    let row = sqlx::query(
        "SELECT enabled, metrics, show_names FROM guild_public_board WHERE guild_id = $1",
    )
    .bind(guild.db())
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        Some(r) => PublicBoardRow {
            enabled: r.try_get("enabled")?,
            metrics: r.try_get("metrics")?,
            show_names: r.try_get("show_names")?,
        },
        None => PublicBoardRow::default(),
    })
}

/// Stores the setting. The guild row must exist.
pub async fn set_public_board(
    conn: &mut PgConnection,
    guild: Snowflake,
    board: &PublicBoardRow,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO guild_public_board (guild_id, enabled, metrics, show_names)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (guild_id) DO UPDATE SET enabled = EXCLUDED.enabled,
             metrics = EXCLUDED.metrics, show_names = EXCLUDED.show_names, updated_at = now()",
    )
    .bind(guild.db())
    .bind(board.enabled)
    .bind(&board.metrics)
    .bind(board.show_names)
    .execute(conn)
    .await?;
    Ok(())
}

/// The main in-game names of those of `members` who have one.
pub async fn main_names(
    conn: &mut PgConnection,
    guild: Snowflake,
    members: &[Snowflake],
) -> Result<HashMap<Snowflake, String>> {
    let ids: Vec<i64> = members.iter().map(|m| m.db()).collect();
    let rows = sqlx::query(
        "SELECT user_id, ign FROM member
         WHERE guild_id = $1 AND user_id = ANY($2) AND ign IS NOT NULL",
    )
    .bind(guild.db())
    .bind(&ids)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((snowflake(r.try_get("user_id")?)?, r.try_get("ign")?)))
        .collect()
}

/// Members whose in-game name (main or alt) starts with `prefix` (case-insensitive), with
/// their main name, by name; at most `limit`.
pub async fn search_members(
    conn: &mut PgConnection,
    guild: Snowflake,
    prefix: &str,
    limit: i64,
) -> Result<Vec<(Snowflake, String)>> {
    let pattern = format!(
        "{}%",
        prefix
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let rows = sqlx::query(
        "SELECT DISTINCT m.user_id, coalesce(m.ign, i.ign) AS ign
         FROM member_ign i JOIN member m USING (guild_id, user_id)
         WHERE i.guild_id = $1 AND i.ign_key LIKE $2
         ORDER BY 2 LIMIT $3",
    )
    .bind(guild.db())
    .bind(pattern)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((snowflake(r.try_get("user_id")?)?, r.try_get("ign")?)))
        .collect()
}

/// Which runs a history page lists (every field optional).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunFilter {
    pub dungeon: Option<String>,
    pub organizer: Option<Snowflake>,
    /// A run status's `as_str`.
    pub status: Option<String>,
    /// Created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Created before.
    pub to: Option<DateTime<Utc>>,
}

/// Runs matching `filter`, newest first; `before` is the last run id of the previous page.
pub async fn run_history(
    conn: &mut PgConnection,
    guild: Snowflake,
    filter: &RunFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Run>> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM run r
         WHERE r.guild_id = $1
           AND ($2::text IS NULL OR r.dungeon_code = $2)
           AND ($3::bigint IS NULL OR r.organizer_id = $3)
           AND ($4::text IS NULL OR r.status = $4)
           AND ($5::timestamptz IS NULL OR r.created_at >= $5)
           AND ($6::timestamptz IS NULL OR r.created_at < $6)
           AND ($7::bigint IS NULL OR r.run_id < $7)
         ORDER BY r.run_id DESC LIMIT $8"
    );
    Ok(sqlx::query_as::<_, Run>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(filter.dungeon.as_deref())
        .bind(filter.organizer.map(Snowflake::db))
        .bind(filter.status.as_deref())
        .bind(filter.from)
        .bind(filter.to)
        .bind(before)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}
