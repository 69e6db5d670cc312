//! Per-guild REST API keys. Only the SHA-256 hash of a key is stored; the key itself is
//! shown once, when it is created.

use chrono::{DateTime, Utc};
use domain::Snowflake;
use domain::roles::Level;

use crate::{PgConnection, Result, StoreError};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ApiKey {
    #[sqlx(try_from = "crate::columns::Id")]
    pub guild_id: Snowflake,
    pub key_id: i64,
    pub label: String,
    #[sqlx(try_from = "LevelColumn")]
    pub level: Level,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "guild_id, key_id, label, level, created_at, revoked_at";

/// An API key's `level` column: a staff level 1-8.
#[derive(Debug, Clone, Copy, sqlx::Type)]
#[sqlx(transparent)]
pub struct LevelColumn(i16);

impl TryFrom<LevelColumn> for Level {
    type Error = StoreError;
    fn try_from(v: LevelColumn) -> Result<Level> {
        u8::try_from(v.0)
            .ok()
            .filter(|l| (1..=8).contains(l))
            .map(Level)
            .ok_or_else(|| StoreError::Corrupt(format!("api key level {}", v.0)))
    }
}

/// Stores a new key's hash. The guild row must exist.
pub async fn insert(
    conn: &mut PgConnection,
    guild: Snowflake,
    label: &str,
    level: Level,
    key_hash: &[u8],
) -> Result<ApiKey> {
    let sql = format!(
        "INSERT INTO api_key (guild_id, label, level, key_hash) VALUES ($1, $2, $3, $4)
         RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as::<_, ApiKey>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(label)
        .bind(i16::from(level.0))
        .bind(key_hash)
        .fetch_one(conn)
        .await?)
}

/// The key with this hash, revoked or not (the caller tells a revoked key apart).
pub async fn find_by_hash(conn: &mut PgConnection, key_hash: &[u8]) -> Result<Option<ApiKey>> {
    let sql = format!("SELECT {COLUMNS} FROM api_key WHERE key_hash = $1");
    Ok(sqlx::query_as::<_, ApiKey>(sqlx::AssertSqlSafe(sql))
        .bind(key_hash)
        .fetch_optional(conn)
        .await?)
}

/// The guild's keys, newest first.
pub async fn list(conn: &mut PgConnection, guild: Snowflake) -> Result<Vec<ApiKey>> {
    let sql = format!("SELECT {COLUMNS} FROM api_key WHERE guild_id = $1 ORDER BY key_id DESC");
    Ok(sqlx::query_as::<_, ApiKey>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .fetch_all(conn)
        .await?)
}

/// Revokes a key of the guild. Returns false when there is no such active key.
pub async fn revoke(conn: &mut PgConnection, guild: Snowflake, key_id: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE api_key SET revoked_at = now()
         WHERE guild_id = $1 AND key_id = $2 AND revoked_at IS NULL",
    )
    .bind(guild.db())
    .bind(key_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Active keys whose id is `key_id` or whose label is `label`, in `guild` when given,
/// oldest first (for the operator's `apikey revoke <label or id>`).
pub async fn find_active(
    conn: &mut PgConnection,
    guild: Option<Snowflake>,
    key_id: Option<i64>,
    label: &str,
) -> Result<Vec<ApiKey>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM api_key
         WHERE revoked_at IS NULL AND ($1::BIGINT IS NULL OR guild_id = $1)
           AND (key_id = $2 OR label = $3)
         ORDER BY key_id"
    );
    Ok(sqlx::query_as::<_, ApiKey>(sqlx::AssertSqlSafe(sql))
        .bind(guild.map(Snowflake::db))
        .bind(key_id)
        .bind(label)
        .fetch_all(conn)
        .await?)
}
