//! Interaction handlers: parse what Discord sent, call the use case, pick the view.

mod config;
mod quota;
mod runs;

use domain::CustomId;
use service::ServiceError;
use twilight_model::application::interaction::application_command::{
    CommandData, CommandOptionValue,
};
use twilight_model::application::interaction::{Interaction, InteractionData, InteractionType};

use crate::Ctx;
use crate::commands::CommandName;
use crate::router::{HandlerResult, Invocation};

fn unknown() -> ServiceError {
    ServiceError::invalid(
        "unknown_interaction",
        "This button or command is not known to this version of raidbot.",
    )
}

pub async fn dispatch(ctx: Ctx, inv: Invocation, interaction: Interaction) -> HandlerResult {
    match (&interaction.kind, &interaction.data) {
        (
            InteractionType::ApplicationCommandAutocomplete,
            Some(InteractionData::ApplicationCommand(data)),
        ) => match CommandName::parse(&data.name) {
            Some(CommandName::Run | CommandName::LogRun | CommandName::LogKey) => {
                runs::autocomplete(data)
            }
            _ => Err(unknown()),
        },
        (InteractionType::ApplicationCommand, Some(InteractionData::ApplicationCommand(data))) => {
            match CommandName::parse(&data.name) {
                Some(CommandName::SetRoles) => config::set_roles(&ctx, &inv, data).await,
                Some(CommandName::SetChannels) => config::set_channels(&ctx, &inv, data).await,
                Some(CommandName::Run) => runs::create(&ctx, &inv, data).await,
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
                None => Err(unknown()),
            }
        }
        (InteractionType::MessageComponent, Some(InteractionData::MessageComponent(data))) => {
            match CustomId::parse(&data.custom_id).ok_or_else(unknown)? {
                CustomId::Run(c) => runs::component(&ctx, &inv, c, &data.values).await,
                CustomId::Quota(c) => quota::component(&ctx, &inv, c, &data.values).await,
            }
        }
        (InteractionType::ModalSubmit, Some(InteractionData::ModalSubmit(data))) => {
            match CustomId::parse(&data.custom_id).ok_or_else(unknown)? {
                CustomId::Quota(c) => quota::modal(&ctx, &inv, c, data).await,
                _ => Err(unknown()),
            }
        }
        _ => Err(unknown()),
    }
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
