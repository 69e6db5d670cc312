//! Raid statistics: a guild's runs counted by week, dungeon and outcome, in one aggregate
//! query over `run` alone (the `run_by_created` index makes it a range scan; attendance is
//! kept on the run when it ends).

use chrono::{DateTime, Utc};
use domain::Snowflake;
use domain::analytics::RunWeek;

use crate::{PgConnection, Result};

/// Runs created in one week (Monday 00:00 UTC) of one dungeon.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
struct WeekRow {
    week: DateTime<Utc>,
    dungeon_code: String,
    /// Ended by the organizer or staff.
    completed: i64,
    /// Ended by the auto-end timer.
    auto_ended: i64,
    cancelled: i64,
    /// Still open or live.
    active: i64,
    /// Sum over ended runs of (ended − started), in seconds.
    length_secs: f64,
    /// Ended runs with a start time (the denominator of the average length).
    timed: i64,
    /// Sum over ended runs of the raiders still joined at the end.
    attendance: i64,
    /// Ended runs whose attendance is known.
    attended: i64,
}

/// The guild's runs created in `[from, to)`, optionally of one dungeon, by week and
/// dungeon, oldest week first.
pub async fn runs_by_week(
    conn: &mut PgConnection,
    guild: Snowflake,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    dungeon: Option<&str>,
) -> Result<Vec<RunWeek>> {
    let rows = sqlx::query_as::<_, WeekRow>(
        "SELECT date_trunc('week', r.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS week,
                r.dungeon_code,
                count(*) FILTER (WHERE r.status = 'ended' AND r.close_reason <> 'auto') AS completed,
                count(*) FILTER (WHERE r.status = 'ended' AND r.close_reason = 'auto') AS auto_ended,
                count(*) FILTER (WHERE r.status = 'cancelled') AS cancelled,
                count(*) FILTER (WHERE r.status IN ('open', 'live')) AS active,
                coalesce(sum(extract(epoch FROM r.ended_at - r.started_at))
                    FILTER (WHERE r.status = 'ended' AND r.started_at IS NOT NULL), 0)::float8
                    AS length_secs,
                count(*) FILTER (WHERE r.status = 'ended' AND r.started_at IS NOT NULL) AS timed,
                coalesce(sum(r.attendance) FILTER (WHERE r.status = 'ended'), 0)::int8
                    AS attendance,
                count(r.attendance) FILTER (WHERE r.status = 'ended') AS attended
         FROM run r
         WHERE r.guild_id = $1 AND r.created_at >= $2 AND r.created_at < $3
           AND ($4::text IS NULL OR r.dungeon_code = $4)
         GROUP BY 1, 2
         ORDER BY 1, 2",
    )
    .bind(guild.db())
    .bind(from)
    .bind(to)
    .bind(dungeon)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| RunWeek {
            week: r.week,
            dungeon_code: r.dungeon_code,
            completed: r.completed,
            auto_ended: r.auto_ended,
            cancelled: r.cancelled,
            active: r.active,
            length_secs: r.length_secs,
            timed: r.timed,
            attendance: r.attendance,
            attended: r.attended,
        })
        .collect())
}

/// One member's runs completed per week in `[from, to)` (runs they were joined in at the
/// end, ended by anyone or the timer), oldest week first; weeks without runs are absent.
pub async fn member_runs_by_week(
    conn: &mut PgConnection,
    guild: Snowflake,
    member: Snowflake,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(DateTime<Utc>, i64)>> {
    Ok(sqlx::query_as::<_, (DateTime<Utc>, i64)>(
        "SELECT date_trunc('week', r.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS week,
                count(*)
         FROM run_participant p
         JOIN run r ON r.guild_id = p.guild_id AND r.run_id = p.run_id
         WHERE p.guild_id = $1 AND p.user_id = $2 AND p.state = 'joined'
           AND r.status = 'ended' AND r.created_at >= $3 AND r.created_at < $4
         GROUP BY 1 ORDER BY 1",
    )
    .bind(guild.db())
    .bind(member.db())
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}
