//! `/modmailreply`, `/modmail close`, `/modmailblacklist`, `/modmailunblacklist`, and
//! staff replies typed in a ticket's thread (`!r <reply>`).

use domain::Snowflake;
use domain::moderation::{PunishDuration, thread_reply};
use service::modmail::ModmailError;
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
        .ok_or_else(|| ModmailError::MemberRequired.into())
}

/// `/modmailreply ticket [text] [snippet] [anonymous]`.
pub async fn reply(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let code = string_option(data, "ticket").unwrap_or_default();
    let anonymous = data
        .options
        .iter()
        .any(|o| o.name == "anonymous" && matches!(o.value, CommandOptionValue::Boolean(true)));
    let input = service::modmail::ReplyInput {
        text: string_option(data, "text"),
        snippet: string_option(data, "snippet"),
        anonymous,
    };
    let author = format!("<@{}>", inv.user);
    let t = service::modmail::reply_with(
        &ctx.pool, inv.guild, &inv.actor, &author, code, &input, None,
    )
    .await?;
    Ok(Reply::Message(views::ephemeral(views::modmail::replied(
        &t, anonymous,
    ))))
}

/// Snippet names for `/modmailreply snippet:` and `/snippet remove name:` as the member
/// types; staff below security get no suggestions.
pub async fn autocomplete(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    fn focused(options: &[CommandDataOption]) -> Option<&str> {
        options.iter().find_map(|o| match &o.value {
            CommandOptionValue::Focused(text, _) => Some(text.as_str()),
            CommandOptionValue::SubCommand(inner) => focused(inner),
            _ => None,
        })
    }
    let typed = focused(&data.options).unwrap_or_default();
    let found = service::modmail::snippets(&ctx.pool, inv.guild, &inv.actor, typed, 25)
        .await
        .unwrap_or_default();
    Ok(Reply::Choices(views::modmail::snippet_choices(&found)))
}

/// `/snippet add|remove|list` (security).
pub async fn snippet(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let (sub, options) = data
        .options
        .first()
        .and_then(|sub| match &sub.value {
            CommandOptionValue::SubCommand(options) => Some((sub.name.as_str(), options)),
            _ => None,
        })
        .ok_or(ModmailError::UnknownSubcommand {
            hint: "`/snippet add`",
        })?;
    let said = match sub {
        "add" => {
            let (name, new) = service::modmail::snippet_add(
                &ctx.pool,
                inv.guild,
                &inv.actor,
                text(options, "name"),
                text(options, "text"),
            )
            .await?;
            views::modmail::snippet_saved(&name, new)
        }
        "remove" => {
            let name = service::modmail::snippet_remove(
                &ctx.pool,
                inv.guild,
                &inv.actor,
                text(options, "name"),
            )
            .await?;
            views::modmail::snippet_removed(&name)
        }
        _ => {
            let all = service::modmail::snippets(
                &ctx.pool,
                inv.guild,
                &inv.actor,
                "",
                service::modmail::SNIPPETS_MAX,
            )
            .await?;
            return Ok(Reply::Message(views::ephemeral_embed(
                views::modmail::snippet_list(&all),
            )));
        }
    };
    Ok(Reply::Message(views::ephemeral(said)))
}

/// `/modmailstats [days]` (security).
pub async fn stats(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let days = data
        .options
        .iter()
        .find_map(|o| match (o.name.as_str(), &o.value) {
            ("days", CommandOptionValue::Integer(d)) => Some(*d),
            _ => None,
        })
        .unwrap_or(7);
    let figures = service::modmail::stats(&ctx.pool, inv.guild, &inv.actor, days).await?;
    Ok(Reply::Message(views::ephemeral_embed(
        views::modmail::stats_embed(&figures),
    )))
}

/// `/modmail open message` (any member) and `/modmail close ticket` (security).
pub async fn modmail(
    ctx: &Ctx,
    inv: &Invocation,
    data: &CommandData,
    author: &str,
) -> HandlerResult {
    let (sub, options) = data
        .options
        .first()
        .and_then(|sub| match &sub.value {
            CommandOptionValue::SubCommand(options) => Some((sub.name.as_str(), options)),
            _ => None,
        })
        .ok_or(ModmailError::UnknownSubcommand {
            hint: "`/modmail open` or `/modmail close`",
        })?;
    match sub {
        "open" => {
            let o = service::modmail::open_in_guild(
                &ctx.pool,
                inv.guild,
                inv.user,
                author,
                text(options, "message"),
            )
            .await?;
            let name = crate::handlers::dm::guild_name(ctx, inv.guild).await;
            Ok(Reply::Message(views::ephemeral(
                views::modmail::dm_outcome(&o, |_| name.clone()),
            )))
        }
        _ => {
            let minutes = match nested(options, "in") {
                Some(CommandOptionValue::String(s)) if !s.trim().is_empty() => Some(
                    PunishDuration::parse(s)
                        .map_err(ModmailError::BadDuration)?
                        .minutes(),
                ),
                _ => None,
            };
            let silent = matches!(
                nested(options, "silent"),
                Some(CommandOptionValue::Boolean(true))
            );
            let (t, at) = service::modmail::close_with(
                &ctx.pool,
                inv.guild,
                &inv.actor,
                text(options, "ticket"),
                minutes,
                silent,
            )
            .await?;
            Ok(Reply::Message(views::ephemeral(views::modmail::closed(
                &t, at, silent,
            ))))
        }
    }
}

/// A modmail select menu or button in a member's DMs: the server choice, then Open ticket
/// or Cancel. The component names the member whose conversation it is; anyone else's press
/// is refused. The answer replaces the message the component was on.
pub async fn dm_component(
    ctx: &Ctx,
    user: Snowflake,
    author: &str,
    c: &domain::ModmailComponent,
    values: &[String],
) -> HandlerResult {
    use domain::ModmailAction;
    if i64::try_from(user.get()).ok() != Some(c.user_id) {
        return Err(ModmailError::NotYourConversation.into());
    }
    let outcome = match c.action {
        ModmailAction::ChooseGuild => {
            let guild = values
                .first()
                .and_then(|v| v.parse::<u64>().ok())
                .and_then(|g| Snowflake::new(g).ok())
                .ok_or(ModmailError::ServerRequired)?;
            service::modmail::choose_guild(&ctx.pool, user, guild).await?
        }
        ModmailAction::Confirm => service::modmail::confirm(&ctx.pool, user, author, true).await?,
        ModmailAction::Cancel => service::modmail::confirm(&ctx.pool, user, author, false).await?,
    };
    let names = crate::handlers::dm::names(ctx, &outcome).await;
    let name = |g| crate::handlers::dm::name_of(&names, g);
    Ok(Reply::Update(views::modmail::dm_message(
        &outcome, user, name,
    )))
}

/// `/modmailblacklist user reason` (officer).
pub async fn blacklist(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let u = user(data)?;
    let reason = string_option(data, "reason").unwrap_or_default();
    let minutes = match string_option(data, "duration").filter(|s| !s.trim().is_empty()) {
        Some(s) => Some(
            PunishDuration::parse(s)
                .map_err(ModmailError::BadDuration)?
                .minutes(),
        ),
        None => None,
    };
    let until =
        service::modmail::blacklist_for(&ctx.pool, inv.guild, &inv.actor, u, reason, minutes)
            .await?;
    Ok(Reply::Message(views::ephemeral(
        views::modmail::blacklisted(u, until),
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
            let why = views::refusal(&e, Some(message.author.id.get()));
            let note = views::modmail::thread_reply_refused(&why);
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
