//! Everything the quota feature shows: config panels, modals, stats, leaderboards, quota
//! panels and quota_log entries.

use std::collections::BTreeMap;

use domain::Snowflake;
use domain::catalog::catalog;
use domain::custom_id::{ConfigAction, CustomId, Nav, QuotaComponent};
use domain::quota::{Currency, Metric, ModAction, PeriodChoice, Points, WEEKDAYS, progress_bar};
use service::quota::PointConfig;
use service::quota::{Awarded, LeaderboardPage, MemberStats, PanelData, QuotaRoleView};
use service::tasks::LogEvent;
use twilight_model::channel::message::component::ButtonStyle;
use twilight_model::channel::message::embed::Embed;
use twilight_model::channel::message::{Component, MessageFlags};
use twilight_model::http::interaction::InteractionResponseData;
use twilight_util::builder::embed::{EmbedBuilder, EmbedFieldBuilder, EmbedFooterBuilder};

use super::components::{self, TextField, row};
use super::pager::{self, Page, Step};
use super::{COLOR_INFO, COLOR_OK, COLOR_WARN, fit_lines};

/// Most characters in one embed description we use (Discord allows 4096).
const DESCRIPTION_BUDGET: usize = 3900;
/// Most characters across a message's embeds we use (Discord allows 6000).
const MESSAGE_BUDGET: usize = 5600;
/// Most messages one quota panel may take.
pub const PANEL_MESSAGES_MAX: usize = 10;

fn id(c: QuotaComponent) -> String {
    CustomId::Quota(c).to_string()
}

fn role_id(role: Snowflake, action: ConfigAction, dungeon: Option<&str>) -> String {
    id(QuotaComponent::Role {
        role_id: role.db(),
        action,
        dungeon: dungeon.map(str::to_owned),
    })
}

fn points_id(guild: Snowflake, action: ConfigAction, dungeon: Option<&str>) -> String {
    id(QuotaComponent::Points {
        guild_id: guild.db(),
        action,
        dungeon: dungeon.map(str::to_owned),
    })
}

fn button(custom_id: String, label: &str, style: ButtonStyle, disabled: bool) -> Component {
    components::button_with_state(custom_id, label, style, disabled)
}

fn select(custom_id: String, placeholder: &str, options: Vec<(String, String)>) -> Component {
    let options = options
        .into_iter()
        .map(|(label, value)| components::option(label, value))
        .collect();
    row(vec![components::select(custom_id, placeholder, options)])
}

/// The dungeon categories in menu order.
pub fn categories() -> Vec<String> {
    let mut cats: Vec<String> = catalog()
        .dungeons
        .iter()
        .map(|d| d.category.clone())
        .collect();
    cats.sort();
    cats.dedup();
    cats
}

fn category_options() -> Vec<(String, String)> {
    categories()
        .into_iter()
        .enumerate()
        .map(|(i, c)| (c, i.to_string()))
        .collect()
}

/// The dungeon select of one category (answer to the category select).
pub fn dungeon_select(custom_id: String, category: &str) -> InteractionResponseData {
    let options: Vec<(String, String)> = catalog()
        .dungeons
        .iter()
        .filter(|d| d.category == category)
        .take(25)
        .map(|d| (d.name.clone(), d.code.clone()))
        .collect();
    InteractionResponseData {
        content: Some(format!(
            "**{category}**: pick the dungeon to set a value for."
        )),
        components: Some(vec![select(custom_id, "Dungeon", options)]),
        flags: Some(MessageFlags::EPHEMERAL),
        ..Default::default()
    }
}

pub fn role_dungeon_select(role: Snowflake, category: &str) -> InteractionResponseData {
    dungeon_select(role_id(role, ConfigAction::Dungeon, None), category)
}

pub fn points_dungeon_select(guild: Snowflake, category: &str) -> InteractionResponseData {
    dungeon_select(points_id(guild, ConfigAction::Dungeon, None), category)
}

/// One text input of a modal: (custom id, label, preset value, required).
pub struct Input<'a> {
    pub id: &'a str,
    pub label: &'a str,
    pub value: Option<String>,
    pub required: bool,
    pub placeholder: Option<&'a str>,
}

