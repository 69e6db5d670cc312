//! The simulated Discord's state and its Discord-shaped JSON.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::ids::*;

/// Permission bits used by the simulator.
pub mod perms {
    pub const KICK_MEMBERS: u64 = 1 << 1;
    pub const BAN_MEMBERS: u64 = 1 << 2;
    pub const ADMINISTRATOR: u64 = 1 << 3;
    pub const MANAGE_CHANNELS: u64 = 1 << 4;
    pub const ADD_REACTIONS: u64 = 1 << 6;
    pub const VIEW_CHANNEL: u64 = 1 << 10;
    pub const SEND_MESSAGES: u64 = 1 << 11;
    pub const MANAGE_MESSAGES: u64 = 1 << 13;
    pub const EMBED_LINKS: u64 = 1 << 14;
    pub const ATTACH_FILES: u64 = 1 << 15;
    pub const READ_MESSAGE_HISTORY: u64 = 1 << 16;
    pub const USE_EXTERNAL_EMOJIS: u64 = 1 << 18;
    pub const MANAGE_NICKNAMES: u64 = 1 << 27;
    pub const SPEAK: u64 = 1 << 21;
    pub const MANAGE_ROLES: u64 = 1 << 28;
    pub const MANAGE_THREADS: u64 = 1 << 34;
    pub const CREATE_PUBLIC_THREADS: u64 = 1 << 35;
    pub const SEND_MESSAGES_IN_THREADS: u64 = 1 << 38;
    pub const MODERATE_MEMBERS: u64 = 1 << 40;
    /// What @everyone gets by default.
    pub const EVERYONE_DEFAULT: u64 = VIEW_CHANNEL
        | SEND_MESSAGES
        | READ_MESSAGE_HISTORY
        | ADD_REACTIONS
        | EMBED_LINKS
        | ATTACH_FILES;
    /// The bot's managed role: everything a raid bot needs, not Administrator.
    pub const BOT_DEFAULT: u64 = VIEW_CHANNEL
        | SEND_MESSAGES
        | SEND_MESSAGES_IN_THREADS
        | CREATE_PUBLIC_THREADS
        | MANAGE_THREADS
        | MANAGE_MESSAGES
        | MANAGE_NICKNAMES
        | MANAGE_ROLES
        | MANAGE_CHANNELS
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | ADD_REACTIONS
        | USE_EXTERNAL_EMOJIS
        | SPEAK
        | KICK_MEMBERS
        | BAN_MEMBERS
        | MODERATE_MEMBERS;
}

/// Channel kinds the driver can create.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ChannelKind {
    Text,
    Voice,
    Forum,
    Category,
    /// Created by the bot (public thread).
    PublicThread,
    /// Direct message channel.
    Dm,
}

impl ChannelKind {
    pub fn discord_type(self) -> u64 {
        match self {
            ChannelKind::Text => 0,
            ChannelKind::Dm => 1,
            ChannelKind::Voice => 2,
            ChannelKind::Category => 4,
            ChannelKind::PublicThread => 11,
            ChannelKind::Forum => 15,
        }
    }
}

/// A user (person or bot).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub bot: bool,
    /// When false, the bot gets 50007 when it DMs this user.
    pub accepts_dms: bool,
}

impl User {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id.to_string(),
            "username": self.name,
            "global_name": self.name,
            "discriminator": "0",
            "avatar": null,
            "bot": self.bot,
            "public_flags": 0,
        })
    }
}

/// A role.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Role {
    pub id: RoleId,
    pub guild_id: GuildId,
    pub name: String,
    pub permissions: u64,
    pub position: i64,
    pub managed: bool,
    pub color: u32,
    pub hoist: bool,
    pub mentionable: bool,
    /// Set for the bot's managed role.
    pub bot_id: Option<UserId>,
}

