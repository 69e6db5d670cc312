//! Small typed ids and a realistic snowflake generator.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Discord epoch (2015-01-01T00:00:00Z) in milliseconds since the Unix epoch.
pub const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

macro_rules! id_type {
    ($($(#[$m:meta])* $name:ident),* $(,)?) => {$(
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub struct $name(pub u64);
        impl $name {
            /// The raw snowflake.
            pub const fn get(self) -> u64 { self.0 }
        }
        impl From<u64> for $name { fn from(v: u64) -> Self { Self(v) } }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { self.0.fmt(f) }
        }
    )*};
}

id_type!(
    /// A guild (server).
    GuildId,
    /// A channel (text, voice, forum, category, thread or DM).
    ChannelId,
    /// A user (people and the bot).
    UserId,
    /// A role in a guild.
    RoleId,
    /// A message.
    MessageId,
);

static COUNTER: AtomicU64 = AtomicU64::new(1);
static LAST: AtomicU64 = AtomicU64::new(0);

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(DISCORD_EPOCH_MS)
}

/// A fresh snowflake for "now". Strictly increasing within the process.
pub fn next_snowflake() -> u64 {
    snowflake_at(now_ms())
}

/// A snowflake whose timestamp is `unix_ms` (used for back-dated messages).
/// Ids made for "now" stay strictly increasing.
pub fn snowflake_at(unix_ms: u64) -> u64 {
    let ms = unix_ms.saturating_sub(DISCORD_EPOCH_MS);
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed) & 0x3F_FFFF;
    let id = (ms << 22) | counter;
    if unix_ms + 1000 < now_ms() {
        // back-dated: do not disturb the monotonic sequence
        return id;
    }
    let mut prev = LAST.load(Ordering::Relaxed);
    loop {
        let candidate = if id > prev { id } else { prev + 1 };
        match LAST.compare_exchange(prev, candidate, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return candidate,
            Err(actual) => prev = actual,
        }
    }
}

/// Unix milliseconds encoded in a snowflake.
pub fn snowflake_unix_ms(id: u64) -> u64 {
    (id >> 22) + DISCORD_EPOCH_MS
}

/// ISO-8601 timestamp as Discord writes it.
pub fn iso_from_ms(unix_ms: u64) -> String {
    let dt =
        chrono::DateTime::<chrono::Utc>::from_timestamp_millis(unix_ms as i64).unwrap_or_default();
    dt.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}
