//! `/modmailreply`, `/modmail close`, `/modmailblacklist`, `/modmailunblacklist`, and
//! staff replies typed in a ticket's thread (`!r <reply>`).

use domain::Snowflake;
use domain::moderation::thread_reply;
use service::{Actor, ServiceError};
use twilight_model::application::interaction::application_command::{
    CommandData, CommandDataOption, CommandOptionValue,
};
use twilight_model::channel::Message;
use twilight_model::guild::Permissions;
use twilight_model::id::Id;
use twilight_model::id::marker::RoleMarker;

use crate::router::{HandlerResult, Invocation, Reply};
use crate::{Ctx, views};

use super::string_option;

fn nested<'a>(options: &'a [CommandDataOption], name: &str) -> Option<&'a CommandOptionValue> {
    options.iter().find(|o| o.name == name).map(|o| &o.value)
}

fn text<'a>(options: &'a [CommandDataOption], name: &str) -> &'a str {
    match nested(options, name) {
        Some(CommandOptionValue::String(s)) => s.as_str(),
        _ => "",
    }
}

fn user(data: &CommandData) -> Result<Snowflake, ServiceError> {
    data.options
        .iter()
        .find(|o| o.name == "user")
        .and_then(|o| match o.value {
            CommandOptionValue::User(u) => Snowflake::new(u.get()).ok(),
            _ => None,
        })
        .ok_or_else(|| ServiceError::invalid("invalid_member", "Pick a member for `user`."))
}

pub async fn reply(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let code = string_option(data, "ticket").unwrap_or_default();
    let body = string_option(data, "text").unwrap_or_default();
    let author = format!("<@{}>", inv.user);
    let t = service::modmail::reply(&ctx.pool, inv.guild, &inv.actor, &author, code, body, None)
        .await?;
    Ok(Reply::Message(views::ephemeral(views::modmail::replied(
        &t,
    ))))
}

/// `/modmail close ticket`.
pub async fn modmail(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let close = data
        .options
        .first()
        .filter(|sub| sub.name == "close")
        .and_then(|sub| match &sub.value {
            CommandOptionValue::SubCommand(options) => Some(options),
            _ => None,
        })
        .ok_or_else(|| ServiceError::invalid("invalid_subcommand", "Use `/modmail close`."))?;
    let t =
        service::modmail::close(&ctx.pool, inv.guild, &inv.actor, text(close, "ticket")).await?;
    Ok(Reply::Message(views::ephemeral(views::modmail::closed(&t))))
}

/// `/modmailblacklist user reason` (officer).
pub async fn blacklist(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let u = user(data)?;
    let reason = string_option(data, "reason").unwrap_or_default();
    service::modmail::blacklist(&ctx.pool, inv.guild, &inv.actor, u, reason).await?;
    Ok(Reply::Message(views::ephemeral(
        views::modmail::blacklisted(u),
    )))
}

/// `/modmailunblacklist user` (officer).
pub async fn unblacklist(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let u = user(data)?;
    service::modmail::unblacklist(&ctx.pool, inv.guild, &inv.actor, u).await?;
    Ok(Reply::Message(views::ephemeral(
        views::modmail::unblacklisted(u),
    )))
}

/// MESSAGE_CREATE in a guild: a staff member typed `!r <reply>` in a modmail ticket's
/// thread. It goes through the same use case as `/modmailreply` (level check, transcript,
/// quota points, the DM job); the job confirms on the message with ✅ or says in the thread
/// why the member did not get it. Other messages in the thread stay among staff.
pub async fn thread_message(ctx: Ctx, message: Message) {
    let Some(text) = thread_reply(&message.content) else {
        return;
    };
    let (Some(guild), Ok(thread), Ok(user), Ok(source)) = (
        message.guild_id.and_then(|g| Snowflake::new(g.get()).ok()),
        Snowflake::new(message.channel_id.get()),
        Snowflake::new(message.author.id.get()),
        Snowflake::new(message.id.get()),
    ) else {
        return;
    };
    let ticket = match service::modmail::ticket_for_thread(&ctx.pool, guild, thread).await {
        Ok(Some(t)) => t,
        Ok(None) => return, // not a ticket's thread
        Err(e) => {
            tracing::warn!(error = %e, "looking up a modmail thread failed");
            return;
        }
    };
    let outcome = match thread_actor(&ctx, guild, user, &message).await {
        Ok(actor) => {
            let author = format!("<@{user}>");
            service::modmail::reply(
                &ctx.pool,
                guild,
                &actor,
                &author,
                &ticket.code,
                text,
                Some(source),
            )
            .await
            .map(|_| ())
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => {} // the sync job DMs the member and reacts ✅ (or says why not)
        Err(e) if e.code() == "duplicate_reply" => {}
        Err(e) => {
            let note = views::modmail::thread_reply_refused(&e.to_string());
            if let Err(e) = ctx
                .http
                .create_message(message.channel_id)
                .content(&note)
                .reply(message.id)
                .await
            {
                tracing::warn!(error = %e, "could not answer in the modmail thread");
            }
        }
    }
}

/// The writer's raidbot level, from the roles the gateway event carries (or Discord's
/// member record) and, when the mapping alone is not enough, Discord's Administrator
/// permission.
async fn thread_actor(
    ctx: &Ctx,
    guild: Snowflake,
    user: Snowflake,
    message: &Message,
) -> Result<Actor, ServiceError> {
    let gid = Id::new(guild.get());
    let roles: Vec<Id<RoleMarker>> = match &message.member {
        Some(m) => m.roles.clone(),
        None => match ctx.http.guild_member(gid, Id::new(user.get())).await {
            Ok(r) => r.model().await.map(|m| m.roles).unwrap_or_default(),
            Err(_) => Vec::new(),
        },
    };
    let held: Vec<Snowflake> = roles
        .iter()
        .filter_map(|r| Snowflake::new(r.get()).ok())
        .collect();
    let mapping = ctx.role_mappings.get(&ctx.pool, guild).await?;
    let actor = service::config::actor_for_member(&mapping, user, &held, false);
    if service::modmail::may_answer(&actor).is_ok() {
        return Ok(actor);
    }
    let admin =
        match ctx.http.roles(gid).await {
            Ok(r) => r.model().await.unwrap_or_default().iter().any(|r| {
                roles.contains(&r.id) && r.permissions.contains(Permissions::ADMINISTRATOR)
            }),
            Err(_) => false,
        };
    Ok(service::config::actor_for_member(
        &mapping, user, &held, admin,
    ))
}
