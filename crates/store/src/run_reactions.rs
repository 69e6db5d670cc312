//! Reactions on a run panel (keys, items, perks) and who gets the location early.

use chrono::{DateTime, Utc};
use domain::Snowflake;

use crate::{PgConnection, Result, snowflake};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RunReaction {
    pub reaction: String,
    #[sqlx(try_from = "crate::columns::Id")]
    pub user_id: Snowflake,
    pub early: bool,
    pub location_sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// All reactions of a run, per reaction in the order they came.
pub async fn all(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
) -> Result<Vec<RunReaction>> {
    Ok(sqlx::query_as::<_, RunReaction>(
        "SELECT reaction, user_id, early, location_sent_at, created_at FROM run_reaction
         WHERE guild_id = $1 AND run_id = $2 ORDER BY reaction, created_at, user_id",
    )
    .bind(guild.db())
    .bind(run_id)
    .fetch_all(conn)
    .await?)
}

/// Adds the reaction unless the member already has it; `early` says whether they are among
/// the first `max_early` for it (the caller holds the run lock, so the count is exact).
/// Returns None when it was already there.
pub async fn add(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    reaction: &str,
    user: Snowflake,
    max_early: i64,
) -> Result<Option<bool>> {
    let early_so_far: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM run_reaction WHERE guild_id = $1 AND run_id = $2 AND reaction = $3 AND early",
    )
    .bind(guild.db())
    .bind(run_id)
    .bind(reaction)
    .fetch_one(&mut *conn)
    .await?;
    let early = early_so_far < max_early;
    let inserted = sqlx::query(
        "INSERT INTO run_reaction (guild_id, run_id, reaction, user_id, early) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING",
    )
    .bind(guild.db())
    .bind(run_id)
    .bind(reaction)
    .bind(user.db())
    .bind(early)
    .execute(conn)
    .await?
    .rows_affected();
    Ok((inserted == 1).then_some(early))
}

/// Withdraws the reaction. Returns false when the member did not have it.
pub async fn remove(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    reaction: &str,
    user: Snowflake,
) -> Result<bool> {
    let done = sqlx::query(
        "DELETE FROM run_reaction WHERE guild_id = $1 AND run_id = $2 AND reaction = $3 AND user_id = $4",
    )
    .bind(guild.db())
    .bind(run_id)
    .bind(reaction)
    .bind(user.db())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn has(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
    reaction: &str,
    user: Snowflake,
) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM run_reaction
          WHERE guild_id = $1 AND run_id = $2 AND reaction = $3 AND user_id = $4)",
    )
    .bind(guild.db())
    .bind(run_id)
    .bind(reaction)
    .bind(user.db())
    .fetch_one(conn)
    .await?)
}

/// Members entitled to the location early (distinct), for notifying them.
pub async fn early_members(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
) -> Result<Vec<Snowflake>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT user_id FROM run_reaction WHERE guild_id = $1 AND run_id = $2 AND early
         ORDER BY user_id",
    )
    .bind(guild.db())
    .bind(run_id)
    .fetch_all(conn)
    .await?;
    ids.into_iter().map(snowflake).collect()
}
