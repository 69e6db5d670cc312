//! Quota and points commands, the configuration panels' buttons, selects and modals, and
//! the leaderboard's page buttons.

use std::collections::BTreeMap;

use chrono::Utc;
use domain::Snowflake;
use domain::catalog::catalog;
use domain::custom_id::{ConfigAction, QuotaComponent};
use domain::quota::{
    Currency, ModAction, PeriodChoice, Points, Schedule, parse_utc, parse_weekday,
};
use domain::snowflake::InvalidSnowflake;
use service::ServiceError;
use service::quota::{self, PanelAction, PointsChange, QuotaChange, QuotaError};
use twilight_model::application::interaction::application_command::{
    CommandData, CommandOptionValue,
};
use twilight_model::application::interaction::modal::{
    ModalInteractionComponent, ModalInteractionData,
};
use twilight_model::channel::message::MessageFlags;
use twilight_model::http::interaction::InteractionResponseData;

use super::{int_option, string_option};
use crate::router::{HandlerResult, Invocation, Reply};
use crate::views::quota as v;
use crate::{Ctx, views};

fn option<'a>(data: &'a CommandData, name: &str) -> Option<&'a CommandOptionValue> {
    data.options
        .iter()
        .find(|o| o.name == name)
        .map(|o| &o.value)
}

fn user_option(data: &CommandData, name: &str) -> Option<Snowflake> {
    match option(data, name)? {
        CommandOptionValue::User(u) => Snowflake::new(u.get()).ok(),
        _ => None,
    }
}

fn bool_option(data: &CommandData, name: &str) -> Option<bool> {
    match option(data, name)? {
        CommandOptionValue::Boolean(b) => Some(*b),
        _ => None,
    }
}

