//! The guild's verification settings (`/configverification`).

use domain::verification::{
    IMAGE_URL_MAX, MIN_ACCOUNT_AGE_MAX, MIN_CHARACTERS_MAX, MIN_RANK_MAX, PANEL_MESSAGE_MAX,
};
use domain::{ChannelKey, RoleKey, Snowflake};
use store::verification as store_veri;
use store::{PgPool, guild_config};

use super::{VeriConfig, VerificationError};
use crate::config::{SettingsChange, record_settings_change};
use crate::tasks::{self, SettingsArea, Task};
use crate::{Actor, Result};

pub async fn config(pool: &PgPool, guild: Snowflake) -> Result<VeriConfig> {
    let mut conn = pool.acquire().await?;
    Ok(store_veri::config::config(&mut conn, guild).await?)
}

/// What `/configverification` may change (None: keep).
#[derive(Debug, Clone, Default)]
pub struct ConfigChange {
    pub realmeye: Option<bool>,
    pub screenshot: Option<bool>,
    pub panel_message: Option<String>,
    pub image_url: Option<String>,
    pub min_rank: Option<u32>,
    pub min_alive_fame: Option<u64>,
    pub min_characters: Option<u32>,
    pub min_account_age_days: Option<u32>,
    pub hidden_location: Option<bool>,
    /// Post the get-verified panel in `getverified` after saving.
    pub post_panel: bool,
}

/// Saves the settings (moderator) and queues the panel in `getverified` when asked.
pub async fn configure(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    change: ConfigChange,
) -> Result<VeriConfig> {
    actor.require(RoleKey::Moderator)?;
    check_limits(&change)?;
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    let mut c = store_veri::config::config(&mut tx, guild).await?;
    let before = c.clone();
    let zero_none = |v: Option<u32>, old: Option<u32>| match v {
        Some(0) => None,
        Some(v) => Some(v),
        None => old,
    };
    c.realmeye_enabled = change.realmeye.unwrap_or(c.realmeye_enabled);
    c.screenshot_enabled = change.screenshot.unwrap_or(c.screenshot_enabled);
    if !c.realmeye_enabled && !c.screenshot_enabled {
        return Err(VerificationError::NoMethod.into());
    }
    if let Some(m) = change.panel_message {
        c.panel_message = Some(m).filter(|m| !m.trim().is_empty());
    }
    if let Some(u) = change.image_url {
        let u = u.trim().to_owned();
        if !u.is_empty() && !u.starts_with("https://") {
            return Err(VerificationError::BadImageUrl.into());
        }
        c.image_url = Some(u).filter(|u| !u.is_empty());
    }
    let r = &mut c.requirements;
    r.min_rank = zero_none(change.min_rank, r.min_rank);
    r.min_characters = zero_none(change.min_characters, r.min_characters);
    r.min_account_age_days = zero_none(change.min_account_age_days, r.min_account_age_days);
    r.min_alive_fame = match change.min_alive_fame {
        Some(0) => None,
        Some(v) => Some(v),
        None => r.min_alive_fame,
    };
    r.hidden_location = change.hidden_location.unwrap_or(r.hidden_location);
    store_veri::config::set_config(&mut tx, guild, &c).await?;
    record_settings_change(&mut tx, guild, actor, settings_diff(&before, &c)).await?;
    if change.post_panel {
        let channel = guild_config::channel(&mut tx, guild, ChannelKey::Getverified)
            .await?
            .ok_or(VerificationError::GetverifiedNotConfigured)?;
        tasks::queue(
            &mut tx,
            guild,
            Task::VeriPanelPost {
                channel,
                custom_role_id: None,
            },
            None,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(c)
}

/// The limits `/configverification`'s options state, for every adapter (Discord enforces
/// them on the command; the dashboard's forms come here).
fn check_limits(change: &ConfigChange) -> Result<()> {
    use super::error::Setting;
    let too_long = |setting, max| VerificationError::SettingTooLong { setting, max };
    let above = |setting, max| VerificationError::SettingOutOfRange {
        setting,
        max: Some(max),
    };
    if change
        .panel_message
        .as_ref()
        .is_some_and(|m| m.chars().count() > PANEL_MESSAGE_MAX)
    {
        return Err(too_long(Setting::PanelMessage, PANEL_MESSAGE_MAX).into());
    }
    if change
        .image_url
        .as_ref()
        .is_some_and(|u| u.chars().count() > IMAGE_URL_MAX)
    {
        return Err(too_long(Setting::ImageUrl, IMAGE_URL_MAX).into());
    }
    for (what, value, max) in [
        (Setting::MinRank, change.min_rank, MIN_RANK_MAX),
        (
            Setting::MinCharacters,
            change.min_characters,
            MIN_CHARACTERS_MAX,
        ),
        (
            Setting::MinAccountAgeDays,
            change.min_account_age_days,
            MIN_ACCOUNT_AGE_MAX,
        ),
    ] {
        if value.is_some_and(|v| v > max) {
            return Err(above(what, max).into());
        }
    }
    if change
        .min_alive_fame
        .is_some_and(|f| i64::try_from(f).is_err())
    {
        return Err(VerificationError::SettingOutOfRange {
            setting: Setting::MinAliveFame,
            max: None,
        }
        .into());
    }
    Ok(())
}

/// Which verification settings differ, for the audit log and `bot_log`.
fn settings_diff(before: &VeriConfig, after: &VeriConfig) -> SettingsChange {
    fn opt<T: ToString>(v: &Option<T>) -> String {
        v.as_ref().map_or_else(|| "none".to_owned(), T::to_string)
    }
    let mut s = SettingsChange::new("configure_verification", SettingsArea::Verification);
    s.field("realmeye", before.realmeye_enabled, after.realmeye_enabled);
    s.field(
        "screenshot",
        before.screenshot_enabled,
        after.screenshot_enabled,
    );
    s.field(
        "panel_message",
        opt(&before.panel_message),
        opt(&after.panel_message),
    );
    s.field("image_url", opt(&before.image_url), opt(&after.image_url));
    let (b, a) = (&before.requirements, &after.requirements);
    s.field("min_rank", opt(&b.min_rank), opt(&a.min_rank));
    s.field(
        "min_alive_fame",
        opt(&b.min_alive_fame),
        opt(&a.min_alive_fame),
    );
    s.field(
        "min_characters",
        opt(&b.min_characters),
        opt(&a.min_characters),
    );
    s.field(
        "min_account_age_days",
        opt(&b.min_account_age_days),
        opt(&a.min_account_age_days),
    );
    s.field("hidden_location", b.hidden_location, a.hidden_location);
    s
}

/// The verification settings as staff see them (moderator, as `/configverification`).
pub async fn config_for_staff(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
) -> Result<VeriConfig> {
    actor.require(RoleKey::Moderator)?;
    config(pool, guild).await
}
