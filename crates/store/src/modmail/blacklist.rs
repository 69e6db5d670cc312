//! Members a guild no longer takes modmail from, for good or until `expires_at`.

use chrono::{DateTime, Utc};
use domain::Snowflake;

use crate::{PgConnection, Result};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Entry {
    pub reason: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The member's blacklist entry in force (not expired), if any.
pub async fn active(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Option<Entry>> {
    Ok(sqlx::query_as::<_, Entry>(
        "SELECT reason, expires_at FROM modmail_blacklist
         WHERE guild_id = $1 AND user_id = $2 AND (expires_at IS NULL OR expires_at > now())",
    )
    .bind(guild.db())
    .bind(user.db())
    .fetch_optional(conn)
    .await?)
}

pub async fn blacklisted(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<bool> {
    Ok(active(conn, guild, user).await?.is_some())
}

/// Adds to the blacklist (an expired entry is replaced); false when already there.
pub async fn blacklist(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    reason: &str,
    by: Option<Snowflake>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO modmail_blacklist (guild_id, user_id, reason, added_by, expires_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (guild_id, user_id) DO UPDATE
             SET reason = $3, added_by = $4, expires_at = $5, created_at = now()
             WHERE modmail_blacklist.expires_at IS NOT NULL AND modmail_blacklist.expires_at <= now()",
    )
    .bind(guild.db())
    .bind(user.db())
    .bind(reason)
    .bind(by.map(Snowflake::db))
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Lifts an entry in force; false when there was none.
pub async fn unblacklist(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<bool> {
    let done = sqlx::query(
        "DELETE FROM modmail_blacklist WHERE guild_id = $1 AND user_id = $2
           AND (expires_at IS NULL OR expires_at > now())",
    )
    .bind(guild.db())
    .bind(user.db())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The member's temporary entry, whatever its time (for the expiry timer), locked.
pub async fn lock_temporary(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Option<Entry>> {
    Ok(sqlx::query_as::<_, Entry>(
        "SELECT reason, expires_at FROM modmail_blacklist
         WHERE guild_id = $1 AND user_id = $2 AND expires_at IS NOT NULL FOR UPDATE",
    )
    .bind(guild.db())
    .bind(user.db())
    .fetch_optional(conn)
    .await?)
}

/// Removes an expired entry; true when one was removed.
pub async fn remove_expired(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<bool> {
    let done = sqlx::query(
        "DELETE FROM modmail_blacklist WHERE guild_id = $1 AND user_id = $2
           AND expires_at IS NOT NULL AND expires_at <= now()",
    )
    .bind(guild.db())
    .bind(user.db())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
