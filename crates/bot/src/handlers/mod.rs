//! Interaction handlers: parse what Discord sent, call the use case, pick the view.

mod analytics;
mod config;
pub mod dm;
mod headcount;
pub(crate) mod moderation;
pub(crate) mod modmail;
mod party;
mod promotions;
mod quota;
mod role_pings;
mod runs;
pub(crate) mod schedule;
pub(crate) mod staff;
pub(crate) mod verification;

use domain::CustomId;
use domain::moderation::PunishmentKind;
use service::ServiceError;
use twilight_model::application::interaction::application_command::{
    CommandData, CommandOptionValue,
};
use twilight_model::application::interaction::modal::ModalInteractionComponent;
use twilight_model::application::interaction::{Interaction, InteractionData, InteractionType};

use crate::Ctx;
use crate::commands::CommandName;
use crate::router::{HandlerResult, Invocation};

fn unknown() -> ServiceError {
    ServiceError::invalid("unknown_interaction", crate::views::unknown_interaction())
}

pub async fn dispatch(ctx: Ctx, inv: Invocation, interaction: Interaction) -> HandlerResult {
    match (&interaction.kind, &interaction.data) {
        (
            InteractionType::ApplicationCommandAutocomplete,
            Some(InteractionData::ApplicationCommand(data)),
        ) => match CommandName::parse(&data.name) {
            Some(CommandName::Run | CommandName::ConfigRolePings) => runs::autocomplete(data),
            Some(CommandName::Headcount) => headcount::autocomplete(data),
            Some(CommandName::LogRun | CommandName::LogKey) => runs::autocomplete(data),
            Some(CommandName::ModmailReply | CommandName::Snippet) => {
                modmail::autocomplete(&ctx, &inv, data).await
            }
            Some(CommandName::Schedule) => runs::autocomplete(data),
            Some(CommandName::RaidStats) => runs::autocomplete(data),
            Some(CommandName::ConfigPromotions) => runs::autocomplete(data),
            _ => Err(unknown()),
        },
        (InteractionType::ApplicationCommand, Some(InteractionData::ApplicationCommand(data))) => {
            match CommandName::parse(&data.name) {
                Some(CommandName::SetRoles) => config::set_roles(&ctx, &inv, data).await,
                Some(CommandName::SetChannels) => config::set_channels(&ctx, &inv, data).await,
                Some(CommandName::SetAutoEnd) => config::set_auto_end(&ctx, &inv, data).await,
                Some(CommandName::Run) => runs::create(&ctx, &inv, data).await,
                Some(CommandName::Taken) => runs::taken(&ctx, &inv, data).await,
                Some(CommandName::Headcount) => headcount::create(&ctx, &inv, data).await,
                Some(CommandName::Party) => party::create(&ctx, &inv, data).await,
                Some(CommandName::ConfigRolePings) => role_pings::configure(&ctx, &inv, data).await,
                Some(CommandName::SendRolePingEmbed) => {
                    role_pings::send_panel(&ctx, &inv, data).await
                }
                Some(CommandName::Warn) => {
                    moderation::punish(&ctx, &inv, data, PunishmentKind::Warn).await
                }
                Some(CommandName::Suspend) => {
                    moderation::punish(&ctx, &inv, data, PunishmentKind::Suspend).await
                }
                Some(CommandName::Mute) => {
                    moderation::punish(&ctx, &inv, data, PunishmentKind::Mute).await
                }
                Some(CommandName::Kick) => {
                    moderation::punish(&ctx, &inv, data, PunishmentKind::Kick).await
                }
                Some(CommandName::Ban) => {
                    moderation::punish(&ctx, &inv, data, PunishmentKind::Ban).await
                }
                Some(CommandName::Softban) => {
                    moderation::punish(&ctx, &inv, data, PunishmentKind::Softban).await
                }
                Some(CommandName::Unsuspend) => {
                    moderation::lift(&ctx, &inv, data, PunishmentKind::Suspend).await
                }
                Some(CommandName::Unmute) => {
                    moderation::lift(&ctx, &inv, data, PunishmentKind::Mute).await
                }
                Some(CommandName::RemovePunishment) => moderation::remove(&ctx, &inv, data).await,
                Some(CommandName::Unban) => moderation::unban(&ctx, &inv, data).await,
                Some(CommandName::Find) => moderation::find(&ctx, &inv, data).await,
                Some(CommandName::AddNote) => moderation::add_note(&ctx, &inv, data).await,
                Some(CommandName::RemoveNote) => moderation::remove_note(&ctx, &inv, data).await,
                Some(CommandName::Purge) => {
                    let channel = interaction.channel.as_ref().map(|c| c.id);
                    staff::purge(&ctx, &inv, data, channel).await
                }
                Some(CommandName::AddRole) => staff::add_role(&ctx, &inv, data).await,
                Some(CommandName::CreateRole) => staff::create_role(&ctx, &inv, data).await,
                Some(CommandName::Help) => staff::help(&inv).await,
                Some(CommandName::Ping) => staff::ping(&ctx).await,
                Some(CommandName::ConfigQuota) => quota::config_quota(&ctx, &inv, data).await,
                Some(CommandName::ConfigPoints) => quota::config_points(&ctx, &inv).await,
                Some(CommandName::LogRun) => quota::log_run(&ctx, &inv, data).await,
                Some(CommandName::LogKey) => quota::log_key(&ctx, &inv, data).await,
                Some(CommandName::AddQuotaPoints) => {
                    quota::adjust(&ctx, &inv, data, domain::quota::Currency::Quota).await
                }
                Some(CommandName::AddPoints) => {
                    quota::adjust(&ctx, &inv, data, domain::quota::Currency::Raider).await
                }
                Some(CommandName::Stats) => quota::stats(&ctx, &inv, data).await,
                Some(CommandName::Leaderboard) => quota::leaderboard(&ctx, &inv, data).await,
                Some(CommandName::ConfigVerification) => {
                    verification::configure(&ctx, &inv, data).await
                }
                Some(CommandName::Verify) => verification::verify(&ctx, &inv, data).await,
                Some(CommandName::Unverify) => verification::unverify(&ctx, &inv, data).await,
                Some(CommandName::EditName) => verification::edit_name(&ctx, &inv, data).await,
                Some(CommandName::AddAlt) => verification::add_alt(&ctx, &inv, data).await,
                Some(CommandName::RemoveAlt) => verification::remove_alt(&ctx, &inv, data).await,
                Some(CommandName::ForceSync) => verification::force_sync(&ctx, &inv, data).await,
                Some(CommandName::SyncTeam) => verification::sync_team(&ctx, &inv, data).await,
                Some(CommandName::AddRoleVerification) => {
                    verification::add_role_verification(&ctx, &inv, data).await
                }
                Some(CommandName::RoleVerifications) => {
                    verification::role_verifications(&ctx, &inv).await
                }
                Some(CommandName::RemoveRoleVerification) => {
                    verification::remove_role_verification(&ctx, &inv, data).await
                }
                Some(CommandName::ModmailReply) => modmail::reply(&ctx, &inv, data).await,
                Some(CommandName::Modmail) => {
                    let author = interaction
                        .author()
                        .map(|u| u.name.clone())
                        .unwrap_or_default();
                    modmail::modmail(&ctx, &inv, data, &author).await
                }
                Some(CommandName::ModmailBlacklist) => modmail::blacklist(&ctx, &inv, data).await,
                Some(CommandName::ModmailUnblacklist) => {
                    modmail::unblacklist(&ctx, &inv, data).await
                }
                Some(CommandName::EditPunishment) => moderation::edit(&ctx, &inv, data).await,
                Some(CommandName::MassSuspend) => {
                    let id = interaction.id.get();
                    moderation::mass(&ctx, &inv, data, PunishmentKind::Suspend, id).await
                }
                Some(CommandName::MassWarn) => {
                    let id = interaction.id.get();
                    moderation::mass(&ctx, &inv, data, PunishmentKind::Warn, id).await
                }
                Some(CommandName::ConfigEscalation) => {
                    moderation::config_escalation(&ctx, &inv, data).await
                }
                Some(CommandName::Snippet) => modmail::snippet(&ctx, &inv, data).await,
                Some(CommandName::ModmailStats) => modmail::stats(&ctx, &inv, data).await,
                Some(CommandName::Schedule) => schedule::create(&ctx, &inv, data).await,
                Some(CommandName::Reschedule) => schedule::reschedule(&ctx, &inv, data).await,
                Some(CommandName::ScheduleSettings) => schedule::settings(&ctx, &inv, data).await,
                Some(CommandName::RaidStats) => analytics::raid_stats(&ctx, &inv, data).await,
                Some(CommandName::ConfigPromotions) => {
                    Box::pin(promotions::configure(&ctx, &inv, data)).await
                }
                None => Err(unknown()),
            }
        }
        (InteractionType::MessageComponent, Some(InteractionData::MessageComponent(data))) => {
            let input = runs::Input {
                values: &data.values,
                fields: &[],
            };
            match CustomId::parse(&data.custom_id).ok_or_else(unknown)? {
                CustomId::Run(c) => runs::component(&ctx, &inv, c, input).await,
                CustomId::Headcount(c) => headcount::component(&ctx, &inv, c, &data.values).await,
                CustomId::Party(c) => party::component(&ctx, &inv, c).await,
                CustomId::Find(c) => moderation::component(&ctx, &inv, c).await,
                CustomId::RolePing(c) => {
                    let roles = member_roles(&interaction);
                    role_pings::component(&ctx, &inv, c, &data.values, &roles).await
                }
                CustomId::Quota(c) => quota::component(&ctx, &inv, c, &data.values).await,
                CustomId::Verification(c) => verification::component(&ctx, &inv, c, &[]).await,
                CustomId::Modmail(c) => {
                    let author = interaction
                        .author()
                        .map(|u| u.name.clone())
                        .unwrap_or_default();
                    modmail::dm_component(&ctx, inv.user, &author, &c, &data.values).await
                }
                CustomId::Schedule(c) => schedule::component(&ctx, &inv, c).await,
            }
        }
        (InteractionType::ModalSubmit, Some(InteractionData::ModalSubmit(data))) => {
            let fields = modal_fields(&data.components);
            let input = runs::Input {
                values: &[],
                fields: &fields,
            };
            match CustomId::parse(&data.custom_id).ok_or_else(unknown)? {
                CustomId::Run(c) => runs::component(&ctx, &inv, c, input).await,
                CustomId::Quota(c) => quota::modal(&ctx, &inv, c, data).await,
                CustomId::Headcount(_)
                | CustomId::Party(_)
                | CustomId::RolePing(_)
                | CustomId::Find(_) => Err(unknown()),
                CustomId::Verification(c) => verification::component(&ctx, &inv, c, &fields).await,
                CustomId::Modmail(_) => Err(unknown()),
                CustomId::Schedule(_) => Err(unknown()),
            }
        }
        _ => Err(unknown()),
    }
}