pub fn modal(custom_id: String, title: &str, inputs: Vec<Input<'_>>) -> InteractionResponseData {
    let fields = inputs
        .into_iter()
        .map(|i| TextField {
            custom_id: i.id.to_owned(),
            label: i.label.to_owned(),
            value: i.value.filter(|v| !v.is_empty()),
            placeholder: i.placeholder.map(str::to_owned),
            max_length: Some(40),
            required: i.required,
            paragraph: false,
        })
        .collect();
    components::modal(custom_id, title, fields)
}

// ---------- /configquota ----------

pub fn quota_config_embed(v: &QuotaRoleView, note: Option<&str>) -> Embed {
    let q = &v.role;
    let overrides: Vec<String> = q
        .overrides
        .iter()
        .map(|(d, p)| format!("{}: **{p}**", catalog().dungeon_name(d)))
        .collect();
    let moderation: Vec<String> = ModAction::ALL
        .iter()
        .map(|a| {
            let p = q.moderation.get(a.as_str()).copied().unwrap_or_default();
            format!("{}: **{p}**", a.label())
        })
        .collect();
    let mut description = format!("Quota role <@&{}>", q.role_id);
    if !v.configured {
        description.push_str("\n*Not configured yet: the values below are the defaults.*");
    }
    if let Some(n) = note {
        description.push_str(&format!("\n\n{n}"));
    }
    EmbedBuilder::new()
        .title("Quota configuration")
        .description(description)
        .color(COLOR_INFO)
        .field(
            EmbedFieldBuilder::new("Required points", format!("**{}** per period", q.required))
                .inline(),
        )
        .field(EmbedFieldBuilder::new("Schedule", q.schedule.describe()).inline())
        .field(
            EmbedFieldBuilder::new(
                "Current period",
                format!(
                    "<t:{}:f> → <t:{}:f>",
                    v.period.start.timestamp(),
                    v.period.end.timestamp()
                ),
            )
            .inline(),
        )
        .field(
            EmbedFieldBuilder::new(
                "Base points per run",
                format!(
                    "Exalt dungeons: **{}**\nOther dungeons: **{}**",
                    q.exalt_points, q.non_exalt_points
                ),
            )
            .inline(),
        )
        .field(EmbedFieldBuilder::new("Moderation points", moderation.join("\n")).inline())
        .field(EmbedFieldBuilder::new(
            format!("Dungeon overrides ({})", overrides.len()),
            fit_lines(&overrides, "None"),
        ))
        .footer(EmbedFooterBuilder::new(format!("Quota role {}", q.role_id)))
        .build()
}

pub fn quota_config_components(role: Snowflake, configured: bool) -> Vec<Component> {
    let b = |a, label, style| button(role_id(role, a, None), label, style, false);
    vec![
        row(vec![
            b(
                ConfigAction::Required,
                "Required points",
                ButtonStyle::Primary,
            ),
            b(ConfigAction::Schedule, "Schedule", ButtonStyle::Primary),
            b(ConfigAction::Start, "Period start", ButtonStyle::Secondary),
            b(ConfigAction::Base, "Base points", ButtonStyle::Primary),
            b(
                ConfigAction::Moderation,
                "Moderation points",
                ButtonStyle::Secondary,
            ),
        ]),
        select(
            role_id(role, ConfigAction::Category, None),
            "Per-dungeon override: pick a category",
            category_options(),
        ),
        row(vec![
            button(
                role_id(role, ConfigAction::Refresh, None),
                "Refresh panel",
                ButtonStyle::Secondary,
                !configured,
            ),
            button(
                role_id(role, ConfigAction::Reset, None),
                "Reset panel",
                ButtonStyle::Secondary,
                !configured,
            ),
            button(
                role_id(role, ConfigAction::Delete, None),
                "Delete configuration",
                ButtonStyle::Danger,
                !configured,
            ),
        ]),
    ]
}

