//! Scheduled raids: the announcement (time in every reader's zone, counts, buttons), the
//! reminder, the DMs, answers to presses, the settings and the `/stats` line.

use domain::catalog::catalog;
use domain::schedule::{ScheduleStatus, SignupKind};
use domain::{CustomId, ScheduleButton, ScheduleComponent, Snowflake};
use service::schedule::{MemberRecord, ScheduleDetail, ScheduleSettings, Scheduled};
use twilight_model::channel::message::Component;
use twilight_model::channel::message::component::ButtonStyle;
use twilight_model::channel::message::embed::{Embed, EmbedField};
use twilight_util::builder::embed::{EmbedBuilder, EmbedFieldBuilder, EmbedFooterBuilder};

use super::components::{self, row};
use super::{COLOR_INFO, FIELD_VALUE_MAX, mentions};

/// Discord's limit on a message's content.
const CONTENT_MAX: usize = 2000;
/// Discord's limit on buttons in one row.
const ROW_MAX: usize = 5;

fn id(schedule_id: i64, button: ScheduleButton) -> String {
    CustomId::Schedule(ScheduleComponent::new(schedule_id, button)).to_string()
}

fn button(custom_id: String, label: String, style: ButtonStyle) -> Component {
    components::button(custom_id, label.chars().take(80).collect::<String>(), style)
}

fn dungeon_name(s: &Scheduled) -> String {
    catalog().dungeon_name(&s.dungeon_code).to_string()
}

/// `<t:…:F> (<t:…:R>)`: Discord shows it in each reader's own time zone.
pub fn when(s: &Scheduled) -> String {
    let t = s.starts_at.timestamp();
    format!("<t:{t}:F> (<t:{t}:R>)")
}

fn status_line(s: &Scheduled) -> String {
    match (s.status, s.run_id) {
        (ScheduleStatus::Scheduled, _) => {
            "Scheduled: the run panel opens by itself at the time.".to_owned()
        }
        (ScheduleStatus::Opened, Some(run)) => {
            format!("Open now as run #{run}: press **Join** on its panel.")
        }
        (ScheduleStatus::Opened, None) => "Open now.".to_owned(),
        (ScheduleStatus::Cancelled, _) => "Called off by the organizer.".to_owned(),
    }
}

/// The public announcement's embed.
pub fn panel_embed(d: &ScheduleDetail) -> Embed {
    let s = &d.scheduled;
    let dungeon = catalog().dungeon(&s.dungeon_code);
    let mut description = format!("Organized by <@{}>\n**When:** {}", s.organizer_id, when(s));
    if let Some(cap) = s.raider_cap {
        description.push_str(&format!("\n**Raiders:** at most {cap}"));
    }
    if let Some(text) = &s.description {
        description.push_str(&format!("\n\n{text}"));
    }
    if s.status == ScheduleStatus::Scheduled {
        description.push_str(
            "\n\nPress **Sign up** to be pinged before it starts and told when it opens, \
             **Maybe** if you might come, or a key if you will bring one.",
        );
    }
    let going = d.who(SignupKind::Going);
    let maybe = d.who(SignupKind::Maybe);
    let budget = FIELD_VALUE_MAX - 40;
    let mut embed = EmbedBuilder::new()
        .title(format!("Scheduled raid: {}", dungeon_name(s)))
        .description(description)
        .color(dungeon.and_then(|d| d.color()).unwrap_or(COLOR_INFO))
        .field(EmbedFieldBuilder::new("Status", status_line(s)))
        .field(
            EmbedFieldBuilder::new(
                format!("Signed up ({})", going.len()),
                mentions(&going, budget, "nobody yet"),
            )
            .inline(),
        )
        .field(
            EmbedFieldBuilder::new(
                format!("Maybe ({})", maybe.len()),
                mentions(&maybe, budget, "nobody"),
            )
            .inline(),
        );
    if !d.no_shows.is_empty() {
        embed = embed.field(EmbedFieldBuilder::new(
            format!("No-shows ({})", d.no_shows.len()),
            mentions(&d.no_shows, budget, ""),
        ));
    }
    if let Some(dg) = dungeon {
        for k in dg.keys.iter().take(ROW_MAX) {
            let holders = d.key_holders(&k.reaction);
            embed = embed.field(
                EmbedFieldBuilder::new(
                    format!(
                        "{} ({})",
                        catalog().reaction_name(&k.reaction),
                        holders.len()
                    ),
                    mentions(&holders, budget / 2, "nobody"),
                )
                .inline(),
            );
        }
    }
    embed
        .footer(EmbedFooterBuilder::new(format!(
            "Scheduled raid #{}",
            s.schedule_id
        )))
        .build()
}

/// Sign up / Maybe / Withdraw with counts, the dungeon's keys, and the organizer's Start
/// now and Cancel; none once it opened or was called off.
pub fn panel_components(d: &ScheduleDetail) -> Vec<Component> {
    let s = &d.scheduled;
    if s.status != ScheduleStatus::Scheduled {
        return Vec::new();
    }
    let sid = s.schedule_id;
    let mut rows = vec![row(vec![
        button(
            id(sid, ScheduleButton::Going),
            format!("Sign up ({})", d.who(SignupKind::Going).len()),
            ButtonStyle::Success,
        ),
        button(
            id(sid, ScheduleButton::Maybe),
            format!("Maybe ({})", d.who(SignupKind::Maybe).len()),
            ButtonStyle::Primary,
        ),
        button(
            id(sid, ScheduleButton::Withdraw),
            "Withdraw".to_owned(),
            ButtonStyle::Secondary,
        ),
    ])];
    if let Some(dg) = catalog().dungeon(&s.dungeon_code) {
        let keys: Vec<Component> = dg
            .keys
            .iter()
            .take(ROW_MAX)
            .map(|k| {
                button(
                    id(sid, ScheduleButton::Key(k.reaction.clone())),
                    format!(
                        "{} ({})",
                        catalog().reaction_name(&k.reaction),
                        d.key_holders(&k.reaction).len()
                    ),
                    ButtonStyle::Secondary,
                )
            })
            .collect();
        if !keys.is_empty() {
            rows.push(row(keys));
        }
    }
    rows.push(row(vec![
        button(
            id(sid, ScheduleButton::Start),
            "Start now (organizer)".to_owned(),
            ButtonStyle::Secondary,
        ),
        button(
            id(sid, ScheduleButton::Cancel),
            "Cancel raid (organizer)".to_owned(),
            ButtonStyle::Danger,
        ),
    ]));
    rows
}

