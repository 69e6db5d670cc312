//! Moderation commands and the `/find` panel. The handler reads the facts the hierarchy
//! needs from Discord (the target's roles and their positions, the bot's top role, the
//! owner) and leaves every decision to `service::moderation`.

use std::time::Duration;

use domain::moderation::{PunishmentKind, TargetFacts};
use domain::{FindComponent, FindTab, Snowflake};
use service::ServiceError;
use service::moderation::{self, ModerationError, PAGE_SIZE, PunishRequest, Target};
use twilight_model::application::interaction::application_command::{
    CommandData, CommandOptionValue,
};
use twilight_model::guild::{Permissions, Role};
use twilight_model::id::Id;
use twilight_model::id::marker::RoleMarker;

use super::{int_option, string_option};
use crate::discord::{Failure, classify};
use crate::router::{HandlerResult, Invocation, Reply};
use crate::{Ctx, views};

/// How long a staff answer waits for the DM's outcome, so it can say whether the member
/// was told (the router defers after 2 s and edits the answer).
const DM_WAIT: Duration = Duration::from_secs(8);

fn unreachable_discord(e: impl std::fmt::Display) -> ServiceError {
    tracing::warn!(error = %e, "reading the member from Discord failed");
    ServiceError::conflict(
        "discord_unavailable",
        views::moderation::discord_unreachable(),
    )
}

pub(crate) fn user_option(data: &CommandData, name: &str) -> Result<Snowflake, ServiceError> {
    data.options
        .iter()
        .find(|o| o.name == name)
        .and_then(|o| match &o.value {
            CommandOptionValue::User(u) => Snowflake::new(u.get()).ok(),
            CommandOptionValue::String(s) => Snowflake::parse(s).ok(),
            _ => None,
        })
        .ok_or_else(|| {
            ModerationError::MemberRequired {
                option: name.to_owned(),
            }
            .into()
        })
}

fn top_position(roles: &[Role], held: &[Id<RoleMarker>]) -> i64 {
    held.iter()
        .filter_map(|id| roles.iter().find(|r| r.id == *id))
        .map(|r| r.position)
        .max()
        .unwrap_or(0)
}

/// What Discord says about the target and the bot, for the hierarchy check.
pub(crate) struct Facts {
    pub target: Target,
    pub member: Option<twilight_model::guild::Member>,
    pub roles: Vec<Role>,
}

pub(crate) async fn target_facts(
    ctx: &Ctx,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Facts, ServiceError> {
    let g = guild_facts(ctx, guild).await?;
    member_facts(ctx, guild, &g, user).await
}

/// What Discord says about the server and the bot: the same for every member acted on.
pub(crate) struct GuildFacts {
    owner: u64,
    roles: Vec<Role>,
    bot_top: i64,
}

impl GuildFacts {
    /// Whether the bot can give or take `role`: it exists and sits below the bot's top role.
    pub(crate) fn below_bot(&self, role: Snowflake) -> bool {
        self.roles
            .iter()
            .find(|r| r.id.get() == role.get())
            .is_some_and(|r| r.position < self.bot_top)
    }
}

pub(crate) async fn guild_facts(ctx: &Ctx, guild: Snowflake) -> Result<GuildFacts, ServiceError> {
    let gid = Id::new(guild.get());
    let g = ctx
        .http
        .guild(gid)
        .await
        .map_err(unreachable_discord)?
        .model()
        .await
        .map_err(unreachable_discord)?;
    let roles = ctx
        .http
        .roles(gid)
        .await
        .map_err(unreachable_discord)?
        .model()
        .await
        .map_err(unreachable_discord)?;
    let me = ctx
        .http
        .current_user()
        .await
        .map_err(unreachable_discord)?
        .model()
        .await
        .map_err(unreachable_discord)?;
    let bot_member = ctx
        .http
        .guild_member(gid, me.id)
        .await
        .map_err(unreachable_discord)?
        .model()
        .await
        .map_err(unreachable_discord)?;
    let bot_top = top_position(&roles, &bot_member.roles);
    Ok(GuildFacts {
        owner: g.owner_id.get(),
        roles,
        bot_top,
    })
}

pub(crate) async fn member_facts(
    ctx: &Ctx,
    guild: Snowflake,
    g: &GuildFacts,
    user: Snowflake,
) -> Result<Facts, ServiceError> {
    let gid = Id::new(guild.get());
    let roles = &g.roles;
    let member = match ctx.http.guild_member(gid, Id::new(user.get())).await {
        Ok(r) => Some(r.model().await.map_err(unreachable_discord)?),
        Err(e) => match classify(&e) {
            Failure::Permanent {
                code: 10007 | 10013,
                ..
            } => None,
            _ => return Err(unreachable_discord(e)),
        },
    };
    let (level, top) = match &member {
        Some(m) => {
            let admin = m.roles.iter().any(|id| {
                roles
                    .iter()
                    .any(|r| r.id == *id && r.permissions.contains(Permissions::ADMINISTRATOR))
            });
            let held: Vec<Snowflake> = m
                .roles
                .iter()
                .filter_map(|r| Snowflake::new(r.get()).ok())
                .collect();
            let mapping = ctx.role_mappings.get(&ctx.pool, guild).await?;
            let level = service::config::actor_for_member(&mapping, user, &held, admin).level;
            (level, Some(top_position(roles, &m.roles)))
        }
        None => (domain::Level::NONE, None),
    };
    Ok(Facts {
        target: Target {
            facts: TargetFacts {
                user_id: user,
                level,
                is_owner: g.owner == user.get(),
                top_position: top,
            },
            bot_top_position: Some(g.bot_top),
        },
        member,
        roles: roles.clone(),
    })
}

/// Waits for the apply job to record the DM's outcome (or gives up after `DM_WAIT`).
async fn with_dm_outcome(
    ctx: &Ctx,
    guild: Snowflake,
    p: service::moderation::Punishment,
) -> service::moderation::Punishment {
    let started = std::time::Instant::now();
    let mut latest = p;
    while latest.dm_status.is_none() && started.elapsed() < DM_WAIT {
        tokio::time::sleep(Duration::from_millis(100)).await;
        match moderation::get(&ctx.pool, guild, latest.punishment_id).await {
            Ok(p) => latest = p,
            Err(_) => break,
        }
    }
    // After the DM, the role/kick/ban follows at once: give it a moment to show errors.
    let until = std::time::Instant::now() + Duration::from_millis(1500);
    while latest.applied_at.is_none() && std::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(100)).await;
        match moderation::get(&ctx.pool, guild, latest.punishment_id).await {
            Ok(p) => latest = p,
            Err(_) => break,
        }
    }
    latest
}

