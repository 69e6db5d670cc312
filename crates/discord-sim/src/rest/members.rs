//! `/guilds/{id}/members` and `/bans`: listing, editing, kicking and banning members, and
//! their roles.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::{Params, Reply, json_u64, no_content, ok};
use crate::DiscordSim;
use crate::ids::*;
use crate::limits::{self, ApiError};
use crate::model::*;

pub(super) fn handle(
    sim: &DiscordSim,
    st: &mut State,
    template: &str,
    p: &Params,
    q: &HashMap<String, String>,
    b: &Value,
) -> Reply {
    let bot = sim.inner.bot_user;
    match template {
        "GET /guilds/{guild_id}/members" => {
            let g = st
                .guilds
                .get(&p.guild()?)
                .ok_or_else(ApiError::unknown_guild)?;
            let limit = q
                .get("limit")
                .and_then(|l| l.parse::<usize>().ok())
                .unwrap_or(1)
                .clamp(1, 1000);
            let after = q
                .get("after")
                .and_then(|l| l.parse::<u64>().ok())
                .unwrap_or(0);
            ok(Value::Array(
                g.members
                    .values()
                    .filter(|m| m.user_id.0 > after)
                    .take(limit)
                    .map(|m| st.member_json(m))
                    .collect(),
            ))
        }
        "GET /guilds/{guild_id}/members/{user_id}" => {
            let g = st
                .guilds
                .get(&p.guild()?)
                .ok_or_else(ApiError::unknown_guild)?;
            let m = g
                .members
                .get(&p.user()?)
                .ok_or_else(ApiError::unknown_member)?;
            ok(st.member_json(m))
        }
        "PATCH /guilds/{guild_id}/members/{user_id}" => update_member(sim, st, p, b),
        "DELETE /guilds/{guild_id}/members/{user_id}" | "PUT /guilds/{guild_id}/bans/{user_id}" => {
            let (g, u) = (p.guild()?, p.user()?);
            let ban = template.starts_with("PUT");
            let guild = st.guilds.get(&g).ok_or_else(ApiError::unknown_guild)?;
            let need = if ban {
                perms::BAN_MEMBERS
            } else {
                perms::KICK_MEMBERS
            };
            let is_member = guild.members.contains_key(&u);
            if !is_member && !ban {
                return Err(ApiError::unknown_member());
            }
            if st.permissions(g, bot) & need == 0
                || guild.owner_id == u
                || (is_member && st.top_position(g, u) >= st.top_position(g, bot))
            {
                return Err(ApiError::missing_permissions());
            }
            if let Some(guild) = st.guilds.get_mut(&g) {
                guild.members.remove(&u);
                if ban && !guild.bans.contains(&u) {
                    guild.bans.push(u);
                }
            }
            let user = st.users.get(&u).map(|u| u.to_json());
            if ban {
                sim.dispatch(
                    st,
                    "GUILD_BAN_ADD",
                    json!({"guild_id": g.to_string(), "user": user}),
                );
            }
            if is_member {
                sim.dispatch(
                    st,
                    "GUILD_MEMBER_REMOVE",
                    json!({"guild_id": g.to_string(), "user": user}),
                );
            }
            no_content()
        }
        "DELETE /guilds/{guild_id}/bans/{user_id}" => {
            let (g, u) = (p.guild()?, p.user()?);
            let guild = st.guilds.get_mut(&g).ok_or_else(ApiError::unknown_guild)?;
            let before = guild.bans.len();
            guild.bans.retain(|x| *x != u);
            if guild.bans.len() == before {
                return Err(ApiError::new(404, 10026, "Unknown Ban"));
            }
            no_content()
        }
        "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}"
        | "DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}" => {
            let (g, u, r) = (p.guild()?, p.user()?, p.role()?);
            let guild = st.guilds.get(&g).ok_or_else(ApiError::unknown_guild)?;
            let role_pos = guild
                .roles
                .get(&r)
                .map(|r| r.position)
                .ok_or_else(ApiError::unknown_role)?;
            if !guild.members.contains_key(&u) {
                return Err(ApiError::unknown_member());
            }
            let bot_top = st.top_position(g, bot);
            if st.permissions(g, bot) & perms::MANAGE_ROLES == 0
                || role_pos >= bot_top
                || (u != bot && st.top_position(g, u) >= bot_top)
            {
                return Err(ApiError::missing_permissions());
            }
            let add = template.starts_with("PUT");
            if let Some(m) = st.guilds.get_mut(&g).and_then(|g| g.members.get_mut(&u)) {
                if add && !m.roles.contains(&r) {
                    m.roles.push(r);
                } else if !add {
                    m.roles.retain(|x| *x != r);
                }
            }
            sim.member_update_dispatch(st, g, u);
            no_content()
        }
        other => super::unhandled(other),
    }
}

