//! Fixed-window rate limit buckets with Discord's headers.

use std::collections::HashMap;
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Window {
    start: Instant,
    count: u32,
}

/// Counters for all buckets plus the global limit.
#[derive(Debug, Default)]
pub struct RateLimits {
    buckets: HashMap<(String, String), Window>,
    global: Option<Window>,
}

/// Outcome of taking a token from a bucket.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub bucket: String,
    pub limit: u32,
    pub remaining: u32,
    pub reset_after: Duration,
    /// Exceeded: answer 429.
    pub limited: bool,
}

impl RateLimits {
    /// Takes one request from the bucket `(name, resource)`.
    pub fn take(&mut self, name: &str, resource: &str, limit: u32, window: Duration) -> Verdict {
        let now = Instant::now();
        let w = self
            .buckets
            .entry((name.to_owned(), resource.to_owned()))
            .or_insert(Window {
                start: now,
                count: 0,
            });
        if now.duration_since(w.start) >= window {
            w.start = now;
            w.count = 0;
        }
        let reset_after = window.saturating_sub(now.duration_since(w.start));
        if w.count >= limit {
            return Verdict {
                bucket: bucket_hash(name),
                limit,
                remaining: 0,
                reset_after,
                limited: true,
            };
        }
        w.count += 1;
        Verdict {
            bucket: bucket_hash(name),
            limit,
            remaining: limit - w.count,
            reset_after,
            limited: false,
        }
    }

    /// Takes one request from the global per-second limit; `Some(retry_after)` when exceeded.
    pub fn take_global(&mut self, limit: u32) -> Option<Duration> {
        let now = Instant::now();
        let w = self.global.get_or_insert(Window {
            start: now,
            count: 0,
        });
        if now.duration_since(w.start) >= Duration::from_secs(1) {
            w.start = now;
            w.count = 0;
        }
        if w.count >= limit {
            return Some(Duration::from_secs(1).saturating_sub(now.duration_since(w.start)));
        }
        w.count += 1;
        None
    }
}

/// An opaque bucket id like Discord's (stable per bucket name).
fn bucket_hash(name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}
