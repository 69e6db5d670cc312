//! Saving and restoring the simulated Discord's world, so a long-lived simulator (the
//! `raidbot sandbox`) can stop and start again with the same servers, members, channels and
//! messages as the bot's database remembers.
//!
//! A snapshot holds what a person would call "the server": users, guilds with their roles,
//! members and bans, channels, messages (and each user's ephemeral replies), DM channels,
//! registered commands, and the bot's own identity. It leaves out what only lives for one
//! connection: interactions in flight, recorded REST calls, injected faults, rate-limit
//! buckets and the gateway session (the bot identifies afresh after a restart).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{ChannelId, GuildId, UserId};
use crate::model::{Attachment, Channel, Guild, Message, State, User};
use crate::{DiscordSim, SimConfig};

/// The format version; a snapshot of another version is refused rather than half-read.
pub const SNAPSHOT_VERSION: u32 = 1;

/// The persistent part of the simulator's state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u32,
    pub bot_user: UserId,
    pub users: Vec<User>,
    pub guilds: Vec<Guild>,
    pub channels: Vec<Channel>,
    pub messages: Vec<Message>,
    pub ephemerals: Vec<(UserId, Vec<Message>)>,
    pub dm_channels: Vec<(UserId, ChannelId)>,
    pub global_commands: Vec<Value>,
    pub guild_commands: Vec<(GuildId, Vec<Value>)>,
    /// Uploaded files with their bytes (hex), so attachments still open after a restart.
    #[serde(default)]
    pub uploads: Vec<(Attachment, String)>,
}

/// Why a snapshot could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("the saved simulator state is version {found}, this build reads version {expected}")]
    Version { found: u32, expected: u32 },
    #[error("the saved simulator state is not readable: {0}")]
    Malformed(#[from] serde_json::Error),
}

impl Snapshot {
    /// Reads a snapshot written by [`DiscordSim::snapshot`] (as JSON).
    pub fn from_json(value: Value) -> Result<Snapshot, SnapshotError> {
        let found = value.get("version").and_then(Value::as_u64).unwrap_or(0) as u32;
        if found != SNAPSHOT_VERSION {
            return Err(SnapshotError::Version {
                found,
                expected: SNAPSHOT_VERSION,
            });
        }
        Ok(serde_json::from_value(value)?)
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    fn into_state(self) -> State {
        let mut st = State {
            users: self.users.into_iter().map(|u| (u.id, u)).collect(),
            guilds: self.guilds.into_iter().map(|g| (g.id, g)).collect(),
            channels: self.channels.into_iter().map(|c| (c.id, c)).collect(),
            ephemerals: self.ephemerals.into_iter().collect(),
            dm_channels: self.dm_channels.into_iter().collect(),
            global_commands: self.global_commands,
            guild_commands: self.guild_commands.into_iter().collect(),
            ..State::default()
        };
        for (a, bytes) in self.uploads {
            if let Ok(bytes) = hex::decode(bytes) {
                st.uploads.insert(a.id, (a, bytes));
            }
        }
        for m in self.messages {
            st.messages.entry(m.channel_id).or_default().insert(m.id, m);
        }
        st
    }
}

impl DiscordSim {
    /// The simulator's persistent state (see [`Snapshot`]).
    pub fn snapshot(&self) -> Snapshot {
        let st = self.lock();
        let mut users: Vec<User> = st.users.values().cloned().collect();
        users.sort_by_key(|u| u.id);
        let mut ephemerals: Vec<(UserId, Vec<Message>)> =
            st.ephemerals.iter().map(|(u, m)| (*u, m.clone())).collect();
        ephemerals.sort_by_key(|(u, _)| *u);
        let mut dm_channels: Vec<(UserId, ChannelId)> =
            st.dm_channels.iter().map(|(u, c)| (*u, *c)).collect();
        dm_channels.sort();
        let guild_commands: BTreeMap<GuildId, Vec<Value>> = st
            .guild_commands
            .iter()
            .map(|(g, c)| (*g, c.clone()))
            .collect();
        let mut messages: Vec<Message> = st
            .messages
            .values()
            .flat_map(|m| m.values().cloned())
            .collect();
        messages.sort_by_key(|m| (m.channel_id, m.id));
        let mut uploads: Vec<(Attachment, String)> = st
            .uploads
            .values()
            .map(|(a, bytes)| (a.clone(), hex::encode(bytes)))
            .collect();
        uploads.sort_by_key(|(a, _)| a.id);
        Snapshot {
            version: SNAPSHOT_VERSION,
            bot_user: self.inner.bot_user,
            users,
            guilds: st.guilds.values().cloned().collect(),
            channels: st.channels.values().cloned().collect(),
            messages,
            ephemerals,
            dm_channels,
            global_commands: st.global_commands.clone(),
            guild_commands: guild_commands.into_iter().collect(),
            uploads,
        }
    }

    /// Starts a simulator with the world of `snapshot` (the bot keeps its user id, so the
    /// messages it wrote stay its own).
    pub async fn start_restored(config: SimConfig, snapshot: Snapshot) -> DiscordSim {
        let bot_user = snapshot.bot_user;
        Self::start_from_state(config, snapshot.into_state(), bot_user).await
    }
}
