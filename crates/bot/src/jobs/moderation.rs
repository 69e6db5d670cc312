//! Discord's side of punishments: the DM first, then the role, kick or ban, then the log
//! entry; expiry and rejoin role changes; unbans. Each step is recorded on the row, so a
//! retry continues where the last try stopped and never repeats a kick or a log entry.

use domain::Snowflake;
use domain::moderation::PunishmentKind;
use service::moderation::{DmStatus, Punishment, PunishmentStatus};
use twilight_model::id::Id;

use super::JobError;
use crate::discord::{Failure, classify};
use crate::{Ctx, views};

async fn guild_name(ctx: &Ctx, guild: Snowflake) -> String {
    match ctx.http.guild(Id::new(guild.get())).await {
        Ok(r) => r
            .model()
            .await
            .map(|g| g.name)
            .unwrap_or_else(|_| "the server".into()),
        Err(_) => "the server".into(),
    }
}

/// Sends the member the punishment by DM; a closed DM is an outcome, not an error.
async fn send_dm(ctx: &Ctx, guild: Snowflake, p: &Punishment) -> Result<DmStatus, JobError> {
    let name = guild_name(ctx, guild).await;
    let embed = views::moderation::dm_embed(p, &name);
    let channel = match ctx
        .http
        .create_private_channel(Id::new(p.user_id.get()))
        .await
    {
        Ok(r) => r.model().await?,
        Err(e) => return dm_failure(e),
    };
    match crate::discord::create_message_once(
        &ctx.http,
        channel.id,
        ctx.http.create_message(channel.id).embeds(&[embed]),
    )
    .await
    {
        Ok(_) => Ok(DmStatus::Sent),
        Err(e) => dm_failure(e),
    }
}

fn dm_failure(e: twilight_http::Error) -> Result<DmStatus, JobError> {
    match classify(&e) {
        Failure::Permanent { code: 50007, .. } => Ok(DmStatus::Closed),
        Failure::Permanent { .. } => Ok(DmStatus::Failed),
        other => Err(JobError::Discord(other)),
    }
}

/// A permanent Discord refusal becomes the recorded reason; anything passing is retried.
fn outcome(r: Result<(), twilight_http::Error>) -> Result<Option<String>, JobError> {
    match r {
        Ok(()) => Ok(None),
        Err(e) => match classify(&e) {
            Failure::Permanent { code: 10007, .. } => Ok(Some(
                "they are not in the server (a suspension or mute is given back when they rejoin)"
                    .into(),
            )),
            Failure::Permanent { reason, .. } => Ok(Some(reason)),
            other => Err(JobError::Discord(other)),
        },
    }
}

async fn punishment_role(
    ctx: &Ctx,
    guild: Snowflake,
    p: &Punishment,
) -> Result<Option<Snowflake>, JobError> {
    let Some(key) = p.kind.role() else {
        return Ok(None);
    };
    let roles = service::config::roles(&ctx.pool, guild).await?;
    Ok(roles.get(&key).copied())
}

pub async fn apply(ctx: &Ctx, guild: Snowflake, punishment_id: i64) -> Result<(), JobError> {
    let p = service::moderation::get(&ctx.pool, guild, punishment_id).await?;
    if p.applied_at.is_some() {
        return Ok(());
    }
    // Given through the API, which cannot see Discord: check the hierarchy now, before the
    // DM, against the key's level; if the target outranks, nothing happens but the log.
    if let Some(level) = p.actor_level
        && p.status == PunishmentStatus::Active
        && let Some(why) = hierarchy_refusal(ctx, guild, &p, level).await?
    {
        tracing::warn!(guild = %guild, punishment = %p.code, %why, "API punishment refused by the hierarchy");
        service::moderation::refused_at_apply(&ctx.pool, guild, punishment_id, &why).await?;
        return Ok(());
    }
    // A suspension or mute removed before this ran needs no DM and no role.
    let ended_early = p.kind.timed() && p.status != PunishmentStatus::Active;
    if p.dm_status.is_none() && !ended_early {
        let dm = send_dm(ctx, guild, &p).await?;
        service::moderation::dm_outcome(&ctx.pool, guild, punishment_id, dm).await?;
    }
    let (g, u) = (Id::new(guild.get()), Id::new(p.user_id.get()));
    let error = if ended_early {
        None
    } else {
        match p.kind {
            PunishmentKind::Warn => None,
            PunishmentKind::Suspend | PunishmentKind::Mute => {
                match punishment_role(ctx, guild, &p).await? {
                    Some(role) => outcome(
                        ctx.http
                            .add_guild_member_role(g, u, Id::new(role.get()))
                            .await
                            .map(|_| ()),
                    )?,
                    None => Some("the punishment role is no longer configured".into()),
                }
            }
            PunishmentKind::Kick => outcome(ctx.http.remove_guild_member(g, u).await.map(|_| ()))?,
            PunishmentKind::Ban | PunishmentKind::Softban => {
                let seconds = u32::try_from(p.delete_days.unwrap_or(0)).unwrap_or(0) * 86_400;
                let banned = outcome(
                    ctx.http
                        .create_ban(g, u)
                        .delete_message_seconds(seconds)
                        .await
                        .map(|_| ()),
                )?;
                if banned.is_none() && p.kind == PunishmentKind::Softban {
                    match ctx.http.delete_ban(g, u).await {
                        Ok(_) => None,
                        Err(e) => match classify(&e) {
                            Failure::Permanent { code: 10026, .. } => None,
                            Failure::Permanent { reason, .. } => {
                                Some(format!("banned, but the unban failed: {reason}"))
                            }
                            other => return Err(JobError::Discord(other)),
                        },
                    }
                } else {
                    banned
                }
            }
        }
    };
    service::moderation::applied(&ctx.pool, guild, punishment_id, error.as_deref()).await?;
    Ok(())
}

