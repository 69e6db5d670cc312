//! The gateway loop: one task reads events, each interaction is handled in its own task.

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use twilight_gateway::{
    CloseFrame, ConfigBuilder, Event, EventTypeFlags, Intents, Shard, ShardId, StreamExt,
};

use crate::{BotConfig, BotError, Ctx, handlers, members, router};

pub async fn run(
    ctx: Ctx,
    config: &BotConfig,
    shutdown: CancellationToken,
) -> Result<(), BotError> {
    // GUILD_MESSAGES and MESSAGE_CONTENT: staff replies typed in modmail threads (`!r`).
    let intents = Intents::GUILDS
        | Intents::GUILD_MEMBERS
        | Intents::GUILD_MESSAGES
        | Intents::DIRECT_MESSAGES
        | Intents::MESSAGE_CONTENT;
    let mut builder = ConfigBuilder::new(config.token.clone(), intents);
    if let Some(url) = &config.gateway_url {
        builder = builder.proxy_url(url.clone());
    }
    let mut shard = Shard::with_config(ShardId::ONE, builder.build());
    let tracker = TaskTracker::new();
    let wanted = EventTypeFlags::READY
        | EventTypeFlags::RESUMED
        | EventTypeFlags::GUILD_CREATE
        | EventTypeFlags::INTERACTION_CREATE
        | EventTypeFlags::MEMBER_ADD
        | EventTypeFlags::MEMBER_UPDATE
        | EventTypeFlags::GATEWAY_HEARTBEAT_ACK
        | EventTypeFlags::MEMBER_REMOVE
        | EventTypeFlags::ROLE_CREATE
        | EventTypeFlags::ROLE_UPDATE
        | EventTypeFlags::MESSAGE_CREATE;
    // Member and role events are recorded in order by one task, so a later update of a
    // member never loses to an earlier one.
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel();
    {
        let ctx = ctx.clone();
        tracker.spawn(async move {
            while let Some(seen) = seen_rx.recv().await {
                members::record(ctx.clone(), seen).await;
            }
        });
    }

    loop {
        let item = tokio::select! {
            item = shard.next_event(wanted) => item,
            _ = shutdown.cancelled() => break,
        };
        let event = match item {
            None => break,
            Some(Ok(event)) => event,
            Some(Err(e)) => {
                tracing::warn!(error = %e, "gateway error; twilight reconnects");
                continue;
            }
        };
        if let Some(seen) = members::seen(&event) {
            let _ = seen_tx.send(seen);
        }
        match event {
            Event::Ready(ready) => {
                tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "connected to the gateway");
            }
            Event::Resumed => tracing::info!("gateway session resumed"),
            Event::InteractionCreate(interaction) => {
                tracker.spawn(router::handle(ctx.clone(), interaction.0));
            }
            Event::GatewayHeartbeatAck => {
                let latest = shard.latency().recent().first().copied();
                if let Ok(mut slot) = ctx.gateway_latency.lock() {
                    *slot = latest.or(*slot);
                }
            }
            Event::MemberUpdate(update) => {
                tracker.spawn(handlers::staff::member_updated(
                    ctx.clone(),
                    update.guild_id.get(),
                    update.user.id.get(),
                ));
            }
            Event::MemberAdd(member) => {
                tracker.spawn(handlers::moderation::member_joined(
                    ctx.clone(),
                    member.guild_id.get(),
                    member.user.id.get(),
                ));
            }
            // A direct message (no guild) from a person: verification or modmail.
            Event::MessageCreate(message)
                if message.message.guild_id.is_none() && !message.message.author.bot =>
            {
                tracker.spawn(handlers::dm::route(ctx.clone(), message.message));
            }
            // In a server: only a staff reply typed in a modmail thread (`!r ...`) matters.
            Event::MessageCreate(message)
                if !message.message.author.bot
                    && domain::moderation::thread_reply(&message.message.content).is_some() =>
            {
                tracker.spawn(handlers::modmail::thread_message(
                    ctx.clone(),
                    message.message,
                ));
            }
            _ => {}
        }
    }
    drop(seen_tx);
    shard.close(CloseFrame::NORMAL);
    // Let in-flight interactions finish answering before we return.
    tracker.close();
    tracker.wait().await;
    Ok(())
}
