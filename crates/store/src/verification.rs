//! Verification: guild settings, members' IGNs (main and alts), sessions, screenshot
//! reviews, custom roles and the event rows behind veri_log.

use chrono::{DateTime, Utc};
use domain::Snowflake;
use domain::verification::{Requirements, ign_key};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::{PgConnection, Result, StoreError, opt_snowflake, snowflake};

/// The open steps of a session (the member still has something to do).
pub const OPEN_STEPS: [&str; 3] = ["awaiting_ign", "awaiting_done", "awaiting_screenshot"];

// ---------- settings ----------

#[derive(Debug, Clone, PartialEq)]
pub struct VeriConfig {
    pub realmeye_enabled: bool,
    pub screenshot_enabled: bool,
    pub panel_message: Option<String>,
    pub image_url: Option<String>,
    pub requirements: Requirements,
}

impl Default for VeriConfig {
    fn default() -> Self {
        VeriConfig {
            realmeye_enabled: true,
            screenshot_enabled: true,
            panel_message: None,
            image_url: None,
            requirements: Requirements::default(),
        }
    }
}

fn u32_opt(v: Option<i32>) -> Option<u32> {
    v.and_then(|v| u32::try_from(v).ok())
}

pub async fn config(conn: &mut PgConnection, guild: Snowflake) -> Result<VeriConfig> {
    let row = sqlx::query("SELECT * FROM veri_config WHERE guild_id = $1")
        .bind(guild.db())
        .fetch_optional(conn)
        .await?;
    let Some(r) = row else {
        return Ok(VeriConfig::default());
    };
    Ok(VeriConfig {
        realmeye_enabled: r.try_get("realmeye_enabled")?,
        screenshot_enabled: r.try_get("screenshot_enabled")?,
        panel_message: r.try_get("panel_message")?,
        image_url: r.try_get("image_url")?,
        requirements: Requirements {
            min_rank: u32_opt(r.try_get("min_rank")?),
            min_alive_fame: r
                .try_get::<Option<i64>, _>("min_alive_fame")?
                .and_then(|v| u64::try_from(v).ok()),
            min_characters: u32_opt(r.try_get("min_characters")?),
            min_account_age_days: u32_opt(r.try_get("min_account_age_days")?),
            hidden_location: r.try_get("require_hidden_location")?,
        },
    })
}

pub async fn set_config(conn: &mut PgConnection, guild: Snowflake, c: &VeriConfig) -> Result<()> {
    let req = &c.requirements;
    let i32_of = |v: Option<u32>| v.map(|v| i32::try_from(v).unwrap_or(i32::MAX));
    sqlx::query(
        "INSERT INTO veri_config (guild_id, realmeye_enabled, screenshot_enabled, panel_message,
            image_url, min_rank, min_alive_fame, min_characters, min_account_age_days,
            require_hidden_location)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (guild_id) DO UPDATE SET realmeye_enabled = $2, screenshot_enabled = $3,
            panel_message = $4, image_url = $5, min_rank = $6, min_alive_fame = $7,
            min_characters = $8, min_account_age_days = $9, require_hidden_location = $10,
            updated_at = now()",
    )
    .bind(guild.db())
    .bind(c.realmeye_enabled)
    .bind(c.screenshot_enabled)
    .bind(&c.panel_message)
    .bind(&c.image_url)
    .bind(i32_of(req.min_rank))
    .bind(
        req.min_alive_fame
            .map(|v| i64::try_from(v).unwrap_or(i64::MAX)),
    )
    .bind(i32_of(req.min_characters))
    .bind(i32_of(req.min_account_age_days))
    .bind(req.hidden_location)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------- members and IGNs ----------

