//! /purge, /addrole, /createrole, /help, /ping, and the member-update hook of team role
//! sync.

use domain::moderation::PURGE_MAX_AGE_DAYS;
use domain::roles::allows;
use domain::{RoleKey, Snowflake};
use service::ServiceError;
use service::config::SettingsError;
use service::staff::StaffError;
use twilight_model::application::interaction::application_command::{
    CommandData, CommandOptionValue,
};
use twilight_model::guild::Permissions;
use twilight_model::id::Id;
use twilight_model::id::marker::{ChannelMarker, MessageMarker};

use super::int_option;
use super::moderation::{target_facts, user_option};
use super::string_option;
use crate::commands::{self, CommandName};
use crate::router::{HandlerResult, Invocation, Reply};
use crate::{Ctx, views};

fn discord_error(e: impl std::fmt::Display) -> ServiceError {
    tracing::warn!(error = %e, "Discord call failed");
    ServiceError::conflict("discord_error", views::staff::discord_failed())
}

/// Discord's epoch in milliseconds, to read a message's age from its id.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

pub async fn purge(
    ctx: &Ctx,
    inv: &Invocation,
    data: &CommandData,
    channel: Option<Id<ChannelMarker>>,
) -> HandlerResult {
    let amount = int_option(data, "amount").unwrap_or(0);
    let channel = channel.ok_or(StaffError::ChannelRequired)?;
    let ch = Snowflake::new(channel.get()).map_err(|_| StaffError::ChannelRequired)?;
    let use_id = service::staff::purge_begin(&ctx.pool, inv.guild, &inv.actor, ch, amount).await?;
    let messages = ctx
        .http
        .channel_messages(channel)
        .limit(100)
        .await
        .map_err(discord_error)?
        .model()
        .await
        .map_err(discord_error)?;
    let now_ms = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
    let cutoff =
        now_ms.saturating_sub(u64::try_from(PURGE_MAX_AGE_DAYS).unwrap_or(14) * 86_400_000);
    let (mut pinned, mut old) = (0, 0);
    let mut ids: Vec<Id<MessageMarker>> = Vec::new();
    // The newest `amount` messages, newest first; pinned and too-old ones are kept.
    for m in messages.iter().take(usize::try_from(amount).unwrap_or(0)) {
        let at = (m.id.get() >> 22) + DISCORD_EPOCH_MS;
        if m.pinned {
            pinned += 1;
        } else if at <= cutoff {
            old += 1;
        } else {
            ids.push(m.id);
        }
    }
    let deleted = match ids.len() {
        0 => 0,
        1 => {
            ctx.http
                .delete_message(channel, ids[0])
                .await
                .map_err(discord_error)?;
            1
        }
        n => {
            ctx.http
                .delete_messages(channel, &ids)
                .await
                .map_err(discord_error)?;
            n
        }
    };
    service::staff::purge_done(&ctx.pool, inv.guild, use_id, deleted).await?;
    Ok(Reply::Message(views::ephemeral(views::staff::purged(
        deleted, amount, pinned, old,
    ))))
}

pub async fn add_role(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    service::staff::may_add_role(&inv.actor)?;
    let user = user_option(data, "member")?;
    let role = data
        .options
        .iter()
        .find(|o| o.name == "role")
        .and_then(|o| match o.value {
            CommandOptionValue::Role(r) => Snowflake::new(r.get()).ok(),
            _ => None,
        })
        .ok_or(StaffError::RoleRequired)?;
    let facts = target_facts(ctx, inv.guild, user).await?;
    if facts.member.is_none() {
        return Err(StaffError::NotAMember { user }.into());
    }
    let key = service::staff::add_role_check(&ctx.pool, inv.guild, &inv.actor, role, &facts.target)
        .await?;
    ctx.http
        .add_guild_member_role(
            Id::new(inv.guild.get()),
            Id::new(user.get()),
            Id::new(role.get()),
        )
        .await
        .map_err(discord_error)?;
    service::staff::role_added(&ctx.pool, inv.guild, &inv.actor, user, role, key).await?;
    Ok(Reply::Message(views::ephemeral(views::staff::role_given(
        user, role,
    ))))
}

pub async fn create_role(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    service::config::may_configure(&inv.actor)?;
    let text = string_option(data, "key").unwrap_or_default();
    let key = RoleKey::parse(text).ok_or_else(|| SettingsError::UnknownRoleKey {
        text: text.to_owned(),
    })?;
    let mapping = service::config::roles(&ctx.pool, inv.guild).await?;
    if let Some(existing) = mapping.get(&key) {
        return Ok(Reply::Message(views::ephemeral(
            views::staff::role_created(key, *existing, true),
        )));
    }
    // Staff and punishment roles carry no server-wide permissions of their own: what staff
    // may do is raidbot's hierarchy; what the muted may not do is denied per channel.
    let created = ctx
        .http
        .create_role(Id::new(inv.guild.get()))
        .name(key.label())
        .permissions(Permissions::empty())
        .await
        .map_err(discord_error)?
        .model()
        .await
        .map_err(discord_error)?;
    let role = Snowflake::new(created.id.get()).map_err(|_| StaffError::RoleRequired)?;
    service::config::set_roles(&ctx.pool, inv.guild, &inv.actor, &[(key, Some(role))]).await?;
    ctx.role_mappings.forget(inv.guild);
    if key == RoleKey::Muted {
        service::staff::muted_role_created(&ctx.pool, inv.guild, role).await?;
    }
    Ok(Reply::Message(views::ephemeral(
        views::staff::role_created(key, role, false),
    )))
}

pub async fn help(inv: &Invocation) -> HandlerResult {
    let mut sections: Vec<(&str, Vec<String>)> = Vec::new();
    for c in commands::definitions() {
        let Some(name) = CommandName::parse(&c.name) else {
            continue;
        };
        let (category, role) = (name.category(), name.minimum_role());
        if role.is_some_and(|r| !allows(inv.actor.level, r)) {
            continue;
        }
        let line = format!("`/{}` — {}", c.name, c.description);
        match sections.iter_mut().find(|(cat, _)| *cat == category) {
            Some((_, lines)) => lines.push(line),
            None => sections.push((category, vec![line])),
        }
    }
    Ok(Reply::Message(views::ephemeral_embed(views::staff::help(
        &sections,
    ))))
}

pub async fn ping(ctx: &Ctx) -> HandlerResult {
    let gateway = ctx.gateway_latency.lock().ok().and_then(|g| *g);
    let database = service::health::database_latency(&ctx.pool).await.ok();
    // Every process's shards, as they recorded themselves (none: unreadable).
    let shards = service::gateway::shard_states(&ctx.pool)
        .await
        .unwrap_or_default();
    Ok(Reply::Message(views::ephemeral(views::staff::ping(
        gateway, database, &shards,
    ))))
}

/// GUILD_MEMBER_UPDATE: roles may have changed; queue a team role check.
pub async fn member_updated(ctx: Ctx, guild: u64, user: u64) {
    let (Ok(guild), Ok(user)) = (Snowflake::new(guild), Snowflake::new(user)) else {
        return;
    };
    if let Err(e) = service::staff::member_roles_changed(&ctx.pool, guild, user).await {
        tracing::warn!(error = %e, "queueing team role sync failed");
    }
}
