//! Server side of interactions: the callback endpoint and the interaction webhook routes.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::DiscordSim;
use crate::ids::*;
use crate::limits::{self, ApiError};
use crate::model::*;
use crate::rest::{Body, Params};

type Reply = Result<(u16, Option<Value>), ApiError>;

/// Whose ephemeral message `id` is, if it is one.
fn ephemeral_owner(st: &State, id: MessageId) -> Option<UserId> {
    st.ephemerals
        .iter()
        .find(|(_, list)| list.iter().any(|m| m.id == id))
        .map(|(u, _)| *u)
}

fn parse_modal(data: &Value) -> Modal {
    let mut inputs = Vec::new();
    if let Some(rows) = data.get("components").and_then(Value::as_array) {
        for row in rows {
            let in_label = row.get("type").and_then(Value::as_u64) == Some(18);
            collect_components(row, &mut |c| {
                if c.get("type").and_then(Value::as_u64) == Some(4) {
                    inputs.push(TextInput {
                        custom_id: c
                            .get("custom_id")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned(),
                        label: c
                            .get("label")
                            .or_else(|| if in_label { row.get("label") } else { None })
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                        style: c.get("style").and_then(Value::as_u64).unwrap_or(1),
                        min_length: c.get("min_length").and_then(Value::as_u64),
                        max_length: c.get("max_length").and_then(Value::as_u64),
                        required: c.get("required").and_then(Value::as_bool).unwrap_or(true),
                        value: c.get("value").and_then(Value::as_str).map(str::to_owned),
                        in_label,
                    });
                }
            });
        }
    }
    Modal {
        custom_id: data
            .get("custom_id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        title: data
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        inputs,
        raw: data.clone(),
    }
}

impl DiscordSim {
    fn live_interaction(
        &self,
        st: &State,
        id: u64,
        token: &str,
    ) -> Result<InteractionRec, ApiError> {
        let rec = st
            .interactions
            .get(&id)
            .filter(|r| r.token == token)
            .cloned()
            .ok_or_else(ApiError::unknown_interaction)?;
        if rec.response.is_some() {
            return Err(ApiError::already_acknowledged());
        }
        if rec.created.elapsed() > self.inner.config.interaction_deadline {
            tracing::warn!("discord-sim: interaction {id} answered after the deadline -> 10062");
            return Err(ApiError::unknown_interaction());
        }
        Ok(rec)
    }

    pub(crate) fn interaction_callback(
        &self,
        st: &mut State,
        p: &Params,
        q: &HashMap<String, String>,
        body: Body,
    ) -> Reply {
        let id = p
            .interaction
            .as_deref()
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(ApiError::unknown_interaction)?;
        let token = p.token.clone().unwrap_or_default();
        let rec = self.live_interaction(st, id, &token)?;
        let kind = body.json.get("type").and_then(Value::as_u64).unwrap_or(0);
        let data = body.json.get("data").cloned().unwrap_or_else(|| json!({}));
        let bad_type = || {
            ApiError::form(
                "type",
                "INTERACTION_RESPONSE_TYPE_INVALID",
                "Invalid interaction response type for this interaction",
            )
        };
        let flags = data.get("flags").and_then(Value::as_u64).unwrap_or(0);
        let ephemeral = flags & 64 != 0;
        let mut original = None;
        let mut modal = None;
        let mut choices = None;
        match kind {
            4 | 5 => {
                if rec.kind == InteractionKind::Autocomplete {
                    return Err(bad_type());
                }
                if kind == 4 {
                    limits::validate_message(&data, body.files.is_empty())?;
                }
                let mut msg = self.new_message(rec.channel, rec.guild, self.inner.bot_user, &data);
                msg.attachments = body.files;
                msg.interaction_id = Some(id);
                msg.kind = if rec.kind == InteractionKind::Command {
                    20
                } else {
                    0
                };
                msg.ephemeral = ephemeral;
                if kind == 5 {
                    msg.content.clear();
                    msg.embeds.clear();
                    msg.components.clear();
                    msg.flags = 128 | (flags & 64);
                }
                original = Some(msg.id);
                self.store_interaction_message(st, msg, rec.user);
            }
            6 | 7 => {
                if !matches!(
                    rec.kind,
                    InteractionKind::Component | InteractionKind::ModalSubmit
                ) {
                    return Err(bad_type());
                }
                let Some(src) = rec.source_message else {
                    return Err(bad_type());
                };
                if kind == 7 {
                    limits::validate_message(&data, false)?;
                    self.edit_message(st, rec.channel, src, &data, body.files);
                    if let Some(m) = st.find_message_mut(rec.channel, src) {
                        m.edited = false; // an update from a component is not shown as "(edited)"
                    }
                }
                original = Some(src);
            }
            8 => {
                if rec.kind != InteractionKind::Autocomplete {
                    return Err(bad_type());
                }
                limits::validate_choices(&data)?;
                choices = Some(
                    data.get("choices")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .map(|c| Choice {
                                    name: c
                                        .get("name")
                                        .and_then(Value::as_str)
                                        .unwrap_or("")
                                        .to_owned(),
                                    value: c.get("value").cloned().unwrap_or(Value::Null),
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                );
            }
            9 => {
                if matches!(
                    rec.kind,
                    InteractionKind::ModalSubmit | InteractionKind::Autocomplete
                ) {
                    return Err(bad_type());
                }
                limits::validate_modal(&data)?;
                modal = Some(parse_modal(&data));
            }
            _ => return Err(bad_type()),
        }
        let mut response_message = None;
        self.emit(crate::SimEvent::InteractionAnswered {
            interaction_id: id.to_string(),
            user_id: rec.user.to_string(),
            response_type: kind,
        });
        if let Some(r) = st.interactions.get_mut(&id) {
            r.response = Some((kind, data));
            r.original = original;
            r.original_ephemeral = ephemeral;
            r.choices = choices;
            r.modal = modal;
            r.answered.notify_one();
            response_message = original;
        }
        if q.get("with_response").map(String::as_str) == Some("true") {
            let msg = response_message.and_then(|m| {
                st.visible_message(rec.user, rec.channel, m)
                    .map(|m| m.to_json(st, self.inner.app_id))
            });
            return Ok((
                200,
                Some(json!({
                    "interaction": {
                        "id": id.to_string(),
                        "type": rec.kind_code(),
                        "response_message_id": response_message.map(|m| m.to_string()),
                        "response_message_loading": kind == 5,
                        "response_message_ephemeral": ephemeral,
                    },
                    "resource": {"type": kind, "message": msg},
                })),
            ));
        }
        Ok((204, None))
    }

    /// Stores a message made by an interaction response (ephemeral: for the user only).
    fn store_interaction_message(&self, st: &mut State, msg: Message, user: UserId) -> Value {
        if msg.ephemeral {
            let json = msg.to_json(st, self.inner.app_id);
            self.emit(crate::SimEvent::Ephemeral {
                user_id: user.to_string(),
                channel_id: msg.channel_id.to_string(),
                message_id: msg.id.to_string(),
            });
            st.ephemerals.entry(user).or_default().push(msg);
            json
        } else {
            self.insert_message(st, msg)
        }
    }

    pub(crate) fn webhook(&self, st: &mut State, template: &str, p: &Params, body: Body) -> Reply {
        let app_id = self.inner.app_id;
        if p.app.as_deref() != Some(app_id.to_string().as_str()) {
            return Err(ApiError::unknown_webhook());
        }
        let token = p.token.clone().unwrap_or_default();
        let rec = st
            .interactions
            .values()
            .find(|r| r.token == token)
            .cloned()
            .filter(|r| r.created.elapsed() <= self.inner.config.token_lifetime)
            .ok_or_else(ApiError::unknown_webhook)?;
        let method = template.split(' ').next().unwrap_or("");
        if method == "POST" {
            if rec.response.is_none() {
                return Err(ApiError::unknown_webhook());
            }
            let b = &body.json;
            limits::validate_message(b, body.files.is_empty())?;
            let flags = b.get("flags").and_then(Value::as_u64).unwrap_or(0);
            let mut msg = self.new_message(rec.channel, rec.guild, self.inner.bot_user, b);
            msg.attachments = body.files;
            msg.interaction_id = Some(rec.id);
            msg.ephemeral = flags & 64 != 0;
            let mid = msg.id;
            let json = self.store_interaction_message(st, msg, rec.user);
            if let Some(r) = st.interactions.get_mut(&rec.id) {
                r.followups.push(mid);
            }
            return Ok((200, Some(json)));
        }
        let target = if p.message.as_deref() == Some("@original") {
            rec.original.ok_or_else(ApiError::unknown_message)?
        } else {
            let m = p.message()?;
            if rec.original != Some(m) && !rec.followups.contains(&m) {
                return Err(ApiError::unknown_message());
            }
            m
        };
        match method {
            "GET" => st
                .visible_message(rec.user, rec.channel, target)
                .map(|m| m.to_json(st, app_id))
                .map(|v| (200, Some(v)))
                .ok_or_else(ApiError::unknown_message),
            "PATCH" => {
                limits::validate_message(&body.json, false)?;
                let was_loading = st
                    .visible_message(rec.user, rec.channel, target)
                    .ok_or_else(ApiError::unknown_message)?
                    .is_loading();
                let json = self
                    .edit_message(st, rec.channel, target, &body.json, body.files)
                    .ok_or_else(ApiError::unknown_message)?;
                if was_loading && let Some(m) = st.find_message_mut(rec.channel, target) {
                    m.flags &= !128;
                    m.edited = false;
                    m.edited_at_ms = None;
                }
                let json = st
                    .visible_message(rec.user, rec.channel, target)
                    .map(|m| m.to_json(st, app_id))
                    .unwrap_or(json);
                Ok((200, Some(json)))
            }
            _ => {
                if st.visible_message(rec.user, rec.channel, target).is_none() {
                    return Err(ApiError::unknown_message());
                }
                self.remove_message(st, rec.channel, target, true);
                if let Some(owner) = ephemeral_owner(st, target) {
                    self.emit(crate::SimEvent::Ephemeral {
                        user_id: owner.to_string(),
                        channel_id: rec.channel.to_string(),
                        message_id: target.to_string(),
                    });
                }
                for list in st.ephemerals.values_mut() {
                    list.retain(|m| m.id != target);
                }
                Ok((204, None))
            }
        }
    }

    /// Builds a message from a create payload.
    pub(crate) fn new_message(
        &self,
        channel: ChannelId,
        guild: Option<GuildId>,
        author: UserId,
        b: &Value,
    ) -> Message {
        let author_bot = author.0 == self.inner.bot_user.0;
        Message {
            id: MessageId(next_snowflake()),
            channel_id: channel,
            guild_id: guild,
            author_id: author,
            author_bot,
            content: b
                .get("content")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            embeds: b
                .get("embeds")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            components: b
                .get("components")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            attachments: Vec::new(),
            flags: b.get("flags").and_then(Value::as_u64).unwrap_or(0),
            edited: false,
            edited_at_ms: None,
            pinned: false,
            ephemeral: false,
            interaction_id: None,
            thread_id: None,
            kind: 0,
            reactions: Vec::new(),
        }
    }

    /// Stores a channel message and dispatches MESSAGE_CREATE.
    pub(crate) fn insert_message(&self, st: &mut State, msg: Message) -> Value {
        let json = msg.to_json(st, self.inner.app_id);
        // Like Discord, the gateway event of a guild message carries the author's member.
        let mut event = json.clone();
        if let Some(member) = msg
            .guild_id
            .and_then(|g| st.guilds.get(&g))
            .and_then(|g| g.members.get(&msg.author_id))
        {
            let mut m = st.member_json(member);
            if let Some(o) = m.as_object_mut() {
                o.remove("user");
            }
            event["member"] = m;
        }
        st.messages
            .entry(msg.channel_id)
            .or_default()
            .insert(msg.id, msg);
        self.dispatch(st, "MESSAGE_CREATE", event);
        json
    }

    /// Applies an edit payload; dispatches MESSAGE_UPDATE for channel messages.
    pub(crate) fn edit_message(
        &self,
        st: &mut State,
        channel: ChannelId,
        id: MessageId,
        b: &Value,
        files: Vec<Attachment>,
    ) -> Option<Value> {
        let app_id = self.inner.app_id;
        let m = st.find_message_mut(channel, id)?;
        if let Some(c) = b.get("content") {
            m.content = c.as_str().unwrap_or("").to_owned();
        }
        if let Some(e) = b.get("embeds") {
            m.embeds = e.as_array().cloned().unwrap_or_default();
        }
        if let Some(c) = b.get("components") {
            m.components = c.as_array().cloned().unwrap_or_default();
        }
        if let Some(f) = b.get("flags").and_then(Value::as_u64) {
            m.flags = (m.flags & (64 | 128)) | (f & !(64 | 128));
        }
        if let Some(a) = b.get("attachments").and_then(Value::as_array) {
            let keep: Vec<u64> = a
                .iter()
                .filter_map(|x| x.get("id"))
                .filter_map(crate::rest::json_u64)
                .collect();
            m.attachments.retain(|x| keep.contains(&x.id));
        }
        m.attachments.extend(files);
        m.edited = true;
        m.edited_at_ms = Some(now_ms());
        let ephemeral = m.ephemeral;
        let snapshot = m.clone();
        let json = snapshot.to_json(st, app_id);
        if !ephemeral {
            self.dispatch(st, "MESSAGE_UPDATE", json.clone());
        } else if let Some(owner) = ephemeral_owner(st, id) {
            self.emit(crate::SimEvent::Ephemeral {
                user_id: owner.to_string(),
                channel_id: channel.to_string(),
                message_id: id.to_string(),
            });
        }
        Some(json)
    }

    /// Removes a channel message (dispatching MESSAGE_DELETE when `notify`).
    pub(crate) fn remove_message(
        &self,
        st: &mut State,
        channel: ChannelId,
        id: MessageId,
        notify: bool,
    ) -> bool {
        let removed = st.messages.get_mut(&channel).and_then(|m| m.remove(&id));
        if let Some(m) = removed {
            self.emit(crate::SimEvent::MessageDeleted {
                channel_id: channel.to_string(),
                message_id: id.to_string(),
            });
            if notify {
                let mut d = json!({"id": id.to_string(), "channel_id": channel.to_string()});
                if let Some(g) = m.guild_id {
                    d["guild_id"] = json!(g.to_string());
                }
                self.dispatch(st, "MESSAGE_DELETE", d);
            }
            return true;
        }
        false
    }

    /// The DM channel between the bot and `user` (created on first use).
    pub(crate) fn dm_channel(&self, st: &mut State, user: UserId) -> ChannelId {
        if let Some(c) = st.dm_channels.get(&user) {
            return *c;
        }
        let id = ChannelId(next_snowflake());
        st.channels.insert(
            id,
            Channel {
                id,
                guild_id: None,
                name: String::new(),
                kind: ChannelKind::Dm,
                parent_id: None,
                position: 0,
                recipient: Some(user),
                owner_id: None,
                archived: false,
                locked: false,
                overwrites: Vec::new(),
            },
        );
        st.dm_channels.insert(user, id);
        id
    }

    pub(crate) fn member_update_dispatch(&self, st: &mut State, guild: GuildId, user: UserId) {
        let Some(m) = st
            .guilds
            .get(&guild)
            .and_then(|g| g.members.get(&user))
            .cloned()
        else {
            return;
        };
        let mut d = st.member_json(&m);
        d["guild_id"] = json!(guild.to_string());
        self.dispatch(st, "GUILD_MEMBER_UPDATE", d);
    }
}
