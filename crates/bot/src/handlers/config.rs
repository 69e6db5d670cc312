//! /setroles, /setchannels and /setautoend.

use domain::{ChannelKey, ChannelKind, RoleKey, Snowflake};
use service::ServiceError;
use service::config::SettingsError;
use twilight_model::application::interaction::application_command::{
    CommandData, CommandOptionValue,
};
use twilight_model::channel::ChannelType;

use super::{int_option, string_option};
use crate::router::{HandlerResult, Invocation, Reply};
use crate::{Ctx, views};

fn snowflake(id: u64) -> Result<Snowflake, ServiceError> {
    Snowflake::new(id).map_err(|e| SettingsError::BadId(e).into())
}

pub async fn set_roles(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let mut changes = Vec::new();
    for option in &data.options {
        if let (Some(key), CommandOptionValue::Role(role)) =
            (RoleKey::parse(&option.name), &option.value)
        {
            changes.push((key, Some(snowflake(role.get())?)));
        }
    }
    if let Some(clear) = string_option(data, "clear") {
        let key = RoleKey::parse(clear).ok_or_else(|| SettingsError::UnknownRoleKey {
            text: clear.to_owned(),
        })?;
        changes.push((key, None));
    }
    let mapping = service::config::set_roles(&ctx.pool, inv.guild, &inv.actor, &changes).await?;
    ctx.role_mappings.forget(inv.guild);
    let title = if changes.is_empty() {
        "Role mapping"
    } else {
        "Role mapping updated"
    };
    Ok(Reply::Message(views::ephemeral_embed(
        views::config::roles_embed(title, &mapping),
    )))
}

fn kind_fits(key: ChannelKey, kind: ChannelType) -> bool {
    match key.kind() {
        ChannelKind::Text => matches!(
            kind,
            ChannelType::GuildText | ChannelType::GuildAnnouncement
        ),
        ChannelKind::Forum => kind == ChannelType::GuildForum,
    }
}

pub async fn set_channels(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let mut changes = Vec::new();
    for option in &data.options {
        let (Some(key), CommandOptionValue::Channel(channel)) =
            (ChannelKey::parse(&option.name), &option.value)
        else {
            continue;
        };
        let id = snowflake(channel.get())?;
        // Discord filters the picker by type, but a stale client or the API can still send
        // any channel: check what Discord resolved.
        let resolved = data.resolved.as_ref().and_then(|r| r.channels.get(channel));
        if let Some(resolved) = resolved
            && !kind_fits(key, resolved.kind)
        {
            return Err(SettingsError::WrongChannelType { key, channel: id }.into());
        }
        changes.push((key, Some(id)));
    }
    if let Some(clear) = string_option(data, "clear") {
        let key = ChannelKey::parse(clear).ok_or_else(|| SettingsError::UnknownChannelKey {
            text: clear.to_owned(),
        })?;
        changes.push((key, None));
    }
    let mapping = service::config::set_channels(&ctx.pool, inv.guild, &inv.actor, &changes).await?;
    let title = if changes.is_empty() {
        "Channel mapping"
    } else {
        "Channel mapping updated"
    };
    Ok(Reply::Message(views::ephemeral_embed(
        views::config::channels_embed(title, &mapping),
    )))
}

pub async fn set_auto_end(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let minutes = int_option(data, "minutes")
        .map(|m| i32::try_from(m).map_err(|_| SettingsError::BadAutoEnd))
        .transpose()?;
    let (before, after) =
        service::config::run_auto_end(&ctx.pool, inv.guild, &inv.actor, minutes).await?;
    Ok(Reply::Message(views::ephemeral_embed(
        views::config::auto_end_embed(before, after),
    )))
}
