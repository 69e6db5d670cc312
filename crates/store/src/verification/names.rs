//! Members' in-game names (main and alts) and their verification status.

use chrono::{DateTime, Utc};
use domain::verification::ign_key;
use domain::{Ign, Snowflake};
use std::collections::HashMap;

use crate::{PgConnection, Result, StoreError, ign, snowflake};

#[derive(Debug, Clone, PartialEq)]
pub struct MemberNames {
    pub user_id: Snowflake,
    pub status: String,
    pub main: Option<Ign>,
    pub alts: Vec<Ign>,
}

impl MemberNames {
    pub fn is_verified(&self) -> bool {
        self.status == "verified"
    }
}

/// Makes sure the member has a row and locks it (one change to a member at a time).
pub async fn lock_member(conn: &mut PgConnection, guild: Snowflake, user: Snowflake) -> Result<()> {
    sqlx::query("INSERT INTO member (guild_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(guild.db())
        .bind(user.db())
        .execute(&mut *conn)
        .await?;
    sqlx::query("SELECT 1 FROM member WHERE guild_id = $1 AND user_id = $2 FOR UPDATE")
        .bind(guild.db())
        .bind(user.db())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn names(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Option<MemberNames>> {
    let row: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT status, ign FROM member WHERE guild_id = $1 AND user_id = $2")
            .bind(guild.db())
            .bind(user.db())
            .fetch_optional(&mut *conn)
            .await?;
    let Some((status, main)) = row else {
        return Ok(None);
    };
    let alts: Vec<String> = sqlx::query_scalar(
        "SELECT ign FROM member_ign WHERE guild_id = $1 AND user_id = $2 AND NOT is_main
         ORDER BY created_at, ign_key",
    )
    .bind(guild.db())
    .bind(user.db())
    .fetch_all(conn)
    .await?;
    Ok(Some(MemberNames {
        user_id: user,
        status,
        main: main.map(ign).transpose()?,
        alts: alts.into_iter().map(ign).collect::<Result<_>>()?,
    }))
}

/// A member's verification as staff see it: names plus when, how and by whom.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberVerification {
    pub names: MemberNames,
    pub verified_at: Option<DateTime<Utc>>,
    pub verified_by: Option<Snowflake>,
    /// `realmeye`, `screenshot`, `staff` or `sync`.
    pub method: Option<String>,
}

/// When, by whom and how a member was verified, as `member` stores it.
#[derive(sqlx::FromRow)]
struct VerifiedRow {
    verified_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "crate::columns::OptId")]
    verified_by: Option<Snowflake>,
    verify_method: Option<String>,
}

pub async fn member_verification(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Option<MemberVerification>> {
    let row = sqlx::query_as::<_, VerifiedRow>(
        "SELECT verified_at, verified_by, verify_method FROM member
         WHERE guild_id = $1 AND user_id = $2",
    )
    .bind(guild.db())
    .bind(user.db())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(VerifiedRow {
        verified_at,
        verified_by,
        verify_method: method,
    }) = row
    else {
        return Ok(None);
    };
    let Some(names) = names(conn, guild, user).await? else {
        return Ok(None);
    };
    Ok(Some(MemberVerification {
        names,
        verified_at,
        verified_by,
        method,
    }))
}

/// Who holds this IGN (as main or alt) in the guild.
pub async fn owner_of(
    conn: &mut PgConnection,
    guild: Snowflake,
    ign: &str,
) -> Result<Option<(Snowflake, bool)>> {
    let row: Option<(i64, bool)> = sqlx::query_as(
        "SELECT user_id, is_main FROM member_ign WHERE guild_id = $1 AND ign_key = $2",
    )
    .bind(guild.db())
    .bind(ign_key(ign))
    .fetch_optional(conn)
    .await?;
    row.map(|(user, is_main)| Ok((snowflake(user)?, is_main)))
        .transpose()
}

/// Why a claim failed.
#[derive(Debug)]
pub enum ClaimError {
    /// Another member holds the name (who, when known).
    Taken(Option<Snowflake>),
    Store(StoreError),
}

impl From<StoreError> for ClaimError {
    fn from(e: StoreError) -> Self {
        ClaimError::Store(e)
    }
}

impl From<sqlx::Error> for ClaimError {
    fn from(e: sqlx::Error) -> Self {
        ClaimError::Store(e.into())
    }
}

/// Sets the member's main IGN (replacing their old main; the member row must be locked).
/// A name held by another member is refused; the unique keys decide concurrent claims.
pub async fn set_main(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    ign: &Ign,
) -> Result<(), ClaimError> {
    if let Some((holder, _)) = owner_of(conn, guild, ign).await?
        && holder != user
    {
        return Err(ClaimError::Taken(Some(holder)));
    }
    sqlx::query("SAVEPOINT claim").execute(&mut *conn).await?;
    let result = async {
        sqlx::query(
            "DELETE FROM member_ign WHERE guild_id = $1 AND user_id = $2
               AND (is_main OR ign_key = $3)",
        )
        .bind(guild.db())
        .bind(user.db())
        .bind(ign_key(ign))
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO member_ign (guild_id, ign_key, ign, user_id, is_main)
             VALUES ($1, $2, $3, $4, true)",
        )
        .bind(guild.db())
        .bind(ign.key())
        .bind(ign.as_str())
        .bind(user.db())
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "UPDATE member SET ign = $3, updated_at = now() WHERE guild_id = $1 AND user_id = $2",
        )
        .bind(guild.db())
        .bind(user.db())
        .bind(ign.as_str())
        .execute(&mut *conn)
        .await?;
        Ok::<(), sqlx::Error>(())
    }
    .await;
    finish_claim(conn, guild, ign, result).await
}

