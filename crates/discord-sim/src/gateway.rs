//! The gateway websocket: HELLO, IDENTIFY/READY with shards, identify pacing per bucket,
//! heartbeats, RESUME with replay, dispatches routed to the shard holding their guild.
//!
//! As on Discord, a guild's events go only to shard `(guild_id >> 22) % shard_total`, and
//! events without a guild (DMs) to shard 0. An IDENTIFY in a bucket
//! (`shard_id % max_concurrency`) that identified less than
//! [`SimConfig::identify_interval`](crate::SimConfig) ago is closed with 4008
//! ("Rate limited": Discord's code for sending payloads too quickly; 4004 means a bad
//! token and is fatal for clients, which a pacing mistake is not).

use std::time::Instant;

use axum::extract::State as AxState;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::DiscordSim;
use crate::model::{Conn, GatewayLogin, LoginKind, Outgoing, Session, State};

/// The shard of `[0, total)` that receives a guild's events (Discord's formula).
pub fn shard_for_guild(guild_id: u64, shard_total: u32) -> u32 {
    ((guild_id >> 22) % u64::from(shard_total.max(1))) as u32
}

/// The body of `GET /gateway/bot`: the URL, recommended shards and session start limit.
pub(crate) fn gateway_bot_json(sim: &DiscordSim, st: &State) -> Value {
    let cfg = &sim.inner.config;
    let total = cfg.session_start_total;
    let remaining =
        total.saturating_sub(u32::try_from(st.gateway.identify_count).unwrap_or(u32::MAX));
    json!({
        "url": sim.gateway_url(),
        "shards": cfg.recommended_shards.max(1),
        "session_start_limit": {
            "total": total,
            "remaining": remaining,
            "reset_after": 86_400_000,
            "max_concurrency": cfg.max_concurrency.max(1),
        },
    })
}

/// `GET /?v=10&encoding=json` with an upgrade.
pub async fn ws_handler(AxState(sim): AxState<DiscordSim>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| run_connection(sim, socket))
}

