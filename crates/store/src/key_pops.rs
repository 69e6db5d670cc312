//! Keys popped, and who was present at each pop.

use domain::Snowflake;

use crate::{PgConnection, Result};

#[derive(Debug, Clone)]
pub struct NewKeyPop {
    pub guild_id: Snowflake,
    pub run_id: Option<i64>,
    pub user_id: Snowflake,
    pub dungeon_code: String,
    pub reaction: Option<String>,
    pub count: i32,
    pub logged_by: Option<Snowflake>,
    /// A key other than the dungeon's own, named by the organizer.
    pub key_name: Option<String>,
}

/// One logged pop, as its log entry and announcement show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedPop {
    pub user_id: Snowflake,
    pub count: i32,
    pub key_name: Option<String>,
}

/// Records a pop; for a run, the raiders joined right now are snapshotted with it.
pub async fn record(conn: &mut PgConnection, pop: &NewKeyPop) -> Result<i64> {
    let pop_id: i64 = sqlx::query_scalar(
        "INSERT INTO key_pop
            (guild_id, run_id, user_id, dungeon_code, reaction, count, logged_by, key_name)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING pop_id",
    )
    .bind(pop.guild_id.db())
    .bind(pop.run_id)
    .bind(pop.user_id.db())
    .bind(&pop.dungeon_code)
    .bind(&pop.reaction)
    .bind(pop.count)
    .bind(pop.logged_by.map(Snowflake::db))
    .bind(&pop.key_name)
    .fetch_one(&mut *conn)
    .await?;
    if let Some(run_id) = pop.run_id {
        sqlx::query(
            "INSERT INTO key_pop_raider (guild_id, pop_id, user_id)
             SELECT guild_id, $3, user_id FROM run_participant
             WHERE guild_id = $1 AND run_id = $2 AND state = 'joined'",
        )
        .bind(pop.guild_id.db())
        .bind(run_id)
        .bind(pop_id)
        .execute(conn)
        .await?;
    }
    Ok(pop_id)
}

/// Pops per member in a run, most first: (member, keys).
pub async fn by_member(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
) -> Result<Vec<(Snowflake, i64)>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT user_id, sum(count)::bigint FROM key_pop WHERE guild_id = $1 AND run_id = $2
         GROUP BY user_id ORDER BY sum(count) DESC, user_id",
    )
    .bind(guild.db())
    .bind(run_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(u, n)| Ok((crate::snowflake(u)?, n)))
        .collect()
}

/// Who popped, how many, and which key when named, for one logged pop.
pub async fn get(
    conn: &mut PgConnection,
    guild: Snowflake,
    pop_id: i64,
) -> Result<Option<LoggedPop>> {
    let row: Option<(i64, i32, Option<String>)> = sqlx::query_as(
        "SELECT user_id, count, key_name FROM key_pop WHERE guild_id = $1 AND pop_id = $2",
    )
    .bind(guild.db())
    .bind(pop_id)
    .fetch_optional(conn)
    .await?;
    row.map(|(u, count, key_name)| {
        Ok(LoggedPop {
            user_id: crate::snowflake(u)?,
            count,
            key_name,
        })
    })
    .transpose()
}

/// Records a key pop logged by hand (`/logkey`); returns its id.
pub async fn insert_manual(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    dungeon: &str,
    count: i32,
    logged_by: Option<Snowflake>,
) -> Result<i64> {
    crate::guild_config::ensure_guild(conn, guild).await?;
    Ok(sqlx::query_scalar(
        "INSERT INTO key_pop (guild_id, run_id, user_id, dungeon_code, count, logged_by)
         VALUES ($1, NULL, $2, $3, $4, $5) RETURNING pop_id",
    )
    .bind(guild.db())
    .bind(user.db())
    .bind(dungeon)
    .bind(count)
    .bind(logged_by.map(Snowflake::db))
    .fetch_one(conn)
    .await?)
}
