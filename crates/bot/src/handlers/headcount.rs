//! /headcount (its picker and autocomplete) and the headcount panels' buttons.

use domain::catalog::catalog;
use domain::headcount::{MAX_DUNGEONS, ReactionKind};
use domain::{HeadcountButton, HeadcountComponent};
use service::headcounts;
use service::headcounts::HeadcountError;
use twilight_model::application::command::{CommandOptionChoice, CommandOptionChoiceValue};
use twilight_model::application::interaction::application_command::{
    CommandData, CommandOptionValue,
};
use twilight_model::http::interaction::InteractionResponseData;

use super::string_option;
use crate::commands::headcount::dungeon_option;
use crate::router::{HandlerResult, Invocation, Reply};
use crate::{Ctx, views};

pub fn autocomplete(data: &CommandData) -> HandlerResult {
    let query = data
        .options
        .iter()
        .find_map(|o| match &o.value {
            CommandOptionValue::Focused(text, _) => Some(text.as_str()),
            _ => None,
        })
        .unwrap_or_default();
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

/// A chosen suggestion is a code; a typed name is accepted when it names one dungeon.
fn dungeon_code(typed: &str) -> String {
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

/// Without options: the picker. With dungeon options: posts at once.
pub async fn create(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let typed: Vec<String> = (1..=MAX_DUNGEONS)
        .filter_map(|n| string_option(data, &dungeon_option(n)))
        .filter(|t| !t.trim().is_empty())
        .map(dungeon_code)
        .collect();
    if typed.is_empty() {
        let draft = headcounts::open_picker(&ctx.pool, inv.guild, &inv.actor).await?;
        return Ok(Reply::Message(views::headcount::picker(&draft, None)));
    }
    let h = headcounts::create(&ctx.pool, inv.guild, &inv.actor, Some(inv.user), &typed).await?;
    let detail = headcounts::get(&ctx.pool, inv.guild, h.headcount_id).await?;
    Ok(Reply::Message(views::ephemeral_panel(
        Some(views::headcount::posted(&h)),
        views::headcount::organizer_embed(&detail),
        views::headcount::organizer_components(&h),
    )))
}

async fn toggle(
    ctx: &Ctx,
    inv: &Invocation,
    id: i64,
    kind: ReactionKind,
    code: &str,
) -> HandlerResult {
    let out =
        headcounts::toggle(&ctx.pool, inv.guild, id, &inv.actor, inv.user, kind, code).await?;
    Ok(Reply::Message(views::ephemeral(views::headcount::toggled(
        kind, code, out.on,
    ))))
}

/// An update of the message the pressed component is on (flags cannot change).
fn update(mut data: InteractionResponseData) -> HandlerResult {
    data.flags = None;
    Ok(Reply::Update(data))
}

pub async fn component(
    ctx: &Ctx,
    inv: &Invocation,
    c: HeadcountComponent,
    values: &[String],
) -> HandlerResult {
    let pool = &ctx.pool;
    let id = c.id;
    match c.button {
        HeadcountButton::Interest(code) => {
            toggle(ctx, inv, id, ReactionKind::Interest, &code).await
        }
        HeadcountButton::Key(code) => toggle(ctx, inv, id, ReactionKind::Key, &code).await,
        HeadcountButton::Manage => {
            let detail = headcounts::organizer_view(pool, inv.guild, &inv.actor, id).await?;
            Ok(Reply::Message(views::ephemeral_panel(
                None,
                views::headcount::organizer_embed(&detail),
                views::headcount::organizer_components(&detail.headcount),
            )))
        }
        HeadcountButton::Convert(code) => {
            let done = headcounts::convert(pool, inv.guild, id, &inv.actor, &code).await?;
            let run = service::runs::get(pool, inv.guild, done.run.run_id).await?;
            update(InteractionResponseData {
                content: Some(views::headcount::converted(&done.run, done.keys_copied)),
                embeds: Some(vec![views::runs::organizer_embed(&run)]),
                components: Some(views::runs::organizer_components(&run.run)),
                ..Default::default()
            })
        }
        HeadcountButton::End => {
            headcounts::end(pool, inv.guild, id, &inv.actor).await?;
            let detail = headcounts::get(pool, inv.guild, id).await?;
            update(InteractionResponseData {
                content: Some(views::headcount::ended().to_owned()),
                embeds: Some(vec![views::headcount::organizer_embed(&detail)]),
                components: Some(Vec::new()),
                ..Default::default()
            })
        }
        HeadcountButton::Category => {
            let category = values.first().ok_or(HeadcountError::UnknownCategory)?;
            let draft =
                headcounts::pick_category(pool, inv.guild, &inv.actor, id, category).await?;
            update(views::headcount::picker(&draft, None))
        }
        HeadcountButton::Pick => {
            let draft = headcounts::pick_dungeons(pool, inv.guild, &inv.actor, id, values).await?;
            update(views::headcount::picker(&draft, None))
        }
        HeadcountButton::Post => {
            let h = headcounts::post_draft(pool, inv.guild, &inv.actor, id).await?;
            let detail = headcounts::get(pool, inv.guild, h.headcount_id).await?;
            update(InteractionResponseData {
                content: Some(views::headcount::posted(&h)),
                embeds: Some(vec![views::headcount::organizer_embed(&detail)]),
                components: Some(views::headcount::organizer_components(&h)),
                ..Default::default()
            })
        }
    }
}