pub fn quota_delete_confirm(role: Snowflake) -> InteractionResponseData {
    InteractionResponseData {
        content: Some(format!(
            "Delete the quota configuration of <@&{role}>? Its panel is removed; points already earned stay."
        )),
        components: Some(vec![row(vec![button(
            role_id(role, ConfigAction::DeleteConfirm, None),
            "Delete it",
            ButtonStyle::Danger,
            false,
        )])]),
        flags: Some(MessageFlags::EPHEMERAL),
        ..Default::default()
    }
}

pub fn required_modal(role: Snowflake, current: Points) -> InteractionResponseData {
    modal(
        role_id(role, ConfigAction::Required, None),
        "Required points per period",
        vec![Input {
            id: "points",
            label: "Points (up to two decimals)",
            value: Some(current.to_string()),
            required: true,
            placeholder: Some("20"),
        }],
    )
}

/// Current schedule as the modal's preset values: (kind, day, time).
fn schedule_presets(s: &domain::quota::Schedule) -> (String, String, String) {
    use domain::quota::Schedule;
    match *s {
        Schedule::Weekly {
            weekday,
            hour,
            minute,
        } => (
            "weekly".into(),
            WEEKDAYS
                .get(usize::from(weekday))
                .copied()
                .unwrap_or("Monday")
                .into(),
            format!("{hour:02}:{minute:02}"),
        ),
        Schedule::EveryDays { days, anchor } => (
            "days".into(),
            days.to_string(),
            anchor.format("%H:%M").to_string(),
        ),
        Schedule::Monthly { day, hour, minute } => (
            "monthly".into(),
            day.to_string(),
            format!("{hour:02}:{minute:02}"),
        ),
    }
}

pub fn schedule_modal(custom_id: String, s: &domain::quota::Schedule) -> InteractionResponseData {
    let (kind, day, time) = schedule_presets(s);
    modal(
        custom_id,
        "Period schedule (UTC)",
        vec![
            Input {
                id: "kind",
                label: "weekly, days or monthly",
                value: Some(kind),
                required: true,
                placeholder: Some("weekly"),
            },
            Input {
                id: "day",
                label: "Weekday / every N days / day of month",
                value: Some(day),
                required: true,
                placeholder: Some("Monday"),
            },
            Input {
                id: "time",
                label: "Time HH:MM (UTC)",
                value: Some(time),
                required: true,
                placeholder: Some("00:00"),
            },
        ],
    )
}

pub fn role_schedule_modal(
    role: Snowflake,
    s: &domain::quota::Schedule,
) -> InteractionResponseData {
    schedule_modal(role_id(role, ConfigAction::Schedule, None), s)
}

pub fn start_modal(role: Snowflake) -> InteractionResponseData {
    modal(
        role_id(role, ConfigAction::Start, None),
        "Start of the current period",
        vec![Input {
            id: "start",
            label: "YYYY-MM-DD HH:MM (UTC) or now",
            value: None,
            required: true,
            placeholder: Some("2026-11-23 00:00"),
        }],
    )
}

pub fn base_modal(role: Snowflake, exalt: Points, other: Points) -> InteractionResponseData {
    modal(
        role_id(role, ConfigAction::Base, None),
        "Base points per run organized",
        vec![
            Input {
                id: "exalt",
                label: "Exalt dungeons",
                value: Some(exalt.to_string()),
                required: true,
                placeholder: None,
            },
            Input {
                id: "other",
                label: "Other dungeons",
                value: Some(other.to_string()),
                required: true,
                placeholder: None,
            },
        ],
    )
}

pub fn moderation_modal(
    role: Snowflake,
    current: &BTreeMap<String, Points>,
) -> InteractionResponseData {
    let inputs = ModAction::ALL
        .iter()
        .map(|a| Input {
            id: a.as_str(),
            label: a.label(),
            value: Some(
                current
                    .get(a.as_str())
                    .copied()
                    .unwrap_or_default()
                    .to_string(),
            ),
            required: true,
            placeholder: None,
        })
        .collect();
    modal(
        role_id(role, ConfigAction::Moderation, None),
        "Quota points per moderation action",
        inputs,
    )
}

