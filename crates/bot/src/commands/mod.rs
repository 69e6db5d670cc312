//! Slash command definitions (one module per feature) and their registration.

mod analytics;
mod config;
pub(crate) mod headcount;
mod moderation;
mod modmail;
mod party;
mod promotions;
mod quota;
mod role_pings;
mod runs;
mod schedule;
mod staff;
mod verification;

use twilight_http::Client;
use twilight_model::application::command::Command;
use twilight_model::id::Id;
use twilight_model::id::marker::{ApplicationMarker, GuildMarker};

pub use domain::command::CommandName;

/// Every command this build registers.
pub fn definitions() -> Vec<Command> {
    let mut all = config::definitions();
    all.extend(runs::definitions());
    all.extend(headcount::definitions());
    all.extend(party::definitions());
    all.extend(role_pings::definitions());
    all.extend(moderation::definitions());
    all.extend(staff::definitions());
    all.extend(quota::definitions());
    all.extend(verification::definitions());
    all.extend(modmail::definitions());
    all.extend(schedule::definitions());
    all.extend(analytics::definitions());
    all.extend(promotions::definitions());
    all
}

/// Overwrites the registered commands: to one guild (instant, for development) or globally.
pub async fn register(
    http: &Client,
    application_id: Id<ApplicationMarker>,
    guild: Option<Id<GuildMarker>>,
) -> Result<usize, twilight_http::Error> {
    let commands = definitions();
    let interaction = http.interaction(application_id);
    match guild {
        Some(guild) => interaction.set_guild_commands(guild, &commands).await?,
        None => interaction.set_global_commands(&commands).await?,
    };
    Ok(commands.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_fit_discord_limits() {
        for c in definitions() {
            assert!((1..=32).contains(&c.name.len()), "{}", c.name);
            assert!(
                c.name
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '_')
            );
            assert!(
                (1..=100).contains(&c.description.len()),
                "{}",
                c.description
            );
            assert!(
                c.options.len() <= 25,
                "{} has {} options",
                c.name,
                c.options.len()
            );
            for o in &c.options {
                assert!((1..=32).contains(&o.name.len()), "{}", o.name);
                assert!(
                    (1..=100).contains(&o.description.len()),
                    "{}",
                    o.description
                );
                assert!(o.choices.as_ref().is_none_or(|ch| ch.len() <= 25));
            }
            assert!(CommandName::parse(&c.name).is_some());
        }
    }
}
