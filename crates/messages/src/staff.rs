//! Staff commands: /purge, /addrole, /createrole.

use domain::moderation::PURGE_MAX;
use service::staff::StaffError;

use crate::{Style, sentence};

/// A short wait: `45 s`, `2 min 5 s`.
fn wait_words(secs: i64) -> String {
    if secs < 60 {
        format!("{secs} s")
    } else {
        format!("{} min {} s", secs / 60, secs % 60)
    }
}

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
        StaffError::PurgeRateLimited { again, wait } => format!(
            "You can purge 3 times a minute and 10 times an hour. Try again in {} ({}).",
            wait_words(*wait),
            s.relative(*again)
        ),
        StaffError::AboveOwnLevel { key } => format!(
            "You can only give roles below your own level; {} is not.",
            key.label()
        ),
        StaffError::Hierarchy(why) => why.to_string(),
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

    #[test]
    fn a_spent_purge_says_when_the_next_one_is_allowed_in_the_readers_style() {
        let again = crate::testing::at();
        let e = StaffError::PurgeRateLimited { again, wait: 125 };
        let discord = refusal(&e, Style::Discord);
        assert!(
            discord.ends_with("Try again in 2 min 5 s (<t:1800000000:R>)."),
            "{discord}"
        );
        let plain = refusal(&e, Style::Plain);
        assert!(
            plain.ends_with("Try again in 2 min 5 s (at 2027-01-15T08:00:00Z)."),
            "{plain}"
        );
        let e = StaffError::PurgeRateLimited { again, wait: 45 };
        assert!(refusal(&e, Style::Plain).contains("in 45 s"));
    }
}
