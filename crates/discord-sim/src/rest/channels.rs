//! `/channels/{id}`: reading, editing and deleting channels, permission overwrites,
//! threads and typing.

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
    b: &Value,
) -> Reply {
    let _bot = sim.inner.bot_user;
    match template {
        "GET /channels/{channel_id}" => {
            let c = p.channel()?;
            st.channels
                .get(&c)
                .map(|c| c.to_json(st))
                .map(ok)
                .unwrap_or(Err(ApiError::unknown_channel()))
        }
        "DELETE /channels/{channel_id}" => delete_channel(sim, st, p),
        "PUT /channels/{channel_id}/permissions/{overwrite_id}" => put_overwrite(sim, st, p, b),
        "DELETE /channels/{channel_id}/permissions/{overwrite_id}" => delete_overwrite(sim, st, p),
        "PATCH /channels/{channel_id}" => {
            // Threads: archive and lock (what the bot uses). Other fields are ignored.
            let id = p.channel()?;
            let c = st
                .channels
                .get_mut(&id)
                .ok_or_else(ApiError::unknown_channel)?;
            if let Some(a) = b.get("archived").and_then(Value::as_bool) {
                c.archived = a;
            }
            if let Some(l) = b.get("locked").and_then(Value::as_bool) {
                c.locked = l;
            }
            let json = st
                .channels
                .get(&id)
                .map(|c| c.to_json(st))
                .unwrap_or(Value::Null);
            ok(json)
        }
        "POST /channels/{channel_id}/typing" => {
            p.channel()?;
            no_content()
        }
        "POST /channels/{channel_id}/threads"
        | "POST /channels/{channel_id}/messages/{message_id}/threads" => {
            create_thread(sim, st, template, p, b)
        }
        other => super::unhandled(other),
    }
}

fn create_thread(sim: &DiscordSim, st: &mut State, template: &str, p: &Params, b: &Value) -> Reply {
    let bot = sim.inner.bot_user;
    let c = p.channel()?;
    let parent = st
        .channels
        .get(&c)
        .cloned()
        .ok_or_else(ApiError::unknown_channel)?;
    let g = parent
        .guild_id
        .ok_or_else(|| ApiError::new(400, 50024, "Cannot execute action on this channel type"))?;
    if st.permissions(g, bot) & perms::CREATE_PUBLIC_THREADS == 0 {
        return Err(ApiError::missing_permissions());
    }
    let name = b
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let n = name.chars().count();
    if n == 0 || n > 100 {
        return Err(ApiError::form(
            "name",
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 100 in length.",
        ));
    }
    let from_message = template.contains("{message_id}");
    let thread_id = if from_message {
        let m = p.message()?;
        let msg = st
            .messages
            .get(&c)
            .and_then(|x| x.get(&m))
            .ok_or_else(ApiError::unknown_message)?;
        if msg.thread_id.is_some() {
            return Err(ApiError::new(
                400,
                160004,
                "A thread has already been created for this message",
            ));
        }
        ChannelId(m.0)
    } else {
        ChannelId(next_snowflake())
    };
    let forum = parent.kind == ChannelKind::Forum;
    let starter = if forum {
        let msg = b.get("message").cloned().ok_or_else(|| {
            ApiError::form("message", "BASE_TYPE_REQUIRED", "This field is required")
        })?;
        limits::validate_message(&msg, true)?;
        Some(msg)
    } else {
        if !matches!(parent.kind, ChannelKind::Text) {
            return Err(ApiError::new(
                400,
                50024,
                "Cannot execute action on this channel type",
            ));
        }
        None
    };
    let thread = Channel {
        id: thread_id,
        guild_id: Some(g),
        name,
        kind: ChannelKind::PublicThread,
        parent_id: Some(c),
        position: 0,
        recipient: None,
        owner_id: Some(bot),
        archived: false,
        locked: false,
        overwrites: Vec::new(),
    };
    st.channels.insert(thread_id, thread);
    if let Some(guild) = st.guilds.get_mut(&g) {
        guild.channels.push(thread_id);
    }
    if from_message
        && let Some(m) = st
            .messages
            .get_mut(&c)
            .and_then(|x| x.get_mut(&MessageId(thread_id.0)))
    {
        m.thread_id = Some(thread_id);
    }
    let mut json = st
        .channels
        .get(&thread_id)
        .map(|t| t.to_json(st))
        .unwrap_or(Value::Null);
    json["newly_created"] = json!(true);
    sim.dispatch(st, "THREAD_CREATE", json.clone());
    if let Some(starter) = starter {
        let mut msg = sim.new_message(thread_id, Some(g), bot, &starter);
        msg.id = MessageId(thread_id.0);
        let m = sim.insert_message(st, msg);
        json["message"] = m;
    }
    Ok((201, Some(json)))
}

