//! /run, its autocomplete, the run panel's buttons, and the organizer panel's tools.

use domain::catalog::catalog;
use domain::o3::Stage;
use domain::run::RunAction;
use domain::{RunButton, RunComponent, Snowflake};
use service::ServiceError;
use service::runs::RunError;
use service::runs::{self, JoinChange, ReactOutcome, RunRequest};
use twilight_model::application::command::{CommandOptionChoice, CommandOptionChoiceValue};
use twilight_model::application::interaction::application_command::{
    CommandData, CommandOptionValue,
};
use twilight_model::http::interaction::InteractionResponseData;

use super::{int_option, string_option};
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

fn small(value: Option<i64>, what: &str) -> Result<Option<i32>, ServiceError> {
    value
        .map(|v| {
            i32::try_from(v).map_err(|_| {
                ServiceError::from(RunError::NumberOutOfRange {
                    what: what.to_owned(),
                })
            })
        })
        .transpose()
}

pub async fn create(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let request = RunRequest {
        organizer_id: Some(inv.user),
        dungeon: dungeon_code(string_option(data, "dungeon").unwrap_or_default()),
        party: string_option(data, "party").map(str::to_owned),
        location: string_option(data, "location").map(str::to_owned),
        description: string_option(data, "description").map(str::to_owned),
        raider_cap: small(int_option(data, "cap"), "The raider cap")?,
        duration_minutes: small(int_option(data, "duration"), "The duration")?,
    };
    let run = ctx.lifecycle.create(inv.guild, &inv.actor, request).await?;
    let detail = runs::get(&ctx.pool, inv.guild, run.run_id).await?;
    Ok(Reply::Message(views::ephemeral_panel(
        Some(views::runs::created(&run)),
        views::runs::organizer_embed(&detail),
        views::runs::organizer_components(&run),
    )))
}

/// `/taken screenshot`: the completion screenshot of the organizer's active run.
pub async fn taken(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let attachment = data
        .options
        .iter()
        .find_map(|o| match &o.value {
            CommandOptionValue::Attachment(a) if o.name == "screenshot" => Some(*a),
            _ => None,
        })
        .and_then(|id| data.resolved.as_ref()?.attachments.get(&id))
        .ok_or(RunError::NoScreenshot)?;
    let run = runs::attach_screenshot(
        &ctx.pool,
        inv.guild,
        &inv.actor,
        &attachment.url,
        attachment.content_type.as_deref(),
    )
    .await?;
    say(views::runs::screenshot_taken(&run))
}

/// What a component or modal brought along.
pub struct Input<'a> {
    /// Values of a select menu.
    pub values: &'a [String],
    /// Text inputs of a submitted modal, by custom id.
    pub fields: &'a [(String, String)],
}

impl Input<'_> {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn member(&self) -> Result<Snowflake, ServiceError> {
        self.values
            .first()
            .and_then(|v| Snowflake::parse(v).ok())
            .ok_or_else(|| RunError::MemberRequired.into())
    }

    /// A whole number typed in a modal; empty means "clear".
    fn number(&self, name: &str, what: &str) -> Result<Option<i32>, ServiceError> {
        match self.field(name).map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v.parse::<i32>().map(Some).map_err(|_| {
                ServiceError::from(RunError::NotANumber {
                    what: what.to_owned(),
                    text: v.to_owned(),
                })
            }),
        }
    }
}

fn say(text: impl Into<String>) -> HandlerResult {
    Ok(Reply::Message(views::ephemeral(text)))
}

/// The refreshed organizer panel, replacing the message the button was on.
async fn organizer_update(ctx: &Ctx, inv: &Invocation, run_id: i64, note: String) -> HandlerResult {
    let detail = runs::get(&ctx.pool, inv.guild, run_id).await?;
    Ok(Reply::Update(InteractionResponseData {
        content: Some(note),
        embeds: Some(vec![views::runs::organizer_embed(&detail)]),
        components: Some(views::runs::organizer_components(&detail.run)),
        ..Default::default()
    }))
}

/// Opens a modal or picker only for someone who may manage the run (service decides).
async fn managed(
    ctx: &Ctx,
    inv: &Invocation,
    run_id: i64,
) -> Result<service::runs::Run, ServiceError> {
    runs::managed(&ctx.pool, inv.guild, &inv.actor, run_id).await
}

