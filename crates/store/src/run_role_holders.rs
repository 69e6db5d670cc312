//! Who holds a run's role on Discord, as raidbot last gave or took it: the run-role job
//! gives or takes the difference between the roster's members (joined or benched) and
//! these rows.

use domain::Snowflake;

use crate::{PgConnection, Result};

/// A slice of the difference between the roster and the role's holders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleDifference {
    /// In the run (joined or benched) without the role.
    pub give: Vec<Snowflake>,
    /// Holding the role, no longer in the run.
    pub take: Vec<Snowflake>,
    /// More differences than `limit`: another slice follows.
    pub more: bool,
}

/// Up to `limit` members whose role does not match their place in the run (those to give
/// in roster order, then those to take), in one statement.
pub async fn difference(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    limit: usize,
) -> Result<RoleDifference> {
    let rows: Vec<(i64, bool)> = sqlx::query_as(
        "(SELECT p.user_id, true FROM run_participant p
           WHERE p.guild_id = $1 AND p.run_id = $2 AND p.state IN ('joined', 'benched')
             AND NOT EXISTS (SELECT 1 FROM run_role_holder h
                              WHERE h.guild_id = p.guild_id AND h.run_id = p.run_id
                                AND h.user_id = p.user_id)
           ORDER BY p.joined_at, p.user_id LIMIT $3 + 1)
         UNION ALL
         (SELECT h.user_id, false FROM run_role_holder h
           WHERE h.guild_id = $1 AND h.run_id = $2
             AND NOT EXISTS (SELECT 1 FROM run_participant p
                              WHERE p.guild_id = h.guild_id AND p.run_id = h.run_id
                                AND p.user_id = h.user_id AND p.state IN ('joined', 'benched'))
           ORDER BY h.user_id LIMIT $3 + 1)",
    )
    .bind(guild.db())
    .bind(run_id)
    .bind(i64::try_from(limit).unwrap_or(i64::MAX - 1))
    .fetch_all(conn)
    .await?;
    let mut out = RoleDifference {
        more: rows.len() > limit,
        ..RoleDifference::default()
    };
    for (user, give) in rows.into_iter().take(limit) {
        let user = Snowflake::from_db(user)?;
        if give {
            out.give.push(user);
        } else {
            out.take.push(user);
        }
    }
    Ok(out)
}

/// Records what a run-role job did on Discord: `given` hold the role now, `taken` do not.
pub async fn record(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    given: &[Snowflake],
    taken: &[Snowflake],
) -> Result<()> {
    if given.is_empty() && taken.is_empty() {
        return Ok(());
    }
    let given: Vec<i64> = given.iter().map(|u| u.db()).collect();
    let taken: Vec<i64> = taken.iter().map(|u| u.db()).collect();
    sqlx::query(
        "WITH gone AS (
            DELETE FROM run_role_holder
             WHERE guild_id = $1 AND run_id = $2 AND user_id = ANY($4::bigint[]))
         INSERT INTO run_role_holder (guild_id, run_id, user_id)
         SELECT $1, $2, u FROM unnest($3::bigint[]) AS u
         ON CONFLICT DO NOTHING",
    )
    .bind(guild.db())
    .bind(run_id)
    .bind(given)
    .bind(taken)
    .execute(conn)
    .await?;
    Ok(())
}

/// The run's role is gone (deleted behind raidbot's back): nobody holds it.
pub async fn forget(conn: &mut PgConnection, guild: Snowflake, run_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM run_role_holder WHERE guild_id = $1 AND run_id = $2")
        .bind(guild.db())
        .bind(run_id)
        .execute(conn)
        .await?;
    Ok(())
}
