//! Moderation: staff answers, the member's DM, `punishment_log` entries and the `/find`
//! panel. Notes are shown only here, only to staff.

use domain::moderation::PunishmentKind;
use domain::{CustomId, FindComponent, FindTab};
use service::moderation::{DmStatus, Note, Punishment, PunishmentStatus};
use service::tasks::PunishmentEvent;
use twilight_model::channel::message::component::{ButtonStyle, Component};
use twilight_model::channel::message::embed::Embed;
use twilight_util::builder::embed::{EmbedBuilder, EmbedFieldBuilder, EmbedFooterBuilder};

use super::components::{button_with_state, row};
use super::pager::{self, Page};
use super::{COLOR_INFO, COLOR_OK, COLOR_WARN, fit_lines, relative_time};

fn full_time(t: chrono::DateTime<chrono::Utc>) -> String {
    format!("<t:{}:f>", t.timestamp())
}

fn noun(kind: PunishmentKind) -> &'static str {
    match kind {
        PunishmentKind::Warn => "Warning",
        PunishmentKind::Suspend => "Suspension",
        PunishmentKind::Mute => "Mute",
        PunishmentKind::Kick => "Kick",
        PunishmentKind::Ban => "Ban",
        PunishmentKind::Softban => "Softban",
    }
}

fn dm_line(dm: Option<DmStatus>) -> &'static str {
    match dm {
        Some(DmStatus::Sent) => "They were told by DM.",
        Some(DmStatus::Closed) => {
            "**They could not be told: they do not accept direct messages from the bot.**"
        }
        Some(DmStatus::Failed) => "**The DM to them could not be delivered.**",
        None => {
            "The DM to them is still on its way; the punishment log will say whether it arrived."
        }
    }
}

/// The staff member's answer after a punishment.
pub fn issued(p: &Punishment) -> String {
    let until = p
        .expires_at
        .map(|t| format!(" until {} ({})", full_time(t), relative_time(t)))
        .unwrap_or_default();
    let mut text = format!(
        "`{}` — <@{}> {}{until}. Reason: {}\n{}",
        p.code,
        p.user_id,
        p.kind.done(),
        p.reason,
        dm_line(p.dm_status)
    );
    if let Some(err) = &p.apply_error {
        text.push_str(&format!("\n**Discord's side could not be done:** {err}"));
    }
    text
}

pub fn lifted(p: &Punishment) -> String {
    let what = if p.kind == PunishmentKind::Mute {
        "mute"
    } else {
        "suspension"
    };
    format!(
        "<@{}>'s {what} `{}` is lifted; the role is being removed.",
        p.user_id, p.code
    )
}

pub fn removed(p: &Punishment) -> String {
    format!(
        "`{}` ({} of <@{}>) is removed; it stays in their history as removed.",
        p.code,
        noun(p.kind).to_lowercase(),
        p.user_id
    )
}

pub fn unbanned(user: domain::Snowflake, recorded: usize) -> String {
    let extra = if recorded == 0 {
        " (raidbot had no ban of theirs on record)"
    } else {
        ""
    };
    format!("<@{user}> is being unbanned{extra}.")
}

pub fn note_added(n: &Note) -> String {
    format!(
        "Note #{} added for <@{}>. Staff see it in /find; the member never does.",
        n.note_id, n.user_id
    )
}

pub fn note_removed(n: &Note) -> String {
    format!("Note #{} about <@{}> is removed.", n.note_id, n.user_id)
}

/// The DM the member gets before the role, kick or ban.
pub fn dm_embed(p: &Punishment, guild_name: &str) -> Embed {
    let title = match p.kind {
        PunishmentKind::Warn => format!("You received a warning in {guild_name}"),
        PunishmentKind::Suspend => format!("You are suspended from raids in {guild_name}"),
        PunishmentKind::Mute => format!("You are muted in {guild_name}"),
        PunishmentKind::Kick => format!("You were kicked from {guild_name}"),
        PunishmentKind::Ban | PunishmentKind::Softban => {
            format!("You were banned from {guild_name}")
        }
    };
    let mut e = EmbedBuilder::new()
        .title(title.chars().take(256).collect::<String>())
        .color(COLOR_WARN)
        .field(EmbedFieldBuilder::new("Reason", p.reason.clone()));
    if let Some(t) = p.expires_at {
        e = e.field(EmbedFieldBuilder::new(
            "Ends",
            format!("{} ({})", full_time(t), relative_time(t)),
        ));
    }
    if p.kind == PunishmentKind::Softban {
        e = e.description("This removes your recent messages; you may rejoin at once.");
    }
    e.footer(EmbedFooterBuilder::new(format!("Punishment {}", p.code)))
        .build()
}