/// The reminder in the raid channel: mentions the signed-up members.
pub fn reminder(d: &ScheduleDetail, link: Option<&str>) -> String {
    let s = &d.scheduled;
    let t = s.starts_at.timestamp();
    let mut head = format!(
        "**Reminder:** the {} raid by <@{}> starts <t:{t}:R> (<t:{t}:t>).",
        dungeon_name(s),
        s.organizer_id
    );
    if let Some(link) = link {
        head.push_str(&format!(" Announcement: {link}"));
    }
    let going = d.who(SignupKind::Going);
    if going.is_empty() {
        return format!("{head}\nNobody has signed up yet.");
    }
    let budget = CONTENT_MAX.saturating_sub(head.len() + 1);
    format!("{head}\n{}", mentions(&going, budget, ""))
}

/// The DM a signed-up member gets when the run opens, and its Join button.
pub fn opened_dm(s: &Scheduled, channel: Option<Snowflake>) -> (String, Vec<Component>) {
    let run = s
        .run_id
        .map(|r| format!(" as run #{r}"))
        .unwrap_or_default();
    let place = channel.map(|c| format!(" in <#{c}>")).unwrap_or_default();
    let text = format!(
        "The {} raid you signed up for is open{run}{place}. Press **Join** to join it.",
        dungeon_name(s)
    );
    let join = row(vec![button(
        id(s.schedule_id, ScheduleButton::Join),
        "Join".to_owned(),
        ButtonStyle::Success,
    )]);
    (text, vec![join])
}

pub fn cancelled_dm(s: &Scheduled) -> String {
    let t = s.starts_at.timestamp();
    format!(
        "The {} raid scheduled for <t:{t}:F> was called off by its organizer.",
        dungeon_name(s)
    )
}

// --- Answers -----------------------------------------------------------------------------

pub fn created(s: &Scheduled) -> String {
    let place = s
        .panel_channel_id
        .map(|c| format!(" and announced in <#{c}>"))
        .unwrap_or_default();
    format!(
        "Your {} raid (scheduled raid #{}) is set for {}{place}. Its run panel opens by itself \
         then with you as organizer. Use the buttons on the announcement to start it early or \
         call it off, and `/reschedule` to move it.",
        dungeon_name(s),
        s.schedule_id,
        when(s)
    )
}

pub fn rescheduled(s: &Scheduled) -> String {
    format!(
        "Scheduled raid #{} ({}) now starts {}.",
        s.schedule_id,
        dungeon_name(s),
        when(s)
    )
}

pub fn answered(button: &ScheduleButton, s: &Scheduled, on: bool) -> String {
    match button {
        ScheduleButton::Going => format!(
            "You signed up for the {} raid {}. You will be pinged before it starts and told by DM when it opens.",
            dungeon_name(s),
            when(s)
        ),
        ScheduleButton::Maybe => {
            format!("You are down as a maybe for the {} raid.", dungeon_name(s))
        }
        ScheduleButton::Withdraw if on => "Your answer was withdrawn.".to_owned(),
        ScheduleButton::Withdraw => "You had not answered this raid.".to_owned(),
        ScheduleButton::Key(code) if on => format!(
            "You are listed as bringing a {}. Press again to withdraw.",
            catalog().reaction_name(code)
        ),
        ScheduleButton::Key(code) => format!(
            "You are no longer listed with a {}.",
            catalog().reaction_name(code)
        ),
        _ => String::new(),
    }
}

pub fn started(s: &Scheduled) -> String {
    let run = s
        .run_id
        .map(|r| format!(" as run #{r}"))
        .unwrap_or_default();
    format!(
        "The {} raid is open{run}; signed-up members are told by DM. Start it from the run panel when the raid begins.",
        dungeon_name(s)
    )
}

pub fn cancelled(s: &Scheduled) -> String {
    format!(
        "Scheduled raid #{} ({}) is called off; signed-up members are told by DM.",
        s.schedule_id,
        dungeon_name(s)
    )
}

pub fn settings(s: &ScheduleSettings) -> String {
    format!(
        "Scheduled raids: local times are read in **{}**; the reminder pings signed-up members **{} minutes** before the start.",
        s.time_zone.name(),
        s.reminder_minutes
    )
}

/// The `/stats` field about scheduled raids, added to the stats embed.
pub fn with_record(mut embed: Embed, r: &MemberRecord) -> Embed {
    embed.fields.push(EmbedField {
        inline: false,
        name: "Scheduled raids".to_owned(),
        value: format!(
            "{} signed up, {} attended, {} no-show{}",
            r.signups,
            r.attended,
            r.no_shows,
            if r.no_shows == 1 { "" } else { "s" }
        ),
    });
    embed
}

/// The DM's Join button of a member who left the raid's server.
pub fn no_longer_a_member() -> String {
    "You are no longer a member of that server.".into()
}
