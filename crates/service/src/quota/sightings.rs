//! What the bot sees of members' roles and role positions.

use super::*;
use crate::batching::{Batcher, Reply, answer_all};

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

/// Several members' roles as a gateway event shows them (a server's members), a thousand
/// members per statement.
pub async fn members_roles_seen(
    pool: &PgPool,
    guild: Snowflake,
    members: &[(Snowflake, Vec<Snowflake>)],
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    for chunk in members.chunks(1000) {
        let rows: Vec<member_roles::MemberRoles> = chunk
            .iter()
            .map(|(user, roles)| member_roles::MemberRoles {
                guild,
                user: *user,
                roles: roles.clone(),
            })
            .collect();
        member_roles::sync_many_members_roles(&mut conn, &rows).await?;
    }
    Ok(())
}

/// Records members' roles as interactions show them ([`member_roles_seen`]); sightings
/// arriving together (the first clicks of a burst) share one statement and one commit.
/// Cheap to clone.
#[derive(Clone)]
pub struct RoleSightings {
    pool: PgPool,
    batches: Batcher<Sighting>,
}

struct Sighting {
    member: member_roles::MemberRoles,
    span: tracing::Span,
    reply: Reply<()>,
}

impl RoleSightings {
    pub fn new(pool: PgPool) -> RoleSightings {
        RoleSightings {
            batches: Batcher::on_pool("roles_seen", 2, 256, &pool, record_sightings),
            pool,
        }
    }

    /// [`member_roles_seen`], batched with concurrent sightings (committed when this returns).
    pub async fn seen(&self, guild: Snowflake, user: Snowflake, roles: &[Snowflake]) -> Result<()> {
        let member = member_roles::MemberRoles {
            guild,
            user,
            roles: roles.to_vec(),
        };
        let span = tracing::Span::current();
        self.batches
            .call(
                |reply| Sighting {
                    member,
                    span,
                    reply,
                },
                |_| member_roles_seen(&self.pool, guild, user, roles),
            )
            .await
    }
}

async fn record_sightings(pool: PgPool, batch: Vec<Sighting>) {
    use tracing::Instrument;
    let span = batch[0].span.clone();
    let (members, replies): (Vec<_>, Vec<_>) =
        batch.into_iter().map(|s| (s.member, s.reply)).unzip();
    let recorded = async {
        let mut conn = pool.acquire().await?;
        member_roles::sync_many_members_roles(&mut conn, &members).await?;
        Ok::<_, ServiceError>(())
    }
    .instrument(span)
    .await;
    answer_all(replies, &recorded);
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
