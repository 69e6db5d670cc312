//! The `/headcount` picker, the public headcount panel, the organizer's panel, raiders'
//! answers, the "run is up" announcement and the `raid_log` entries.

use domain::catalog::catalog;
use domain::headcount::{self as rules, HeadcountStatus, MAX_DUNGEONS, ReactionKind};
use domain::{CustomId, Dungeon, HeadcountButton, HeadcountComponent, Snowflake};
use service::headcounts::HeadcountDetail;
use service::headcounts::{Draft, Headcount};
use service::runs::Run;
use service::tasks::LogEvent;
use twilight_model::channel::message::component::{ButtonStyle, Component, SelectMenuOption};
use twilight_model::channel::message::embed::Embed;
use twilight_model::http::interaction::InteractionResponseData;
use twilight_util::builder::embed::{EmbedBuilder, EmbedFieldBuilder, EmbedFooterBuilder};

use super::components::{self, row};
use super::{COLOR_INFO, COLOR_OK, COLOR_WARN, FIELD_VALUE_MAX, mentions, relative_time};

/// Discord's limit on a message's content.
pub const CONTENT_MAX: usize = 2000;
/// Discord's limit on a button label.
const LABEL_MAX: usize = 80;

fn dungeons(h: &Headcount) -> Vec<&'static Dungeon> {
    h.dungeons
        .iter()
        .filter_map(|c| catalog().dungeon(c))
        .collect()
}

