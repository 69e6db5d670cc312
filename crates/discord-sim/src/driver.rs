//! The driver API: set up guilds, act as users, observe, inject faults.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::DiscordSim;
use crate::ids::*;
use crate::model::*;

/// Errors of driver actions.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    #[error("the application did not respond within the interaction deadline")]
    TimedOut,
    #[error("the simulated client refused the action: {0}")]
    Rejected(String),
    #[error("the bot answered with an unexpected response type {0}")]
    UnexpectedResponse(u64),
}

/// A typed option value for [`DiscordSim::run_command`].
#[derive(Clone, Debug, PartialEq)]
pub enum OptionValue {
    String(String),
    Integer(i64),
    Number(f64),
    Boolean(bool),
    User(UserId),
    Channel(ChannelId),
    Role(RoleId),
    /// A file the user attached (type 11); its `url` is where the bot downloads it.
    Attachment(Attachment),
    SubCommand(Vec<CommandOption>),
    SubCommandGroup(Vec<CommandOption>),
}

/// An option a user fills in.
#[derive(Clone, Debug, PartialEq)]
pub struct CommandOption {
    pub name: String,
    pub value: OptionValue,
    pub focused: bool,
}

impl CommandOption {
    fn new(name: &str, value: OptionValue) -> Self {
        CommandOption {
            name: name.to_owned(),
            value,
            focused: false,
        }
    }
    pub fn string(name: &str, v: &str) -> Self {
        Self::new(name, OptionValue::String(v.to_owned()))
    }
    pub fn int(name: &str, v: i64) -> Self {
        Self::new(name, OptionValue::Integer(v))
    }
    pub fn number(name: &str, v: f64) -> Self {
        Self::new(name, OptionValue::Number(v))
    }
    pub fn bool(name: &str, v: bool) -> Self {
        Self::new(name, OptionValue::Boolean(v))
    }
    pub fn user(name: &str, v: UserId) -> Self {
        Self::new(name, OptionValue::User(v))
    }
    pub fn channel(name: &str, v: ChannelId) -> Self {
        Self::new(name, OptionValue::Channel(v))
    }
    pub fn role(name: &str, v: RoleId) -> Self {
        Self::new(name, OptionValue::Role(v))
    }
    pub fn attachment(name: &str, v: Attachment) -> Self {
        Self::new(name, OptionValue::Attachment(v))
    }
    pub fn sub(name: &str, options: Vec<CommandOption>) -> Self {
        Self::new(name, OptionValue::SubCommand(options))
    }
    pub fn group(name: &str, options: Vec<CommandOption>) -> Self {
        Self::new(name, OptionValue::SubCommandGroup(options))
    }
    /// Marks this option as the one being typed (autocomplete).
    pub fn focused(mut self) -> Self {
        self.focused = true;
        self
    }

    fn type_code(&self) -> u64 {
        match self.value {
            OptionValue::SubCommand(_) => 1,
            OptionValue::SubCommandGroup(_) => 2,
            OptionValue::String(_) => 3,
            OptionValue::Integer(_) => 4,
            OptionValue::Boolean(_) => 5,
            OptionValue::User(_) => 6,
            OptionValue::Channel(_) => 7,
            OptionValue::Role(_) => 8,
            OptionValue::Number(_) => 10,
            OptionValue::Attachment(_) => 11,
        }
    }

    fn to_json(&self, resolved: &mut Vec<OptionValue>) -> Value {
        let mut v = json!({"name": self.name, "type": self.type_code()});
        match &self.value {
            OptionValue::SubCommand(o) | OptionValue::SubCommandGroup(o) => {
                v["options"] = Value::Array(o.iter().map(|x| x.to_json(resolved)).collect());
            }
            OptionValue::String(s) => v["value"] = json!(s),
            OptionValue::Integer(i) => v["value"] = json!(i),
            OptionValue::Number(n) => v["value"] = json!(n),
            OptionValue::Boolean(b) => v["value"] = json!(b),
            OptionValue::User(u) => {
                resolved.push(self.value.clone());
                v["value"] = json!(u.to_string());
            }
            OptionValue::Channel(c) => {
                resolved.push(self.value.clone());
                v["value"] = json!(c.to_string());
            }
            OptionValue::Role(r) => {
                resolved.push(self.value.clone());
                v["value"] = json!(r.to_string());
            }
            OptionValue::Attachment(a) => {
                resolved.push(self.value.clone());
                v["value"] = json!(a.id.to_string());
            }
        }
        if self.focused {
            v["focused"] = json!(true);
            if let Some(val) = v.get("value").cloned()
                && !val.is_string()
            {
                v["value"] = json!(val.to_string());
            }
        }
        v
    }
}

