//! The audit log as staff read it: every configuration change, API key and setting, with
//! who made it and the values before and after.

use domain::Snowflake;
use domain::roles::RoleKey;
use store::PgPool;

pub use store::logs::AuditEntry;

use crate::{Actor, Result};

/// The most entries one request returns.
pub const PAGE_MAX: i64 = 100;

/// The guild's audit entries, newest first, below the entry `before` when given, only
/// `action` when given. Administrators only (it lists keys and every setting).
pub async fn entries(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    action: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEntry>> {
    actor.require(RoleKey::Administrator)?;
    if let Some(a) = action
        && (a.is_empty() || a.len() > 64 || !a.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
    {
        return Err(crate::api_keys::ApiKeyError::BadAuditAction { text: a.to_owned() }.into());
    }
    let mut conn = pool.acquire().await?;
    Ok(store::logs::audit_page(&mut conn, guild, action, before, limit.clamp(1, PAGE_MAX)).await?)
}
