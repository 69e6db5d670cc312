//! Modmail tickets and their messages (the transcript).

use chrono::{DateTime, Utc};
use domain::Snowflake;
use domain::moderation::{TICKET_CODE_LEN, code_space, ticket_code};

use crate::{PgConnection, Result, StoreError};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Ticket {
    #[sqlx(try_from = "crate::columns::Id")]
    pub guild_id: Snowflake,
    pub ticket_id: i64,
    pub code: String,
    #[sqlx(try_from = "crate::columns::Id")]
    pub user_id: Snowflake,
    /// `open` or `closed`.
    pub status: String,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub thread_id: Option<Snowflake>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    pub close_done: bool,
    /// A scheduled close (`/modmail close in:`), cleared when the member writes again.
    pub close_at: Option<DateTime<Utc>>,
    pub close_scheduled_by: Option<String>,
    /// Closed (or to close) without telling the member.
    pub close_silent: bool,
    /// The scheduled close that was announced (the sync job's bookkeeping).
    pub close_notified_at: Option<DateTime<Utc>>,
}

const T_COLUMNS: &str = "guild_id, ticket_id, code, user_id, status, thread_id, created_at,
    closed_at, closed_by, close_done, close_at, close_scheduled_by, close_silent, close_notified_at";

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TicketMessage {
    pub message_id: i64,
    /// `member` or `staff`.
    pub direction: String,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub author_id: Option<Snowflake>,
    pub author: String,
    pub body: String,
    pub attachments: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub relayed_at: Option<DateTime<Utc>>,
    pub relay_error: Option<String>,
    /// The Discord message a staff reply was typed as in the ticket's thread (`!r ...`).
    #[sqlx(try_from = "crate::columns::OptId")]
    pub source_message_id: Option<Snowflake>,
    /// A staff reply the member got as from "Staff", without the author's name.
    pub anonymous: bool,
}

const M_COLUMNS: &str = "message_id, direction, author_id, author, body, attachments, created_at, relayed_at, relay_error, source_message_id, anonymous";

