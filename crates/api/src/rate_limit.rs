//! A token bucket per API key: `burst` requests at once, refilled at `per_second`
//! (`API_RATE_LIMIT`, e.g. `200/20`). The service key is not limited: it belongs to the
//! operator's own integrations. Wrong keys are also throttled per client address, so a
//! flood of guessed keys is answered 429 without a database lookup each.
//!
//! Buckets live in memory. That is allowed by the design because this is only a limit,
//! not state: a restart or another replica merely starts a client with a full bucket.
//! Answers carry `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`; a request
//! over the limit gets 429 with `Retry-After`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{ApiError, keys};

/// How fast one key may call the API.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Requests a key may make at once (the bucket's size).
    pub burst: u32,
    /// Requests per second added back to the bucket.
    pub per_second: f64,
}

impl Default for RateLimit {
    /// Generous enough for a dashboard or a script, low enough to stop a runaway loop.
    fn default() -> Self {
        RateLimit {
            burst: 200,
            per_second: 20.0,
        }
    }
}

impl std::str::FromStr for RateLimit {
    type Err = String;

    /// `BURST/PER_SECOND`, e.g. `200/20` or `50/0.5`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{text}` is not BURST/PER_SECOND such as 200/20");
        let (burst, rate) = text.trim().split_once('/').ok_or_else(bad)?;
        let burst: u32 = burst.trim().parse().map_err(|_| bad())?;
        let per_second: f64 = rate.trim().parse().map_err(|_| bad())?;
        if burst == 0 || !per_second.is_finite() || per_second <= 0.0 {
            return Err(bad());
        }
        Ok(RateLimit { burst, per_second })
    }
}

/// Wrong keys one client address may send at once, and how many more per second.
const BAD_KEYS_BURST: f64 = 20.0;
const BAD_KEYS_PER_SECOND: f64 = 1.0;

/// More distinct keys than this (most of them wrong keys, typically) and full buckets are
/// forgotten, so guessing keys cannot grow memory without bound.
const MAX_BUCKETS: usize = 10_000;

struct Bucket {
    tokens: f64,
    updated: Instant,
}

pub(crate) struct Limiter {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<[u8; 32], Bucket>>,
    /// The service key's hash: not limited.
    exempt: Option<[u8; 32]>,
    /// Wrong keys per client address.
    bad_keys: Mutex<HashMap<std::net::IpAddr, Bucket>>,
}

enum Decision {
    Allowed { remaining: u64, reset_secs: u64 },
    Limited { retry_after_secs: u64 },
}

impl Limiter {
    pub(crate) fn new(limit: RateLimit, service_key: Option<&str>) -> Arc<Limiter> {
        let per_second = if limit.per_second.is_finite() && limit.per_second > 0.0 {
            limit.per_second
        } else {
            0.001
        };
        Arc::new(Limiter {
            burst: f64::from(limit.burst.max(1)),
            per_second,
            buckets: Mutex::new(HashMap::new()),
            exempt: service_key.filter(|k| !k.is_empty()).map(keys::hash),
            bad_keys: Mutex::new(HashMap::new()),
        })
    }

    /// Seconds until `address` may try another key, when it has sent too many wrong ones.
    fn bad_keys_wait(&self, address: std::net::IpAddr, now: Instant) -> Option<u64> {
        let buckets = self.bad_keys.lock().unwrap_or_else(|p| p.into_inner());
        let b = buckets.get(&address)?;
        let tokens = (b.tokens + now.duration_since(b.updated).as_secs_f64() * BAD_KEYS_PER_SECOND)
            .min(BAD_KEYS_BURST);
        (tokens < 1.0).then(|| ((1.0 - tokens) / BAD_KEYS_PER_SECOND).ceil().max(1.0) as u64)
    }

    /// Counts a wrong key sent from `address`.
    fn bad_key(&self, address: std::net::IpAddr, now: Instant) {
        let mut buckets = self.bad_keys.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(&address) {
            buckets.clear();
        }
        let b = buckets.entry(address).or_insert(Bucket {
            tokens: BAD_KEYS_BURST,
            updated: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.updated).as_secs_f64() * BAD_KEYS_PER_SECOND)
            .min(BAD_KEYS_BURST)
            - 1.0;
        b.updated = now;
    }