/// The text inputs of a submitted modal, by custom id (in action rows or labels).
pub(crate) fn modal_fields(components: &[ModalInteractionComponent]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for c in components {
        match c {
            ModalInteractionComponent::TextInput(t) => {
                out.push((t.custom_id.clone(), t.value.clone()))
            }
            ModalInteractionComponent::ActionRow(r) => out.extend(modal_fields(&r.components)),
            ModalInteractionComponent::Label(l) => {
                out.extend(modal_fields(std::slice::from_ref(l.component.as_ref())))
            }
            _ => {}
        }
    }
    out
}

/// The Discord roles the acting member holds, as the interaction reports them.
fn member_roles(interaction: &Interaction) -> Vec<domain::Snowflake> {
    interaction
        .member
        .as_ref()
        .map(|m| {
            m.roles
                .iter()
                .filter_map(|r| domain::Snowflake::new(r.get()).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// An integer option's value, if given.
pub(crate) fn int_option(data: &CommandData, name: &str) -> Option<i64> {
    data.options
        .iter()
        .find(|o| o.name == name)
        .and_then(|o| match o.value {
            CommandOptionValue::Integer(i) => Some(i),
            _ => None,
        })
}

/// A string option's value, if given.
pub(crate) fn string_option<'a>(data: &'a CommandData, name: &str) -> Option<&'a str> {
    data.options
        .iter()
        .find(|o| o.name == name)
        .and_then(|o| match &o.value {
            CommandOptionValue::String(s) => Some(s.as_str()),
            CommandOptionValue::Focused(s, _) => Some(s.as_str()),
            _ => None,
        })
}