fn names(h: &Headcount) -> String {
    h.dungeons
        .iter()
        .map(|c| catalog().dungeon_name(c))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn id(hc: i64, button: HeadcountButton) -> String {
    CustomId::Headcount(HeadcountComponent::new(hc, button)).to_string()
}

fn label(text: String) -> String {
    if text.chars().count() <= LABEL_MAX {
        text
    } else {
        let mut cut: String = text.chars().take(LABEL_MAX - 1).collect();
        cut.push('…');
        cut
    }
}

fn button(custom_id: String, text: String, style: ButtonStyle, disabled: bool) -> Component {
    components::button_with_state(custom_id, label(text), style, disabled)
}

fn select(
    custom_id: String,
    placeholder: &str,
    options: Vec<SelectMenuOption>,
    min: u8,
    max: u8,
) -> Component {
    row(vec![components::multi_select(
        custom_id,
        placeholder,
        options,
        min,
        max,
    )])
}

// --- The picker --------------------------------------------------------------------------

/// The ephemeral `/headcount` picker: a category select, that category's dungeons as a
/// multi-select (picks from other categories are kept), and Post.
pub fn picker(draft: &Draft, note: Option<&str>) -> InteractionResponseData {
    let chosen: Vec<String> = draft
        .dungeons
        .iter()
        .map(|c| format!("• {}", catalog().dungeon_name(c)))
        .collect();
    let mut content = format!(
        "**New headcount** — pick a category, then its dungeons; switch category to add \
         dungeons of another one (at most {MAX_DUNGEONS} in all). Then press **Post**."
    );
    if let Some(note) = note {
        content.push_str("\n\n");
        content.push_str(note);
    }
    let embed = EmbedBuilder::new()
        .title("Headcount picker")
        .color(COLOR_INFO)
        .field(EmbedFieldBuilder::new(
            format!("Chosen ({}/{MAX_DUNGEONS})", draft.dungeons.len()),
            if chosen.is_empty() {
                "Nothing yet.".to_owned()
            } else {
                chosen.join("\n")
            },
        ))
        .build();
    let current = draft.category.as_deref().and_then(rules::category);
    let categories = rules::categories()
        .into_iter()
        .map(|c| SelectMenuOption {
            default: Some(c) == current,
            description: Some(format!("{} dungeons", rules::dungeons_in(c).len())),
            emoji: None,
            label: c.to_owned(),
            value: rules::category_slug(c),
        })
        .collect();
    let mut components = vec![select(
        id(draft.draft_id, HeadcountButton::Category),
        "Pick a category",
        categories,
        1,
        1,
    )];
    if let Some(category) = current {
        let options: Vec<SelectMenuOption> = rules::dungeons_in(category)
            .into_iter()
            .map(|d| SelectMenuOption {
                default: draft.dungeons.contains(&d.code),
                description: None,
                emoji: None,
                label: d.name.clone(),
                value: d.code.clone(),
            })
            .collect();
        let max = options.len().min(MAX_DUNGEONS);
        components.push(select(
            id(draft.draft_id, HeadcountButton::Pick),
            &format!("Dungeons of {category}"),
            options,
            0,
            u8::try_from(max).unwrap_or(1),
        ));
    }
    components.push(row(vec![button(
        id(draft.draft_id, HeadcountButton::Post),
        "Post headcount".to_owned(),
        ButtonStyle::Success,
        draft.dungeons.is_empty(),
    )]));
    InteractionResponseData {
        content: Some(content),
        embeds: Some(vec![embed]),
        components: Some(components),
        flags: Some(twilight_model::channel::message::MessageFlags::EPHEMERAL),
        ..Default::default()
    }
}

// --- The public panel --------------------------------------------------------------------

fn status_line(h: &Headcount) -> String {
    let when = h.closed_at.map(relative_time).unwrap_or_default();
    let by = h
        .closed_by
        .map(|u| format!(" by <@{u}>"))
        .unwrap_or_default();
    match h.status {
        HeadcountStatus::Open => format!(
            "🟡 Open — closes by itself {} unless converted or ended",
            relative_time(h.auto_end_at)
        ),
        HeadcountStatus::Converted => match h.converted_run_id {
            Some(run) => format!("✅ Converted to run #{run}{by} {when}"),
            None => format!("✅ Converted{by} {when}"),
        },
        HeadcountStatus::Ended if h.close_reason.as_deref() == Some("auto") => {
            format!("⚫ Closed automatically {when} (nobody converted or ended it)")
        }
        HeadcountStatus::Ended => format!("⚫ Ended{by} {when}"),
    }
}

/// One dungeon's numbers: interested raiders, then holders per key.
fn counts(detail: &HeadcountDetail, d: &Dungeon) -> String {
    let mut lines = vec![format!(
        "Interested: **{}**",
        detail.interested(&d.code).len()
    )];
    for k in &d.keys {
        lines.push(format!(
            "{}: **{}**",
            catalog().reaction_name(&k.reaction),
            detail.key_holders(&k.reaction).len()
        ));
    }
    lines.join("\n")
}

/// The public panel's embed: what every raider sees.
pub fn panel_embed(detail: &HeadcountDetail) -> Embed {
    let h = &detail.headcount;
    let ds = dungeons(h);
    let mut description = format!("Organized by <@{}>", h.organizer_id);
    if h.status.is_open() {
        description.push_str(
            "\n\nPress **Interested** for each dungeon you would join, and a key button if you \
             would bring that key. Press again to withdraw.",
        );
    }
    let mut embed = EmbedBuilder::new()
        .title(format!("Headcount: {}", names(h)))
        .description(description)
        .color(ds.first().and_then(|d| d.color()).unwrap_or(COLOR_INFO))
        .field(EmbedFieldBuilder::new("Status", status_line(h)));
    for d in ds {
        embed = embed.field(EmbedFieldBuilder::new(d.name.clone(), counts(detail, d)).inline());
    }
    embed
        .footer(EmbedFooterBuilder::new(format!(
            "Headcount #{}",
            h.headcount_id
        )))
        .build()
}

/// One row per dungeon (Interested, then its keys not shown on an earlier row), and the
/// organizer's button; none once the headcount is closed.
pub fn panel_components(h: &Headcount) -> Vec<Component> {
    if !h.status.is_open() {
        return Vec::new();
    }
    let hc = h.headcount_id;
    let ds = dungeons(h);
    let mut rows: Vec<Component> = rules::key_layout(&ds)
        .into_iter()
        .zip(&ds)
        .map(|((code, keys), d)| {
            let mut buttons = vec![button(
                id(hc, HeadcountButton::Interest(code.to_owned())),
                format!("Interested: {}", d.name),
                ButtonStyle::Primary,
                false,
            )];
            buttons.extend(keys.into_iter().map(|k| {
                button(
                    id(hc, HeadcountButton::Key(k.to_owned())),
                    catalog().reaction_name(k),
                    ButtonStyle::Secondary,
                    false,
                )
            }));
            row(buttons)
        })
        .collect();
    rows.push(row(vec![button(
        id(hc, HeadcountButton::Manage),
        "Organizer panel".to_owned(),
        ButtonStyle::Secondary,
        false,
    )]));
    rows
}

// --- The organizer panel -----------------------------------------------------------------

/// Who answered what, per dungeon (the organizer sees names, not only numbers).
pub fn organizer_embed(detail: &HeadcountDetail) -> Embed {
    let h = &detail.headcount;
    let mut embed = EmbedBuilder::new()
        .title(format!("Organizer panel — headcount #{}", h.headcount_id))
        .description(status_line(h))
        .color(COLOR_INFO);
    for d in dungeons(h) {
        // Each dungeon's field stays within 1024 characters, shared by its lines.
        let budget = FIELD_VALUE_MAX / (1 + d.keys.len()) - 40;
        let interested = detail.interested(&d.code);
        let mut lines = vec![format!(
            "Interested ({}): {}",
            interested.len(),
            mentions(&interested, budget, "nobody yet")
        )];
        for k in &d.keys {
            let holders = detail.key_holders(&k.reaction);
            lines.push(format!(
                "{} ({}): {}",
                catalog().reaction_name(&k.reaction),
                holders.len(),
                mentions(&holders, budget, "nobody")
            ));
        }
        embed = embed.field(EmbedFieldBuilder::new(d.name.clone(), lines.join("\n")));
    }
    embed.build()
}

/// Convert (one button per dungeon) and End; none once closed.
pub fn organizer_components(h: &Headcount) -> Vec<Component> {
    if !h.status.is_open() {
        return Vec::new();
    }
    let hc = h.headcount_id;
    let converts = dungeons(h)
        .into_iter()
        .map(|d| {
            button(
                id(hc, HeadcountButton::Convert(d.code.clone())),
                format!("Convert to {} run", d.name),
                ButtonStyle::Success,
                false,
            )
        })
        .collect();
    vec![
        row(converts),
        row(vec![button(
            id(hc, HeadcountButton::End),
            "End headcount".to_owned(),
            ButtonStyle::Danger,
            false,
        )]),
    ]
}

// --- Answers -----------------------------------------------------------------------------

pub fn posted(h: &Headcount) -> String {
    match h.panel_channel_id {
        Some(channel) => format!(
            "Your headcount #{} ({}) is posted in <#{channel}>. Convert it to a run or end it \
             from here, or from **Organizer panel** on the headcount.",
            h.headcount_id,
            names(h)
        ),
        None => format!("Your headcount #{} is created.", h.headcount_id),
    }
}

pub fn toggled(kind: ReactionKind, code: &str, on: bool) -> String {
    match (kind, on) {
        (ReactionKind::Interest, true) => format!(
            "You are interested in {}. Press again to withdraw.",
            catalog().dungeon_name(code)
        ),
        (ReactionKind::Interest, false) => format!(
            "You are no longer marked interested in {}.",
            catalog().dungeon_name(code)
        ),
        (ReactionKind::Key, true) => format!(
            "You are listed with a {}. Press again to withdraw.",
            catalog().reaction_name(code)
        ),
        (ReactionKind::Key, false) => format!(
            "You are no longer listed with a {}.",
            catalog().reaction_name(code)
        ),
    }
}

pub fn converted(run: &Run, keys_copied: u64) -> String {
    let keys = match keys_copied {
        0 => String::new(),
        1 => " 1 key holder was carried over.".to_owned(),
        n => format!(" {n} key holders were carried over."),
    };
    format!(
        "Headcount converted: your {} run #{} is being posted; interested raiders are pinged.{keys} \
         Start it from the run panel below when the raid begins.",
        catalog().dungeon_name(&run.dungeon_code),
        run.run_id
    )
}

pub fn ended() -> &'static str {
    "Headcount ended."
}

