//! Verification interactions: the panel buttons, the review card (Approve/Deny and their
//! forms), and the buttons of the DM flow (Done, Cancel, Use a screenshot), which arrive
//! without a guild.

use domain::{Snowflake, VeriAction, VeriComponent};
use service::ServiceError;
use service::verification::{self as veri, CheckOutcome};
use twilight_model::application::interaction::Interaction;

use crate::Ctx;
use crate::router::{HandlerResult, Invocation, Reply};
use crate::views;

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Components pressed inside a server.
pub async fn component(
    ctx: &Ctx,
    inv: &Invocation,
    c: VeriComponent,
    fields: &[(String, String)],
) -> HandlerResult {
    match c.action {
        VeriAction::Start => {
            veri::start(&ctx.pool, inv.guild, inv.user, None).await?;
            Ok(Reply::Message(views::ephemeral(
                views::verification::check_dms(),
            )))
        }
        VeriAction::CustomRole => {
            veri::start(&ctx.pool, inv.guild, inv.user, Some(c.id)).await?;
            Ok(Reply::Message(views::ephemeral(
                views::verification::check_dms(),
            )))
        }
        VeriAction::Approve => {
            inv.actor.require(domain::RoleKey::Security)?;
            let r = veri::review(&ctx.pool, inv.guild, c.id).await?;
            if r.state != "pending" {
                // Answer the same way a decision would.
                veri::deny(&ctx.pool, inv.guild, &inv.actor, c.id, "-").await?;
            }
            Ok(Reply::Modal(views::verification::approve_modal(&r)))
        }
        VeriAction::Deny => {
            inv.actor.require(domain::RoleKey::Security)?;
            let r = veri::review(&ctx.pool, inv.guild, c.id).await?;
            if r.state != "pending" {
                veri::deny(&ctx.pool, inv.guild, &inv.actor, c.id, "-").await?;
            }
            Ok(Reply::Modal(views::verification::deny_modal(c.id)))
        }
        VeriAction::ApproveForm => {
            let r =
                veri::approve(&ctx.pool, inv.guild, &inv.actor, c.id, field(fields, "ign")).await?;
            Ok(Reply::Message(views::ephemeral(format!(
                "Approved <@{}>{}.",
                r.user_id,
                r.ign.map(|i| format!(" as **{i}**")).unwrap_or_default()
            ))))
        }
        VeriAction::DenyForm => {
            let r = veri::deny(
                &ctx.pool,
                inv.guild,
                &inv.actor,
                c.id,
                field(fields, "reason").unwrap_or(""),
            )
            .await?;
            Ok(Reply::Message(views::ephemeral(format!(
                "Denied <@{}>; they have been told why.",
                r.user_id
            ))))
        }
        VeriAction::Done | VeriAction::Cancel | VeriAction::Screenshot => {
            dm_component(ctx, inv.user, c).await
        }
    }
}

/// Buttons of the DM flow: the session names its guild.
pub async fn dm_component(ctx: &Ctx, user: Snowflake, c: VeriComponent) -> HandlerResult {
    let guild = veri::session_guild(&ctx.pool, c.id).await?;
    match c.action {
        VeriAction::Done => match veri::check(&ctx.pool, &ctx.realmeye, guild, user, c.id).await? {
            CheckOutcome::Verified { ign } => Ok(Reply::Message(views::ephemeral(format!(
                "Found your code: you are verified as **{ign}**."
            )))),
            CheckOutcome::Failed { reason } => Ok(Reply::Message(views::ephemeral(reason))),
        },
        VeriAction::Cancel => {
            veri::cancel(&ctx.pool, guild, user, c.id).await?;
            Ok(Reply::Message(views::ephemeral(
                "Verification cancelled. Press **Get verified** in the server to start again.",
            )))
        }
        VeriAction::Screenshot => {
            veri::choose_screenshot(&ctx.pool, guild, user, c.id).await?;
            Ok(Reply::Message(views::ephemeral(
                "Switched to screenshot review.",
            )))
        }
        _ => Err(ServiceError::invalid(
            "server_only",
            "Use this button inside the server.",
        )),
    }
}

/// A direct message to the bot: the member's IGN or screenshot for their open session.
/// Returns the text to answer with when there is nothing to continue.
pub async fn direct_message(
    ctx: &Ctx,
    user: Snowflake,
    text: &str,
    attachment: Option<(String, bool)>,
) -> Option<String> {
    let att = attachment.as_ref().map(|(u, img)| (u.as_str(), *img));
    match veri::direct_message(&ctx.pool, user, text, att).await {
        Ok(Some(_)) => None,
        Ok(None) => Some(views::verification::no_session()),
        Err(e) => Some(e.to_string()),
    }
}

/// The user of a DM interaction.
pub fn dm_user(interaction: &Interaction) -> Option<Snowflake> {
    interaction
        .author_id()
        .and_then(|u| Snowflake::new(u.get()).ok())
}
