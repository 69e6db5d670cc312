//! Scheduled raids: posting and refreshing the announcement, the reminder, the DMs.

use domain::Snowflake;
use service::schedule::{self, ScheduleDetail};
use service::tasks::ScheduleNote;
use twilight_model::id::Id;

use super::{JobError, channel_id, classify};
use crate::discord::Failure;
use crate::{Ctx, views};

fn link(d: &ScheduleDetail) -> Option<String> {
    let s = &d.scheduled;
    match (s.panel_channel_id, s.panel_message_id) {
        (Some(c), Some(m)) => Some(format!(
            "https://discord.com/channels/{}/{c}/{m}",
            s.guild_id
        )),
        _ => None,
    }
}

pub async fn post_panel(ctx: &Ctx, guild: Snowflake, id: i64) -> Result<(), JobError> {
    let d = schedule::get(&ctx.pool, guild, id).await?;
    let s = &d.scheduled;
    if s.panel_message_id.is_some() {
        return Ok(());
    }
    let Some(channel) = s.panel_channel_id else {
        return Ok(());
    };
    let embeds = [views::schedule::panel_embed(&d)];
    let components = views::schedule::panel_components(&d);
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
    schedule::panel_posted(&ctx.pool, guild, id, channel, message_id).await?;
    // Answers that came in while it was being posted are shown by a refresh.
    let latest = schedule::get(&ctx.pool, guild, id).await?;
    if latest.signups != d.signups || latest.keys != d.keys || latest.scheduled.status != s.status {
        schedule::request_refresh(&ctx.pool, guild, id).await?;
    }
    Ok(())
}

pub async fn refresh_panel(ctx: &Ctx, guild: Snowflake, id: i64) -> Result<(), JobError> {
    let d = schedule::get(&ctx.pool, guild, id).await?;
    let s = &d.scheduled;
    let (Some(channel), Some(message)) = (s.panel_channel_id, s.panel_message_id) else {
        return Err(JobError::NotYet("the announcement is not posted yet"));
    };
    let embeds = [views::schedule::panel_embed(&d)];
    let components = views::schedule::panel_components(&d);
    ctx.http
        .update_message(channel_id(channel), Id::new(message.get()))
        .embeds(Some(&embeds))
        .components(Some(&components))
        .await?;
    metrics::counter!("raidbot_panel_edits_total").increment(1);
    Ok(())
}

/// Pings the signed-up members in the raid channel, once: a retry of this job finds its
/// first post (the job's nonce), and the row remembers that it was sent.
pub async fn remind(ctx: &Ctx, guild: Snowflake, id: i64) -> Result<(), JobError> {
    let Some(d) = schedule::reminder_due(&ctx.pool, guild, id).await? else {
        return Ok(());
    };
    let Some(channel) = d.scheduled.panel_channel_id else {
        return Ok(());
    };
    let content = views::schedule::reminder(&d, link(&d).as_deref());
    crate::discord::create_message_once(
        &ctx.http,
        channel_id(channel),
        ctx.http
            .create_message(channel_id(channel))
            .content(&content),
    )
    .await?;
    schedule::reminded(&ctx.pool, guild, id).await?;
    Ok(())
}

/// Tells one member that the raid opened (with a Join button) or was called off. Closed
/// DMs are respected: the member is skipped, nothing is retried.
pub async fn dm(
    ctx: &Ctx,
    guild: Snowflake,
    id: i64,
    user: Snowflake,
    note: ScheduleNote,
) -> Result<(), JobError> {
    let d = schedule::get(&ctx.pool, guild, id).await?;
    let s = &d.scheduled;
    let channel = ctx
        .http
        .create_private_channel(Id::new(user.get()))
        .await?
        .model()
        .await?;
    let (text, components) = match note {
        ScheduleNote::Opened => {
            let run_channel = match s.run_id {
                Some(run) => {
                    service::runs::get(&ctx.pool, guild, run)
                        .await?
                        .run
                        .panel_channel_id
                }
                None => None,
            };
            views::schedule::opened_dm(s, run_channel)
        }
        ScheduleNote::Cancelled => (views::schedule::cancelled_dm(s), Vec::new()),
    };
    let sent = crate::discord::create_message_once(
        &ctx.http,
        channel.id,
        ctx.http
            .create_message(channel.id)
            .content(&text)
            .components(&components),
    )
    .await;
    match sent {
        Ok(_) => Ok(()),
        Err(e) => match classify(&e) {
            Failure::Permanent { code: 50007, .. } => {
                tracing::info!(%user, schedule = id, "the member does not accept DMs; skipped");
                Ok(())
            }
            other => Err(JobError::Discord(other)),
        },
    }
}
