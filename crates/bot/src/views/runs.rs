//! The run panel (public), the organizer panel (ephemeral) and raiders' answers.

use std::collections::BTreeMap;

use domain::catalog::catalog;
use domain::{CustomId, RunButton, RunComponent, RunStatus};
use service::runs::RunDetail;
use store::runs::Run;
use twilight_model::channel::message::component::{
    ActionRow, Button, ButtonStyle, Component, SelectMenu, SelectMenuOption, SelectMenuType,
};
use twilight_model::channel::message::embed::Embed;
use twilight_util::builder::embed::{EmbedBuilder, EmbedFieldBuilder, EmbedFooterBuilder};

use super::{COLOR_INFO, fit_lines, relative_time};

fn dungeon_name(code: &str) -> String {
    catalog()
        .dungeon(code)
        .map(|d| d.name.clone())
        .unwrap_or_else(|| code.to_owned())
}

fn status_line(run: &Run) -> String {
    match run.status {
        RunStatus::Open => "🟡 Open — waiting for the organizer to start".to_owned(),
        RunStatus::Live => match run.started_at {
            Some(t) => format!("🟢 Live since {}", relative_time(t)),
            None => "🟢 Live".to_owned(),
        },
        RunStatus::Ended => {
            let when = run.ended_at.map(relative_time).unwrap_or_default();
            if run.close_reason.as_deref() == Some("auto") {
                format!("⚫ Auto-ended {when} (time limit reached)")
            } else {
                format!("⚫ Ended {when}")
            }
        }
        RunStatus::Cancelled => {
            let when = run.cancelled_at.map(relative_time).unwrap_or_default();
            if run.close_reason.as_deref() == Some("auto") {
                format!("⚫ Closed automatically {when} (never started)")
            } else {
                format!("⚫ Cancelled {when}")
            }
        }
    }
}

/// "Warrior ×2 · Priest ×1 · No class ×3", busiest first.
fn class_summary(detail: &RunDetail) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &detail.participants {
        *counts
            .entry(p.class.as_deref().unwrap_or("No class"))
            .or_default() += 1;
    }
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let text = counts
        .iter()
        .map(|(class, n)| format!("{class} ×{n}"))
        .collect::<Vec<_>>()
        .join(" · ");
    if text.is_empty() {
        "—".to_owned()
    } else {
        text
    }
}

/// The public panel's embed: what every raider sees.
pub fn panel_embed(detail: &RunDetail) -> Embed {
    let run = &detail.run;
    let dungeon = catalog().dungeon(&run.dungeon_code);
    let mut description = format!("Organized by <@{}>", run.organizer_id);
    if let Some(text) = &run.description {
        description.push_str("\n\n");
        description.push_str(text);
    }
    let mut embed = EmbedBuilder::new()
        .title(format!("{} run", dungeon_name(&run.dungeon_code)))
        .description(description)
        .color(dungeon.and_then(|d| d.color()).unwrap_or(COLOR_INFO))
        .field(EmbedFieldBuilder::new("Status", status_line(run)));
    if let Some(party) = &run.party {
        embed = embed.field(EmbedFieldBuilder::new("Party", party.clone()).inline());
    }
    if let Some(location) = &run.location {
        embed = embed.field(EmbedFieldBuilder::new("Location", location.clone()).inline());
    }
    let raiders: Vec<String> = detail
        .participants
        .iter()
        .map(|p| match &p.class {
            Some(class) => format!("<@{}> — {class}", p.user_id),
            None => format!("<@{}>", p.user_id),
        })
        .collect();
    let heading = if run.status.is_active() {
        "Raiders"
    } else {
        "Final roster"
    };
    embed = embed
        .field(EmbedFieldBuilder::new(
            format!("{heading} ({})", detail.participants.len()),
            fit_lines(&raiders, "Nobody yet — press Join."),
        ))
        .field(EmbedFieldBuilder::new("By class", class_summary(detail)))
        .footer(EmbedFooterBuilder::new(format!("Run #{}", run.run_id)));
    embed.build()
}

fn run_id(run_id: i64, button: RunButton) -> String {
    CustomId::Run(RunComponent::new(run_id, button)).to_string()
}

fn button(id: String, label: &str, style: ButtonStyle) -> Component {
    Component::Button(Button {
        custom_id: Some(id),
        disabled: false,
        emoji: None,
        id: None,
        label: Some(label.to_owned()),
        sku_id: None,
        style,
        url: None,
    })
}

fn row(components: Vec<Component>) -> Component {
    Component::ActionRow(ActionRow {
        components,
        id: None,
    })
}

/// Join / Leave / Organizer panel and the class select; none once the run is closed.
pub fn panel_components(run: &Run) -> Vec<Component> {
    if !run.status.is_active() {
        return Vec::new();
    }
    let id = run.run_id;
    let options = catalog()
        .classes
        .iter()
        .map(|c| SelectMenuOption {
            default: false,
            description: None,
            emoji: None,
            label: c.clone(),
            value: c.clone(),
        })
        .collect();
    vec![
        row(vec![
            button(run_id(id, RunButton::Join), "Join", ButtonStyle::Success),
            button(run_id(id, RunButton::Leave), "Leave", ButtonStyle::Danger),
            button(
                run_id(id, RunButton::Manage),
                "Organizer panel",
                ButtonStyle::Secondary,
            ),
        ]),
        row(vec![Component::SelectMenu(SelectMenu {
            channel_types: None,
            custom_id: run_id(id, RunButton::Class),
            default_values: None,
            disabled: false,
            id: None,
            kind: SelectMenuType::Text,
            max_values: Some(1),
            min_values: Some(1),
            options: Some(options),
            placeholder: Some("Pick your class (joins you too)".to_owned()),
            required: None,
        })]),
    ]
}