/// A `punishment_log` entry, from the row as it is now.
pub fn log_entry(p: &Punishment, what: PunishmentEvent) -> Embed {
    let (title, color) = match what {
        PunishmentEvent::Issued => (format!("{} — {}", noun(p.kind), p.code), COLOR_WARN),
        PunishmentEvent::Expired => (format!("{} expired — {}", noun(p.kind), p.code), COLOR_OK),
        PunishmentEvent::Lifted => (format!("{} lifted — {}", noun(p.kind), p.code), COLOR_OK),
        PunishmentEvent::Removed => (format!("{} removed — {}", noun(p.kind), p.code), COLOR_INFO),
    };
    let by = p
        .actor_id
        .map(|u| format!("<@{u}>"))
        .unwrap_or_else(|| p.actor.clone());
    let mut e = EmbedBuilder::new()
        .title(title)
        .color(color)
        .field(EmbedFieldBuilder::new("Member", format!("<@{}>", p.user_id)).inline())
        .field(EmbedFieldBuilder::new("By", by).inline())
        .field(EmbedFieldBuilder::new("Reason", p.reason.clone()));
    if let Some(t) = p.expires_at
        && what == PunishmentEvent::Issued
    {
        e = e.field(EmbedFieldBuilder::new("Expires", full_time(t)).inline());
    }
    if what == PunishmentEvent::Issued {
        let dm = match p.dm_status {
            Some(DmStatus::Sent) => "delivered",
            Some(DmStatus::Closed) => "not delivered: DMs closed",
            Some(DmStatus::Failed) => "not delivered",
            None => "not sent",
        };
        e = e.field(EmbedFieldBuilder::new("DM", dm).inline());
        if let Some(err) = &p.apply_error {
            e = e.field(EmbedFieldBuilder::new(
                "Not applied on Discord",
                err.clone(),
            ));
        }
    }
    if matches!(what, PunishmentEvent::Lifted | PunishmentEvent::Removed) {
        let by = p
            .ended_by
            .map(|u| format!("<@{u}>"))
            .or_else(|| p.ended_by_label.clone())
            .unwrap_or_else(|| "staff".into());
        let why = p.end_reason.clone().unwrap_or_default();
        let when = p.ended_at.map(full_time).unwrap_or_default();
        e = e.field(EmbedFieldBuilder::new(
            "Ended by",
            format!("{by} {when} — {why}"),
        ));
    }
    e.footer(EmbedFooterBuilder::new(format!("Punishment {}", p.code)))
        .build()
}

pub fn unban_entry(user: domain::Snowflake, by: &str, reason: &str) -> Embed {
    EmbedBuilder::new()
        .title("Unbanned")
        .color(COLOR_OK)
        .field(EmbedFieldBuilder::new("User", format!("<@{user}>")).inline())
        .field(EmbedFieldBuilder::new("By", by.to_owned()).inline())
        .field(EmbedFieldBuilder::new("Reason", reason.to_owned()))
        .build()
}

/// A note's log entry: who and about whom, never its text.
pub fn note_entry(note_id: i64, user: domain::Snowflake, by: &str, removed: bool) -> Embed {
    let what = if removed { "removed" } else { "added" };
    EmbedBuilder::new()
        .title(format!("Staff note #{note_id} {what}"))
        .description(format!("About <@{user}>, by {by}. Read notes with /find."))
        .color(COLOR_INFO)
        .build()
}

// ---------- /find ----------

/// What the info tab shows, read from Discord and the member record.
pub struct MemberInfo {
    pub user: domain::Snowflake,
    pub name: String,
    pub nick: Option<String>,
    pub in_server: bool,
    pub joined: Option<i64>,
    pub roles: Vec<u64>,
    pub ign: Option<String>,
    pub status: Option<String>,
    pub active: Vec<Punishment>,
}

