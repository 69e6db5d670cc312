//! Party finder posts: post with a thread, refresh, and removal after close.

use domain::Snowflake;
use service::party::PartyStatus;
use twilight_model::id::Id;

use super::{JobError, channel_id};
use crate::discord::{Failure, classify};
use crate::{Ctx, views};

/// Discord's "a thread has already been created for this message".
const THREAD_EXISTS: u64 = 160_004;

fn is_gone(e: &twilight_http::Error) -> bool {
    matches!(
        classify(e),
        Failure::Permanent {
            code: 10003 | 10008,
            ..
        }
    )
}

fn snowflake(id: u64) -> Result<Snowflake, JobError> {
    Snowflake::new(id).map_err(|e| JobError::Discord(Failure::Transient(e.to_string())))
}

/// Posts the party and starts its thread. Each step is remembered as soon as it is done,
/// so a retry continues where the last try stopped.
pub async fn post(ctx: &Ctx, guild: Snowflake, party_id: i64) -> Result<(), JobError> {
    let mut p = service::party::get(&ctx.pool, guild, party_id).await?;
    if p.status == PartyStatus::Closed && p.message_id.is_none() {
        return Ok(()); // closed before it was ever posted
    }
    let message = match p.message_id {
        Some(m) => m,
        None => {
            let embeds = [views::party::post_embed(&p)];
            let components = views::party::post_components(&p);
            let sent = crate::discord::create_message_once(
                &ctx.http,
                channel_id(p.channel_id),
                ctx.http
                    .create_message(channel_id(p.channel_id))
                    .embeds(&embeds)
                    .components(&components),
            )
            .await;
            let message = match sent {
                Ok(r) => r.model().await?,
                Err(e) => {
                    let failure = classify(&e);
                    if let Failure::Permanent { .. } = failure {
                        // The channel is gone or closed to the bot: the party cannot be
                        // shown, so it must not block its owner from posting another.
                        service::party::post_failed(&ctx.pool, guild, party_id).await?;
                    }
                    return Err(JobError::Discord(failure));
                }
            };
            let id = snowflake(message.id.get())?;
            service::party::message_posted(&ctx.pool, guild, party_id, id).await?;
            p = service::party::get(&ctx.pool, guild, party_id).await?;
            id
        }
    };
    if p.thread_id.is_some() || p.status == PartyStatus::Closed {
        return Ok(());
    }
    let thread = match ctx
        .http
        .create_thread_from_message(
            channel_id(p.channel_id),
            Id::new(message.get()),
            &views::party::thread_name(&p),
        )
        .await
    {
        Ok(r) => snowflake(r.model().await?.id.get())?,
        // Started by an earlier try whose answer was lost: a message's thread has the
        // message's id.
        Err(e)
            if matches!(
                classify(&e),
                Failure::Permanent {
                    code: THREAD_EXISTS,
                    ..
                }
            ) =>
        {
            message
        }
        Err(e) => return Err(e.into()),
    };
    service::party::thread_started(&ctx.pool, guild, party_id, thread).await?;
    Ok(())
}

/// Shows the latest closing time on the post.
pub async fn refresh(ctx: &Ctx, guild: Snowflake, party_id: i64) -> Result<(), JobError> {
    let p = service::party::get(&ctx.pool, guild, party_id).await?;
    if p.status == PartyStatus::Closed {
        return Ok(()); // it is being removed
    }
    let Some(message) = p.message_id else {
        return Err(JobError::NotYet("the party is not posted yet"));
    };
    let embeds = [views::party::post_embed(&p)];
    let components = views::party::post_components(&p);
    crate::discord::pace_channel_write(channel_id(p.channel_id)).await;
    match ctx
        .http
        .update_message(channel_id(p.channel_id), Id::new(message.get()))
        .embeds(Some(&embeds))
        .components(Some(&components))
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_gone(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Deletes a closed party's thread and post; either already gone counts as done.
pub async fn remove(ctx: &Ctx, guild: Snowflake, party_id: i64) -> Result<(), JobError> {
    let p = service::party::get(&ctx.pool, guild, party_id).await?;
    if p.status != PartyStatus::Closed {
        return Ok(());
    }
    if let Some(thread) = p.thread_id {
        match ctx.http.delete_channel(channel_id(thread)).await {
            Ok(_) => {}
            Err(e) if is_gone(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(message) = p.message_id {
        match ctx
            .http
            .delete_message(channel_id(p.channel_id), Id::new(message.get()))
            .await
        {
            Ok(_) => {}
            Err(e) if is_gone(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