pub async fn punish(
    ctx: &Ctx,
    inv: &Invocation,
    data: &CommandData,
    kind: PunishmentKind,
) -> HandlerResult {
    moderation::may_punish(&inv.actor, kind)?;
    let user = user_option(data, "member")?;
    let facts = target_facts(ctx, inv.guild, user).await?;
    if kind == PunishmentKind::Kick && facts.member.is_none() {
        return Err(ServiceError::conflict(
            "not_a_member",
            views::moderation::not_a_member(user),
        ));
    }
    let req = PunishRequest {
        kind,
        reason: string_option(data, "reason").unwrap_or_default().to_owned(),
        duration: string_option(data, "duration").map(str::to_owned),
        delete_days: int_option(data, "delete_days"),
    };
    let p = moderation::punish(&ctx.pool, inv.guild, &inv.actor, &facts.target, req).await?;
    let p = with_dm_outcome(ctx, inv.guild, p).await;
    Ok(Reply::Message(views::ephemeral(views::moderation::issued(
        &p,
    ))))
}

pub async fn lift(
    ctx: &Ctx,
    inv: &Invocation,
    data: &CommandData,
    kind: PunishmentKind,
) -> HandlerResult {
    moderation::may_lift(&inv.actor)?;
    let user = user_option(data, "member")?;
    let facts = target_facts(ctx, inv.guild, user).await?;
    let reason = string_option(data, "reason").unwrap_or_default();
    let p = moderation::lift(
        &ctx.pool,
        inv.guild,
        &inv.actor,
        &facts.target,
        kind,
        reason,
    )
    .await?;
    Ok(Reply::Message(views::ephemeral(views::moderation::lifted(
        &p,
    ))))
}

pub async fn remove(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let code = string_option(data, "id").unwrap_or_default();
    let reason = string_option(data, "reason").unwrap_or_default();
    let p = moderation::remove(&ctx.pool, inv.guild, &inv.actor, code, reason).await?;
    Ok(Reply::Message(views::ephemeral(
        views::moderation::removed(&p),
    )))
}

pub async fn edit(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let code = string_option(data, "id").unwrap_or_default();
    let req = moderation::EditRequest {
        duration: string_option(data, "duration").map(str::to_owned),
        reason: string_option(data, "reason").map(str::to_owned),
    };
    let e = moderation::edit(&ctx.pool, inv.guild, &inv.actor, code, req).await?;
    Ok(Reply::Message(views::ephemeral(views::moderation::edited(
        &e.punishment,
        e.old_expires_at,
        e.old_reason.as_deref(),
    ))))
}

