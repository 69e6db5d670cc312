//! The page's JSON API under `/sim/`. Reads return the simulator's state as a client shows
//! it; actions go through the driver and return what Discord's client would show. Bad
//! requests get `{"error": "..."}` with a 4xx status; refusals Discord's client makes itself
//! (unknown command, missing option, a deleted message's button...) get 422 with
//! `{"outcome": "rejected", "error": "...", "detail": "..."}`.

use std::collections::HashMap;
use std::convert::Infallible;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::{Web, view};
use crate::driver::CommandOption;
use crate::ids::*;
use crate::model::{ChannelKind, ResponseKind, perms};
use crate::{InteractionResult, SimError};

/// Modals kept open at most (the oldest are forgotten first).
const MAX_OPEN_MODALS: usize = 256;

/// An error answer: a status and `{"error": ...}` (plus fields for refusals).
pub(crate) struct ApiErr(StatusCode, Value);

impl IntoResponse for ApiErr {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

fn err(status: StatusCode, msg: impl Into<String>) -> ApiErr {
    ApiErr(status, json!({"error": msg.into()}))
}

fn bad(msg: impl Into<String>) -> ApiErr {
    err(StatusCode::BAD_REQUEST, msg)
}

fn missing(msg: impl Into<String>) -> ApiErr {
    err(StatusCode::NOT_FOUND, msg)
}

fn forbidden(msg: impl Into<String>) -> ApiErr {
    err(StatusCode::FORBIDDEN, msg)
}

/// What the client refuses by itself, before anything reaches the bot.
fn refused(shown: &str, detail: &str) -> ApiErr {
    ApiErr(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({"outcome": "rejected", "error": shown, "detail": detail}),
    )
}

type Res = Result<Response, ApiErr>;

fn ok(v: Value) -> Res {
    Ok(Json(v).into_response())
}

fn parse<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiErr> {
    serde_json::from_slice(bytes).map_err(|e| bad(format!("invalid JSON body: {e}")))
}

fn snowflake(s: &str, what: &str) -> Result<u64, ApiErr> {
    s.trim()
        .parse::<u64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| {
            bad(format!(
                "`{what}` must be a snowflake id (digits), got `{s}`"
            ))
        })
}

pub(crate) async fn not_found() -> ApiErr {
    missing("no such route")
}

// ---------- reads ----------

pub(crate) async fn state(State(web): State<Web>) -> Res {
    let sim = &web.sim;
    let st = sim.lock();
    ok(view::state(&st, sim.inner.bot_user, sim.inner.app_id))
}

#[derive(Deserialize)]
pub(crate) struct GuildQuery {
    guild_id: Option<String>,
}

/// `GET /sim/commands?guild_id=G`: the guild's commands, then the global ones it does not shadow.
pub(crate) async fn commands(State(web): State<Web>, Query(q): Query<GuildQuery>) -> Res {
    let guild = q
        .guild_id
        .as_deref()
        .map(|g| snowflake(g, "guild_id"))
        .transpose()?;
    let st = web.sim.lock();
    let mut out: Vec<Value> = guild
        .and_then(|g| st.guild_commands.get(&GuildId(g)))
        .cloned()
        .unwrap_or_default();
    for c in &st.global_commands {
        let name = c.get("name");
        if !out.iter().any(|o| o.get("name") == name) {
            out.push(c.clone());
        }
    }
    ok(json!({ "commands": out }))
}

#[derive(Deserialize)]
pub(crate) struct MessagesQuery {
    #[serde(rename = "as")]
    as_user: Option<String>,
    limit: Option<usize>,
}

