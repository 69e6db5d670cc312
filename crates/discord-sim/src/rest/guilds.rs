//! `/guilds/{id}` and its channel list.

use serde_json::Value;

use super::{Params, Reply, ok};
use crate::DiscordSim;
use crate::limits::ApiError;
use crate::model::*;

pub(super) fn handle(_sim: &DiscordSim, st: &mut State, template: &str, p: &Params) -> Reply {
    match template {
        "GET /guilds/{guild_id}" => {
            let g = st
                .guilds
                .get(&p.guild()?)
                .ok_or_else(ApiError::unknown_guild)?;
            ok(st.guild_json(g, false))
        }
        // The guild's threads that are not archived, as Discord lists them.
        "GET /guilds/{guild_id}/threads/active" => {
            let g = st
                .guilds
                .get(&p.guild()?)
                .ok_or_else(ApiError::unknown_guild)?;
            let threads: Vec<Value> = g
                .channels
                .iter()
                .filter_map(|c| st.channels.get(c))
                .filter(|c| c.kind == ChannelKind::PublicThread && !c.archived)
                .map(|c| c.to_json(st))
                .collect();
            ok(serde_json::json!({"threads": threads, "members": []}))
        }
        "GET /guilds/{guild_id}/channels" => {
            let g = st
                .guilds
                .get(&p.guild()?)
                .ok_or_else(ApiError::unknown_guild)?;
            ok(Value::Array(
                g.channels
                    .iter()
                    .filter_map(|c| st.channels.get(c))
                    .filter(|c| c.kind != ChannelKind::PublicThread)
                    .map(|c| c.to_json(st))
                    .collect(),
            ))
        }
        other => super::unhandled(other),
    }
}
