//! Fault injection: failures tests queue with [`DiscordSim::fail_next`] for a route, and
//! random ones drawn for a share of all calls by a [`crate::model::FaultPlan`], answered
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
    if matches!(hit, Some(Failure::RateLimited(_) | Failure::Status(429))) {
        st.injected.rate_limited += 1;
    }
    hit
}

/// Draws from the fault plan, if one is set: `Some` failure to answer with, or `None` to
/// handle the call (after closing the gateway, when that is the fault drawn).
pub(super) fn draw(sim: &DiscordSim) -> Option<Failure> {
    let mut guard = sim.lock();
    let st = &mut *guard;
    let (plan, rng) = st.fault_plan.as_mut()?;
    let injected = &mut st.injected;
    let mut next = || {
        let mut x = *rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *rng = x;
        x
    };
    // 53 random bits as a fraction in [0, 1).
    let roll = (next() >> 11) as f64 / (1u64 << 53) as f64;
    if roll >= plan.rate {
        return None;
    }
    let kinds = if plan.gateway_drops { 4 } else { 3 };
    let failure = match next() % kinds {
        0 => {
            injected.rate_limited += 1;
            // 50–500 ms, as Discord's per-route resets mostly are.
            let ms = 50 + next() % 451;
            Failure::RateLimited(ms as f64 / 1000.0)
        }
        1 => {
            injected.server_errors += 1;
            Failure::Status(if next() % 2 == 0 { 500 } else { 502 })
        }
        2 => {
            injected.timeouts += 1;
            Failure::Hold(plan.timeout)
        }
        _ => {
            injected.gateway_drops += 1;
            drop(guard);
            sim.drop_gateway();
            return None;
        }
    };
    Some(failure)
}

/// The answer to an injected failure (a timeout waits a minute first, as a hung request).
pub(super) async fn respond(f: Failure) -> Response {
    match f {
        Failure::Timeout => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            error_response(&ApiError::new(504, 0, "504: Gateway Timeout"))
        }
        Failure::Hold(d) | Failure::AnswerLate(d) => {
            tokio::time::sleep(d).await;
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
