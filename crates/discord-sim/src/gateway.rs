//! The gateway websocket: HELLO, IDENTIFY/READY, heartbeats, RESUME with replay, dispatches.

use axum::extract::State as AxState;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::DiscordSim;
use crate::model::{Conn, Outgoing, Session, State};

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
        if let Some(old) = st.gateway.conn.replace(Conn {
            id,
            tx: tx.clone(),
            ready: false,
        }) {
            let _ = old.tx.send(Outgoing::Close(
                4000,
                "superseded by a new connection".to_owned(),
            ));
        }
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
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    let mut st = sim.lock();
    if st.gateway.conn.as_ref().is_some_and(|c| c.id == conn_id) {
        st.gateway.conn = None;
    }
    tracing::debug!(conn_id, "discord-sim: gateway connection closed");
}

fn token_matches(sim: &DiscordSim, given: &str) -> bool {
    let want = &sim.inner.config.token;
    given == want || given.strip_prefix("Bot ") == Some(want.as_str())
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
        2 => {
            let token = d.get("token").and_then(Value::as_str).unwrap_or("");
            if !token_matches(sim, token) {
                let _ = tx.send(Outgoing::Close(4004, "Authentication failed.".to_owned()));
                return;
            }
            let mut st = sim.lock();
            if st.gateway.conn.as_ref().is_none_or(|c| c.id != conn_id) {
                return;
            }
            st.gateway.identify_count += 1;
            st.gateway.session = Some(Session {
                id: format!("sim{:016x}", crate::ids::next_snowflake()),
                seq: 0,
                buffer: Default::default(),
            });
            if let Some(c) = st.gateway.conn.as_mut() {
                c.ready = true;
            }
            let ready = sim.ready_payload(&st);
            sim.dispatch(&mut st, "READY", ready);
            let guilds: Vec<Value> = st.guilds.values().map(|g| st.guild_json(g, true)).collect();
            for g in guilds {
                sim.dispatch(&mut st, "GUILD_CREATE", g);
            }
        }
        6 => {
            let token = d.get("token").and_then(Value::as_str).unwrap_or("");
            if !token_matches(sim, token) {
                let _ = tx.send(Outgoing::Close(4004, "Authentication failed.".to_owned()));
                return;
            }
            let session_id = d.get("session_id").and_then(Value::as_str).unwrap_or("");
            let seq = d.get("seq").and_then(Value::as_u64).unwrap_or(0);
            let mut st = sim.lock();
            if st.gateway.conn.as_ref().is_none_or(|c| c.id != conn_id) {
                return;
            }
            let replay: Option<Vec<String>> = st
                .gateway
                .session
                .as_ref()
                .filter(|s| s.id == session_id)
                .map(|s| {
                    s.buffer
                        .iter()
                        .filter(|(n, _)| *n > seq)
                        .map(|(_, t)| t.clone())
                        .collect()
                });
            match replay {
                Some(frames) => {
                    st.gateway.resume_count += 1;
                    for f in frames {
                        let _ = tx.send(Outgoing::Text(f));
                    }
                    if let Some(c) = st.gateway.conn.as_mut() {
                        c.ready = true;
                    }
                    sim.dispatch(&mut st, "RESUMED", json!({"_trace": ["discord-sim"]}));
                }
                None => {
                    let _ = tx.send(Outgoing::Text(
                        json!({"op": 9, "s": null, "t": null, "d": false}).to_string(),
                    ));
                }
            }
        }
        3 | 4 | 8 | 31 => {} // presence, voice state, request members, soundboard: accepted, ignored
        _ => {
            let _ = tx.send(Outgoing::Close(4001, "Unknown opcode.".to_owned()));
        }
    }
}

impl DiscordSim {
    fn ready_payload(&self, st: &State) -> Value {
        json!({
            "v": 10,
            "user": self.current_user_json(st),
            "guilds": st.guilds.keys().map(|g| json!({"id": g.to_string(), "unavailable": true})).collect::<Vec<_>>(),
            "session_id": st.gateway.session.as_ref().map(|s| s.id.clone()).unwrap_or_default(),
            "resume_gateway_url": self.gateway_url(),
            "shard": [0, 1],
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

    /// Sends a dispatch to the session (buffered for RESUME) and to the live connection.
    pub(crate) fn dispatch(&self, st: &mut State, event: &str, data: Value) {
        if let Some(change) = crate::events::from_dispatch(event, &data) {
            self.emit(change);
        }
        let cap = self.inner.config.replay_buffer;
        let Some(session) = st.gateway.session.as_mut() else {
            return;
        };
        session.seq += 1;
        let seq = session.seq;
        let frame = json!({"op": 0, "s": seq, "t": event, "d": data}).to_string();
        session.buffer.push_back((seq, frame.clone()));
        while session.buffer.len() > cap {
            session.buffer.pop_front();
        }
        if let Some(conn) = st.gateway.conn.as_ref().filter(|c| c.ready) {
            let _ = conn.tx.send(Outgoing::Text(frame));
        }
    }
}
