//! The run panel (public), the organizer panel (ephemeral), its modals and pickers, and
//! raiders' answers.

use std::collections::BTreeMap;

use domain::catalog::catalog;
use domain::o3::{self, Stage};
use domain::{CustomId, ReactionKind, RunButton, RunComponent, RunStatus};
use service::runs::Run;
use service::runs::{KEY_WINDOW_DEFAULT_SECS, ReactOutcome, RunDetail};
use twilight_model::channel::message::MessageFlags;
use twilight_model::channel::message::component::{ButtonStyle, Component, SelectMenuOption};
use twilight_model::channel::message::embed::Embed;
use twilight_model::http::interaction::InteractionResponseData;
use twilight_util::builder::embed::{EmbedBuilder, EmbedFieldBuilder, EmbedFooterBuilder};

use super::components::{self, TextField, button, row, select, user_select};
use super::{COLOR_INFO, fit_lines, relative_time};

fn id(run_id: i64, button: RunButton) -> String {
    CustomId::Run(RunComponent::new(run_id, button)).to_string()
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

/// Key and perk counts: "Shield Rune ×2 · Sword Rune ×0".
fn reaction_summary(detail: &RunDetail, kind: ReactionKind) -> Option<String> {
    let dungeon = catalog().dungeon(&detail.run.dungeon_code)?;
    let parts: Vec<String> = dungeon
        .panel_reactions()
        .into_iter()
        .filter(|r| r.kind == kind)
        .map(|r| format!("{} ×{}", r.name, detail.reactors(&r.code).count()))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}

fn chain_line(run: &Run) -> Option<String> {
    match (run.chain_amount, run.keys_popped) {
        (Some(plan), done) => Some(format!("Chain {done}/{plan}")),
        (None, 0) => None,
        (None, done) => Some(format!("{done} popped")),
    }
}

fn o3_line(run: &Run) -> Option<String> {
    let stage = run.o3_stage.as_deref().and_then(Stage::parse)?;
    Some(match stage {
        Stage::RealmClosed => "Realm closed — heading to the Sanctuary".to_owned(),
        Stage::Miniboss => format!("Miniboss: {}", run.o3_miniboss.as_deref().unwrap_or("?")),
        Stage::ThirdRoom => "Third room reached".to_owned(),
    })
}

fn roster_lines(detail: &RunDetail) -> Vec<String> {
    detail
        .participants
        .iter()
        .map(|p| match &p.class {
            Some(class) => format!("<@{}> — {class}", p.user_id),
            None => format!("<@{}>", p.user_id),
        })
        .collect()
}

/// The public panel's embed: what every raider sees. Location and party show only once
/// the run is live; key holders who are entitled get them earlier, privately.
pub fn panel_embed(detail: &RunDetail) -> Embed {
    let run = &detail.run;
    let dungeon = catalog().dungeon(&run.dungeon_code);
    let mut description = format!("Organized by <@{}>", run.organizer_id);
    if let Some(text) = &run.description {
        description.push_str("\n\n");
        description.push_str(text);
    }
    let mut embed = EmbedBuilder::new()
        .title(format!("{} run", catalog().dungeon_name(&run.dungeon_code)))
        .description(description)
        .color(dungeon.and_then(|d| d.color()).unwrap_or(COLOR_INFO))
        .field(EmbedFieldBuilder::new("Status", status_line(run)));
    if run.status == RunStatus::Live {
        if let Some(party) = &run.party {
            embed = embed.field(EmbedFieldBuilder::new("Party", party.clone()).inline());
        }
        if let Some(location) = &run.location {
            embed = embed.field(EmbedFieldBuilder::new("Location", location.clone()).inline());
        }
        if let Some(until) = run.key_window_ends_at.filter(|t| *t > chrono::Utc::now()) {
            embed = embed.field(EmbedFieldBuilder::new(
                "🔑 Key popped",
                format!("Portal open — join now, closes {}", relative_time(until)),
            ));
        }
    }
    if run.status.is_active() && run.join_locked {
        embed = embed.field(EmbedFieldBuilder::new(
            "🔒 Joining locked",
            "The organizer locked joining.",
        ));
    }
    let heading = if run.status.is_active() {
        "Raiders"
    } else {
        "Final roster"
    };
    let cap = run.raider_cap.map(|c| format!("/{c}")).unwrap_or_default();
    embed = embed
        .field(EmbedFieldBuilder::new(
            format!("{heading} ({}{cap})", detail.participants.len()),
            fit_lines(&roster_lines(detail), "Nobody yet — press Join."),
        ))
        .field(EmbedFieldBuilder::new("By class", class_summary(detail)));
    let bench: Vec<String> = detail
        .benched()
        .map(|e| format!("<@{}>", e.user_id))
        .collect();
    if !bench.is_empty() {
        embed = embed.field(EmbedFieldBuilder::new(
            format!("Bench ({})", bench.len()),
            fit_lines(&bench, "—"),
        ));
    }
    if let Some(keys) = reaction_summary(detail, ReactionKind::Key) {
        embed = embed.field(EmbedFieldBuilder::new("Keys", keys));
    }
    if let Some(perks) = reaction_summary(detail, ReactionKind::Perk) {
        embed = embed.field(EmbedFieldBuilder::new("Perks", perks));
    }
    if let Some(chain) = chain_line(run) {
        embed = embed.field(EmbedFieldBuilder::new("Keys popped", chain).inline());
    }
    if let Some(o3) = o3_line(run) {
        embed = embed.field(EmbedFieldBuilder::new("Oryx 3", o3).inline());
    }
    if run.screenshot_url.is_some() {
        embed = embed.field(EmbedFieldBuilder::new("Screenshot", "Submitted").inline());
    } else if run.dungeon_code == o3::DUNGEON && run.status == RunStatus::Live {
        embed = embed.field(EmbedFieldBuilder::new(
            "Screenshot",
            "Organizer: submit the completion screenshot with /taken (full screen, /who and /server visible).",
        ));
    }
    if let Some(score) = run.realm_score {
        embed = embed.field(EmbedFieldBuilder::new("Realm score", format!("{score}%")).inline());
    }
    embed
        .footer(EmbedFooterBuilder::new(format!("Run #{}", run.run_id)))
        .build()
}

/// Splits buttons into rows of at most five.
fn rows_of(buttons: Vec<Component>) -> Vec<Component> {
    let mut rows = Vec::new();
    let mut it = buttons.into_iter().peekable();
    while it.peek().is_some() {
        rows.push(row(it.by_ref().take(5).collect()));
    }
    rows
}

fn option(label: &str) -> SelectMenuOption {
    components::option(label, label)
}

/// Join / Leave / (Bench) / Organizer panel, the class select, and the dungeon's key and
/// perk buttons; none once the run is closed.
pub fn panel_components(run: &Run) -> Vec<Component> {
    if !run.status.is_active() {
        return Vec::new();
    }
    let rid = run.run_id;
    let mut first = vec![
        button(id(rid, RunButton::Join), "Join", ButtonStyle::Success),
        button(id(rid, RunButton::Leave), "Leave", ButtonStyle::Danger),
    ];
    if run.raider_cap.is_some() {
        first.push(button(
            id(rid, RunButton::Bench),
            "Bench",
            ButtonStyle::Secondary,
        ));
    }
    first.push(button(
        id(rid, RunButton::Manage),
        "Organizer panel",
        ButtonStyle::Secondary,
    ));
    let classes = catalog().classes.iter().map(|c| option(c)).collect();
    let mut rows = vec![
        row(first),
        row(vec![select(
            id(rid, RunButton::Class),
            "Pick your class (joins you too)",
            classes,
        )]),
    ];
    let reactions: Vec<Component> = catalog()
        .dungeon(&run.dungeon_code)
        .map(|d| d.panel_reactions())
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            let style = if r.kind == ReactionKind::Key {
                ButtonStyle::Primary
            } else {
                ButtonStyle::Secondary
            };
            button(id(rid, RunButton::React(r.code.clone())), &r.name, style)
        })
        .collect();
    rows.extend(rows_of(reactions));
    rows
}