    fn take(&self, key: [u8; 32], now: Instant) -> Decision {
        // A poisoned lock only means another request panicked mid-update of a counter;
        // the counters are still usable.
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(&key) {
            let (burst, rate) = (self.burst, self.per_second);
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * rate < burst
            });
            if buckets.len() >= MAX_BUCKETS {
                buckets.clear();
            }
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Decision::Allowed {
                remaining: bucket.tokens.floor() as u64,
                reset_secs: ((self.burst - bucket.tokens) / self.per_second).ceil() as u64,
            }
        } else {
            Decision::Limited {
                retry_after_secs: ((1.0 - bucket.tokens) / self.per_second).ceil().max(1.0) as u64,
            }
        }
    }
}

/// The middleware. Requests without a bearer token (public routes, or a 401 to come) are
/// not counted.
pub(crate) async fn limit(
    State(limiter): State<Arc<Limiter>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(token) = bearer_token(request.headers()) else {
        return next.run(request).await;
    };
    let key = keys::hash(token);
    if limiter.exempt == Some(key) {
        return next.run(request).await;
    }
    let address = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(wait) = address.and_then(|a| limiter.bad_keys_wait(a, Instant::now())) {
        let mut error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("Too many invalid API keys from this address; try again in {wait} s."),
        );
        error.retry_after = Some(wait);
        return error.into_response();
    }
    let limit = HeaderValue::from(limiter.burst as u64);
    match limiter.take(key, Instant::now()) {
        Decision::Allowed {
            remaining,
            reset_secs,
        } => {
            let mut response = next.run(request).await;
            if response.status() == StatusCode::UNAUTHORIZED
                && let Some(address) = address
            {
                limiter.bad_key(address, Instant::now());
            }
            let headers = response.headers_mut();
            headers.insert("ratelimit-limit", limit);
            headers.insert("ratelimit-remaining", HeaderValue::from(remaining));
            headers.insert("ratelimit-reset", HeaderValue::from(reset_secs));
            response
        }
        Decision::Limited { retry_after_secs } => {
            let mut error = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("Too many requests with this key; try again in {retry_after_secs} s."),
            );
            error.retry_after = Some(retry_after_secs);
            let mut response = error.into_response();
            let headers = response.headers_mut();
            headers.insert("ratelimit-limit", limit);
            headers.insert("ratelimit-remaining", HeaderValue::from(0u64));
            headers.insert("ratelimit-reset", HeaderValue::from(retry_after_secs));
            response
        }
    }
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_bucket_empties_and_refills() {
        let limiter = Limiter::new(
            RateLimit {
                burst: 2,
                per_second: 1.0,
            },
            None,
        );
        let start = Instant::now();
        let key = [1u8; 32];
        assert!(matches!(
            limiter.take(key, start),
            Decision::Allowed { remaining: 1, .. }
        ));
        assert!(matches!(
            limiter.take(key, start),
            Decision::Allowed { remaining: 0, .. }
        ));
        assert!(matches!(
            limiter.take(key, start),
            Decision::Limited {
                retry_after_secs: 1
            }
        ));
        // Another key has its own bucket.
        assert!(matches!(
            limiter.take([2u8; 32], start),
            Decision::Allowed { .. }
        ));
        let later = start + Duration::from_millis(1100);
        assert!(matches!(limiter.take(key, later), Decision::Allowed { .. }));
    }

    #[test]
    fn nonsense_settings_do_not_divide_by_zero() {
        let limiter = Limiter::new(
            RateLimit {
                burst: 0,
                per_second: 0.0,
            },
            None,
        );
        let now = Instant::now();
        assert!(matches!(
            limiter.take([0; 32], now),
            Decision::Allowed { .. }
        ));
        assert!(matches!(
            limiter.take([0; 32], now),
            Decision::Limited { .. }
        ));
    }
}
