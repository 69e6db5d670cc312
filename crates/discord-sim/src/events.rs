//! A change feed of the simulator's state, for views that must update live (the sandbox web
//! client) without polling. Events only say *what* changed; a view reads the new state
//! through the driver. A receiver that falls behind gets `Lagged` from tokio's broadcast
//! channel and should read everything again (nothing is lost by that: state is the truth).

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;

/// How many events a slow receiver may fall behind before it must resync.
pub(crate) const BUFFER: usize = 1024;

/// One change. Ids are strings (snowflakes do not fit in a JavaScript number).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SimEvent {
    /// A message was posted in a channel (guild channel, thread or DM).
    MessageCreated {
        channel_id: String,
        message_id: String,
    },
    /// A channel message was edited (content, embeds, components, reactions, pins).
    MessageUpdated {
        channel_id: String,
        message_id: String,
    },
    /// A channel message is gone.
    MessageDeleted {
        channel_id: String,
        message_id: String,
    },
    /// An ephemeral message only `user_id` sees was created, edited or deleted.
    Ephemeral {
        user_id: String,
        channel_id: String,
        message_id: String,
    },
    /// A member joined, left, or their roles or nickname changed.
    MemberChanged { guild_id: String, user_id: String },
    /// Roles, channels, threads or the guild itself changed.
    GuildChanged { guild_id: String },
    /// A user was created or toggled their DMs.
    UserChanged { user_id: String },
    /// The bot registered or changed slash commands.
    CommandsChanged,
    /// The bot answered an interaction (`response_type` is Discord's callback type).
    InteractionAnswered {
        interaction_id: String,
        user_id: String,
        response_type: u64,
    },
    /// The bot made a REST call (`index` is its position in [`crate::DiscordSim::calls`]).
    RestCall {
        index: usize,
        method: String,
        route: String,
        path: String,
        status: u16,
        at_ms: u64,
    },
}

pub(crate) fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn s(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// The change a gateway dispatch stands for. Deletions are emitted where messages are
/// removed (also those the bot is not told about), so they are not mapped here.
pub(crate) fn from_dispatch(event: &str, d: &Value) -> Option<SimEvent> {
    Some(match event {
        "MESSAGE_CREATE" => SimEvent::MessageCreated {
            channel_id: s(d, "channel_id")?,
            message_id: s(d, "id")?,
        },
        "MESSAGE_UPDATE" => SimEvent::MessageUpdated {
            channel_id: s(d, "channel_id")?,
            message_id: s(d, "id")?,
        },
        "MESSAGE_REACTION_ADD" | "MESSAGE_REACTION_REMOVE" => SimEvent::MessageUpdated {
            channel_id: s(d, "channel_id")?,
            message_id: s(d, "message_id")?,
        },
        "GUILD_MEMBER_ADD" | "GUILD_MEMBER_UPDATE" | "GUILD_MEMBER_REMOVE" => {
            SimEvent::MemberChanged {
                guild_id: s(d, "guild_id")?,
                user_id: d.get("user").and_then(|u| s(u, "id"))?,
            }
        }
        "GUILD_CREATE" | "GUILD_UPDATE" => SimEvent::GuildChanged {
            guild_id: s(d, "id")?,
        },
        "GUILD_BAN_ADD" | "GUILD_BAN_REMOVE" => SimEvent::GuildChanged {
            guild_id: s(d, "guild_id")?,
        },
        e if e.starts_with("GUILD_ROLE_")
            || e.starts_with("CHANNEL_")
            || e.starts_with("THREAD_") =>
        {
            SimEvent::GuildChanged {
                guild_id: s(d, "guild_id")?,
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dispatches_map_to_changes_with_string_ids() {
        let e = from_dispatch("MESSAGE_CREATE", &json!({"id": "2", "channel_id": "1"}));
        assert_eq!(
            e,
            Some(SimEvent::MessageCreated {
                channel_id: "1".into(),
                message_id: "2".into()
            })
        );
        let e = from_dispatch(
            "GUILD_MEMBER_UPDATE",
            &json!({"guild_id": "9", "user": {"id": "5"}}),
        );
        assert_eq!(
            e,
            Some(SimEvent::MemberChanged {
                guild_id: "9".into(),
                user_id: "5".into()
            })
        );
        assert_eq!(from_dispatch("INTERACTION_CREATE", &json!({})), None);
        let v = serde_json::to_value(SimEvent::CommandsChanged).ok();
        assert_eq!(v, Some(json!({"type": "commands_changed"})));
    }
}