pub fn override_modal(
    role: Snowflake,
    dungeon: &str,
    current: Option<Points>,
) -> InteractionResponseData {
    modal(
        role_id(role, ConfigAction::Override, Some(dungeon)),
        &format!("{} quota points", catalog().dungeon_name(dungeon)),
        vec![Input {
            id: "points",
            label: "Points per run (empty: use the base)",
            value: current.map(|p| p.to_string()),
            required: false,
            placeholder: Some("2"),
        }],
    )
}

// ---------- /configpoints ----------

pub fn points_config_embed(cfg: &PointConfig, note: Option<&str>) -> Embed {
    let lines: Vec<String> = cfg
        .dungeons
        .iter()
        .map(|(d, (c, k))| {
            format!(
                "{}: completion **{}**, key pop **{}**",
                catalog().dungeon_name(d),
                c.unwrap_or(cfg.completion_points),
                k.unwrap_or(cfg.key_pop_points)
            )
        })
        .collect();
    let mut description =
        "Raider points are earned automatically when a run ends: each raider present gets the completion value per dungeon completed, whoever popped a key gets the key-pop value.".to_owned();
    if let Some(n) = note {
        description.push_str(&format!("\n\n{n}"));
    }
    EmbedBuilder::new()
        .title("Raider points configuration")
        .description(description)
        .color(COLOR_INFO)
        .field(
            EmbedFieldBuilder::new("Completion (default)", cfg.completion_points.to_string())
                .inline(),
        )
        .field(EmbedFieldBuilder::new("Key pop (default)", cfg.key_pop_points.to_string()).inline())
        .field(EmbedFieldBuilder::new("Leaderboard period", cfg.schedule.describe()).inline())
        .field(EmbedFieldBuilder::new(
            format!("Per-dungeon values ({})", lines.len()),
            fit_lines(&lines, "None: every dungeon uses the defaults."),
        ))
        .build()
}

pub fn points_config_components(guild: Snowflake) -> Vec<Component> {
    vec![
        row(vec![
            button(
                points_id(guild, ConfigAction::Defaults, None),
                "Default values",
                ButtonStyle::Primary,
                false,
            ),
            button(
                points_id(guild, ConfigAction::Schedule, None),
                "Leaderboard period",
                ButtonStyle::Secondary,
                false,
            ),
        ]),
        select(
            points_id(guild, ConfigAction::Category, None),
            "Per-dungeon values: pick a category",
            category_options(),
        ),
    ]
}

pub fn points_defaults_modal(guild: Snowflake, cfg: &PointConfig) -> InteractionResponseData {
    modal(
        points_id(guild, ConfigAction::Defaults, None),
        "Default raider points",
        vec![
            Input {
                id: "completion",
                label: "Per dungeon completed",
                value: Some(cfg.completion_points.to_string()),
                required: true,
                placeholder: None,
            },
            Input {
                id: "key_pop",
                label: "Per key popped",
                value: Some(cfg.key_pop_points.to_string()),
                required: true,
                placeholder: None,
            },
        ],
    )
}

pub fn points_schedule_modal(guild: Snowflake, cfg: &PointConfig) -> InteractionResponseData {
    schedule_modal(
        points_id(guild, ConfigAction::Schedule, None),
        &cfg.schedule,
    )
}

pub fn points_override_modal(
    guild: Snowflake,
    dungeon: &str,
    cfg: &PointConfig,
) -> InteractionResponseData {
    let (c, k) = cfg.dungeons.get(dungeon).copied().unwrap_or((None, None));
    modal(
        points_id(guild, ConfigAction::Override, Some(dungeon)),
        &format!("{} raider points", catalog().dungeon_name(dungeon)),
        vec![
            Input {
                id: "completion",
                label: "Per completion (empty: default)",
                value: c.map(|p| p.to_string()),
                required: false,
                placeholder: None,
            },
            Input {
                id: "key_pop",
                label: "Per key pop (empty: default)",
                value: k.map(|p| p.to_string()),
                required: false,
                placeholder: None,
            },
        ],
    )
}

// ---------- manual awards ----------

