//! /configpromotions add | remove | list.

use domain::Snowflake;
use domain::quota::PromotionKind;
use service::promotions::{self, PromotionError, RuleRequest};
use twilight_model::application::interaction::application_command::{
    CommandData, CommandOptionValue,
};

use super::moderation::guild_facts;
use super::runs::dungeon_code;
use super::{int_option, string_option};
use crate::router::{HandlerResult, Invocation, Reply};
use crate::{Ctx, views};

fn role_option(data: &CommandData, name: &str) -> Option<Snowflake> {
    data.options.iter().find_map(|o| match &o.value {
        CommandOptionValue::Role(r) if o.name == name => Snowflake::new(r.get()).ok(),
        _ => None,
    })
}

pub async fn configure(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    match string_option(data, "action").unwrap_or("list") {
        // Boxed here and below: the dispatcher's frame stays small for every other
        // interaction (debug builds lay each arm's future out in the caller's frame).
        "add" => Box::pin(add(ctx, inv, data)).await,
        "remove" => {
            let rule = int_option(data, "rule").ok_or(PromotionError::RuleRequired)?;
            Box::pin(promotions::remove(&ctx.pool, inv.guild, &inv.actor, rule)).await?;
            Ok(Reply::Message(views::ephemeral(
                views::promotions::removed(rule),
            )))
        }
        _ => {
            let rules = Box::pin(promotions::list(&ctx.pool, inv.guild, &inv.actor)).await?;
            Ok(Reply::Message(views::ephemeral_embed(
                views::promotions::list_embed(&rules),
            )))
        }
    }
}

async fn add(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    // Permission first, so a non-administrator learns nothing about roles.
    service::config::may_configure(&inv.actor)?;
    let kind = string_option(data, "kind")
        .and_then(PromotionKind::parse)
        .ok_or(PromotionError::KindRequired)?;
    let threshold = int_option(data, "threshold").ok_or(PromotionError::ThresholdRequired)?;
    let role = role_option(data, "role").ok_or(PromotionError::RoleRequired)?;
    let remove_role = role_option(data, "remove_role");
    let facts = Box::pin(guild_facts(ctx, inv.guild)).await?;
    for r in std::iter::once(role).chain(remove_role) {
        if r != inv.guild && !facts.below_bot(r) {
            return Err(PromotionError::RoleAboveBot { role: r }.into());
        }
    }
    let req = RuleRequest {
        kind,
        dungeon: string_option(data, "dungeon").map(dungeon_code),
        threshold,
        role_id: role,
        remove_role_id: remove_role,
    };
    let added = Box::pin(promotions::add(&ctx.pool, inv.guild, &inv.actor, req)).await?;
    Ok(Reply::Message(views::ephemeral(views::promotions::added(
        &added,
    ))))
}
