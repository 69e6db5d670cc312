//! Per-guild REST API keys: created and revoked by administrators, looked up by the API on
//! every request. The caller generates the secret and passes only its SHA-256 hash, so the
//! secret never reaches the database or a log.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use domain::Snowflake;
use domain::roles::{Level, RoleKey};
use serde_json::json;
use store::api_keys as store_keys;

/// A per-guild API key (its hash, level and label), as the API's auth sees it.
pub use store::api_keys::ApiKey;
use store::{PgPool, guild_config, logs};

use crate::error::Refusal;
use crate::{Actor, Result};

pub const LABEL_MAX: usize = 100;

/// Why an API key (or the audit log an administrator reads with one) was refused; the
/// adapters word it (`messages::api_keys`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("api key refused: {}", self.code())]
pub enum ApiKeyError {
    /// A label that is empty or longer than [`LABEL_MAX`].
    BadLabel,
    /// A level outside 1 to 8, or above the administrator's own.
    BadLevel,
    /// An audit action filter that is not snake_case words (as typed).
    BadAuditAction { text: String },
    /// No active key with this id in this guild.
    NoSuchKey { key_id: i64 },
}

impl ApiKeyError {
    /// A stable snake_case code for logs and the REST API.
    pub fn code(&self) -> &'static str {
        match self {
            ApiKeyError::BadLabel => "invalid_label",
            ApiKeyError::BadLevel => "invalid_level",
            ApiKeyError::BadAuditAction { .. } => "invalid_action",
            ApiKeyError::NoSuchKey { .. } => "not_found",
        }
    }

    /// What kind of refusal this is: each is a value that is not acceptable.
    pub fn kind(&self) -> Refusal {
        match self {
            ApiKeyError::NoSuchKey { .. } => Refusal::NotFound,
            _ => Refusal::Invalid,
        }
    }
}

/// Stores a new key of `level` for the guild. Administrators only; a key can never carry
/// more than its creator's level.
pub async fn create(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    label: &str,
    level: Level,
    key_hash: &[u8],
) -> Result<ApiKey> {
    actor.require(RoleKey::Administrator)?;
    let label = label.trim();
    let len = label.chars().count();
    if len == 0 || len > LABEL_MAX {
        return Err(ApiKeyError::BadLabel.into());
    }
    if !(1..=8).contains(&level.0) || level > actor.level {
        return Err(ApiKeyError::BadLevel.into());
    }
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    let key = store_keys::insert(&mut tx, guild, label, level, key_hash).await?;
    logs::record_audit(
        &mut tx,
        guild,
        &actor.audit(),
        "api_key_create",
        serde_json::Value::Null,
        json!({"key_id": key.key_id, "label": key.label, "level": key.level.0}),
    )
    .await?;
    tx.commit().await?;
    Ok(key)
}

/// How long an active key found in the database is trusted without asking again. A key
/// revoked through [`revoke`] in this process stops working at once; one revoked by
/// another process (`raidbot apikey revoke` while the API runs) within this time.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(2);
/// The most keys remembered; past it the cache starts afresh.
const KEY_CACHE_MAX: usize = 10_000;

/// Active keys by hash, with when they were read. Only active keys are kept, so an unknown
/// or revoked key is always looked up (wrong keys are throttled before they get here).
static KEY_CACHE: LazyLock<Mutex<KeyCache>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Key hash -> (when it was read, the key).
type KeyCache = HashMap<Vec<u8>, (Instant, ApiKey)>;

/// Counts revokes, so a lookup racing one does not cache what it read.
static REVOKES: AtomicU64 = AtomicU64::new(0);

fn key_cache() -> std::sync::MutexGuard<'static, KeyCache> {
    KEY_CACHE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The key whose secret hashes to `key_hash`, revoked or not. The API asks on every
/// request, so an active key is answered from memory for [`KEY_CACHE_TTL`].
pub async fn find(pool: &PgPool, key_hash: &[u8]) -> Result<Option<ApiKey>> {
    if let Some((read_at, key)) = key_cache().get(key_hash)
        && read_at.elapsed() < KEY_CACHE_TTL
    {
        return Ok(Some(key.clone()));
    }
    // A revoke that lands while this reads must not leave the key remembered as active.
    let generation = REVOKES.load(Ordering::SeqCst);
    let mut conn = pool.acquire().await?;
    let found = store_keys::find_by_hash(&mut conn, key_hash).await?;
    if let Some(key) = &found {
        let mut cache = key_cache();
        if key.revoked_at.is_none() && REVOKES.load(Ordering::SeqCst) == generation {
            if cache.len() >= KEY_CACHE_MAX {
                cache.clear();
            }
            cache.insert(key_hash.to_vec(), (Instant::now(), key.clone()));
        } else {
            cache.remove(key_hash);
        }
    }
    Ok(found)
}

/// The guild's keys, newest first. Administrators only.
pub async fn list(pool: &PgPool, guild: Snowflake, actor: &Actor) -> Result<Vec<ApiKey>> {
    actor.require(RoleKey::Administrator)?;
    let mut conn = pool.acquire().await?;
    Ok(store_keys::list(&mut conn, guild).await?)
}

/// The active keys an operator means by `label_or_id` (a key number or a label), in
/// `guild` when given. Administrators only.
pub async fn resolve(
    pool: &PgPool,
    guild: Option<Snowflake>,
    actor: &Actor,
    label_or_id: &str,
) -> Result<Vec<ApiKey>> {
    actor.require(RoleKey::Administrator)?;
    let text = label_or_id.trim();
    let key_id = text.trim_start_matches('#').parse::<i64>().ok();
    let mut conn = pool.acquire().await?;
    Ok(store_keys::find_active(&mut conn, guild, key_id, text).await?)
}

/// Revokes a key at once: the next request with it is refused. Administrators only.
pub async fn revoke(pool: &PgPool, guild: Snowflake, actor: &Actor, key_id: i64) -> Result<()> {
    actor.require(RoleKey::Administrator)?;
    let mut tx = pool.begin().await?;
    if !store_keys::revoke(&mut tx, guild, key_id).await? {
        return Err(ApiKeyError::NoSuchKey { key_id }.into());
    }
    logs::record_audit(
        &mut tx,
        guild,
        &actor.audit(),
        "api_key_revoke",
        json!({"key_id": key_id}),
        serde_json::Value::Null,
    )
    .await?;
    tx.commit().await?;
    REVOKES.fetch_add(1, Ordering::SeqCst);
    key_cache().retain(|_, (_, key)| !(key.guild_id == guild && key.key_id == key_id));
    Ok(())
}
