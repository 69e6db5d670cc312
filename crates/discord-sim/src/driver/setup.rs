//! Setting the scene: users, guilds, roles, channels and members.

use super::*;

impl DiscordSim {
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
}