impl Role {
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id.to_string(),
            "name": self.name,
            "color": self.color,
            "colors": {"primary_color": self.color, "secondary_color": null, "tertiary_color": null},
            "hoist": self.hoist,
            "icon": null,
            "unicode_emoji": null,
            "position": self.position,
            "permissions": self.permissions.to_string(),
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        });
        if let Some(bot) = self.bot_id {
            v["tags"] = json!({"bot_id": bot.to_string()});
        }
        v
    }
}

/// A guild member.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Member {
    pub guild_id: GuildId,
    pub user_id: UserId,
    pub roles: Vec<RoleId>,
    pub nick: Option<String>,
    pub joined_at_ms: u64,
    pub communication_disabled_until: Option<String>,
}

/// A channel.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Channel {
    pub id: ChannelId,
    pub guild_id: Option<GuildId>,
    pub name: String,
    pub kind: ChannelKind,
    pub parent_id: Option<ChannelId>,
    pub position: i64,
    /// DM recipient.
    pub recipient: Option<UserId>,
    pub owner_id: Option<UserId>,
    pub archived: bool,
    /// Threads: only moderators may write or unarchive.
    pub locked: bool,
    /// Permission overwrites (threads use their parent's).
    pub overwrites: Vec<Overwrite>,
}

/// A permission overwrite on a channel: `kind` 0 for a role (the guild id is @everyone),
/// 1 for a member.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Overwrite {
    pub id: u64,
    pub kind: u8,
    pub allow: u64,
    pub deny: u64,
}

impl Overwrite {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id.to_string(),
            "type": self.kind,
            "allow": self.allow.to_string(),
            "deny": self.deny.to_string(),
        })
    }
}

impl Channel {
    pub fn to_json(&self, state: &State) -> Value {
        let mut v = json!({
            "id": self.id.to_string(),
            "type": self.kind.discord_type(),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": self.overwrites.iter().map(Overwrite::to_json).collect::<Vec<_>>(),
            "nsfw": false,
            "topic": null,
            "rate_limit_per_user": 0,
            "flags": 0,
        });
        if let Some(g) = self.guild_id {
            v["guild_id"] = json!(g.to_string());
        }
        if let Some(p) = self.parent_id {
            v["parent_id"] = json!(p.to_string());
        }
        if let Some(last) = state
            .messages
            .get(&self.id)
            .and_then(|m| m.keys().next_back())
        {
            v["last_message_id"] = json!(last.to_string());
        }
        match self.kind {
            ChannelKind::Voice => {
                v["bitrate"] = json!(64000);
                v["user_limit"] = json!(0);
            }
            ChannelKind::Forum => {
                v["available_tags"] = json!([]);
                v["default_reaction_emoji"] = Value::Null;
            }
            ChannelKind::PublicThread => {
                v["owner_id"] = json!(self.owner_id.map(|u| u.to_string()));
                v["member_count"] = json!(1);
                v["message_count"] =
                    json!(state.messages.get(&self.id).map(|m| m.len()).unwrap_or(0));
                v["thread_metadata"] = json!({
                    "archived": self.archived,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": iso_from_ms(snowflake_unix_ms(self.id.0)),
                    "locked": self.locked,
                    "create_timestamp": iso_from_ms(snowflake_unix_ms(self.id.0)),
                });
            }
            ChannelKind::Dm => {
                let recipients: Vec<Value> = self
                    .recipient
                    .and_then(|u| state.users.get(&u))
                    .map(|u| vec![u.to_json()])
                    .unwrap_or_default();
                v = json!({
                    "id": self.id.to_string(),
                    "type": 1,
                    "recipients": recipients,
                    "last_message_id": v.get("last_message_id").cloned().unwrap_or(Value::Null),
                    "flags": 0,
                });
            }
            _ => {}
        }
        v
    }
}

/// An attachment on a message.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Attachment {
    pub id: u64,
    pub filename: String,
    pub size: u64,
    pub content_type: Option<String>,
    pub url: String,
}