pub fn awarded(a: &Awarded) -> String {
    let what = match a.currency {
        Currency::Quota => "quota points",
        Currency::Raider => "raider points",
    };
    let sign = if a.amount.0 >= 0 { "+" } else { "" };
    let detail = match &a.dungeon {
        Some(d) => format!(" ({} × {})", a.units, catalog().dungeon_name(d)),
        None => String::new(),
    };
    let total = match a.currency {
        Currency::Quota => "this period",
        Currency::Raider => "in total",
    };
    format!(
        "{sign}{} {what} for <@{}>{detail}. They now have **{}** {what} {total}.",
        a.amount, a.member, a.total
    )
}

// ---------- /stats ----------

pub fn stats_embed(s: &MemberStats) -> Embed {
    let quota = match s.quota_role {
        Some((role, required)) => format!(
            "**{}** / {required} this period (<@&{role}>), ends <t:{}:R>\n**{}** all time",
            s.quota_current,
            s.period.end.timestamp(),
            s.quota_all_time
        ),
        None => format!(
            "**{}** this period, **{}** all time",
            s.quota_current, s.quota_all_time
        ),
    };
    let dungeons: Vec<String> = s
        .dungeons
        .iter()
        .map(|d| {
            let mut parts = Vec::new();
            if d.runs_organized != 0 {
                parts.push(format!("{} organized", d.runs_organized));
            }
            if d.runs_completed != 0 {
                parts.push(format!("{} completed", d.runs_completed));
            }
            if d.keys_popped != 0 {
                parts.push(format!("{} keys", d.keys_popped));
            }
            format!(
                "{}: {}",
                catalog().dungeon_name(&d.dungeon_code),
                parts.join(", ")
            )
        })
        .collect();
    let rank = s
        .raider_rank
        .map(|r| format!(" (rank #{r})"))
        .unwrap_or_default();
    EmbedBuilder::new()
        .title("Stats")
        .description(format!("<@{}>", s.member))
        .color(COLOR_INFO)
        .field(
            EmbedFieldBuilder::new("Raider points", format!("**{}**{rank}", s.raider_points))
                .inline(),
        )
        .field(EmbedFieldBuilder::new("Quota points", quota).inline())
        .field(EmbedFieldBuilder::new("Runs organized", s.runs_organized.to_string()).inline())
        .field(EmbedFieldBuilder::new("Runs completed", s.runs_completed.to_string()).inline())
        .field(EmbedFieldBuilder::new("Keys popped", s.keys_popped.to_string()).inline())
        .field(EmbedFieldBuilder::new("Verifications", s.verifications.to_string()).inline())
        .field(EmbedFieldBuilder::new(
            "By dungeon",
            fit_lines(&dungeons, "Nothing yet."),
        ))
        .build()
}

// ---------- /leaderboard ----------

pub fn leaderboard_embed(p: &LeaderboardPage) -> Embed {
    let lines: Vec<String> = p
        .rows
        .iter()
        .map(|r| {
            format!(
                "`{:>4}.` <@{}> — **{}**",
                r.rank,
                r.member_id,
                p.metric.format(r.value)
            )
        })
        .collect();
    let period = match (p.choice, p.period) {
        (PeriodChoice::AllTime, _) => "All time".to_owned(),
        (c, Some(period)) => format!(
            "{}: <t:{}:d> – <t:{}:d>",
            c.label(),
            period.start.timestamp(),
            period.end.timestamp()
        ),
        (c, None) => format!("{}: none yet", c.label()),
    };
    let body = if lines.is_empty() {
        "Nobody is on this leaderboard yet.".to_owned()
    } else {
        lines.join("\n")
    };
    EmbedBuilder::new()
        .title(format!("Leaderboard — {}", p.metric.label()))
        .description(format!("{period}\n\n{body}"))
        .color(COLOR_OK)
        .footer(EmbedFooterBuilder::new(format!(
            "{} · {} members",
            leaderboard_page(p).position(&LEADERBOARD_PAGES),
            p.total
        )))
        .build()
}