/// The organizer's own panel (ephemeral): everything they need to run the raid.
pub fn organizer_embed(detail: &RunDetail) -> Embed {
    let run = &detail.run;
    let mut lines = vec![
        status_line(run),
        format!(
            "Raiders joined: **{}**{}{}",
            detail.participants.len(),
            run.raider_cap
                .map(|c| format!(" of {c}"))
                .unwrap_or_default(),
            match run.bench_count {
                0 => String::new(),
                n => format!(" · bench: {n}"),
            }
        ),
        format!(
            "Location: {} · Party: {}",
            run.location.as_deref().unwrap_or("not set"),
            run.party.as_deref().unwrap_or("not set")
        ),
    ];
    if run.join_locked {
        lines.push("🔒 Joining is locked".to_owned());
    }
    if let Some(chain) = chain_line(run) {
        lines.push(format!("Keys popped: {chain}"));
    }
    if run.status.is_active() {
        lines.push(format!(
            "Auto-ends {} unless you end it.",
            relative_time(run.auto_end_at)
        ));
    }
    let mut embed = EmbedBuilder::new()
        .title(format!(
            "Organizer panel — {} run #{}",
            catalog().dungeon_name(&run.dungeon_code),
            run.run_id
        ))
        .description(lines.join("\n"))
        .color(COLOR_INFO);
    if let Some(dungeon) = catalog().dungeon(&run.dungeon_code) {
        for r in dungeon.panel_reactions() {
            let holders: Vec<String> = detail
                .reactors(&r.code)
                .map(|x| {
                    let early = if x.early { " (early loc)" } else { "" };
                    format!("<@{}>{early}", x.user_id)
                })
                .collect();
            if !holders.is_empty() {
                embed = embed.field(
                    EmbedFieldBuilder::new(r.name.clone(), fit_lines(&holders, "—")).inline(),
                );
            }
        }
    }
    let removed: Vec<String> = detail
        .removed()
        .map(|e| {
            let why = e.removed_reason.as_deref().unwrap_or("no reason");
            let back = if e.rejoin_allowed {
                " — may rejoin"
            } else {
                ""
            };
            format!("<@{}>: {why}{back}", e.user_id)
        })
        .collect();
    if !removed.is_empty() {
        embed = embed.field(EmbedFieldBuilder::new("Removed", fit_lines(&removed, "—")));
    }
    embed.build()
}

