//! Party finder parties.

use chrono::{DateTime, Utc};
use domain::Snowflake;

use crate::{PgConnection, Result, StoreError};

/// Open or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyStatus {
    Open,
    Closed,
}

impl PartyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PartyStatus::Open => "open",
            PartyStatus::Closed => "closed",
        }
    }

    fn parse(text: &str) -> Option<PartyStatus> {
        match text {
            "open" => Some(PartyStatus::Open),
            "closed" => Some(PartyStatus::Closed),
            _ => None,
        }
    }
}

/// Why a party closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    Owner,
    Moderator,
    Auto,
}

impl CloseReason {
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::Owner => "owner",
            CloseReason::Moderator => "moderator",
            CloseReason::Auto => "auto",
        }
    }

    fn parse(text: &str) -> Option<CloseReason> {
        match text {
            "owner" => Some(CloseReason::Owner),
            "moderator" => Some(CloseReason::Moderator),
            "auto" => Some(CloseReason::Auto),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Party {
    #[sqlx(try_from = "crate::columns::Id")]
    pub guild_id: Snowflake,
    pub party_id: i64,
    #[sqlx(try_from = "crate::columns::Id")]
    pub owner_id: Snowflake,
    pub name: String,
    pub location: Option<String>,
    pub description: Option<String>,
    #[sqlx(try_from = "crate::columns::Id")]
    pub channel_id: Snowflake,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub message_id: Option<Snowflake>,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub thread_id: Option<Snowflake>,
    #[sqlx(try_from = "crate::columns::Text")]
    pub status: PartyStatus,
    pub created_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub extended_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub closed_by: Option<Snowflake>,
    #[sqlx(try_from = "crate::columns::OptText")]
    pub close_reason: Option<CloseReason>,
}

const COLUMNS: &str = "guild_id, party_id, owner_id, name, location, description, channel_id,
    message_id, thread_id, status, created_at, closes_at, extended_at, closed_at, closed_by,
    close_reason";

crate::columns::text_codes! {
    PartyStatus => "party status",
    CloseReason => "party close reason",
}

#[derive(Debug, Clone)]
pub struct NewParty {
    pub guild_id: Snowflake,
    pub owner_id: Snowflake,
    pub name: String,
    pub location: Option<String>,
    pub description: Option<String>,
    pub channel_id: Snowflake,
    /// How long until it closes itself, from its creation (the database's clock).
    pub lifetime_minutes: i64,
}

/// Serializes party creation for one member until the transaction ends, so the hourly
/// count and the one-open-party check cannot both pass for two concurrent requests.
pub async fn lock_owner(conn: &mut PgConnection, guild: Snowflake, owner: Snowflake) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("party-owner:{guild}:{owner}"))
        .execute(conn)
        .await?;
    Ok(())
}

/// Inserts an open party. Fails with a unique violation on `party_one_open_per_owner`
/// when the member already has an open party.
pub async fn insert(conn: &mut PgConnection, new: &NewParty) -> Result<Party> {
    let sql = format!(
        "INSERT INTO party (guild_id, owner_id, name, location, description, channel_id, closes_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(mins => $7::int))
         RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as::<_, Party>(sqlx::AssertSqlSafe(sql))
        .bind(new.guild_id.db())
        .bind(new.owner_id.db())
        .bind(&new.name)
        .bind(&new.location)
        .bind(&new.description)
        .bind(new.channel_id.db())
        .bind(i32::try_from(new.lifetime_minutes).unwrap_or(i32::MAX))
        .fetch_one(conn)
        .await?)
}

pub async fn get(
    conn: &mut PgConnection,
    guild: Snowflake,
    party_id: i64,
) -> Result<Option<Party>> {
    let sql = format!("SELECT {COLUMNS} FROM party WHERE guild_id = $1 AND party_id = $2");
    Ok(sqlx::query_as::<_, Party>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(party_id)
        .fetch_optional(conn)
        .await?)
}

