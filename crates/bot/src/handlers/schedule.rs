//! /schedule, /reschedule, /schedulesettings, the announcement's buttons, and the Join
//! button of the DM sent when a scheduled raid opens.

use domain::{ScheduleButton, ScheduleComponent, Snowflake};
use service::ServiceError;
use service::runs::JoinChange;
use service::schedule::ScheduleError;
use service::schedule::{self, Answer, ScheduleRequest};
use twilight_model::application::interaction::application_command::CommandData;
use twilight_model::id::Id;

use super::runs::dungeon_code;
use super::{int_option, string_option};
use crate::router::{HandlerResult, Invocation, Reply};
use crate::{Ctx, views};

fn say(text: impl Into<String>) -> HandlerResult {
    Ok(Reply::Message(views::ephemeral(text)))
}

pub async fn create(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let req = ScheduleRequest {
        dungeon: dungeon_code(string_option(data, "dungeon").unwrap_or_default()),
        when: string_option(data, "when").unwrap_or_default().to_owned(),
        description: string_option(data, "description").map(str::to_owned),
        raider_cap: int_option(data, "cap").map(|c| i32::try_from(c).unwrap_or(i32::MAX)),
    };
    let s = schedule::create(&ctx.pool, inv.guild, &inv.actor, req).await?;
    say(views::schedule::created(&s))
}

pub async fn reschedule(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let id = int_option(data, "id").unwrap_or_default();
    let when = string_option(data, "when").unwrap_or_default();
    let s = schedule::reschedule(&ctx.pool, inv.guild, id, &inv.actor, when).await?;
    say(views::schedule::rescheduled(&s))
}

pub async fn settings(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let zone = string_option(data, "time_zone");
    let minutes = int_option(data, "reminder_minutes").map(|m| i32::try_from(m).unwrap_or(-1));
    let s = if zone.is_none() && minutes.is_none() {
        schedule::settings(&ctx.pool, inv.guild).await?
    } else {
        schedule::set_settings(&ctx.pool, inv.guild, &inv.actor, zone, minutes).await?
    };
    say(views::schedule::settings(&s))
}

pub async fn component(ctx: &Ctx, inv: &Invocation, c: ScheduleComponent) -> HandlerResult {
    let pool = &ctx.pool;
    let id = c.schedule_id;
    let answer = match &c.button {
        ScheduleButton::Going => Answer::Going,
        ScheduleButton::Maybe => Answer::Maybe,
        ScheduleButton::Withdraw => Answer::Withdraw,
        ScheduleButton::Key(code) => Answer::Key(code.clone()),
        ScheduleButton::Start => {
            let s = schedule::start_now(pool, inv.guild, id, &inv.actor).await?;
            return say(views::schedule::started(&s));
        }
        ScheduleButton::Cancel => {
            let s = schedule::cancel(pool, inv.guild, id, &inv.actor).await?;
            return say(views::schedule::cancelled(&s));
        }
        // The DM's button, pressed where a guild is known: the same join.
        ScheduleButton::Join => {
            let d = schedule::get(pool, inv.guild, id).await?;
            return join(ctx, inv.guild, &inv.actor, inv.user, &d.scheduled).await;
        }
    };
    let out = schedule::answer(pool, inv.guild, id, &inv.actor, inv.user, answer).await?;
    say(views::schedule::answered(&c.button, &out.scheduled, out.on))
}

async fn join(
    ctx: &Ctx,
    guild: Snowflake,
    actor: &service::Actor,
    user: Snowflake,
    s: &schedule::Scheduled,
) -> HandlerResult {
    let run_id = schedule::opened_run(s)?;
    let out = service::runs::join(&ctx.pool, guild, run_id, actor, user, None).await?;
    say(views::runs::joined(
        &out.dungeon_code,
        out.class.as_deref(),
        out.change == JoinChange::AlreadyJoined,
    ))
}

/// The DM's Join button: a DM carries no guild or roles, so the scheduled raid names the
/// guild and the member's roles are read from Discord; then the same join as the panel's.
pub async fn dm_component(ctx: &Ctx, user: Snowflake, c: ScheduleComponent) -> HandlerResult {
    if c.button != ScheduleButton::Join {
        return Err(ScheduleError::GuildOnly.into());
    }
    let d = schedule::locate(&ctx.pool, c.schedule_id).await?;
    let guild = d.scheduled.guild_id;
    schedule::opened_run(&d.scheduled)?;
    let member = ctx
        .http
        .guild_member(Id::new(guild.get()), Id::new(user.get()))
        .await
        .map_err(|_| ServiceError::Forbidden(views::schedule::no_longer_a_member()))?
        .model()
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let roles: Vec<Snowflake> = member
        .roles
        .iter()
        .filter_map(|r| Snowflake::new(r.get()).ok())
        .collect();
    let mapping = ctx.role_mappings.get(&ctx.pool, guild).await?;
    let actor = service::config::actor_for_member(&mapping, user, &roles, false);
    join(ctx, guild, &actor, user, &d.scheduled).await
}
