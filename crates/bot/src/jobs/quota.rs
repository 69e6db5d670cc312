//! Quota panels: post, edit (split over several messages when long), delete; timers.

use domain::{ChannelKey, Snowflake};
use service::quota::PanelData;
use twilight_model::id::Id;

use super::{JobError, channel_id};
use crate::discord::Failure;
use crate::{Ctx, views};

fn snowflake(id: u64) -> Result<Snowflake, JobError> {
    Snowflake::new(id).map_err(|e| JobError::Discord(Failure::Transient(e.to_string())))
}

/// Redraws every quota panel of the guild in the `quota` channel (none when it is unset).
pub async fn refresh_panels(ctx: &Ctx, guild: Snowflake) -> Result<(), JobError> {
    let channels = service::config::channels(&ctx.pool, guild).await?;
    let Some(channel) = channels.get(&ChannelKey::Quota).copied() else {
        return Ok(());
    };
    for panel in service::quota::panels(&ctx.pool, guild).await? {
        draw(ctx, guild, channel, &panel).await?;
    }
    metrics::counter!("raidbot_quota_panel_refreshes_total").increment(1);
    Ok(())
}

async fn draw(
    ctx: &Ctx,
    guild: Snowflake,
    channel: Snowflake,
    panel: &PanelData,
) -> Result<(), JobError> {
    let role = panel.role.role_id;
    let messages = views::quota::panel_messages(panel);
    let mut existing = if panel.role.panel_channel_id == Some(channel) {
        panel.role.panel_message_ids.clone()
    } else {
        // The quota channel changed: the old panel goes.
        if let Some(old) = panel.role.panel_channel_id {
            delete(ctx, old, &panel.role.panel_message_ids).await?;
        }
        Vec::new()
    };
    let mut kept = Vec::with_capacity(messages.len());
    for (i, embeds) in messages.iter().enumerate() {
        let edited = match existing.get(i) {
            Some(id) => {
                crate::discord::pace_channel_write(channel_id(channel)).await;
                match ctx
                    .http
                    .update_message(channel_id(channel), Id::new(id.get()))
                    .embeds(Some(embeds))
                    .await
                {
                    Ok(_) => Some(*id),
                    Err(e) => match super::classify(&e) {
                        Failure::Permanent { code: 10008, .. } => None,
                        other => return Err(JobError::Discord(other)),
                    },
                }
            }
            None => None,
        };
        let id = match edited {
            Some(id) => id,
            None => {
                let message = crate::discord::create_message_once(
                    &ctx.http,
                    channel_id(channel),
                    ctx.http.create_message(channel_id(channel)).embeds(embeds),
                )
                .await?
                .model()
                .await?;
                let id = snowflake(message.id.get())?;
                // Remember each post at once, so a retry edits instead of posting twice.
                let mut so_far = kept.clone();
                so_far.push(id);
                so_far.extend(existing.iter().skip(i + 1).copied());
                service::quota::panel_posted(&ctx.pool, guild, role, Some(channel), &so_far)
                    .await?;
                id
            }
        };
        kept.push(id);
    }
    let surplus: Vec<Snowflake> = existing.split_off(kept.len().min(existing.len()));
    delete(ctx, channel, &surplus).await?;
    service::quota::panel_posted(&ctx.pool, guild, role, Some(channel), &kept).await?;
    Ok(())
}

/// Deletes panel messages; ones already gone are fine.
pub async fn delete(ctx: &Ctx, channel: Snowflake, messages: &[Snowflake]) -> Result<(), JobError> {
    for id in messages {
        if let Err(e) = ctx
            .http
            .delete_message(channel_id(channel), Id::new(id.get()))
            .await
        {
            match super::classify(&e) {
                Failure::Permanent {
                    code: 10008 | 10003,
                    ..
                } => {}
                other => return Err(JobError::Discord(other)),
            }
        }
    }
    Ok(())
}
