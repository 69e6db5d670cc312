//! Posting log channel entries.

use domain::{ChannelKey, Snowflake};
use service::tasks::LogEvent;
use twilight_model::channel::message::embed::Embed;

use super::{JobError, channel_id};
use crate::{Ctx, views};

pub async fn post(
    ctx: &Ctx,
    guild: Snowflake,
    key: ChannelKey,
    event: &LogEvent,
) -> Result<(), JobError> {
    let channel = {
        let channels = service::config::channels(&ctx.pool, guild).await?;
        match channels.get(&key) {
            Some(c) => *c,
            None => return Ok(()), // no such log channel: nothing to log
        }
    };
    let embed: Embed = match event {
        LogEvent::RunCreated { run_id }
        | LogEvent::RunStarted { run_id }
        | LogEvent::RunClosed { run_id } => {
            let detail = service::runs::get(&ctx.pool, guild, *run_id).await?;
            views::logs::run_entry(event, &detail)
        }
        LogEvent::RolesChanged { .. } | LogEvent::ChannelsChanged { .. } => {
            match views::logs::config_entry(event) {
                Some(e) => e,
                None => return Ok(()),
            }
        }
        LogEvent::JobFailed { what, reason } => views::logs::failure_entry(what, reason),
        LogEvent::PointsAwarded { .. } => match views::quota::points_log_entry(event) {
            Some(e) => e,
            None => return Ok(()),
        },
        LogEvent::QuotaPeriodEnded {
            role_id,
            end,
            met,
            members,
            ..
        } => views::quota::period_log_entry(role_id, *end, *met, *members),
    };
    ctx.http
        .create_message(channel_id(channel))
        .embeds(&[embed])
        .await?;
    Ok(())
}