pub fn organizer_components(run: &Run) -> Vec<Component> {
    let rid = run.run_id;
    let b = |button_id: RunButton, label: &str, style: ButtonStyle| {
        button(id(rid, button_id), label, style)
    };
    let lock_label = if run.join_locked {
        "Unlock joining"
    } else {
        "Lock joining"
    };
    let mut rows = match run.status {
        RunStatus::Open => vec![row(vec![
            b(RunButton::Start, "Start", ButtonStyle::Success),
            b(RunButton::Cancel, "Cancel run", ButtonStyle::Danger),
            b(RunButton::Lock, lock_label, ButtonStyle::Secondary),
        ])],
        RunStatus::Live => vec![
            row(vec![
                b(RunButton::End, "End run", ButtonStyle::Primary),
                b(RunButton::Cancel, "Cancel run", ButtonStyle::Danger),
                b(RunButton::Lock, lock_label, ButtonStyle::Secondary),
                b(RunButton::Ping, "Ping raiders", ButtonStyle::Secondary),
            ]),
            row(vec![
                b(RunButton::KeyPopped, "Key popped", ButtonStyle::Success),
                b(RunButton::LogKeys, "Log keys", ButtonStyle::Secondary),
                b(RunButton::Chain, "Chain amount", ButtonStyle::Secondary),
            ]),
        ],
        RunStatus::Ended | RunStatus::Cancelled => return Vec::new(),
    };
    rows.push(row(vec![
        b(
            RunButton::Location,
            "Set location & party",
            ButtonStyle::Primary,
        ),
        b(
            RunButton::Description,
            "Edit description",
            ButtonStyle::Secondary,
        ),
        b(RunButton::Cap, "Raider cap", ButtonStyle::Secondary),
        b(RunButton::Remove, "Remove raider", ButtonStyle::Danger),
        b(
            RunButton::AllowRejoin,
            "Allow rejoin",
            ButtonStyle::Secondary,
        ),
    ]));
    let dungeon = catalog().dungeon(&run.dungeon_code);
    let mut special = Vec::new();
    if run.dungeon_code == o3::DUNGEON {
        special.push(b(
            RunButton::O3RealmClosed,
            "Realm closed",
            ButtonStyle::Secondary,
        ));
        special.push(b(RunButton::O3Miniboss, "Miniboss", ButtonStyle::Secondary));
        special.push(b(
            RunButton::O3ThirdRoom,
            "Third room",
            ButtonStyle::Secondary,
        ));
    }
    if dungeon.is_some_and(|d| d.is_realm_dungeon()) {
        special.push(b(
            RunButton::RealmScore,
            "Realm score",
            ButtonStyle::Secondary,
        ));
    }
    if !special.is_empty() {
        rows.push(row(special));
    }
    rows
}

