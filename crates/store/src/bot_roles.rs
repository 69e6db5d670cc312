//! Roles raidbot created, so that cleanup deletes only those and never a community role.

use domain::Snowflake;

use crate::{PgConnection, Result};

pub async fn record(
    conn: &mut PgConnection,
    guild: Snowflake,
    role: Snowflake,
    purpose: &str,
    ref_id: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO bot_role (guild_id, role_id, purpose, ref_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
    )
    .bind(guild.db())
    .bind(role.db())
    .bind(purpose)
    .bind(ref_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether raidbot created this role and has not deleted it yet.
pub async fn is_live(conn: &mut PgConnection, guild: Snowflake, role: Snowflake) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM bot_role WHERE guild_id = $1 AND role_id = $2 AND deleted_at IS NULL)",
    )
    .bind(guild.db())
    .bind(role.db())
    .fetch_one(conn)
    .await?)
}

pub async fn mark_deleted(
    conn: &mut PgConnection,
    guild: Snowflake,
    role: Snowflake,
) -> Result<()> {
    sqlx::query("UPDATE bot_role SET deleted_at = now() WHERE guild_id = $1 AND role_id = $2 AND deleted_at IS NULL")
        .bind(guild.db())
        .bind(role.db())
        .execute(conn)
        .await?;
    Ok(())
}
