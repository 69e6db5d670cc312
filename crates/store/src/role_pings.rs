//! Dungeon ping roles: which Discord role to mention when a run of a dungeon is posted,
//! and which roles the self-service panel hands out.

use domain::Snowflake;

use crate::{PgConnection, Result, snowflake};

/// One dungeon's ping role.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RolePing {
    pub dungeon_code: String,
    #[sqlx(try_from = "crate::columns::Id")]
    pub role_id: Snowflake,
}

/// The role to mention for a run of `dungeon_code`, if one is mapped.
pub async fn ping_role(
    conn: &mut PgConnection,
    guild: Snowflake,
    dungeon_code: &str,
) -> Result<Option<Snowflake>> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT role_id FROM dungeon_role_ping WHERE guild_id = $1 AND dungeon_code = $2",
    )
    .bind(guild.db())
    .bind(dungeon_code)
    .fetch_optional(conn)
    .await?;
    id.map(snowflake).transpose()
}

/// Every mapping of the guild, by dungeon code.
pub async fn all(conn: &mut PgConnection, guild: Snowflake) -> Result<Vec<RolePing>> {
    Ok(sqlx::query_as::<_, RolePing>(
        "SELECT dungeon_code, role_id FROM dungeon_role_ping WHERE guild_id = $1
         ORDER BY dungeon_code",
    )
    .bind(guild.db())
    .fetch_all(conn)
    .await?)
}

/// Maps the dungeon to `role`; returns the role it was mapped to before, if any.
pub async fn set(
    conn: &mut PgConnection,
    guild: Snowflake,
    dungeon_code: &str,
    role: Snowflake,
) -> Result<Option<Snowflake>> {
    let before = ping_role(conn, guild, dungeon_code).await?;
    sqlx::query(
        "INSERT INTO dungeon_role_ping (guild_id, dungeon_code, role_id) VALUES ($1, $2, $3)
         ON CONFLICT (guild_id, dungeon_code)
         DO UPDATE SET role_id = EXCLUDED.role_id, updated_at = now()",
    )
    .bind(guild.db())
    .bind(dungeon_code)
    .bind(role.db())
    .execute(conn)
    .await?;
    Ok(before)
}

/// Removes the dungeon's mapping; returns the role it had, if any.
pub async fn clear(
    conn: &mut PgConnection,
    guild: Snowflake,
    dungeon_code: &str,
) -> Result<Option<Snowflake>> {
    let id: Option<i64> = sqlx::query_scalar(
        "DELETE FROM dungeon_role_ping WHERE guild_id = $1 AND dungeon_code = $2
         RETURNING role_id",
    )
    .bind(guild.db())
    .bind(dungeon_code)
    .fetch_optional(conn)
    .await?;
    id.map(snowflake).transpose()
}
