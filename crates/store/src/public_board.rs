//! A server's public leaderboard page: whether it is published, which categories, and
//! whether members' names are shown (the web dashboard's public page).

use domain::Snowflake;

use crate::{PgConnection, Result};

/// A server's public leaderboard setting as stored (`metrics` by their `as_str` names).
#[derive(Debug, Clone, PartialEq, Default, sqlx::FromRow)]
pub struct PublicBoardRow {
    pub enabled: bool,
    pub metrics: Vec<String>,
    pub show_names: bool,
}

/// The setting; the default (off) when never set.
pub async fn public_board(conn: &mut PgConnection, guild: Snowflake) -> Result<PublicBoardRow> {
    Ok(sqlx::query_as::<_, PublicBoardRow>(
        "SELECT enabled, metrics, show_names FROM guild_public_board WHERE guild_id = $1",
    )
    .bind(guild.db())
    .fetch_optional(conn)
    .await?
    .unwrap_or_default())
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
