//! Words of automatic promotion roles: /configpromotions answers, the raid_log entry and
//! the member's DM.

use domain::Snowflake;
use domain::catalog::catalog;
use domain::quota::PromotionKind;
use service::promotions::{Added, MAX_RULES, PromotionRule};
use twilight_model::channel::message::embed::Embed;
use twilight_util::builder::embed::EmbedBuilder;

use super::{COLOR_INFO, COLOR_OK};

pub fn kind_label(kind: PromotionKind) -> &'static str {
    match kind {
        PromotionKind::Completions => "Runs completed",
        PromotionKind::Keys => "Keys popped",
        PromotionKind::RaiderPoints => "Raider points",
    }
}

/// "10 Shatters runs completed", "25 keys popped (any dungeon)", "500 raider points".
pub fn condition(rule: &PromotionRule) -> String {
    let dungeon = rule
        .dungeon_code
        .as_deref()
        .map(|c| catalog().dungeon_name(c).to_owned());
    let n = rule.threshold;
    match (rule.kind, dungeon) {
        (PromotionKind::Completions, Some(d)) => format!("{n} {d} runs completed"),
        (PromotionKind::Completions, None) => format!("{n} runs completed (any dungeon)"),
        (PromotionKind::Keys, Some(d)) => format!("{n} {d} keys popped"),
        (PromotionKind::Keys, None) => format!("{n} keys popped (any dungeon)"),
        (PromotionKind::RaiderPoints, _) => format!("{n} raider points"),
    }
}

fn rule_line(rule: &PromotionRule) -> String {
    let mut line = format!(
        "**#{}** {} → <@&{}>",
        rule.rule_id,
        condition(rule),
        rule.role_id
    );
    if let Some(r) = rule.remove_role_id {
        line.push_str(&format!(" (takes <@&{r}>)"));
    }
    line
}

pub fn list_embed(rules: &[PromotionRule]) -> Embed {
    let description = if rules.is_empty() {
        "No promotion rules yet. Add one with `/configpromotions action:add`.".to_owned()
    } else {
        let lines: Vec<String> = rules.iter().map(rule_line).collect();
        format!(
            "{}\n\n{} of {MAX_RULES} rules. Totals are all time; each member is promoted once per rule.",
            lines.join("\n"),
            rules.len()
        )
    };
    EmbedBuilder::new()
        .title("Promotion rules")
        .color(COLOR_INFO)
        .description(description)
        .build()
}

pub fn added(added: &Added) -> String {
    let who = match added.granted {
        0 => "No member qualifies yet".to_owned(),
        1 => "1 member already qualifies and is being promoted".to_owned(),
        n => format!("{n} members already qualify and are being promoted"),
    };
    format!(
        "Added promotion rule {}. {who}; others are promoted when they reach it.",
        rule_line(&added.rule)
    )
}

pub fn removed(rule_id: i64) -> String {
    format!("Removed promotion rule #{rule_id}. Roles it already gave stay.")
}

/// The raid_log entry of a promotion (`rule`: None when the rule was removed since).
pub fn log_entry(user: Snowflake, rule: Option<&PromotionRule>) -> Embed {
    let text = match rule {
        Some(rule) => {
            let mut t = format!(
                "<@{user}> reached {} and was given <@&{}>.",
                condition(rule),
                rule.role_id
            );
            if let Some(r) = rule.remove_role_id {
                t.push_str(&format!(" <@&{r}> was taken."));
            }
            t
        }
        None => format!("<@{user}> was promoted by a rule that has since been removed."),
    };
    EmbedBuilder::new()
        .title("Member promoted")
        .color(COLOR_OK)
        .description(text)
        .build()
}

/// The DM to the promoted member.
pub fn dm(rule: &PromotionRule, role_name: Option<&str>, guild_name: Option<&str>) -> String {
    let role = role_name.map_or_else(|| "a new role".to_owned(), |n| format!("the **{n}** role"));
    let server = guild_name.map_or_else(String::new, |g| format!(" in **{g}**"));
    format!(
        "Congratulations! You reached {}{server} and were given {role}.",
        condition(rule)
    )
}
