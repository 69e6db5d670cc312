//! Raider-points settings of a guild: completion and key-pop values (guild-wide and per
//! dungeon) and the leaderboard schedule.

use std::collections::BTreeMap;

use domain::Snowflake;
use domain::quota::{Points, Schedule};

use crate::{PgConnection, Result, StoreError};

/// Raider-points settings of a guild (defaults when never configured).
#[derive(Debug, Clone, PartialEq)]
pub struct PointConfig {
    pub completion_points: Points,
    pub key_pop_points: Points,
    pub schedule: Schedule,
    /// Per dungeon: (completion, key pop) overrides.
    pub dungeons: BTreeMap<String, (Option<Points>, Option<Points>)>,
}

impl Default for PointConfig {
    fn default() -> Self {
        PointConfig {
            completion_points: Points::ONE,
            key_pop_points: Points::ONE,
            schedule: Schedule::default(),
            dungeons: BTreeMap::new(),
        }
    }
}

impl PointConfig {
    pub fn completion(&self, dungeon: &str) -> Points {
        self.dungeons
            .get(dungeon)
            .and_then(|d| d.0)
            .unwrap_or(self.completion_points)
    }
    pub fn key_pop(&self, dungeon: &str) -> Points {
        self.dungeons
            .get(dungeon)
            .and_then(|d| d.1)
            .unwrap_or(self.key_pop_points)
    }
}

pub async fn leaderboard_schedule(conn: &mut PgConnection, guild: Snowflake) -> Result<Schedule> {
    let v: Option<serde_json::Value> =
        sqlx::query_scalar("SELECT schedule FROM point_config WHERE guild_id = $1")
            .bind(guild.db())
            .fetch_optional(conn)
            .await?;
    v.map(crate::schedule_from)
        .transpose()
        .map(Option::unwrap_or_default)
}

pub async fn point_config(conn: &mut PgConnection, guild: Snowflake) -> Result<PointConfig> {
    let sql = format!(
        "SELECT c.completion_points, c.key_pop_points, c.schedule AS leaderboard_schedule,
                {CONFIG_DUNGEONS}
         FROM (SELECT $1::bigint AS guild_id) g
         LEFT JOIN point_config c ON c.guild_id = g.guild_id"
    );
    sqlx::query_as::<_, ConfigRow>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .fetch_one(conn)
        .await?
        .try_into()
}

/// The per-dungeon values of guild `g.guild_id`, as column `dungeons` (see
/// [`ConfigRow`]).
pub(crate) const CONFIG_DUNGEONS: &str =
    "(SELECT coalesce(json_agg(json_build_array(d.dungeon_code,
                     d.completion_points, d.key_pop_points)), '[]'::json)
         FROM point_dungeon d WHERE d.guild_id = g.guild_id) AS dungeons";

/// The settings as columns completion_points, key_pop_points, leaderboard_schedule (all
/// null when the guild never saved any) and [`CONFIG_DUNGEONS`].
#[derive(sqlx::FromRow)]
pub(crate) struct ConfigRow {
    completion_points: Option<i64>,
    key_pop_points: Option<i64>,
    leaderboard_schedule: Option<serde_json::Value>,
    dungeons: serde_json::Value,
}

impl TryFrom<ConfigRow> for PointConfig {
    type Error = StoreError;
    fn try_from(r: ConfigRow) -> Result<PointConfig> {
        let mut cfg = PointConfig::default();
        if let (Some(c), Some(k), Some(schedule)) = (
            r.completion_points,
            r.key_pop_points,
            r.leaderboard_schedule,
        ) {
            cfg.completion_points = Points(c);
            cfg.key_pop_points = Points(k);
            cfg.schedule = crate::schedule_from(schedule)?;
        }
        let dungeons: Vec<(String, Option<i64>, Option<i64>)> = serde_json::from_value(r.dungeons)
            .map_err(|e| StoreError::Corrupt(format!("point_dungeon: {e}")))?;
        for (code, c, k) in dungeons {
            cfg.dungeons.insert(code, (c.map(Points), k.map(Points)));
        }
        Ok(cfg)
    }
}

/// Saves the guild-wide values and schedule (not the per-dungeon ones).
pub async fn save_point_config(
    conn: &mut PgConnection,
    guild: Snowflake,
    cfg: &PointConfig,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO point_config (guild_id, completion_points, key_pop_points, schedule)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (guild_id) DO UPDATE SET completion_points = EXCLUDED.completion_points,
            key_pop_points = EXCLUDED.key_pop_points, schedule = EXCLUDED.schedule,
            updated_at = now()",
    )
    .bind(guild.db())
    .bind(cfg.completion_points.0)
    .bind(cfg.key_pop_points.0)
    .bind(crate::schedule_json(&cfg.schedule)?)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets a dungeon's completion and key-pop values; `None` falls back to the defaults.
pub async fn set_point_dungeon(
    conn: &mut PgConnection,
    guild: Snowflake,
    dungeon: &str,
    completion: Option<Points>,
    key_pop: Option<Points>,
) -> Result<()> {
    if completion.is_none() && key_pop.is_none() {
        sqlx::query("DELETE FROM point_dungeon WHERE guild_id = $1 AND dungeon_code = $2")
            .bind(guild.db())
            .bind(dungeon)
            .execute(conn)
            .await?;
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO point_dungeon (guild_id, dungeon_code, completion_points, key_pop_points)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (guild_id, dungeon_code) DO UPDATE SET
            completion_points = EXCLUDED.completion_points, key_pop_points = EXCLUDED.key_pop_points",
    )
    .bind(guild.db())
    .bind(dungeon)
    .bind(completion.map(|p| p.0))
    .bind(key_pop.map(|p| p.0))
    .execute(conn)
    .await?;
    Ok(())
}
