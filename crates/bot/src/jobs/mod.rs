//! What each job kind does. The dispatcher claims jobs and handles retries; these
//! functions do one job's work, one module per feature.

mod headcount;
mod logs;
mod moderation;
mod modmail;
mod party;
mod promotions;
mod quota;
mod role_pings;
mod runs;
mod schedule;
mod staff;
mod verification;

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
    /// Too soon after the previous edit of the same message: try again after this long.
    Later(std::time::Duration),
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
        Task::RunPanelRefresh { run_id } | Task::RunKeyWindowClosed { run_id } => {
            runs::refresh_panel(ctx, guild, *run_id).await
        }
        Task::RunAutoEnd { run_id } => service::runs::auto_end(&ctx.pool, guild, *run_id)
            .await
            .map(|_| ())
            .map_err(JobError::from),
        Task::HeadcountPanelPost { headcount_id } => {
            headcount::post_panel(ctx, guild, *headcount_id).await
        }
        Task::HeadcountPanelRefresh { headcount_id } => {
            headcount::refresh_panel(ctx, guild, *headcount_id).await
        }
        Task::HeadcountAutoEnd { headcount_id } => {
            service::headcounts::auto_end(&ctx.pool, guild, *headcount_id)
                .await
                .map(|_| ())
                .map_err(JobError::from)
        }
        Task::PartyPost { party_id } => party::post(ctx, guild, *party_id).await,
        Task::PartyRefresh { party_id } => party::refresh(ctx, guild, *party_id).await,
        Task::PartyAutoClose { party_id } => {
            service::party::auto_close(&ctx.pool, guild, *party_id)
                .await
                .map(|_| ())
                .map_err(JobError::from)
        }
        Task::HeadcountRunAnnounce { headcount_id } => {
            headcount::announce_run(ctx, guild, *headcount_id).await
        }
        Task::PartyRemove { party_id } => party::remove(ctx, guild, *party_id).await,
        Task::RolePingPanelPost { channel } => role_pings::post_panel(ctx, guild, *channel).await,
        Task::LogPost { channel, event } => logs::post(ctx, guild, *channel, event).await,
        // A member's role job of an older version: its run's role job does it.
        Task::RunRoles { run_id } | Task::RunRoleSync { run_id, .. } => {
            runs::sync_roles(ctx, guild, *run_id).await
        }
        Task::RunCleanup { run_id } => runs::cleanup(ctx, guild, *run_id).await,
        Task::Notify { user_id, note } => runs::notify(ctx, guild, *user_id, note).await,
        Task::RunAnnounce {
            run_id,
            announcement,
        } => runs::announce(ctx, guild, *run_id, announcement).await,
        Task::PunishmentApply { punishment_id } => {
            moderation::apply(ctx, guild, *punishment_id).await
        }
        Task::PunishmentExpire { punishment_id } => {
            service::moderation::expire(&ctx.pool, guild, *punishment_id)
                .await
                .map(|_| ())
                .map_err(JobError::from)
        }
        Task::VeriDm { user_id, note } => verification::dm(ctx, guild, *user_id, note).await,
        Task::MemberSync { user_id } => verification::sync_member(ctx, guild, *user_id).await,
        Task::VeriSessionExpire { session_id } => {
            service::verification::expire(&ctx.pool, guild, *session_id)
                .await
                .map(|_| ())
                .map_err(JobError::from)
        }
        Task::PunishmentRole {
            punishment_id,
            give,
        } => moderation::role(ctx, guild, *punishment_id, *give).await,
        Task::Unban { user_id, .. } => moderation::unban(ctx, guild, *user_id).await,
        Task::TeamRoleSync { user_id } => staff::team_sync(ctx, guild, *user_id).await,
        Task::QuotaPanelsRefresh => quota::refresh_panels(ctx, guild).await,
        Task::QuotaPanelsTick => Ok(service::quota::panel_tick(&ctx.pool, guild).await?),
        Task::QuotaRollover { role_id } => {
            Ok(service::quota::rollover(&ctx.pool, guild, *role_id).await?)
        }
        Task::QuotaPanelDelete {
            channel_id,
            message_ids,
        } => quota::delete(ctx, *channel_id, message_ids).await,
        Task::VeriReviewPost { review_id } => {
            verification::post_review(ctx, guild, *review_id).await
        }
        Task::VeriReviewRefresh { review_id } => {
            verification::refresh_review(ctx, guild, *review_id).await
        }
        Task::VeriPanelPost {
            channel,
            custom_role_id,
        } => verification::post_panel(ctx, guild, *channel, *custom_role_id).await,
        Task::VeriPanelDelete { channel, message } => {
            quota::delete(ctx, *channel, std::slice::from_ref(message)).await
        }
        Task::ModmailSync { ticket_id } => modmail::sync(ctx, guild, *ticket_id).await,
        Task::MutedOverwrites { role_id } => staff::muted_overwrites(ctx, guild, *role_id).await,
        Task::MutedOverwrite {
            role_id,
            channel_id,
        } => staff::muted_overwrite(ctx, guild, *role_id, *channel_id).await,
        Task::MutedOverwriteReport { role_id } => {
            staff::muted_overwrite_report(ctx, guild, *role_id).await
        }
        Task::PunishmentEditedDm { punishment_id } => {
            moderation::edited_dm(ctx, guild, *punishment_id).await
        }
        Task::ModmailScheduledClose { ticket_id } => {
            modmail::scheduled_close(ctx, guild, *ticket_id).await
        }
        Task::ModmailBlacklistExpiry { user_id } => {
            modmail::blacklist_expiry(ctx, guild, *user_id).await
        }
        Task::SchedulePanelPost { schedule_id } => {
            schedule::post_panel(ctx, guild, *schedule_id).await
        }
        Task::SchedulePanelRefresh { schedule_id } => {
            schedule::refresh_panel(ctx, guild, *schedule_id).await
        }
        Task::ScheduleRemind { schedule_id } => schedule::remind(ctx, guild, *schedule_id).await,
        Task::ScheduleOpen { schedule_id } => {
            service::schedule::open_due(&ctx.pool, guild, *schedule_id)
                .await
                .map(|_| ())
                .map_err(JobError::from)
        }
        Task::ScheduleDm {
            schedule_id,
            user_id,
            note,
        } => schedule::dm(ctx, guild, *schedule_id, *user_id, *note).await,
        // Boxed: these futures stay off the dispatcher's stack (debug builds keep every
        // arm's state in one frame).
        Task::PromotionCheck { members } => {
            Box::pin(service::promotions::check(&ctx.pool, guild, members))
                .await
                .map(|_| ())
                .map_err(JobError::from)
        }
        Task::Promote { rule_id, user_id } => {
            Box::pin(promotions::promote(ctx, guild, *rule_id, *user_id)).await
        }
    }
}

pub(crate) fn channel_id(s: Snowflake) -> Id<ChannelMarker> {
    Id::new(s.get())
}