impl Attachment {
    /// A fake attachment (for `send_dm`).
    pub fn new(filename: &str, size: u64) -> Self {
        let id = next_snowflake();
        Attachment {
            id,
            filename: filename.to_owned(),
            size,
            content_type: Some(guess_content_type(filename).to_owned()),
            url: format!("https://cdn.discordapp.com/attachments/0/{id}/{filename}"),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id.to_string(),
            "filename": self.filename,
            "size": self.size,
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
        })
    }
}

fn guess_content_type(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".png") {
        "image/png"
    } else if lower.ends_with(".jpg") || lower.ends_with(".jpeg") {
        "image/jpeg"
    } else if lower.ends_with(".txt") {
        "text/plain"
    } else if lower.ends_with(".json") {
        "application/json"
    } else {
        "application/octet-stream"
    }
}

/// A message as the simulator stores and shows it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub channel_id: ChannelId,
    pub guild_id: Option<GuildId>,
    pub author_id: UserId,
    pub author_bot: bool,
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    pub attachments: Vec<Attachment>,
    pub flags: u64,
    pub edited: bool,
    pub edited_at_ms: Option<u64>,
    pub pinned: bool,
    /// Shown only to one user (flag 64).
    pub ephemeral: bool,
    /// The interaction this message answers, if any.
    pub interaction_id: Option<u64>,
    /// Thread started from this message.
    pub thread_id: Option<ChannelId>,
    /// Discord message type (0 default, 19 reply, 20 chat input command).
    pub kind: u64,
    /// The bot's own reactions (emoji names, e.g. "✅").
    pub reactions: Vec<String>,
}

impl Message {
    /// Whether the message shows "Bot is thinking..." (deferred, not yet edited).
    pub fn is_loading(&self) -> bool {
        self.flags & 128 != 0
    }

    /// All buttons (action rows and v2 sections), as (custom_id, label, disabled, style).
    pub fn buttons(&self) -> Vec<Button> {
        let mut out = Vec::new();
        for c in &self.components {
            collect_components(c, &mut |comp| {
                if comp.get("type").and_then(Value::as_u64) == Some(2) {
                    out.push(Button {
                        custom_id: comp
                            .get("custom_id")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                        label: comp.get("label").and_then(Value::as_str).map(str::to_owned),
                        style: comp.get("style").and_then(Value::as_u64).unwrap_or(1),
                        disabled: comp
                            .get("disabled")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                        url: comp.get("url").and_then(Value::as_str).map(str::to_owned),
                    });
                }
            });
        }
        out
    }

    /// Every component JSON (flattened, depth first).
    pub fn all_components(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for c in &self.components {
            collect_components(c, &mut |comp| out.push(comp.clone()));
        }
        out
    }

    /// Content, embed texts and v2 text displays joined (handy for asserts).
    pub fn text(&self) -> String {
        let mut s = self.content.clone();
        for e in &self.embeds {
            for key in ["title", "description"] {
                if let Some(t) = e.get(key).and_then(Value::as_str) {
                    s.push('\n');
                    s.push_str(t);
                }
            }
            for path in [["author", "name"], ["footer", "text"]] {
                if let Some(t) = e
                    .get(path[0])
                    .and_then(|x| x.get(path[1]))
                    .and_then(Value::as_str)
                {
                    s.push('\n');
                    s.push_str(t);
                }
            }
            if let Some(fields) = e.get("fields").and_then(Value::as_array) {
                for f in fields {
                    for key in ["name", "value"] {
                        if let Some(t) = f.get(key).and_then(Value::as_str) {
                            s.push('\n');
                            s.push_str(t);
                        }
                    }
                }
            }
        }
        for c in self.all_components() {
            if c.get("type").and_then(Value::as_u64) == Some(10)
                && let Some(t) = c.get("content").and_then(Value::as_str)
            {
                s.push('\n');
                s.push_str(t);
            }
        }
        s
    }