#[derive(Debug, Clone, PartialEq)]
pub struct MemberNames {
    pub user_id: Snowflake,
    pub status: String,
    pub main: Option<String>,
    pub alts: Vec<String>,
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
    let row = sqlx::query("SELECT status, ign FROM member WHERE guild_id = $1 AND user_id = $2")
        .bind(guild.db())
        .bind(user.db())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
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
        status: row.try_get("status")?,
        main: row.try_get("ign")?,
        alts,
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

pub async fn member_verification(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Option<MemberVerification>> {
    let row = sqlx::query(
        "SELECT verified_at, verified_by, verify_method FROM member
         WHERE guild_id = $1 AND user_id = $2",
    )
    .bind(guild.db())
    .bind(user.db())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let Some(names) = names(conn, guild, user).await? else {
        return Ok(None);
    };
    Ok(Some(MemberVerification {
        names,
        verified_at: row.try_get("verified_at")?,
        verified_by: opt_snowflake(row.try_get("verified_by")?)?,
        method: row.try_get("verify_method")?,
    }))
}

/// Who holds this IGN (as main or alt) in the guild.
pub async fn owner_of(
    conn: &mut PgConnection,
    guild: Snowflake,
    ign: &str,
) -> Result<Option<(Snowflake, bool)>> {
    let row =
        sqlx::query("SELECT user_id, is_main FROM member_ign WHERE guild_id = $1 AND ign_key = $2")
            .bind(guild.db())
            .bind(ign_key(ign))
            .fetch_optional(conn)
            .await?;
    row.map(|r| Ok((snowflake(r.try_get("user_id")?)?, r.try_get("is_main")?)))
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
    ign: &str,
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
        .bind(ign_key(ign))
        .bind(ign)
        .bind(user.db())
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "UPDATE member SET ign = $3, updated_at = now() WHERE guild_id = $1 AND user_id = $2",
        )
        .bind(guild.db())
        .bind(user.db())
        .bind(ign)
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
    ign: &str,
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
    .bind(ign_key(ign))
    .bind(ign)
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

// ---------- sessions ----------

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub guild_id: Snowflake,
    pub session_id: i64,
    pub user_id: Snowflake,
    pub method: String,
    pub custom_role_id: Option<i64>,
    pub step: String,
    pub ign: Option<String>,
    pub code: Option<String>,
    pub checks: i32,
    pub last_check_at: Option<DateTime<Utc>>,
    pub last_failure: Option<String>,
    pub expires_at: DateTime<Utc>,
}

impl Session {
    pub fn is_open(&self) -> bool {
        OPEN_STEPS.contains(&self.step.as_str())
    }
}

fn session_row(r: &PgRow) -> Result<Session> {
    Ok(Session {
        guild_id: snowflake(r.try_get("guild_id")?)?,
        session_id: r.try_get("session_id")?,
        user_id: snowflake(r.try_get("user_id")?)?,
        method: r.try_get("method")?,
        custom_role_id: r.try_get("custom_role_id")?,
        step: r.try_get("step")?,
        ign: r.try_get("ign")?,
        code: r.try_get("code")?,
        checks: r.try_get("checks")?,
        last_check_at: r.try_get("last_check_at")?,
        last_failure: r.try_get("last_failure")?,
        expires_at: r.try_get("expires_at")?,
    })
}

pub struct NewSession<'a> {
    pub guild_id: Snowflake,
    pub user_id: Snowflake,
    pub method: &'a str,
    pub custom_role_id: Option<i64>,
    pub step: &'a str,
    pub minutes: i64,
}

/// Closes the member's open session in this guild (as cancelled), returning its id.
pub async fn cancel_open(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "UPDATE veri_session SET step = 'cancelled', updated_at = now()
         WHERE guild_id = $1 AND user_id = $2 AND step = ANY($3) RETURNING session_id",
    )
    .bind(guild.db())
    .bind(user.db())
    .bind(&OPEN_STEPS[..])
    .fetch_optional(conn)
    .await?)
}

pub async fn insert_session(conn: &mut PgConnection, s: &NewSession<'_>) -> Result<Session> {
    let row = sqlx::query(
        "INSERT INTO veri_session (guild_id, user_id, method, custom_role_id, step, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(mins => $6)) RETURNING *",
    )
    .bind(s.guild_id.db())
    .bind(s.user_id.db())
    .bind(s.method)
    .bind(s.custom_role_id)
    .bind(s.step)
    .bind(i32::try_from(s.minutes).unwrap_or(30))
    .fetch_one(conn)
    .await?;
    session_row(&row)
}

