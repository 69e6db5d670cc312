//! Team role sync (anyone holding a staff role, organizer or above, holds `team`) and the
//! muted role's per-channel permission overwrites.

use domain::Snowflake;
use twilight_model::channel::{Channel, ChannelType};
use twilight_model::guild::Permissions;
use twilight_model::http::permission_overwrite::{PermissionOverwrite, PermissionOverwriteType};
use twilight_model::id::Id;

use super::JobError;
use crate::discord::{Failure, classify};
use crate::{Ctx, views};

pub async fn team_sync(ctx: &Ctx, guild: Snowflake, user: Snowflake) -> Result<(), JobError> {
    let (g, u) = (Id::new(guild.get()), Id::new(user.get()));
    let member = match ctx.http.guild_member(g, u).await {
        Ok(r) => r.model().await?,
        Err(e) if matches!(classify(&e), Failure::Permanent { code: 10007, .. }) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let held: Vec<Snowflake> = member
        .roles
        .iter()
        .filter_map(|r| Snowflake::new(r.get()).ok())
        .collect();
    let mapping = service::config::roles(&ctx.pool, guild).await?;
    let Some((team, wanted)) = service::staff::wants_team(&mapping, &held) else {
        return Ok(());
    };
    let has = held.contains(&team);
    if wanted == has {
        return Ok(());
    }
    let r = Id::new(team.get());
    let result = if wanted {
        ctx.http.add_guild_member_role(g, u, r).await
    } else {
        ctx.http.remove_guild_member_role(g, u, r).await
    };
    match result {
        Ok(_) => {}
        Err(e) if matches!(classify(&e), Failure::Permanent { code: 10007, .. }) => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    service::staff::team_changed(&ctx.pool, guild, user, wanted).await?;
    Ok(())
}

/// What the muted role is denied in a channel of this kind; None where it has no meaning
/// (threads follow their parent, DMs). Categories get both, for channels synced to them.
fn muted_denies(kind: ChannelType) -> Option<Permissions> {
    let text = Permissions::SEND_MESSAGES
        | Permissions::ADD_REACTIONS
        | Permissions::SEND_MESSAGES_IN_THREADS
        | Permissions::CREATE_PUBLIC_THREADS;
    // Voice channels have a text chat too.
    let voice = Permissions::SPEAK | Permissions::SEND_MESSAGES | Permissions::ADD_REACTIONS;
    match kind {
        ChannelType::GuildText
        | ChannelType::GuildAnnouncement
        | ChannelType::GuildForum
        | ChannelType::GuildMedia => Some(text),
        ChannelType::GuildVoice | ChannelType::GuildStageVoice => Some(voice),
        ChannelType::GuildCategory => Some(text | voice),
        _ => None,
    }
}

async fn guild_channels(ctx: &Ctx, guild: Snowflake) -> Result<Vec<Channel>, JobError> {
    Ok(ctx
        .http
        .guild_channels(Id::new(guild.get()))
        .await?
        .model()
        .await?)
}

/// Fans a new muted role out to one overwrite job per channel that can carry one.
pub async fn muted_overwrites(
    ctx: &Ctx,
    guild: Snowflake,
    role: Snowflake,
) -> Result<(), JobError> {
    let channels: Vec<Snowflake> = guild_channels(ctx, guild)
        .await?
        .iter()
        .filter(|c| muted_denies(c.kind).is_some())
        .filter_map(|c| Snowflake::new(c.id.get()).ok())
        .collect();
    service::staff::queue_muted_overwrites(&ctx.pool, guild, role, &channels).await?;
    Ok(())
}

/// Denies the muted role its permissions in one channel. A channel gone meanwhile is
/// skipped; one that refuses (permissions) is left for the single report.
pub async fn muted_overwrite(
    ctx: &Ctx,
    guild: Snowflake,
    role: Snowflake,
    channel: Snowflake,
) -> Result<(), JobError> {
    let c = match ctx.http.channel(Id::new(channel.get())).await {
        Ok(r) => r.model().await?,
        Err(e) if matches!(classify(&e), Failure::Permanent { code: 10003, .. }) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let Some(deny) = muted_denies(c.kind) else {
        return Ok(());
    };
    let overwrite = PermissionOverwrite {
        allow: None,
        deny: Some(deny),
        id: Id::new(role.get()),
        kind: PermissionOverwriteType::Role,
    };
    match ctx.http.update_channel_permission(c.id, &overwrite).await {
        Ok(_) => Ok(()),
        Err(e) => match classify(&e) {
            Failure::Permanent { code: 10003, .. } => Ok(()),
            Failure::Permanent { code: 10011, .. } => Ok(()), // the role was deleted
            Failure::Permanent { .. } => {
                service::staff::muted_overwrite_refused(&ctx.pool, guild, role).await?;
                Ok(())
            }
            other => Err(JobError::Discord(other)),
        },
    }
}

/// Once every channel job has run: one `bot_log` entry naming the channels where the muted
/// role carries no deny overwrite (read from Discord, so a channel fixed meanwhile is not
/// named).
pub async fn muted_overwrite_report(
    ctx: &Ctx,
    guild: Snowflake,
    role: Snowflake,
) -> Result<(), JobError> {
    if service::staff::muted_overwrites_pending(&ctx.pool, guild).await? {
        // No cap on waiting: a large server's channels take a while under rate limits.
        return Err(JobError::Later(std::time::Duration::from_secs(2)));
    }
    let missing: Vec<Snowflake> = guild_channels(ctx, guild)
        .await?
        .iter()
        .filter(|c| muted_denies(c.kind).is_some())
        .filter(|c| {
            !c.permission_overwrites.as_ref().is_some_and(|o| {
                o.iter()
                    .any(|o| o.id.get() == role.get() && !o.deny.is_empty())
            })
        })
        .filter_map(|c| Snowflake::new(c.id.get()).ok())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    crate::dispatcher::report(
        ctx,
        guild,
        views::staff::muted_refused(role, &missing),
        "the bot may not manage permissions there (it needs Manage Roles in those channels, and the permissions it denies)",
    )
    .await;
    Ok(())
}
