//! `/modmailreply` and `/modmail close|blacklist|unblacklist`.

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

fn user(options: &[CommandDataOption]) -> Result<Snowflake, ServiceError> {
    match nested(options, "member") {
        Some(CommandOptionValue::User(u)) => Snowflake::new(u.get()).ok(),
        _ => None,
    }
    .ok_or_else(|| ServiceError::invalid("invalid_member", "Pick a member for `member`."))
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

pub async fn modmail(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let Some(sub) = data.options.first() else {
        return Err(ServiceError::invalid(
            "invalid_subcommand",
            "Pick close, blacklist or unblacklist.",
        ));
    };
    let CommandOptionValue::SubCommand(options) = &sub.value else {
        return Err(ServiceError::invalid(
            "invalid_subcommand",
            "Pick close, blacklist or unblacklist.",
        ));
    };
    let message = match sub.name.as_str() {
        "close" => {
            let t =
                service::modmail::close(&ctx.pool, inv.guild, &inv.actor, text(options, "ticket"))
                    .await?;
            views::modmail::closed(&t)
        }
        "blacklist" => {
            let u = user(options)?;
            service::modmail::blacklist(
                &ctx.pool,
                inv.guild,
                &inv.actor,
                u,
                text(options, "reason"),
            )
            .await?;
            views::modmail::blacklisted(u)
        }
        "unblacklist" => {
            let u = user(options)?;
            service::modmail::unblacklist(&ctx.pool, inv.guild, &inv.actor, u).await?;
            views::modmail::unblacklisted(u)
        }
        _ => {
            return Err(ServiceError::invalid(
                "invalid_subcommand",
                "Pick close, blacklist or unblacklist.",
            ));
        }
    };
    Ok(Reply::Message(views::ephemeral(message)))
}