/// `GET /sim/channels/{id}/messages?as=U&limit=N`: the channel's latest messages with the
/// ephemerals only `U` sees there, oldest first.
pub(crate) async fn messages(
    State(web): State<Web>,
    Path(channel): Path<String>,
    Query(q): Query<MessagesQuery>,
) -> Res {
    let channel = ChannelId(snowflake(&channel, "channel_id")?);
    let viewer = q
        .as_user
        .as_deref()
        .map(|u| snowflake(u, "as"))
        .transpose()?
        .map(UserId);
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let st = web.sim.lock();
    let ch = st
        .channels
        .get(&channel)
        .ok_or_else(|| missing("unknown channel"))?;
    let mut list: Vec<&crate::Message> = st
        .messages
        .get(&channel)
        .map(|m| m.values().rev().take(limit).collect())
        .unwrap_or_default();
    if let Some(u) = viewer {
        list.extend(
            st.ephemerals
                .get(&u)
                .into_iter()
                .flatten()
                .filter(|m| m.channel_id == channel),
        );
    }
    list.sort_by_key(|m| m.id);
    let messages: Vec<Value> = list.iter().map(|m| view::message(&st, m)).collect();
    ok(json!({"channel": view::channel(ch), "messages": messages}))
}

/// `GET /sim/users/{id}/dm`: the DM channel between the user and the bot (made on first use).
pub(crate) async fn dm_channel(State(web): State<Web>, Path(user): Path<String>) -> Res {
    let user = UserId(snowflake(&user, "user_id")?);
    let sim = &web.sim;
    let mut st = sim.lock();
    match st.users.get(&user) {
        None => return Err(missing("unknown user")),
        Some(u) if u.bot => return Err(bad("the bot has no DMs with itself")),
        Some(_) => {}
    }
    let ch = sim.dm_channel(&mut st, user);
    ok(json!({"channel_id": ch.to_string()}))
}

#[derive(Deserialize)]
pub(crate) struct CallsQuery {
    since: Option<usize>,
}

/// `GET /sim/calls?since=N`: the bot's REST calls from index N (at most the last 500).
pub(crate) async fn calls(State(web): State<Web>, Query(q): Query<CallsQuery>) -> Res {
    let st = web.sim.lock();
    let total = st.calls.len();
    let from = q
        .since
        .unwrap_or(0)
        .min(total)
        .max(total.saturating_sub(500));
    let calls: Vec<Value> = st.calls[from..]
        .iter()
        .enumerate()
        .map(|(i, c)| {
            json!({
                "index": from + i,
                "method": c.method,
                "route": c.route,
                "path": c.path,
                "status": c.status,
                "at_ms": crate::events::unix_ms(c.at),
            })
        })
        .collect();
    ok(json!({"calls": calls, "next": total}))
}

/// `GET /sim/events`: the change feed as server-sent events (`data:` one JSON
/// [`crate::SimEvent`]); `event: resync` when the page fell behind and must read again.
pub(crate) async fn events(
    State(web): State<Web>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = web.sim.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let event = match rx.recv().await {
            Ok(ev) => Event::default()
                .json_data(&ev)
                .unwrap_or_else(|_| Event::default().event("resync").data("{}")),
            Err(RecvError::Lagged(_)) => Event::default().event("resync").data("{}"),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(event), rx))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

// ---------- members and users ----------

#[derive(Deserialize)]
pub(crate) struct NewMember {
    guild_id: String,
    name: String,
    #[serde(default)]
    role_ids: Vec<String>,
}