fn update_member(sim: &DiscordSim, st: &mut State, p: &Params, b: &Value) -> Reply {
    let bot = sim.inner.bot_user;
    let (g, u) = (p.guild()?, p.user()?);
    let guild = st.guilds.get(&g).ok_or_else(ApiError::unknown_guild)?;
    let member = guild
        .members
        .get(&u)
        .cloned()
        .ok_or_else(ApiError::unknown_member)?;
    let owner = guild.owner_id;
    let bot_perms = st.permissions(g, bot);
    let bot_top = st.top_position(g, bot);
    let target_top = st.top_position(g, u);
    let above = u != bot && target_top >= bot_top;
    let mut updated = member.clone();
    if let Some(nick) = b.get("nick") {
        let nick = nick.as_str().unwrap_or("");
        limits::validate_nick(nick)?;
        let need = if u == bot {
            perms::MANAGE_NICKNAMES | (1 << 26)
        } else {
            perms::MANAGE_NICKNAMES
        };
        if u == owner || above || bot_perms & need == 0 {
            return Err(ApiError::missing_permissions());
        }
        updated.nick = if nick.is_empty() {
            None
        } else {
            Some(nick.to_owned())
        };
    }
    if let Some(roles) = b.get("roles") {
        let wanted: Vec<RoleId> = roles
            .as_array()
            .map(|a| a.iter().filter_map(json_u64).map(RoleId).collect())
            .unwrap_or_default();
        for r in &wanted {
            if !guild.roles.contains_key(r) {
                return Err(ApiError::unknown_role());
            }
        }
        let changed: Vec<&RoleId> = wanted
            .iter()
            .filter(|r| !member.roles.contains(r))
            .chain(member.roles.iter().filter(|r| !wanted.contains(r)))
            .collect();
        if !changed.is_empty() {
            let too_high = changed.iter().any(|r| {
                guild
                    .roles
                    .get(r)
                    .is_none_or(|r| r.position >= bot_top || r.managed)
            });
            if bot_perms & perms::MANAGE_ROLES == 0 || above || too_high {
                return Err(ApiError::missing_permissions());
            }
        }
        updated.roles = wanted;
    }
    if let Some(until) = b.get("communication_disabled_until") {
        match until.as_str() {
            None => updated.communication_disabled_until = None,
            Some(ts) => {
                let parsed = chrono::DateTime::parse_from_rfc3339(ts).map_err(|_| {
                    ApiError::form(
                        "communication_disabled_until",
                        "DATE_TIME_TYPE_PARSE",
                        "Could not parse timestamp.",
                    )
                })?;
                let max = chrono::Utc::now() + chrono::Duration::days(28);
                if parsed > max {
                    return Err(ApiError::form(
                        "communication_disabled_until",
                        "BASE_TYPE_BAD_TIME",
                        "Timeout duration is too long (max 28 days).",
                    ));
                }
                if u == owner || above || bot_perms & perms::MODERATE_MEMBERS == 0 {
                    return Err(ApiError::missing_permissions());
                }
                updated.communication_disabled_until = Some(ts.to_owned());
            }
        }
    }
    let json = st.member_json(&updated);
    if let Some(m) = st.guilds.get_mut(&g).and_then(|g| g.members.get_mut(&u)) {
        *m = updated;
    }
    sim.member_update_dispatch(st, g, u);
    ok(json)
}
