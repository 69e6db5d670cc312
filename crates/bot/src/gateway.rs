//! The gateway loop: one task reads events, each interaction is handled in its own task.

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use twilight_gateway::{
    CloseFrame, ConfigBuilder, Event, EventTypeFlags, Intents, Shard, ShardId, StreamExt,
};

use crate::{BotConfig, BotError, Ctx, router};

pub async fn run(
    ctx: Ctx,
    config: &BotConfig,
    shutdown: CancellationToken,
) -> Result<(), BotError> {
    let intents = Intents::GUILDS
        | Intents::GUILD_MEMBERS
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
        | EventTypeFlags::MESSAGE_CREATE;
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
        match event {
            Event::Ready(ready) => {
                tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "connected to the gateway");
            }
            Event::Resumed => tracing::info!("gateway session resumed"),
            Event::InteractionCreate(interaction) => {
                tracker.spawn(router::handle(ctx.clone(), interaction.0));
            }
            // A direct message (no guild) from a person: the verification DM flow.
            Event::MessageCreate(message)
                if message.message.guild_id.is_none() && !message.message.author.bot =>
            {
                tracker.spawn(router::direct_message(ctx.clone(), message.message));
            }
            _ => {}
        }
    }
    shard.close(CloseFrame::NORMAL);
    // Let in-flight interactions finish answering before we return.
    tracker.close();
    tracker.wait().await;
    Ok(())
}
