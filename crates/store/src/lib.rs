//! PostgreSQL, the only state raidbot keeps: migrations and one module per aggregate.
//!
//! Functions take a `&mut PgConnection` so the service layer decides the transaction;
//! rows map to `domain` types here and nowhere else. Every query filters by `guild_id`.

pub mod analytics;
pub mod api_keys;
pub mod bot_roles;
pub mod columns;

pub mod db;
pub mod discord_rate_limit;
pub mod escalation;
pub mod gateway;
pub mod guild_config;
pub mod headcounts;
pub mod import;
pub mod jobs;
pub mod key_pops;
pub mod leaderboard;
pub mod locks;
pub mod logs;
pub mod member_notes;
pub mod member_roles;
pub mod modmail;
pub mod overview;
pub mod party;
pub mod point_config;
pub mod point_events;
pub mod point_periods;
pub mod promotions;
pub mod public_board;
pub mod punishments;
pub mod quota_roles;
pub mod role_pings;
pub mod run_awards;
pub mod run_reactions;
pub mod run_role_holders;
pub mod run_roster;
pub mod runs;
pub mod schedule;
pub mod staff;
#[cfg(feature = "testing")]
pub mod testing;
pub mod verification;
pub mod web_sessions;

pub use sqlx::{PgConnection, PgPool, Postgres, Transaction};

/// What can go wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("a stored row is invalid: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// The unique constraint a failed insert ran into, if that is why it failed.
    pub fn unique_violation(&self) -> Option<String> {
        match self {
            StoreError::Db(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Some(e.constraint().unwrap_or_default().to_owned())
            }
            _ => None,
        }
    }

    /// True when a text value held a character PostgreSQL cannot store (NUL, 0x00:
    /// SQLSTATE 22021). Input is checked at the edges; this is the last line.
    pub fn is_unstorable_text(&self) -> bool {
        matches!(
            self,
            StoreError::Db(sqlx::Error::Database(e)) if e.code().as_deref() == Some("22021")
        )
    }

    /// True when the database could not be reached at all (not a query error).
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Db(
                sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed
            )
        )
    }
}

impl From<domain::snowflake::InvalidSnowflake> for StoreError {
    fn from(e: domain::snowflake::InvalidSnowflake) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub(crate) fn snowflake(v: i64) -> Result<domain::Snowflake> {
    Ok(domain::Snowflake::from_db(v)?)
}

/// An in-game name as stored (the tables' CHECKs keep them valid; a row that is not is
/// reported as corrupt rather than passed on).
pub(crate) fn ign(v: String) -> Result<domain::Ign> {
    domain::Ign::try_from(v.clone())
        .map_err(|e| StoreError::Corrupt(format!("in-game name {v:?}: {e}")))
}

pub(crate) fn opt_snowflake(v: Option<i64>) -> Result<Option<domain::Snowflake>> {
    v.map(snowflake).transpose()
}

pub(crate) fn schedule_from(v: serde_json::Value) -> Result<domain::quota::Schedule> {
    serde_json::from_value(v).map_err(|e| StoreError::Corrupt(format!("schedule: {e}")))
}

pub(crate) fn schedule_json(s: &domain::quota::Schedule) -> Result<serde_json::Value> {
    serde_json::to_value(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}
