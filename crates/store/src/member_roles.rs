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
    sync_many_members_roles(
        conn,
        &[MemberRoles {
            guild,
            user,
            roles: roles.to_vec(),
        }],
    )
    .await
}

/// A member's roles as last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRoles {
    pub guild: Snowflake,
    pub user: Snowflake,
    pub roles: Vec<Snowflake>,
}

/// Replaces what we know of several members' roles, in one statement (so one commit: a
/// member's first click waits for it). A member listed twice keeps the later list.
pub async fn sync_many_members_roles(
    conn: &mut PgConnection,
    members: &[MemberRoles],
) -> Result<()> {
    let mut latest: std::collections::BTreeMap<(i64, i64), &[Snowflake]> = Default::default();
    for m in members {
        latest.insert((m.guild.db(), m.user.db()), &m.roles);
    }
    let (mut guilds, mut users) = (Vec::new(), Vec::new());
    let (mut role_guilds, mut role_users, mut roles) = (Vec::new(), Vec::new(), Vec::new());
    for ((guild, user), held) in &latest {
        guilds.push(*guild);
        users.push(*user);
        let mut held: Vec<i64> = held.iter().map(|r| r.db()).collect();
        held.sort_unstable();
        held.dedup();
        for role in held {
            role_guilds.push(*guild);
            role_users.push(*user);
            roles.push(role);
        }
    }
    // Rows in key order, so two writers never wait on each other in a cycle.
    sqlx::query(
        "WITH seen AS (
            SELECT * FROM unnest($1::bigint[], $2::bigint[]) AS s(guild_id, user_id)),
         held AS (
            SELECT * FROM unnest($3::bigint[], $4::bigint[], $5::bigint[]) AS h(guild_id, user_id, role_id)),
         gone AS (
            DELETE FROM member_role mr USING seen s
            WHERE mr.guild_id = s.guild_id AND mr.user_id = s.user_id
              AND NOT EXISTS (SELECT 1 FROM held h WHERE h.guild_id = mr.guild_id
                              AND h.user_id = mr.user_id AND h.role_id = mr.role_id))
         INSERT INTO member_role (guild_id, user_id, role_id)
         SELECT guild_id, user_id, role_id FROM held ORDER BY guild_id, user_id, role_id
         ON CONFLICT DO NOTHING",
    )
    .bind(&guilds)
    .bind(&users)
    .bind(&role_guilds)
    .bind(&role_users)
    .bind(&roles)
    .execute(conn)
    .await?;
    Ok(())
}