/// /masssuspend and /masswarn: each listed member in turn, each refused or punished on
/// their own; the interaction names the batch so a retry gives nothing twice.
pub async fn mass(
    ctx: &Ctx,
    inv: &Invocation,
    data: &CommandData,
    kind: PunishmentKind,
    interaction_id: u64,
) -> HandlerResult {
    moderation::may_mass(&inv.actor)?;
    moderation::may_punish(&inv.actor, kind)?;
    let req = PunishRequest {
        kind,
        reason: string_option(data, "reason").unwrap_or_default().to_owned(),
        duration: string_option(data, "duration").map(str::to_owned),
        delete_days: None,
    };
    moderation::check_request(&req)?;
    let list = string_option(data, "members").unwrap_or_default();
    let targets = moderation::resolve_mass(&ctx.pool, inv.guild, &inv.actor, list).await?;
    let g = guild_facts(ctx, inv.guild).await?;
    let batch = format!("interaction:{interaction_id}");
    let mut lines = Vec::with_capacity(targets.len());
    for t in targets {
        let (user, outcome, in_server) = match t.user {
            Err(e) => (None, moderation::MassOutcome::Refused(e), true),
            Ok(user) => match member_facts(ctx, inv.guild, &g, user).await {
                Err(e) => (Some(user), moderation::MassOutcome::Refused(e), true),
                Ok(facts) => {
                    let outcome = moderation::punish_in_batch(
                        &ctx.pool,
                        inv.guild,
                        &inv.actor,
                        &facts.target,
                        req.clone(),
                        &batch,
                    )
                    .await;
                    (Some(user), outcome, facts.member.is_some())
                }
            },
        };
        lines.push(views::moderation::MassLine {
            entry: t.entry,
            user,
            outcome,
            in_server,
        });
    }
    Ok(Reply::Message(views::ephemeral_embed(
        views::moderation::mass_report(kind, &lines),
    )))
}

/// /configescalation: add a rule, remove one, set the warning expiry; always answers with
/// the rules in force.
pub async fn config_escalation(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    use service::escalation;
    let mut done = Vec::new();
    if let Some(days) = int_option(data, "warning_expiry_days") {
        let days = (days > 0).then_some(days);
        escalation::set_warn_expiry(&ctx.pool, inv.guild, &inv.actor, days).await?;
        done.push(views::moderation::warn_expiry_set(days));
    }
    if let Some(id) = int_option(data, "remove") {
        escalation::remove_rule(&ctx.pool, inv.guild, &inv.actor, id).await?;
        done.push(views::moderation::rule_removed(id));
    }
    if let Some(when) = string_option(data, "when") {
        let req = escalation::RuleRequest {
            when: when.to_owned(),
            count: int_option(data, "count").unwrap_or(0),
            within_days: int_option(data, "within_days").unwrap_or(0),
            then: string_option(data, "then").unwrap_or_default().to_owned(),
            duration: string_option(data, "duration").map(str::to_owned),
        };
        let rule = escalation::add_rule(&ctx.pool, inv.guild, &inv.actor, req).await?;
        done.push(views::moderation::rule_added(&rule));
    }
    let settings = escalation::settings(&ctx.pool, inv.guild, &inv.actor).await?;
    let done = (!done.is_empty()).then(|| done.join("\n"));
    Ok(Reply::Message(views::ephemeral_embed(
        views::moderation::escalation_settings(&settings, done.as_deref()),
    )))
}

pub async fn unban(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let user = user_option(data, "user")?;
    let reason = string_option(data, "reason").unwrap_or_default();
    let n = moderation::unban(&ctx.pool, inv.guild, &inv.actor, user, reason).await?;
    Ok(Reply::Message(views::ephemeral(
        views::moderation::unbanned(user, n),
    )))
}

pub async fn add_note(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let user = user_option(data, "member")?;
    // A note is only a record: no Discord facts needed beyond who it is about.
    let target = Target {
        facts: TargetFacts {
            user_id: user,
            level: domain::Level::NONE,
            is_owner: false,
            top_position: None,
        },
        bot_top_position: None,
    };
    let text = string_option(data, "text").unwrap_or_default();
    let n = moderation::add_note(&ctx.pool, inv.guild, &inv.actor, &target, text).await?;
    Ok(Reply::Message(views::ephemeral(
        views::moderation::note_added(&n),
    )))
}