    pub fn to_json(&self, state: &State, app_id: u64) -> Value {
        let author = state
            .users
            .get(&self.author_id)
            .map(User::to_json)
            .unwrap_or_else(|| json!({"id": self.author_id.to_string(), "username": "unknown", "discriminator": "0", "avatar": null}));
        let mut v = json!({
            "id": self.id.to_string(),
            "channel_id": self.channel_id.to_string(),
            "author": author,
            "content": self.content,
            "timestamp": iso_from_ms(snowflake_unix_ms(self.id.0)),
            "edited_timestamp": self.edited_at_ms.map(iso_from_ms),
            "tts": false,
            "mention_everyone": false,
            "mentions": [],
            "mention_roles": [],
            "attachments": self.attachments.iter().map(Attachment::to_json).collect::<Vec<_>>(),
            "embeds": self.embeds,
            "components": self.components,
            "pinned": self.pinned,
            "type": self.kind,
            "flags": self.flags,
            "reactions": self.reactions.iter().map(|e| json!({
                "count": 1,
                "count_details": {"burst": 0, "normal": 1},
                "me": true,
                "me_burst": false,
                "burst_colors": [],
                "emoji": {"id": null, "name": e},
            })).collect::<Vec<_>>(),
        });
        if let Some(g) = self.guild_id {
            v["guild_id"] = json!(g.to_string());
        }
        if let Some(i) = self.interaction_id {
            v["webhook_id"] = json!(app_id.to_string());
            v["application_id"] = json!(app_id.to_string());
            if let Some(rec) = state.interactions.get(&i) {
                v["interaction_metadata"] = json!({
                    "id": i.to_string(),
                    "type": rec.kind_code(),
                    "user": state.users.get(&rec.user).map(User::to_json),
                    "authorizing_integration_owners": {"0": rec.guild.map(|g| g.to_string()).unwrap_or_default()},
                });
            }
        }
        if let Some(t) = self.thread_id
            && let Some(ch) = state.channels.get(&t)
        {
            v["thread"] = ch.to_json(state);
        }
        v
    }
}

/// A button found in a message.
#[derive(Clone, Debug, PartialEq)]
pub struct Button {
    pub custom_id: Option<String>,
    pub label: Option<String>,
    pub style: u64,
    pub disabled: bool,
    pub url: Option<String>,
}

/// Walks a component tree (action rows, v2 containers, sections, labels).
pub fn collect_components(c: &Value, f: &mut dyn FnMut(&Value)) {
    f(c);
    if let Some(children) = c.get("components").and_then(Value::as_array) {
        for child in children {
            collect_components(child, f);
        }
    }
    for key in ["accessory", "component"] {
        if let Some(child) = c.get(key)
            && child.is_object()
        {
            collect_components(child, f);
        }
    }
}

/// A guild.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Guild {
    pub id: GuildId,
    pub name: String,
    pub owner_id: UserId,
    pub roles: BTreeMap<RoleId, Role>,
    pub members: BTreeMap<UserId, Member>,
    pub channels: Vec<ChannelId>,
    pub bans: Vec<UserId>,
}

/// What a test gets back for an interaction's response.
#[derive(Clone, Debug, PartialEq)]
pub enum ResponseKind {
    /// Type 4: a message.
    Reply,
    /// Type 5: "thinking", content comes later by editing @original.
    DeferredReply,
    /// Type 7: the component's message was updated.
    UpdateMessage,
    /// Type 6: acknowledged, message may be edited later.
    DeferredUpdate,
    /// Type 9: a modal was opened.
    Modal,
    /// Type 8: autocomplete choices.
    Autocomplete,
    /// The bot did not answer within the deadline ("The application did not respond").
    TimedOut,
    /// The simulated client refused the action (unknown command, disabled button...).
    Rejected(String),
}

/// An autocomplete choice.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub name: String,
    pub value: Value,
}

/// A text input of an opened modal.
#[derive(Clone, Debug, PartialEq)]
pub struct TextInput {
    pub custom_id: String,
    pub label: Option<String>,
    pub style: u64,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub required: bool,
    pub value: Option<String>,
    /// Whether it sits in a v2 Label (type 18) rather than an action row.
    pub in_label: bool,
}

