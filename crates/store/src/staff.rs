//! Staff operations' rows: /purge uses (rate limits are counted from them).

use chrono::{DateTime, Utc};
use domain::Snowflake;

use crate::{PgConnection, Result};

/// Serializes /purge for one member until the transaction ends, so two uses at once
/// cannot both pass the limit.
pub async fn lock_purger(conn: &mut PgConnection, guild: Snowflake, user: Snowflake) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("purge:{guild}:{user}"))
        .execute(conn)
        .await?;
    Ok(())
}

/// The member's /purge uses in the last hour (the database's clock) and that clock now.
pub async fn purges_last_hour(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<(Vec<DateTime<Utc>>, DateTime<Utc>)> {
    let uses: Vec<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT created_at FROM purge_use WHERE guild_id = $1 AND user_id = $2
           AND created_at > now() - interval '1 hour'",
    )
    .bind(guild.db())
    .bind(user.db())
    .fetch_all(&mut *conn)
    .await?;
    let now: DateTime<Utc> = sqlx::query_scalar("SELECT now()").fetch_one(conn).await?;
    Ok((uses, now))
}

pub async fn insert_purge(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    channel: Snowflake,
    requested: i16,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO purge_use (guild_id, user_id, channel_id, requested) VALUES ($1, $2, $3, $4)
         RETURNING use_id",
    )
    .bind(guild.db())
    .bind(user.db())
    .bind(channel.db())
    .bind(requested)
    .fetch_one(conn)
    .await?)
}

pub async fn purge_done(
    conn: &mut PgConnection,
    guild: Snowflake,
    use_id: i64,
    deleted: i16,
) -> Result<()> {
    sqlx::query("UPDATE purge_use SET deleted = $3 WHERE guild_id = $1 AND use_id = $2")
        .bind(guild.db())
        .bind(use_id)
        .bind(deleted)
        .execute(conn)
        .await?;
    Ok(())
}