async fn run_connection(sim: DiscordSim, socket: WebSocket) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
    let conn_id = {
        let mut st = sim.lock();
        let id = st.gateway.next_conn_id;
        st.gateway.next_conn_id += 1;
        st.gateway.conns.insert(
            id,
            Conn {
                id,
                tx: tx.clone(),
                session: None,
            },
        );
        id
    };
    tracing::debug!(conn_id, "discord-sim: gateway connection opened");
    let hello = json!({"op": 10, "s": null, "t": null, "d": {"heartbeat_interval": sim.inner.config.heartbeat_interval_ms, "_trace": ["discord-sim"]}});
    let _ = tx.send(Outgoing::Text(hello.to_string()));

    let (mut sink, mut stream) = socket.split();
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(Outgoing::Text(text)) => {
                    if sink.send(WsMessage::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(Outgoing::Close(code, reason)) => {
                    let _ = sink.send(WsMessage::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                    break;
                }
                None => break,
            },
            incoming = stream.next() => match incoming {
                Some(Ok(WsMessage::Text(text))) => handle_payload(&sim, conn_id, &tx, text.as_str()),
                Some(Ok(WsMessage::Binary(_))) => {
                    let _ = tx.send(Outgoing::Close(4002, "Error while decoding payload.".to_owned()));
                }
                Some(Ok(WsMessage::Close(frame))) => {
                    // As on Discord, closing with 1000/1001 ends the session (no RESUME).
                    if frame.is_some_and(|f| f.code == 1000 || f.code == 1001) {
                        end_session(&mut sim.lock(), conn_id);
                    }
                    break;
                }
                None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    let mut st = sim.lock();
    detach(&mut st, conn_id);
    st.gateway.conns.remove(&conn_id);
    tracing::debug!(conn_id, "discord-sim: gateway connection closed");
}

/// The connection's session (if any) keeps buffering for a later RESUME, unattached.
fn detach(st: &mut State, conn_id: u64) {
    let session = st
        .gateway
        .conns
        .get_mut(&conn_id)
        .and_then(|c| c.session.take());
    if let Some(s) = session.and_then(|id| st.gateway.sessions.get_mut(&id))
        && s.conn == Some(conn_id)
    {
        s.conn = None;
    }
}

/// The client closed normally: its session cannot be resumed.
fn end_session(st: &mut State, conn_id: u64) {
    let session = st
        .gateway
        .conns
        .get_mut(&conn_id)
        .and_then(|c| c.session.take());
    if let Some(id) = session {
        st.gateway.sessions.remove(&id);
    }
}

/// Attaches a session to a connection; a connection that held the session before is closed
/// (resumable), as when a bot reconnects before Discord noticed the old socket died.
fn attach(st: &mut State, conn_id: u64, session_id: &str) {
    let previous = st
        .gateway
        .sessions
        .get_mut(session_id)
        .and_then(|s| s.conn.replace(conn_id));
    if let Some(old) = previous.filter(|old| *old != conn_id)
        && let Some(c) = st.gateway.conns.get_mut(&old)
    {
        c.session = None;
        let _ = c.tx.send(Outgoing::Close(
            4000,
            "superseded by a new connection".to_owned(),
        ));
    }
    if let Some(c) = st.gateway.conns.get_mut(&conn_id) {
        c.session = Some(session_id.to_owned());
    }
}

fn token_matches(sim: &DiscordSim, given: &str) -> bool {
    let want = &sim.inner.config.token;
    given == want || given.strip_prefix("Bot ") == Some(want.as_str())
}

fn shard_of_payload(d: &Value) -> Option<[u32; 2]> {
    match d.get("shard") {
        None | Some(Value::Null) => Some([0, 1]),
        Some(Value::Array(a)) if a.len() == 2 => {
            let id = u32::try_from(a[0].as_u64()?).ok()?;
            let total = u32::try_from(a[1].as_u64()?).ok()?;
            (total >= 1 && id < total).then_some([id, total])
        }
        Some(_) => None,
    }
}

fn handle_payload(
    sim: &DiscordSim,
    conn_id: u64,
    tx: &mpsc::UnboundedSender<Outgoing>,
    text: &str,
) {
    let Ok(payload) = serde_json::from_str::<Value>(text) else {
        let _ = tx.send(Outgoing::Close(
            4002,
            "Error while decoding payload.".to_owned(),
        ));
        return;
    };
    let op = payload
        .get("op")
        .and_then(Value::as_u64)
        .unwrap_or(u64::MAX);
    let d = payload.get("d").cloned().unwrap_or(Value::Null);
    match op {
        1 => {
            let _ = tx.send(Outgoing::Text(
                json!({"op": 11, "s": null, "t": null, "d": null}).to_string(),
            ));
        }
        2 => identify(sim, conn_id, tx, &d),
        6 => resume(sim, conn_id, tx, &d),
        3 | 4 | 8 | 31 => {} // presence, voice state, request members, soundboard: accepted, ignored
        _ => {
            let _ = tx.send(Outgoing::Close(4001, "Unknown opcode.".to_owned()));
        }
    }
}

fn identify(sim: &DiscordSim, conn_id: u64, tx: &mpsc::UnboundedSender<Outgoing>, d: &Value) {
    let token = d.get("token").and_then(Value::as_str).unwrap_or("");
    if !token_matches(sim, token) {
        let _ = tx.send(Outgoing::Close(4004, "Authentication failed.".to_owned()));
        return;
    }
    let cfg = &sim.inner.config;
    let max_concurrency = cfg.max_concurrency.max(1);
    let mut st = sim.lock();
    let Some(conn) = st.gateway.conns.get(&conn_id) else {
        return;
    };
    if conn.session.is_some() {
        let _ = tx.send(Outgoing::Close(4005, "Already authenticated.".to_owned()));
        return;
    }
    let now = Instant::now();
    let Some(shard) = shard_of_payload(d) else {
        st.gateway.log.push(GatewayLogin {
            kind: LoginKind::Identify,
            at: now,
            shard: [0, 0],
            bucket: 0,
            accepted: false,
        });
        let _ = tx.send(Outgoing::Close(4010, "Invalid shard.".to_owned()));
        return;
    };
    let bucket = shard[0] % max_concurrency;
    let too_soon = st
        .gateway
        .last_identify
        .get(&bucket)
        .is_some_and(|last| now.duration_since(*last) < cfg.identify_interval);
    st.gateway.log.push(GatewayLogin {
        kind: LoginKind::Identify,
        at: now,
        shard,
        bucket,
        accepted: !too_soon,
    });
    if too_soon {
        let _ = tx.send(Outgoing::Close(
            4008,
            "You are being rate limited.".to_owned(),
        ));
        return;
    }
    st.gateway.last_identify.insert(bucket, now);
    st.gateway.identify_count += 1;
    // A new session for a shard replaces the old one of that shard (as the sim always did:
    // one bot per token), so no event goes to two sessions.
    let stale: Vec<String> = st
        .gateway
        .sessions
        .values()
        .filter(|s| s.shard == shard)
        .map(|s| s.id.clone())
        .collect();
    for id in stale {
        if let Some(old_conn) = st.gateway.sessions.remove(&id).and_then(|s| s.conn)
            && let Some(c) = st.gateway.conns.get_mut(&old_conn)
        {
            c.session = None;
            let _ = c.tx.send(Outgoing::Close(
                4000,
                "superseded by a new connection".to_owned(),
            ));
        }
    }
    let session_id = format!("sim{:016x}", crate::ids::next_snowflake());
    st.gateway.sessions.insert(
        session_id.clone(),
        Session {
            id: session_id.clone(),
            shard,
            seq: 0,
            buffer: Default::default(),
            conn: None,
        },
    );
    attach(&mut st, conn_id, &session_id);
    let ready = sim.ready_payload(&st, &session_id, shard);
    sim.send_to_session(&mut st, &session_id, "READY", ready);
    let guilds: Vec<Value> = st
        .guilds
        .values()
        .filter(|g| shard_for_guild(g.id.get(), shard[1]) == shard[0])
        .map(|g| st.guild_json(g, true))
        .collect();
    for g in guilds {
        sim.send_to_session(&mut st, &session_id, "GUILD_CREATE", g);
    }
}

fn resume(sim: &DiscordSim, conn_id: u64, tx: &mpsc::UnboundedSender<Outgoing>, d: &Value) {
    let token = d.get("token").and_then(Value::as_str).unwrap_or("");
    if !token_matches(sim, token) {
        let _ = tx.send(Outgoing::Close(4004, "Authentication failed.".to_owned()));
        return;
    }
    let session_id = d.get("session_id").and_then(Value::as_str).unwrap_or("");
    let seq = d.get("seq").and_then(Value::as_u64).unwrap_or(0);
    let max_concurrency = sim.inner.config.max_concurrency.max(1);
    let mut st = sim.lock();
    if !st.gateway.conns.contains_key(&conn_id) {
        return;
    }
    let found = st.gateway.sessions.get(session_id).map(|s| {
        // Replayable only if nothing after `seq` fell out of the buffer.
        let complete = s.buffer.front().is_none_or(|(first, _)| *first <= seq + 1);
        let frames: Vec<String> = s
            .buffer
            .iter()
            .filter(|(n, _)| *n > seq)
            .map(|(_, t)| t.clone())
            .collect();
        (s.shard, complete && seq <= s.seq, frames)
    });
    let shard = found.as_ref().map_or([0, 1], |(shard, _, _)| *shard);
    let accepted = found.as_ref().is_some_and(|(_, ok, _)| *ok);
    st.gateway.log.push(GatewayLogin {
        kind: LoginKind::Resume,
        at: Instant::now(),
        shard,
        bucket: shard[0] % max_concurrency,
        accepted,
    });
    match found {
        Some((_, true, frames)) => {
            st.gateway.resume_count += 1;
            attach(&mut st, conn_id, session_id);
            for f in frames {
                let _ = tx.send(Outgoing::Text(f));
            }
            sim.send_to_session(
                &mut st,
                session_id,
                "RESUMED",
                json!({"_trace": ["discord-sim"]}),
            );
        }
        _ => {
            // Invalid session, not resumable: the client must identify afresh.
            let _ = tx.send(Outgoing::Text(
                json!({"op": 9, "s": null, "t": null, "d": false}).to_string(),
            ));
        }
    }
}

/// The guild a dispatch belongs to, if any.
fn dispatch_guild(event: &str, data: &Value) -> Option<u64> {
    let field = match event {
        "GUILD_CREATE" | "GUILD_UPDATE" | "GUILD_DELETE" => "id",
        _ => "guild_id",
    };
    data.get(field)
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

impl DiscordSim {
    fn ready_payload(&self, st: &State, session_id: &str, shard: [u32; 2]) -> Value {
        json!({
            "v": 10,
            "user": self.current_user_json(st),
            "guilds": st
                .guilds
                .keys()
                .filter(|g| shard_for_guild(g.get(), shard[1]) == shard[0])
                .map(|g| json!({"id": g.to_string(), "unavailable": true}))
                .collect::<Vec<_>>(),
            "session_id": session_id,
            "resume_gateway_url": self.gateway_url(),
            "shard": shard,
            "application": {"id": self.inner.app_id.to_string(), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "user_settings": {},
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "auth": {},
            "_trace": ["discord-sim"],
        })
    }

    /// Sends a dispatch to every session whose shard holds its guild (DMs: shard 0),
    /// buffered for RESUME and sent on the live connection. Returns how many sessions
    /// got it.
    pub(crate) fn dispatch(&self, st: &mut State, event: &str, data: Value) -> usize {
        if let Some(change) = crate::events::from_dispatch(event, &data) {
            self.emit(change);
        }
        let guild = dispatch_guild(event, &data);
        let targets: Vec<String> = st
            .gateway
            .sessions
            .values()
            .filter(|s| match guild {
                Some(g) => shard_for_guild(g, s.shard[1]) == s.shard[0],
                None => s.shard[0] == 0,
            })
            .map(|s| s.id.clone())
            .collect();
        for id in &targets {
            self.send_to_session(st, id, event, data.clone());
        }
        targets.len()
    }

    /// Sends one dispatch to one session: numbered, buffered, and sent if attached.
    fn send_to_session(&self, st: &mut State, session_id: &str, event: &str, data: Value) {
        let cap = self.inner.config.replay_buffer;
        let Some(session) = st.gateway.sessions.get_mut(session_id) else {
            return;
        };
        session.seq += 1;
        let seq = session.seq;
        let frame = json!({"op": 0, "s": seq, "t": event, "d": data}).to_string();
        session.buffer.push_back((seq, frame.clone()));
        while session.buffer.len() > cap {
            session.buffer.pop_front();
        }
        if let Some(conn) = session.conn.and_then(|c| st.gateway.conns.get(&c)) {
            let _ = conn.tx.send(Outgoing::Text(frame));
        }
    }
}
