//! One interaction in, one answer out, always within Discord's 3 seconds: a handler that
//! has not finished after `DEFER_AFTER` gets a deferred answer that is edited when it does.

use std::future::Future;
use std::time::{Duration, Instant};

use domain::Snowflake;
use service::command_log::CommandLogEntry;
use service::{Actor, ServiceError};
use twilight_model::application::interaction::{Interaction, InteractionData, InteractionType};
use twilight_model::channel::message::MessageFlags;
use twilight_model::guild::Permissions;
use twilight_model::http::interaction::{
    InteractionResponse, InteractionResponseData, InteractionResponseType,
};

use tracing::Instrument;

use crate::{Ctx, handlers, views};

/// When to stop waiting for a handler and defer instead (Discord allows 3 s in all).
const DEFER_AFTER: Duration = Duration::from_millis(2000);

/// What a handler answers.
pub enum Reply {
    /// A new message (usually ephemeral).
    Message(InteractionResponseData),
    /// Replace the message the pressed component is on (e.g. the organizer panel).
    Update(InteractionResponseData),
    /// Autocomplete choices.
    Choices(InteractionResponseData),
    /// Open a form (only as the first answer, never after a modal).
    Modal(InteractionResponseData),
}

/// Who invoked, where.
pub struct Invocation {
    pub guild: Snowflake,
    pub user: Snowflake,
    pub actor: Actor,
}

pub type HandlerResult = Result<Reply, ServiceError>;

fn snowflake(id: u64) -> Option<Snowflake> {
    Snowflake::new(id).ok()
}

/// The name logged for an interaction: "/run" or the custom id.
fn label(interaction: &Interaction) -> String {
    match &interaction.data {
        Some(InteractionData::ApplicationCommand(c)) => format!("/{}", c.name),
        Some(InteractionData::MessageComponent(c)) => c.custom_id.clone(),
        Some(InteractionData::ModalSubmit(m)) => m.custom_id.clone(),
        _ => "unknown".to_owned(),
    }
}

pub async fn handle(ctx: Ctx, interaction: Interaction) {
    let span = tracing::info_span!("interaction", name = %label(&interaction),
        guild = ?interaction.guild_id, user = ?interaction.author_id());
    handle_inner(ctx, interaction).instrument(span).await;
}

