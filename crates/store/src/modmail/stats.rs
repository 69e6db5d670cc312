//! Ticket figures for a period: how fast tickets get a first answer, and who answers them.

use chrono::{DateTime, Utc};
use domain::Snowflake;

use crate::{PgConnection, Result};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Totals {
    /// Tickets opened in the period.
    pub opened: i64,
    /// Tickets closed in the period.
    pub closed: i64,
    /// Of those opened, how many have had a staff answer.
    pub answered: i64,
    /// Seconds from opening to the first staff answer, over the answered ones.
    pub avg_first_response_secs: Option<f64>,
    pub median_first_response_secs: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StaffRow {
    #[sqlx(try_from = "crate::columns::Id")]
    pub user_id: Snowflake,
    /// Tickets they answered at least once in the period.
    pub tickets: i64,
    /// Their replies in the period.
    pub replies: i64,
    /// Tickets opened in the period whose first answer was theirs.
    pub first_responses: i64,
    pub avg_first_response_secs: Option<f64>,
}

const FIRST: &str = "first_staff AS (
        SELECT DISTINCT ON (m.ticket_id) m.ticket_id, m.author_id,
               extract(epoch FROM m.created_at - t.created_at)::float8 AS wait
        FROM modmail_message m
        JOIN modmail_ticket t ON t.guild_id = m.guild_id AND t.ticket_id = m.ticket_id
        WHERE m.guild_id = $1 AND m.direction = 'staff' AND t.created_at >= $2
        ORDER BY m.ticket_id, m.message_id)";

pub async fn totals(
    conn: &mut PgConnection,
    guild: Snowflake,
    since: DateTime<Utc>,
) -> Result<Totals> {
    let sql = format!(
        "WITH {FIRST}
         SELECT (SELECT count(*) FROM modmail_ticket WHERE guild_id = $1 AND created_at >= $2) AS opened,
                (SELECT count(*) FROM modmail_ticket WHERE guild_id = $1 AND closed_at >= $2) AS closed,
                (SELECT count(*) FROM first_staff) AS answered,
                (SELECT avg(wait) FROM first_staff) AS avg_first_response_secs,
                (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY wait) FROM first_staff)
                    AS median_first_response_secs"
    );
    Ok(sqlx::query_as::<_, Totals>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(since)
        .fetch_one(conn)
        .await?)
}

/// Staff who answered tickets in the period, most tickets first.
pub async fn per_staff(
    conn: &mut PgConnection,
    guild: Snowflake,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<StaffRow>> {
    let sql = format!(
        "WITH {FIRST},
         replies AS (
            SELECT author_id, count(DISTINCT ticket_id) AS tickets, count(*) AS replies
            FROM modmail_message
            WHERE guild_id = $1 AND direction = 'staff' AND author_id IS NOT NULL
              AND created_at >= $2
            GROUP BY author_id),
         firsts AS (
            SELECT author_id, count(*) AS first_responses, avg(wait) AS avg_first_response_secs
            FROM first_staff WHERE author_id IS NOT NULL GROUP BY author_id)
         SELECT r.author_id AS user_id, r.tickets, r.replies,
                coalesce(f.first_responses, 0) AS first_responses, f.avg_first_response_secs
         FROM replies r LEFT JOIN firsts f USING (author_id)
         ORDER BY r.tickets DESC, r.replies DESC, r.author_id LIMIT $3"
    );
    Ok(sqlx::query_as::<_, StaffRow>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(since)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}
