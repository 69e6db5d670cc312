//! The routing table: a request's method and path to a route template and its parameters.

use std::collections::HashMap;

use crate::ids::*;
use crate::limits::ApiError;

/// Path parameters of a matched route.
#[derive(Debug, Default)]
pub(crate) struct Params {
    pub channel: Option<String>,
    pub message: Option<String>,
    pub guild: Option<String>,
    pub user: Option<String>,
    /// A permission overwrite's target (role or member id).
    pub overwrite: Option<String>,
    /// A reaction's emoji, percent-decoded (`✅`, or `name:id` for a custom one).
    pub emoji: Option<String>,
    pub role: Option<String>,
    pub app: Option<String>,
    pub token: Option<String>,
    pub interaction: Option<String>,
}

fn parse_id(v: &Option<String>, err: fn() -> ApiError) -> Result<u64, ApiError> {
    v.as_deref()
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(err)
}

impl Params {
    pub fn channel(&self) -> Result<ChannelId, ApiError> {
        parse_id(&self.channel, ApiError::unknown_channel).map(ChannelId)
    }
    pub fn message(&self) -> Result<MessageId, ApiError> {
        parse_id(&self.message, ApiError::unknown_message).map(MessageId)
    }
    pub fn guild(&self) -> Result<GuildId, ApiError> {
        parse_id(&self.guild, ApiError::unknown_guild).map(GuildId)
    }
    pub fn user(&self) -> Result<UserId, ApiError> {
        parse_id(&self.user, ApiError::unknown_user).map(UserId)
    }
    pub fn role(&self) -> Result<RoleId, ApiError> {
        parse_id(&self.role, ApiError::unknown_role).map(RoleId)
    }
}

fn s(x: &str) -> Option<String> {
    Some(x.to_owned())
}

