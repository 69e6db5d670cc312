//! JSON shapes the page reads: the simulator's state as a Discord client shows it. Ids are
//! strings (snowflakes do not fit in a JavaScript number).

use serde_json::{Value, json};

use crate::ids::*;
use crate::model::*;

fn kind_name(k: ChannelKind) -> &'static str {
    match k {
        ChannelKind::Text => "text",
        ChannelKind::Voice => "voice",
        ChannelKind::Forum => "forum",
        ChannelKind::Category => "category",
        ChannelKind::PublicThread => "thread",
        ChannelKind::Dm => "dm",
    }
}

pub(crate) fn channel(c: &Channel) -> Value {
    json!({
        "id": c.id.to_string(),
        "guild_id": c.guild_id.map(|g| g.to_string()),
        "name": c.name,
        "type": c.kind.discord_type(),
        "kind": kind_name(c.kind),
        "parent_id": c.parent_id.map(|p| p.to_string()),
        "position": c.position,
        "recipient_id": c.recipient.map(|u| u.to_string()),
        "archived": c.archived,
        "locked": c.locked,
    })
}

/// The name a member shows in a guild: nickname, else username.
pub(crate) fn display_name(st: &State, guild: Option<GuildId>, user: UserId) -> String {
    guild
        .and_then(|g| st.guilds.get(&g))
        .and_then(|g| g.members.get(&user))
        .and_then(|m| m.nick.clone())
        .or_else(|| st.users.get(&user).map(|u| u.name.clone()))
        .unwrap_or_else(|| "unknown user".to_owned())
}

pub(crate) fn state(st: &State, bot: UserId, app_id: u64) -> Value {
    let mut users: Vec<&User> = st.users.values().collect();
    users.sort_by_key(|u| u.id);
    let guilds: Vec<Value> = st
        .guilds
        .values()
        .map(|g| {
            let mut roles: Vec<&Role> = g.roles.values().collect();
            roles.sort_by_key(|r| std::cmp::Reverse(r.position));
            let mut channels: Vec<&Channel> = g
                .channels
                .iter()
                .filter_map(|c| st.channels.get(c))
                .collect();
            channels.sort_by_key(|c| (c.position, c.id));
            let members: Vec<Value> = g
                .members
                .values()
                .map(|m| {
                    let user = st.users.get(&m.user_id);
                    let perms = st.permissions(g.id, m.user_id);
                    json!({
                        "user_id": m.user_id.to_string(),
                        "name": user.map(|u| u.name.clone()).unwrap_or_default(),
                        "nick": m.nick,
                        "display_name": display_name(st, Some(g.id), m.user_id),
                        "roles": m.roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
                        "bot": user.is_some_and(|u| u.bot),
                        "dms_closed": user.is_some_and(|u| !u.accepts_dms),
                        "owner": g.owner_id == m.user_id,
                        "manage_roles": perms & perms::MANAGE_ROLES != 0,
                        "manage_nicknames": perms & perms::MANAGE_NICKNAMES != 0,
                        "top_position": st.top_position(g.id, m.user_id),
                    })
                })
                .collect();
            json!({
                "id": g.id.to_string(),
                "name": g.name,
                "owner_id": g.owner_id.to_string(),
                "roles": roles.iter().map(|r| json!({
                    "id": r.id.to_string(),
                    "name": r.name,
                    "color": r.color,
                    "position": r.position,
                    "managed": r.managed,
                    "everyone": r.id.0 == g.id.0,
                })).collect::<Vec<_>>(),
                "channels": channels.iter().map(|c| channel(c)).collect::<Vec<_>>(),
                "members": members,
            })
        })
        .collect();
    json!({
        "bot_user_id": bot.to_string(),
        "application_id": app_id.to_string(),
        "users": users.iter().map(|u| json!({
            "id": u.id.to_string(),
            "name": u.name,
            "bot": u.bot,
            "dms_closed": !u.accepts_dms,
        })).collect::<Vec<_>>(),
        "guilds": guilds,
    })
}

pub(crate) fn attachment(st: &State, a: &Attachment) -> Value {
    // Files stored in the simulator are served by the page's own origin too, so they show
    // even when the simulator's port is not reachable from the browser.
    let url = if st.uploads.contains_key(&a.id) {
        format!("/attachments/{}/{}", a.id, a.filename)
    } else {
        a.url.clone()
    };
    json!({
        "id": a.id.to_string(),
        "filename": a.filename,
        "content_type": a.content_type,
        "size": a.size,
        "url": url,
    })
}

pub(crate) fn message(st: &State, m: &Message) -> Value {
    let interaction = m
        .interaction_id
        .and_then(|i| st.interactions.get(&i))
        .map(|rec| {
            json!({
                "user_id": rec.user.to_string(),
                "user_name": display_name(st, rec.guild, rec.user),
                "type": rec.kind_code(),
            })
        });
    json!({
        "id": m.id.to_string(),
        "channel_id": m.channel_id.to_string(),
        "guild_id": m.guild_id.map(|g| g.to_string()),
        "author": {
            "id": m.author_id.to_string(),
            "name": display_name(st, m.guild_id, m.author_id),
            "bot": m.author_bot || st.users.get(&m.author_id).is_some_and(|u| u.bot),
        },
        "content": m.content,
        "embeds": m.embeds,
        "components": m.components,
        "attachments": m.attachments.iter().map(|a| attachment(st, a)).collect::<Vec<_>>(),
        "edited": m.edited,
        "timestamp_ms": snowflake_unix_ms(m.id.0),
        "ephemeral": m.ephemeral,
        "loading": m.is_loading(),
        "pinned": m.pinned,
        "flags": m.flags,
        "kind": m.kind,
        "reactions": m.reactions,
        "thread_id": m.thread_id.map(|t| t.to_string()),
        "interaction": interaction,
    })
}

pub(crate) fn modal(interaction_id: u64, m: &Modal) -> Value {
    json!({
        "interaction_id": interaction_id.to_string(),
        "custom_id": m.custom_id,
        "title": m.title,
        "inputs": m.inputs.iter().map(|i| json!({
            "custom_id": i.custom_id,
            "label": i.label,
            "style": i.style,
            "min_length": i.min_length,
            "max_length": i.max_length,
            "required": i.required,
            "value": i.value,
            "placeholder": placeholder(&m.raw, &i.custom_id),
        })).collect::<Vec<_>>(),
    })
}

fn placeholder(raw: &Value, custom_id: &str) -> Option<String> {
    let mut found = None;
    if let Some(rows) = raw.get("components").and_then(Value::as_array) {
        for row in rows {
            collect_components(row, &mut |c| {
                if c.get("custom_id").and_then(Value::as_str) == Some(custom_id)
                    && let Some(p) = c.get("placeholder").and_then(Value::as_str)
                {
                    found = Some(p.to_owned());
                }
            });
        }
    }
    found
}
