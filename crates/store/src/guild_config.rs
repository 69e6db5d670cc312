//! Guild rows and the role/channel key mappings.

use std::collections::BTreeMap;

use domain::{ChannelKey, RoleKey, Snowflake};

use crate::{PgConnection, Result, StoreError, snowflake};

/// Makes sure the guild has a row; every guild-scoped table references it.
pub async fn ensure_guild(conn: &mut PgConnection, guild: Snowflake) -> Result<()> {
    sqlx::query("INSERT INTO guild (guild_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(guild.db())
        .execute(conn)
        .await?;
    Ok(())
}

/// What creating a run needs of the guild, in one round trip: makes sure the guild has its
/// row ([`ensure_guild`]) and reads the channel `key` and the minutes runs last
/// ([`run_auto_end_minutes`]; the default for a guild whose row is new).
pub async fn run_settings(
    conn: &mut PgConnection,
    guild: Snowflake,
    key: ChannelKey,
) -> Result<(Option<Snowflake>, i32)> {
    let (channel, minutes): (Option<i64>, Option<i32>) = sqlx::query_as(
        "WITH ensured AS (INSERT INTO guild (guild_id) VALUES ($1) ON CONFLICT DO NOTHING)
         SELECT (SELECT discord_channel_id FROM guild_channel
                  WHERE guild_id = $1 AND channel_key = $2),
                (SELECT run_auto_end_minutes FROM guild WHERE guild_id = $1)",
    )
    .bind(guild.db())
    .bind(key.as_str())
    .fetch_one(conn)
    .await?;
    Ok((channel.map(snowflake).transpose()?, minutes.unwrap_or(120)))
}

pub async fn run_auto_end_minutes(conn: &mut PgConnection, guild: Snowflake) -> Result<i32> {
    let minutes: Option<i32> =
        sqlx::query_scalar("SELECT run_auto_end_minutes FROM guild WHERE guild_id = $1")
            .bind(guild.db())
            .fetch_optional(conn)
            .await?;
    Ok(minutes.unwrap_or(120))
}

/// Sets how long runs last before they end by themselves (the guild row must exist).
pub async fn set_run_auto_end_minutes(
    conn: &mut PgConnection,
    guild: Snowflake,
    minutes: i32,
) -> Result<()> {
    sqlx::query("UPDATE guild SET run_auto_end_minutes = $2 WHERE guild_id = $1")
        .bind(guild.db())
        .bind(minutes)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn roles(
    conn: &mut PgConnection,
    guild: Snowflake,
) -> Result<BTreeMap<RoleKey, Snowflake>> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT role_key, discord_role_id FROM guild_role WHERE guild_id = $1")
            .bind(guild.db())
            .fetch_all(conn)
            .await?;
    rows.into_iter()
        .map(|(key, role)| {
            let key = RoleKey::parse(&key).ok_or(StoreError::Corrupt(key))?;
            Ok((key, snowflake(role)?))
        })
        .collect()
}

pub async fn channels(
    conn: &mut PgConnection,
    guild: Snowflake,
) -> Result<BTreeMap<ChannelKey, Snowflake>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT channel_key, discord_channel_id FROM guild_channel WHERE guild_id = $1",
    )
    .bind(guild.db())
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(key, channel)| {
            let key = ChannelKey::parse(&key).ok_or(StoreError::Corrupt(key))?;
            Ok((key, snowflake(channel)?))
        })
        .collect()
}

pub async fn channel(
    conn: &mut PgConnection,
    guild: Snowflake,
    key: ChannelKey,
) -> Result<Option<Snowflake>> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT discord_channel_id FROM guild_channel WHERE guild_id = $1 AND channel_key = $2",
    )
    .bind(guild.db())
    .bind(key.as_str())
    .fetch_optional(conn)
    .await?;
    id.map(snowflake).transpose()
}

/// The guilds that mapped channel `key` (e.g. every `bot_log`, for the start-up line).
pub async fn guilds_with_channel(
    conn: &mut PgConnection,
    key: ChannelKey,
) -> Result<Vec<Snowflake>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT guild_id FROM guild_channel WHERE channel_key = $1 ORDER BY guild_id",
    )
    .bind(key.as_str())
    .fetch_all(conn)
    .await?;
    ids.into_iter().map(snowflake).collect()
}

/// Sets (`Some`) or clears (`None`) each given role key; keys not given stay as they are.
pub async fn set_role(
    conn: &mut PgConnection,
    guild: Snowflake,
    key: RoleKey,
    role: Option<Snowflake>,
) -> Result<()> {
    match role {
        Some(role) => sqlx::query(
            "INSERT INTO guild_role (guild_id, role_key, discord_role_id) VALUES ($1, $2, $3)
             ON CONFLICT (guild_id, role_key)
             DO UPDATE SET discord_role_id = EXCLUDED.discord_role_id, updated_at = now()",
        )
        .bind(guild.db())
        .bind(key.as_str())
        .bind(role.db()),
        None => sqlx::query("DELETE FROM guild_role WHERE guild_id = $1 AND role_key = $2")
            .bind(guild.db())
            .bind(key.as_str()),
    }
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets (`Some`) or clears (`None`) one channel key.
pub async fn set_channel(
    conn: &mut PgConnection,
    guild: Snowflake,
    key: ChannelKey,
    channel: Option<Snowflake>,
) -> Result<()> {
    match channel {
        Some(channel) => sqlx::query(
            "INSERT INTO guild_channel (guild_id, channel_key, discord_channel_id) VALUES ($1, $2, $3)
             ON CONFLICT (guild_id, channel_key)
             DO UPDATE SET discord_channel_id = EXCLUDED.discord_channel_id, updated_at = now()",
        )
        .bind(guild.db())
        .bind(key.as_str())
        .bind(channel.db()),
        None => sqlx::query("DELETE FROM guild_channel WHERE guild_id = $1 AND channel_key = $2")
            .bind(guild.db())
            .bind(key.as_str()),
    }
    .execute(conn)
    .await?;
    Ok(())
}