/// A modal the bot opened.
#[derive(Clone, Debug, PartialEq)]
pub struct Modal {
    pub custom_id: String,
    pub title: String,
    pub inputs: Vec<TextInput>,
    pub raw: Value,
}

/// Internal record of an interaction.
#[derive(Clone, Debug)]
pub struct InteractionRec {
    pub id: u64,
    pub token: String,
    pub kind: InteractionKind,
    pub created: Instant,
    pub user: UserId,
    pub guild: Option<GuildId>,
    pub channel: ChannelId,
    /// Message a component lives on.
    pub source_message: Option<MessageId>,
    /// The callback the bot sent (type, data).
    pub response: Option<(u64, Value)>,
    /// Where @original lives: (channel, message). For ephemeral ones the channel is the interaction's channel.
    pub original: Option<MessageId>,
    pub original_ephemeral: bool,
    pub followups: Vec<MessageId>,
    /// Choices, for autocomplete.
    pub choices: Option<Vec<Choice>>,
    pub modal: Option<Modal>,
    /// Told when the callback arrives, so whoever pressed learns it at once (as a client
    /// does) rather than by polling.
    pub answered: std::sync::Arc<tokio::sync::Notify>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InteractionKind {
    Command,
    Component,
    Autocomplete,
    ModalSubmit,
}

impl InteractionRec {
    pub fn kind_code(&self) -> u64 {
        match self.kind {
            InteractionKind::Command => 2,
            InteractionKind::Component => 3,
            InteractionKind::Autocomplete => 4,
            InteractionKind::ModalSubmit => 5,
        }
    }
}

/// A REST call the bot made.
#[derive(Clone, Debug)]
pub struct RecordedCall {
    pub method: String,
    /// e.g. `PATCH /channels/{channel_id}/messages/{message_id}`
    pub route: String,
    /// The concrete path with query, e.g. `/api/v10/channels/1/messages/2`.
    pub path: String,
    pub status: u16,
    pub at: std::time::SystemTime,
    pub body: Option<Value>,
}

/// Failures tests can inject with [`crate::DiscordSim::fail_next`].
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// Any status; 429 is answered like [`Failure::RateLimited`] with 1 s.
    Status(u16),
    /// 429 with this `retry_after` (seconds).
    RateLimited(f64),
    /// Never answer (the connection is held open for 60 s).
    Timeout,
    /// Hold the request this long, then answer 504 without handling it.
    Hold(std::time::Duration),
    /// Handle the request (Discord accepts it), then hold its answer this long: an answer
    /// lost to a client that gives up or dies first.
    AnswerLate(std::time::Duration),
}

/// Random faults on a share of the bot's REST calls (interaction callbacks excepted, as
/// their 3 s deadline is the bot's to meet), set with [`crate::DiscordSim::set_fault_plan`].
/// The seed alone decides which calls fail and how.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultPlan {
    /// Share of calls that fail, 0.0–1.0 (e.g. 0.1).
    pub rate: f64,
    pub seed: u64,
    /// How long a timed-out call is held before its 504 (longer than the client's timeout
    /// makes the client give up first).
    pub timeout: std::time::Duration,
    /// Whether a failing call may instead close the gateway (4000, resumable) and pass.
    pub gateway_drops: bool,
}

/// What a [`FaultPlan`] injected so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InjectedFaults {
    /// 429s with a random `retry_after` (not counted as rate-limit violations).
    pub rate_limited: usize,
    /// 500 and 502 answers.
    pub server_errors: usize,
    pub timeouts: usize,
    pub gateway_drops: usize,
}

impl InjectedFaults {
    pub fn total(&self) -> usize {
        self.rate_limited + self.server_errors + self.timeouts + self.gateway_drops
    }
}

