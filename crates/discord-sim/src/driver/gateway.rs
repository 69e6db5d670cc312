//! The gateway as a test sees it: dropped connections, shards, logins.

use super::*;

impl DiscordSim {
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
