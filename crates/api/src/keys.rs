//! Per-guild API keys on the API's side: making a secret, hashing it for lookup, and
//! comparing secrets in constant time. The rows and the rules (who may create one, which
//! levels) are in `service::api_keys`.

use domain::Snowflake;
use domain::roles::Level;
use service::PgPool;
use service::api_keys::ApiKey;
use service::{Actor, ServiceError};
use sha2::{Digest, Sha256};

/// Every per-guild key starts with this, so a token without it is refused without a
/// database look-up (and a leaked key is easy to recognise in a scanner).
pub const PREFIX: &str = "rbk_";

/// A new random secret: the prefix and 256 random bits in hex.
pub fn generate() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{PREFIX}{}", hex::encode(bytes))
}

/// What the database stores and looks keys up by.
pub fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Whether two secrets are equal, in time that does not depend on where they differ
/// (both are hashed first, so neither their content nor their length leaks).
pub fn secrets_equal(a: &str, b: &str) -> bool {
    let (a, b) = (hash(a), hash(b));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// A key just created: the secret is shown once and never stored.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub secret: String,
    pub key: ApiKey,
}

/// Creates a key for `guild` (administrators only; see `service::api_keys::create`).
pub async fn create(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    label: &str,
    level: Level,
) -> Result<NewKey, ServiceError> {
    let secret = generate();
    let key = service::api_keys::create(pool, guild, actor, label, level, &hash(&secret)).await?;
    Ok(NewKey { secret, key })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_prefixed_and_compared_exactly() {
        let a = generate();
        let b = generate();
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 64);
        assert_ne!(a, b);
        assert!(secrets_equal(&a, &a.clone()));
        assert!(!secrets_equal(&a, &b));
        assert!(!secrets_equal(&a, &a[..a.len() - 1]));
    }
}