fn button(c: FindComponent, label: &str, current: bool) -> Component {
    let style = if current {
        ButtonStyle::Primary
    } else {
        ButtonStyle::Secondary
    };
    button_with_state(CustomId::Find(c).to_string(), label, style, current)
}

/// /find's pager: Previous and Next, "Page 2 of 5".
const FIND_PAGES: pager::Labels = pager::Labels {
    ends: None,
    prev: "◀ Previous",
    next: "Next ▶",
    of: " of ",
};

/// The tab buttons and, for lists longer than a page, Previous/Next.
pub fn find_components(
    user: domain::Snowflake,
    tab: FindTab,
    page: u32,
    pages: u32,
) -> Vec<Component> {
    let user_id = user.db();
    let tabs = [
        (FindTab::Info, "Member info"),
        (FindTab::Punishments, "Punishments"),
        (FindTab::Notes, "Notes"),
    ]
    .into_iter()
    .map(|(t, label)| {
        button(
            FindComponent {
                tab: t,
                user_id,
                page: 0,
            },
            label,
            t == tab,
        )
    })
    .collect();
    let mut rows = vec![row(tabs)];
    if tab != FindTab::Info && pages > 1 {
        rows.push(pager::buttons(
            Page::new(page, pages),
            &FIND_PAGES,
            |_, page| CustomId::Find(FindComponent { tab, user_id, page }).to_string(),
        ));
    }
    rows
}

pub fn info_embed(i: &MemberInfo) -> Embed {
    let roles: Vec<String> = i.roles.iter().map(|r| format!("<@&{r}>")).collect();
    let active: Vec<String> = i
        .active
        .iter()
        .map(|p| match p.expires_at {
            Some(t) => format!("{} `{}` until {}", noun(p.kind), p.code, full_time(t)),
            None => format!("{} `{}`", noun(p.kind), p.code),
        })
        .collect();
    let mut e = EmbedBuilder::new()
        .title(
            format!("Member info — {}", i.name)
                .chars()
                .take(256)
                .collect::<String>(),
        )
        .color(COLOR_INFO)
        .description(format!("<@{}> (`{}`)", i.user, i.user))
        .field(
            EmbedFieldBuilder::new("Nickname", i.nick.clone().unwrap_or_else(|| "—".into()))
                .inline(),
        )
        .field(
            EmbedFieldBuilder::new(
                "IGN",
                i.ign.clone().unwrap_or_else(|| "not verified".into()),
            )
            .inline(),
        )
        .field(
            EmbedFieldBuilder::new(
                "Verified",
                if i.status.as_deref() == Some("verified") {
                    "yes"
                } else {
                    "no"
                },
            )
            .inline(),
        )
        .field(EmbedFieldBuilder::new("Alts", "none recorded").inline());
    e = match (i.in_server, i.joined) {
        (true, Some(t)) => e.field(EmbedFieldBuilder::new("Joined", format!("<t:{t}:D>")).inline()),
        (true, None) => e,
        (false, _) => e.field(EmbedFieldBuilder::new("In the server", "no").inline()),
    };
    e.field(EmbedFieldBuilder::new("Roles", fit_lines(&roles, "none")))
        .field(EmbedFieldBuilder::new(
            "Running punishments",
            fit_lines(&active, "none"),
        ))
        .footer(EmbedFooterBuilder::new("Only you see this"))
        .build()
}

/// Who ended a punishment, as a mention when it was a member.
fn ended_by(p: &Punishment) -> String {
    p.ended_by
        .map(|u| format!("<@{u}>"))
        .or_else(|| p.ended_by_label.clone())
        .unwrap_or_else(|| "staff".into())
}

/// How a punishment stands or ended: expired (when), lifted or removed (by whom, when,
/// why); an edit is mentioned.
fn status_text(p: &Punishment) -> String {
    let when = p.ended_at.map(full_time).unwrap_or_default();
    let why = p
        .end_reason
        .as_deref()
        .map(|r| format!(": {}", r.chars().take(200).collect::<String>()))
        .unwrap_or_default();
    let mut text = match p.status {
        PunishmentStatus::Active => match p.expires_at {
            Some(t) => format!("**Active** until {}", full_time(t)),
            None => "**Active**".into(),
        },
        PunishmentStatus::Expired => format!("**Expired** {when}"),
        PunishmentStatus::Lifted => format!("**Lifted** by {} {when}{why}", ended_by(p)),
        PunishmentStatus::Removed => format!("**Removed** by {} {when}{why}", ended_by(p)),
    };
    if let (Some(at), Some(by)) = (p.edited_at, p.edited_by_label.as_deref()) {
        text.push_str(&format!("\nEdited by {by} {}", full_time(at)));
    }
    text
}

