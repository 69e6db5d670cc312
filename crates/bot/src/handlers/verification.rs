//! Verification interactions: the panel buttons, the review card (Approve/Deny and their
//! forms), and the buttons of the DM flow (Done, Cancel, Use a screenshot), which arrive
//! without a guild.

use domain::{Snowflake, VeriAction, VeriComponent};
use service::ServiceError;
use service::verification::{self as veri, CheckOutcome};
use twilight_model::application::interaction::Interaction;
use twilight_model::application::interaction::application_command::{
    CommandData, CommandOptionValue,
};
use twilight_model::channel::ChannelType;
use twilight_model::http::attachment::Attachment;

use super::{int_option, string_option};

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
            let r = veri::review_to_decide(&ctx.pool, inv.guild, &inv.actor, c.id).await?;
            if r.state != "pending" {
                // Answer the same way a decision would.
                veri::deny(&ctx.pool, inv.guild, &inv.actor, c.id, "-").await?;
            }
            Ok(Reply::Modal(views::verification::approve_modal(&r)))
        }
        VeriAction::Deny => {
            let r = veri::review_to_decide(&ctx.pool, inv.guild, &inv.actor, c.id).await?;
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
            CheckOutcome::Failed { why } => Ok(Reply::Message(views::ephemeral(
                messages::verification::check_failed(&why, messages::Style::Discord),
            ))),
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
            views::verification::server_only_button(),
        )),
    }
}

/// The user of a DM interaction.
pub fn dm_user(interaction: &Interaction) -> Option<Snowflake> {
    interaction
        .author_id()
        .and_then(|u| Snowflake::new(u.get()).ok())
}

// ---------- slash commands ----------

fn user_option(data: &CommandData, name: &str) -> Option<Snowflake> {
    data.options.iter().find_map(|o| match &o.value {
        CommandOptionValue::User(u) if o.name == name => Snowflake::new(u.get()).ok(),
        _ => None,
    })
}

fn required_member(data: &CommandData) -> Result<Snowflake, ServiceError> {
    user_option(data, "member")
        .ok_or_else(|| ServiceError::invalid("member_required", views::option_required("member")))
}

fn bool_option(data: &CommandData, name: &str) -> Option<bool> {
    data.options.iter().find_map(|o| match &o.value {
        CommandOptionValue::Boolean(b) if o.name == name => Some(*b),
        _ => None,
    })
}

fn ign_option(data: &CommandData) -> &str {
    string_option(data, "ign").unwrap_or("")
}

pub async fn configure(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let u32_opt =
        |name| int_option(data, name).map(|v| u32::try_from(v.max(0)).unwrap_or(u32::MAX));
    let post = bool_option(data, "post_panel").unwrap_or(true);
    let change = veri::ConfigChange {
        realmeye: bool_option(data, "realmeye"),
        screenshot: bool_option(data, "screenshot"),
        panel_message: string_option(data, "message").map(str::to_owned),
        image_url: string_option(data, "image").map(str::to_owned),
        min_rank: u32_opt("min_rank"),
        min_alive_fame: int_option(data, "min_alive_fame")
            .map(|v| u64::try_from(v.max(0)).unwrap_or(0)),
        min_characters: u32_opt("min_characters"),
        min_account_age_days: u32_opt("min_account_age_days"),
        hidden_location: bool_option(data, "hidden_location"),
        post_panel: post,
    };
    let cfg = veri::configure(&ctx.pool, inv.guild, &inv.actor, change).await?;
    Ok(Reply::Message(views::ephemeral(
        views::verification::config_saved(&cfg, post),
    )))
}

pub async fn verify(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let user = required_member(data)?;
    let ign = ign_option(data);
    veri::verify(&ctx.pool, inv.guild, &inv.actor, user, ign).await?;
    Ok(Reply::Message(views::ephemeral(
        views::verification::staff_verified(user.get(), ign.trim()),
    )))
}

pub async fn unverify(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let user = required_member(data)?;
    let reason = string_option(data, "reason").filter(|r| !r.trim().is_empty());
    veri::unverify(&ctx.pool, inv.guild, &inv.actor, user, reason).await?;
    Ok(Reply::Message(views::ephemeral(
        views::verification::staff_unverified(user.get()),
    )))
}

pub async fn edit_name(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let user = required_member(data)?;
    let ign = ign_option(data);
    veri::edit_name(&ctx.pool, inv.guild, &inv.actor, user, ign).await?;
    Ok(Reply::Message(views::ephemeral(
        views::verification::staff_renamed(user.get(), ign.trim()),
    )))
}

pub async fn add_alt(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let user = required_member(data)?;
    let ign = ign_option(data);
    veri::add_alt(&ctx.pool, inv.guild, &inv.actor, user, ign).await?;
    Ok(Reply::Message(views::ephemeral(
        views::verification::staff_alt_added(user.get(), ign.trim()),
    )))
}

pub async fn remove_alt(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let user = required_member(data)?;
    let ign = ign_option(data);
    veri::remove_alt(&ctx.pool, inv.guild, &inv.actor, user, ign).await?;
    Ok(Reply::Message(views::ephemeral(
        views::verification::staff_alt_removed(user.get(), ign.trim()),
    )))
}

pub async fn force_sync(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let user = user_option(data, "member");
    let n = veri::force_sync(&ctx.pool, inv.guild, &inv.actor, user).await?;
    Ok(Reply::Message(views::ephemeral(
        views::verification::force_synced(n),
    )))
}

/// The largest import file read.
const SYNC_FILE_MAX: u64 = 1024 * 1024;

