//! `/guilds/{id}/roles`: the guild's roles.

use serde_json::{Value, json};

use super::{Params, Reply, json_u64, no_content, ok};
use crate::DiscordSim;
use crate::ids::*;
use crate::limits::ApiError;
use crate::model::*;

pub(super) fn handle(
    sim: &DiscordSim,
    st: &mut State,
    template: &str,
    p: &Params,
    b: &Value,
) -> Reply {
    let bot = sim.inner.bot_user;
    match template {
        "GET /guilds/{guild_id}/roles" => {
            let g = st
                .guilds
                .get(&p.guild()?)
                .ok_or_else(ApiError::unknown_guild)?;
            ok(Value::Array(g.roles.values().map(Role::to_json).collect()))
        }
        "POST /guilds/{guild_id}/roles" => {
            let g = p.guild()?;
            let guild = st.guilds.get(&g).ok_or_else(ApiError::unknown_guild)?;
            let bot_perms = st.permissions(g, bot);
            if bot_perms & perms::MANAGE_ROLES == 0 {
                return Err(ApiError::missing_permissions());
            }
            if guild.roles.len() >= 250 {
                return Err(ApiError::new(
                    400,
                    30005,
                    "Maximum number of guild roles reached (250)",
                ));
            }
            let permissions = b.get("permissions").and_then(json_u64).unwrap_or(0);
            if permissions & !bot_perms != 0 {
                return Err(ApiError::missing_permissions());
            }
            let name = b
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("new role")
                .to_owned();
            if name.chars().count() > 100 {
                return Err(ApiError::form(
                    "name",
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 100 or fewer in length.",
                ));
            }
            let role = Role {
                id: RoleId(next_snowflake()),
                guild_id: g,
                name,
                permissions,
                position: 1,
                managed: false,
                color: b.get("color").and_then(Value::as_u64).unwrap_or(0) as u32,
                hoist: b.get("hoist").and_then(Value::as_bool).unwrap_or(false),
                mentionable: b
                    .get("mentionable")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                bot_id: None,
            };
            if let Some(guild) = st.guilds.get_mut(&g) {
                for r in guild.roles.values_mut() {
                    if r.position >= 1 {
                        r.position += 1;
                    }
                }
                guild.roles.insert(role.id, role.clone());
            }
            sim.dispatch(
                st,
                "GUILD_ROLE_CREATE",
                json!({"guild_id": g.to_string(), "role": role.to_json()}),
            );
            ok(role.to_json())
        }
        "PATCH /guilds/{guild_id}/roles/{role_id}"
        | "DELETE /guilds/{guild_id}/roles/{role_id}" => {
            let (g, r) = (p.guild()?, p.role()?);
            let guild = st.guilds.get(&g).ok_or_else(ApiError::unknown_guild)?;
            let role = guild.roles.get(&r).ok_or_else(ApiError::unknown_role)?;
            let bot_perms = st.permissions(g, bot);
            if bot_perms & perms::MANAGE_ROLES == 0
                || (role.position >= st.top_position(g, bot) && r.0 != g.0)
            {
                return Err(ApiError::missing_permissions());
            }
            if template.starts_with("DELETE") {
                if r.0 == g.0 || role.managed {
                    return Err(ApiError::new(400, 50028, "Invalid Role"));
                }
                if let Some(guild) = st.guilds.get_mut(&g) {
                    guild.roles.remove(&r);
                    for m in guild.members.values_mut() {
                        m.roles.retain(|x| *x != r);
                    }
                }
                sim.dispatch(
                    st,
                    "GUILD_ROLE_DELETE",
                    json!({"guild_id": g.to_string(), "role_id": r.to_string()}),
                );
                return no_content();
            }
            if let Some(pm) = b.get("permissions").and_then(json_u64)
                && pm & !bot_perms != 0
            {
                return Err(ApiError::missing_permissions());
            }
            let Some(role) = st.guilds.get_mut(&g).and_then(|g| g.roles.get_mut(&r)) else {
                return Err(ApiError::unknown_role());
            };
            if let Some(n) = b.get("name").and_then(Value::as_str) {
                role.name = n.to_owned();
            }
            if let Some(pm) = b.get("permissions").and_then(json_u64) {
                role.permissions = pm;
            }
            if let Some(c) = b.get("color").and_then(Value::as_u64) {
                role.color = c as u32;
            }
            if let Some(h) = b.get("hoist").and_then(Value::as_bool) {
                role.hoist = h;
            }
            if let Some(h) = b.get("mentionable").and_then(Value::as_bool) {
                role.mentionable = h;
            }
            let json = role.to_json();
            sim.dispatch(
                st,
                "GUILD_ROLE_UPDATE",
                json!({"guild_id": g.to_string(), "role": json}),
            );
            ok(json)
        }
        other => super::unhandled(other),
    }
}