async fn handle_inner(ctx: Ctx, interaction: Interaction) {
    let started = Instant::now();
    let name = label(&interaction);
    if interaction.kind == InteractionType::Ping {
        return;
    }
    let (guild, member) = match (interaction.guild_id, interaction.member.as_ref()) {
        (Some(g), Some(m)) => (g, m),
        _ if dm_modmail(&interaction).is_some() => {
            // The modmail server menu and Open ticket / Cancel in a member's DMs.
            if let (Some(c), Some(user)) = (
                dm_modmail(&interaction),
                interaction.author_id().and_then(|u| snowflake(u.get())),
            ) {
                let author = interaction
                    .author()
                    .map(|u| u.name.clone())
                    .unwrap_or_default();
                let values = match &interaction.data {
                    Some(InteractionData::MessageComponent(d)) => d.values.clone(),
                    _ => Vec::new(),
                };
                let handler_ctx = ctx.clone();
                let work = async move {
                    handlers::modmail::dm_component(&handler_ctx, user, &author, &c, &values).await
                };
                let _ = answer_in_time(&ctx, &interaction, work).await;
            }
            return;
        }
        _ if dm_verification(&interaction).is_some() => {
            // Buttons of the verification DM flow: the session row names the guild.
            if let (Some(c), Some(user)) = (
                dm_verification(&interaction),
                handlers::verification::dm_user(&interaction),
            ) {
                if already_taken(&ctx, None, &interaction).await {
                    return;
                }
                let work = handlers::verification::dm_component(&ctx, user, c);
                let _ = answer_in_time(&ctx, &interaction, work).await;
            }
            return;
        }
        _ if dm_schedule(&interaction).is_some() => {
            // The Join button of a scheduled raid's DM: the scheduled raid names the guild.
            if let (Some(c), Some(user)) = (
                dm_schedule(&interaction),
                handlers::verification::dm_user(&interaction),
            ) {
                let work = handlers::schedule::dm_component(&ctx, user, c);
                let _ = answer_in_time(&ctx, &interaction, work).await;
            }
            return;
        }
        _ => {
            answer(
                &ctx,
                &interaction,
                Ok(Reply::Message(views::ephemeral(
                    "raidbot works inside a server: use this command there.",
                ))),
            )
            .await;
            return;
        }
    };
    let (Some(guild), Some(user)) = (
        snowflake(guild.get()),
        interaction.author_id().and_then(|u| snowflake(u.get())),
    ) else {
        return;
    };
    let roles: Vec<Snowflake> = member
        .roles
        .iter()
        .filter_map(|r| snowflake(r.get()))
        .collect();
    let admin = member
        .permissions
        .is_some_and(|p| p.contains(Permissions::ADMINISTRATOR));
    if already_taken(&ctx, Some(guild), &interaction).await {
        return;
    }
    let result = if ctx.outage.is_down() {
        // PostgreSQL is known to be unreachable: say so at once.
        answer(&ctx, &interaction, Err(ServiceError::Unavailable)).await;
        Err("database_unavailable".to_owned())
    } else {
        // On the heap: the handlers' state machine is large (every command's future), and
        // kept on the stack it overflows a 2 MiB thread in debug builds.
        let work = Box::pin(async {
            // Quota panels learn who holds which role from what members show us (see
            // gateway.rs). Awaited (one statement, shared with the clicks arriving
            // with it) so the member's own command already sees them.
            if ctx.roles_seen.changed(guild, user, &roles) {
                match ctx.sightings.seen(guild, user, &roles).await {
                    Ok(()) => ctx.roles_seen.recorded(guild, user, &roles),
                    Err(e) => tracing::warn!(error = %e, "could not record the member's roles"),
                }
            }
            let nul = (interaction.kind != InteractionType::ApplicationCommandAutocomplete)
                .then(|| nul_field(&interaction))
                .flatten();
            if let Some(field) = nul {
                return Err(ServiceError::invalid(
                    "invalid_text",
                    views::nul_text(&field),
                ));
            }
            let mapping = ctx.role_mappings.get(&ctx.pool, guild).await?;
            let actor = service::config::actor_for_member(&mapping, user, &roles, admin);
            let inv = Invocation { guild, user, actor };
            handlers::dispatch(ctx.clone(), inv, interaction.clone()).await
        });
        // Work still running after a moment, or failing for want of the database, makes
        // the outage detector probe; once it marks the database down, waiting work is given
        // up (its transaction rolls back) and the member is told to try again.
        let watched = async {
            tokio::select! {
                r = work => r,
                () = async {
                    tokio::time::sleep(service::health::SUSPECT_AFTER).await;
                    ctx.outage.suspect();
                    ctx.outage.went_down().await;
                } => Err(ServiceError::Unavailable),
            }
        };
        let result = answer_in_time(&ctx, &interaction, watched).await;
        if matches!(&result, Err(code) if code == "database_unavailable") {
            ctx.outage.suspect();
        }
        result
    };
    let elapsed = started.elapsed();
    metrics::histogram!("raidbot_interaction_seconds").record(elapsed.as_secs_f64());
    if interaction.kind != InteractionType::ApplicationCommandAutocomplete && !ctx.outage.is_down()
    {
        let (outcome, code) = match &result {
            Ok(()) => ("ok", None),
            Err(code) if code == "internal" || code == "database_unavailable" => {
                ("error", Some(code.clone()))
            }
            Err(code) => ("refused", Some(code.clone())),
        };
        let entry = CommandLogEntry {
            guild_id: guild,
            user_id: user,
            command: name,
            options: options_json(&interaction),
            outcome,
            error_code: code,
            latency_ms: i32::try_from(elapsed.as_millis()).unwrap_or(i32::MAX),
        };
        if let Err(e) = ctx.command_log.record(entry).await {
            tracing::warn!(error = %e, "could not write the command log");
        }
    }
}