/// A modal with one or two text inputs.
pub struct ModalField {
    pub custom_id: &'static str,
    pub label: &'static str,
    pub value: Option<String>,
    pub max_length: u16,
    pub required: bool,
    pub paragraph: bool,
}

pub fn modal(custom_id: String, title: &str, fields: Vec<ModalField>) -> InteractionResponseData {
    let fields = fields
        .into_iter()
        .map(|f| TextField {
            custom_id: f.custom_id.to_owned(),
            label: f.label.to_owned(),
            value: f.value,
            placeholder: None,
            max_length: Some(f.max_length),
            required: f.required,
            paragraph: f.paragraph,
        })
        .collect();
    components::modal(custom_id, title, fields)
}

pub fn location_modal(run: &Run) -> InteractionResponseData {
    modal(
        id(run.run_id, RunButton::LocationSubmit),
        "Location and party",
        vec![
            ModalField {
                custom_id: "location",
                label: "Location (server and spot)",
                value: run.location.clone(),
                max_length: 100,
                required: false,
                paragraph: false,
            },
            ModalField {
                custom_id: "party",
                label: "Party name",
                value: run.party.clone(),
                max_length: 100,
                required: false,
                paragraph: false,
            },
        ],
    )
}

pub fn description_modal(run: &Run) -> InteractionResponseData {
    modal(
        id(run.run_id, RunButton::DescriptionSubmit),
        "Run description",
        vec![ModalField {
            custom_id: "description",
            label: "What raiders should know (empty clears)",
            value: run.description.clone(),
            max_length: 500,
            required: false,
            paragraph: true,
        }],
    )
}

pub fn number_modal(
    run_id: i64,
    submit: RunButton,
    title: &str,
    label: &'static str,
    current: Option<i64>,
) -> InteractionResponseData {
    modal(
        id(run_id, submit),
        title,
        vec![ModalField {
            custom_id: "value",
            label,
            value: current.map(|v| v.to_string()),
            max_length: 4,
            required: false,
            paragraph: false,
        }],
    )
}

pub fn reason_modal(run_id: i64, member: u64) -> InteractionResponseData {
    modal(
        id(run_id, RunButton::RemoveSubmit(member)),
        "Remove raider",
        vec![ModalField {
            custom_id: "reason",
            label: "Why (the raider is told)",
            value: None,
            max_length: 200,
            required: true,
            paragraph: false,
        }],
    )
}

pub fn key_count_modal(run_id: i64, member: u64) -> InteractionResponseData {
    modal(
        id(run_id, RunButton::LogKeysSubmit(member)),
        "Log keys popped",
        vec![
            ModalField {
                custom_id: "count",
                label: "How many keys did they pop? (1–99)",
                value: Some("1".to_owned()),
                max_length: 2,
                required: true,
                paragraph: false,
            },
            ModalField {
                custom_id: "key",
                label: "Key name (empty: the dungeon's own key)",
                value: None,
                max_length: 50,
                required: false,
                paragraph: false,
            },
        ],
    )
}

/// After picking who popped: how long raiders may still come in.
pub fn key_window_modal(run_id: i64, member: u64) -> InteractionResponseData {
    modal(
        id(run_id, RunButton::KeyPoppedSubmit(member)),
        "Key popped",
        vec![ModalField {
            custom_id: "window",
            label: "Key window in seconds (1–300)",
            value: Some(KEY_WINDOW_DEFAULT_SECS.to_string()),
            max_length: 3,
            required: false,
            paragraph: false,
        }],
    )
}

/// An ephemeral message with a member picker.
pub fn member_picker(run_id: i64, pick: RunButton, prompt: &str) -> InteractionResponseData {
    let menu = user_select(id(run_id, pick), "Pick a member");
    InteractionResponseData {
        content: Some(prompt.to_owned()),
        components: Some(vec![row(vec![menu])]),
        flags: Some(MessageFlags::EPHEMERAL),
        ..Default::default()
    }
}

