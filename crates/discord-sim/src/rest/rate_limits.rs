//! Rate limits: the global limit, per-route buckets and the shared channel-message bucket,
//! and the 429 answers and `x-ratelimit-*` headers Discord sends.

use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Params;
use crate::SimConfig;
use crate::model::State;
use crate::ratelimit::Verdict;

pub(super) fn add_ratelimit_headers(h: &mut HeaderMap, v: &Verdict) {
    let reset_at = SystemTime::now()
        .checked_add(v.reset_after)
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let pairs = [
        ("x-ratelimit-bucket", v.bucket.clone()),
        ("x-ratelimit-limit", v.limit.to_string()),
        ("x-ratelimit-remaining", v.remaining.to_string()),
        ("x-ratelimit-reset", format!("{reset_at:.3}")),
        (
            "x-ratelimit-reset-after",
            format!("{:.3}", v.reset_after.as_secs_f64()),
        ),
        ("x-ratelimit-scope", "user".to_owned()),
    ];
    for (k, val) in pairs {
        if let Ok(hv) = HeaderValue::from_str(&val) {
            h.insert(k, hv);
        }
    }
}

pub(super) fn too_many(retry_after: Duration, global: bool, verdict: Option<&Verdict>) -> Response {
    let secs = retry_after.as_secs_f64().max(0.001);
    let body = json!({"message": "You are being rate limited.", "retry_after": (secs * 1000.0).round() / 1000.0, "global": global});
    let mut resp = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&(secs.ceil() as u64).max(1).to_string()) {
        h.insert("retry-after", v);
    }
    if global {
        h.insert("x-ratelimit-global", HeaderValue::from_static("true"));
        h.insert("x-ratelimit-scope", HeaderValue::from_static("global"));
    } else if let Some(v) = verdict {
        add_ratelimit_headers(h, v);
    }
    resp
}

/// Takes a request from its buckets (the global one, then the route's, or the shared bucket of
/// message writes in a channel): the verdict to report in headers, or the 429 to answer.
pub(super) fn take(
    st: &mut State,
    cfg: &SimConfig,
    template: &str,
    params: &Params,
) -> Result<Verdict, Box<Response>> {
    if let Some(retry) = st.ratelimit.take_global(cfg.global_limit) {
        st.violations.push(format!("{template} (global)"));
        return Err(Box::new(too_many(retry, true, None)));
    }
    let v = if template == "POST /channels/{channel_id}/messages"
        || template == "PATCH /channels/{channel_id}/messages/{message_id}"
    {
        st.ratelimit.take(
            "channel-messages-write",
            params.channel.as_deref().unwrap_or(""),
            cfg.channel_message_limit,
            cfg.channel_message_window,
        )
    } else {
        let resource = params
            .channel
            .as_deref()
            .or(params.guild.as_deref())
            .unwrap_or("");
        st.ratelimit
            .take(template, resource, cfg.route_limit, cfg.route_window)
    };
    if v.limited {
        st.violations
            .push(format!("{template} (bucket {})", v.bucket));
        return Err(Box::new(too_many(v.reset_after, false, Some(&v))));
    }
    Ok(v)
}