/// The leaderboard's pager: First, Prev, Next and Last, "Page 2/5".
const LEADERBOARD_PAGES: pager::Labels = pager::Labels {
    ends: Some(("« First", "Last »")),
    prev: "‹ Prev",
    next: "Next ›",
    of: "/",
};

/// The leaderboard's page as the pager counts it (0-based).
fn leaderboard_page(p: &LeaderboardPage) -> Page {
    let (page, pages) = p.pages();
    let index = u32::try_from(page - 1).unwrap_or(0);
    Page::new(index, u32::try_from(pages).unwrap_or(u32::MAX))
}

pub fn leaderboard_components(p: &LeaderboardPage) -> Vec<Component> {
    let nav = |step: Step| match step {
        Step::First => Nav::First,
        Step::Prev => Nav::Prev,
        Step::Next => Nav::Next,
        Step::Last => Nav::Last,
    };
    vec![pager::buttons(
        leaderboard_page(p),
        &LEADERBOARD_PAGES,
        |step, target| {
            id(QuotaComponent::Leaderboard {
                nav: nav(step),
                page: i64::from(target) + 1,
                metric: p.metric,
                period: p.choice,
            })
        },
    )]
}

// ---------- quota panels ----------

/// The messages (each a list of embeds) of one role's quota panel, split to fit Discord's
/// limits: 4096 characters per description, 6000 per message, 10 embeds per message.
pub fn panel_messages(d: &PanelData) -> Vec<Vec<Embed>> {
    let q = &d.role;
    let mut header = format!(
        "<@&{}> — **{}** points per period\nPeriod ends <t:{}:R> (<t:{}:f>)",
        q.role_id,
        q.required,
        d.period.end.timestamp(),
        d.period.end.timestamp()
    );
    if let Some((_, met, members)) = d.last {
        header.push_str(&format!("\nLast period: {met}/{members} met"));
    }
    let met_now = d.rows.iter().filter(|(_, p)| *p >= q.required).count();
    header.push_str(&format!(
        "\nThis period: **{met_now}/{}** met",
        d.rows.len()
    ));
    let lines: Vec<String> = d
        .rows
        .iter()
        .enumerate()
        .map(|(i, (member, points))| {
            let mark = if *points >= q.required { "✅" } else { "❌" };
            format!(
                "`{:>3}.` <@{member}> {} {}/{} {mark}",
                i + 1,
                progress_bar(*points, q.required, 10),
                points,
                q.required
            )
        })
        .collect();
    // Descriptions: the header then as many lines as fit, then further embeds.
    let mut descriptions: Vec<String> = vec![header];
    if lines.is_empty() {
        descriptions[0].push_str("\n\nNobody holds this role yet (as far as the bot has seen).");
    }
    for line in lines {
        let last = descriptions.last_mut();
        match last {
            Some(text) if text.len() + 1 + line.len() <= DESCRIPTION_BUDGET => {
                text.push('\n');
                text.push_str(&line);
            }
            _ => descriptions.push(line),
        }
    }
    let footer_of =
        |i: usize, n: usize| format!("Quota · role {} · part {}/{}", q.role_id, i + 1, n);
    let count = descriptions.len();
    let mut messages: Vec<Vec<Embed>> = Vec::new();
    let mut size = 0;
    for (i, text) in descriptions.into_iter().enumerate() {
        let mut builder = EmbedBuilder::new()
            .description(text)
            .color(if met_now == d.rows.len() {
                COLOR_OK
            } else {
                COLOR_WARN
            });
        if i == 0 {
            builder = builder.title("Quota");
        }
        let embed = builder
            .footer(EmbedFooterBuilder::new(footer_of(i, count)))
            .build();
        let len = embed.description.as_ref().map_or(0, String::len)
            + embed.title.as_ref().map_or(0, String::len)
            + embed.footer.as_ref().map_or(0, |f| f.text.len());
        let fits = messages
            .last()
            .is_some_and(|m| m.len() < 10 && size + len <= MESSAGE_BUDGET);
        if fits {
            if let Some(m) = messages.last_mut() {
                m.push(embed);
            }
            size += len;
        } else {
            messages.push(vec![embed]);
            size = len;
        }
    }
    messages.truncate(PANEL_MESSAGES_MAX);
    messages
}

