//! `/applications/{id}/commands` and the guild-scoped variant: registering and listing
//! application commands.

use serde_json::{Value, json};

use super::{Params, Reply, ok};
use crate::DiscordSim;
use crate::ids::*;
use crate::limits::{self, ApiError};
use crate::model::*;

pub(super) fn handle(sim: &DiscordSim, st: &mut State, t: &str, p: &Params, b: &Value) -> Reply {
    let app_id = sim.inner.app_id;
    if p.app.as_deref() != Some(app_id.to_string().as_str()) {
        return Err(ApiError::new(404, 10002, "Unknown Application"));
    }
    let guild = match &p.guild {
        Some(_) => {
            let g = p.guild()?;
            if !st.guilds.contains_key(&g) {
                return Err(ApiError::new(403, 50001, "Missing Access"));
            }
            Some(g)
        }
        None => None,
    };
    let existing = match guild {
        Some(g) => st.guild_commands.get(&g).cloned().unwrap_or_default(),
        None => st.global_commands.clone(),
    };
    let normalize = |cmd: &Value, existing: &[Value]| -> Value {
        let mut c = cmd.clone();
        let kind = c.get("type").and_then(Value::as_u64).unwrap_or(1);
        let name = c
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let id = existing
            .iter()
            .find(|e| {
                e.get("name").and_then(Value::as_str) == Some(name.as_str())
                    && e.get("type").and_then(Value::as_u64) == Some(kind)
            })
            .and_then(|e| e.get("id").cloned())
            .unwrap_or_else(|| json!(next_snowflake().to_string()));
        c["id"] = id;
        c["type"] = json!(kind);
        c["application_id"] = json!(app_id.to_string());
        c["version"] = json!(next_snowflake().to_string());
        if c.get("description").is_none() {
            c["description"] = json!("");
        }
        if c.get("default_member_permissions").is_none() {
            c["default_member_permissions"] = Value::Null;
        }
        if c.get("nsfw").is_none() {
            c["nsfw"] = json!(false);
        }
        if let Some(g) = guild {
            c["guild_id"] = json!(g.to_string());
        }
        c
    };
    let method = t.split(' ').next().unwrap_or("");
    match method {
        "GET" => ok(Value::Array(existing)),
        "PUT" => {
            let list = b.as_array().cloned().unwrap_or_default();
            if list.len() > 100 {
                return Err(ApiError::form(
                    "",
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 100 or fewer in length.",
                ));
            }
            for (i, cmd) in list.iter().enumerate() {
                limits::validate_command(cmd, i)?;
            }
            let stored: Vec<Value> = list.iter().map(|c| normalize(c, &existing)).collect();
            match guild {
                Some(g) => {
                    st.guild_commands.insert(g, stored.clone());
                }
                None => st.global_commands = stored.clone(),
            }
            ok(Value::Array(stored))
        }
        _ => {
            limits::validate_command(b, 0)?;
            let cmd = normalize(b, &existing);
            let list = match guild {
                Some(g) => st.guild_commands.entry(g).or_default(),
                None => &mut st.global_commands,
            };
            list.retain(|e| e.get("id") != cmd.get("id"));
            list.push(cmd.clone());
            Ok((201, Some(cmd)))
        }
    }
}
