//! Observing what the bot did: messages, members, roles, channels, calls, commands.

use super::*;

impl DiscordSim {
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
}