// ---------- quota_log ----------

pub fn points_log_entry(event: &LogEvent) -> Option<Embed> {
    let LogEvent::PointsAwarded {
        by,
        member,
        currency,
        kind,
        amount,
        units,
        dungeon,
        reason,
        total,
    } = event
    else {
        return None;
    };
    let (currency, kind, amount, units, total) =
        (*currency, kind.as_str(), *amount, *units, *total);
    let (title, what) = match (currency, kind) {
        (_, "run_logged") => ("Runs logged", "quota points"),
        (_, "key_logged") => ("Keys logged", "raider points"),
        (Currency::Quota, _) => ("Quota points adjusted", "quota points"),
        (Currency::Raider, _) => ("Raider points adjusted", "raider points"),
    };
    let by = if by.bytes().all(|b| b.is_ascii_digit()) {
        format!("<@{by}>")
    } else {
        by.to_owned()
    };
    let mut e = EmbedBuilder::new()
        .title(title)
        .color(if amount >= 0 { COLOR_OK } else { COLOR_WARN })
        .field(EmbedFieldBuilder::new("Member", format!("<@{member}>")).inline())
        .field(EmbedFieldBuilder::new("By", by).inline())
        .field(EmbedFieldBuilder::new("Change", format!("{} {what}", Points(amount))).inline());
    if let Some(d) = dungeon {
        e = e.field(
            EmbedFieldBuilder::new(
                "Dungeon",
                format!("{units} × {}", catalog().dungeon_name(d)),
            )
            .inline(),
        );
    }
    if let Some(r) = reason {
        e = e.field(EmbedFieldBuilder::new("Reason", r));
    }
    Some(
        e.footer(EmbedFooterBuilder::new(format!(
            "Now {} {what}",
            Points(total)
        )))
        .build(),
    )
}

pub fn period_log_entry(
    role: &str,
    end: chrono::DateTime<chrono::Utc>,
    met: usize,
    members: usize,
) -> Embed {
    EmbedBuilder::new()
        .title("Quota period ended")
        .description(format!(
            "<@&{role}>: **{met}/{members}** met the quota in the period that ended <t:{}:f>.",
            end.timestamp()
        ))
        .color(COLOR_INFO)
        .build()
}

/// A leaderboard category or period name for option parsing.
pub fn metric_of(text: Option<&str>) -> Option<Metric> {
    match text {
        None => Some(Metric::RaiderPoints),
        Some(t) => Metric::parse(t).filter(|m| Metric::CATEGORIES.contains(m)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use domain::quota::Schedule;
    use service::quota::QuotaRole;

    #[test]
    fn a_panel_of_300_members_fits_discord() {
        let role = QuotaRole::new(Snowflake::new(4000).unwrap());
        let rows = (0..300u64)
            .map(|i| {
                (
                    Snowflake::new(300_000_000_000_000_000 + i).unwrap(),
                    Points(i as i64 * 7),
                )
            })
            .collect();
        let d = PanelData {
            role: QuotaRole {
                required: Points(2000),
                ..role
            },
            period: Schedule::default().period_containing(Utc::now()),
            rows,
            last: Some((Schedule::default().period_containing(Utc::now()), 3, 300)),
        };
        let messages = panel_messages(&d);
        assert!(messages.len() > 1 && messages.len() <= PANEL_MESSAGES_MAX);
        let mut lines = 0;
        for m in &messages {
            assert!(m.len() <= 10);
            let total: usize = m
                .iter()
                .map(|e| {
                    let d = e.description.as_deref().unwrap_or("");
                    assert!(d.chars().count() <= 4096);
                    lines += d.lines().filter(|l| l.starts_with('`')).count();
                    d.chars().count()
                        + e.title.as_deref().map_or(0, |t| t.chars().count())
                        + e.footer.as_ref().map_or(0, |f| f.text.chars().count())
                })
                .sum();
            assert!(total <= 6000, "{total}");
        }
        assert_eq!(lines, 300, "every member is shown");
    }
}