/// Opens a ticket with a fresh code. Fails with a unique violation on `modmail_one_open`
/// when the member already has an open ticket in the guild.
pub async fn insert_ticket(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Ticket> {
    let sql = format!(
        "INSERT INTO modmail_ticket (guild_id, code, user_id) VALUES ($1, $2, $3)
         ON CONFLICT (guild_id, code) DO NOTHING RETURNING {T_COLUMNS}"
    );
    for _ in 0..20 {
        let random: i64 = sqlx::query_scalar("SELECT floor(random() * $1::float8)::bigint")
            .bind(code_space(TICKET_CODE_LEN) as f64)
            .fetch_one(&mut *conn)
            .await?;
        let code = ticket_code(u64::try_from(random).unwrap_or_default());
        let row = sqlx::query_as::<_, Ticket>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(guild.db())
            .bind(&code)
            .bind(user.db())
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(row) = row {
            return Ok(row);
        }
    }
    Err(StoreError::Corrupt(
        "no free ticket code after 20 tries".into(),
    ))
}

pub async fn lock_ticket(
    conn: &mut PgConnection,
    guild: Snowflake,
    ticket_id: i64,
) -> Result<Option<Ticket>> {
    let sql = format!(
        "SELECT {T_COLUMNS} FROM modmail_ticket WHERE guild_id = $1 AND ticket_id = $2 FOR UPDATE"
    );
    Ok(sqlx::query_as::<_, Ticket>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(ticket_id)
        .fetch_optional(conn)
        .await?)
}

pub async fn by_code(
    conn: &mut PgConnection,
    guild: Snowflake,
    code: &str,
) -> Result<Option<Ticket>> {
    let sql = format!("SELECT {T_COLUMNS} FROM modmail_ticket WHERE guild_id = $1 AND code = $2");
    Ok(sqlx::query_as::<_, Ticket>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(code)
        .fetch_optional(conn)
        .await?)
}

/// The ticket whose forum thread this is, if any.
pub async fn by_thread(
    conn: &mut PgConnection,
    guild: Snowflake,
    thread: Snowflake,
) -> Result<Option<Ticket>> {
    let sql =
        format!("SELECT {T_COLUMNS} FROM modmail_ticket WHERE guild_id = $1 AND thread_id = $2");
    Ok(sqlx::query_as::<_, Ticket>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(thread.db())
        .fetch_optional(conn)
        .await?)
}

/// The member's open tickets in every guild, newest first.
pub async fn open_for_user(conn: &mut PgConnection, user: Snowflake) -> Result<Vec<Ticket>> {
    let sql = format!(
        "SELECT {T_COLUMNS} FROM modmail_ticket WHERE user_id = $1 AND status = 'open'
         ORDER BY created_at DESC"
    );
    Ok(sqlx::query_as::<_, Ticket>(sqlx::AssertSqlSafe(sql))
        .bind(user.db())
        .fetch_all(conn)
        .await?)
}

/// When the member's last ticket in the guild closed.
pub async fn last_closed(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Option<DateTime<Utc>>> {
    Ok(sqlx::query_scalar(
        "SELECT max(closed_at) FROM modmail_ticket WHERE guild_id = $1 AND user_id = $2",
    )
    .bind(guild.db())
    .bind(user.db())
    .fetch_one(conn)
    .await?)
}

/// The guild's tickets, newest first, optionally of one status.
pub async fn list(
    conn: &mut PgConnection,
    guild: Snowflake,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<Ticket>> {
    let sql = format!(
        "SELECT {T_COLUMNS} FROM modmail_ticket WHERE guild_id = $1
           AND ($2::TEXT IS NULL OR status = $2) ORDER BY ticket_id DESC LIMIT $3"
    );
    Ok(sqlx::query_as::<_, Ticket>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(status)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

pub async fn set_thread(
    conn: &mut PgConnection,
    guild: Snowflake,
    ticket_id: i64,
    thread: Option<Snowflake>,
) -> Result<()> {
    sqlx::query("UPDATE modmail_ticket SET thread_id = $3 WHERE guild_id = $1 AND ticket_id = $2")
        .bind(guild.db())
        .bind(ticket_id)
        .bind(thread.map(Snowflake::db))
        .execute(conn)
        .await?;
    Ok(())
}

/// Closes an open ticket; false when it was already closed.
pub async fn close(
    conn: &mut PgConnection,
    guild: Snowflake,
    ticket_id: i64,
    by: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE modmail_ticket SET status = 'closed', closed_at = now(), closed_by = $3
         WHERE guild_id = $1 AND ticket_id = $2 AND status = 'open'",
    )
    .bind(guild.db())
    .bind(ticket_id)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_close_done(
    conn: &mut PgConnection,
    guild: Snowflake,
    ticket_id: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE modmail_ticket SET close_done = true WHERE guild_id = $1 AND ticket_id = $2",
    )
    .bind(guild.db())
    .bind(ticket_id)
    .execute(conn)
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_message(
    conn: &mut PgConnection,
    guild: Snowflake,
    ticket_id: i64,
    direction: &str,
    author_id: Option<Snowflake>,
    author: &str,
    body: &str,
    attachments: &[String],
    source_message: Option<Snowflake>,
) -> Result<TicketMessage> {
    let sql = format!(
        "INSERT INTO modmail_message (guild_id, ticket_id, direction, author_id, author, body,
             attachments, source_message_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING {M_COLUMNS}"
    );
    Ok(sqlx::query_as::<_, TicketMessage>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(ticket_id)
        .bind(direction)
        .bind(author_id.map(Snowflake::db))
        .bind(author)
        .bind(body)
        .bind(attachments)
        .bind(source_message.map(Snowflake::db))
        .fetch_one(conn)
        .await?)
}

/// The ticket's messages, oldest first.
pub async fn messages(
    conn: &mut PgConnection,
    guild: Snowflake,
    ticket_id: i64,
) -> Result<Vec<TicketMessage>> {
    let sql = format!(
        "SELECT {M_COLUMNS} FROM modmail_message WHERE guild_id = $1 AND ticket_id = $2
         ORDER BY message_id"
    );
    Ok(sqlx::query_as::<_, TicketMessage>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(ticket_id)
        .fetch_all(conn)
        .await?)
}

/// Marks a message relayed (posted in the thread or DMed), with the error if it failed.
pub async fn set_relayed(
    conn: &mut PgConnection,
    guild: Snowflake,
    ticket_id: i64,
    message_id: i64,
    error: Option<&str>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE modmail_message SET relayed_at = now(), relay_error = $4
         WHERE guild_id = $1 AND ticket_id = $2 AND message_id = $3 AND relayed_at IS NULL",
    )
    .bind(guild.db())
    .bind(ticket_id)
    .bind(message_id)
    .bind(error)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a staff reply as sent anonymously (as "Staff"), in the transaction that stored it.
pub async fn mark_anonymous(
    conn: &mut PgConnection,
    guild: Snowflake,
    ticket_id: i64,
    message_id: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE modmail_message SET anonymous = true
         WHERE guild_id = $1 AND ticket_id = $2 AND message_id = $3",
    )
    .bind(guild.db())
    .bind(ticket_id)
    .bind(message_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Schedules the ticket's close at `at` (replacing an earlier schedule).
pub async fn schedule_close(
    conn: &mut PgConnection,
    guild: Snowflake,
    ticket_id: i64,
    at: DateTime<Utc>,
    by: &str,
    silent: bool,
) -> Result<()> {
    sqlx::query(
        "UPDATE modmail_ticket SET close_at = $3, close_scheduled_by = $4, close_silent = $5
         WHERE guild_id = $1 AND ticket_id = $2",
    )
    .bind(guild.db())
    .bind(ticket_id)
    .bind(at)
    .bind(by)
    .bind(silent)
    .execute(conn)
    .await?;
    Ok(())
}

/// Drops a scheduled close; true when there was one.
pub async fn cancel_scheduled_close(
    conn: &mut PgConnection,
    guild: Snowflake,
    ticket_id: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE modmail_ticket SET close_at = NULL, close_scheduled_by = NULL, close_silent = false
         WHERE guild_id = $1 AND ticket_id = $2 AND close_at IS NOT NULL AND status = 'open'",
    )
    .bind(guild.db())
    .bind(ticket_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets whether the member is told when the ticket closes (before closing it now).
pub async fn set_close_silent(
    conn: &mut PgConnection,
    guild: Snowflake,
    ticket_id: i64,
    silent: bool,
) -> Result<()> {
    sqlx::query(
        "UPDATE modmail_ticket SET close_silent = $3 WHERE guild_id = $1 AND ticket_id = $2",
    )
    .bind(guild.db())
    .bind(ticket_id)
    .bind(silent)
    .execute(conn)
    .await?;
    Ok(())
}

/// The guild's tickets, newest first, optionally of one status, and matching `search` when
/// given: the ticket id, the member's id, or words in any of its messages.
pub async fn search(
    conn: &mut PgConnection,
    guild: Snowflake,
    status: Option<&str>,
    search: Option<&str>,
    limit: i64,
) -> Result<Vec<Ticket>> {
    let sql = format!(
        "SELECT {T_COLUMNS} FROM modmail_ticket t WHERE guild_id = $1
           AND ($2::TEXT IS NULL OR status = $2)
           AND ($3::TEXT IS NULL OR upper(code) = upper($3) OR user_id::TEXT = $3
                OR EXISTS (SELECT 1 FROM modmail_message m
                           WHERE m.guild_id = t.guild_id AND m.ticket_id = t.ticket_id
                             AND strpos(lower(m.body), lower($3)) > 0))
         ORDER BY ticket_id DESC LIMIT $4"
    );
    Ok(sqlx::query_as::<_, Ticket>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(status)
        .bind(search)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// One member's tickets in the guild, newest first, at most `limit`.
pub async fn of_user(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    limit: i64,
) -> Result<Vec<Ticket>> {
    let sql = format!(
        "SELECT {T_COLUMNS} FROM modmail_ticket WHERE guild_id = $1 AND user_id = $2
         ORDER BY ticket_id DESC LIMIT $3"
    );
    Ok(sqlx::query_as::<_, Ticket>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(user.db())
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// Records which scheduled close was announced (None: the cancellation was announced).
pub async fn set_close_notified(
    conn: &mut PgConnection,
    guild: Snowflake,
    ticket_id: i64,
    at: Option<DateTime<Utc>>,
) -> Result<()> {
    sqlx::query(
        "UPDATE modmail_ticket SET close_notified_at = $3 WHERE guild_id = $1 AND ticket_id = $2",
    )
    .bind(guild.db())
    .bind(ticket_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}
