//! Injecting faults: failing routes, fault plans, rate-limit checks, and changes made behind the bot's back.

use super::*;

impl DiscordSim {
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
}