/// What a user sees after an interaction.
#[derive(Clone, Debug)]
pub struct InteractionResult {
    pub kind: ResponseKind,
    pub ephemeral: bool,
    pub content: Option<String>,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    pub modal: Option<Modal>,
    pub choices: Vec<Choice>,
    pub interaction_id: u64,
    pub token: String,
    pub guild: Option<GuildId>,
    pub channel: ChannelId,
    pub user: UserId,
    /// The message shown or updated by the response (its state right after the response).
    pub message: Option<Message>,
    /// The message the component lives on (buttons/selects, and modals opened from them).
    pub source_message: Option<MessageId>,
    pub(crate) sim: Option<DiscordSim>,
}

impl InteractionResult {
    /// Answered in time (not timed out, not rejected).
    pub fn is_ok(&self) -> bool {
        !matches!(
            self.kind,
            ResponseKind::TimedOut | ResponseKind::Rejected(_)
        )
    }

    /// `Err` for a timeout or rejection, else `Ok(self)`.
    pub fn ok(self) -> Result<Self, SimError> {
        match &self.kind {
            ResponseKind::TimedOut => Err(SimError::TimedOut),
            ResponseKind::Rejected(r) => Err(SimError::Rejected(r.clone())),
            _ => Ok(self),
        }
    }

    /// The current state of the original response message (after edits).
    pub fn original(&self) -> Option<Message> {
        let sim = self.sim.as_ref()?;
        let st = sim.lock();
        let rec = st.interactions.get(&self.interaction_id)?;
        let id = rec.original?;
        st.find_message(self.channel, id).cloned()
    }

    /// Waits until the original response exists and is no longer "thinking" (after a deferral).
    pub async fn wait_for_original_edit(&self, deadline: Duration) -> Option<Message> {
        eventually(deadline, || self.original().filter(|m| !m.is_loading())).await
    }

    /// Follow-up messages sent so far (current state).
    pub fn followups(&self) -> Vec<Message> {
        let Some(sim) = self.sim.as_ref() else {
            return Vec::new();
        };
        let st = sim.lock();
        let Some(rec) = st.interactions.get(&self.interaction_id) else {
            return Vec::new();
        };
        rec.followups
            .iter()
            .filter_map(|m| st.find_message(self.channel, *m).cloned())
            .collect()
    }

    /// Waits for the `n`-th follow-up (1-based).
    pub async fn wait_for_followup(&self, n: usize, deadline: Duration) -> Option<Message> {
        eventually(deadline, || {
            self.followups().into_iter().nth(n.saturating_sub(1))
        })
        .await
    }
}

/// Polls `f` every 10 ms until it returns `Some` or `deadline` passes.
pub async fn eventually<T>(deadline: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if start.elapsed() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn find_registered_option<'a>(options: &'a [Value], name: &str) -> Option<&'a Value> {
    options
        .iter()
        .find(|o| o.get("name").and_then(Value::as_str) == Some(name))
}

/// Checks the user's options against the registered command (names, required, choices).
fn check_options(given: &[CommandOption], registered: &[Value]) -> Result<(), String> {
    for o in given {
        let Some(reg) = find_registered_option(registered, &o.name) else {
            return Err(format!("unknown option `{}`", o.name));
        };
        let reg_type = reg.get("type").and_then(Value::as_u64).unwrap_or(0);
        if reg_type != o.type_code() && !o.focused {
            return Err(format!(
                "option `{}` has type {reg_type}, got {}",
                o.name,
                o.type_code()
            ));
        }
        match &o.value {
            OptionValue::SubCommand(sub) | OptionValue::SubCommandGroup(sub) => {
                let reg_sub = reg
                    .get("options")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                check_options(sub, &reg_sub)?;
            }
            value if !o.focused => {
                // Discord checks choices only when the option declares some; an
                // autocomplete option accepts any value (the bot must check it).
                let autocomplete = reg.get("autocomplete").and_then(Value::as_bool) == Some(true);
                if let Some(choices) = reg
                    .get("choices")
                    .and_then(Value::as_array)
                    .filter(|c| !c.is_empty() && !autocomplete)
                {
                    let v = match value {
                        OptionValue::String(s) => json!(s),
                        OptionValue::Integer(i) => json!(i),
                        OptionValue::Number(n) => json!(n),
                        _ => Value::Null,
                    };
                    if !choices.iter().any(|c| c.get("value") == Some(&v)) {
                        return Err(format!("`{}` is not a choice of option `{}`", v, o.name));
                    }
                }
            }
            _ => {}
        }
    }
    let is_leaf = !given.iter().any(|o| {
        matches!(
            o.value,
            OptionValue::SubCommand(_) | OptionValue::SubCommandGroup(_)
        )
    });
    if is_leaf {
        for reg in registered {
            let required = reg
                .get("required")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let name = reg.get("name").and_then(Value::as_str).unwrap_or("");
            if required && !given.iter().any(|o| o.name == name) {
                return Err(format!("required option `{name}` missing"));
            }
        }
    }
    Ok(())
}

