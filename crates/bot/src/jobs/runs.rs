//! Posting and refreshing run panels.

use domain::Snowflake;
use service::tasks;
use twilight_model::id::Id;

use super::{JobError, channel_id};
use crate::discord::Failure;
use crate::{Ctx, views};

pub async fn post_panel(ctx: &Ctx, guild: Snowflake, run_id: i64) -> Result<(), JobError> {
    let detail = service::runs::get(&ctx.pool, guild, run_id).await?;
    let run = &detail.run;
    if run.panel_message_id.is_some() {
        return Ok(());
    }
    let Some(channel) = run.panel_channel_id else {
        return Ok(());
    };
    let embeds = [views::runs::panel_embed(&detail)];
    let components = views::runs::panel_components(run);
    let message = ctx
        .http
        .create_message(channel_id(channel))
        .embeds(&embeds)
        .components(&components)
        .await?
        .model()
        .await?;
    let message_id = Snowflake::new(message.id.get())
        .map_err(|e| JobError::Discord(Failure::Transient(e.to_string())))?;
    service::runs::panel_posted(&ctx.pool, guild, run_id, channel, message_id).await?;
    // Joins that came in while the panel was being posted are shown by a refresh.
    let latest = service::runs::get(&ctx.pool, guild, run_id).await?;
    if latest.participants != detail.participants || latest.run.status != run.status {
        let mut conn = ctx
            .pool
            .acquire()
            .await
            .map_err(|e| JobError::Service(e.into()))?;
        tasks::refresh_panel(&mut conn, guild, run_id)
            .await
            .map_err(|e| JobError::Service(e.into()))?;
    }
    Ok(())
}

pub async fn refresh_panel(ctx: &Ctx, guild: Snowflake, run_id: i64) -> Result<(), JobError> {
    let detail = service::runs::get(&ctx.pool, guild, run_id).await?;
    let run = &detail.run;
    let (Some(channel), Some(message)) = (run.panel_channel_id, run.panel_message_id) else {
        return Err(JobError::NotYet("the panel is not posted yet"));
    };
    let embeds = [views::runs::panel_embed(&detail)];
    let components = views::runs::panel_components(run);
    ctx.http
        .update_message(channel_id(channel), Id::new(message.get()))
        .embeds(Some(&embeds))
        .components(Some(&components))
        .await?;
    metrics::counter!("raidbot_panel_edits_total").increment(1);
    Ok(())
}
