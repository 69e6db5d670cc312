//! What the bot sees of members' roles and role positions.

use super::*;

/// A member's roles as an interaction or gateway event shows them.
pub async fn member_roles_seen(
    pool: &PgPool,
    guild: Snowflake,
    user: Snowflake,
    roles: &[Snowflake],
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    member_roles::sync_member_roles(&mut conn, guild, user, roles).await?;
    Ok(())
}

/// Role positions as a GUILD_CREATE or GUILD_ROLE_UPDATE shows them.
pub async fn role_positions_seen(
    pool: &PgPool,
    guild: Snowflake,
    positions: &[(Snowflake, i32)],
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    for (role, position) in positions {
        quota_roles::set_role_position(&mut conn, guild, *role, *position).await?;
    }
    Ok(())
}
