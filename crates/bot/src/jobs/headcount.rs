//! Posting and refreshing headcount panels, and announcing a converted headcount's run.

use domain::Snowflake;
use domain::headcount::HeadcountStatus;
use twilight_model::id::Id;

use super::{JobError, channel_id};
use crate::discord::Failure;
use crate::{Ctx, views};

pub async fn post_panel(ctx: &Ctx, guild: Snowflake, id: i64) -> Result<(), JobError> {
    let detail = service::headcounts::get(&ctx.pool, guild, id).await?;
    let h = &detail.headcount;
    if h.panel_message_id.is_some() {
        return Ok(());
    }
    let Some(channel) = h.panel_channel_id else {
        return Ok(());
    };
    let embeds = [views::headcount::panel_embed(&detail)];
    let components = views::headcount::panel_components(h);
    let message = crate::discord::create_message_once(
        &ctx.http,
        channel_id(channel),
        ctx.http
            .create_message(channel_id(channel))
            .embeds(&embeds)
            .components(&components),
    )
    .await?
    .model()
    .await?;
    let message_id = Snowflake::new(message.id.get())
        .map_err(|e| JobError::Discord(Failure::Transient(e.to_string())))?;
    service::headcounts::panel_posted(&ctx.pool, guild, id, channel, message_id).await?;
    // Answers that came in while the panel was being posted are shown by a refresh.
    let latest = service::headcounts::get(&ctx.pool, guild, id).await?;
    if latest.reactions != detail.reactions || latest.headcount.status != h.status {
        service::headcounts::request_refresh(&ctx.pool, guild, id).await?;
    }
    Ok(())
}

pub async fn refresh_panel(ctx: &Ctx, guild: Snowflake, id: i64) -> Result<(), JobError> {
    let detail = service::headcounts::get(&ctx.pool, guild, id).await?;
    let h = &detail.headcount;
    let (Some(channel), Some(message)) = (h.panel_channel_id, h.panel_message_id) else {
        return Err(JobError::NotYet("the headcount panel is not posted yet"));
    };
    let embeds = [views::headcount::panel_embed(&detail)];
    let components = views::headcount::panel_components(h);
    crate::discord::pace_channel_write(channel_id(channel)).await;
    ctx.http
        .update_message(channel_id(channel), Id::new(message.get()))
        .embeds(Some(&embeds))
        .components(Some(&components))
        .await?;
    metrics::counter!("raidbot_panel_edits_total").increment(1);
    Ok(())
}

/// Mentions the raiders interested in the converted dungeon (and its key holders) under a
/// link to the new run's panel, in the run's channel.
pub async fn announce_run(ctx: &Ctx, guild: Snowflake, id: i64) -> Result<(), JobError> {
    let detail = service::headcounts::get(&ctx.pool, guild, id).await?;
    let (HeadcountStatus::Converted, Some(run_id)) =
        (detail.headcount.status, detail.headcount.converted_run_id)
    else {
        return Ok(());
    };
    let run = service::runs::get(&ctx.pool, guild, run_id).await?.run;
    let (Some(channel), Some(message)) = (run.panel_channel_id, run.panel_message_id) else {
        return Err(JobError::NotYet("the run panel is not posted yet"));
    };
    let link = format!("https://discord.com/channels/{guild}/{channel}/{message}");
    let notify = views::headcount::to_notify(&detail, &run.dungeon_code);
    let content = views::headcount::run_announcement(&detail, &run, &link, &notify);
    crate::discord::create_message_once(
        &ctx.http,
        channel_id(channel),
        ctx.http
            .create_message(channel_id(channel))
            .content(&content),
    )
    .await?;
    Ok(())
}
