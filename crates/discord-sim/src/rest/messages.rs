//! `/channels/{id}/messages`: messages, bulk deletes, pins and the bot's reactions.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::{Params, Reply, json_u64, no_content, ok};
use crate::DiscordSim;
use crate::ids::*;
use crate::limits::{self, ApiError};
use crate::model::*;

/// How long a message's `nonce` is remembered for `enforce_nonce` (Discord: "the past few
/// minutes").
const NONCE_WINDOW: Duration = Duration::from_secs(5 * 60);

pub(super) fn handle(
    sim: &DiscordSim,
    st: &mut State,
    template: &str,
    p: &Params,
    q: &HashMap<String, String>,
    body: super::Body,
) -> Reply {
    let app_id = sim.inner.app_id;
    let bot = sim.inner.bot_user;
    let b = &body.json;
    match template {
        "GET /channels/{channel_id}/messages" => {
            let c = p.channel()?;
            if !st.channels.contains_key(&c) {
                return Err(ApiError::unknown_channel());
            }
            let limit = q
                .get("limit")
                .and_then(|l| l.parse::<usize>().ok())
                .unwrap_or(50)
                .clamp(1, 100);
            let before = q.get("before").and_then(|l| l.parse::<u64>().ok());
            let after = q.get("after").and_then(|l| l.parse::<u64>().ok());
            let msgs: Vec<Value> = st
                .messages
                .get(&c)
                .map(|m| {
                    m.values()
                        .rev()
                        .filter(|m| {
                            before.is_none_or(|b| m.id.0 < b) && after.is_none_or(|a| m.id.0 > a)
                        })
                        .take(limit)
                        .map(|m| m.to_json(st, app_id))
                        .collect()
                })
                .unwrap_or_default();
            ok(Value::Array(msgs))
        }
        "POST /channels/{channel_id}/messages" => {
            let c = p.channel()?;
            let (guild, kind, recipient) = {
                let ch = st.channels.get(&c).ok_or_else(ApiError::unknown_channel)?;
                (ch.guild_id, ch.kind, ch.recipient)
            };
            match (guild, recipient) {
                (_, Some(u)) if !st.users.get(&u).is_some_and(|u| u.accepts_dms && !u.bot) => {
                    return Err(ApiError::cannot_dm());
                }
                (_, Some(_)) => {}
                (Some(g), None) => {
                    let need = if kind == ChannelKind::PublicThread {
                        perms::SEND_MESSAGES_IN_THREADS
                    } else {
                        perms::SEND_MESSAGES
                    };
                    if st.permissions(g, bot) & need == 0 {
                        return Err(ApiError::missing_permissions());
                    }
                    if matches!(kind, ChannelKind::Forum | ChannelKind::Category) {
                        return Err(ApiError::new(
                            400,
                            50008,
                            "Cannot send messages in a non-text channel",
                        ));
                    }
                }
                _ => {}
            }
            // `nonce` with `enforce_nonce`: the same author's message with the same nonce
            // in the last few minutes is answered again instead of being posted twice.
            let nonce = match b.get("nonce") {
                Some(Value::String(n)) => Some(n.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                Some(Value::Null) | None => None,
                Some(_) => {
                    return Err(ApiError::form(
                        "nonce",
                        "BASE_TYPE_BAD_LENGTH",
                        "Must be a string or an integer of 25 characters or fewer.",
                    ));
                }
            };
            if nonce.as_ref().is_some_and(|n| n.chars().count() > 25) {
                return Err(ApiError::form(
                    "nonce",
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be 25 or fewer in length.",
                ));
            }
            let enforce = b.get("enforce_nonce").and_then(Value::as_bool) == Some(true);
            let nonce = nonce.filter(|_| enforce);
            if let Some(n) = &nonce {
                st.nonces.retain(|_, (_, at)| at.elapsed() < NONCE_WINDOW);
                let earlier = st
                    .nonces
                    .get(&(c, n.clone()))
                    .and_then(|(m, _)| st.messages.get(&c).and_then(|x| x.get(m)));
                if let Some(m) = earlier {
                    return ok(m.to_json(st, app_id));
                }
            }
            limits::validate_message(b, body.files.is_empty())?;
            let mut msg = sim.new_message(c, guild, bot, b);
            msg.attachments = body.files;
            if b.get("message_reference").is_some() {
                msg.kind = 19;
            }
            if let Some(n) = nonce {
                st.nonces
                    .insert((c, n), (msg.id, std::time::Instant::now()));
            }
            let json = sim.insert_message(st, msg);
            ok(json)
        }
        "GET /channels/{channel_id}/messages/{message_id}" => {
            let (c, m) = (p.channel()?, p.message()?);
            if !st.channels.contains_key(&c) {
                return Err(ApiError::unknown_channel());
            }
            st.messages
                .get(&c)
                .and_then(|x| x.get(&m))
                .map(|m| m.to_json(st, app_id))
                .map(ok)
                .unwrap_or(Err(ApiError::unknown_message()))
        }
        "PATCH /channels/{channel_id}/messages/{message_id}" => {
            let (c, m) = (p.channel()?, p.message()?);
            if !st.channels.contains_key(&c) {
                return Err(ApiError::unknown_channel());
            }
            let author = st
                .messages
                .get(&c)
                .and_then(|x| x.get(&m))
                .map(|m| m.author_id)
                .ok_or_else(ApiError::unknown_message)?;
            if author != bot {
                return Err(ApiError::new(
                    403,
                    50005,
                    "Cannot edit a message authored by another user",
                ));
            }
            limits::validate_message(b, false)?;
            let json = sim
                .edit_message(st, c, m, b, body.files)
                .ok_or_else(ApiError::unknown_message)?;
            ok(json)
        }
        "DELETE /channels/{channel_id}/messages/{message_id}" => {
            let (c, m) = (p.channel()?, p.message()?);
            let guild = st
                .channels
                .get(&c)
                .ok_or_else(ApiError::unknown_channel)?
                .guild_id;
            let author = st
                .messages
                .get(&c)
                .and_then(|x| x.get(&m))
                .map(|m| m.author_id)
                .ok_or_else(ApiError::unknown_message)?;
            if author != bot
                && guild.is_some_and(|g| st.permissions(g, bot) & perms::MANAGE_MESSAGES == 0)
            {
                return Err(ApiError::missing_permissions());
            }
            if author != bot && guild.is_none() {
                return Err(ApiError::new(
                    403,
                    50003,
                    "Cannot execute action on a DM channel",
                ));
            }
            sim.remove_message(st, c, m, true);
            no_content()
        }
        "POST /channels/{channel_id}/messages/bulk-delete" => {
            let c = p.channel()?;
            let guild = st
                .channels
                .get(&c)
                .ok_or_else(ApiError::unknown_channel)?
                .guild_id;
            let Some(g) = guild else {
                return Err(ApiError::new(
                    403,
                    50003,
                    "Cannot execute action on a DM channel",
                ));
            };
            if st.permissions(g, bot) & perms::MANAGE_MESSAGES == 0 {
                return Err(ApiError::missing_permissions());
            }
            let ids: Vec<u64> = b
                .get("messages")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(json_u64).collect())
                .unwrap_or_default();
            if ids.len() < 2 || ids.len() > 100 {
                return Err(ApiError::form(
                    "messages",
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 2 and 100 in length.",
                ));
            }
            let cutoff = now_ms().saturating_sub(14 * 24 * 3600 * 1000);
            if ids.iter().any(|id| snowflake_unix_ms(*id) < cutoff) {
                return Err(ApiError::new(
                    400,
                    50034,
                    "You can only bulk delete messages that are under 14 days old.",
                ));
            }
            for id in &ids {
                sim.remove_message(st, c, MessageId(*id), false);
            }
            let d = json!({"ids": ids.iter().map(|i| i.to_string()).collect::<Vec<_>>(), "channel_id": c.to_string(), "guild_id": g.to_string()});
            sim.dispatch(st, "MESSAGE_DELETE_BULK", d);
            no_content()
        }
        "GET /channels/{channel_id}/messages/pins" => {
            let c = p.channel()?;
            if !st.channels.contains_key(&c) {
                return Err(ApiError::unknown_channel());
            }
            let items: Vec<Value> = st
                .messages
                .get(&c)
                .map(|m| {
                    m.values()
                        .rev()
                        .filter(|m| m.pinned)
                        .map(|m| json!({"pinned_at": iso_from_ms(now_ms()), "message": m.to_json(st, app_id)}))
                        .collect()
                })
                .unwrap_or_default();
            ok(json!({"items": items, "has_more": false}))
        }
        "PUT /channels/{channel_id}/messages/pins/{message_id}"
        | "DELETE /channels/{channel_id}/messages/pins/{message_id}" => {
            let (c, m) = (p.channel()?, p.message()?);
            let guild = st
                .channels
                .get(&c)
                .ok_or_else(ApiError::unknown_channel)?
                .guild_id;
            if guild.is_some_and(|g| st.permissions(g, bot) & perms::MANAGE_MESSAGES == 0) {
                return Err(ApiError::missing_permissions());
            }
            let pin = template.starts_with("PUT");
            let msg = st
                .messages
                .get_mut(&c)
                .and_then(|x| x.get_mut(&m))
                .ok_or_else(ApiError::unknown_message)?;
            msg.pinned = pin;
            let json = msg.clone().to_json(st, app_id);
            sim.dispatch(st, "MESSAGE_UPDATE", json);
            no_content()
        }
        "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
        | "DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me" => {
            let (c, m) = (p.channel()?, p.message()?);
            let emoji = p.emoji.clone().unwrap_or_default();
            let msg = st
                .messages
                .get_mut(&c)
                .and_then(|x| x.get_mut(&m))
                .ok_or_else(ApiError::unknown_message)?;
            msg.reactions.retain(|r| *r != emoji);
            if template.starts_with("PUT") {
                msg.reactions.push(emoji);
            }
            no_content()
        }
        other => super::unhandled(other),
    }
}