pub fn miniboss_picker(run_id: i64) -> InteractionResponseData {
    let options = o3::MINIBOSSES.iter().map(|m| option(m)).collect();
    InteractionResponseData {
        content: Some("Which miniboss guards this Sanctuary?".to_owned()),
        components: Some(vec![row(vec![select(
            id(run_id, RunButton::O3MinibossPick),
            "Miniboss",
            options,
        )])]),
        flags: Some(MessageFlags::EPHEMERAL),
        ..Default::default()
    }
}

/// The "are you sure you have it?" step before a key counts.
pub fn confirm_key(run_id: i64, code: &str, name: &str) -> InteractionResponseData {
    InteractionResponseData {
        content: Some(format!(
            "Do you have a **{name}** with you and will you bring it? Fake key reactions get you removed from the run."
        )),
        components: Some(vec![row(vec![button(
            id(run_id, RunButton::ConfirmKey(code.to_owned())),
            format!("Yes, I have a {name}"),
            ButtonStyle::Success,
        )])]),
        flags: Some(MessageFlags::EPHEMERAL),
        ..Default::default()
    }
}

/// The answer to a reaction press.
pub fn reacted(outcome: &ReactOutcome) -> String {
    match outcome {
        ReactOutcome::NeedsConfirm { name } => format!("Confirm your {name} first."),
        ReactOutcome::Withdrawn { name } => format!("Your {name} reaction is withdrawn."),
        ReactOutcome::Added {
            name, early: false, ..
        } => format!("Noted: you bring {name}."),
        ReactOutcome::Added {
            name,
            early: true,
            location: Some(loc),
            party,
        } => {
            let party = party
                .as_deref()
                .map(|p| format!(" (party **{p}**)"))
                .unwrap_or_default();
            format!(
                "Noted: you bring {name}. The location is **{loc}**{party}. Keep it to yourself until the run starts."
            )
        }
        ReactOutcome::Added {
            name,
            early: true,
            location: None,
            ..
        } => {
            format!(
                "Noted: you bring {name}. You will get the location by DM as soon as the organizer sets it."
            )
        }
    }
}

/// A full run offers the bench instead.
pub fn offer_bench(run_id: i64, message: &str) -> InteractionResponseData {
    InteractionResponseData {
        content: Some(message.to_owned()),
        components: Some(vec![row(vec![button(
            id(run_id, RunButton::Bench),
            "Wait on the bench",
            ButtonStyle::Secondary,
        )])]),
        flags: Some(MessageFlags::EPHEMERAL),
        ..Default::default()
    }
}

pub fn benched(outcome: service::runs::BenchOutcome, run: &str) -> String {
    match outcome {
        service::runs::BenchOutcome::Benched { place } => {
            format!(
                "You are on the bench of the {run} run, number {place} in line. You will be told when a place opens."
            )
        }
        service::runs::BenchOutcome::Joined => {
            format!("A place was free: you joined the {run} run.")
        }
        service::runs::BenchOutcome::AlreadyJoined => format!("You are already in the {run} run."),
    }
}

pub fn created(run: &Run) -> String {
    match run.panel_channel_id {
        Some(channel) => format!(
            "Your {} run #{} is posted in <#{channel}>. Start it when the raid begins.",
            catalog().dungeon_name(&run.dungeon_code),
            run.run_id
        ),
        None => format!(
            "Your {} run #{} is created.",
            catalog().dungeon_name(&run.dungeon_code),
            run.run_id
        ),
    }
}

