//! Acting as a user through interactions: commands, autocomplete, buttons, selects, modals.

use super::*;

struct Pending {
    kind: InteractionKind,
    guild: Option<GuildId>,
    channel: ChannelId,
    user: UserId,
    data: Value,
    source_message: Option<MessageId>,
}

impl DiscordSim {
    /// Runs a slash command (guild or global registration) and waits for the bot's answer.
    pub async fn run_command(
        &self,
        guild: GuildId,
        channel: ChannelId,
        user: UserId,
        name: &str,
        options: Vec<CommandOption>,
    ) -> InteractionResult {
        match self.command_data(guild, name, &options) {
            Ok(data) => {
                self.interact(Pending {
                    kind: InteractionKind::Command,
                    guild: Some(guild),
                    channel,
                    user,
                    data,
                    source_message: None,
                })
                .await
            }
            Err(e) => self.rejected(Some(guild), channel, user, e),
        }
    }

    /// Types into an option (exactly one `focused()`), returns the bot's choices.
    pub async fn autocomplete(
        &self,
        guild: GuildId,
        channel: ChannelId,
        user: UserId,
        name: &str,
        options: Vec<CommandOption>,
    ) -> Result<Vec<Choice>, SimError> {
        let data = self
            .command_data(guild, name, &options)
            .map_err(SimError::Rejected)?;
        let res = self
            .interact(Pending {
                kind: InteractionKind::Autocomplete,
                guild: Some(guild),
                channel,
                user,
                data,
                source_message: None,
            })
            .await;
        match res.kind {
            ResponseKind::Autocomplete => Ok(res.choices),
            ResponseKind::TimedOut => Err(SimError::TimedOut),
            ResponseKind::Rejected(r) => Err(SimError::Rejected(r)),
            _ => Err(SimError::UnexpectedResponse(0)),
        }
    }

    fn command_data(
        &self,
        guild: GuildId,
        name: &str,
        options: &[CommandOption],
    ) -> Result<Value, String> {
        let st = self.lock();
        let cmd = st
            .guild_commands
            .get(&guild)
            .and_then(|c| {
                c.iter()
                    .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
            })
            .or_else(|| {
                st.global_commands
                    .iter()
                    .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
            })
            .cloned()
            .ok_or_else(|| format!("no command `/{name}` is registered"))?;
        let registered = cmd
            .get("options")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        check_options(options, &registered)?;
        let mut resolved_values = Vec::new();
        let opts: Vec<Value> = options
            .iter()
            .map(|o| o.to_json(&mut resolved_values))
            .collect();
        let mut data = json!({
            "id": cmd.get("id").cloned().unwrap_or(Value::Null),
            "name": name,
            "type": cmd.get("type").cloned().unwrap_or(json!(1)),
            "options": opts,
        });
        if let Some(g) = cmd.get("guild_id") {
            data["guild_id"] = g.clone();
        }
        if !resolved_values.is_empty() {
            data["resolved"] = self.resolved_json(&st, guild, &resolved_values);
        }
        Ok(data)
    }

    fn resolved_json(&self, st: &State, guild: GuildId, values: &[OptionValue]) -> Value {
        let mut users = serde_json::Map::new();
        let mut members = serde_json::Map::new();
        let mut roles = serde_json::Map::new();
        let mut channels = serde_json::Map::new();
        let mut attachments = serde_json::Map::new();
        for v in values {
            match v {
                OptionValue::User(u) => {
                    if let Some(user) = st.users.get(u) {
                        users.insert(u.to_string(), user.to_json());
                    }
                    if let Some(m) = st.guilds.get(&guild).and_then(|g| g.members.get(u)) {
                        let mut mj = st.member_json(m);
                        if let Some(o) = mj.as_object_mut() {
                            o.remove("user");
                        }
                        mj["permissions"] = json!(st.permissions(guild, *u).to_string());
                        members.insert(u.to_string(), mj);
                    }
                }
                OptionValue::Role(r) => {
                    if let Some(role) = st.guilds.get(&guild).and_then(|g| g.roles.get(r)) {
                        roles.insert(r.to_string(), role.to_json());
                    }
                }
                OptionValue::Channel(c) => {
                    if let Some(ch) = st.channels.get(c) {
                        let mut cj = ch.to_json(st);
                        cj["permissions"] =
                            json!(st.permissions(guild, self.inner.bot_user).to_string());
                        channels.insert(c.to_string(), cj);
                    }
                }
                OptionValue::Attachment(a) => {
                    attachments.insert(a.id.to_string(), a.to_json());
                }
                _ => {}
            }
        }
        json!({"users": users, "members": members, "roles": roles, "channels": channels,
            "attachments": attachments})
    }

