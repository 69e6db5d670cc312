//! Staff commands: /purge, /addrole, /createrole.

use domain::moderation::PURGE_MAX;
use service::staff::StaffError;

use crate::{Style, sentence};

/// Why a staff command was refused.
pub fn refusal(e: &StaffError, s: Style) -> String {
    let text = match e {
        StaffError::MemberRequired => "Purge as a member.".into(),
        StaffError::ChannelRequired => "Use /purge in the channel to clean up.".into(),
        StaffError::BadPurgeAmount => format!(
            "Purge deletes 1 to {PURGE_MAX} messages at a time, e.g. {}.",
            s.code("/purge 10")
        ),
        StaffError::RoleRequired => "Pick a role.".into(),
        StaffError::NotAMember { user } => format!("{} is not in this server.", s.member(*user)),
        StaffError::UnmappedRole { role } => format!(
            "{} is not one of raidbot's roles (see /setroles).",
            s.role(*role)
        ),
        StaffError::PunishmentRole { key } => format!(
            "Use /suspend or /mute to give the {} role.",
            s.code(key.as_str())
        ),
    };
    sentence(s, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::user;

    #[test]
    fn roles_and_members_are_mentioned_on_discord_and_named_by_id_in_plain() {
        let e = StaffError::UnmappedRole { role: user(3) };
        assert_eq!(
            refusal(&e, Style::Discord),
            "<@&3> is not one of raidbot's roles (see /setroles)."
        );
        assert_eq!(
            refusal(&e, Style::Plain),
            "Role 3 is not one of raidbot's roles (see /setroles)."
        );
        let e = StaffError::NotAMember { user: user(4) };
        assert_eq!(refusal(&e, Style::Plain), "Member 4 is not in this server.");
    }
}