/// "The Shatters run is up" with a link to its panel, mentioning the headcount's
/// interested raiders and key holders of that dungeon; within Discord's 2000 characters.
pub fn run_announcement(
    detail: &HeadcountDetail,
    run: &Run,
    panel_link: &str,
    notify: &[Snowflake],
) -> String {
    let head = format!(
        "**The {} run is up** (from headcount #{}) — press **Join** on its panel: {panel_link}",
        catalog().dungeon_name(&run.dungeon_code),
        detail.headcount.headcount_id
    );
    if notify.is_empty() {
        return head;
    }
    let budget = CONTENT_MAX.saturating_sub(head.len() + 1);
    format!("{head}\n{}", mentions(notify, budget, ""))
}

/// Who to tell about the run: interested in its dungeon, then holders of its keys.
pub fn to_notify(detail: &HeadcountDetail, dungeon: &str) -> Vec<Snowflake> {
    let mut users = detail.interested(dungeon);
    if let Some(d) = catalog().dungeon(dungeon) {
        for k in &d.keys {
            for u in detail.key_holders(&k.reaction) {
                if !users.contains(&u) {
                    users.push(u);
                }
            }
        }
    }
    users
}

// --- raid_log ----------------------------------------------------------------------------

pub fn log_entry(event: &LogEvent, detail: &HeadcountDetail) -> Option<Embed> {
    let h = &detail.headcount;
    let (title, color) = match event {
        LogEvent::HeadcountCreated { .. } => {
            (format!("Headcount #{} created", h.headcount_id), COLOR_INFO)
        }
        LogEvent::HeadcountConverted { run_id, .. } => (
            format!("Headcount #{} converted to run #{run_id}", h.headcount_id),
            COLOR_OK,
        ),
        LogEvent::HeadcountEnded { .. } if h.close_reason.as_deref() == Some("auto") => (
            format!("Headcount #{} closed automatically", h.headcount_id),
            COLOR_WARN,
        ),
        LogEvent::HeadcountEnded { .. } => {
            (format!("Headcount #{} ended", h.headcount_id), COLOR_WARN)
        }
        _ => return None,
    };
    let mut embed = EmbedBuilder::new()
        .title(title)
        .color(color)
        .field(EmbedFieldBuilder::new("Organizer", format!("<@{}>", h.organizer_id)).inline())
        .field(EmbedFieldBuilder::new("Dungeons", names(h)).inline());
    if !matches!(event, LogEvent::HeadcountCreated { .. }) {
        if let Some(by) = h.closed_by {
            embed = embed.field(EmbedFieldBuilder::new("By", format!("<@{by}>")).inline());
        }
        for d in dungeons(h) {
            embed = embed.field(EmbedFieldBuilder::new(d.name.clone(), counts(detail, d)).inline());
        }
    }
    Some(
        embed
            .footer(EmbedFooterBuilder::new(format!(
                "Headcount #{}",
                h.headcount_id
            )))
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use service::headcounts::Reaction;

    fn sf(v: u64) -> Snowflake {
        Snowflake::new(v).unwrap()
    }

    fn detail(codes: &[&str], answers: u64, status: HeadcountStatus) -> HeadcountDetail {
        let now = Utc::now();
        let headcount = Headcount {
            guild_id: sf(1),
            headcount_id: 9_223_372_036_854_775_807,
            organizer_id: sf(42),
            status,
            dungeons: codes.iter().map(|c| (*c).to_owned()).collect(),
            auto_end_at: now,
            panel_channel_id: Some(sf(5)),
            panel_message_id: None,
            created_at: now,
            closed_at: (status != HeadcountStatus::Open).then_some(now),
            closed_by: None,
            close_reason: (status == HeadcountStatus::Ended).then(|| "auto".to_owned()),
            converted_run_id: (status == HeadcountStatus::Converted).then_some(3),
        };
        let mut reactions = Vec::new();
        for (i, code) in codes.iter().enumerate() {
            let d = catalog().dungeon(code).unwrap();
            for u in 0..answers {
                let user = sf(100_000_000_000_000_000 + u + 1000 * i as u64);
                reactions.push(Reaction {
                    kind: ReactionKind::Interest,
                    code: d.code.clone(),
                    user_id: user,
                    created_at: now,
                });
                for k in &d.keys {
                    reactions.push(Reaction {
                        kind: ReactionKind::Key,
                        code: k.reaction.clone(),
                        user_id: user,
                        created_at: now,
                    });
                }
            }
        }
        HeadcountDetail {
            headcount,
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

    fn buttons(rows: &[Component]) -> Vec<(String, String)> {
        rows.iter()
            .flat_map(|r| match r {
                Component::ActionRow(a) => a.components.clone(),
                _ => Vec::new(),
            })
            .filter_map(|c| match c {
                Component::Button(b) => Some((b.custom_id?, b.label?)),
                _ => None,
            })
            .collect()
    }

    /// The largest headcounts (the dungeons with the most keys) with hundreds of answers.
    #[test]
    fn the_biggest_panels_fit_discord_limits() {
        let biggest = [
            "oryx_3",
            "lost_halls",
            "the_void",
            "candyland_hunting_grounds",
        ];
        let d = detail(&biggest, 300, HeadcountStatus::Open);
        for e in [panel_embed(&d), organizer_embed(&d)] {
            assert!(embed_chars(&e) <= 6000, "{}", embed_chars(&e));
            assert!(e.fields.len() <= 25);
            assert!(e.title.as_deref().unwrap().chars().count() <= 256);
            for f in &e.fields {
                assert!(f.value.chars().count() <= 1024, "{}", f.value.len());
                assert!(!f.value.is_empty() && f.name.chars().count() <= 256);
            }
        }
        let rows = panel_components(&d.headcount);
        assert!(rows.len() <= 5, "{} rows", rows.len());
        for r in &rows {
            let Component::ActionRow(a) = r else {
                panic!("not a row")
            };
            assert!((1..=5).contains(&a.components.len()));
        }
        let all = buttons(&rows);
        let mut ids: Vec<_> = all.iter().map(|b| b.0.clone()).collect();
        assert!(
            ids.iter()
                .all(|i| i.len() <= 100 && CustomId::parse(i).is_some())
        );
        assert!(all.iter().all(|b| b.1.chars().count() <= 80));
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "custom ids are unique even with shared keys");
        // 4 Interested + 4 + 3 + 1 (shared vial shown once) + 1 keys + organizer button.
        assert_eq!(n, 4 + 4 + 3 + 1 + 1 + 1);
        let org = organizer_components(&d.headcount);
        assert_eq!(buttons(&org).len(), 5);
        let organizer = organizer_embed(&d);
        assert!(organizer.fields[0].value.contains("… and"));
    }

    #[test]
    fn every_dungeon_of_the_catalog_fits_a_panel_row() {
        for chunk in catalog().dungeons.chunks(MAX_DUNGEONS) {
            let codes: Vec<&str> = chunk.iter().map(|d| d.code.as_str()).collect();
            let d = detail(&codes, 2, HeadcountStatus::Open);
            assert!(panel_components(&d.headcount).len() <= 5);
            assert!(embed_chars(&panel_embed(&d)) <= 6000);
        }
    }

    #[test]
    fn closed_panels_have_no_buttons_and_say_how_they_ended() {
        let d = detail(&["shatters"], 1, HeadcountStatus::Converted);
        assert!(panel_components(&d.headcount).is_empty());
        assert!(organizer_components(&d.headcount).is_empty());
        let e = panel_embed(&d);
        assert!(e.fields[0].value.starts_with("✅ Converted to run #3"));
        let d = detail(&["shatters"], 1, HeadcountStatus::Ended);
        assert!(
            panel_embed(&d).fields[0]
                .value
                .contains("Closed automatically")
        );
    }

    #[test]
    fn the_announcement_stays_within_2000_characters() {
        let d = detail(&["shatters"], 400, HeadcountStatus::Converted);
        let notify = to_notify(&d, "shatters");
        assert_eq!(notify.len(), 400);
        let now = Utc::now();
        let run = Run {
            guild_id: sf(1),
            run_id: 3,
            organizer_id: sf(42),
            dungeon_code: "shatters".into(),
            party: None,
            location: None,
            description: None,
            status: domain::RunStatus::Open,
            join_locked: false,
            auto_end_at: now,
            panel_channel_id: None,
            panel_message_id: None,
            created_at: now,
            started_at: None,
            ended_at: None,
            cancelled_at: None,
            closed_by: None,
            closed_by_label: None,
            close_reason: None,
            raider_cap: None,
            run_role_id: None,
            ping_message_id: None,
            chain_amount: None,
            key_window_ends_at: None,
            location_set_at: None,
            o3_stage: None,
            o3_miniboss: None,
            realm_score: None,
            screenshot_url: None,
            o3_ping_message_id: None,
            participant_count: 0,
            bench_count: 0,
            keys_popped: 0,
        };
        let link = "https://discord.com/channels/1/2/3";
        let text = run_announcement(&d, &run, link, &notify);
        assert!(text.chars().count() <= CONTENT_MAX, "{}", text.len());
        assert!(text.ends_with("more"), "{text}");
        assert!(text.contains(link));
    }

    #[test]
    fn the_picker_fits_discord_limits() {
        for c in rules::categories() {
            let draft = Draft {
                draft_id: i64::MAX,
                organizer_id: sf(42),
                category: Some(rules::category_slug(c)),
                dungeons: rules::dungeons_in(c)
                    .iter()
                    .take(MAX_DUNGEONS)
                    .map(|d| d.code.clone())
                    .collect(),
            };
            let data = picker(&draft, None);
            let rows = data.components.unwrap();
            assert_eq!(rows.len(), 3);
        }
        let empty = Draft {
            draft_id: 1,
            organizer_id: sf(42),
            category: None,
            dungeons: Vec::new(),
        };
        let rows = picker(&empty, None).components.unwrap();
        assert_eq!(rows.len(), 2, "category select and a disabled Post");
    }
}
