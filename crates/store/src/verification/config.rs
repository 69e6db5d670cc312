//! A guild's verification settings (requirements, channels, messages).

use domain::Snowflake;
use domain::verification::Requirements;

use crate::{PgConnection, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct VeriConfig {
    pub realmeye_enabled: bool,
    pub screenshot_enabled: bool,
    pub panel_message: Option<String>,
    pub image_url: Option<String>,
    pub requirements: Requirements,
}

impl Default for VeriConfig {
    fn default() -> Self {
        VeriConfig {
            realmeye_enabled: true,
            screenshot_enabled: true,
            panel_message: None,
            image_url: None,
            requirements: Requirements::default(),
        }
    }
}

fn u32_opt(v: Option<i32>) -> Option<u32> {
    v.and_then(|v| u32::try_from(v).ok())
}

/// A `veri_config` row as stored.
#[derive(sqlx::FromRow)]
struct ConfigRow {
    realmeye_enabled: bool,
    screenshot_enabled: bool,
    panel_message: Option<String>,
    image_url: Option<String>,
    min_rank: Option<i32>,
    min_alive_fame: Option<i64>,
    min_characters: Option<i32>,
    min_account_age_days: Option<i32>,
    require_hidden_location: bool,
}

impl From<ConfigRow> for VeriConfig {
    fn from(r: ConfigRow) -> Self {
        VeriConfig {
            realmeye_enabled: r.realmeye_enabled,
            screenshot_enabled: r.screenshot_enabled,
            panel_message: r.panel_message,
            image_url: r.image_url,
            requirements: Requirements {
                min_rank: u32_opt(r.min_rank),
                min_alive_fame: r.min_alive_fame.and_then(|v| u64::try_from(v).ok()),
                min_characters: u32_opt(r.min_characters),
                min_account_age_days: u32_opt(r.min_account_age_days),
                hidden_location: r.require_hidden_location,
            },
        }
    }
}

pub async fn config(conn: &mut PgConnection, guild: Snowflake) -> Result<VeriConfig> {
    let row = sqlx::query_as::<_, ConfigRow>("SELECT * FROM veri_config WHERE guild_id = $1")
        .bind(guild.db())
        .fetch_optional(conn)
        .await?;
    Ok(row.map(VeriConfig::from).unwrap_or_default())
}

pub async fn set_config(conn: &mut PgConnection, guild: Snowflake, c: &VeriConfig) -> Result<()> {
    let req = &c.requirements;
    let i32_of = |v: Option<u32>| v.map(|v| i32::try_from(v).unwrap_or(i32::MAX));
    sqlx::query(
        "INSERT INTO veri_config (guild_id, realmeye_enabled, screenshot_enabled, panel_message,
            image_url, min_rank, min_alive_fame, min_characters, min_account_age_days,
            require_hidden_location)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (guild_id) DO UPDATE SET realmeye_enabled = $2, screenshot_enabled = $3,
            panel_message = $4, image_url = $5, min_rank = $6, min_alive_fame = $7,
            min_characters = $8, min_account_age_days = $9, require_hidden_location = $10,
            updated_at = now()",
    )
    .bind(guild.db())
    .bind(c.realmeye_enabled)
    .bind(c.screenshot_enabled)
    .bind(&c.panel_message)
    .bind(&c.image_url)
    .bind(i32_of(req.min_rank))
    .bind(
        req.min_alive_fame
            .map(|v| i64::try_from(v).unwrap_or(i64::MAX)),
    )
    .bind(i32_of(req.min_characters))
    .bind(i32_of(req.min_account_age_days))
    .bind(req.hidden_location)
    .execute(conn)
    .await?;
    Ok(())
}