/// `POST /sim/members {"guild_id","name","role_ids"}` -> `{"user_id"}`: a new person joins.
pub(crate) async fn create_member(State(web): State<Web>, body: Bytes) -> Res {
    let b: NewMember = parse(&body)?;
    let guild = GuildId(snowflake(&b.guild_id, "guild_id")?);
    let name = b.name.trim();
    if name.is_empty() || name.chars().count() > 32 {
        return Err(bad("a name has 1 to 32 characters"));
    }
    let roles = {
        let st = web.sim.lock();
        let g = st
            .guilds
            .get(&guild)
            .ok_or_else(|| missing("unknown guild"))?;
        b.role_ids
            .iter()
            .map(|r| {
                let id = RoleId(snowflake(r, "role_ids")?);
                match g.roles.get(&id) {
                    Some(role) if !role.managed && id.0 != guild.0 => Ok(id),
                    _ => Err(bad(format!("role {r} cannot be given"))),
                }
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    let user = web.sim.create_user(name);
    web.sim.add_member(guild, user, &roles);
    ok(json!({"user_id": user.to_string()}))
}

#[derive(Deserialize)]
pub(crate) struct MemberPatch {
    actor_id: String,
    roles: Option<Vec<String>>,
    /// A new nickname; empty resets it.
    nick: Option<String>,
}

/// `PATCH /sim/members/{guild}/{user} {"actor_id","roles"?,"nick"?}`: an administrator (or
/// the member, for their own nickname) edits a member as Discord's client allows.
pub(crate) async fn patch_member(
    State(web): State<Web>,
    Path((guild, user)): Path<(String, String)>,
    body: Bytes,
) -> Res {
    let b: MemberPatch = parse(&body)?;
    let guild = GuildId(snowflake(&guild, "guild_id")?);
    let user = UserId(snowflake(&user, "user_id")?);
    let actor = UserId(snowflake(&b.actor_id, "actor_id")?);
    let new_roles = {
        let st = web.sim.lock();
        let g = st
            .guilds
            .get(&guild)
            .ok_or_else(|| missing("unknown guild"))?;
        let target = g
            .members
            .get(&user)
            .ok_or_else(|| missing("unknown member"))?;
        if !g.members.contains_key(&actor) {
            return Err(forbidden("the acting user is not a member of this server"));
        }
        let owner = g.owner_id == actor;
        let actor_perms = st.permissions(guild, actor);
        let actor_top = st.top_position(guild, actor);
        let new_roles = match &b.roles {
            None => None,
            Some(ids) => {
                if actor_perms & perms::MANAGE_ROLES == 0 {
                    return Err(forbidden(
                        "You need the Manage Roles permission to edit roles.",
                    ));
                }
                let wanted = ids
                    .iter()
                    .map(|r| snowflake(r, "roles").map(RoleId))
                    .collect::<Result<Vec<_>, _>>()?;
                let changed = wanted
                    .iter()
                    .filter(|r| !target.roles.contains(r))
                    .chain(target.roles.iter().filter(|r| !wanted.contains(r)));
                for r in changed {
                    let role = g
                        .roles
                        .get(r)
                        .ok_or_else(|| bad(format!("unknown role {r}")))?;
                    if role.managed || r.0 == guild.0 {
                        return Err(bad(format!(
                            "the role {} cannot be given or taken",
                            role.name
                        )));
                    }
                    if !owner && role.position >= actor_top {
                        return Err(forbidden(format!(
                            "You can only manage roles below your highest role ({} is not).",
                            role.name
                        )));
                    }
                }
                Some(wanted)
            }
        };
        if let Some(n) = &b.nick {
            if n.chars().count() > 32 {
                return Err(bad("a nickname has at most 32 characters"));
            }
            let own = actor == user;
            let may = own
                || owner
                || (actor_perms & perms::MANAGE_NICKNAMES != 0
                    && st.top_position(guild, user) < actor_top
                    && g.owner_id != user);
            if !may {
                return Err(forbidden("You cannot change this member's nickname."));
            }
        }
        new_roles
    };
    if let Some(roles) = new_roles {
        web.sim.set_member_roles(guild, user, &roles);
    }
    if let Some(n) = &b.nick {
        let n = n.trim();
        web.sim.set_nick(guild, user, (!n.is_empty()).then_some(n));
    }
    ok(json!({"ok": true}))
}

#[derive(Deserialize)]
pub(crate) struct UserPatch {
    dms_closed: bool,
}

/// `PATCH /sim/users/{id} {"dms_closed": bool}`: the person's "allow DMs" setting.
pub(crate) async fn patch_user(
    State(web): State<Web>,
    Path(user): Path<String>,
    body: Bytes,
) -> Res {
    let b: UserPatch = parse(&body)?;
    let user = UserId(snowflake(&user, "user_id")?);
    if !web.sim.lock().users.contains_key(&user) {
        return Err(missing("unknown user"));
    }
    web.sim.set_dms_closed(user, b.dms_closed);
    ok(json!({"ok": true}))
}

#[derive(Deserialize)]
pub(crate) struct UploadQuery {
    filename: Option<String>,
}

/// `POST /sim/upload?filename=F` (raw bytes, `Content-Type` of the file) -> the attachment
/// (`{"id","filename","content_type","size","url"}`) to name in a command or message.
pub(crate) async fn upload(
    State(web): State<Web>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Res {
    let name = q.filename.unwrap_or_default();
    if name.trim().is_empty() {
        return Err(bad("`filename` is required"));
    }
    if body.is_empty() {
        return Err(bad("the file is empty"));
    }
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .filter(|c| !c.starts_with("application/x-www-form-urlencoded"));
    let a = web.sim.upload(&name, ct, body.to_vec());
    let st = web.sim.lock();
    ok(view::attachment(&st, &a))
}

// ---------- acting ----------

/// An option as the page sends it: the value typed or picked (ids as strings), sub-options
/// of a subcommand, and whether it is the one being typed (autocomplete).
#[derive(Deserialize)]
pub(crate) struct OptIn {
    name: String,
    #[serde(default)]
    value: Value,
    #[serde(default)]
    options: Vec<OptIn>,
    #[serde(default)]
    focused: bool,
}

#[derive(Deserialize)]
pub(crate) struct CommandIn {
    guild_id: String,
    channel_id: String,
    user_id: String,
    name: String,
    #[serde(default)]
    options: Vec<OptIn>,
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Turns the page's options into typed ones by the registered command's option types, with
/// the checks Discord's client makes before sending (number format, ranges, lengths, that a
/// picked user, role, channel or file exists). Empty values count as not given.
fn convert(
    web: &Web,
    guild: GuildId,
    given: &[OptIn],
    registered: &[Value],
) -> Result<Vec<CommandOption>, String> {
    let mut out = Vec::new();
    for o in given {
        let Some(reg) = registered
            .iter()
            .find(|r| r.get("name").and_then(Value::as_str) == Some(o.name.as_str()))
        else {
            return Err(format!("`{}` is not an option of this command", o.name));
        };
        let kind = reg.get("type").and_then(Value::as_u64).unwrap_or(3);
        let sub_reg = || {
            reg.get("options")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        if kind == 1 {
            out.push(CommandOption::sub(
                &o.name,
                convert(web, guild, &o.options, &sub_reg())?,
            ));
            continue;
        }
        if kind == 2 {
            out.push(CommandOption::group(
                &o.name,
                convert(web, guild, &o.options, &sub_reg())?,
            ));
            continue;
        }
        let raw = text_of(&o.value).unwrap_or_default();
        if o.focused {
            out.push(CommandOption::string(&o.name, &raw).focused());
            continue;
        }
        if raw.trim().is_empty() {
            continue;
        }
        let name = o.name.as_str();
        let num = |key: &str| reg.get(key).and_then(Value::as_f64);
        let in_range = |v: f64| -> Result<(), String> {
            if let Some(min) = num("min_value").filter(|m| v < *m) {
                return Err(format!("`{name}` must be at least {min}"));
            }
            if let Some(max) = num("max_value").filter(|m| v > *m) {
                return Err(format!("`{name}` must be at most {max}"));
            }
            Ok(())
        };
        let opt = match kind {
            4 => {
                let v: i64 = raw
                    .trim()
                    .parse()
                    .map_err(|_| format!("`{name}` must be a whole number"))?;
                in_range(v as f64)?;
                CommandOption::int(name, v)
            }
            10 => {
                let v: f64 = raw
                    .trim()
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite())
                    .ok_or_else(|| format!("`{name}` must be a number"))?;
                in_range(v)?;
                CommandOption::number(name, v)
            }
            5 => match raw.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" => CommandOption::bool(name, true),
                "false" | "no" => CommandOption::bool(name, false),
                _ => return Err(format!("`{name}` must be True or False")),
            },
            6 | 7 | 8 | 9 | 11 => {
                let id = raw
                    .trim()
                    .trim_start_matches("<@&")
                    .trim_start_matches("<@!")
                    .trim_start_matches("<@")
                    .trim_start_matches("<#")
                    .trim_end_matches('>')
                    .parse::<u64>()
                    .map_err(|_| format!("pick a valid value for `{name}`"))?;
                let st = web.sim.lock();
                let g = st.guilds.get(&guild);
                let is_user = st.users.contains_key(&UserId(id));
                let is_role = g.is_some_and(|g| g.roles.contains_key(&RoleId(id)));
                match kind {
                    6 if is_user => CommandOption::user(name, UserId(id)),
                    9 if is_user => CommandOption::user(name, UserId(id)),
                    8 | 9 if is_role => CommandOption::role(name, RoleId(id)),
                    7 if st.channels.contains_key(&ChannelId(id)) => {
                        CommandOption::channel(name, ChannelId(id))
                    }
                    11 => match st.uploads.get(&id) {
                        Some((a, _)) => CommandOption::attachment(name, a.clone()),
                        None => return Err(format!("upload a file for `{name}`")),
                    },
                    _ => return Err(format!("pick a valid value for `{name}`")),
                }
            }
            _ => {
                if let Some(max) = num("max_length").filter(|m| raw.chars().count() as f64 > *m) {
                    return Err(format!("`{name}` must be at most {max} characters"));
                }
                if let Some(min) = num("min_length").filter(|m| (raw.chars().count() as f64) < *m) {
                    return Err(format!("`{name}` must be at least {min} characters"));
                }
                CommandOption::string(name, &raw)
            }
        };
        out.push(opt);
    }
    Ok(out)
}

/// Checks the guild, channel and member of an action; returns the typed ids.
fn place(
    web: &Web,
    guild: &str,
    channel: &str,
    user: &str,
) -> Result<(GuildId, ChannelId, UserId), ApiErr> {
    let guild = GuildId(snowflake(guild, "guild_id")?);
    let channel = ChannelId(snowflake(channel, "channel_id")?);
    let user = UserId(snowflake(user, "user_id")?);
    let st = web.sim.lock();
    let g = st
        .guilds
        .get(&guild)
        .ok_or_else(|| missing("unknown guild"))?;
    if !g.members.contains_key(&user) {
        return Err(forbidden("that user is not a member of this server"));
    }
    let ch = st
        .channels
        .get(&channel)
        .ok_or_else(|| missing("unknown channel"))?;
    let ok =
        ch.guild_id == Some(guild) || (ch.kind == ChannelKind::Dm && ch.recipient == Some(user));
    if !ok {
        return Err(bad("that channel is not in this server"));
    }
    Ok((guild, channel, user))
}

/// The registered command `name` (guild first, then global) and its options.
fn registered(web: &Web, guild: GuildId, name: &str) -> Option<Vec<Value>> {
    let st = web.sim.lock();
    let find = |list: &[Value]| {
        list.iter()
            .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
            .cloned()
    };
    let cmd = st
        .guild_commands
        .get(&guild)
        .and_then(|l| find(l))
        .or_else(|| find(&st.global_commands))?;
    Some(
        cmd.get("options")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
    )
}

fn unknown_command(name: &str) -> ApiErr {
    refused(
        &format!("/{name} is not a command in this server."),
        &format!("no command `/{name}` is registered"),
    )
}

/// `POST /sim/act/command {"guild_id","channel_id","user_id","name","options":[{"name","value"
/// | "options"}]}` -> an action result (see [`outcome`]).
pub(crate) async fn act_command(State(web): State<Web>, body: Bytes) -> Res {
    let b: CommandIn = parse(&body)?;
    let (guild, channel, user) = place(&web, &b.guild_id, &b.channel_id, &b.user_id)?;
    let name = b.name.trim().trim_start_matches('/');
    let reg = registered(&web, guild, name).ok_or_else(|| unknown_command(name))?;
    let options = convert(&web, guild, &b.options, &reg).map_err(|e| refused(&e, &e))?;
    let res = web
        .sim
        .run_command(guild, channel, user, name, options)
        .await;
    Ok(outcome(&web, res, false))
}

/// `POST /sim/act/autocomplete` (as a command, one option `"focused": true`) ->
/// `{"choices": [{"name","value"}]}`, with `"error"` when the bot did not answer.
pub(crate) async fn act_autocomplete(State(web): State<Web>, body: Bytes) -> Res {
    let b: CommandIn = parse(&body)?;
    let (guild, channel, user) = place(&web, &b.guild_id, &b.channel_id, &b.user_id)?;
    let name = b.name.trim().trim_start_matches('/');
    let reg = registered(&web, guild, name).ok_or_else(|| unknown_command(name))?;
    let options = convert(&web, guild, &b.options, &reg).map_err(|e| refused(&e, &e))?;
    match web
        .sim
        .autocomplete(guild, channel, user, name, options)
        .await
    {
        Ok(choices) => ok(json!({
            "choices": choices.iter().map(|c| json!({"name": c.name, "value": c.value})).collect::<Vec<_>>(),
        })),
        Err(SimError::Rejected(r)) => Err(refused(&r, &r)),
        Err(_) => ok(json!({"choices": [], "error": "Loading options failed"})),
    }
}

#[derive(Deserialize)]
pub(crate) struct ComponentIn {
    guild_id: String,
    channel_id: String,
    user_id: String,
    message_id: String,
    custom_id: String,
    #[serde(default)]
    values: Vec<String>,
}

/// `POST /sim/act/press {"guild_id","channel_id","user_id","message_id","custom_id"}`.
pub(crate) async fn act_press(State(web): State<Web>, body: Bytes) -> Res {
    let b: ComponentIn = parse(&body)?;
    let (guild, channel, user) = place(&web, &b.guild_id, &b.channel_id, &b.user_id)?;
    let message = MessageId(snowflake(&b.message_id, "message_id")?);
    let res = web
        .sim
        .press(guild, user, channel, message, &b.custom_id)
        .await;
    Ok(outcome(&web, res, true))
}

/// `POST /sim/act/select {..., "custom_id", "values": [..]}` (ids for user/role/channel selects).
pub(crate) async fn act_select(State(web): State<Web>, body: Bytes) -> Res {
    let b: ComponentIn = parse(&body)?;
    let (guild, channel, user) = place(&web, &b.guild_id, &b.channel_id, &b.user_id)?;
    let message = MessageId(snowflake(&b.message_id, "message_id")?);
    let values: Vec<&str> = b.values.iter().map(String::as_str).collect();
    let res = web
        .sim
        .select(guild, user, channel, message, &b.custom_id, &values)
        .await;
    Ok(outcome(&web, res, true))
}

#[derive(Deserialize)]
pub(crate) struct ModalIn {
    user_id: String,
    interaction_id: String,
    #[serde(default)]
    fields: HashMap<String, String>,
}

/// `POST /sim/act/modal {"user_id","interaction_id","fields":{custom_id: value}}`: submits
/// the modal that interaction opened. A refused submit (a field too long) keeps it open.
pub(crate) async fn act_modal(State(web): State<Web>, body: Bytes) -> Res {
    let b: ModalIn = parse(&body)?;
    let user = UserId(snowflake(&b.user_id, "user_id")?);
    let id = snowflake(&b.interaction_id, "interaction_id")?;
    let from = web
        .modals()
        .get(&id)
        .cloned()
        .ok_or_else(|| missing("that modal is no longer open"))?;
    if from.user != user {
        return Err(forbidden("that modal was opened by someone else"));
    }
    if let Some(m) = &from.modal {
        for input in &m.inputs {
            let v = b
                .fields
                .get(&input.custom_id)
                .map(String::as_str)
                .unwrap_or("");
            let len = v.chars().count() as u64;
            let label = input.label.as_deref().unwrap_or(&input.custom_id);
            if let Some(max) = input.max_length.filter(|m| len > *m) {
                let msg = format!("{label}: must be {max} or fewer in length.");
                return Err(refused(&msg, &msg));
            }
            if !v.is_empty()
                && let Some(min) = input.min_length.filter(|m| len < *m)
            {
                let msg = format!("{label}: must be {min} or more in length.");
                return Err(refused(&msg, &msg));
            }
        }
    }
    let fields: Vec<(&str, &str)> = b
        .fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let res = web.sim.submit_modal(user, &from, &fields).await;
    if !matches!(res.kind, ResponseKind::Rejected(_)) {
        web.modals().remove(&id);
    }
    Ok(outcome(&web, res, false))
}

#[derive(Deserialize)]
pub(crate) struct MessageIn {
    user_id: String,
    channel_id: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    attachment_ids: Vec<String>,
}

/// `POST /sim/act/message {"user_id","channel_id","content","attachment_ids"}` -> `{"message_id"}`:
/// a member writes in a channel, or a user DMs the bot (their DM channel).
pub(crate) async fn act_message(State(web): State<Web>, body: Bytes) -> Res {
    let b: MessageIn = parse(&body)?;
    let user = UserId(snowflake(&b.user_id, "user_id")?);
    let channel = ChannelId(snowflake(&b.channel_id, "channel_id")?);
    if b.content.chars().count() > 2000 {
        return Err(bad("a message has at most 2000 characters"));
    }
    let (kind, guild, recipient, attachments) = {
        let st = web.sim.lock();
        let ch = st
            .channels
            .get(&channel)
            .ok_or_else(|| missing("unknown channel"))?;
        let attachments = b
            .attachment_ids
            .iter()
            .map(|a| {
                let id = snowflake(a, "attachment_ids")?;
                st.uploads
                    .get(&id)
                    .map(|(a, _)| a.clone())
                    .ok_or_else(|| bad(format!("no uploaded file {id}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        (ch.kind, ch.guild_id, ch.recipient, attachments)
    };
    if b.content.trim().is_empty() && attachments.is_empty() {
        return Err(bad("write something or attach a file"));
    }
    let id = match kind {
        ChannelKind::Dm => {
            if recipient != Some(user) {
                return Err(forbidden("that is someone else's DM channel"));
            }
            web.sim.send_dm(user, &b.content, attachments)
        }
        ChannelKind::Text | ChannelKind::PublicThread => {
            let member = guild.is_some_and(|g| {
                web.sim
                    .lock()
                    .guilds
                    .get(&g)
                    .is_some_and(|g| g.members.contains_key(&user))
            });
            if !member {
                return Err(forbidden("that user is not a member of this server"));
            }
            web.sim
                .send_message_with_attachments(user, channel, &b.content, attachments)
        }
        _ => return Err(bad("you cannot send messages in this channel")),
    };
    ok(json!({"message_id": id.to_string()}))
}

/// What the client shows after an interaction:
/// `{"outcome": "reply"|"deferred"|"update"|"deferred_update"|"modal"|"timed_out"|"rejected",
///   "ephemeral", "message"?, "modal"?, "error"?, "interaction_id"}`. Components that fail
/// show "This interaction failed"; commands the bot leaves unanswered show "The application
/// did not respond".
fn outcome(web: &Web, res: InteractionResult, component: bool) -> Response {
    let failed_text = if component {
        "This interaction failed"
    } else {
        "The application did not respond"
    };
    let (name, error) = match &res.kind {
        ResponseKind::Reply => ("reply", None),
        ResponseKind::DeferredReply => ("deferred", None),
        ResponseKind::UpdateMessage => ("update", None),
        ResponseKind::DeferredUpdate => ("deferred_update", None),
        ResponseKind::Modal => ("modal", None),
        ResponseKind::Autocomplete => ("autocomplete", None),
        ResponseKind::TimedOut => ("timed_out", Some(failed_text)),
        ResponseKind::Rejected(r) => {
            let shown = if component {
                "This interaction failed".to_owned()
            } else {
                let mut c = r.chars();
                c.next()
                    .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                    .unwrap_or_default()
            };
            return refused(&shown, r).into_response();
        }
    };
    let mut v = json!({
        "outcome": name,
        "ephemeral": res.ephemeral,
        "interaction_id": res.interaction_id.to_string(),
    });
    if let Some(e) = error {
        v["error"] = json!(e);
    }
    if let Some(m) = &res.message {
        let st = web.sim.lock();
        v["message"] = view::message(&st, m);
    }
    if let Some(m) = &res.modal {
        v["modal"] = view::modal(res.interaction_id, m);
        let mut modals = web.modals();
        while modals.len() >= MAX_OPEN_MODALS {
            let Some(oldest) = modals.keys().min().copied() else {
                break;
            };
            modals.remove(&oldest);
        }
        modals.insert(res.interaction_id, res);
    }
    Json(v).into_response()
}
