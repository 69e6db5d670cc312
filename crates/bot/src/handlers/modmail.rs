//! `/modmailreply`, `/modmail close`, `/modmailblacklist` and `/modmailunblacklist`.

use domain::Snowflake;
use service::ServiceError;
use twilight_model::application::interaction::application_command::{
    CommandData, CommandDataOption, CommandOptionValue,
};

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
    let t = service::modmail::reply(&ctx.pool, inv.guild, &inv.actor, &author, code, body).await?;
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