/// Simulator settings.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub token: String,
    pub heartbeat_interval_ms: u64,
    /// Message creates + edits allowed per channel per window.
    pub channel_message_limit: u32,
    pub channel_message_window: Duration,
    /// Requests per second over all routes (interaction routes excluded).
    pub global_limit: u32,
    /// Default per-route bucket: requests per window.
    pub route_limit: u32,
    pub route_window: Duration,
    /// The interaction deadline (3 s on Discord).
    pub interaction_deadline: Duration,
    /// Interaction token lifetime (15 min on Discord).
    pub token_lifetime: Duration,
    /// Dispatches kept per session for RESUME.
    pub replay_buffer: usize,
    /// Where uploaded files are served (a server that also routes `/attachments/...`,
    /// e.g. the sandbox's web server, whose address outlives the simulator's port);
    /// `None`: the simulator itself.
    pub attachment_base_url: Option<String>,
    /// The application's OAuth2 client secret ("Log in with Discord").
    pub oauth_client_secret: String,
    /// `shards` recommended by `GET /gateway/bot`.
    pub recommended_shards: u32,
    /// `session_start_limit.max_concurrency`: identify buckets (`shard_id % max_concurrency`).
    pub max_concurrency: u32,
    /// `session_start_limit.total`: identifies allowed per day.
    pub session_start_total: u32,
    /// Minimum time between two IDENTIFYs in one bucket (5 s on Discord); a faster one is
    /// closed with 4008 (rate limited).
    pub identify_interval: Duration,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            token: "sim-bot-token.raidbot".to_owned(),
            heartbeat_interval_ms: 41_250,
            channel_message_limit: 5,
            channel_message_window: Duration::from_secs(5),
            global_limit: 50,
            route_limit: 50,
            route_window: Duration::from_secs(1),
            interaction_deadline: Duration::from_secs(3),
            token_lifetime: Duration::from_secs(15 * 60),
            replay_buffer: 10_000,
            attachment_base_url: None,
            oauth_client_secret: "sim-client-secret".to_owned(),
            recommended_shards: 1,
            max_concurrency: 1,
            session_start_total: 1000,
            identify_interval: Duration::from_secs(5),
        }
    }
}

/// The gateway side of the state: one session per identified shard, any number of
/// connections (one per shard a bot runs).
#[derive(Debug, Default)]
pub struct GatewayState {
    /// Sessions by id; a session outlives its connection so it can be resumed.
    pub sessions: HashMap<String, Session>,
    pub conns: HashMap<u64, Conn>,
    pub next_conn_id: u64,
    pub identify_count: usize,
    pub resume_count: usize,
    /// Every IDENTIFY and RESUME, accepted or not, in arrival order.
    pub log: Vec<GatewayLogin>,
    /// When each bucket (`shard_id % max_concurrency`) last identified successfully.
    pub last_identify: HashMap<u32, std::time::Instant>,
}

#[derive(Debug)]
pub struct Session {
    pub id: String,
    /// `[shard_id, shard_total]` as identified.
    pub shard: [u32; 2],
    pub seq: u64,
    pub buffer: std::collections::VecDeque<(u64, String)>,
    /// The connection this session is attached to (identified or resumed on it).
    pub conn: Option<u64>,
}

#[derive(Debug)]
pub struct Conn {
    pub id: u64,
    pub tx: tokio::sync::mpsc::UnboundedSender<Outgoing>,
    /// The session identified or resumed on this connection: dispatches flow.
    pub session: Option<String>,
}

/// What kind of login the simulator saw on its gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginKind {
    Identify,
    Resume,
}

/// One IDENTIFY or RESUME as the simulator received it (for tests of pacing and resume).
#[derive(Clone, Debug)]
pub struct GatewayLogin {
    pub kind: LoginKind,
    pub at: std::time::Instant,
    /// `[shard_id, shard_total]` (for a RESUME: of the session resumed, if known).
    pub shard: [u32; 2],
    /// `shard_id % max_concurrency`.
    pub bucket: u32,
    /// `false`: rejected (rate limited, unknown session, bad shard).
    pub accepted: bool,
}