/// The staff member's answer after /editpunishment.
pub fn edited(
    p: &Punishment,
    old_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    old_reason: Option<&str>,
) -> String {
    let mut lines = vec![format!(
        "`{}` ({} of <@{}>) is changed; they are being told by DM.",
        p.code,
        noun(p.kind).to_lowercase(),
        p.user_id
    )];
    if let (Some(old), Some(new)) = (old_expires_at, p.expires_at) {
        lines.push(format!(
            "Ends {} ({}) instead of {}.",
            full_time(new),
            relative_time(new),
            full_time(old)
        ));
    }
    if old_reason.is_some() {
        lines.push(format!("New reason: {}", p.reason));
    }
    if old_expires_at.is_none() && old_reason.is_none() {
        lines.push("Nothing differed from before.".into());
    }
    lines.join("\n")
}

/// The `punishment_log` entry for an edit: old and new values.
pub fn edited_entry(
    p: &Punishment,
    by: &str,
    old_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    old_reason: Option<&str>,
) -> Embed {
    let mut e = EmbedBuilder::new()
        .title(format!("{} edited — {}", noun(p.kind), p.code))
        .color(COLOR_INFO)
        .field(EmbedFieldBuilder::new("Member", format!("<@{}>", p.user_id)).inline())
        .field(EmbedFieldBuilder::new("Edited by", by.to_owned()).inline());
    if let (Some(old), Some(new)) = (old_expires_at, p.expires_at) {
        e = e.field(EmbedFieldBuilder::new(
            "Ends",
            format!("{} (was {})", full_time(new), full_time(old)),
        ));
    }
    if let Some(old) = old_reason {
        e = e
            .field(EmbedFieldBuilder::new("Reason", p.reason.clone()))
            .field(EmbedFieldBuilder::new(
                "Was",
                old.chars().take(500).collect::<String>(),
            ));
    }
    e.footer(EmbedFooterBuilder::new(format!("Punishment {}", p.code)))
        .build()
}

/// The DM telling the member their punishment changed.
pub fn edited_dm_embed(p: &Punishment, guild_name: &str) -> Embed {
    let title = format!(
        "Your {} in {guild_name} was changed",
        noun(p.kind).to_lowercase()
    );
    let mut e = EmbedBuilder::new()
        .title(title.chars().take(256).collect::<String>())
        .color(COLOR_WARN)
        .field(EmbedFieldBuilder::new("Reason", p.reason.clone()));
    if let Some(t) = p.expires_at {
        e = e.field(EmbedFieldBuilder::new(
            "Ends",
            format!("{} ({})", full_time(t), relative_time(t)),
        ));
    }
    e.footer(EmbedFooterBuilder::new(format!("Punishment {}", p.code)))
        .build()
}

pub fn punishments_embed(
    user: domain::Snowflake,
    items: &[Punishment],
    page: u32,
    pages: u32,
    total: i64,
) -> Embed {
    let mut e = EmbedBuilder::new()
        .title(format!("Punishments — {total} in all"))
        .color(if total == 0 { COLOR_OK } else { COLOR_WARN })
        .description(format!("<@{user}>"));
    if items.is_empty() {
        e = e.description(format!("<@{user}> has no punishments on record."));
    }
    for p in items {
        let by = p
            .actor_id
            .map(|u| format!("<@{u}>"))
            .unwrap_or_else(|| p.actor.clone());
        let value = format!(
            "{}\nBy {by}, {}\n{}",
            p.reason.chars().take(700).collect::<String>(),
            full_time(p.created_at),
            status_text(p)
        );
        e = e.field(EmbedFieldBuilder::new(
            format!("{} `{}`", noun(p.kind), p.code),
            value,
        ));
    }
    e.footer(EmbedFooterBuilder::new(
        Page::new(page, pages).position(&FIND_PAGES),
    ))
    .build()
}

