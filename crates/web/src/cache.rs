//! Discord's answers, kept for a short time so that a page (or the overview's refresh
//! every 20 s) does not ask Discord twice each time: the person's server list per session,
//! a member's roles, a server's roles and channels. Pages that only raiders' content need
//! use them; anything that needs staff, and every change, asks Discord again
//! ([`crate::access::Freshness`]).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use domain::Snowflake;

use crate::discord::{MyGuild, Named};

/// How long an answer is used.
pub const TTL: Duration = Duration::from_secs(30);
/// Entries per map before expired ones are swept (and, if still full, all are dropped).
const CAPACITY: usize = 20_000;

/// A map whose entries expire.
pub struct Ttl<K, V> {
    ttl: Duration,
    map: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> Ttl<K, V> {
    pub fn new(ttl: Duration) -> Self {
        Ttl {
            ttl,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// The value stored under `key` less than the TTL ago.
    pub fn get(&self, key: &K) -> Option<V> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    pub fn put(&self, key: K, value: V) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CAPACITY {
            let ttl = self.ttl;
            map.retain(|_, (at, _)| at.elapsed() < ttl);
            if map.len() >= CAPACITY {
                map.clear();
            }
        }
        map.insert(key, (Instant::now(), value));
    }

    pub fn remove(&self, key: &K) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(key);
    }
}

/// Every cached Discord answer of one dashboard process.
pub struct DiscordCache {
    /// `users/@me/guilds` per session (by the session's hash).
    pub my_guilds: Ttl<Vec<u8>, Vec<MyGuild>>,
    /// A member's role ids (`None`: not a member).
    pub member_roles: Ttl<(Snowflake, Snowflake), Option<Vec<Snowflake>>>,
    pub guild_roles: Ttl<Snowflake, Vec<Named>>,
    pub guild_channels: Ttl<Snowflake, Vec<Named>>,
}

impl DiscordCache {
    pub fn new(ttl: Duration) -> Self {
        DiscordCache {
            my_guilds: Ttl::new(ttl),
            member_roles: Ttl::new(ttl),
            guild_roles: Ttl::new(ttl),
            guild_channels: Ttl::new(ttl),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire() {
        let c: Ttl<u8, u8> = Ttl::new(Duration::from_millis(0));
        c.put(1, 2);
        assert_eq!(c.get(&1), None);
        let c: Ttl<u8, u8> = Ttl::new(Duration::from_secs(60));
        c.put(1, 2);
        assert_eq!(c.get(&1), Some(2));
        c.remove(&1);
        assert_eq!(c.get(&1), None);
    }
}
