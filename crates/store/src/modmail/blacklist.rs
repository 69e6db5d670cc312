//! Members a guild no longer takes modmail from.

use domain::Snowflake;

use crate::{PgConnection, Result};

pub async fn blacklisted(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM modmail_blacklist WHERE guild_id = $1 AND user_id = $2)",
    )
    .bind(guild.db())
    .bind(user.db())
    .fetch_one(conn)
    .await?)
}

/// Adds to the blacklist; false when already there.
pub async fn blacklist(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    reason: &str,
    by: Option<Snowflake>,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO modmail_blacklist (guild_id, user_id, reason, added_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
    )
    .bind(guild.db())
    .bind(user.db())
    .bind(reason)
    .bind(by.map(Snowflake::db))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn unblacklist(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<bool> {
    let done = sqlx::query("DELETE FROM modmail_blacklist WHERE guild_id = $1 AND user_id = $2")
        .bind(guild.db())
        .bind(user.db())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