struct Pending {
    kind: InteractionKind,
    guild: Option<GuildId>,
    channel: ChannelId,
    user: UserId,
    data: Value,
    source_message: Option<MessageId>,
}

impl DiscordSim {
    // ---------- set-up ----------

    /// Creates a user (a person).
    pub fn create_user(&self, name: &str) -> UserId {
        let id = UserId(next_snowflake());
        self.lock().users.insert(
            id,
            User {
                id,
                name: name.to_owned(),
                bot: false,
                accepts_dms: true,
            },
        );
        self.emit(crate::SimEvent::UserChanged {
            user_id: id.to_string(),
        });
        id
    }

    /// Makes the bot's DMs to `user` fail with 50007 (`closed = true`) or succeed.
    pub fn set_dms_closed(&self, user: UserId, closed: bool) {
        if let Some(u) = self.lock().users.get_mut(&user) {
            u.accepts_dms = !closed;
            self.emit(crate::SimEvent::UserChanged {
                user_id: user.to_string(),
            });
        }
    }

    /// Creates a guild with @everyone, the bot's managed "raidbot" role (position 10), the bot and the owner.
    pub fn create_guild(&self, name: &str, owner: UserId) -> GuildId {
        self.create_guild_with_id(GuildId(next_snowflake()), name, owner)
    }

    /// Creates a guild whose events go to shard `shard_id` of `shard_total`.
    pub fn create_guild_on_shard(
        &self,
        name: &str,
        owner: UserId,
        shard_id: u32,
        shard_total: u32,
    ) -> GuildId {
        let total = u64::from(shard_total.max(1));
        // A snowflake of a moment a few seconds ago whose millisecond lands on the shard
        // (`(id >> 22) % total`); older than a second, so it is not bumped to a later one.
        let base = crate::ids::now_ms() - 2_000 - total;
        let since_epoch = base - crate::ids::DISCORD_EPOCH_MS;
        let offset = (since_epoch + total - u64::from(shard_id) % total) % total;
        let id = GuildId(crate::ids::snowflake_at(base - offset));
        debug_assert_eq!(
            crate::gateway::shard_for_guild(id.get(), shard_total),
            shard_id
        );
        self.create_guild_with_id(id, name, owner)
    }

    fn create_guild_with_id(&self, id: GuildId, name: &str, owner: UserId) -> GuildId {
        let bot = self.inner.bot_user;
        let bot_role = RoleId(next_snowflake());
        let mut g = Guild {
            id,
            name: name.to_owned(),
            owner_id: owner,
            roles: Default::default(),
            members: Default::default(),
            channels: Vec::new(),
            bans: Vec::new(),
        };
        let everyone = Role {
            id: RoleId(id.0),
            guild_id: id,
            name: "@everyone".to_owned(),
            permissions: perms::EVERYONE_DEFAULT,
            position: 0,
            managed: false,
            color: 0,
            hoist: false,
            mentionable: false,
            bot_id: None,
        };
        g.roles.insert(everyone.id, everyone);
        g.roles.insert(
            bot_role,
            Role {
                id: bot_role,
                guild_id: id,
                name: "raidbot".to_owned(),
                permissions: perms::BOT_DEFAULT,
                position: 10,
                managed: true,
                color: 0,
                hoist: false,
                mentionable: false,
                bot_id: Some(bot),
            },
        );
        let now = now_ms();
        g.members.insert(
            bot,
            Member {
                guild_id: id,
                user_id: bot,
                roles: vec![bot_role],
                nick: None,
                joined_at_ms: now,
                communication_disabled_until: None,
            },
        );
        g.members.insert(
            owner,
            Member {
                guild_id: id,
                user_id: owner,
                roles: vec![],
                nick: None,
                joined_at_ms: now,
                communication_disabled_until: None,
            },
        );
        let mut st = self.lock();
        st.guilds.insert(id, g);
        if let Some(g) = st.guilds.get(&id) {
            let json = st.guild_json(g, true);
            self.dispatch(&mut st, "GUILD_CREATE", json);
        }
        id
    }

