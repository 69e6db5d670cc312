//! Fault injection: failures tests queue with [`DiscordSim::fail_next`] for a route, answered
//! instead of handling the request.

use std::time::Duration;

use axum::response::Response;

use super::error_response;
use super::rate_limits::too_many;
use crate::DiscordSim;
use crate::limits::ApiError;
use crate::model::Failure;
use crate::ratelimit::Verdict;

/// The next failure queued for `template`, if any (it is used up).
pub(super) fn take(sim: &DiscordSim, template: &str) -> Option<Failure> {
    let mut st = sim.lock();
    let hit = st
        .failures
        .get_mut(template)
        .filter(|(n, _)| *n > 0)
        .map(|(n, f)| {
            *n -= 1;
            f.clone()
        });
    st.failures.retain(|_, (n, _)| *n > 0);
    hit
}

/// The answer to an injected failure (a timeout waits a minute first, as a hung request).
pub(super) async fn respond(f: Failure) -> Response {
    match f {
        Failure::Timeout => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            error_response(&ApiError::new(504, 0, "504: Gateway Timeout"))
        }
        Failure::RateLimited(secs) => injected_429(secs),
        Failure::Status(429) => injected_429(1.0),
        Failure::Status(code) => error_response(&ApiError::new(
            code,
            0,
            &format!("{code}: injected failure"),
        )),
    }
}

fn injected_429(secs: f64) -> Response {
    let d = Duration::from_secs_f64(secs.max(0.001));
    let v = Verdict {
        bucket: "injected".to_owned(),
        limit: 1,
        remaining: 0,
        reset_after: d,
        limited: true,
    };
    too_many(d, false, Some(&v))
}