/// Locks the party's row for the rest of the transaction: Close, Extend and the timer on
/// one party serialize on it.
pub async fn lock(
    conn: &mut PgConnection,
    guild: Snowflake,
    party_id: i64,
) -> Result<Option<Party>> {
    let sql =
        format!("SELECT {COLUMNS} FROM party WHERE guild_id = $1 AND party_id = $2 FOR UPDATE");
    Ok(sqlx::query_as::<_, Party>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(party_id)
        .fetch_optional(conn)
        .await?)
}

/// The member's open party, if any.
pub async fn open_for_owner(
    conn: &mut PgConnection,
    guild: Snowflake,
    owner: Snowflake,
) -> Result<Option<Party>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM party WHERE guild_id = $1 AND owner_id = $2 AND status = 'open'"
    );
    Ok(sqlx::query_as::<_, Party>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(owner.db())
        .fetch_optional(conn)
        .await?)
}

/// When the member created parties in the last `minutes` (the database's clock), oldest
/// first: the rolling hourly limit counts these rows.
pub async fn created_within(
    conn: &mut PgConnection,
    guild: Snowflake,
    owner: Snowflake,
    minutes: i64,
) -> Result<Vec<DateTime<Utc>>> {
    Ok(sqlx::query_scalar(
        "SELECT created_at FROM party
         WHERE guild_id = $1 AND owner_id = $2
           AND created_at > now() - make_interval(mins => $3::int)
         ORDER BY created_at",
    )
    .bind(guild.db())
    .bind(owner.db())
    .bind(i32::try_from(minutes).unwrap_or(i32::MAX))
    .fetch_all(conn)
    .await?)
}

/// Moves an open party's closing time and remembers when it was extended.
pub async fn extend(
    conn: &mut PgConnection,
    guild: Snowflake,
    party_id: i64,
    closes_at: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE party SET closes_at = $3, extended_at = now()
         WHERE guild_id = $1 AND party_id = $2 AND status = 'open'",
    )
    .bind(guild.db())
    .bind(party_id)
    .bind(closes_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Closes an open party. Only an open party changes, so a second close finds nothing to do
/// and keeps the first one's who and when. Returns whether this call closed it.
pub async fn mark_closed(
    conn: &mut PgConnection,
    guild: Snowflake,
    party_id: i64,
    closed_by: Option<Snowflake>,
    reason: CloseReason,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE party SET status = 'closed', closed_at = now(), closed_by = $3, close_reason = $4
         WHERE guild_id = $1 AND party_id = $2 AND status = 'open'",
    )
    .bind(guild.db())
    .bind(party_id)
    .bind(closed_by.map(Snowflake::db))
    .bind(reason.as_str())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Remembers the post. Returns the party's status at that moment, so a post that raced
/// with Close can be removed again.
pub async fn set_message(
    conn: &mut PgConnection,
    guild: Snowflake,
    party_id: i64,
    message: Snowflake,
) -> Result<Option<PartyStatus>> {
    let status: Option<String> = sqlx::query_scalar(
        "UPDATE party SET message_id = $3 WHERE guild_id = $1 AND party_id = $2 RETURNING status",
    )
    .bind(guild.db())
    .bind(party_id)
    .bind(message.db())
    .fetch_optional(conn)
    .await?;
    status
        .map(|s| PartyStatus::parse(&s).ok_or(StoreError::Corrupt(s)))
        .transpose()
}

/// Remembers the thread, like [`set_message`].
pub async fn set_thread(
    conn: &mut PgConnection,
    guild: Snowflake,
    party_id: i64,
    thread: Snowflake,
) -> Result<Option<PartyStatus>> {
    let status: Option<String> = sqlx::query_scalar(
        "UPDATE party SET thread_id = $3 WHERE guild_id = $1 AND party_id = $2 RETURNING status",
    )
    .bind(guild.db())
    .bind(party_id)
    .bind(thread.db())
    .fetch_optional(conn)
    .await?;
    status
        .map(|s| PartyStatus::parse(&s).ok_or(StoreError::Corrupt(s)))
        .transpose()
}
