//! Settings: role and channel mappings, run length.

use domain::{ChannelKey, Snowflake};
use service::config::SettingsError;

use crate::{Style, sentence};

/// A channel of the wrong kind was picked for a key.
pub fn wrong_channel_kind(s: Style, key: ChannelKey, channel: Snowflake) -> String {
    sentence(
        s,
        format!(
            "{} cannot be the {} channel: it must be {}. Nothing was changed.",
            s.channel(channel),
            s.code(key.as_str()),
            key.kind().label()
        ),
    )
}

/// A settings refusal, worded for administrators.
pub fn refusal(e: &SettingsError, s: Style) -> String {
    match e {
        SettingsError::AutoEndOutOfRange => {
            "Runs can end by themselves after 1 minute to 24 hours (1440 minutes).".into()
        }
        SettingsError::BadAutoEnd => "That is not a number of minutes.".into(),
        SettingsError::BadId(why) => why.to_string(),
        SettingsError::UnknownRoleKey { text } => format!("{} is not a role key.", s.code(text)),
        SettingsError::UnknownChannelKey { text } => {
            format!("{} is not a channel key.", s.code(text))
        }
        SettingsError::WrongChannelType { key, channel } => wrong_channel_kind(s, *key, *channel),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::user;

    #[test]
    fn a_wrong_channel_names_the_key_and_what_it_must_be() {
        let e = SettingsError::WrongChannelType {
            key: ChannelKey::PartyFinder,
            channel: user(7),
        };
        let text = refusal(&e, Style::Discord);
        assert!(
            text.starts_with("<#7> cannot be the `party_finder` channel"),
            "{text}"
        );
        let text = refusal(&e, Style::Plain);
        assert!(
            text.starts_with("Channel 7 cannot be the party_finder channel"),
            "{text}"
        );
        assert_eq!(
            refusal(
                &SettingsError::UnknownRoleKey { text: "x".into() },
                Style::Discord
            ),
            "`x` is not a role key."
        );
    }
}