/// Matches a request to a route template (`"PATCH /channels/{channel_id}/messages/{message_id}"`).
pub(crate) fn route(method: &str, segs: &[&str]) -> Option<(String, Params)> {
    let mut p = Params::default();
    let t: &str = match (method, segs) {
        ("GET", ["users", "@me"]) => "/users/@me",
        ("POST", ["users", "@me", "channels"]) => "/users/@me/channels",
        ("GET", ["users", u]) => {
            p.user = s(u);
            "/users/{user_id}"
        }
        ("GET", ["oauth2", "applications", "@me"]) => "/oauth2/applications/@me",
        ("GET", ["applications", "@me"]) => "/applications/@me",
        ("GET", ["gateway"]) => "/gateway",
        ("GET", ["gateway", "bot"]) => "/gateway/bot",
        ("GET" | "PUT" | "POST", ["applications", a, "commands"]) => {
            p.app = s(a);
            "/applications/{application_id}/commands"
        }
        ("GET" | "PUT" | "POST", ["applications", a, "guilds", g, "commands"]) => {
            p.app = s(a);
            p.guild = s(g);
            "/applications/{application_id}/guilds/{guild_id}/commands"
        }
        ("POST", ["interactions", i, tok, "callback"]) => {
            p.interaction = s(i);
            p.token = s(tok);
            "/interactions/{interaction_id}/{interaction_token}/callback"
        }
        ("GET" | "PATCH" | "DELETE", ["webhooks", a, tok, "messages", m]) => {
            p.app = s(a);
            p.token = s(tok);
            p.message = s(m);
            if *m == "@original" {
                "/webhooks/{application_id}/{interaction_token}/messages/@original"
            } else {
                "/webhooks/{application_id}/{interaction_token}/messages/{message_id}"
            }
        }
        ("POST", ["webhooks", a, tok]) => {
            p.app = s(a);
            p.token = s(tok);
            "/webhooks/{application_id}/{interaction_token}"
        }
        ("GET" | "PATCH" | "DELETE", ["channels", c]) => {
            p.channel = s(c);
            "/channels/{channel_id}"
        }
        ("GET" | "POST", ["channels", c, "messages"]) => {
            p.channel = s(c);
            "/channels/{channel_id}/messages"
        }
        ("POST", ["channels", c, "messages", "bulk-delete"]) => {
            p.channel = s(c);
            "/channels/{channel_id}/messages/bulk-delete"
        }
        ("GET", ["channels", c, "messages", "pins"]) | ("GET", ["channels", c, "pins"]) => {
            p.channel = s(c);
            "/channels/{channel_id}/messages/pins"
        }
        ("PUT" | "DELETE", ["channels", c, "messages", "pins", m])
        | ("PUT" | "DELETE", ["channels", c, "pins", m]) => {
            p.channel = s(c);
            p.message = s(m);
            "/channels/{channel_id}/messages/pins/{message_id}"
        }
        ("GET" | "PATCH" | "DELETE", ["channels", c, "messages", m]) => {
            p.channel = s(c);
            p.message = s(m);
            "/channels/{channel_id}/messages/{message_id}"
        }
        ("POST", ["channels", c, "messages", m, "threads"]) => {
            p.channel = s(c);
            p.message = s(m);
            "/channels/{channel_id}/messages/{message_id}/threads"
        }
        ("PUT" | "DELETE", ["channels", c, "messages", m, "reactions", e, "@me"]) => {
            p.channel = s(c);
            p.message = s(m);
            p.emoji = Some(percent_decode(e));
            "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
        }
        ("POST", ["channels", c, "threads"]) => {
            p.channel = s(c);
            "/channels/{channel_id}/threads"
        }
        ("PUT" | "DELETE", ["channels", c, "permissions", o]) => {
            p.channel = s(c);
            p.overwrite = s(o);
            "/channels/{channel_id}/permissions/{overwrite_id}"
        }
        ("POST", ["channels", c, "typing"]) => {
            p.channel = s(c);
            "/channels/{channel_id}/typing"
        }
        ("GET", ["guilds", g]) => {
            p.guild = s(g);
            "/guilds/{guild_id}"
        }
        ("GET", ["guilds", g, "channels"]) => {
            p.guild = s(g);
            "/guilds/{guild_id}/channels"
        }
        ("GET", ["guilds", g, "threads", "active"]) => {
            p.guild = s(g);
            "/guilds/{guild_id}/threads/active"
        }
        ("GET", ["guilds", g, "members"]) => {
            p.guild = s(g);
            "/guilds/{guild_id}/members"
        }
        ("GET" | "PATCH" | "DELETE", ["guilds", g, "members", u]) => {
            p.guild = s(g);
            p.user = s(u);
            "/guilds/{guild_id}/members/{user_id}"
        }
        ("PUT" | "DELETE", ["guilds", g, "members", u, "roles", r]) => {
            p.guild = s(g);
            p.user = s(u);
            p.role = s(r);
            "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"
        }
        ("GET" | "POST", ["guilds", g, "roles"]) => {
            p.guild = s(g);
            "/guilds/{guild_id}/roles"
        }
        ("PATCH" | "DELETE", ["guilds", g, "roles", r]) => {
            p.guild = s(g);
            p.role = s(r);
            "/guilds/{guild_id}/roles/{role_id}"
        }
        ("PUT" | "DELETE", ["guilds", g, "bans", u]) => {
            p.guild = s(g);
            p.user = s(u);
            "/guilds/{guild_id}/bans/{user_id}"
        }
        _ => return None,
    };
    Some((format!("{method} {t}"), p))
}

/// Decodes `%E2%9C%85` to `✅` (a path segment as twilight encodes emoji).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn query_map(q: Option<&str>) -> HashMap<String, String> {
    q.unwrap_or("")
        .split('&')
        .filter(|x| !x.is_empty())
        .filter_map(|kv| {
            let mut it = kv.splitn(2, '=');
            Some((it.next()?.to_owned(), it.next().unwrap_or("").to_owned()))
        })
        .collect()
}

pub(super) fn is_interaction_route(template: &str) -> bool {
    template.contains("/interactions/") || template.contains("/webhooks/")
}