#[derive(Debug)]
pub enum Outgoing {
    Text(String),
    Close(u16, String),
}

/// All mutable state, behind one mutex.
#[derive(Debug, Default)]
pub struct State {
    pub users: HashMap<UserId, User>,
    pub guilds: BTreeMap<GuildId, Guild>,
    pub channels: BTreeMap<ChannelId, Channel>,
    pub messages: HashMap<ChannelId, BTreeMap<MessageId, Message>>,
    /// Ephemeral messages per user.
    pub ephemerals: HashMap<UserId, Vec<Message>>,
    pub dm_channels: HashMap<UserId, ChannelId>,
    pub interactions: HashMap<u64, InteractionRec>,
    pub global_commands: Vec<Value>,
    pub guild_commands: HashMap<GuildId, Vec<Value>>,
    pub calls: Vec<RecordedCall>,
    pub failures: HashMap<String, (usize, Failure)>,
    /// Random faults, with the generator's state (xorshift) and what was injected.
    pub fault_plan: Option<(FaultPlan, u64)>,
    pub injected: InjectedFaults,
    /// Requests the simulator's own limits answered 429 (route and bucket), in order.
    pub violations: Vec<String>,
    pub gateway: GatewayState,
    pub ratelimit: crate::ratelimit::RateLimits,
    /// Files stored with their bytes (served under `/attachments/{id}/{filename}`).
    pub uploads: HashMap<u64, (Attachment, Vec<u8>)>,
    /// Messages created with `enforce_nonce`: (channel, nonce) → the message and when.
    pub nonces: HashMap<(ChannelId, String), (MessageId, std::time::Instant)>,
}

impl State {
    pub fn member_json(&self, m: &Member) -> Value {
        json!({
            "user": self.users.get(&m.user_id).map(User::to_json),
            "nick": m.nick,
            "avatar": null,
            "roles": m.roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            "joined_at": iso_from_ms(m.joined_at_ms),
            "premium_since": null,
            "deaf": false,
            "mute": false,
            "flags": 0,
            "pending": false,
            "communication_disabled_until": m.communication_disabled_until,
        })
    }

    /// Highest role position of a member (0 = only @everyone).
    pub fn top_position(&self, guild: GuildId, user: UserId) -> i64 {
        let Some(g) = self.guilds.get(&guild) else {
            return 0;
        };
        let Some(m) = g.members.get(&user) else {
            return 0;
        };
        m.roles
            .iter()
            .filter_map(|r| g.roles.get(r))
            .map(|r| r.position)
            .max()
            .unwrap_or(0)
    }

    /// Guild-level permissions of a member (owner and Administrator get all).
    pub fn permissions(&self, guild: GuildId, user: UserId) -> u64 {
        let Some(g) = self.guilds.get(&guild) else {
            return 0;
        };
        if g.owner_id == user {
            return u64::MAX;
        }
        let mut p = g
            .roles
            .get(&RoleId(guild.0))
            .map(|r| r.permissions)
            .unwrap_or(0);
        if let Some(m) = g.members.get(&user) {
            for r in &m.roles {
                if let Some(role) = g.roles.get(r) {
                    p |= role.permissions;
                }
            }
        }
        if p & perms::ADMINISTRATOR != 0 {
            u64::MAX
        } else {
            p
        }
    }

