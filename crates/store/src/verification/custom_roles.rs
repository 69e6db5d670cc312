//! Custom verification roles: roles members request with a screenshot, and their panels.

use chrono::{DateTime, Utc};
use domain::Snowflake;

use super::sessions::OPEN_STEPS;
use crate::{PgConnection, Result, snowflake};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CustomRole {
    pub custom_role_id: i64,
    pub name: String,
    #[sqlx(try_from = "crate::columns::Id")]
    pub role_id: Snowflake,
    pub description: Option<String>,
    #[sqlx(try_from = "crate::columns::Id")]
    pub review_channel_id: Snowflake,
    pub created_at: DateTime<Utc>,
    /// Set once staff removed it: it takes no more requests.
    pub removed_at: Option<DateTime<Utc>>,
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
    Ok(sqlx::query_as::<_, CustomRole>(
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
    .await?)
}

pub async fn custom_role(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
) -> Result<Option<CustomRole>> {
    Ok(sqlx::query_as::<_, CustomRole>(
        "SELECT * FROM veri_custom_role WHERE guild_id = $1 AND custom_role_id = $2",
    )
    .bind(guild.db())
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// The custom verification roles that still take requests, oldest first.
pub async fn custom_roles(conn: &mut PgConnection, guild: Snowflake) -> Result<Vec<CustomRole>> {
    Ok(sqlx::query_as::<_, CustomRole>(
        "SELECT * FROM veri_custom_role WHERE guild_id = $1 AND removed_at IS NULL
         ORDER BY custom_role_id",
    )
    .bind(guild.db())
    .fetch_all(conn)
    .await?)
}

/// Marks a custom role removed; None when there is no such one still active.
pub async fn remove_custom_role(
    conn: &mut PgConnection,
    guild: Snowflake,
    id: i64,
    by: Option<Snowflake>,
) -> Result<Option<CustomRole>> {
    Ok(sqlx::query_as::<_, CustomRole>(
        "UPDATE veri_custom_role SET removed_at = now(), removed_by = $3
         WHERE guild_id = $1 AND custom_role_id = $2 AND removed_at IS NULL RETURNING *",
    )
    .bind(guild.db())
    .bind(id)
    .bind(by.map(Snowflake::db))
    .fetch_optional(conn)
    .await?)
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
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "DELETE FROM veri_custom_role_panel WHERE guild_id = $1 AND custom_role_id = $2
         RETURNING channel_id, message_id",
    )
    .bind(guild.db())
    .bind(id)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(channel, message)| Ok((snowflake(channel)?, snowflake(message)?)))
        .collect()
}
