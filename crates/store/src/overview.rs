//! What the dashboard's server overview and run pages read: the runs and headcounts under
//! way, a server's figures since a moment, and one run's key pops in order.

use chrono::{DateTime, Utc};
use domain::Snowflake;

use crate::runs::{RUN_COLUMNS, Run};
use crate::{PgConnection, Result};

/// The most active runs (or open headcounts) the overview lists.
pub const ACTIVE_MAX: i64 = 100;

/// Runs open or live, newest first.
pub async fn active_runs(conn: &mut PgConnection, guild: Snowflake) -> Result<Vec<Run>> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM run r
         WHERE r.guild_id = $1 AND r.status IN ('open', 'live')
         ORDER BY r.run_id DESC LIMIT $2"
    );
    Ok(sqlx::query_as::<_, Run>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(ACTIVE_MAX)
        .fetch_all(conn)
        .await?)
}

/// An open headcount with how many reacted.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OpenHeadcount {
    pub headcount_id: i64,
    #[sqlx(try_from = "crate::columns::Id")]
    pub organizer_id: Snowflake,
    pub dungeons: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub auto_end_at: DateTime<Utc>,
    /// Members who showed interest (any dungeon), counted once.
    pub interested: i64,
    /// Key reactions.
    pub keys: i64,
}

/// Headcounts still open, newest first.
pub async fn open_headcounts(
    conn: &mut PgConnection,
    guild: Snowflake,
) -> Result<Vec<OpenHeadcount>> {
    Ok(sqlx::query_as::<_, OpenHeadcount>(
        "SELECT h.headcount_id, h.organizer_id,
                COALESCE((SELECT array_agg(d.dungeon_code ORDER BY d.position)
                          FROM headcount_dungeon d
                          WHERE d.guild_id = h.guild_id AND d.headcount_id = h.headcount_id),
                         '{}') AS dungeons,
                h.created_at, h.auto_end_at,
                (SELECT count(DISTINCT x.user_id) FROM headcount_reaction x
                 WHERE x.guild_id = h.guild_id AND x.headcount_id = h.headcount_id
                   AND x.kind = 'interest') AS interested,
                (SELECT count(*) FROM headcount_reaction x
                 WHERE x.guild_id = h.guild_id AND x.headcount_id = h.headcount_id
                   AND x.kind = 'key') AS keys
         FROM headcount h
         WHERE h.guild_id = $1 AND h.status = 'open'
         ORDER BY h.headcount_id DESC LIMIT $2",
    )
    .bind(guild.db())
    .bind(ACTIVE_MAX)
    .fetch_all(conn)
    .await?)
}

/// A server's activity since a moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Figures {
    /// Runs posted.
    pub runs_posted: i64,
    /// Runs that ended (not cancelled).
    pub runs_ended: i64,
    /// Runs cancelled.
    pub runs_cancelled: i64,
    /// Different raiders joined in runs that ended.
    pub raiders: i64,
    /// Keys popped (logged counts, runs and by hand).
    pub keys_popped: i64,
}

/// [`Figures`] since `since`.
pub async fn figures(
    conn: &mut PgConnection,
    guild: Snowflake,
    since: DateTime<Utc>,
) -> Result<Figures> {
    Ok(sqlx::query_as::<_, Figures>(
        "SELECT
            (SELECT count(*) FROM run WHERE guild_id = $1 AND created_at >= $2) AS runs_posted,
            (SELECT count(*) FROM run WHERE guild_id = $1 AND status = 'ended'
                AND ended_at >= $2) AS runs_ended,
            (SELECT count(*) FROM run WHERE guild_id = $1 AND status = 'cancelled'
                AND cancelled_at >= $2) AS runs_cancelled,
            (SELECT count(DISTINCT p.user_id) FROM run r
             JOIN run_participant p ON p.guild_id = r.guild_id AND p.run_id = r.run_id
             WHERE r.guild_id = $1 AND r.status = 'ended' AND r.ended_at >= $2
               AND p.state = 'joined') AS raiders,
            (SELECT COALESCE(sum(count), 0)::bigint FROM key_pop
             WHERE guild_id = $1 AND created_at >= $2) AS keys_popped",
    )
    .bind(guild.db())
    .bind(since)
    .fetch_one(conn)
    .await?)
}

/// One logged key pop of a run.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RunPop {
    pub pop_id: i64,
    #[sqlx(try_from = "crate::columns::Id")]
    pub user_id: Snowflake,
    pub count: i32,
    pub key_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A run's key pops in the order they were logged.
pub async fn run_pops(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
) -> Result<Vec<RunPop>> {
    Ok(sqlx::query_as::<_, RunPop>(
        "SELECT pop_id, user_id, count, key_name, created_at FROM key_pop
         WHERE guild_id = $1 AND run_id = $2 ORDER BY created_at, pop_id",
    )
    .bind(guild.db())
    .bind(run_id)
    .fetch_all(conn)
    .await?)
}