/// Whether a process took this interaction already: the gateway replays what a killed
/// process had received when its session is resumed, and a toggle handled twice would
/// undo itself. Autocomplete changes nothing and is not recorded. While the database is
/// down (or found down while asking) the interaction is handled, to be told to try again.
async fn already_taken(ctx: &Ctx, guild: Option<Snowflake>, interaction: &Interaction) -> bool {
    if interaction.kind == InteractionType::ApplicationCommandAutocomplete || ctx.outage.is_down() {
        return false;
    }
    let take = ctx.events.take(guild, interaction.id.get());
    let taken_before = tokio::select! {
        r = take => matches!(r, Ok(false)),
        () = async {
            tokio::time::sleep(service::health::SUSPECT_AFTER).await;
            ctx.outage.suspect();
            ctx.outage.went_down().await;
        } => false,
    };
    if taken_before {
        tracing::info!("interaction replayed after a restart: handled already, skipped");
        metrics::counter!("raidbot_interactions_replayed_total").increment(1);
    }
    taken_before
}

/// The option or form field whose text holds a NUL character, worded for the member
/// ("The option `reason`", "The field `description`"), if any.
fn nul_field(interaction: &Interaction) -> Option<String> {
    use twilight_model::application::interaction::application_command::{
        CommandDataOption, CommandOptionValue,
    };
    fn in_options(options: &[CommandDataOption]) -> Option<String> {
        options.iter().find_map(|o| match &o.value {
            CommandOptionValue::String(s) if s.contains('\0') => {
                Some(format!("The option `{}`", o.name))
            }
            CommandOptionValue::SubCommand(inner) | CommandOptionValue::SubCommandGroup(inner) => {
                in_options(inner)
            }
            _ => None,
        })
    }
    match &interaction.data {
        Some(InteractionData::ApplicationCommand(c)) => in_options(&c.options),
        Some(InteractionData::ModalSubmit(m)) => handlers::modal_fields(&m.components)
            .into_iter()
            .find(|(_, value)| value.contains('\0'))
            .map(|(id, _)| format!("The field `{id}`")),
        _ => None,
    }
}

