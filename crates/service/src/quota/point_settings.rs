//! The raider-points settings (`/configpoints`).

use super::*;

/// The raider-points settings.
pub async fn point_config(pool: &PgPool, guild: Snowflake, actor: &Actor) -> Result<PointConfig> {
    actor.require(RoleKey::Moderator)?;
    let mut conn = pool.acquire().await?;
    Ok(point_config::point_config(&mut conn, guild).await?)
}

#[derive(Debug, Clone, PartialEq)]
pub enum PointsChange {
    Defaults {
        completion: Points,
        key_pop: Points,
    },
    Dungeon {
        dungeon: String,
        completion: Option<Points>,
        key_pop: Option<Points>,
    },
    /// The leaderboard's period; applies from the next boundary.
    Schedule(Schedule),
}

pub async fn configure_points(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    change: PointsChange,
) -> Result<PointConfig> {
    actor.require(RoleKey::Moderator)?;
    let mut tx = pool.begin().await?;
    store::guild_config::ensure_guild(&mut tx, guild).await?;
    let mut cfg = point_config::point_config(&mut tx, guild).await?;
    let mut settings = SettingsChange::new("configure_points", SettingsArea::Points);
    match &change {
        PointsChange::Defaults {
            completion,
            key_pop,
        } => {
            settings.field("completion_points", cfg.completion_points, completion);
            settings.field("key_pop_points", cfg.key_pop_points, key_pop);
            cfg.completion_points = *completion;
            cfg.key_pop_points = *key_pop;
        }
        PointsChange::Dungeon {
            dungeon,
            completion,
            key_pop,
        } => {
            let code = check_dungeon(dungeon)?;
            point_config::set_point_dungeon(&mut tx, guild, &code, *completion, *key_pop).await?;
            let or_default =
                |p: &Option<Points>| p.map_or_else(|| "default".to_owned(), |p| p.to_string());
            settings.set(
                &format!("dungeon.{code}.completion"),
                or_default(completion),
            );
            settings.set(&format!("dungeon.{code}.key_pop"), or_default(key_pop));
        }
        PointsChange::Schedule(s) => {
            // The current period keeps its end; the new schedule applies after it.
            let current = point_periods::ensure_period(
                &mut tx,
                guild,
                LEADERBOARD_SCOPE,
                &cfg.schedule,
                Utc::now(),
            )
            .await?;
            let s = s.validate().map_err(QuotaError::BadSchedule)?;
            let before = schedule_text(&cfg.schedule);
            cfg.schedule = anchored(s, current.period.end);
            settings.field("schedule", before, schedule_text(&cfg.schedule));
        }
    }
    point_config::save_point_config(&mut tx, guild, &cfg).await?;
    record_settings_change(&mut tx, guild, actor, settings).await?;
    let cfg = point_config::point_config(&mut tx, guild).await?;
    tx.commit().await?;
    Ok(cfg)
}
