//! Verification side effects: DMs, roles and nicknames from the database, review cards,
//! panels, and the session timer.

use domain::{RoleKey, Snowflake};
use service::tasks::VeriNote;
use service::verification::Session;
use twilight_model::id::Id;

use super::{JobError, channel_id};
use crate::discord::Failure;
use crate::{Ctx, views};

fn snowflake(id: u64) -> Result<Snowflake, JobError> {
    Snowflake::new(id).map_err(|e| JobError::Discord(Failure::Transient(e.to_string())))
}

pub async fn dm(
    ctx: &Ctx,
    guild: Snowflake,
    user: Snowflake,
    note: &VeriNote,
) -> Result<(), JobError> {
    let session_id = match note {
        VeriNote::Started { session_id }
        | VeriNote::CodeIssued { session_id }
        | VeriNote::AskScreenshot { session_id }
        | VeriNote::Refused { session_id, .. }
        | VeriNote::Retry { session_id, .. }
        | VeriNote::UnderReview { session_id } => Some(*session_id),
        _ => None,
    };
    let session: Option<Session> = match session_id {
        Some(id) => Some(service::verification::session(&ctx.pool, guild, id).await?),
        None => None,
    };
    let cfg = service::verification::config(&ctx.pool, guild).await?;
    let (text, components) = views::verification::dm(
        note,
        session.as_ref(),
        &ctx.realmeye_base_url,
        cfg.screenshot_enabled,
    );
    let channel = ctx
        .http
        .create_private_channel(Id::new(user.get()))
        .await?
        .model()
        .await?;
    crate::discord::create_message_once(
        &ctx.http,
        channel.id,
        ctx.http
            .create_message(channel.id)
            .content(&text)
            .components(&components),
    )
    .await?;
    Ok(())
}

/// Makes the member's verified role and nickname match the database. A nickname Discord
/// refuses (the member is above the bot, or owns the server) is reported in veri_log.
pub async fn sync_member(ctx: &Ctx, guild: Snowflake, user: Snowflake) -> Result<(), JobError> {
    let Some(names) = service::verification::names(&ctx.pool, guild, user).await? else {
        return Ok(());
    };
    let roles = service::config::roles(&ctx.pool, guild).await?;
    let (g, u) = (Id::new(guild.get()), Id::new(user.get()));
    let member = match ctx.http.guild_member(g, u).await {
        Ok(m) => m.model().await?,
        Err(e) => {
            return match crate::discord::classify(&e) {
                Failure::Permanent { code: 10007, .. } => Ok(()),
                f => Err(JobError::Discord(f)),
            };
        }
    };
    let mut wanted: Vec<Snowflake> = member
        .roles
        .iter()
        .filter_map(|r| Snowflake::new(r.get()).ok())
        .collect();
    let before = wanted.clone();
    if let Some(verified) = roles.get(&RoleKey::VerifiedRaider).copied() {
        wanted.retain(|r| *r != verified);
        if names.is_verified() {
            wanted.push(verified);
        }
    }
    for r in service::verification::granted_custom_roles(&ctx.pool, guild, user).await? {
        if names.is_verified() && !wanted.contains(&r) {
            wanted.push(r);
        }
    }
    if wanted.len() != before.len() || wanted.iter().any(|r| !before.contains(r)) {
        let ids: Vec<_> = wanted.iter().map(|r| Id::new(r.get())).collect();
        if let Err(e) = ctx.http.update_guild_member(g, u).roles(&ids).await {
            match crate::discord::classify(&e) {
                Failure::Permanent { code: 50013, .. } => {
                    service::verification::rename_failed(&ctx.pool, guild, user, "(roles)",
                        "the bot cannot change this member's roles: their highest role is above the bot's, or the verified role is above it").await?;
                }
                f => return Err(JobError::Discord(f)),
            }
        }
    }
    let Some(main) = names.main.as_deref().filter(|_| names.is_verified()) else {
        return Ok(());
    };
    let nick = domain::verification::nickname(main, &names.alts);
    if member.nick.as_deref() == Some(nick.as_str()) {
        return Ok(());
    }
    match ctx.http.update_guild_member(g, u).nick(Some(&nick)).await {
        Ok(_) => Ok(()),
        Err(e) => match crate::discord::classify(&e) {
            Failure::Permanent { code: 50013, .. } => {
                service::verification::rename_failed(&ctx.pool, guild, user, &nick,
                    "Discord refused: the member is the server owner or their highest role is above the bot's. Rename them by hand or move the bot's role up.").await?;
                Ok(())
            }
            f => Err(JobError::Discord(f)),
        },
    }
}

pub async fn post_review(ctx: &Ctx, guild: Snowflake, review_id: i64) -> Result<(), JobError> {
    let r = service::verification::review(&ctx.pool, guild, review_id).await?;
    if r.message_id.is_some() {
        return refresh_review(ctx, guild, review_id).await;
    }
    let Some(channel) = r.channel_id else {
        return Ok(());
    };
    let role_name = match r.custom_role_id {
        Some(id) => Some(
            service::verification::custom_role(&ctx.pool, guild, id)
                .await?
                .name,
        ),
        None => None,
    };
    let (embed, components) = views::verification::review_card(&r, role_name.as_deref());
    let m = crate::discord::create_message_once(
        &ctx.http,
        channel_id(channel),
        ctx.http
            .create_message(channel_id(channel))
            .embeds(&[embed])
            .components(&components),
    )
    .await?
    .model()
    .await?;
    service::verification::review_posted(&ctx.pool, guild, review_id, snowflake(m.id.get())?)
        .await?;
    Ok(())
}

pub async fn refresh_review(ctx: &Ctx, guild: Snowflake, review_id: i64) -> Result<(), JobError> {
    let r = service::verification::review(&ctx.pool, guild, review_id).await?;
    let (Some(channel), Some(message)) = (r.channel_id, r.message_id) else {
        return Err(JobError::NotYet("the review card is not posted yet"));
    };
    let role_name = match r.custom_role_id {
        Some(id) => Some(
            service::verification::custom_role(&ctx.pool, guild, id)
                .await?
                .name,
        ),
        None => None,
    };
    let (embed, components) = views::verification::review_card(&r, role_name.as_deref());
    crate::discord::pace_channel_write(channel_id(channel)).await;
    ctx.http
        .update_message(channel_id(channel), Id::new(message.get()))
        .embeds(Some(&[embed]))
        .components(Some(&components))
        .await?;
    Ok(())
}

pub async fn post_panel(
    ctx: &Ctx,
    guild: Snowflake,
    channel: Snowflake,
    custom_role_id: Option<i64>,
) -> Result<(), JobError> {
    let (embed, components) = match custom_role_id {
        Some(id) => views::verification::custom_role_panel(
            &service::verification::custom_role(&ctx.pool, guild, id).await?,
        ),
        None => views::verification::panel(
            guild.get(),
            &service::verification::config(&ctx.pool, guild).await?,
        ),
    };
    let m = crate::discord::create_message_once(
        &ctx.http,
        channel_id(channel),
        ctx.http
            .create_message(channel_id(channel))
            .embeds(&[embed])
            .components(&components),
    )
    .await?
    .model()
    .await?;
    if let Some(id) = custom_role_id {
        service::verification::custom_role_panel_posted(
            &ctx.pool,
            guild,
            id,
            channel,
            snowflake(m.id.get())?,
        )
        .await?;
    }
    Ok(())
}