fn required<T>(value: Option<T>, name: &str) -> Result<T, ServiceError> {
    value.ok_or_else(|| {
        QuotaError::MissingOption {
            option: name.to_owned(),
        }
        .into()
    })
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

fn invalid(e: InvalidSnowflake) -> ServiceError {
    QuotaError::BadId(e).into()
}

fn ephemeral_panel(
    embed: twilight_model::channel::message::embed::Embed,
    components: Vec<twilight_model::channel::message::Component>,
) -> Reply {
    Reply::Message(views::ephemeral_panel(None, embed, components))
}

// ---------- commands ----------

pub async fn config_quota(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let role = match option(data, "role") {
        Some(CommandOptionValue::Role(r)) => *r,
        _ => return Err(QuotaError::RoleRequired.into()),
    };
    let position = data
        .resolved
        .as_ref()
        .and_then(|r| r.roles.get(&role))
        .and_then(|r| i32::try_from(r.position).ok());
    let role = Snowflake::new(role.get()).map_err(invalid)?;
    let view = quota::configure_quota_role(
        &ctx.pool,
        inv.guild,
        &inv.actor,
        role,
        position,
        QuotaChange::Touch,
    )
    .await?;
    Ok(ephemeral_panel(
        v::quota_config_embed(&view, None),
        v::quota_config_components(role, view.configured),
    ))
}

pub async fn config_points(ctx: &Ctx, inv: &Invocation) -> HandlerResult {
    let cfg = quota::point_config(&ctx.pool, inv.guild, &inv.actor).await?;
    Ok(ephemeral_panel(
        v::points_config_embed(&cfg, None),
        v::points_config_components(inv.guild),
    ))
}

pub async fn log_run(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let dungeon = dungeon_code(required(string_option(data, "dungeon"), "dungeon")?);
    let amount = required(int_option(data, "amount"), "amount")?;
    let member = user_option(data, "member");
    let out = quota::log_run(&ctx.pool, inv.guild, &inv.actor, &dungeon, amount, member).await?;
    Ok(Reply::Message(views::ephemeral(v::awarded(&out))))
}

pub async fn log_key(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let member = required(user_option(data, "member"), "member")?;
    let dungeon = dungeon_code(required(string_option(data, "dungeon"), "dungeon")?);
    let amount = int_option(data, "amount").unwrap_or(1);
    let out = quota::log_key(&ctx.pool, inv.guild, &inv.actor, member, &dungeon, amount).await?;
    Ok(Reply::Message(views::ephemeral(v::awarded(&out))))
}

pub async fn adjust(
    ctx: &Ctx,
    inv: &Invocation,
    data: &CommandData,
    currency: Currency,
) -> HandlerResult {
    let member = required(user_option(data, "member"), "member")?;
    let amount = required(string_option(data, "amount"), "amount")?;
    let reason = required(string_option(data, "reason"), "reason")?;
    let out = quota::adjust(
        &ctx.pool, inv.guild, &inv.actor, member, currency, amount, reason,
    )
    .await?;
    Ok(Reply::Message(views::ephemeral(v::awarded(&out))))
}

pub async fn stats(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let member = user_option(data, "member").unwrap_or(inv.user);
    let s = quota::stats(ctx.read_pool.pool(), inv.guild, &inv.actor, member).await?;
    let record =
        service::schedule::member_record(ctx.read_pool.pool(), inv.guild, &inv.actor, member)
            .await?;
    let share = bool_option(data, "share").unwrap_or(false);
    // A small chart of the member's runs per week, shown inside the embed.
    let weeks =
        service::analytics::member_weeks(ctx.read_pool.pool(), inv.guild, member, Utc::now())
            .await?;
    let png = {
        let weeks = weeks.clone();
        super::analytics::render(move || charts::member_weeks_png(&weeks)).await?
    };
    let mut file = twilight_model::http::attachment::Attachment::from_bytes(
        views::analytics::MEMBER_FILE.to_owned(),
        png,
        0,
    );
    file.description = Some(views::analytics::member_weeks_text(&weeks));
    Ok(Reply::Message(InteractionResponseData {
        embeds: Some(vec![views::analytics::with_member_chart(
            crate::views::schedule::with_record(v::stats_embed(&s), &record),
            &weeks,
        )]),
        attachments: Some(vec![file]),
        flags: (!share).then_some(MessageFlags::EPHEMERAL),
        ..Default::default()
    }))
}

pub async fn leaderboard(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let metric = v::metric_of(string_option(data, "category"))
        .ok_or(QuotaError::UnknownCategory { menu: false })?;
    let period = match string_option(data, "period") {
        None => PeriodChoice::Current,
        Some(p) => PeriodChoice::parse(p).ok_or(QuotaError::UnknownPeriod)?,
    };
    let page = quota::leaderboard(
        ctx.read_pool.pool(),
        inv.guild,
        &inv.actor,
        metric,
        period,
        0,
        quota::PAGE_SIZE,
    )
    .await?;
    Ok(ephemeral_panel(
        v::leaderboard_embed(&page),
        v::leaderboard_components(&page),
    ))
}

// ---------- components ----------

fn category(values: &[String]) -> Result<String, ServiceError> {
    values
        .first()
        .and_then(|i| i.parse::<usize>().ok())
        .and_then(|i| v::categories().get(i).cloned())
        .ok_or_else(|| QuotaError::UnknownCategory { menu: true }.into())
}

fn dungeon_value(values: &[String]) -> Result<String, ServiceError> {
    values
        .first()
        .filter(|d| catalog().dungeon(d).is_some())
        .cloned()
        .ok_or_else(|| QuotaError::UnknownDungeonChoice.into())
}

fn snowflake(id: i64) -> Result<Snowflake, ServiceError> {
    Snowflake::from_db(id).map_err(invalid)
}

pub async fn component(
    ctx: &Ctx,
    inv: &Invocation,
    c: QuotaComponent,
    values: &[String],
) -> HandlerResult {
    match c {
        QuotaComponent::Leaderboard {
            nav: _,
            page,
            metric,
            period,
        } => {
            let p = quota::leaderboard(
                ctx.read_pool.pool(),
                inv.guild,
                &inv.actor,
                metric,
                period,
                (page - 1).max(0) * quota::PAGE_SIZE,
                quota::PAGE_SIZE,
            )
            .await?;
            Ok(Reply::Update(InteractionResponseData {
                embeds: Some(vec![v::leaderboard_embed(&p)]),
                components: Some(v::leaderboard_components(&p)),
                ..Default::default()
            }))
        }
        QuotaComponent::Role {
            role_id, action, ..
        } => role_component(ctx, inv, snowflake(role_id)?, action, values).await,
        QuotaComponent::Points { action, .. } => points_component(ctx, inv, action, values).await,
    }
}

async fn role_component(
    ctx: &Ctx,
    inv: &Invocation,
    role: Snowflake,
    action: ConfigAction,
    values: &[String],
) -> HandlerResult {
    let pool = &ctx.pool;
    let view = quota::quota_role_view(pool, inv.guild, &inv.actor, role).await?;
    let q = &view.role;
    Ok(match action {
        ConfigAction::Required => Reply::Modal(v::required_modal(role, q.required)),
        ConfigAction::Schedule => Reply::Modal(v::role_schedule_modal(role, &q.schedule)),
        ConfigAction::Start => Reply::Modal(v::start_modal(role)),
        ConfigAction::Base => Reply::Modal(v::base_modal(role, q.exalt_points, q.non_exalt_points)),
        ConfigAction::Moderation => Reply::Modal(v::moderation_modal(role, &q.moderation)),
        ConfigAction::Category => Reply::Message(v::role_dungeon_select(role, &category(values)?)),
        ConfigAction::Dungeon => {
            let dungeon = dungeon_value(values)?;
            let current = q.overrides.get(&dungeon).copied();
            Reply::Modal(v::override_modal(role, &dungeon, current))
        }
        ConfigAction::Refresh | ConfigAction::Reset => {
            let (what, text) = if action == ConfigAction::Refresh {
                (
                    PanelAction::Refresh,
                    "The quota panel will be refreshed in a moment.",
                )
            } else {
                (
                    PanelAction::Reset,
                    "The quota panel will be posted anew in a moment.",
                )
            };
            quota::panel_action(pool, inv.guild, &inv.actor, role, what).await?;
            Reply::Message(views::ephemeral(text))
        }
        ConfigAction::Delete => Reply::Message(v::quota_delete_confirm(role)),
        ConfigAction::DeleteConfirm => {
            quota::panel_action(pool, inv.guild, &inv.actor, role, PanelAction::Delete).await?;
            Reply::Update(InteractionResponseData {
                content: Some(format!(
                    "The quota configuration of <@&{role}> was deleted; points already earned stay."
                )),
                components: Some(Vec::new()),
                ..Default::default()
            })
        }
        ConfigAction::Override | ConfigAction::Defaults => {
            return Err(QuotaError::UnknownButton.into());
        }
    })
}

async fn points_component(
    ctx: &Ctx,
    inv: &Invocation,
    action: ConfigAction,
    values: &[String],
) -> HandlerResult {
    let cfg = quota::point_config(&ctx.pool, inv.guild, &inv.actor).await?;
    Ok(match action {
        ConfigAction::Defaults => Reply::Modal(v::points_defaults_modal(inv.guild, &cfg)),
        ConfigAction::Schedule => Reply::Modal(v::points_schedule_modal(inv.guild, &cfg)),
        ConfigAction::Category => {
            Reply::Message(v::points_dungeon_select(inv.guild, &category(values)?))
        }
        ConfigAction::Dungeon => {
            let dungeon = dungeon_value(values)?;
            Reply::Modal(v::points_override_modal(inv.guild, &dungeon, &cfg))
        }
        _ => {
            return Err(QuotaError::UnknownButton.into());
        }
    })
}

// ---------- modals ----------

fn collect(c: &ModalInteractionComponent, out: &mut BTreeMap<String, String>) {
    match c {
        ModalInteractionComponent::ActionRow(r) => {
            r.components.iter().for_each(|c| collect(c, out))
        }
        ModalInteractionComponent::Label(l) => collect(&l.component, out),
        ModalInteractionComponent::TextInput(t) => {
            out.insert(t.custom_id.clone(), t.value.trim().to_owned());
        }
        _ => {}
    }
}

fn fields(data: &ModalInteractionData) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    data.components.iter().for_each(|c| collect(c, &mut out));
    out
}

