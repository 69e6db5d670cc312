//! Authentication: every route but interaction callbacks and webhooks needs the bot token.

use axum::http::HeaderMap;

use crate::DiscordSim;

/// Whether the request carries the bot's token (`Bot <token>`, or the bare token).
pub(super) fn authorized(sim: &DiscordSim, headers: &HeaderMap) -> bool {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let want = &sim.inner.config.token;
    auth == format!("Bot {want}") || auth == want.as_str()
}
