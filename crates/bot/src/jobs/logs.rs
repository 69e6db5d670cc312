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
    if let LogEvent::ModmailTicket {
        ticket_id,
        closed: true,
    } = event
    {
        return super::modmail::closed_log(ctx, guild, channel, *ticket_id).await;
    }
    // A role to ping with the entry (an escalation rule that tells officers).
    let mut ping: Option<String> = None;
    let embed: Embed = match event {
        LogEvent::RunCreated { run_id }
        | LogEvent::RunStarted { run_id }
        | LogEvent::RunClosed { run_id }
        | LogEvent::LocationSet { run_id }
        | LogEvent::ScreenshotTaken { run_id }
        | LogEvent::RaiderRemoved { run_id, .. } => {
            let detail = service::runs::get(&ctx.pool, guild, *run_id).await?;
            views::logs::run_entry(event, &detail)
        }
        LogEvent::ReactionChanged {
            run_id,
            user_id,
            reaction,
            added,
        } => {
            let detail = service::runs::get(&ctx.pool, guild, *run_id).await?;
            views::logs::reaction_entry(&detail, *user_id, reaction, *added)
        }
        LogEvent::KeyPopped { run_id, pop_id } => {
            let detail = service::runs::get(&ctx.pool, guild, *run_id).await?;
            let pop = service::runs::delivery::key_pop(&ctx.pool, guild, *pop_id).await?;
            views::logs::key_pop_entry(&detail, pop)
        }
        LogEvent::HeadcountCreated { headcount_id }
        | LogEvent::HeadcountConverted { headcount_id, .. }
        | LogEvent::HeadcountEnded { headcount_id } => {
            let detail = service::headcounts::get(&ctx.pool, guild, *headcount_id).await?;
            match views::headcount::log_entry(event, &detail) {
                Some(e) => e,
                None => return Ok(()),
            }
        }
        LogEvent::RolesChanged { .. }
        | LogEvent::ChannelsChanged { .. }
        | LogEvent::SettingsChanged { .. }
        | LogEvent::BotStarted { .. }
        | LogEvent::AutoEndChanged { .. } => match views::logs::config_entry(event) {
            Some(e) => e,
            None => return Ok(()),
        },
        LogEvent::RolePingChanged { by, dungeon, role } => {
            views::role_pings::log_entry(by, dungeon, role.as_deref())
        }
        LogEvent::Punishment {
            punishment_id,
            what,
        } => {
            let p = service::moderation::get(&ctx.pool, guild, *punishment_id).await?;
            views::moderation::log_entry(&p, *what)
        }
        LogEvent::Unbanned {
            user_id,
            by,
            reason,
        } => views::moderation::unban_entry(*user_id, by, reason),
        LogEvent::NoteChanged {
            note_id,
            user_id,
            by,
            removed,
        } => views::moderation::note_entry(*note_id, *user_id, by, *removed),
        LogEvent::ModmailTicket { ticket_id, closed } => {
            match service::modmail::sync_state(&ctx.pool, guild, *ticket_id).await? {
                Some((t, messages)) => views::modmail::log_entry(&t, *closed, messages.len(), None),
                None => return Ok(()),
            }
        }
        LogEvent::ModmailBlacklist {
            user_id,
            by,
            reason,
            until,
            expired,
        } => views::modmail::blacklist_entry(*user_id, by, reason.as_deref(), *until, *expired),
        LogEvent::TeamRole { user_id, given } => views::staff::team_entry(*user_id, *given),
        LogEvent::Verification { event_id } => {
            match service::verification::event_row(&ctx.pool, guild, *event_id).await? {
                Some(e) => views::verification::log_entry(&e),
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
        LogEvent::EscalationFired {
            rule_id,
            user_id,
            trigger_punishment_id,
            result_punishment_id,
            already,
        } => {
            let rule = service::escalation::rule(&ctx.pool, guild, *rule_id).await?;
            let trigger =
                service::moderation::get(&ctx.pool, guild, *trigger_punishment_id).await?;
            let result = match result_punishment_id {
                Some(id) => Some(service::moderation::get(&ctx.pool, guild, *id).await?),
                None => None,
            };
            if rule.as_ref().is_some_and(|r| r.action == "notify") {
                let roles = service::config::roles(&ctx.pool, guild).await?;
                ping = roles
                    .get(&domain::RoleKey::Officer)
                    .map(|r| views::moderation::officer_ping(*r));
            }
            views::moderation::escalation_entry(
                *rule_id,
                rule.as_ref(),
                *user_id,
                &trigger,
                result.as_ref(),
                already.as_deref(),
            )
        }
        LogEvent::MemberRejoined { user_id, record } => {
            views::moderation::rejoined_entry(*user_id, record)
        }
        LogEvent::Promoted { rule_id, user_id } => {
            let rule = service::promotions::rule(&ctx.pool, guild, *rule_id).await?;
            views::promotions::log_entry(*user_id, rule.as_ref())
        }
        LogEvent::PunishmentEdited {
            punishment_id,
            by,
            old_expires_at,
            old_reason,
        } => {
            let p = service::moderation::get(&ctx.pool, guild, *punishment_id).await?;
            views::moderation::edited_entry(&p, by, *old_expires_at, old_reason.as_deref())
        }
    };
    let embeds = [embed];
    let mut message = ctx.http.create_message(channel_id(channel)).embeds(&embeds);
    if let Some(text) = ping.as_deref() {
        message = message.content(text);
    }
    crate::discord::create_message_once(&ctx.http, channel_id(channel), message).await?;
    Ok(())
}