/// Why Discord's hierarchy forbids this punishment by an actor at `level`, if it does.
async fn hierarchy_refusal(
    ctx: &Ctx,
    guild: Snowflake,
    p: &Punishment,
    level: i16,
) -> Result<Option<String>, JobError> {
    let facts = crate::handlers::moderation::target_facts(ctx, guild, p.user_id).await?;
    let bot_top = facts.target.bot_top_position.unwrap_or(i64::MAX);
    let actor_level = domain::Level(u8::try_from(level).unwrap_or(0));
    Ok(domain::moderation::check_hierarchy(
        p.actor_id,
        actor_level,
        &facts.target.facts,
        bot_top,
        p.kind.reach(),
    )
    .err()
    .map(|e| e.to_string()))
}

/// Gives or takes the punishment's role so Discord matches the rows now.
pub async fn role(
    ctx: &Ctx,
    guild: Snowflake,
    punishment_id: i64,
    give: bool,
) -> Result<(), JobError> {
    let p = service::moderation::get(&ctx.pool, guild, punishment_id).await?;
    let wanted = service::moderation::role_wanted(&ctx.pool, guild, &p).await?;
    if wanted != give {
        return Ok(()); // things changed since this was queued
    }
    let Some(role) = punishment_role(ctx, guild, &p).await? else {
        return Ok(());
    };
    let (g, u, r) = (
        Id::new(guild.get()),
        Id::new(p.user_id.get()),
        Id::new(role.get()),
    );
    let result = if give {
        ctx.http.add_guild_member_role(g, u, r).await
    } else {
        ctx.http.remove_guild_member_role(g, u, r).await
    };
    match result {
        Ok(_) => Ok(()),
        // They left: the role goes with them; a rejoin re-checks.
        Err(e) if matches!(classify(&e), Failure::Permanent { code: 10007, .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

pub async fn unban(ctx: &Ctx, guild: Snowflake, user: Snowflake) -> Result<(), JobError> {
    match ctx
        .http
        .delete_ban(Id::new(guild.get()), Id::new(user.get()))
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if matches!(classify(&e), Failure::Permanent { code: 10026, .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Tells the member their running punishment was changed, from the row as it is now. A
/// punishment that ended since needs no word; closed DMs are an outcome, not an error.
pub async fn edited_dm(ctx: &Ctx, guild: Snowflake, punishment_id: i64) -> Result<(), JobError> {
    let p = service::moderation::get(&ctx.pool, guild, punishment_id).await?;
    if p.status != PunishmentStatus::Active {
        return Ok(());
    }
    let name = guild_name(ctx, guild).await;
    let embed = views::moderation::edited_dm_embed(&p, &name);
    let channel = match ctx
        .http
        .create_private_channel(Id::new(p.user_id.get()))
        .await
    {
        Ok(r) => r.model().await?,
        Err(e) => return dm_failure(e).map(|_| ()),
    };
    match crate::discord::create_message_once(
        &ctx.http,
        channel.id,
        ctx.http.create_message(channel.id).embeds(&[embed]),
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(e) => dm_failure(e).map(|_| ()),
    }
}
