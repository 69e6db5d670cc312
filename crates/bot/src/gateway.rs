//! The gateway: one task per shard this process runs, each reading its events; each
//! interaction is handled in its own task. Shards of several processes take turns to
//! identify through PostgreSQL ([`service::gateway::take_identify_turn`]) and resume their
//! saved sessions after a restart.

use std::ops::RangeInclusive;

use service::gateway::ShardEvent;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use twilight_gateway::queue::Queue;
use twilight_gateway::{
    CloseFrame, ConfigBuilder, Event, EventTypeFlags, Intents, Session, Shard, ShardId, StreamExt,
};

use crate::{BotConfig, BotError, Ctx, handlers, members, router};

/// How often a shard's latest sequence is saved at most (a SIGKILL replays up to this
/// much on RESUME).
const SEQUENCE_SAVE_INTERVAL: std::time::Duration = std::time::Duration::from_millis(100);

/// Which shards this process runs (`SHARD_TOTAL`, `SHARDS`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShardConfig {
    /// `None`: the count Discord recommends (`GET /gateway/bot`).
    pub total: Option<u32>,
    /// `None`: all of them.
    pub range: Option<RangeInclusive<u32>>,
}

/// Twilight's identify queue backed by PostgreSQL: shared by every process on the database.
#[derive(Clone)]
struct SharedQueue {
    pool: service::PgPool,
    max_concurrency: u32,
}

impl Queue for SharedQueue {
    fn enqueue(&self, shard_id: u32) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        let pool = self.pool.clone();
        let bucket = shard_id % self.max_concurrency.max(1);
        tokio::spawn(async move {
            let spacing = service::gateway::IDENTIFY_SPACING;
            loop {
                match service::gateway::take_identify_turn(&pool, bucket, spacing).await {
                    Ok(()) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, bucket, "cannot take an identify turn; retrying");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
            tracing::debug!(shard_id, bucket, "identify turn taken");
            let _ = tx.send(());
        });
        rx
    }
}

/// Picks the shards to run from the configuration and `GET /gateway/bot`.
async fn plan(ctx: &Ctx, config: &BotConfig) -> Result<(u32, RangeInclusive<u32>, u32), BotError> {
    let info = match ctx.http.gateway().authed().await {
        Ok(r) => r
            .model()
            .await
            .map(Some)
            .map_err(|e| BotError::Discord(e.to_string()))?,
        Err(e) if config.shards.total.is_some() => {
            tracing::warn!(error = %e, "GET /gateway/bot failed; identifying one shard per 5 s");
            None
        }
        Err(e) => return Err(crate::discord::startup_error(e)),
    };
    let total = config
        .shards
        .total
        .or(info.as_ref().map(|i| i.shards))
        .unwrap_or(1)
        .max(1);
    let range = config.shards.range.clone().unwrap_or(0..=total - 1);
    if *range.end() >= total || range.is_empty() {
        return Err(BotError::Config(format!(
            "SHARDS {}-{} is not within the {total} shards of SHARD_TOTAL",
            range.start(),
            range.end()
        )));
    }
    let max_concurrency = info
        .as_ref()
        .map_or(1, |i| u32::from(i.session_start_limit.max_concurrency))
        .max(1);
    if let Some(limit) = info.as_ref().map(|i| &i.session_start_limit) {
        let wanted = range.end() - range.start() + 1;
        tracing::info!(
            remaining = limit.remaining,
            total = limit.total,
            reset_after_ms = limit.reset_after,
            max_concurrency = limit.max_concurrency,
            "session start limit"
        );
        if limit.remaining < wanted {
            tracing::error!(
                remaining = limit.remaining,
                wanted,
                "the daily session start limit is nearly spent: shards that cannot resume will wait for Discord's reset"
            );
        }
    }
    Ok((total, range, max_concurrency))
}

