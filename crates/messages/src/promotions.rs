//! Automatic promotions (`/configpromotions`).

use service::promotions::{MAX_RULES, PromotionError};

use crate::Style;

/// Why a promotion rule was refused, worded for administrators.
pub fn refusal(e: &PromotionError, s: Style) -> String {
    use PromotionError as E;
    match e {
        E::RuleRequired => format!(
            "Say which rule to remove (the rule option; {} shows them).",
            s.code("/configpromotions list")
        ),
        E::KindRequired => "Say what the rule counts (the kind option: runs completed, keys popped or raider points).".into(),
        E::ThresholdRequired => "Say how many are needed (the threshold option).".into(),
        E::RoleRequired => "Say which role the rule gives (the role option).".into(),
        E::RoleAboveBot { role } => format!(
            "I cannot give or take {}: it is not below my highest role. Move my role above it in Server Settings → Roles, then try again.",
            s.role(*role)
        ),
        E::BadThreshold => "The threshold must be between 1 and 1,000,000,000.".into(),
        E::EveryoneRole => "@everyone cannot be given or taken: pick another role.".into(),
        E::SameRole => "The role to remove must differ from the role given.".into(),
        E::DungeonNotAllowed => {
            "Raider points rules count every dungeon: leave the dungeon out.".into()
        }
        E::UnknownDungeon { code } => crate::unknown_dungeon(s, code),
        E::TooManyRules => {
            format!("A server can have at most {MAX_RULES} promotion rules; remove one first.")
        }
        E::NoSuchRule { rule_id } => format!(
            "There is no promotion rule #{rule_id}: {} shows them.",
            s.code("/configpromotions list")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::user;

    #[test]
    fn a_role_above_the_bot_is_mentioned_on_discord_and_named_by_id_in_plain() {
        let e = PromotionError::RoleAboveBot { role: user(9) };
        assert!(refusal(&e, Style::Discord).starts_with("I cannot give or take <@&9>:"));
        assert!(refusal(&e, Style::Plain).starts_with("I cannot give or take role 9:"));
        let e = PromotionError::RuleRequired;
        assert!(refusal(&e, Style::Discord).contains("`/configpromotions list`"));
        assert!(refusal(&e, Style::Plain).contains("; /configpromotions list shows"));
    }
}
