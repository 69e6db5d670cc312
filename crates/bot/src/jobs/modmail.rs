//! Discord's side of a modmail ticket: the forum thread, relaying every message not yet
//! relayed (member's to the thread, staff's by DM and echoed in the thread, or for a reply
//! typed there with `!r`, confirmed with ✅ or a note saying why it was not delivered), and the
//! closing summary and lock. Each message is marked relayed once done, so a retry or a
//! restart continues where it stopped; the transcript stays in the database whatever
//! happens to the thread.

use domain::{ChannelKey, Snowflake};
use twilight_http::request::channel::reaction::RequestReactionType;
use twilight_model::http::attachment::Attachment;
use twilight_model::id::Id;
use twilight_model::id::marker::ChannelMarker;

use super::JobError;
use crate::discord::{Failure, classify};
use crate::handlers::dm::guild_name;
use crate::{Ctx, views};

fn unknown_channel(e: &twilight_http::Error) -> bool {
    matches!(classify(e), Failure::Permanent { code: 10003, .. })
}

pub async fn sync(ctx: &Ctx, guild: Snowflake, ticket_id: i64) -> Result<(), JobError> {
    let Some((t, messages)) = service::modmail::sync_state(&ctx.pool, guild, ticket_id).await?
    else {
        return Ok(());
    };
    let forum = service::config::channels(&ctx.pool, guild)
        .await?
        .get(&ChannelKey::Modmail)
        .copied();
    let mut thread: Option<Id<ChannelMarker>> = t.thread_id.map(|c| Id::new(c.get()));
    if thread.is_none()
        && t.status == "open"
        && let Some(forum) = forum
    {
        let member = messages
            .first()
            .map(|m| m.author.clone())
            .unwrap_or_else(|| t.user_id.to_string());
        let name = views::modmail::thread_name(&t, &member);
        let opening = views::modmail::thread_opening(&t);
        // A thread this job made before it was interrupted (Discord made it, the id was not
        // saved) is taken up rather than made twice: its name starts with the ticket's code.
        let forum_id: Id<ChannelMarker> = Id::new(forum.get());
        let made_before = ctx
            .http
            .active_threads(Id::new(guild.get()))
            .await?
            .model()
            .await?
            .threads
            .into_iter()
            .find(|c| {
                c.parent_id == Some(forum_id)
                    && c.name
                        .as_deref()
                        .is_some_and(|n| n.starts_with(&format!("{} ", t.code)))
            });
        let id = match made_before {
            Some(existing) => existing.id,
            None => {
                ctx.http
                    .create_forum_thread(forum_id, &name)
                    .message()
                    .content(&opening)
                    .await?
                    .model()
                    .await?
                    .channel
                    .id
            }
        };
        service::modmail::set_thread(&ctx.pool, guild, ticket_id, Snowflake::new(id.get()).ok())
            .await?;
        thread = Some(id);
    }
    let guild_label = guild_name(ctx, guild).await;
    for m in messages.iter().filter(|m| m.relayed_at.is_none()) {
        crate::discord::job_item(m.message_id);
        let mut error: Option<String> = None;
        if m.direction == "staff" {
            error = dm(
                ctx,
                t.user_id,
                &views::modmail::staff_reply(&guild_label, &t, m),
            )
            .await?;
            match (thread, m.source_message_id) {
                // Typed in the thread (`!r`): confirm on that message, or say why not.
                (Some(th), Some(source)) => {
                    if !confirm_in_thread(ctx, th, source, error.as_deref()).await? {
                        thread = None;
                    }
                }
                (Some(th), None) => {
                    let echo = views::modmail::staff_echo(m, error.as_deref());
                    if let Err(e) = crate::discord::create_message_once(
                        &ctx.http,
                        th,
                        ctx.http.create_message(th).content(&echo),
                    )
                    .await
                    {
                        if !unknown_channel(&e) {
                            return Err(e.into());
                        }
                        thread = None;
                    }
                }
                (None, _) => {}
            }
        } else if let Some(th) = thread {
            let text = views::modmail::member_message(m);
            if let Err(e) = crate::discord::create_message_once(
                &ctx.http,
                th,
                ctx.http.create_message(th).content(&text),
            )
            .await
            {
                if !unknown_channel(&e) {
                    return Err(e.into());
                }
                // Deleted by hand: the message stays in the transcript.
                thread = None;
                error = Some("the ticket's thread was deleted".into());
            }
        } else {
            error = Some("no modmail forum configured".into());
        }
        service::modmail::relayed(&ctx.pool, guild, ticket_id, m.message_id, error.as_deref())
            .await?;
    }
    if t.status == "open" && t.close_at != t.close_notified_at {
        announce_close(ctx, &t, thread, &guild_label).await?;
        service::modmail::close_notified(&ctx.pool, guild, ticket_id, t.close_at).await?;
    }
    if t.status == "closed" && !t.close_done {
        if !t.close_silent {
            let _ = dm(ctx, t.user_id, &views::modmail::closed_dm(&guild_label, &t)).await?;
        }
        if let Some(th) = thread {
            let summary = views::modmail::closed_summary(&t, messages.len());
            match crate::discord::create_message_once(
                &ctx.http,
                th,
                ctx.http.create_message(th).content(&summary),
            )
            .await
            {
                Ok(_) => {
                    if let Err(e) = ctx.http.update_thread(th).locked(true).archived(true).await
                        && !unknown_channel(&e)
                    {
                        return Err(e.into());
                    }
                }
                Err(e) if unknown_channel(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        service::modmail::close_done(&ctx.pool, guild, ticket_id).await?;
    }
    Ok(())
}

/// A scheduled close was set (the member is told by DM unless it is silent; staff in the
/// thread) or the member's reply cancelled it (staff in the thread).
async fn announce_close(
    ctx: &Ctx,
    t: &service::modmail::Ticket,
    thread: Option<Id<ChannelMarker>>,
    guild_label: &str,
) -> Result<(), JobError> {
    let staff_note = match t.close_at {
        Some(at) => {
            if !t.close_silent {
                let _ = dm(
                    ctx,
                    t.user_id,
                    &views::modmail::close_scheduled_dm(guild_label, t, at),
                )
                .await?;
            }
            views::modmail::close_scheduled_note(t, at)
        }
        None => views::modmail::close_cancelled_note(),
    };
    if let Some(th) = thread
        && let Err(e) = crate::discord::create_message_once(
            &ctx.http,
            th,
            ctx.http.create_message(th).content(&staff_note),
        )
        .await
        && !unknown_channel(&e)
    {
        return Err(e.into());
    }
    Ok(())
}

/// Under a reply typed in the thread: ✅ when the member got it, else a reply saying why
/// not. False when the thread is gone; a deleted message is nothing to confirm on.
async fn confirm_in_thread(
    ctx: &Ctx,
    thread: Id<ChannelMarker>,
    source: Snowflake,
    error: Option<&str>,
) -> Result<bool, JobError> {
    let message = Id::new(source.get());
    let result = match error {
        None => {
            let emoji = RequestReactionType::Unicode {
                name: views::modmail::DELIVERED,
            };
            ctx.http
                .create_reaction(thread, message, &emoji)
                .await
                .map(|_| ())
        }
        Some(e) => crate::discord::create_message_once(
            &ctx.http,
            thread,
            ctx.http
                .create_message(thread)
                .content(&views::modmail::thread_reply_undelivered(e))
                .reply(message)
                .fail_if_not_exists(false),
        )
        .await
        .map(|_| ()),
    };
    match result {
        Ok(()) => Ok(true),
        Err(e) if unknown_channel(&e) => Ok(false),
        Err(e) if matches!(classify(&e), Failure::Permanent { code: 10008, .. }) => Ok(true),
        Err(e) => Err(e.into()),
    }
}

/// DMs the member; a closed DM is an outcome (the reason), not an error.
async fn dm(ctx: &Ctx, user: Snowflake, text: &str) -> Result<Option<String>, JobError> {
    let channel = match ctx.http.create_private_channel(Id::new(user.get())).await {
        Ok(r) => r.model().await?,
        Err(e) => return refusal(e),
    };
    match crate::discord::create_message_once(
        &ctx.http,
        channel.id,
        ctx.http.create_message(channel.id).content(text),
    )
    .await
    {
        Ok(_) => Ok(None),
        Err(e) => refusal(e),
    }
}

fn refusal(e: twilight_http::Error) -> Result<Option<String>, JobError> {
    match classify(&e) {
        Failure::Permanent { code: 50007, .. } => Ok(Some("their DMs are closed".into())),
        Failure::Permanent { reason, .. } => Ok(Some(reason)),
        other => Err(JobError::Discord(other)),
    }
}

/// A scheduled close's time came: the use case closes the ticket if it still stands (the
/// member did not write since); the sync job it queues does Discord's side.
pub async fn scheduled_close(ctx: &Ctx, guild: Snowflake, ticket_id: i64) -> Result<(), JobError> {
    service::modmail::scheduled_close_due(&ctx.pool, guild, ticket_id).await?;
    Ok(())
}

/// A temporary blacklist ran out: tell the member (once: the DM carries the job's nonce, so
/// a retry after a crash finds it), then drop the entry and log it.
pub async fn blacklist_expiry(
    ctx: &Ctx,
    guild: Snowflake,
    user: Snowflake,
) -> Result<(), JobError> {
    if !service::modmail::blacklist_due(&ctx.pool, guild, user).await? {
        return Ok(());
    }
    let name = guild_name(ctx, guild).await;
    let _ = dm(ctx, user, &views::modmail::blacklist_ended(&name)).await?;
    service::modmail::end_blacklist(&ctx.pool, guild, user).await?;
    Ok(())
}

/// The "ticket closed" entry in the log channel, with the way to read the transcript: a
/// link to the dashboard's page when the dashboard is served (`PUBLIC_URL`), else the
/// transcript itself as `transcript-<id>.txt`.
pub async fn closed_log(
    ctx: &Ctx,
    guild: Snowflake,
    channel: Snowflake,
    ticket_id: i64,
) -> Result<(), JobError> {
    let Some((t, messages)) = service::modmail::sync_state(&ctx.pool, guild, ticket_id).await?
    else {
        return Ok(());
    };
    let link = ctx
        .public_url
        .as_deref()
        .map(|u| views::modmail::transcript_url(u, guild, &t));
    let embed = views::modmail::log_entry(&t, true, messages.len(), Some(link.as_deref()));
    let embeds = [embed];
    let ch: Id<ChannelMarker> = Id::new(channel.get());
    let files;
    let mut request = ctx.http.create_message(ch).embeds(&embeds);
    if link.is_none() {
        files = [Attachment::from_bytes(
            views::modmail::transcript_file_name(&t),
            views::modmail::transcript_text(&t, &messages).into_bytes(),
            0,
        )];
        request = request.attachments(&files);
    }
    crate::discord::create_message_once(&ctx.http, ch, request).await?;
    Ok(())
}
