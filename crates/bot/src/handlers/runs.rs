//! /run, its autocomplete, and the run panel's buttons.

use domain::catalog::catalog;
use domain::run::RunAction;
use domain::{RunButton, RunComponent};
use service::ServiceError;
use service::runs::{self, RunRequest};
use store::runs::JoinChange;
use twilight_model::application::command::{CommandOptionChoice, CommandOptionChoiceValue};
use twilight_model::application::interaction::application_command::CommandData;
use twilight_model::http::interaction::InteractionResponseData;

use super::string_option;
use crate::router::{HandlerResult, Invocation, Reply};
use crate::{Ctx, views};

pub fn autocomplete(data: &CommandData) -> HandlerResult {
    let query = string_option(data, "dungeon").unwrap_or_default();
    let choices = catalog()
        .search(query)
        .into_iter()
        .map(|d| CommandOptionChoice {
            name: d.name.clone(),
            name_localizations: None,
            value: CommandOptionChoiceValue::String(d.code.clone()),
        });
    Ok(Reply::Choices(InteractionResponseData {
        choices: Some(choices.collect()),
        ..Default::default()
    }))
}

/// The dungeon code from the option: a chosen suggestion is a code; a typed name is
/// accepted when it names one dungeon.
pub(super) fn dungeon_code(typed: &str) -> String {
    let typed = typed.trim();
    let c = catalog();
    if c.dungeon(typed).is_some() {
        return typed.to_owned();
    }
    c.dungeons
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(typed))
        .map(|d| d.code.clone())
        .unwrap_or_else(|| typed.to_owned())
}

pub async fn create(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let request = RunRequest {
        organizer_id: Some(inv.user),
        dungeon: dungeon_code(string_option(data, "dungeon").unwrap_or_default()),
        party: string_option(data, "party").map(str::to_owned),
        location: string_option(data, "location").map(str::to_owned),
        description: string_option(data, "description").map(str::to_owned),
    };
    let run = runs::create(&ctx.pool, inv.guild, &inv.actor, request).await?;
    let detail = runs::get(&ctx.pool, inv.guild, run.run_id).await?;
    Ok(Reply::Message(views::ephemeral_panel(
        Some(views::runs::created(&run)),
        views::runs::organizer_embed(&detail),
        views::runs::organizer_components(&run),
    )))
}

pub async fn component(
    ctx: &Ctx,
    inv: &Invocation,
    c: RunComponent,
    values: &[String],
) -> HandlerResult {
    let run_id = c.run_id;
    let pool = &ctx.pool;
    match c.button {
        RunButton::Join => {
            let out = runs::join(pool, inv.guild, run_id, &inv.actor, inv.user, None).await?;
            let already = out.change == JoinChange::AlreadyJoined;
            Ok(Reply::Message(views::ephemeral(views::runs::joined(
                &out.run,
                out.class.as_deref(),
                already,
            ))))
        }
        RunButton::Class => {
            let class = values
                .first()
                .ok_or_else(|| ServiceError::invalid("no_class", "Pick a class from the menu."))?;
            let out =
                runs::join(pool, inv.guild, run_id, &inv.actor, inv.user, Some(class)).await?;
            Ok(Reply::Message(views::ephemeral(views::runs::joined(
                &out.run,
                out.class.as_deref(),
                false,
            ))))
        }
        RunButton::Leave => {
            let left = runs::leave(pool, inv.guild, run_id, &inv.actor, inv.user).await?;
            Ok(Reply::Message(views::ephemeral(views::runs::left(left))))
        }
        RunButton::Manage => {
            let detail = runs::get(pool, inv.guild, run_id).await?;
            if !runs::may_manage(&inv.actor, &detail.run) {
                return Err(ServiceError::Forbidden(
                    "Only this run's organizer, or staff above Organizer, can open its organizer panel.".into(),
                ));
            }
            Ok(Reply::Message(views::ephemeral_panel(
                None,
                views::runs::organizer_embed(&detail),
                views::runs::organizer_components(&detail.run),
            )))
        }
        RunButton::Start | RunButton::End | RunButton::Cancel => {
            let action = match c.button {
                RunButton::Start => RunAction::Start,
                RunButton::End => RunAction::End,
                _ => RunAction::Cancel,
            };
            let run = runs::transition(pool, inv.guild, run_id, &inv.actor, action).await?;
            let detail = runs::get(pool, inv.guild, run.run_id).await?;
            Ok(Reply::Update(InteractionResponseData {
                content: Some(views::runs::transitioned(&run)),
                embeds: Some(vec![views::runs::organizer_embed(&detail)]),
                components: Some(views::runs::organizer_components(&run)),
                ..Default::default()
            }))
        }
    }
}