    /// Presses a button (by custom_id or label) on a message in `channel` (or one of the user's ephemerals).
    pub async fn press(
        &self,
        guild: GuildId,
        user: UserId,
        channel: ChannelId,
        message: MessageId,
        custom_id_or_label: &str,
    ) -> InteractionResult {
        let found = {
            let st = self.lock();
            st.visible_message(user, channel, message).map(|m| {
                m.buttons().into_iter().find(|b| {
                    b.custom_id.as_deref() == Some(custom_id_or_label)
                        || b.label.as_deref() == Some(custom_id_or_label)
                })
            })
        };
        let button = match found {
            None => {
                return self.rejected(
                    Some(guild),
                    channel,
                    user,
                    format!("message {message} not found"),
                );
            }
            Some(None) => {
                return self.rejected(
                    Some(guild),
                    channel,
                    user,
                    format!("no button `{custom_id_or_label}`"),
                );
            }
            Some(Some(b)) => b,
        };
        if button.disabled {
            return self.rejected(
                Some(guild),
                channel,
                user,
                format!("button `{custom_id_or_label}` is disabled"),
            );
        }
        let Some(custom_id) = button.custom_id else {
            return self.rejected(
                Some(guild),
                channel,
                user,
                "link buttons do not create interactions".to_owned(),
            );
        };
        let data = json!({"custom_id": custom_id, "component_type": 2});
        self.interact(Pending {
            kind: InteractionKind::Component,
            guild: Some(guild),
            channel,
            user,
            data,
            source_message: Some(message),
        })
        .await
    }

    /// Picks values in a select menu.
    pub async fn select(
        &self,
        guild: GuildId,
        user: UserId,
        channel: ChannelId,
        message: MessageId,
        custom_id: &str,
        values: &[&str],
    ) -> InteractionResult {
        let found = {
            let st = self.lock();
            st.visible_message(user, channel, message).map(|m| {
                m.all_components().into_iter().find(|c| {
                    matches!(c.get("type").and_then(Value::as_u64), Some(3 | 5..=8))
                        && c.get("custom_id").and_then(Value::as_str) == Some(custom_id)
                })
            })
        };
        let select = match found {
            None => {
                return self.rejected(
                    Some(guild),
                    channel,
                    user,
                    format!("message {message} not found"),
                );
            }
            Some(None) => {
                return self.rejected(
                    Some(guild),
                    channel,
                    user,
                    format!("no select `{custom_id}`"),
                );
            }
            Some(Some(s)) => s,
        };
        if select
            .get("disabled")
            .and_then(Value::as_bool)
            .unwrap_or(false)
        {
            return self.rejected(
                Some(guild),
                channel,
                user,
                format!("select `{custom_id}` is disabled"),
            );
        }
        let ctype = select.get("type").and_then(Value::as_u64).unwrap_or(3);
        let min = select
            .get("min_values")
            .and_then(Value::as_u64)
            .unwrap_or(1) as usize;
        let max = select
            .get("max_values")
            .and_then(Value::as_u64)
            .unwrap_or(1) as usize;
        if values.len() < min || values.len() > max {
            return self.rejected(
                Some(guild),
                channel,
                user,
                format!("select `{custom_id}` takes {min}..={max} values"),
            );
        }
        if ctype == 3 {
            let options = select
                .get("options")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for v in values {
                if !options
                    .iter()
                    .any(|o| o.get("value").and_then(Value::as_str) == Some(v))
                {
                    return self.rejected(
                        Some(guild),
                        channel,
                        user,
                        format!("`{v}` is not an option of `{custom_id}`"),
                    );
                }
            }
        }
        let mut data = json!({"custom_id": custom_id, "component_type": ctype, "values": values});
        if ctype != 3 {
            let st = self.lock();
            let vals: Vec<OptionValue> = values
                .iter()
                .filter_map(|v| v.parse::<u64>().ok())
                .map(|id| match ctype {
                    6 => OptionValue::Role(RoleId(id)),
                    8 => OptionValue::Channel(ChannelId(id)),
                    _ => OptionValue::User(UserId(id)),
                })
                .collect();
            data["resolved"] = self.resolved_json(&st, guild, &vals);
        }
        self.interact(Pending {
            kind: InteractionKind::Component,
            guild: Some(guild),
            channel,
            user,
            data,
            source_message: Some(message),
        })
        .await
    }