pub async fn run(
    ctx: Ctx,
    config: &BotConfig,
    shutdown: CancellationToken,
) -> Result<(), BotError> {
    let (total, range, max_concurrency) = plan(&ctx, config).await?;
    tracing::info!(
        shard_total = total,
        first = range.start(),
        last = range.end(),
        "running shards"
    );
    let queue = SharedQueue {
        pool: ctx.pool.clone(),
        max_concurrency,
    };
    let tracker = TaskTracker::new();
    // Member and role events are recorded in order by one task, so a later update of a
    // member never loses to an earlier one (a guild's events all come from one shard).
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel();
    {
        let ctx = ctx.clone();
        tracker.spawn(async move {
            while let Some(seen) = seen_rx.recv().await {
                members::record(ctx.clone(), seen).await;
            }
        });
    }
    let shards = TaskTracker::new();
    for id in range {
        let shard = ShardTask {
            ctx: ctx.clone(),
            id: ShardId::new(id, total),
            tracker: tracker.clone(),
            seen_tx: seen_tx.clone(),
            shutdown: shutdown.clone(),
        };
        let builder = shard.builder(config, queue.clone()).await;
        shards.spawn(shard.run(builder));
    }
    drop(seen_tx);
    shards.close();
    shards.wait().await;
    // Let in-flight interactions finish answering before we return.
    tracker.close();
    tracker.wait().await;
    Ok(())
}

struct ShardTask {
    ctx: Ctx,
    id: ShardId,
    tracker: TaskTracker,
    seen_tx: mpsc::UnboundedSender<members::Seen>,
    shutdown: CancellationToken,
}

impl ShardTask {
    /// The shard's configuration, with its saved session to resume if there is one.
    async fn builder(&self, config: &BotConfig, queue: SharedQueue) -> ConfigBuilder<SharedQueue> {
        // GUILD_MESSAGES and MESSAGE_CONTENT: staff replies typed in modmail threads (`!r`).
        let intents = Intents::GUILDS
            | Intents::GUILD_MEMBERS
            | Intents::GUILD_MESSAGES
            | Intents::DIRECT_MESSAGES
            | Intents::MESSAGE_CONTENT;
        let mut builder = ConfigBuilder::new(config.token.clone(), intents).queue(queue);
        if let Some(url) = &config.gateway_url {
            builder = builder.proxy_url(url.clone());
        }
        let (shard_id, total) = (self.id.number(), self.id.total());
        match service::gateway::saved_session(&self.ctx.pool, total, shard_id).await {
            Ok(Some(saved)) => {
                tracing::info!(
                    shard_id,
                    sequence = saved.sequence,
                    "resuming the saved session"
                );
                builder = builder
                    .session(Session::new(saved.sequence, saved.session_id))
                    .resume_url(saved.resume_url);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(shard_id, error = %e, "cannot read the saved session; identifying")
            }
        }
        builder
    }

    async fn run(self, builder: ConfigBuilder<SharedQueue>) {
        let ctx = self.ctx.clone();
        let (shard_id, total) = (self.id.number(), self.id.total());
        let mut shard = Shard::with_config(self.id, builder.build());
        // The latest sequence is saved by its own task, coalescing bursts, so a restart
        // resumes from (nearly) the last event this process took.
        let (seq_tx, mut seq_rx) = watch::channel::<Option<(String, u64)>>(None);
        let saver = {
            let pool = ctx.pool.clone();
            tokio::spawn(async move {
                let mut saved: Option<(String, u64)> = None;
                loop {
                    let closed = seq_rx.changed().await.is_err();
                    let latest = seq_rx.borrow_and_update().clone();
                    if let Some((session, seq)) = latest.filter(|l| Some(l) != saved.as_ref()) {
                        if let Err(e) =
                            service::gateway::save_sequence(&pool, total, shard_id, &session, seq)
                                .await
                        {
                            tracing::warn!(shard_id, error = %e, "cannot save the gateway sequence");
                        }
                        saved = Some((session, seq));
                    }
                    if closed {
                        break;
                    }
                    // At most one write per interval: a burst of events costs a few.
                    tokio::time::sleep(SEQUENCE_SAVE_INTERVAL).await;
                }
            })
        };
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
        loop {
            let item = tokio::select! {
                item = shard.next_event(wanted) => item,
                _ = self.shutdown.cancelled() => break,
            };
            let event = match item {
                None => {
                    // Fatally closed (e.g. a bad token): the process stops.
                    self.shutdown.cancel();
                    break;
                }
                Some(Ok(event)) => event,
                Some(Err(e)) => {
                    tracing::warn!(shard_id, error = %e, "gateway error; twilight reconnects");
                    continue;
                }
            };
            if let Some(seen) = members::seen(&event) {
                let _ = self.seen_tx.send(seen);
            }
            let latency = shard.latency().recent().first().copied();
            let sequence = shard.session().map_or(0, Session::sequence);
            self.handle(event, latency, sequence).await;
            if let Some(s) = shard.session() {
                let latest = Some((s.id().to_owned(), s.sequence()));
                seq_tx.send_if_modified(|v| {
                    let changed = *v != latest;
                    *v = latest;
                    changed
                });
            }
        }
        // A resumable close: a restarted process picks the session up again.
        shard.close(CloseFrame::RESUME);
        self.record(ShardEvent::Closed).await;
        drop(seq_tx);
        let _ = saver.await;
    }