pub fn notes_embed(
    user: domain::Snowflake,
    items: &[Note],
    page: u32,
    pages: u32,
    total: i64,
) -> Embed {
    let mut e = EmbedBuilder::new()
        .title(format!("Staff notes — {total}"))
        .color(COLOR_INFO)
        .description(format!("<@{user}>"));
    if items.is_empty() {
        e = e.description(format!("No notes about <@{user}>."));
    }
    for n in items {
        let by = n
            .author_id
            .map(|u| format!("<@{u}>"))
            .unwrap_or_else(|| n.author.clone());
        let body: String = n.body.chars().take(900).collect();
        e = e.field(EmbedFieldBuilder::new(
            format!("Note #{}", n.note_id),
            format!("{body}\nBy {by}, {}", full_time(n.created_at)),
        ));
    }
    e.footer(EmbedFooterBuilder::new(
        Page::new(page, pages).position(&FIND_PAGES),
    ))
    .build()
}

pub fn not_a_member(user: domain::Snowflake) -> String {
    format!("<@{user}> is not in this server, so they cannot be kicked.")
}

pub fn discord_unreachable() -> String {
    "Discord did not answer while checking the member; nothing was done. Try again in a moment."
        .into()
}

// ---------- mass actions ----------

/// One member of a mass action's report.
pub struct MassLine {
    /// What staff wrote for them.
    pub entry: String,
    pub user: Option<domain::Snowflake>,
    pub outcome: service::moderation::MassOutcome,
    pub in_server: bool,
}

/// The staff member's report after /masssuspend or /masswarn: per member, done (with the
/// punishment's id) or refused and why.
pub fn mass_report(kind: PunishmentKind, lines: &[MassLine]) -> Embed {
    use service::moderation::MassOutcome;
    let done = lines
        .iter()
        .filter(|l| matches!(l.outcome, MassOutcome::Done { .. }))
        .count();
    let refused = lines.len() - done;
    let mut text: Vec<String> = Vec::with_capacity(lines.len());
    for l in lines {
        let who = l
            .user
            .map(|u| format!("<@{u}>"))
            .unwrap_or_else(|| format!("`{}`", l.entry.chars().take(32).collect::<String>()));
        text.push(match &l.outcome {
            MassOutcome::Done { punishment, fresh } => {
                let mut line = format!("✅ {who} `{}`", punishment.code);
                if !fresh {
                    line.push_str(" (already done by this action)");
                }
                if !l.in_server {
                    line.push_str(" — not in the server: the role is given if they rejoin");
                }
                line
            }
            MassOutcome::Refused(e) => {
                let why: String = super::refusal(e, None).chars().take(150).collect();
                format!("❌ {who}: {why}")
            }
        });
    }
    let what = match kind {
        PunishmentKind::Suspend => "Mass suspension",
        PunishmentKind::Warn => "Mass warning",
        _ => "Mass action",
    };
    EmbedBuilder::new()
        .title(format!("{what}: {done} done, {refused} refused"))
        .color(if refused == 0 { COLOR_OK } else { COLOR_WARN })
        .description(fit_description(&text))
        .footer(EmbedFooterBuilder::new(
            "Each member is told by DM; the punishment log lists each one.",
        ))
        .build()
}