    /// Fills in and submits the modal `from` opened. Missing fields keep their preset value (or empty).
    pub async fn submit_modal(
        &self,
        user: UserId,
        from: &InteractionResult,
        fields: &[(&str, &str)],
    ) -> InteractionResult {
        let Some(modal) = from.modal.clone() else {
            return self.rejected(
                from.guild,
                from.channel,
                user,
                "that interaction did not open a modal".to_owned(),
            );
        };
        let mut rows = Vec::new();
        for (i, input) in modal.inputs.iter().enumerate() {
            let value = fields
                .iter()
                .find(|(k, _)| *k == input.custom_id)
                .map(|(_, v)| (*v).to_owned())
                .or_else(|| input.value.clone())
                .unwrap_or_default();
            let len = value.chars().count() as u64;
            if input.required && value.is_empty() {
                return self.rejected(
                    from.guild,
                    from.channel,
                    user,
                    format!("field `{}` is required", input.custom_id),
                );
            }
            if !value.is_empty()
                && (input.min_length.is_some_and(|m| len < m)
                    || input.max_length.is_some_and(|m| len > m))
            {
                return self.rejected(
                    from.guild,
                    from.channel,
                    user,
                    format!("field `{}` has a bad length", input.custom_id),
                );
            }
            let id = (i as i64) * 2 + 1;
            let text =
                json!({"type": 4, "id": id + 1, "custom_id": input.custom_id, "value": value});
            rows.push(if input.in_label {
                json!({"type": 18, "id": id, "component": text})
            } else {
                json!({"type": 1, "id": id, "components": [text]})
            });
        }
        let data = json!({"custom_id": modal.custom_id, "components": rows});
        self.interact(Pending {
            kind: InteractionKind::ModalSubmit,
            guild: from.guild,
            channel: from.channel,
            user,
            data,
            source_message: from.source_message,
        })
        .await
    }

    fn rejected(
        &self,
        guild: Option<GuildId>,
        channel: ChannelId,
        user: UserId,
        why: String,
    ) -> InteractionResult {
        InteractionResult {
            kind: ResponseKind::Rejected(why),
            ephemeral: false,
            content: None,
            embeds: Vec::new(),
            components: Vec::new(),
            modal: None,
            choices: Vec::new(),
            interaction_id: 0,
            token: String::new(),
            guild,
            channel,
            user,
            message: None,
            source_message: None,
            sim: Some(self.clone()),
        }
    }

    fn interaction_json(&self, st: &State, rec: &InteractionRec, data: &Value) -> Value {
        let app_id = self.inner.app_id;
        let mut v = json!({
            "id": rec.id.to_string(),
            "application_id": app_id.to_string(),
            "type": rec.kind_code(),
            "data": data,
            "channel_id": rec.channel.to_string(),
            "token": rec.token,
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 26_214_400,
        });
        if let Some(ch) = st.channels.get(&rec.channel) {
            v["channel"] = ch.to_json(st);
        }
        match rec.guild {
            Some(g) => {
                v["guild_id"] = json!(g.to_string());
                v["guild"] = json!({"id": g.to_string(), "locale": "en-US", "features": []});
                v["guild_locale"] = json!("en-US");
                v["app_permissions"] = json!(st.permissions(g, self.inner.bot_user).to_string());
                v["context"] = json!(0);
                v["authorizing_integration_owners"] = json!({"0": g.to_string()});
                if let Some(m) = st.guilds.get(&g).and_then(|x| x.members.get(&rec.user)) {
                    let mut mj = st.member_json(m);
                    mj["permissions"] = json!(st.permissions(g, rec.user).to_string());
                    v["member"] = mj;
                }
            }
            None => {
                v["user"] = st
                    .users
                    .get(&rec.user)
                    .map(User::to_json)
                    .unwrap_or(Value::Null);
                v["context"] = json!(1);
                v["app_permissions"] = json!("0");
                v["authorizing_integration_owners"] = json!({"0": "0"});
            }
        }
        if let Some(mid) = rec.source_message
            && let Some(m) = st.find_message(rec.channel, mid)
        {
            v["message"] = m.to_json(st, app_id);
        }
        v
    }