fn field<'a>(f: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    f.get(name).map(String::as_str).unwrap_or("")
}

fn points(f: &BTreeMap<String, String>, name: &str, label: &str) -> Result<Points, ServiceError> {
    Points::parse(field(f, name)).map_err(|why| {
        QuotaError::BadPoints {
            label: Some(label.to_owned()),
            why,
        }
        .into()
    })
}

fn optional_points(
    f: &BTreeMap<String, String>,
    name: &str,
    label: &str,
) -> Result<Option<Points>, ServiceError> {
    if field(f, name).is_empty() {
        Ok(None)
    } else {
        points(f, name, label).map(Some)
    }
}

fn time_of_day(text: &str) -> Result<(u8, u8), ServiceError> {
    let bad = || -> ServiceError {
        QuotaError::BadTime {
            text: text.to_owned(),
        }
        .into()
    };
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u8, u8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok((h, m))
}

fn schedule(f: &BTreeMap<String, String>) -> Result<Schedule, ServiceError> {
    let (hour, minute) = time_of_day(field(f, "time"))?;
    let day = field(f, "day");
    let bad_day = |what: &'static str| QuotaError::BadDay {
        text: day.to_owned(),
        what,
    };
    let s = match field(f, "kind").to_lowercase().as_str() {
        "weekly" | "week" => Schedule::Weekly {
            weekday: parse_weekday(day).ok_or_else(|| bad_day("a day of the week"))?,
            hour,
            minute,
        },
        "days" | "every" | "daily" => Schedule::EveryDays {
            days: day.parse().map_err(|_| bad_day("a number of days"))?,
            anchor: Utc::now()
                .date_naive()
                .and_hms_opt(u32::from(hour), u32::from(minute), 0)
                .map(|d| d.and_utc())
                .unwrap_or_else(Utc::now),
        },
        "monthly" | "month" => Schedule::Monthly {
            day: day
                .parse()
                .map_err(|_| bad_day("a day of the month (1–28)"))?,
            hour,
            minute,
        },
        other => {
            return Err(QuotaError::BadScheduleKind {
                text: other.to_owned(),
            }
            .into());
        }
    };
    s.validate().map_err(|e| QuotaError::BadSchedule(e).into())
}