    /// The bot's managed role in a guild.
    pub fn bot_role(&self, guild: GuildId) -> Option<RoleId> {
        let st = self.lock();
        st.guilds
            .get(&guild)?
            .roles
            .values()
            .find(|r| r.bot_id.is_some())
            .map(|r| r.id)
    }

    /// Creates a role (positions: @everyone 0, the bot's role 10).
    pub fn create_role(
        &self,
        guild: GuildId,
        name: &str,
        permissions: u64,
        position: i64,
    ) -> RoleId {
        let id = RoleId(next_snowflake());
        let role = Role {
            id,
            guild_id: guild,
            name: name.to_owned(),
            permissions,
            position,
            managed: false,
            color: 0,
            hoist: false,
            mentionable: false,
            bot_id: None,
        };
        let mut st = self.lock();
        if let Some(g) = st.guilds.get_mut(&guild) {
            g.roles.insert(id, role.clone());
            self.dispatch(
                &mut st,
                "GUILD_ROLE_CREATE",
                json!({"guild_id": guild.to_string(), "role": role.to_json()}),
            );
        }
        id
    }

    /// Sets a role's colour (as an administrator would in the server settings).
    pub fn set_role_colour(&self, guild: GuildId, role: RoleId, colour: u32) {
        let mut st = self.lock();
        let Some(json) = st
            .guilds
            .get_mut(&guild)
            .and_then(|g| g.roles.get_mut(&role))
            .map(|r| {
                r.color = colour;
                r.to_json()
            })
        else {
            return;
        };
        self.dispatch(
            &mut st,
            "GUILD_ROLE_UPDATE",
            json!({"guild_id": guild.to_string(), "role": json}),
        );
    }

    /// Creates a channel in a guild.
    pub fn create_channel(&self, guild: GuildId, name: &str, kind: ChannelKind) -> ChannelId {
        let id = ChannelId(next_snowflake());
        let mut st = self.lock();
        let position = st
            .guilds
            .get(&guild)
            .map(|g| g.channels.len() as i64)
            .unwrap_or(0);
        let ch = Channel {
            id,
            guild_id: Some(guild),
            name: name.to_owned(),
            kind,
            parent_id: None,
            position,
            recipient: None,
            owner_id: None,
            archived: false,
            locked: false,
            overwrites: Vec::new(),
        };
        st.channels.insert(id, ch.clone());
        if let Some(g) = st.guilds.get_mut(&guild) {
            g.channels.push(id);
        }
        let json = ch.to_json(&st);
        self.dispatch(&mut st, "CHANNEL_CREATE", json);
        id
    }

    /// Adds a member with roles (GUILD_MEMBER_ADD).
    pub fn add_member(&self, guild: GuildId, user: UserId, roles: &[RoleId]) {
        let mut st = self.lock();
        let m = Member {
            guild_id: guild,
            user_id: user,
            roles: roles.to_vec(),
            nick: None,
            joined_at_ms: now_ms(),
            communication_disabled_until: None,
        };
        let mut json = st.member_json(&m);
        json["guild_id"] = json!(guild.to_string());
        if let Some(g) = st.guilds.get_mut(&guild) {
            g.members.insert(user, m);
            self.dispatch(&mut st, "GUILD_MEMBER_ADD", json);
        }
    }

    /// Removes a member (as if they left; GUILD_MEMBER_REMOVE).
    pub fn remove_member(&self, guild: GuildId, user: UserId) {
        let mut st = self.lock();
        if st
            .guilds
            .get_mut(&guild)
            .and_then(|g| g.members.remove(&user))
            .is_some()
        {
            let u = st.users.get(&user).map(|u| u.to_json());
            self.dispatch(
                &mut st,
                "GUILD_MEMBER_REMOVE",
                json!({"guild_id": guild.to_string(), "user": u}),
            );
        }
    }