/// Lines joined to fit an embed description (4096), with "… and n more" when cut.
fn fit_description(lines: &[String]) -> String {
    const MAX: usize = 4000;
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if out.chars().count() + line.chars().count() + 1 > MAX {
            out.push_str(&format!("… and {} more", lines.len() - i));
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

// ---------- escalation and rejoin ----------

fn kind_plural(kind: &str, n: i64) -> String {
    let one = match kind {
        "warn" => "warning",
        "suspend" => "suspension",
        "mute" => "mute",
        "kick" => "kick",
        "ban" => "ban",
        "softban" => "softban",
        other => other,
    };
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// A rule in words: "3 warnings within 30 days → suspend for 2d".
pub fn rule_text(r: &service::escalation::Rule) -> String {
    let then = match (r.action.as_str(), r.action_minutes) {
        ("notify", _) => "tell officers".to_owned(),
        (action, Some(m)) => {
            let d = domain::moderation::PunishDuration::from_minutes(i64::from(m))
                .map(|d| d.to_string())
                .unwrap_or_else(|_| format!("{m}m"));
            format!("{action} for {d}")
        }
        (action, None) => action.to_owned(),
    };
    format!(
        "#{}: {} within {} days → {then}",
        r.rule_id,
        kind_plural(r.trigger_kind.as_str(), i64::from(r.threshold)),
        r.within_days
    )
}

/// The mention that tells officers about an escalation.
pub fn officer_ping(role: domain::Snowflake) -> String {
    format!("<@&{role}> an escalation rule needs your attention.")
}

/// The `punishment_log` entry of a rule that fired.
pub fn escalation_entry(
    rule_id: i64,
    rule: Option<&service::escalation::Rule>,
    user: domain::Snowflake,
    trigger: &Punishment,
    result: Option<&Punishment>,
    already: Option<&str>,
) -> Embed {
    let rule = rule
        .map(rule_text)
        .unwrap_or_else(|| format!("#{rule_id} (since removed)"));
    let outcome = match (result, already) {
        (Some(p), _) => format!(
            "{} `{}`{}",
            noun(p.kind),
            p.code,
            p.expires_at
                .map(|t| format!(" until {}", full_time(t)))
                .unwrap_or_default()
        ),
        (None, Some(code)) => {
            format!("Nothing given: `{code}` of the same kind is already running.")
        }
        (None, None) => "Officers are told.".to_owned(),
    };
    EmbedBuilder::new()
        .title(format!("Escalation rule #{rule_id} fired"))
        .color(COLOR_WARN)
        .field(EmbedFieldBuilder::new("Member", format!("<@{user}>")).inline())
        .field(EmbedFieldBuilder::new("Reached by", format!("`{}`", trigger.code)).inline())
        .field(EmbedFieldBuilder::new("Rule", rule))
        .field(EmbedFieldBuilder::new("Result", outcome))
        .build()
}

/// The `punishment_log` flag on a member with a record who joined again.
pub fn rejoined_entry(user: domain::Snowflake, record: &[service::tasks::KindCount]) -> Embed {
    let running: i64 = record.iter().map(|k| k.active).sum();
    let earlier: Vec<String> = record
        .iter()
        .filter(|k| k.total > 0)
        .map(|k| kind_plural(&k.kind, k.total))
        .collect();
    let mut text = format!("<@{user}> rejoined; earlier: {}.", earlier.join(", "));
    if running > 0 {
        let kinds: Vec<String> = record
            .iter()
            .filter(|k| k.active > 0)
            .map(|k| kind_plural(&k.kind, k.active))
            .collect();
        text.push_str(&format!(
            " Still running: {} (the role is given back).",
            kinds.join(", ")
        ));
    }
    EmbedBuilder::new()
        .title("Member rejoined with a record")
        .color(if running > 0 { COLOR_WARN } else { COLOR_INFO })
        .description(text)
        .footer(EmbedFooterBuilder::new("See /find for the history"))
        .build()
}

/// /configescalation's answer: the rules in force and the warning expiry.
pub fn escalation_settings(s: &service::escalation::Settings, done: Option<&str>) -> Embed {
    let rules: Vec<String> = s.rules.iter().map(rule_text).collect();
    let expiry = match s.warn_expiry_days {
        Some(d) => format!("Warnings stop counting after {d} days."),
        None => "Warnings always count (no expiry).".to_owned(),
    };
    let mut e = EmbedBuilder::new()
        .title("Escalation rules")
        .color(COLOR_INFO)
        .field(EmbedFieldBuilder::new(
            "Rules in force",
            fit_lines(&rules, "none"),
        ))
        .field(EmbedFieldBuilder::new("Warning expiry", expiry));
    if let Some(done) = done {
        e = e.description(done.to_owned());
    }
    e.footer(EmbedFooterBuilder::new(
        "Rules are checked when a punishment is given, once per punishment that reaches them.",
    ))
    .build()
}

pub fn warn_expiry_set(days: Option<i64>) -> String {
    match days {
        Some(d) => format!("Warnings now stop counting after {d} days."),
        None => "Warnings now count forever.".to_owned(),
    }
}

pub fn rule_removed(id: i64) -> String {
    format!("Rule #{id} is removed.")
}

pub fn rule_added(r: &service::escalation::Rule) -> String {
    format!("Rule added: {}", rule_text(r))
}
