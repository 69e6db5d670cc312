//! Per-guild REST API keys. Only the SHA-256 hash of a key is stored; the key itself is
//! shown once, when it is created.

use chrono::{DateTime, Utc};
use domain::Snowflake;
use domain::roles::Level;
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::{PgConnection, Result, StoreError, snowflake};

#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    pub guild_id: Snowflake,
    pub key_id: i64,
    pub label: String,
    pub level: Level,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "guild_id, key_id, label, level, created_at, revoked_at";

fn key_from_row(row: &PgRow) -> Result<ApiKey> {
    let level: i16 = row.try_get("level")?;
    let level = u8::try_from(level)
        .ok()
        .filter(|l| (1..=8).contains(l))
        .ok_or_else(|| StoreError::Corrupt(format!("api key level {level}")))?;
    Ok(ApiKey {
        guild_id: snowflake(row.try_get("guild_id")?)?,
        key_id: row.try_get("key_id")?,
        label: row.try_get("label")?,
        level: Level(level),
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
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
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(label)
        .bind(i16::from(level.0))
        .bind(key_hash)
        .fetch_one(conn)
        .await?;
    key_from_row(&row)
}

/// The key with this hash, revoked or not (the caller tells a revoked key apart).
pub async fn find_by_hash(conn: &mut PgConnection, key_hash: &[u8]) -> Result<Option<ApiKey>> {
    let sql = format!("SELECT {COLUMNS} FROM api_key WHERE key_hash = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(key_hash)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(key_from_row).transpose()
}

/// The guild's keys, newest first.
pub async fn list(conn: &mut PgConnection, guild: Snowflake) -> Result<Vec<ApiKey>> {
    let sql = format!("SELECT {COLUMNS} FROM api_key WHERE guild_id = $1 ORDER BY key_id DESC");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .fetch_all(conn)
        .await?;
    rows.iter().map(key_from_row).collect()
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
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(guild.map(Snowflake::db))
        .bind(key_id)
        .bind(label)
        .fetch_all(conn)
        .await?;
    rows.iter().map(key_from_row).collect()
}
