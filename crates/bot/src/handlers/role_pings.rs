//! /configrolepings, /sendrolepingembed and the self-service panel's buttons and menus.
//!
//! Pressing the panel changes the member's own roles: the role call is made right away
//! (not as a job) so the answer can say what happened, including Discord's refusal when a
//! ping role sits above the bot's role.

use std::collections::BTreeSet;

use domain::{RolePingComponent, Snowflake};
use service::role_pings::RolePingError;
use service::{ServiceError, role_pings};
use twilight_model::application::interaction::application_command::{
    CommandData, CommandOptionValue,
};
use twilight_model::channel::ChannelType;
use twilight_model::id::Id;

use super::runs::dungeon_code;
use super::string_option;
use crate::discord::{Failure, classify};
use crate::router::{HandlerResult, Invocation, Reply};
use crate::{Ctx, views};

fn snowflake(id: u64) -> Result<Snowflake, ServiceError> {
    Snowflake::new(id).map_err(|e| ServiceError::from(RolePingError::BadId(e)))
}

pub async fn configure(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let role = data
        .options
        .iter()
        .find_map(|o| match (&*o.name, &o.value) {
            ("role", CommandOptionValue::Role(r)) => Some(r.get()),
            _ => None,
        });
    let role = role.map(snowflake).transpose()?;
    let Some(typed) = string_option(data, "dungeon") else {
        if role.is_some() {
            return Err(RolePingError::DungeonRequired.into());
        }
        let all = role_pings::list(&ctx.pool, inv.guild, &inv.actor).await?;
        return Ok(Reply::Message(views::ephemeral_embed(
            views::role_pings::mappings_embed("Dungeon ping roles", &all),
        )));
    };
    let code = dungeon_code(typed);
    let before = role_pings::configure(&ctx.pool, inv.guild, &inv.actor, &code, role).await?;
    let all = role_pings::list(&ctx.pool, inv.guild, &inv.actor).await?;
    Ok(Reply::Message(views::ephemeral_panel(
        Some(views::role_pings::configured(&code, role, before)),
        views::role_pings::mappings_embed("Dungeon ping roles", &all),
        Vec::new(),
    )))
}

pub async fn send_panel(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let mut channel = None;
    for o in &data.options {
        if let ("channel", CommandOptionValue::Channel(c)) = (&*o.name, &o.value) {
            let kind = data
                .resolved
                .as_ref()
                .and_then(|r| r.channels.get(c))
                .map(|r| r.kind);
            if kind.is_some_and(|k| {
                !matches!(k, ChannelType::GuildText | ChannelType::GuildAnnouncement)
            }) {
                let channel = snowflake(c.get())?;
                return Err(RolePingError::NotATextChannel { channel }.into());
            }
            channel = Some(snowflake(c.get())?);
        }
    }
    let channel = role_pings::post_panel(&ctx.pool, inv.guild, &inv.actor, channel).await?;
    Ok(Reply::Message(views::ephemeral(
        views::role_pings::panel_queued(channel),
    )))
}

/// Adds or removes one role on the member; `Err` carries Discord's error code.
async fn change_role(
    ctx: &Ctx,
    inv: &Invocation,
    role: Snowflake,
    add: bool,
) -> Result<(), Option<u64>> {
    let (g, u, r) = (
        Id::new(inv.guild.get()),
        Id::new(inv.user.get()),
        Id::new(role.get()),
    );
    let result = if add {
        ctx.http.add_guild_member_role(g, u, r).await
    } else {
        ctx.http.remove_guild_member_role(g, u, r).await
    };
    match result {
        Ok(_) => Ok(()),
        Err(e) => {
            let failure = classify(&e);
            tracing::warn!(reason = %failure.reason(), "changing a ping role failed");
            Err(match failure {
                Failure::Permanent { code, .. } => Some(code),
                _ => None,
            })
        }
    }
}

/// What a bulk change did, for the answer.
#[derive(Default)]
struct Outcome {
    added: Vec<String>,
    removed: Vec<String>,
    failures: Vec<String>,
}

impl Outcome {
    async fn apply(&mut self, ctx: &Ctx, inv: &Invocation, code: &str, role: Snowflake, add: bool) {
        match change_role(ctx, inv, role, add).await {
            Ok(()) if add => self.added.push(code.to_owned()),
            Ok(()) => self.removed.push(code.to_owned()),
            Err(error_code) => self
                .failures
                .push(views::role_pings::role_failure(code, role, error_code)),
        }
    }

    fn reply(&self) -> HandlerResult {
        Ok(Reply::Message(views::ephemeral(
            views::role_pings::bulk_result(&self.added, &self.removed, &self.failures),
        )))
    }
}

pub async fn component(
    ctx: &Ctx,
    inv: &Invocation,
    c: RolePingComponent,
    values: &[String],
    member_roles: &[Snowflake],
) -> HandlerResult {
    match c {
        RolePingComponent::Toggle { dungeon_code } => {
            let role = role_pings::role_for(&ctx.pool, inv.guild, &dungeon_code).await?;
            let add = !member_roles.contains(&role);
            match change_role(ctx, inv, role, add).await {
                Ok(()) => Ok(Reply::Message(views::ephemeral(
                    views::role_pings::toggled(&dungeon_code, add),
                ))),
                Err(code) => Ok(Reply::Message(views::ephemeral(
                    views::role_pings::role_failure(&dungeon_code, role, code),
                ))),
            }
        }
        RolePingComponent::Pick { .. } => {
            let mappings = role_pings::mappings(&ctx.pool, inv.guild).await?;
            let mut out = Outcome::default();
            // A role held or given earlier in this same pick counts as held.
            let mut held: BTreeSet<Snowflake> = member_roles.iter().copied().collect();
            for code in values {
                match mappings.iter().find(|m| &m.dungeon_code == code) {
                    Some(m) => {
                        let add = !held.contains(&m.role_id);
                        out.apply(ctx, inv, code, m.role_id, add).await;
                        if add {
                            held.insert(m.role_id);
                        } else {
                            held.remove(&m.role_id);
                        }
                    }
                    None => out.failures.push(format!(
                        "{} pings are no longer offered here.",
                        domain::catalog::catalog().dungeon_name(code)
                    )),
                }
            }
            out.reply()
        }
        RolePingComponent::AddAll | RolePingComponent::RemoveAll => {
            let add = matches!(c, RolePingComponent::AddAll);
            let mappings = role_pings::mappings(&ctx.pool, inv.guild).await?;
            if mappings.is_empty() {
                return Err(ServiceError::NotFound(views::role_pings::none_offered()));
            }
            let mut out = Outcome::default();
            let mut done: BTreeSet<Snowflake> = BTreeSet::new();
            for m in &mappings {
                let holds = member_roles.contains(&m.role_id);
                if holds == add || !done.insert(m.role_id) {
                    continue;
                }
                out.apply(ctx, inv, &m.dungeon_code, m.role_id, add).await;
            }
            out.reply()
        }
    }
}