    async fn interact(&self, p: Pending) -> InteractionResult {
        let id = next_snowflake();
        let token = format!("aW50ZXJhY3Rpb24.{id:x}.{:x}", next_snowflake());
        let rec = InteractionRec {
            id,
            token: token.clone(),
            kind: p.kind,
            created: Instant::now(),
            user: p.user,
            guild: p.guild,
            channel: p.channel,
            source_message: p.source_message,
            response: None,
            original: None,
            original_ephemeral: false,
            followups: Vec::new(),
            choices: None,
            modal: None,
            answered: std::sync::Arc::new(tokio::sync::Notify::new()),
        };
        let answered = rec.answered.clone();
        let deliverable = {
            let mut st = self.lock();
            if let Some(g) = p.guild
                && !st
                    .guilds
                    .get(&g)
                    .is_some_and(|g| g.members.contains_key(&p.user))
            {
                drop(st);
                return self.rejected(
                    p.guild,
                    p.channel,
                    p.user,
                    "the user is not a member of the guild".to_owned(),
                );
            }
            if !st.channels.contains_key(&p.channel) {
                drop(st);
                return self.rejected(p.guild, p.channel, p.user, "unknown channel".to_owned());
            }
            let json = self.interaction_json(&st, &rec, &p.data);
            st.interactions.insert(id, rec);
            self.dispatch(&mut st, "INTERACTION_CREATE", json) > 0
        };
        let deadline = self.inner.config.interaction_deadline;
        let answered = if deliverable {
            // Woken by the callback (`Notify` keeps the wake-up if it came first).
            let until = tokio::time::Instant::now() + deadline;
            loop {
                let response = self
                    .lock()
                    .interactions
                    .get(&id)
                    .and_then(|r| r.response.clone());
                if response.is_some() {
                    break response;
                }
                if tokio::time::timeout_at(until, answered.notified())
                    .await
                    .is_err()
                {
                    break None;
                }
            }
        } else {
            None
        };
        let st = self.lock();
        let mut res = InteractionResult {
            kind: ResponseKind::TimedOut,
            ephemeral: false,
            content: None,
            embeds: Vec::new(),
            components: Vec::new(),
            modal: None,
            choices: Vec::new(),
            interaction_id: id,
            token,
            guild: p.guild,
            channel: p.channel,
            user: p.user,
            message: None,
            source_message: p.source_message,
            sim: Some(self.clone()),
        };
        let Some((kind, data)) = answered else {
            return res;
        };
        let Some(rec) = st.interactions.get(&id) else {
            return res;
        };
        res.kind = match kind {
            4 => ResponseKind::Reply,
            5 => ResponseKind::DeferredReply,
            6 => ResponseKind::DeferredUpdate,
            7 => ResponseKind::UpdateMessage,
            8 => ResponseKind::Autocomplete,
            9 => ResponseKind::Modal,
            other => ResponseKind::Rejected(format!("unexpected response type {other}")),
        };
        res.ephemeral = rec.original_ephemeral
            || data.get("flags").and_then(Value::as_u64).unwrap_or(0) & 64 != 0;
        res.modal = rec.modal.clone();
        res.choices = rec.choices.clone().unwrap_or_default();
        res.message = rec
            .original
            .and_then(|m| st.visible_message(p.user, p.channel, m).cloned());
        if let Some(m) = &res.message {
            if kind != 6 {
                res.content = Some(m.content.clone());
                res.embeds = m.embeds.clone();
                res.components = m.components.clone();
            }
        } else {
            res.content = data
                .get("content")
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        res
    }
}

#[cfg(test)]
mod attachment_option_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn an_attachment_option_sends_its_id_and_the_resolved_file() {
        let sim = DiscordSim::start_with(crate::SimConfig::default()).await;
        let owner = sim.create_user("owner");
        let guild = sim.create_guild("g", owner);
        let a = Attachment::new("team.txt", 12);
        let o = CommandOption::attachment("file", a.clone());
        let mut resolved = Vec::new();
        let v = o.to_json(&mut resolved);
        assert_eq!(v["type"], 11);
        assert_eq!(v["value"], a.id.to_string());
        let st = sim.lock();
        let r = sim.resolved_json(&st, guild, &resolved);
        assert_eq!(r["attachments"][a.id.to_string()]["filename"], "team.txt");
        assert_eq!(r["attachments"][a.id.to_string()]["size"], 12);
    }
}