/// The guild channel an overwrite route acts on, once the bot may manage its permissions
/// (Manage Roles in that channel, i.e. after the channel's own overwrites). Threads have
/// none of their own.
fn overwrite_channel(
    sim: &DiscordSim,
    st: &State,
    p: &Params,
) -> Result<(ChannelId, GuildId, u64), ApiError> {
    let bot = sim.inner.bot_user;
    let c = p.channel()?;
    let ch = st.channels.get(&c).ok_or_else(ApiError::unknown_channel)?;
    let Some(g) = ch.guild_id else {
        return Err(ApiError::new(
            403,
            50003,
            "Cannot execute action on a DM channel",
        ));
    };
    if ch.kind == ChannelKind::PublicThread {
        return Err(ApiError::new(
            400,
            50024,
            "Cannot execute action on this channel type",
        ));
    }
    let have = st.channel_permissions(c, bot);
    if have & perms::MANAGE_ROLES == 0 {
        return Err(ApiError::missing_permissions());
    }
    let target = p
        .overwrite
        .as_deref()
        .and_then(|o| o.parse::<u64>().ok())
        .ok_or_else(|| ApiError::new(404, 10009, "Unknown Overwrite"))?;
    Ok((c, g, target))
}

/// Creates or replaces a role's or member's overwrite (204). Like Discord, the bot may only
/// allow or deny permissions it has in the channel.
fn put_overwrite(sim: &DiscordSim, st: &mut State, p: &Params, b: &Value) -> Reply {
    let bot = sim.inner.bot_user;
    let (c, g, target) = overwrite_channel(sim, st, p)?;
    let kind = match b.get("type").and_then(json_u64) {
        Some(k @ (0 | 1)) => k as u8,
        _ => {
            return Err(ApiError::form(
                "type",
                "BASE_TYPE_CHOICES",
                "Value must be one of {0, 1}.",
            ));
        }
    };
    let allow = b.get("allow").and_then(json_u64).unwrap_or(0);
    let deny = b.get("deny").and_then(json_u64).unwrap_or(0);
    let guild = st.guilds.get(&g).ok_or_else(ApiError::unknown_guild)?;
    match kind {
        0 if !guild.roles.contains_key(&RoleId(target)) => return Err(ApiError::unknown_role()),
        1 if !guild.members.contains_key(&UserId(target)) => {
            return Err(ApiError::unknown_member());
        }
        _ => {}
    }
    let have = st.channel_permissions(c, bot);
    if (allow | deny) & !have != 0 {
        return Err(ApiError::missing_permissions());
    }
    let ow = Overwrite {
        id: target,
        kind,
        allow,
        deny,
    };
    if let Some(ch) = st.channels.get_mut(&c) {
        ch.overwrites.retain(|o| o.id != target);
        ch.overwrites.push(ow);
    }
    let json = st
        .channels
        .get(&c)
        .map(|ch| ch.to_json(st))
        .unwrap_or(Value::Null);
    sim.dispatch(st, "CHANNEL_UPDATE", json);
    no_content()
}

/// Removes an overwrite (204; 10009 when there is none).
fn delete_overwrite(sim: &DiscordSim, st: &mut State, p: &Params) -> Reply {
    let (c, _, target) = overwrite_channel(sim, st, p)?;
    let ch = st
        .channels
        .get_mut(&c)
        .ok_or_else(ApiError::unknown_channel)?;
    let before = ch.overwrites.len();
    ch.overwrites.retain(|o| o.id != target);
    if ch.overwrites.len() == before {
        return Err(ApiError::new(404, 10009, "Unknown Overwrite"));
    }
    let json = st
        .channels
        .get(&c)
        .map(|ch| ch.to_json(st))
        .unwrap_or(Value::Null);
    sim.dispatch(st, "CHANNEL_UPDATE", json);
    no_content()
}

/// Deletes a guild channel or thread: MANAGE_THREADS for a thread, MANAGE_CHANNELS for
/// anything else; its messages go with it (CHANNEL_DELETE / THREAD_DELETE).
fn delete_channel(sim: &DiscordSim, st: &mut State, p: &Params) -> Reply {
    let bot = sim.inner.bot_user;
    let c = p.channel()?;
    let ch = st
        .channels
        .get(&c)
        .cloned()
        .ok_or_else(ApiError::unknown_channel)?;
    let Some(g) = ch.guild_id else {
        return Err(ApiError::new(
            403,
            50003,
            "Cannot execute action on a DM channel",
        ));
    };
    let thread = ch.kind == ChannelKind::PublicThread;
    let need = if thread {
        perms::MANAGE_THREADS
    } else {
        perms::MANAGE_CHANNELS
    };
    if st.permissions(g, bot) & need == 0 {
        return Err(ApiError::missing_permissions());
    }
    let json = ch.to_json(st);
    st.channels.remove(&c);
    st.messages.remove(&c);
    if let Some(guild) = st.guilds.get_mut(&g) {
        guild.channels.retain(|x| *x != c);
    }
    if let Some(parent) = ch.parent_id
        && let Some(starter) = st.find_message_mut(parent, MessageId(c.0))
        && starter.thread_id == Some(c)
    {
        starter.thread_id = None;
    }
    let event = if thread {
        "THREAD_DELETE"
    } else {
        "CHANNEL_DELETE"
    };
    sim.dispatch(st, event, json.clone());
    ok(json)
}