    /// Replaces a member's roles (GUILD_MEMBER_UPDATE), as an admin would in the client.
    pub fn set_member_roles(&self, guild: GuildId, user: UserId, roles: &[RoleId]) {
        let mut st = self.lock();
        if let Some(m) = st
            .guilds
            .get_mut(&guild)
            .and_then(|g| g.members.get_mut(&user))
        {
            m.roles = roles.to_vec();
            self.member_update_dispatch(&mut st, guild, user);
        }
    }

    /// Sets a member's nickname (as the user or an admin would).
    pub fn set_nick(&self, guild: GuildId, user: UserId, nick: Option<&str>) {
        let mut st = self.lock();
        if let Some(m) = st
            .guilds
            .get_mut(&guild)
            .and_then(|g| g.members.get_mut(&user))
        {
            m.nick = nick.map(str::to_owned);
            self.member_update_dispatch(&mut st, guild, user);
        }
    }

    // ---------- acting as a user ----------

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
            self.visible_message(&st, user, channel, message).map(|m| {
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
            self.visible_message(&st, user, channel, message).map(|m| {
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

    fn visible_message<'a>(
        &self,
        st: &'a State,
        user: UserId,
        channel: ChannelId,
        id: MessageId,
    ) -> Option<&'a Message> {
        st.messages
            .get(&channel)
            .and_then(|m| m.get(&id))
            .or_else(|| {
                st.ephemerals
                    .get(&user)
                    .and_then(|l| l.iter().find(|m| m.id == id))
            })
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
        };
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
            eventually(deadline, || {
                self.lock()
                    .interactions
                    .get(&id)
                    .and_then(|r| r.response.clone())
            })
            .await
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
            .and_then(|m| st.find_message(p.channel, m).cloned());
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

    /// A user writes in a channel (MESSAGE_CREATE).
    pub fn send_message(&self, user: UserId, channel: ChannelId, text: &str) -> MessageId {
        self.send_message_aged(user, channel, text, Duration::ZERO)
    }

    /// Like [`DiscordSim::send_message`] but back-dated by `age` (for 14-day rules).
    pub fn send_message_aged(
        &self,
        user: UserId,
        channel: ChannelId,
        text: &str,
        age: Duration,
    ) -> MessageId {
        let mut st = self.lock();
        let guild = st.channels.get(&channel).and_then(|c| c.guild_id);
        let mut msg = self.new_message(channel, guild, user, &json!({"content": text}));
        if !age.is_zero() {
            msg.id = MessageId(snowflake_at(
                now_ms().saturating_sub(age.as_millis() as u64),
            ));
        }
        let id = msg.id;
        self.insert_message(&mut st, msg);
        id
    }

    /// A member writes in a channel with files attached (MESSAGE_CREATE).
    pub fn send_message_with_attachments(
        &self,
        user: UserId,
        channel: ChannelId,
        text: &str,
        attachments: Vec<Attachment>,
    ) -> MessageId {
        let mut st = self.lock();
        let guild = st.channels.get(&channel).and_then(|c| c.guild_id);
        let mut msg = self.new_message(channel, guild, user, &json!({"content": text}));
        msg.attachments = attachments;
        let id = msg.id;
        self.insert_message(&mut st, msg);
        id
    }

    /// A user DMs the bot, optionally with attachments (MESSAGE_CREATE without guild_id).
    pub fn send_dm(&self, user: UserId, text: &str, attachments: Vec<Attachment>) -> MessageId {
        let mut st = self.lock();
        let ch = self.dm_channel(&mut st, user);
        let mut msg = self.new_message(ch, None, user, &json!({"content": text}));
        msg.attachments = attachments;
        let id = msg.id;
        self.insert_message(&mut st, msg);
        id
    }

    // ---------- observing ----------

    /// Messages of a channel, latest first.
    pub fn messages(&self, channel: ChannelId) -> Vec<Message> {
        self.lock()
            .messages
            .get(&channel)
            .map(|m| m.values().rev().cloned().collect())
            .unwrap_or_default()
    }

    pub fn message(&self, channel: ChannelId, id: MessageId) -> Option<Message> {
        self.lock()
            .messages
            .get(&channel)
            .and_then(|m| m.get(&id))
            .cloned()
    }

    /// The DM conversation between `user` and the bot, latest first (both directions).
    pub fn dms(&self, user: UserId) -> Vec<Message> {
        let ch = self.lock().dm_channels.get(&user).copied();
        ch.map(|c| self.messages(c)).unwrap_or_default()
    }

    /// Ephemeral messages `user` received (replies and follow-ups), latest first.
    pub fn ephemerals(&self, user: UserId) -> Vec<Message> {
        self.lock()
            .ephemerals
            .get(&user)
            .map(|l| l.iter().rev().cloned().collect())
            .unwrap_or_default()
    }

    pub fn member(&self, guild: GuildId, user: UserId) -> Option<Member> {
        self.lock().guilds.get(&guild)?.members.get(&user).cloned()
    }

    /// Roles of a guild, highest position first.
    pub fn roles(&self, guild: GuildId) -> Vec<Role> {
        let mut roles: Vec<Role> = self
            .lock()
            .guilds
            .get(&guild)
            .map(|g| g.roles.values().cloned().collect())
            .unwrap_or_default();
        roles.sort_by_key(|r| std::cmp::Reverse(r.position));
        roles
    }

    /// Channels of a guild (threads included).
    pub fn channels(&self, guild: GuildId) -> Vec<Channel> {
        let st = self.lock();
        st.guilds
            .get(&guild)
            .map(|g| {
                g.channels
                    .iter()
                    .filter_map(|c| st.channels.get(c).cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A channel's permission overwrites.
    pub fn overwrites(&self, channel: ChannelId) -> Vec<crate::model::Overwrite> {
        self.lock()
            .channels
            .get(&channel)
            .map(|c| c.overwrites.clone())
            .unwrap_or_default()
    }

    /// A member's permissions in a channel, overwrites applied (as Discord computes them).
    pub fn channel_permissions(&self, channel: ChannelId, user: UserId) -> u64 {
        self.lock().channel_permissions(channel, user)
    }

    /// Sets a permission overwrite the way an administrator would in the client (no checks,
    /// CHANNEL_UPDATE): `kind` 0 for a role, 1 for a member.
    pub fn set_overwrite(&self, channel: ChannelId, id: u64, kind: u8, allow: u64, deny: u64) {
        let mut st = self.lock();
        let Some(c) = st.channels.get_mut(&channel) else {
            return;
        };
        c.overwrites.retain(|o| o.id != id);
        c.overwrites.push(crate::model::Overwrite {
            id,
            kind,
            allow,
            deny,
        });
        let json = st
            .channels
            .get(&channel)
            .map(|c| c.to_json(&st))
            .unwrap_or(Value::Null);
        self.dispatch(&mut st, "CHANNEL_UPDATE", json);
    }

    /// Every REST call the bot made, oldest first.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.lock().calls.clone()
    }

    /// Number of calls to a route template, e.g. `"PATCH /channels/{channel_id}/messages/{message_id}"`.
    pub fn call_count(&self, route: &str) -> usize {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.route == route)
            .count()
    }

    /// Registered commands: global (`None`) or of a guild.
    pub fn commands(&self, guild: Option<GuildId>) -> Vec<Value> {
        let st = self.lock();
        match guild {
            Some(g) => st.guild_commands.get(&g).cloned().unwrap_or_default(),
            None => st.global_commands.clone(),
        }
    }

    /// Polls `f` until `Some` or the deadline (see [`eventually`]).
    pub async fn eventually<T>(
        &self,
        deadline: Duration,
        f: impl FnMut() -> Option<T>,
    ) -> Option<T> {
        eventually(deadline, f).await
    }

    // ---------- faults ----------

    /// The next `n` calls of `route` (a template like `"POST /channels/{channel_id}/messages"`) fail.
    pub fn fail_next(&self, route: &str, n: usize, failure: Failure) {
        self.lock().failures.insert(route.to_owned(), (n, failure));
    }

    /// Fails a share of every later REST call at random (see [`crate::model::FaultPlan`]);
    /// `None` stops it. What was injected is kept (see [`DiscordSim::injected_faults`]).
    pub fn set_fault_plan(&self, plan: Option<crate::model::FaultPlan>) {
        self.lock().fault_plan = plan.map(|p| {
            let state = p.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            (p, state)
        });
    }

    /// What the fault plan injected so far.
    pub fn injected_faults(&self) -> crate::model::InjectedFaults {
        self.lock().injected
    }

    /// Requests the simulator's own limits answered 429 (the global limit, a route's
    /// bucket or a channel's message bucket), as "route (bucket …)": requests the bot sent
    /// over a limit. Injected 429s are not among them.
    pub fn rate_limit_violations(&self) -> Vec<String> {
        self.lock().violations.clone()
    }

    /// Closes the bot's websockets with 4000 (resumable): the bot should RESUME.
    pub fn drop_gateway(&self) {
        let st = self.lock();
        for c in st.gateway.conns.values() {
            let _ = c.tx.send(Outgoing::Close(
                4000,
                "Unknown error (simulated drop)".to_owned(),
            ));
        }
    }

    /// Closes the connection of one shard with 4000 (resumable).
    pub fn drop_shard(&self, shard_id: u32) {
        let st = self.lock();
        for s in st
            .gateway
            .sessions
            .values()
            .filter(|s| s.shard[0] == shard_id)
        {
            if let Some(c) = s.conn.and_then(|c| st.gateway.conns.get(&c)) {
                let _ = c.tx.send(Outgoing::Close(
                    4000,
                    "Unknown error (simulated drop)".to_owned(),
                ));
            }
        }
    }

    /// A member pins a message by hand (as staff do in the client).
    pub fn pin_message(&self, channel: ChannelId, id: MessageId) {
        if let Some(m) = self.lock().find_message_mut(channel, id) {
            m.pinned = true;
            self.emit(crate::SimEvent::MessageUpdated {
                channel_id: channel.to_string(),
                message_id: id.to_string(),
            });
        }
    }

    /// Deletes a message without telling the bot (no MESSAGE_DELETE).
    pub fn delete_message_behind_bot(&self, channel: ChannelId, id: MessageId) {
        let mut st = self.lock();
        self.remove_message(&mut st, channel, id, false);
    }

    /// Deletes a channel or thread without telling the bot (no CHANNEL_DELETE), as a
    /// member with Manage Channels would by hand.
    pub fn delete_channel_behind_bot(&self, channel: ChannelId) {
        let mut st = self.lock();
        let guild = st.channels.remove(&channel).and_then(|c| c.guild_id);
        st.messages.remove(&channel);
        if let Some(g) = guild.and_then(|g| st.guilds.get_mut(&g)) {
            g.channels.retain(|c| *c != channel);
            self.emit(crate::SimEvent::GuildChanged {
                guild_id: g.id.to_string(),
            });
        }
    }

    /// Deletes a role without telling the bot (no GUILD_ROLE_DELETE).
    pub fn delete_role_behind_bot(&self, guild: GuildId, role: RoleId) {
        let mut st = self.lock();
        if let Some(g) = st.guilds.get_mut(&guild) {
            g.roles.remove(&role);
            for m in g.members.values_mut() {
                m.roles.retain(|r| *r != role);
            }
            self.emit(crate::SimEvent::GuildChanged {
                guild_id: guild.to_string(),
            });
        }
    }

    /// A bot connection is identified or resumed.
    pub fn gateway_connected(&self) -> bool {
        self.lock()
            .gateway
            .conns
            .values()
            .any(|c| c.session.is_some())
    }

    /// The shards (`[shard_id, shard_total]`) with a live, identified or resumed connection.
    pub fn connected_shards(&self) -> Vec<[u32; 2]> {
        let st = self.lock();
        let mut shards: Vec<[u32; 2]> = st
            .gateway
            .sessions
            .values()
            .filter(|s| s.conn.is_some())
            .map(|s| s.shard)
            .collect();
        shards.sort_unstable();
        shards
    }

    pub fn identify_count(&self) -> usize {
        self.lock().gateway.identify_count
    }

    pub fn resume_count(&self) -> usize {
        self.lock().gateway.resume_count
    }

    /// Every IDENTIFY and RESUME received, accepted or not, in order.
    pub fn gateway_logins(&self) -> Vec<crate::model::GatewayLogin> {
        self.lock().gateway.log.clone()
    }

    /// The shard of `[0, shard_total)` that receives a guild's events.
    pub fn shard_for_guild(guild: GuildId, shard_total: u32) -> u32 {
        crate::gateway::shard_for_guild(guild.get(), shard_total)
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