pub async fn component(
    ctx: &Ctx,
    inv: &Invocation,
    c: RunComponent,
    input: Input<'_>,
) -> HandlerResult {
    let pool = &ctx.pool;
    let (guild, actor, run_id) = (inv.guild, &inv.actor, c.run_id);
    match c.button {
        RunButton::Join => match ctx.joins.join(guild, run_id, actor, inv.user, None).await {
            Ok(out) => {
                let already = out.change == JoinChange::AlreadyJoined;
                say(views::runs::joined(
                    &out.dungeon_code,
                    out.class.as_deref(),
                    already,
                ))
            }
            Err(e @ ServiceError::Run(RunError::Full { .. })) => Ok(Reply::Message(
                views::runs::offer_bench(run_id, &views::refusal(&e, Some(inv.user.get()))),
            )),
            Err(e) => Err(e),
        },
        RunButton::Class => {
            let class = input.values.first().ok_or(RunError::ClassRequired)?;
            let out = ctx
                .joins
                .join(guild, run_id, actor, inv.user, Some(class))
                .await?;
            say(views::runs::joined(
                &out.dungeon_code,
                out.class.as_deref(),
                false,
            ))
        }
        RunButton::Bench => {
            let outcome = runs::bench(pool, guild, run_id, actor, inv.user).await?;
            let run = runs::get(pool, guild, run_id).await?.run;
            say(views::runs::benched(
                outcome,
                &domain::catalog::catalog().dungeon_name(&run.dungeon_code),
            ))
        }
        RunButton::Leave => {
            let out = runs::leave(pool, guild, run_id, actor, inv.user).await?;
            say(views::runs::left(out.was_in))
        }
        RunButton::React(code) => {
            let outcome = runs::react(pool, guild, run_id, actor, &code, false).await?;
            match &outcome {
                ReactOutcome::NeedsConfirm { name } => Ok(Reply::Message(
                    views::runs::confirm_key(run_id, &code, name),
                )),
                _ => say(views::runs::reacted(&outcome)),
            }
        }
        RunButton::ConfirmKey(code) => {
            let outcome = runs::react(pool, guild, run_id, actor, &code, true).await?;
            Ok(Reply::Update(InteractionResponseData {
                content: Some(views::runs::reacted(&outcome)),
                components: Some(Vec::new()),
                ..Default::default()
            }))
        }
        RunButton::Manage => {
            let detail = runs::organizer_view(pool, guild, actor, run_id).await?;
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
            let run = ctx
                .lifecycle
                .transition(guild, run_id, actor, action)
                .await?;
            organizer_update(ctx, inv, run_id, views::runs::transitioned(&run)).await
        }
        RunButton::Lock => {
            let locked = runs::toggle_join_lock(pool, guild, run_id, actor).await?;
            let note = if locked {
                "Joining is locked."
            } else {
                "Joining is open again."
            };
            organizer_update(ctx, inv, run_id, note.to_owned()).await
        }
        RunButton::Ping => {
            runs::ping_raiders(pool, guild, run_id, actor).await?;
            say("Raiders pinged.")
        }
        RunButton::Location => {
            let run = managed(ctx, inv, run_id).await?;
            Ok(Reply::Modal(views::runs::location_modal(&run)))
        }
        RunButton::LocationSubmit => {
            let run = runs::set_location(
                pool,
                guild,
                run_id,
                actor,
                input.field("location"),
                input.field("party"),
            )
            .await?;
            let note = match &run.location {
                Some(loc) => format!("Location set to **{loc}**; early reactors are told by DM."),
                None => "Location cleared.".to_owned(),
            };
            say(note)
        }
        RunButton::Description => {
            let run = managed(ctx, inv, run_id).await?;
            Ok(Reply::Modal(views::runs::description_modal(&run)))
        }
        RunButton::DescriptionSubmit => {
            runs::set_description(pool, guild, run_id, actor, input.field("description")).await?;
            say("Description updated.")
        }
        RunButton::Cap => {
            let run = managed(ctx, inv, run_id).await?;
            let current = run.raider_cap.map(i64::from);
            Ok(Reply::Modal(views::runs::number_modal(
                run_id,
                RunButton::CapSubmit,
                "Raider cap",
                "Most raiders in the run (empty: no cap)",
                current,
            )))
        }
        RunButton::CapSubmit => {
            let cap = input.number("value", "The raider cap")?;
            let promoted = runs::set_cap(pool, guild, run_id, actor, cap).await?;
            let moved = match promoted.len() {
                0 => String::new(),
                n => format!(" {n} raider(s) moved up from the bench."),
            };
            say(match cap {
                Some(c) => format!("Raider cap set to {c}.{moved}"),
                None => format!("Raider cap removed.{moved}"),
            })
        }
        RunButton::Chain => {
            let run = managed(ctx, inv, run_id).await?;
            Ok(Reply::Modal(views::runs::number_modal(
                run_id,
                RunButton::ChainSubmit,
                "Chain amount",
                "Keys you plan to pop (empty: no chain)",
                run.chain_amount.map(i64::from),
            )))
        }
        RunButton::ChainSubmit => {
            let amount = input.number("value", "The chain amount")?;
            runs::set_chain(pool, guild, run_id, actor, amount).await?;
            say(match amount {
                Some(a) => format!("Chain set to {a} keys."),
                None => "Chain cleared.".to_owned(),
            })
        }
        RunButton::KeyPopped => {
            managed(ctx, inv, run_id).await?;
            Ok(Reply::Message(views::runs::member_picker(
                run_id,
                RunButton::KeyPoppedPick,
                "Who popped the key?",
            )))
        }
        RunButton::KeyPoppedPick => {
            managed(ctx, inv, run_id).await?;
            Ok(Reply::Modal(views::runs::key_window_modal(
                run_id,
                input.member()?.get(),
            )))
        }
        RunButton::KeyPoppedSubmit(member) => {
            let popper = Snowflake::new(member).map_err(RunError::BadId)?;
            let request = runs::KeyPopRequest {
                window_secs: input.number("window", "The key window")?,
                ..runs::KeyPopRequest::one(popper)
            };
            let pop = runs::key_popped(pool, guild, run_id, actor, request).await?;
            say(views::runs::key_logged(&pop, 1))
        }
        RunButton::LogKeys => {
            managed(ctx, inv, run_id).await?;
            Ok(Reply::Message(views::runs::member_picker(
                run_id,
                RunButton::LogKeysPick,
                "Whose keys are you logging?",
            )))
        }
        RunButton::LogKeysPick => {
            managed(ctx, inv, run_id).await?;
            Ok(Reply::Modal(views::runs::key_count_modal(
                run_id,
                input.member()?.get(),
            )))
        }
        RunButton::LogKeysSubmit(member) => {
            let popper = Snowflake::new(member).map_err(RunError::BadId)?;
            let count = input
                .number("count", "The number of keys")?
                .ok_or(RunError::KeyCountRequired)?;
            let request = runs::KeyPopRequest {
                count,
                key_name: input.field("key").map(str::to_owned),
                ..runs::KeyPopRequest::one(popper)
            };
            let pop = runs::key_popped(pool, guild, run_id, actor, request).await?;
            say(views::runs::key_logged(&pop, count))
        }
        RunButton::Remove => {
            managed(ctx, inv, run_id).await?;
            Ok(Reply::Message(views::runs::member_picker(
                run_id,
                RunButton::RemovePick,
                "Whom do you remove from the run?",
            )))
        }
        RunButton::RemovePick => {
            managed(ctx, inv, run_id).await?;
            Ok(Reply::Modal(views::runs::reason_modal(
                run_id,
                input.member()?.get(),
            )))
        }
        RunButton::RemoveSubmit(member) => {
            let user = Snowflake::new(member).map_err(RunError::BadId)?;
            let reason = input.field("reason").unwrap_or_default();
            let out = runs::remove(pool, guild, run_id, actor, user, reason).await?;
            let moved = match out.promoted.first() {
                Some(p) => format!(" <@{p}> moved up from the bench."),
                None => String::new(),
            };
            say(format!(
                "<@{user}> is removed from the run and told why.{moved}"
            ))
        }
        RunButton::AllowRejoin => {
            managed(ctx, inv, run_id).await?;
            Ok(Reply::Message(views::runs::member_picker(
                run_id,
                RunButton::AllowRejoinPick,
                "Who may join this run again?",
            )))
        }
        RunButton::AllowRejoinPick => {
            let user = input.member()?;
            runs::allow_rejoin(pool, guild, run_id, actor, user).await?;
            Ok(Reply::Update(InteractionResponseData {
                content: Some(format!("<@{user}> may join the run again.")),
                components: Some(Vec::new()),
                ..Default::default()
            }))
        }
        RunButton::O3RealmClosed | RunButton::O3ThirdRoom => {
            let stage = if c.button == RunButton::O3RealmClosed {
                Stage::RealmClosed
            } else {
                Stage::ThirdRoom
            };
            runs::o3_stage(pool, guild, run_id, actor, stage, None).await?;
            organizer_update(ctx, inv, run_id, "Announced.".to_owned()).await
        }
        RunButton::O3Miniboss => {
            managed(ctx, inv, run_id).await?;
            Ok(Reply::Message(views::runs::miniboss_picker(run_id)))
        }
        RunButton::O3MinibossPick => {
            let boss = input.values.first().map(String::as_str);
            runs::o3_stage(pool, guild, run_id, actor, Stage::Miniboss, boss).await?;
            Ok(Reply::Update(InteractionResponseData {
                content: Some(format!("Miniboss announced: {}.", boss.unwrap_or_default())),
                components: Some(Vec::new()),
                ..Default::default()
            }))
        }
        RunButton::RealmScore => {
            let run = managed(ctx, inv, run_id).await?;
            Ok(Reply::Modal(views::runs::number_modal(
                run_id,
                RunButton::RealmScoreSubmit,
                "Realm score",
                "Realm score in percent (1–99)",
                run.realm_score.map(i64::from),
            )))
        }
        RunButton::RealmScoreSubmit => {
            let score = input
                .number("value", "The realm score")?
                .ok_or(RunError::BadScore)?;
            runs::realm_score(pool, guild, run_id, actor, score).await?;
            say(format!("Realm score {score}% announced."))
        }
    }
}