    /// A member's permissions in a channel, as Discord computes them: guild permissions,
    /// then the channel's @everyone, role and member overwrites (a thread uses its parent's).
    /// Owner and Administrator get all; DM channels allow everything.
    pub fn channel_permissions(&self, channel: ChannelId, user: UserId) -> u64 {
        let Some(ch) = self.channels.get(&channel) else {
            return 0;
        };
        let Some(guild) = ch.guild_id else {
            return u64::MAX;
        };
        let mut p = self.permissions(guild, user);
        if p == u64::MAX {
            return p;
        }
        let source = match (ch.kind, ch.parent_id) {
            (ChannelKind::PublicThread, Some(parent)) => self.channels.get(&parent).unwrap_or(ch),
            _ => ch,
        };
        let ow = &source.overwrites;
        if let Some(e) = ow.iter().find(|o| o.kind == 0 && o.id == guild.0) {
            p = (p & !e.deny) | e.allow;
        }
        let roles: Vec<u64> = self
            .guilds
            .get(&guild)
            .and_then(|g| g.members.get(&user))
            .map(|m| m.roles.iter().map(|r| r.0).collect())
            .unwrap_or_default();
        let (mut allow, mut deny) = (0, 0);
        for o in ow
            .iter()
            .filter(|o| o.kind == 0 && o.id != guild.0 && roles.contains(&o.id))
        {
            allow |= o.allow;
            deny |= o.deny;
        }
        p = (p & !deny) | allow;
        if let Some(m) = ow.iter().find(|o| o.kind == 1 && o.id == user.0) {
            p = (p & !m.deny) | m.allow;
        }
        p
    }

    pub fn guild_json(&self, g: &Guild, with_gateway_fields: bool) -> Value {
        let mut v = json!({
            "id": g.id.to_string(),
            "name": g.name,
            "icon": null,
            "splash": null,
            "discovery_splash": null,
            "owner_id": g.owner_id.to_string(),
            "afk_channel_id": null,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": g.roles.values().map(Role::to_json).collect::<Vec<_>>(),
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": null,
            "system_channel_id": null,
            "system_channel_flags": 0,
            "rules_channel_id": null,
            "vanity_url_code": null,
            "description": null,
            "banner": null,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": null,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": false,
            "max_members": 500000,
        });
        if with_gateway_fields {
            let (threads, channels): (Vec<_>, Vec<_>) = g
                .channels
                .iter()
                .filter_map(|c| self.channels.get(c))
                .partition(|c| c.kind == ChannelKind::PublicThread);
            v["joined_at"] = json!(iso_from_ms(snowflake_unix_ms(g.id.0)));
            v["large"] = json!(false);
            v["unavailable"] = json!(false);
            v["member_count"] = json!(g.members.len());
            v["voice_states"] = json!([]);
            v["presences"] = json!([]);
            v["stage_instances"] = json!([]);
            v["guild_scheduled_events"] = json!([]);
            v["members"] = json!(
                g.members
                    .values()
                    .map(|m| self.member_json(m))
                    .collect::<Vec<_>>()
            );
            v["channels"] = json!(channels.iter().map(|c| c.to_json(self)).collect::<Vec<_>>());
            v["threads"] = json!(threads.iter().map(|c| c.to_json(self)).collect::<Vec<_>>());
        }
        v
    }

    /// A message of `channel` or one of `user`'s ephemerals: what `user` can see. Looks
    /// through that user's ephemerals only (an interaction's answer is found per click, so
    /// a search through everyone's would grow with every click).
    pub fn visible_message(
        &self,
        user: UserId,
        channel: ChannelId,
        id: MessageId,
    ) -> Option<&Message> {
        self.messages
            .get(&channel)
            .and_then(|m| m.get(&id))
            .or_else(|| {
                self.ephemerals
                    .get(&user)
                    .and_then(|l| l.iter().find(|m| m.id == id))
            })
    }

    /// Find a message in a channel or among ephemerals.
    pub fn find_message(&self, channel: ChannelId, id: MessageId) -> Option<&Message> {
        if let Some(m) = self.messages.get(&channel).and_then(|m| m.get(&id)) {
            return Some(m);
        }
        self.ephemerals.values().flatten().find(|m| m.id == id)
    }

    pub fn find_message_mut(&mut self, channel: ChannelId, id: MessageId) -> Option<&mut Message> {
        if self
            .messages
            .get(&channel)
            .is_some_and(|m| m.contains_key(&id))
        {
            return self.messages.get_mut(&channel).and_then(|m| m.get_mut(&id));
        }
        self.ephemerals.values_mut().flatten().find(|m| m.id == id)
    }
}
