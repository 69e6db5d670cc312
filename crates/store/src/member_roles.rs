//! Members' Discord roles as last seen (quota roles are looked up through them).

use domain::Snowflake;

use crate::{PgConnection, Result};

/// Replaces what we know of a member's roles.
pub async fn sync_member_roles(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    roles: &[Snowflake],
) -> Result<()> {
    let ids: Vec<i64> = roles.iter().map(|r| r.db()).collect();
    // One statement, so one commit (a member's first click waits for it).
    sqlx::query(
        "WITH gone AS (
            DELETE FROM member_role
            WHERE guild_id = $1 AND user_id = $2 AND NOT (role_id = ANY($3)))
         INSERT INTO member_role (guild_id, user_id, role_id)
         SELECT $1, $2, r FROM unnest($3::bigint[]) AS r ON CONFLICT DO NOTHING",
    )
    .bind(guild.db())
    .bind(user.db())
    .bind(&ids)
    .execute(conn)
    .await?;
    Ok(())
}