pub async fn modal(
    ctx: &Ctx,
    inv: &Invocation,
    c: QuotaComponent,
    data: &ModalInteractionData,
) -> HandlerResult {
    let f = fields(data);
    match c {
        QuotaComponent::Role {
            role_id,
            action,
            dungeon,
        } => {
            let role = snowflake(role_id)?;
            let (change, note) = match action {
                ConfigAction::Required => {
                    let p = points(&f, "points", "Required points")?;
                    (
                        QuotaChange::Required(p),
                        format!("Required points set to **{p}**."),
                    )
                }
                ConfigAction::Schedule => {
                    let s = schedule(&f)?;
                    (
                        QuotaChange::Schedule(s),
                        format!(
                            "Schedule set to {}; it applies from the next boundary.",
                            s.describe()
                        ),
                    )
                }
                ConfigAction::Start => {
                    let text = field(&f, "start");
                    let start = if text.eq_ignore_ascii_case("now") {
                        Utc::now()
                    } else {
                        parse_utc(text).ok_or_else(|| QuotaError::BadStart {
                            text: text.to_owned(),
                        })?
                    };
                    (
                        QuotaChange::CurrentStart(start),
                        format!("The current period now starts <t:{}:f>.", start.timestamp()),
                    )
                }
                ConfigAction::Base => {
                    let exalt = points(&f, "exalt", "Exalt dungeons")?;
                    let non_exalt = points(&f, "other", "Other dungeons")?;
                    (
                        QuotaChange::BasePoints { exalt, non_exalt },
                        format!("Base points set: exalt **{exalt}**, other **{non_exalt}**."),
                    )
                }
                ConfigAction::Moderation => {
                    let mut m = BTreeMap::new();
                    for a in ModAction::ALL {
                        let p = points(&f, a.as_str(), a.label())?;
                        if p != Points::ZERO {
                            m.insert(a.as_str().to_owned(), p);
                        }
                    }
                    (
                        QuotaChange::Moderation(m),
                        "Moderation points saved.".to_owned(),
                    )
                }
                ConfigAction::Override => {
                    let dungeon = dungeon.unwrap_or_default();
                    let p = optional_points(&f, "points", "Points per run")?;
                    let name = domain::catalog::catalog().dungeon_name(&dungeon);
                    let note = match p {
                        Some(p) => format!("{name} is now worth **{p}** quota points per run."),
                        None => format!("{name} uses the base points again."),
                    };
                    (QuotaChange::Override { dungeon, points: p }, note)
                }
                _ => return Err(unknown_modal()),
            };
            let view =
                quota::configure_quota_role(&ctx.pool, inv.guild, &inv.actor, role, None, change)
                    .await?;
            Ok(ephemeral_panel(
                v::quota_config_embed(&view, Some(&note)),
                v::quota_config_components(role, view.configured),
            ))
        }
        QuotaComponent::Points {
            action, dungeon, ..
        } => {
            let (change, note) = match action {
                ConfigAction::Defaults => {
                    let completion = points(&f, "completion", "Per dungeon completed")?;
                    let key_pop = points(&f, "key_pop", "Per key popped")?;
                    (
                        PointsChange::Defaults {
                            completion,
                            key_pop,
                        },
                        "Default raider points saved.".to_owned(),
                    )
                }
                ConfigAction::Schedule => {
                    let s = schedule(&f)?;
                    (
                        PointsChange::Schedule(s),
                        format!(
                            "Leaderboard period set to {}; it applies from the next boundary.",
                            s.describe()
                        ),
                    )
                }
                ConfigAction::Override => {
                    let dungeon = dungeon.unwrap_or_default();
                    let completion = optional_points(&f, "completion", "Per completion")?;
                    let key_pop = optional_points(&f, "key_pop", "Per key pop")?;
                    let note = format!(
                        "{} saved.",
                        domain::catalog::catalog().dungeon_name(&dungeon)
                    );
                    (
                        PointsChange::Dungeon {
                            dungeon,
                            completion,
                            key_pop,
                        },
                        note,
                    )
                }
                _ => return Err(unknown_modal()),
            };
            let cfg = quota::configure_points(&ctx.pool, inv.guild, &inv.actor, change).await?;
            Ok(ephemeral_panel(
                v::points_config_embed(&cfg, Some(&note)),
                v::points_config_components(inv.guild),
            ))
        }
        QuotaComponent::Leaderboard { .. } => Err(unknown_modal()),
    }
}

fn unknown_modal() -> ServiceError {
    QuotaError::UnknownForm.into()
}
