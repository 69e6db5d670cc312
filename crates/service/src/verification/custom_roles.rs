//! Custom role verifications: roles staff grant on a screenshot, their panels.

use domain::{RoleKey, Snowflake};
use store::verification as store_veri;
use store::{PgPool, guild_config};

use super::{CustomRole, VerificationError, dm};
use crate::config::{SettingsChange, record_settings_change};
use crate::tasks::{self, SettingsArea, Task, VeriNote};
use crate::{Actor, Result};

/// A custom verification role as staff define it.
#[derive(Debug, Clone)]
pub struct NewCustomRole<'a> {
    pub name: &'a str,
    pub role: Snowflake,
    pub description: Option<&'a str>,
    pub review_channel: Snowflake,
    pub panel_channel: Snowflake,
}

/// Adds a custom verification role and queues its panel in `panel_channel` (moderator).
pub async fn add_custom_role(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    new: NewCustomRole<'_>,
) -> Result<CustomRole> {
    actor.require(RoleKey::Moderator)?;
    let NewCustomRole {
        name,
        role,
        description,
        review_channel,
        panel_channel,
    } = new;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(VerificationError::BadRoleName.into());
    }
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    let cr = store_veri::custom_roles::upsert_custom_role(
        &mut tx,
        guild,
        name,
        role,
        description,
        review_channel,
    )
    .await?;
    let mut settings =
        SettingsChange::new("add_role_verification", SettingsArea::RoleVerificationAdded);
    settings.role = Some(role);
    settings.name = Some(cr.name.clone());
    settings.set("id", cr.custom_role_id);
    settings.set("review_channel", review_channel);
    settings.set("panel_channel", panel_channel);
    record_settings_change(&mut tx, guild, actor, settings).await?;
    tasks::queue(
        &mut tx,
        guild,
        Task::VeriPanelPost {
            channel: panel_channel,
            custom_role_id: Some(cr.custom_role_id),
        },
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(cr)
}

pub async fn custom_role(pool: &PgPool, guild: Snowflake, id: i64) -> Result<CustomRole> {
    let mut conn = pool.acquire().await?;
    store_veri::custom_roles::custom_role(&mut conn, guild, id)
        .await?
        .ok_or_else(|| VerificationError::RoleVerificationGone.into())
}

/// The custom verification roles that take requests, oldest first (moderator, as
/// `/addroleverification`).
pub async fn custom_roles(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
) -> Result<Vec<CustomRole>> {
    actor.require(RoleKey::Moderator)?;
    let mut conn = pool.acquire().await?;
    Ok(store_veri::custom_roles::custom_roles(&mut conn, guild).await?)
}

/// Removes a custom verification role (moderator): its panels stop taking requests and are
/// deleted from Discord, open requests are cancelled and screenshots waiting for staff are
/// withdrawn (their cards say so and stop; the members are told). Roles already granted
/// stay.
pub async fn remove_custom_role(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    id: i64,
) -> Result<CustomRole> {
    actor.require(RoleKey::Moderator)?;
    let mut tx = pool.begin().await?;
    let cr = store_veri::custom_roles::remove_custom_role(&mut tx, guild, id, actor.user_id)
        .await?
        .ok_or(VerificationError::NoSuchRoleVerification { id })?;
    for user in store_veri::custom_roles::cancel_open_for_custom_role(&mut tx, guild, id).await? {
        let note = VeriNote::RoleWithdrawn {
            role_name: cr.name.clone(),
        };
        dm(&mut tx, guild, user, note).await?;
    }
    // Screenshots waiting for staff are withdrawn: their cards say so and lose their
    // buttons, and the members are told.
    for (review_id, user) in store_veri::custom_roles::withdraw_reviews_for_custom_role(
        &mut tx,
        guild,
        id,
        actor.user_id,
    )
    .await?
    {
        let note = VeriNote::RoleWithdrawn {
            role_name: cr.name.clone(),
        };
        dm(&mut tx, guild, user, note).await?;
        tasks::queue(&mut tx, guild, Task::VeriReviewRefresh { review_id }, None).await?;
    }
    let mut settings = SettingsChange::new(
        "remove_role_verification",
        SettingsArea::RoleVerificationRemoved,
    );
    settings.role = Some(cr.role_id);
    settings.name = Some(cr.name.clone());
    settings.set("id", id);
    record_settings_change(&mut tx, guild, actor, settings).await?;
    for (channel, message) in
        store_veri::custom_roles::take_custom_role_panels(&mut tx, guild, id).await?
    {
        tasks::queue(
            &mut tx,
            guild,
            Task::VeriPanelDelete { channel, message },
            None,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(cr)
}

/// The bot posted a custom role's panel: remember it, so removing the role deletes it. A
/// panel posted after the role was removed is queued for deletion at once.
pub async fn custom_role_panel_posted(
    pool: &PgPool,
    guild: Snowflake,
    id: i64,
    channel: Snowflake,
    message: Snowflake,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    let removed = store_veri::custom_roles::custom_role(&mut tx, guild, id)
        .await?
        .is_none_or(|c| c.removed_at.is_some());
    if removed {
        tasks::queue(
            &mut tx,
            guild,
            Task::VeriPanelDelete { channel, message },
            None,
        )
        .await?;
    } else {
        store_veri::custom_roles::record_custom_role_panel(&mut tx, guild, id, channel, message)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Whether the member has granted custom roles to keep (from approved reviews).
pub async fn granted_custom_roles(
    pool: &PgPool,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Vec<Snowflake>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT c.role_id FROM veri_review r JOIN veri_custom_role c
           ON c.guild_id = r.guild_id AND c.custom_role_id = r.custom_role_id
         WHERE r.guild_id = $1 AND r.user_id = $2 AND r.state = 'approved'",
    )
    .bind(guild.db())
    .bind(user.db())
    .fetch_all(pool)
    .await?;
    Ok(ids
        .into_iter()
        .filter_map(|i| Snowflake::from_db(i).ok())
        .collect())
}
