//! What each job kind does. The dispatcher claims jobs and handles retries; these
//! functions do one job's work, one module per feature.

mod logs;
mod quota;
mod runs;

use domain::Snowflake;
use service::ServiceError;
use service::tasks::Task;
use twilight_model::id::Id;
use twilight_model::id::marker::ChannelMarker;

use crate::Ctx;
pub(crate) use crate::discord::{Failure, classify};

#[derive(Debug)]
pub enum JobError {
    Discord(Failure),
    Service(ServiceError),
    /// Not possible yet (e.g. the panel is not posted yet): try again soon.
    NotYet(&'static str),
}

impl From<twilight_http::Error> for JobError {
    fn from(e: twilight_http::Error) -> Self {
        JobError::Discord(classify(&e))
    }
}

impl From<ServiceError> for JobError {
    fn from(e: ServiceError) -> Self {
        JobError::Service(e)
    }
}

impl From<twilight_http::response::DeserializeBodyError> for JobError {
    fn from(e: twilight_http::response::DeserializeBodyError) -> Self {
        JobError::Discord(Failure::Transient(e.to_string()))
    }
}

/// Does the work of one task.
pub async fn perform(ctx: &Ctx, guild: Snowflake, task: &Task) -> Result<(), JobError> {
    match task {
        Task::RunPanelPost { run_id } => runs::post_panel(ctx, guild, *run_id).await,
        Task::RunPanelRefresh { run_id } => runs::refresh_panel(ctx, guild, *run_id).await,
        Task::RunAutoEnd { run_id } => service::runs::auto_end(&ctx.pool, guild, *run_id)
            .await
            .map(|_| ())
            .map_err(JobError::from),
        Task::LogPost { channel, event } => logs::post(ctx, guild, *channel, event).await,
        Task::QuotaPanelsRefresh => quota::refresh_panels(ctx, guild).await,
        Task::QuotaPanelsTick => Ok(service::quota::panel_tick(&ctx.pool, guild).await?),
        Task::QuotaRollover { role_id } => {
            Ok(service::quota::rollover(&ctx.pool, guild, *role_id).await?)
        }
        Task::QuotaPanelDelete {
            channel_id,
            message_ids,
        } => quota::delete(ctx, *channel_id, message_ids).await,
    }
}

pub(crate) fn channel_id(s: Snowflake) -> Id<ChannelMarker> {
    Id::new(s.get())
}