/// Downloads the attached import file.
async fn read_attachment(url: &str, size: u64) -> Result<String, ServiceError> {
    let unreadable = |why: &str| {
        ServiceError::invalid("bad_file", views::verification::sync_file_unreadable(why))
    };
    if size > SYNC_FILE_MAX {
        return Err(unreadable("it is larger than 1 MB"));
    }
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|_| unreadable("no HTTP client"))?;
    let resp = client
        .get(url)
        .send()
        .await
        .map_err(|_| unreadable("the download failed"))?;
    if !resp.status().is_success() {
        return Err(unreadable("the download failed"));
    }
    let bytes = resp
        .bytes()
        .await
        .map_err(|_| unreadable("the download failed"))?;
    if bytes.len() as u64 > SYNC_FILE_MAX {
        return Err(unreadable("it is larger than 1 MB"));
    }
    String::from_utf8(bytes.to_vec()).map_err(|_| unreadable("it is not UTF-8 text"))
}

/// `/syncteam`: deferred at once by the router; the answer is the per-line report, with
/// the full report as a file when it does not fit one message.
pub async fn sync_team(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    // Refuse before downloading anything.
    veri::may_sync_team(&inv.actor)?;
    let attachment = data.options.iter().find_map(|o| match &o.value {
        CommandOptionValue::Attachment(a) if o.name == "file" => Some(*a),
        _ => None,
    });
    let mut text = String::new();
    if let Some(lines) = string_option(data, "lines") {
        text.push_str(&lines.replace(';', "\n"));
        text.push('\n');
    }
    if let Some(id) = attachment {
        let att = data
            .resolved
            .as_ref()
            .and_then(|r| r.attachments.get(&id))
            .ok_or_else(|| {
                ServiceError::invalid(
                    "bad_file",
                    views::verification::sync_file_unreadable("Discord did not send it"),
                )
            })?;
        text.push_str(&read_attachment(&att.url, att.size).await?);
    }
    if text.trim().is_empty() {
        return Err(ServiceError::invalid(
            "empty_import",
            views::verification::sync_needs_input(),
        ));
    }
    let outcomes = veri::sync_team(&ctx.pool, inv.guild, &inv.actor, &text).await?;
    let (content, file) = views::verification::sync_report(&outcomes);
    let mut data = views::ephemeral(content);
    if let Some(file) = file {
        data.attachments = Some(vec![Attachment::from_bytes(
            "syncteam-report.txt".to_owned(),
            file.into_bytes(),
            0,
        )]);
    }
    Ok(Reply::Message(data))
}

fn channel_option(data: &CommandData, name: &str) -> Result<Snowflake, ServiceError> {
    let c = data
        .options
        .iter()
        .find_map(|o| match &o.value {
            CommandOptionValue::Channel(c) if o.name == name => Some(*c),
            _ => None,
        })
        .ok_or_else(|| ServiceError::invalid("channel_required", views::option_required(name)))?;
    let kind = data
        .resolved
        .as_ref()
        .and_then(|r| r.channels.get(&c))
        .map(|r| r.kind);
    if kind.is_some_and(|k| !matches!(k, ChannelType::GuildText | ChannelType::GuildAnnouncement)) {
        return Err(ServiceError::invalid(
            "wrong_channel_type",
            views::verification::not_a_text_channel(c.get()),
        ));
    }
    Snowflake::new(c.get()).map_err(|e| ServiceError::invalid("invalid_id", e.to_string()))
}

/// `/addroleverification` (moderator): a custom role earned by a reviewed screenshot.
pub async fn add_role_verification(
    ctx: &Ctx,
    inv: &Invocation,
    data: &CommandData,
) -> HandlerResult {
    let role = data
        .options
        .iter()
        .find_map(|o| match &o.value {
            CommandOptionValue::Role(r) if o.name == "role" => Snowflake::new(r.get()).ok(),
            _ => None,
        })
        .ok_or_else(|| ServiceError::invalid("role_required", views::option_required("role")))?;
    let review_channel = channel_option(data, "review_channel")?;
    let panel_channel = channel_option(data, "panel_channel")?;
    let name = string_option(data, "name").unwrap_or("");
    let cr = veri::add_custom_role(
        &ctx.pool,
        inv.guild,
        &inv.actor,
        veri::NewCustomRole {
            name,
            role,
            description: string_option(data, "description").filter(|d| !d.trim().is_empty()),
            review_channel,
            panel_channel,
        },
    )
    .await?;
    Ok(Reply::Message(views::ephemeral(
        views::verification::custom_role_added(&cr, panel_channel.get()),
    )))
}

/// `/roleverifications` (moderator): the custom role panels with their numbers.
pub async fn role_verifications(ctx: &Ctx, inv: &Invocation) -> HandlerResult {
    let roles = veri::custom_roles(&ctx.pool, inv.guild, &inv.actor).await?;
    Ok(Reply::Message(views::ephemeral(
        views::verification::custom_roles_list(&roles),
    )))
}

/// `/removeroleverification id` (moderator).
pub async fn remove_role_verification(
    ctx: &Ctx,
    inv: &Invocation,
    data: &CommandData,
) -> HandlerResult {
    let id = data
        .options
        .iter()
        .find_map(|o| match o.value {
            CommandOptionValue::Integer(i) if o.name == "id" => Some(i),
            _ => None,
        })
        .ok_or_else(|| {
            ServiceError::invalid(
                "id_required",
                views::verification::role_verification_id_required(),
            )
        })?;
    let cr = veri::remove_custom_role(&ctx.pool, inv.guild, &inv.actor, id).await?;
    Ok(Reply::Message(views::ephemeral(
        views::verification::custom_role_removed(&cr),
    )))
}
