//! `/users`, the application's own record (`/applications/@me`) and `/gateway`.

use serde_json::{Value, json};

use super::{Params, Reply, json_u64, ok};
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
    let app_id = sim.inner.app_id;
    let bot = sim.inner.bot_user;
    match template {
        "GET /users/@me" => ok(sim.current_user_json(st)),
        "GET /users/{user_id}" => {
            let u = p.user()?;
            st.users
                .get(&u)
                .map(|u| u.to_json())
                .map(ok)
                .unwrap_or(Err(ApiError::unknown_user()))
        }
        "POST /users/@me/channels" => {
            let uid = b
                .get("recipient_id")
                .and_then(json_u64)
                .map(UserId)
                .ok_or_else(ApiError::unknown_user)?;
            if !st.users.contains_key(&uid) {
                return Err(ApiError::unknown_user());
            }
            let ch = sim.dm_channel(st, uid);
            let c = st
                .channels
                .get(&ch)
                .map(|c| c.to_json(st))
                .unwrap_or(Value::Null);
            ok(c)
        }
        "GET /oauth2/applications/@me" | "GET /applications/@me" => ok(json!({
            "id": app_id.to_string(),
            "name": "raidbot",
            "icon": null,
            "description": "",
            "summary": "",
            "bot_public": false,
            "bot_require_code_grant": false,
            "verify_key": "0000000000000000000000000000000000000000000000000000000000000000",
            "flags": 0,
            "owner": st.users.get(&bot).map(|u| u.to_json()),
            "team": null,
            "rpc_origins": [],
            "bot": st.users.get(&bot).map(|u| u.to_json()),
        })),
        "GET /gateway" => ok(json!({"url": sim.gateway_url()})),
        "GET /gateway/bot" => ok(crate::gateway::gateway_bot_json(sim, st)),
        other => super::unhandled(other),
    }
}
