//! Dungeon ping roles (`/configroleping`) and their panel.

use service::role_pings::RolePingError;

use crate::{Style, sentence};

/// Why a role ping setting was refused.
pub fn refusal(e: &RolePingError, s: Style) -> String {
    let text = match e {
        RolePingError::DungeonRequired => {
            "Say which dungeon this role is for (the dungeon option).".into()
        }
        RolePingError::UnknownDungeon { code } => crate::unknown_dungeon(s, code),
        RolePingError::EveryoneRole => {
            "@everyone cannot be a ping role: pick or create a role for this dungeon.".into()
        }
        RolePingError::NotATextChannel { channel } => format!(
            "{} is not a text channel: the panel needs one.",
            s.channel(*channel)
        ),
        RolePingError::BadId(why) => why.to_string(),
        RolePingError::NoChannel => {
            "Name a channel, or have an administrator set the role_ping channel with /setchannels."
                .into()
        }
        RolePingError::NoPingRoles => {
            "No dungeon has a ping role yet: map some with /configrolepings first.".into()
        }
        RolePingError::NoLongerOffered { code } => format!(
            "{} pings are no longer offered here (staff removed the role). This panel may be out of date.",
            domain::catalog::catalog().dungeon_name(code)
        ),
    };
    sentence(s, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::user;

    #[test]
    fn a_wrong_channel_is_mentioned_on_discord_and_named_by_id_in_plain() {
        let e = RolePingError::NotATextChannel { channel: user(8) };
        assert_eq!(
            refusal(&e, Style::Discord),
            "<#8> is not a text channel: the panel needs one."
        );
        assert_eq!(
            refusal(&e, Style::Plain),
            "Channel 8 is not a text channel: the panel needs one."
        );
    }
}