    /// Records what the shard did where every process reads it (`/ping`, `/metrics`).
    /// A task of its own: a slow database never holds the shard's events back.
    async fn record(&self, event: ShardEvent) {
        let (shard_id, total) = (self.id.number(), self.id.total());
        let pool = self.ctx.pool.clone();
        self.tracker.spawn(async move {
            if let Err(e) = service::gateway::record_shard(&pool, total, shard_id, event).await {
                tracing::warn!(shard_id, error = %e, "cannot record the shard's state");
            }
        });
    }

    /// Acts on one event; `latency` and `sequence` are the shard's after it.
    async fn handle(&self, event: Event, latency: Option<std::time::Duration>, sequence: u64) {
        let ctx = &self.ctx;
        let (shard_id, total) = (self.id.number(), self.id.total());
        match event {
            Event::Ready(ready) => {
                tracing::info!(shard_id, shard_total = total, user = %ready.user.name, guilds = ready.guilds.len(), "connected to the gateway");
                let saved = service::gateway::SavedSession {
                    shard_id,
                    shard_total: total,
                    session_id: ready.session_id.clone(),
                    sequence,
                    resume_url: ready.resume_gateway_url.clone(),
                };
                if let Err(e) = service::gateway::save_session(&ctx.pool, &saved).await {
                    tracing::warn!(shard_id, error = %e, "cannot save the gateway session");
                }
                self.record(ShardEvent::Identified).await;
            }
            Event::Resumed => {
                tracing::info!(shard_id, "gateway session resumed");
                self.record(ShardEvent::Resumed).await;
            }
            Event::InteractionCreate(interaction) => {
                self.tracker
                    .spawn(router::handle(ctx.clone(), interaction.0));
            }
            Event::GatewayHeartbeatAck => {
                if let Ok(mut slot) = ctx.gateway_latency.lock() {
                    *slot = latency.or(*slot);
                }
                if let Some(latency) = latency {
                    self.record(ShardEvent::Heartbeat(latency)).await;
                }
            }
            Event::MemberUpdate(update) => {
                self.tracker.spawn(handlers::staff::member_updated(
                    ctx.clone(),
                    update.guild_id.get(),
                    update.user.id.get(),
                ));
            }
            Event::MemberAdd(member) => {
                self.tracker.spawn(handlers::moderation::member_joined(
                    ctx.clone(),
                    member.guild_id.get(),
                    member.user.id.get(),
                ));
            }
            // A direct message (no guild) from a person: verification or modmail.
            Event::MessageCreate(message)
                if message.message.guild_id.is_none() && !message.message.author.bot =>
            {
                self.tracker
                    .spawn(handlers::dm::route(ctx.clone(), message.message));
            }
            // In a server: only a staff reply typed in a modmail thread (`!r ...`) matters.
            Event::MessageCreate(message)
                if !message.message.author.bot
                    && domain::moderation::thread_reply(&message.message.content).is_some() =>
            {
                self.tracker.spawn(handlers::modmail::thread_message(
                    ctx.clone(),
                    message.message,
                ));
            }
            _ => {}
        }
    }
}