/// A modmail component pressed in a DM, if this is one.
fn dm_modmail(interaction: &Interaction) -> Option<domain::ModmailComponent> {
    match &interaction.data {
        Some(InteractionData::MessageComponent(c)) => {
            match domain::CustomId::parse(&c.custom_id)? {
                domain::CustomId::Modmail(m) => Some(m),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A verification component pressed in a DM, if this is one.
fn dm_verification(interaction: &Interaction) -> Option<domain::VeriComponent> {
    let id = match &interaction.data {
        Some(InteractionData::MessageComponent(c)) => &c.custom_id,
        _ => return None,
    };
    match domain::CustomId::parse(id)? {
        domain::CustomId::Verification(c) => Some(c),
        _ => None,
    }
}

/// A scheduled raid component pressed in a DM, if this is one.
fn dm_schedule(interaction: &Interaction) -> Option<domain::ScheduleComponent> {
    let id = match &interaction.data {
        Some(InteractionData::MessageComponent(c)) => &c.custom_id,
        _ => return None,
    };
    match domain::CustomId::parse(id)? {
        domain::CustomId::Schedule(c) => Some(c),
        _ => None,
    }
}

fn options_json(interaction: &Interaction) -> serde_json::Value {
    match &interaction.data {
        Some(InteractionData::ApplicationCommand(c)) => {
            serde_json::to_value(&c.options).unwrap_or_default()
        }
        Some(InteractionData::MessageComponent(c)) => serde_json::json!({ "values": c.values }),
        _ => serde_json::Value::Null,
    }
}

/// Runs the handler; answers it directly when it is quick, or defers and edits the answer
/// when it is slow. Returns the error code of a refused or failed action.
async fn answer_in_time(
    ctx: &Ctx,
    interaction: &Interaction,
    work: impl Future<Output = HandlerResult>,
) -> Result<(), String> {
    tokio::pin!(work);
    if defers_at_once(interaction) {
        return defer_then_edit(ctx, interaction, work).await;
    }
    let result = tokio::select! {
        r = &mut work => r,
        _ = tokio::time::sleep(DEFER_AFTER) => {
            return defer_then_edit(ctx, interaction, work).await;
        }
    };
    let code = result.as_ref().err().map(|e| e.code().to_owned());
    answer(ctx, interaction, result).await;
    code.map_or(Ok(()), Err)
}

/// Commands known to take long (downloads, bulk imports): deferred without waiting.
fn defers_at_once(interaction: &Interaction) -> bool {
    matches!(&interaction.data, Some(InteractionData::ApplicationCommand(c))
        if crate::commands::CommandName::parse(&c.name)
            == Some(crate::commands::CommandName::SyncTeam))
}

/// Defers the answer, waits for the handler and edits the deferred answer with its result
/// (content, embeds, components and files).
async fn defer_then_edit(
    ctx: &Ctx,
    interaction: &Interaction,
    work: impl Future<Output = HandlerResult>,
) -> Result<(), String> {
    let deferred = InteractionResponse {
        kind: InteractionResponseType::DeferredChannelMessageWithSource,
        data: Some(InteractionResponseData {
            flags: Some(MessageFlags::EPHEMERAL),
            ..Default::default()
        }),
    };
    if let Err(e) = ctx
        .answers
        .interaction(ctx.application_id)
        .create_response(interaction.id, &interaction.token, &deferred)
        .await
    {
        tracing::warn!(error = %e, "could not defer the interaction");
    }
    let r = work.await;
    let code = r.as_ref().err().map(|e| e.code().to_owned());
    let data = match r {
        Ok(Reply::Message(d) | Reply::Update(d) | Reply::Choices(d) | Reply::Modal(d)) => d,
        Err(e) => views::ephemeral(views::refusal(&e, interaction.author_id().map(|u| u.get()))),
    };
    let client = ctx.answers.interaction(ctx.application_id);
    let edit = client
        .update_response(&interaction.token)
        .content(data.content.as_deref())
        .embeds(data.embeds.as_deref())
        .components(data.components.as_deref())
        .attachments(data.attachments.as_deref().unwrap_or(&[]))
        .await;
    if let Err(e) = edit {
        tracing::warn!(error = %e, "could not edit the deferred answer");
    }
    code.map_or(Ok(()), Err)
}

async fn answer(ctx: &Ctx, interaction: &Interaction, result: HandlerResult) {
    let (kind, data) = match result {
        Ok(Reply::Message(d)) => (InteractionResponseType::ChannelMessageWithSource, d),
        Ok(Reply::Update(d)) => (InteractionResponseType::UpdateMessage, d),
        Ok(Reply::Modal(d)) => (InteractionResponseType::Modal, d),
        Ok(Reply::Choices(d)) => (
            InteractionResponseType::ApplicationCommandAutocompleteResult,
            d,
        ),
        Err(e) => {
            if matches!(e, ServiceError::Internal(_)) {
                tracing::error!(error = ?e, "interaction failed");
            }
            (
                InteractionResponseType::ChannelMessageWithSource,
                views::ephemeral(views::refusal(&e, interaction.author_id().map(|u| u.get()))),
            )
        }
    };
    let response = InteractionResponse {
        kind,
        data: Some(data),
    };
    if let Err(e) = ctx
        .answers
        .interaction(ctx.application_id)
        .create_response(interaction.id, &interaction.token, &response)
        .await
    {
        tracing::warn!(error = %e, "could not answer the interaction");
    }
}