/// Adds an alt IGN; false when the member already has it.
pub async fn add_alt(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    ign: &Ign,
) -> Result<bool, ClaimError> {
    if let Some((holder, _)) = owner_of(conn, guild, ign).await? {
        if holder != user {
            return Err(ClaimError::Taken(Some(holder)));
        }
        return Ok(false);
    }
    sqlx::query("SAVEPOINT claim").execute(&mut *conn).await?;
    let result = sqlx::query(
        "INSERT INTO member_ign (guild_id, ign_key, ign, user_id, is_main)
         VALUES ($1, $2, $3, $4, false)",
    )
    .bind(guild.db())
    .bind(ign.key())
    .bind(ign.as_str())
    .bind(user.db())
    .execute(&mut *conn)
    .await
    .map(|_| ());
    finish_claim(conn, guild, ign, result).await?;
    Ok(true)
}

/// Turns a unique violation inside the savepoint into `Taken` (a concurrent claim won).
async fn finish_claim(
    conn: &mut PgConnection,
    guild: Snowflake,
    ign: &str,
    result: Result<(), sqlx::Error>,
) -> Result<(), ClaimError> {
    match result {
        Ok(()) => {
            sqlx::query("RELEASE SAVEPOINT claim")
                .execute(&mut *conn)
                .await?;
            Ok(())
        }
        Err(e) => {
            let e = StoreError::from(e);
            sqlx::query("ROLLBACK TO SAVEPOINT claim")
                .execute(&mut *conn)
                .await?;
            if e.unique_violation().is_some() {
                let holder = owner_of(conn, guild, ign).await?.map(|(u, _)| u);
                Err(ClaimError::Taken(holder))
            } else {
                Err(ClaimError::Store(e))
            }
        }
    }
}

pub async fn remove_alt(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    ign: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "DELETE FROM member_ign WHERE guild_id = $1 AND user_id = $2 AND ign_key = $3
           AND NOT is_main",
    )
    .bind(guild.db())
    .bind(user.db())
    .bind(ign_key(ign))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn set_status(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    status: &str,
    by: Option<Snowflake>,
    method: Option<&str>,
) -> Result<()> {
    let verified = status == "verified";
    sqlx::query(
        "UPDATE member SET status = $3, updated_at = now(),
            verified_at = CASE WHEN $4 THEN now() ELSE verified_at END,
            verified_by = CASE WHEN $4 THEN $5 ELSE verified_by END,
            verify_method = CASE WHEN $4 THEN $6 ELSE verify_method END
         WHERE guild_id = $1 AND user_id = $2",
    )
    .bind(guild.db())
    .bind(user.db())
    .bind(status)
    .bind(verified)
    .bind(by.map(Snowflake::db))
    .bind(method)
    .execute(conn)
    .await?;
    Ok(())
}

/// Members raidbot has names for (for /forcesync without a member).
pub async fn members_with_names(
    conn: &mut PgConnection,
    guild: Snowflake,
) -> Result<Vec<Snowflake>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT user_id FROM member WHERE guild_id = $1 AND (ign IS NOT NULL OR status = 'verified')
         ORDER BY user_id",
    )
    .bind(guild.db())
    .fetch_all(conn)
    .await?;
    ids.into_iter().map(snowflake).collect()
}

/// The member's raider record (IGN and verification status), for `/find`.
pub async fn member_record(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Option<(Option<String>, String)>> {
    Ok(
        sqlx::query_as("SELECT ign, status FROM member WHERE guild_id = $1 AND user_id = $2")
            .bind(guild.db())
            .bind(user.db())
            .fetch_optional(conn)
            .await?,
    )
}

/// The main in-game names of those of `members` who have one.
pub async fn main_names(
    conn: &mut PgConnection,
    guild: Snowflake,
    members: &[Snowflake],
) -> Result<HashMap<Snowflake, String>> {
    let ids: Vec<i64> = members.iter().map(|m| m.db()).collect();
    let rows = sqlx::query_as::<_, (i64, String)>(
        "SELECT user_id, ign FROM member
         WHERE guild_id = $1 AND user_id = ANY($2) AND ign IS NOT NULL",
    )
    .bind(guild.db())
    .bind(&ids)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(id, ign)| Ok((snowflake(id)?, ign)))
        .collect()
}

/// Members whose in-game name (main or alt) starts with `prefix` (case-insensitive), with
/// their main name, by name; at most `limit`.
pub async fn search_members(
    conn: &mut PgConnection,
    guild: Snowflake,
    prefix: &str,
    limit: i64,
) -> Result<Vec<(Snowflake, String)>> {
    let pattern = format!(
        "{}%",
        prefix
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let rows = sqlx::query_as::<_, (i64, String)>(
        "SELECT DISTINCT m.user_id, coalesce(m.ign, i.ign) AS ign
         FROM member_ign i JOIN member m USING (guild_id, user_id)
         WHERE i.guild_id = $1 AND i.ign_key LIKE $2
         ORDER BY 2 LIMIT $3",
    )
    .bind(guild.db())
    .bind(pattern)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(id, ign)| Ok((snowflake(id)?, ign)))
        .collect()
}