pub fn joined(dungeon_code: &str, class: Option<&str>, already: bool) -> String {
    let name = catalog().dungeon_name(dungeon_code);
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

pub fn key_logged(pop: &service::runs::KeyPop, count: i32) -> String {
    let chain = match pop.chain_amount {
        Some(plan) => format!(" Chain {}/{plan}.", pop.total),
        None => format!(" {} popped so far.", pop.total),
    };
    let what = match (&pop.key_name, count) {
        (Some(name), 1) => format!("Key pop ({name})"),
        (Some(name), n) => format!("{n} key pops ({name})"),
        (None, 1) => "Key pop".to_owned(),
        (None, n) => format!("{n} key pops"),
    };
    match pop.window_secs {
        Some(secs) => format!("{what} logged; raiders have {secs} seconds to come in.{chain}"),
        None => format!("{what} logged.{chain}"),
    }
}

/// Private messages about a run.
pub fn promoted_dm(run: &Run) -> String {
    format!(
        "A place opened in the {} run by <@{}>: you moved from the bench into the run.",
        catalog().dungeon_name(&run.dungeon_code),
        run.organizer_id
    )
}

pub fn removed_dm(run: &Run, reason: &str) -> String {
    format!(
        "You were removed from the {} run by its organizer. Reason: {reason}",
        catalog().dungeon_name(&run.dungeon_code)
    )
}

pub fn early_location_dm(run: &Run) -> String {
    let party = run
        .party
        .as_deref()
        .map(|p| format!("\nParty: **{p}**"))
        .unwrap_or_default();
    format!(
        "Early location for the {} run by <@{}>: **{}**{party}\nKeep it to yourself until the run starts.",
        catalog().dungeon_name(&run.dungeon_code),
        run.organizer_id,
        run.location.as_deref().unwrap_or("not set yet")
    )
}

/// The ping posted above a new run's panel.
pub fn run_ping(
    run: &Run,
    run_role: Option<u64>,
    dungeon_role: Option<u64>,
    panel_link: &str,
) -> String {
    let mut mentions = Vec::new();
    if let Some(r) = dungeon_role {
        mentions.push(format!("<@&{r}>"));
    }
    if let Some(r) = run_role {
        mentions.push(format!("<@&{r}>"));
    }
    format!(
        "{} **{}** run by <@{}> is up: {panel_link}",
        mentions.join(" "),
        catalog().dungeon_name(&run.dungeon_code),
        run.organizer_id
    )
    .trim_start()
    .to_owned()
}

pub fn ping_raiders(run: &Run, run_role: Option<u64>, panel_link: &str) -> String {
    let who = run_role.map(|r| format!("<@&{r}> ")).unwrap_or_default();
    format!(
        "{who}The {} run by <@{}> needs you — check the panel: {panel_link}",
        catalog().dungeon_name(&run.dungeon_code),
        run.organizer_id
    )
}

pub fn key_popped_ping(
    run: &Run,
    run_role: Option<u64>,
    popper: u64,
    key_name: Option<&str>,
) -> String {
    let who = run_role.map(|r| format!("<@&{r}> ")).unwrap_or_default();
    let key = key_name.map(str::to_owned).unwrap_or_else(|| {
        catalog()
            .dungeon(&run.dungeon_code)
            .and_then(|d| d.keys.first())
            .map(|k| catalog().reaction_name(&k.reaction))
            .unwrap_or_else(|| "key".to_owned())
    });
    let until = run
        .key_window_ends_at
        .map(|t| format!(" Portal closes {}.", relative_time(t)))
        .unwrap_or_default();
    let chain = chain_line(run)
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    format!("{who}🔑 <@{popper}> popped a {key}{chain}! Join now.{until}")
}

pub fn o3_ping(run: &Run, run_role: Option<u64>) -> String {
    let who = run_role.map(|r| format!("<@&{r}> ")).unwrap_or_default();
    format!("{who}Oryx 3: {}", o3_line(run).unwrap_or_default())
}

pub fn realm_score_ping(run: &Run, run_role: Option<u64>) -> String {
    let who = run_role.map(|r| format!("<@&{r}> ")).unwrap_or_default();
    format!(
        "{who}Realm score for the {} run: **{}%**",
        catalog().dungeon_name(&run.dungeon_code),
        run.realm_score.unwrap_or_default()
    )
}

pub fn screenshot_taken(run: &Run) -> String {
    format!(
        "Screenshot attached to your {} run #{}.",
        catalog().dungeon_name(&run.dungeon_code),
        run.run_id
    )
}

pub fn run_role_name(run: &Run) -> String {
    format!(
        "{} run #{}",
        catalog().dungeon_name(&run.dungeon_code),
        run.run_id
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use domain::Snowflake;
    use service::runs::{Participant, RunReaction};

    fn detail(raiders: u64, status: RunStatus, dungeon: &str) -> RunDetail {
        let now = Utc::now();
        let run = Run {
            guild_id: Snowflake::new(1).unwrap(),
            run_id: 7,
            organizer_id: Snowflake::new(42).unwrap(),
            dungeon_code: dungeon.into(),
            party: Some("Epic".into()),
            location: Some("USEast".into()),
            description: Some("x".repeat(500)),
            status,
            join_locked: true,
            auto_end_at: now,
            panel_channel_id: None,
            panel_message_id: None,
            created_at: now,
            started_at: Some(now),
            ended_at: (status == RunStatus::Ended).then_some(now),
            cancelled_at: None,
            closed_by: None,
            closed_by_label: None,
            close_reason: (status == RunStatus::Ended).then(|| "auto".to_owned()),
            raider_cap: Some(1000),
            run_role_id: None,
            ping_message_id: None,
            chain_amount: Some(5),
            key_window_ends_at: Some(now + chrono::Duration::seconds(20)),
            location_set_at: Some(now),
            o3_stage: Some("miniboss".into()),
            o3_miniboss: Some("Chief Beisa".into()),
            realm_score: None,
            screenshot_url: None,
            o3_ping_message_id: None,
            participant_count: raiders as i64,
            bench_count: 0,
            keys_popped: 3,
        };
        let participants = (0..raiders)
            .map(|i| Participant {
                user_id: Snowflake::new(100_000_000_000_000_000 + i).unwrap(),
                class: (i % 3 == 0).then(|| "Warrior".to_owned()),
                joined_at: now,
            })
            .collect();
        let reactions = (0..300u64)
            .map(|i| RunReaction {
                reaction: if i % 2 == 0 {
                    "shield_rune".into()
                } else {
                    "mseal".into()
                },
                user_id: Snowflake::new(200_000_000_000_000_000 + i).unwrap(),
                early: i < 4,
                location_sent_at: None,
                created_at: now,
            })
            .collect();
        RunDetail {
            run,
            participants,
            roster: Vec::new(),
            reactions,
        }
    }

    fn embed_chars(e: &Embed) -> usize {
        e.title.as_deref().map_or(0, |t| t.chars().count())
            + e.description.as_deref().map_or(0, |t| t.chars().count())
            + e.fields
                .iter()
                .map(|f| f.name.chars().count() + f.value.chars().count())
                .sum::<usize>()
            + e.footer.as_ref().map_or(0, |f| f.text.chars().count())
    }

    fn component_rows(c: &[Component]) -> Vec<usize> {
        c.iter()
            .map(|r| match r {
                Component::ActionRow(r) => r.components.len(),
                _ => 0,
            })
            .collect()
    }

    #[test]
    fn a_full_panel_fits_discord_limits() {
        let d = detail(1000, RunStatus::Live, "oryx_3");
        for e in [panel_embed(&d), organizer_embed(&d)] {
            assert!(embed_chars(&e) <= 6000, "{}", embed_chars(&e));
            assert!(e.fields.len() <= 25);
            assert!(
                e.fields
                    .iter()
                    .all(|f| f.value.chars().count() <= 1024 && !f.value.is_empty())
            );
        }
        let e = panel_embed(&d);
        let raiders = e
            .fields
            .iter()
            .find(|f| f.name.starts_with("Raiders"))
            .unwrap();
        assert_eq!(raiders.name, "Raiders (1000/1000)");
        let by_class = e.fields.iter().find(|f| f.name == "By class").unwrap();
        assert_eq!(by_class.value, "No class ×666 · Warrior ×334");
        assert!(
            e.fields
                .iter()
                .any(|f| f.name == "Keys popped" && f.value == "Chain 3/5")
        );
        assert!(
            e.fields
                .iter()
                .any(|f| f.name == "Oryx 3" && f.value == "Miniboss: Chief Beisa")
        );
        for rows in [panel_components(&d.run), organizer_components(&d.run)] {
            let sizes = component_rows(&rows);
            assert!(
                sizes.len() <= 5 && sizes.iter().all(|n| (1..=5).contains(n)),
                "{sizes:?}"
            );
        }
    }

    #[test]
    fn location_shows_publicly_only_once_live() {
        let open = detail(2, RunStatus::Open, "shatters");
        assert!(
            !panel_embed(&open)
                .fields
                .iter()
                .any(|f| f.name == "Location")
        );
        let live = detail(2, RunStatus::Live, "shatters");
        assert!(
            panel_embed(&live)
                .fields
                .iter()
                .any(|f| f.name == "Location" && f.value == "USEast")
        );
    }

    #[test]
    fn a_closed_panel_has_no_buttons_and_says_auto_ended() {
        let d = detail(2, RunStatus::Ended, "shatters");
        assert!(panel_components(&d.run).is_empty());
        assert!(organizer_components(&d.run).is_empty());
        let e = panel_embed(&d);
        assert!(e.fields[0].value.contains("Auto-ended"));
        assert!(e.fields.iter().any(|f| f.name == "Final roster (2/1000)"));
    }
}