/// The organizer's own panel (ephemeral).
pub fn organizer_embed(detail: &RunDetail) -> Embed {
    let run = &detail.run;
    EmbedBuilder::new()
        .title(format!(
            "Organizer panel — {} run #{}",
            dungeon_name(&run.dungeon_code),
            run.run_id
        ))
        .description(format!(
            "{}\nRaiders joined: **{}**\nAuto-ends {} unless you end it.",
            status_line(run),
            detail.participants.len(),
            relative_time(run.auto_end_at)
        ))
        .color(COLOR_INFO)
        .build()
}

pub fn organizer_components(run: &Run) -> Vec<Component> {
    let id = run.run_id;
    match run.status {
        RunStatus::Open => vec![row(vec![
            button(run_id(id, RunButton::Start), "Start", ButtonStyle::Success),
            button(
                run_id(id, RunButton::Cancel),
                "Cancel run",
                ButtonStyle::Danger,
            ),
        ])],
        RunStatus::Live => vec![row(vec![
            button(run_id(id, RunButton::End), "End run", ButtonStyle::Primary),
            button(
                run_id(id, RunButton::Cancel),
                "Cancel run",
                ButtonStyle::Danger,
            ),
        ])],
        RunStatus::Ended | RunStatus::Cancelled => Vec::new(),
    }
}

pub fn created(run: &Run) -> String {
    match run.panel_channel_id {
        Some(channel) => format!(
            "Your {} run #{} is posted in <#{channel}>. Start it when the raid begins.",
            dungeon_name(&run.dungeon_code),
            run.run_id
        ),
        None => format!(
            "Your {} run #{} is created.",
            dungeon_name(&run.dungeon_code),
            run.run_id
        ),
    }
}

pub fn joined(run: &Run, class: Option<&str>, already: bool) -> String {
    let name = dungeon_name(&run.dungeon_code);
    match (already, class) {
        (false, Some(c)) => format!("You joined the {name} run as {c}."),
        (false, None) => format!("You joined the {name} run. Pick your class from the menu."),
        (true, Some(c)) => format!("You are in the {name} run as {c}."),
        (true, None) => format!("You are already in the {name} run."),
    }
}

pub fn left(left: bool) -> &'static str {
    if left {
        "You left the run."
    } else {
        "You are not in this run."
    }
}

pub fn transitioned(run: &Run) -> String {
    match run.status {
        RunStatus::Live => "The run is live. Raiders can still join.".to_owned(),
        RunStatus::Ended => format!("Run ended with {} raiders.", run.participant_count),
        RunStatus::Cancelled => "Run cancelled.".to_owned(),
        RunStatus::Open => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use domain::Snowflake;
    use store::runs::Participant;

    fn detail(raiders: u64, status: RunStatus) -> RunDetail {
        let now = Utc::now();
        let run = Run {
            guild_id: Snowflake::new(1).unwrap(),
            run_id: 7,
            organizer_id: Snowflake::new(42).unwrap(),
            dungeon_code: "shatters".into(),
            party: Some("Epic".into()),
            location: Some("USEast".into()),
            description: Some("x".repeat(500)),
            status,
            join_locked: false,
            auto_end_at: now,
            panel_channel_id: None,
            panel_message_id: None,
            created_at: now,
            started_at: Some(now),
            ended_at: (status == RunStatus::Ended).then_some(now),
            cancelled_at: None,
            closed_by: None,
            close_reason: (status == RunStatus::Ended).then(|| "auto".to_owned()),
            participant_count: raiders as i64,
        };
        let participants = (0..raiders)
            .map(|i| Participant {
                user_id: Snowflake::new(100_000_000_000_000_000 + i).unwrap(),
                class: (i % 3 == 0).then(|| "Warrior".to_owned()),
                joined_at: now,
            })
            .collect();
        RunDetail { run, participants }
    }

    fn embed_chars(e: &Embed) -> usize {
        e.title.as_deref().map_or(0, str::len)
            + e.description.as_deref().map_or(0, str::len)
            + e.fields
                .iter()
                .map(|f| f.name.len() + f.value.len())
                .sum::<usize>()
            + e.footer.as_ref().map_or(0, |f| f.text.len())
    }

    #[test]
    fn a_full_panel_fits_discord_limits() {
        let d = detail(1000, RunStatus::Live);
        let e = panel_embed(&d);
        assert!(embed_chars(&e) <= 6000);
        assert!(
            e.fields
                .iter()
                .all(|f| f.value.len() <= 1024 && !f.value.is_empty())
        );
        let raiders = e
            .fields
            .iter()
            .find(|f| f.name.starts_with("Raiders"))
            .unwrap();
        assert_eq!(raiders.name, "Raiders (1000)");
        let by_class = e.fields.iter().find(|f| f.name == "By class").unwrap();
        assert_eq!(by_class.value, "No class ×666 · Warrior ×334");
        let rows = panel_components(&d.run);
        assert_eq!(rows.len(), 2);
    }

    #[test]
    fn a_closed_panel_has_no_buttons_and_says_auto_ended() {
        let d = detail(2, RunStatus::Ended);
        assert!(panel_components(&d.run).is_empty());
        let e = panel_embed(&d);
        assert!(e.fields[0].value.contains("Auto-ended"));
        assert!(e.fields.iter().any(|f| f.name == "Final roster (2)"));
    }
}