pub async fn lock_session(
    conn: &mut PgConnection,
    guild: Snowflake,
    session_id: i64,
) -> Result<Option<Session>> {
    let row = sqlx::query(
        "SELECT * FROM veri_session WHERE guild_id = $1 AND session_id = $2 FOR UPDATE",
    )
    .bind(guild.db())
    .bind(session_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(session_row).transpose()
}

/// The member's most recent open session in any guild (a DM carries no guild).
pub async fn open_for_user(conn: &mut PgConnection, user: Snowflake) -> Result<Option<Session>> {
    let row = sqlx::query(
        "SELECT * FROM veri_session WHERE user_id = $1 AND step = ANY($2)
         ORDER BY updated_at DESC LIMIT 1",
    )
    .bind(user.db())
    .bind(&OPEN_STEPS[..])
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(session_row).transpose()
}

/// A session by id without knowing its guild (DM buttons carry only the session id).
pub async fn session_guild(conn: &mut PgConnection, session_id: i64) -> Result<Option<Snowflake>> {
    let g: Option<i64> =
        sqlx::query_scalar("SELECT guild_id FROM veri_session WHERE session_id = $1")
            .bind(session_id)
            .fetch_optional(conn)
            .await?;
    opt_snowflake(g)
}

pub async fn update_session(conn: &mut PgConnection, s: &Session) -> Result<()> {
    sqlx::query(
        "UPDATE veri_session SET step = $3, ign = $4, code = $5, checks = $6, last_check_at = $7,
            last_failure = $8, expires_at = $9, updated_at = now()
         WHERE guild_id = $1 AND session_id = $2",
    )
    .bind(s.guild_id.db())
    .bind(s.session_id)
    .bind(&s.step)
    .bind(&s.ign)
    .bind(&s.code)
    .bind(s.checks)
    .bind(s.last_check_at)
    .bind(&s.last_failure)
    .bind(s.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------- reviews ----------

#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub guild_id: Snowflake,
    pub review_id: i64,
    pub session_id: i64,
    pub user_id: Snowflake,
    pub ign: Option<String>,
    pub custom_role_id: Option<i64>,
    pub attachment_url: String,
    pub channel_id: Option<Snowflake>,
    pub message_id: Option<Snowflake>,
    pub state: String,
    pub decided_by: Option<Snowflake>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn review_row(r: &PgRow) -> Result<Review> {
    Ok(Review {
        guild_id: snowflake(r.try_get("guild_id")?)?,
        review_id: r.try_get("review_id")?,
        session_id: r.try_get("session_id")?,
        user_id: snowflake(r.try_get("user_id")?)?,
        ign: r.try_get("ign")?,
        custom_role_id: r.try_get("custom_role_id")?,
        attachment_url: r.try_get("attachment_url")?,
        channel_id: opt_snowflake(r.try_get("channel_id")?)?,
        message_id: opt_snowflake(r.try_get("message_id")?)?,
        state: r.try_get("state")?,
        decided_by: opt_snowflake(r.try_get("decided_by")?)?,
        decided_at: r.try_get("decided_at")?,
        reason: r.try_get("reason")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn insert_review(
    conn: &mut PgConnection,
    s: &Session,
    attachment_url: &str,
    channel: Snowflake,
) -> Result<Review> {
    let row = sqlx::query(
        "INSERT INTO veri_review (guild_id, session_id, user_id, ign, custom_role_id,
            attachment_url, channel_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
    )
    .bind(s.guild_id.db())
    .bind(s.session_id)
    .bind(s.user_id.db())
    .bind(&s.ign)
    .bind(s.custom_role_id)
    .bind(attachment_url)
    .bind(channel.db())
    .fetch_one(conn)
    .await?;
    review_row(&row)
}

pub async fn review(
    conn: &mut PgConnection,
    guild: Snowflake,
    review_id: i64,
    lock: bool,
) -> Result<Option<Review>> {
    let sql = if lock {
        "SELECT * FROM veri_review WHERE guild_id = $1 AND review_id = $2 FOR UPDATE"
    } else {
        "SELECT * FROM veri_review WHERE guild_id = $1 AND review_id = $2"
    };
    let row = sqlx::query(sql)
        .bind(guild.db())
        .bind(review_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(review_row).transpose()
}

pub async fn decide_review(
    conn: &mut PgConnection,
    guild: Snowflake,
    review_id: i64,
    state: &str,
    by: Snowflake,
    reason: Option<&str>,
    ign: Option<&str>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE veri_review SET state = $3, decided_by = $4, decided_at = now(), reason = $5,
            ign = COALESCE($6, ign)
         WHERE guild_id = $1 AND review_id = $2 AND state = 'pending'",
    )
    .bind(guild.db())
    .bind(review_id)
    .bind(state)
    .bind(by.db())
    .bind(reason)
    .bind(ign)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_review_message(
    conn: &mut PgConnection,
    guild: Snowflake,
    review_id: i64,
    message: Snowflake,
) -> Result<()> {
    sqlx::query("UPDATE veri_review SET message_id = $3 WHERE guild_id = $1 AND review_id = $2")
        .bind(guild.db())
        .bind(review_id)
        .bind(message.db())
        .execute(conn)
        .await?;
    Ok(())
}

// ---------- custom roles ----------

#[derive(Debug, Clone, PartialEq)]
pub struct CustomRole {
    pub custom_role_id: i64,
    pub name: String,
    pub role_id: Snowflake,
    pub description: Option<String>,
    pub review_channel_id: Snowflake,
    pub created_at: DateTime<Utc>,
    /// Set once staff removed it: it takes no more requests.
    pub removed_at: Option<DateTime<Utc>>,
}

fn custom_role_row(r: &PgRow) -> Result<CustomRole> {
    Ok(CustomRole {
        custom_role_id: r.try_get("custom_role_id")?,
        name: r.try_get("name")?,
        role_id: snowflake(r.try_get("role_id")?)?,
        description: r.try_get("description")?,
        review_channel_id: snowflake(r.try_get("review_channel_id")?)?,
        created_at: r.try_get("created_at")?,
        removed_at: r.try_get("removed_at")?,
    })
}

/// Adds or updates (by role) a custom verification role.
pub async fn upsert_custom_role(
    conn: &mut PgConnection,
    guild: Snowflake,
    name: &str,
    role: Snowflake,
    description: Option<&str>,
    review_channel: Snowflake,
) -> Result<CustomRole> {
    let row = sqlx::query(
        "INSERT INTO veri_custom_role (guild_id, name, role_id, description, review_channel_id)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (guild_id, role_id) DO UPDATE SET name = $2, description = $4,
            review_channel_id = $5, removed_at = NULL, removed_by = NULL
         RETURNING *",
    )
    .bind(guild.db())
    .bind(name)
    .bind(role.db())
    .bind(description)
    .bind(review_channel.db())
    .fetch_one(conn)
    .await?;
    custom_role_row(&row)
}

pub async fn custom_role(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
) -> Result<Option<CustomRole>> {
    let row =
        sqlx::query("SELECT * FROM veri_custom_role WHERE guild_id = $1 AND custom_role_id = $2")
            .bind(guild.db())
            .bind(id)
            .fetch_optional(conn)
            .await?;
    row.as_ref().map(custom_role_row).transpose()
}

/// The custom verification roles that still take requests, oldest first.
pub async fn custom_roles(conn: &mut PgConnection, guild: Snowflake) -> Result<Vec<CustomRole>> {
    let rows = sqlx::query(
        "SELECT * FROM veri_custom_role WHERE guild_id = $1 AND removed_at IS NULL
         ORDER BY custom_role_id",
    )
    .bind(guild.db())
    .fetch_all(conn)
    .await?;
    rows.iter().map(custom_role_row).collect()
}

/// Marks a custom role removed; None when there is no such one still active.
pub async fn remove_custom_role(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
    by: Option<Snowflake>,
) -> Result<Option<CustomRole>> {
    let row = sqlx::query(
        "UPDATE veri_custom_role SET removed_at = now(), removed_by = $3
         WHERE guild_id = $1 AND custom_role_id = $2 AND removed_at IS NULL RETURNING *",
    )
    .bind(guild.db())
    .bind(id)
    .bind(by.map(Snowflake::db))
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(custom_role_row).transpose()
}

/// Cancels the open requests for a custom role; returns the members whose request it was.
pub async fn cancel_open_for_custom_role(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
) -> Result<Vec<Snowflake>> {
    let users: Vec<i64> = sqlx::query_scalar(
        "UPDATE veri_session SET step = 'cancelled', updated_at = now()
         WHERE guild_id = $1 AND custom_role_id = $2 AND step = ANY($3) RETURNING user_id",
    )
    .bind(guild.db())
    .bind(id)
    .bind(&OPEN_STEPS[..])
    .fetch_all(conn)
    .await?;
    users.into_iter().map(snowflake).collect()
}

/// Withdraws the pending screenshot reviews of a removed custom role, and ends their
/// sessions: (review, member) for each, so the cards can be refreshed and members told.
pub async fn withdraw_reviews_for_custom_role(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
    by: Option<Snowflake>,
) -> Result<Vec<(i64, Snowflake)>> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "UPDATE veri_review SET state = 'withdrawn', decided_by = $3, decided_at = now()
         WHERE guild_id = $1 AND custom_role_id = $2 AND state = 'pending'
         RETURNING review_id, user_id, session_id",
    )
    .bind(guild.db())
    .bind(id)
    .bind(by.map(Snowflake::db))
    .fetch_all(&mut *conn)
    .await?;
    let sessions: Vec<i64> = rows.iter().map(|(_, _, s)| *s).collect();
    sqlx::query(
        "UPDATE veri_session SET step = 'cancelled', updated_at = now()
         WHERE guild_id = $1 AND session_id = ANY($2) AND step = 'under_review'",
    )
    .bind(guild.db())
    .bind(&sessions)
    .execute(conn)
    .await?;
    rows.into_iter()
        .map(|(review, user, _)| Ok((review, snowflake(user)?)))
        .collect()
}

/// Remembers a panel posted for a custom role (so that removing the role can delete it).
pub async fn record_custom_role_panel(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
    channel: Snowflake,
    message: Snowflake,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO veri_custom_role_panel (guild_id, custom_role_id, channel_id, message_id)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(guild.db())
    .bind(id)
    .bind(channel.db())
    .bind(message.db())
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets a custom role's panels and returns them as (channel, message).
pub async fn take_custom_role_panels(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
) -> Result<Vec<(Snowflake, Snowflake)>> {
    let rows = sqlx::query(
        "DELETE FROM veri_custom_role_panel WHERE guild_id = $1 AND custom_role_id = $2
         RETURNING channel_id, message_id",
    )
    .bind(guild.db())
    .bind(id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                snowflake(r.try_get("channel_id")?)?,
                snowflake(r.try_get("message_id")?)?,
            ))
        })
        .collect()
}

// ---------- events ----------

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub event_id: i64,
    pub user_id: Snowflake,
    pub actor_id: Option<Snowflake>,
    pub kind: String,
    pub ign: Option<String>,
    pub detail: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_event(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    actor: Option<Snowflake>,
    kind: &str,
    ign: Option<&str>,
    detail: Option<&str>,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO veri_event (guild_id, user_id, actor_id, kind, ign, detail)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING event_id",
    )
    .bind(guild.db())
    .bind(user.db())
    .bind(actor.map(Snowflake::db))
    .bind(kind)
    .bind(ign)
    .bind(detail)
    .fetch_one(conn)
    .await?)
}

pub async fn event(conn: &mut PgConnection, guild: Snowflake, id: i64) -> Result<Option<Event>> {
    let row = sqlx::query("SELECT * FROM veri_event WHERE guild_id = $1 AND event_id = $2")
        .bind(guild.db())
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        Ok(Event {
            event_id: r.try_get("event_id")?,
            user_id: snowflake(r.try_get("user_id")?)?,
            actor_id: opt_snowflake(r.try_get("actor_id")?)?,
            kind: r.try_get("kind")?,
            ign: r.try_get("ign")?,
            detail: r.try_get("detail")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .transpose()
}

/// Event kinds of one member, oldest first (tests and history).
pub async fn event_kinds(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT kind FROM veri_event WHERE guild_id = $1 AND user_id = $2 ORDER BY event_id",
    )
    .bind(guild.db())
    .bind(user.db())
    .fetch_all(conn)
    .await?)
}
