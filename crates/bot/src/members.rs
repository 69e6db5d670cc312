//! What the gateway tells us about members' roles and role positions, kept in PostgreSQL
//! for quota panels (which list the members of each quota role and measure a member with
//! several quota roles against the highest by Discord position).
//!
//! Sources: every interaction (the router records the member's roles), GUILD_CREATE (the
//! member list Discord sends, complete for guilds up to the large threshold, and every
//! role's position), GUILD_MEMBER_ADD / UPDATE / REMOVE and GUILD_ROLE_CREATE / UPDATE.
//! Members of large guilds that Discord leaves out of GUILD_CREATE appear as soon as they
//! interact or their roles change.

use domain::Snowflake;
use twilight_gateway::Event;

use crate::Ctx;

/// A change worth recording.
pub enum Seen {
    Members {
        guild: Snowflake,
        members: Vec<(Snowflake, Vec<Snowflake>)>,
        positions: Vec<(Snowflake, i32)>,
    },
    Left {
        guild: Snowflake,
        user: Snowflake,
    },
}

fn sf(id: u64) -> Option<Snowflake> {
    Snowflake::new(id).ok()
}

fn roles<T>(ids: &[twilight_model::id::Id<T>]) -> Vec<Snowflake> {
    ids.iter().filter_map(|r| sf(r.get())).collect()
}

pub fn seen(event: &Event) -> Option<Seen> {
    match event {
        Event::GuildCreate(g) => match g.as_ref() {
            twilight_model::gateway::payload::incoming::GuildCreate::Available(g) => {
                Some(Seen::Members {
                    guild: sf(g.id.get())?,
                    members: g
                        .members
                        .iter()
                        .filter_map(|m| Some((sf(m.user.id.get())?, roles(&m.roles))))
                        .collect(),
                    positions: g
                        .roles
                        .iter()
                        .filter_map(|r| Some((sf(r.id.get())?, i32::try_from(r.position).ok()?)))
                        .collect(),
                })
            }
            _ => None,
        },
        Event::MemberAdd(m) => Some(Seen::Members {
            guild: sf(m.guild_id.get())?,
            members: vec![(sf(m.member.user.id.get())?, roles(&m.member.roles))],
            positions: Vec::new(),
        }),
        Event::MemberUpdate(m) => Some(Seen::Members {
            guild: sf(m.guild_id.get())?,
            members: vec![(sf(m.user.id.get())?, roles(&m.roles))],
            positions: Vec::new(),
        }),
        Event::MemberRemove(m) => Some(Seen::Left {
            guild: sf(m.guild_id.get())?,
            user: sf(m.user.id.get())?,
        }),
        Event::RoleCreate(r) => Some(Seen::Members {
            guild: sf(r.guild_id.get())?,
            members: Vec::new(),
            positions: vec![(sf(r.role.id.get())?, i32::try_from(r.role.position).ok()?)],
        }),
        Event::RoleUpdate(r) => Some(Seen::Members {
            guild: sf(r.guild_id.get())?,
            members: Vec::new(),
            positions: vec![(sf(r.role.id.get())?, i32::try_from(r.role.position).ok()?)],
        }),
        _ => None,
    }
}

pub async fn record(ctx: Ctx, seen: Seen) {
    let result = match seen {
        Seen::Members {
            guild,
            members,
            positions,
        } => {
            async {
                service::quota::members_roles_seen(&ctx.pool, guild, &members).await?;
                service::quota::role_positions_seen(&ctx.pool, guild, &positions).await
            }
            .await
        }
        Seen::Left { guild, user } => {
            service::quota::member_roles_seen(&ctx.pool, guild, user, &[]).await
        }
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not record members' roles");
    }
}
