//! Direct messages to the bot. [`route`] is the single entry point: it picks the flow
//! from persisted state, so a restart between two DMs changes nothing. Modmail is the
//! only DM flow on this branch; another flow (verification) adds its check here, before
//! modmail's default.

use domain::Snowflake;
use service::ServiceError;
use service::modmail::{self, DmOutcome};
use twilight_model::channel::Message;
use twilight_model::channel::message::Component;
use twilight_model::id::Id;

use crate::{Ctx, views};

/// Handles one MESSAGE_CREATE in a DM channel.
pub async fn route(ctx: Ctx, message: Message) {
    if message.author.bot || message.guild_id.is_some() {
        return;
    }
    let Ok(user) = Snowflake::new(message.author.id.get()) else {
        return;
    };
    // A DM the gateway replays after a killed process had handled it is not handled or
    // answered twice; one the process died handling is handled now.
    if let Ok(false) =
        service::gateway::take_unfinished_event(&ctx.pool, None, message.id.get()).await
    {
        tracing::info!("direct message replayed after a restart: handled already, skipped");
        return;
    }
    let done = Finish(&ctx, message.id.get());
    if message.content.contains('\0') {
        done.now().await;
        send(&ctx, user, &views::nul_text("Your message")).await;
        return;
    }
    // A member in the middle of verifying talks to the verification flow (its session is
    // in PostgreSQL); everything else is modmail.
    let attachment = message.attachments.first().map(|a| {
        let image = a
            .content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("image/"));
        (a.url.as_str(), image)
    });
    match service::verification::direct_message(&ctx.pool, user, &message.content, attachment).await
    {
        Ok(Some(_)) => {
            // The verification flow answers through its jobs.
            done.now().await;
            return;
        }
        Ok(None) => {}
        Err(e) => {
            done.now().await;
            send(&ctx, user, &views::refusal(&e, Some(user.get()))).await;
            return;
        }
    }
    if let Err(e) = modmail_dm(&ctx, user, &message, &done).await {
        tracing::warn!(user = %user, error = %e, "modmail DM failed");
        send(&ctx, user, &views::modmail::dm_failed()).await;
    }
}

/// Records a DM as handled (once its state change is committed, before the answer).
struct Finish<'a>(&'a Ctx, u64);

impl Finish<'_> {
    async fn now(&self) {
        if let Err(e) = service::gateway::finish_event(&self.0.pool, None, self.1).await {
            tracing::warn!(error = %e, "could not record a handled direct message");
        }
    }
}

async fn modmail_dm(
    ctx: &Ctx,
    user: Snowflake,
    m: &Message,
    done: &Finish<'_>,
) -> Result<(), ServiceError> {
    let author = m.author.name.clone();
    let attachments: Vec<String> = m.attachments.iter().map(|a| a.url.clone()).collect();
    let outcome =
        match modmail::continue_dm(&ctx.pool, user, &author, &m.content, &attachments).await? {
            Some(o) => o,
            None => {
                let shared = shared_guilds(ctx, user).await?;
                modmail::start(&ctx.pool, user, &m.content, &attachments, &shared).await?
            }
        };
    done.now().await;
    let names = names(ctx, &outcome).await;
    let name = |g| name_of(&names, g);
    let text = views::modmail::dm_outcome(&outcome, name);
    let components = views::modmail::dm_components(&outcome, user, name);
    send_with(ctx, user, &text, &components).await;
    Ok(())
}

/// A server's name from those [`names`] looked up.
pub(crate) fn name_of(names: &[(Snowflake, String)], g: Snowflake) -> String {
    names
        .iter()
        .find(|(id, _)| *id == g)
        .map(|(_, n)| n.clone())
        .unwrap_or_else(|| "the server".into())
}

/// The modmail servers the member is in.
async fn shared_guilds(ctx: &Ctx, user: Snowflake) -> Result<Vec<Snowflake>, ServiceError> {
    let mut shared = Vec::new();
    for g in modmail::modmail_guilds(&ctx.pool).await? {
        if ctx
            .http
            .guild_member(Id::new(g.get()), Id::new(user.get()))
            .await
            .is_ok()
        {
            shared.push(g);
        }
    }
    Ok(shared)
}

pub(crate) async fn names(ctx: &Ctx, o: &DmOutcome) -> Vec<(Snowflake, String)> {
    let ids: Vec<Snowflake> = match o {
        DmOutcome::ChooseGuild { candidates } => candidates.clone(),
        DmOutcome::Relayed { guild, .. }
        | DmOutcome::Confirm { guild }
        | DmOutcome::Opened { guild, .. }
        | DmOutcome::Blacklisted { guild, .. }
        | DmOutcome::Cooldown { guild, .. }
        | DmOutcome::Closed { guild, .. } => vec![*guild],
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for g in ids {
        out.push((g, guild_name(ctx, g).await));
    }
    out
}

pub(crate) async fn guild_name(ctx: &Ctx, guild: Snowflake) -> String {
    match ctx.http.guild(Id::new(guild.get())).await {
        Ok(r) => r
            .model()
            .await
            .map(|g| g.name)
            .unwrap_or_else(|_| "the server".into()),
        Err(_) => "the server".into(),
    }
}

async fn send(ctx: &Ctx, user: Snowflake, text: &str) {
    send_with(ctx, user, text, &[]).await;
}

async fn send_with(ctx: &Ctx, user: Snowflake, text: &str, components: &[Component]) {
    let channel = match ctx.http.create_private_channel(Id::new(user.get())).await {
        Ok(r) => match r.model().await {
            Ok(c) => c,
            Err(_) => return,
        },
        Err(e) => {
            tracing::warn!(user = %user, error = %e, "cannot open a DM");
            return;
        }
    };
    if let Err(e) = ctx
        .http
        .create_message(channel.id)
        .content(text)
        .components(components)
        .await
    {
        tracing::warn!(user = %user, error = %e, "cannot answer a DM");
    }
}