pub async fn remove_note(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let id = int_option(data, "note").unwrap_or(0);
    if id <= 0 {
        return Err(ModerationError::BadNoteNumber.into());
    }
    let n = moderation::remove_note(&ctx.pool, inv.guild, &inv.actor, id).await?;
    Ok(Reply::Message(views::ephemeral(
        views::moderation::note_removed(&n),
    )))
}

pub async fn find(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    // The tab's service read (member summary, history, notes) decides who may look.
    let user = user_option(data, "member")?;
    let data = tab(ctx, inv, user, FindTab::Info, 0).await?;
    Ok(Reply::Message(data))
}

pub async fn component(ctx: &Ctx, inv: &Invocation, c: FindComponent) -> HandlerResult {
    let user = Snowflake::from_db(c.user_id).map_err(ModerationError::BadMemberId)?;
    let data = tab(ctx, inv, user, c.tab, c.page).await?;
    Ok(Reply::Update(data))
}

fn pages(total: i64) -> u32 {
    views::pager::Page::count_for(total, PAGE_SIZE)
}

async fn tab(
    ctx: &Ctx,
    inv: &Invocation,
    user: Snowflake,
    tab: FindTab,
    page: u32,
) -> Result<twilight_model::http::interaction::InteractionResponseData, ServiceError> {
    let (embed, n_pages, page) = match tab {
        FindTab::Info => {
            let (record, active) =
                moderation::member_summary(&ctx.pool, inv.guild, &inv.actor, user).await?;
            let facts = target_facts(ctx, inv.guild, user).await?;
            let name = match ctx.http.user(Id::new(user.get())).await {
                Ok(r) => r.model().await.map(|u| u.name).unwrap_or_default(),
                Err(_) => String::new(),
            };
            let (ign, status) = match record {
                Some((ign, status)) => (ign, Some(status)),
                None => (None, None),
            };
            let mut roles: Vec<(i64, u64)> = facts
                .member
                .as_ref()
                .map(|m| {
                    m.roles
                        .iter()
                        .map(|id| {
                            let pos = facts
                                .roles
                                .iter()
                                .find(|r| r.id == *id)
                                .map_or(0, |r| r.position);
                            (pos, id.get())
                        })
                        .collect()
                })
                .unwrap_or_default();
            roles.sort_unstable_by(|a, b| b.cmp(a));
            let info = views::moderation::MemberInfo {
                user,
                name: if name.is_empty() {
                    user.to_string()
                } else {
                    name
                },
                nick: facts.member.as_ref().and_then(|m| m.nick.clone()),
                in_server: facts.member.is_some(),
                joined: facts
                    .member
                    .as_ref()
                    .and_then(|m| m.joined_at)
                    .map(|t| t.as_secs()),
                roles: roles.into_iter().map(|(_, id)| id).collect(),
                ign,
                status,
                active,
            };
            (views::moderation::info_embed(&info), 1, 0)
        }
        FindTab::Punishments => {
            let (_, total) =
                moderation::history(&ctx.pool, inv.guild, &inv.actor, user, 0, 1).await?;
            let n = pages(total);
            let page = page.min(n - 1);
            let (items, total) = moderation::history(
                &ctx.pool,
                inv.guild,
                &inv.actor,
                user,
                i64::from(page),
                PAGE_SIZE,
            )
            .await?;
            (
                views::moderation::punishments_embed(user, &items, page, n, total),
                n,
                page,
            )
        }
        FindTab::Notes => {
            let (_, total) =
                moderation::notes(&ctx.pool, inv.guild, &inv.actor, user, 0, 1).await?;
            let n = pages(total);
            let page = page.min(n - 1);
            let (items, total) = moderation::notes(
                &ctx.pool,
                inv.guild,
                &inv.actor,
                user,
                i64::from(page),
                PAGE_SIZE,
            )
            .await?;
            (
                views::moderation::notes_embed(user, &items, page, n, total),
                n,
                page,
            )
        }
    };
    Ok(views::ephemeral_panel(
        None,
        embed,
        views::moderation::find_components(user, tab, page, n_pages),
    ))
}

/// GUILD_MEMBER_ADD: a member who left while suspended or muted gets the role back.
pub async fn member_joined(ctx: Ctx, guild: u64, user: u64) {
    let (Ok(guild), Ok(user)) = (Snowflake::new(guild), Snowflake::new(user)) else {
        return;
    };
    match moderation::member_joined(&ctx.pool, guild, user).await {
        Ok(codes) if !codes.is_empty() => {
            tracing::info!(%guild, %user, ?codes, "rejoined while punished; role given back");
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "checking a joining member's punishments failed"),
    }
}
