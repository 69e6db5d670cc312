//! Log channel entries.

use domain::RunStatus;
use domain::catalog::catalog;
use service::runs::RunDetail;
use service::tasks::{LogEvent, SettingsArea};
use twilight_model::channel::message::embed::Embed;
use twilight_util::builder::embed::{EmbedBuilder, EmbedFieldBuilder, EmbedFooterBuilder};

use super::{COLOR_INFO, COLOR_OK, COLOR_WARN, fit_lines};

fn minutes_between(a: chrono::DateTime<chrono::Utc>, b: chrono::DateTime<chrono::Utc>) -> i64 {
    (b - a).num_minutes().max(0)
}

/// A run lifecycle entry for `raid_log`, from the run's current rows.
pub fn run_entry(event: &LogEvent, detail: &RunDetail) -> Embed {
    let run = &detail.run;
    let dungeon = catalog().dungeon_name(&run.dungeon_code);
    let (title, color) = match (event, run.status) {
        (LogEvent::ScreenshotTaken { .. }, _) => {
            let mut e = EmbedBuilder::new()
                .title(format!("Screenshot — {dungeon} run #{}", run.run_id))
                .color(COLOR_INFO)
                .footer(EmbedFooterBuilder::new(format!("Run #{}", run.run_id)));
            if let Some(url) = run.screenshot_url.as_deref()
                && let Ok(image) = twilight_util::builder::embed::ImageSource::url(url)
            {
                e = e.image(image);
            }
            return e.build();
        }
        (LogEvent::LocationSet { .. }, _) => (
            format!("Location set — {dungeon} run #{}", run.run_id),
            COLOR_INFO,
        ),
        (
            LogEvent::RaiderRemoved {
                user_id, reason, ..
            },
            _,
        ) => {
            return EmbedBuilder::new()
                .title(format!("Raider removed from {dungeon} run #{}", run.run_id))
                .description(format!("<@{user_id}> — {reason}"))
                .color(COLOR_WARN)
                .footer(EmbedFooterBuilder::new(format!("Run #{}", run.run_id)))
                .build();
        }
        (LogEvent::RunCreated { .. }, _) => {
            (format!("{dungeon} run #{} created", run.run_id), COLOR_INFO)
        }
        (LogEvent::RunStarted { .. }, _) => {
            (format!("{dungeon} run #{} started", run.run_id), COLOR_OK)
        }
        (_, RunStatus::Ended) if run.close_reason.as_deref() == Some("auto") => (
            format!("{dungeon} run #{} auto-ended", run.run_id),
            COLOR_WARN,
        ),
        (_, RunStatus::Ended) => (format!("{dungeon} run #{} ended", run.run_id), COLOR_OK),
        (_, _) => (
            format!("{dungeon} run #{} cancelled", run.run_id),
            COLOR_WARN,
        ),
    };
    let mut embed = EmbedBuilder::new()
        .title(title)
        .color(color)
        .field(EmbedFieldBuilder::new("Organizer", format!("<@{}>", run.organizer_id)).inline());
    if let LogEvent::LocationSet { .. } = event {
        embed = embed
            .field(
                EmbedFieldBuilder::new(
                    "Location",
                    run.location.clone().unwrap_or_else(|| "cleared".into()),
                )
                .inline(),
            )
            .field(
                EmbedFieldBuilder::new("Party", run.party.clone().unwrap_or_else(|| "—".into()))
                    .inline(),
            );
    }
    if let LogEvent::RunClosed { .. } = event {
        if run.keys_popped != 0 {
            embed = embed
                .field(EmbedFieldBuilder::new("Keys popped", run.keys_popped.to_string()).inline());
        }
        let closer = (run.closed_by, run.closed_by_label.as_deref());
        let by = match (run.close_reason.as_deref(), closer) {
            (Some("auto"), _) => "the time limit".to_owned(),
            (_, (Some(user), _)) => format!("<@{user}>"),
            // An API key has no Discord user: its label names it.
            (_, (None, Some(label))) => label.to_owned(),
            _ => "staff".to_owned(),
        };
        embed = embed.field(EmbedFieldBuilder::new("Closed by", by).inline());
        if let (Some(start), Some(end)) = (run.started_at, run.ended_at) {
            embed = embed.field(
                EmbedFieldBuilder::new("Duration", format!("{} min", minutes_between(start, end)))
                    .inline(),
            );
        }
        let roster: Vec<String> = detail
            .participants
            .iter()
            .map(|p| match &p.class {
                Some(c) => format!("<@{}> — {c}", p.user_id),
                None => format!("<@{}>", p.user_id),
            })
            .collect();
        embed = embed.field(EmbedFieldBuilder::new(
            format!("Raiders ({})", roster.len()),
            fit_lines(&roster, "None"),
        ));
    }
    embed
        .footer(EmbedFooterBuilder::new(format!("Run #{}", run.run_id)))
        .build()
}

/// A key pop during a run, for `raid_log`.
pub fn key_pop_entry(detail: &RunDetail, pop: Option<service::runs::LoggedPop>) -> Embed {
    let run = &detail.run;
    let (popper, count, key_name) = pop.map_or(("someone".to_owned(), 1, None), |p| {
        (format!("<@{}>", p.user_id), p.count, p.key_name)
    });
    let chain = match run.chain_amount {
        Some(plan) => format!(" — chain {}/{plan}", run.keys_popped),
        None => format!(" — {} popped in this run", run.keys_popped),
    };
    let what = match (count, key_name) {
        (1, None) => "a key".to_owned(),
        (1, Some(name)) => format!("a key ({name})"),
        (n, None) => format!("{n} keys"),
        (n, Some(name)) => format!("{n} keys ({name})"),
    };
    EmbedBuilder::new()
        .title(format!("Key popped in run #{}", run.run_id))
        .description(format!(
            "{popper} popped {what}{chain}. {} raiders present.",
            run.participant_count
        ))
        .color(COLOR_OK)
        .footer(EmbedFooterBuilder::new(format!("Run #{}", run.run_id)))
        .build()
}

/// A raider added or withdrew a reaction while the run was open.
pub fn reaction_entry(
    detail: &RunDetail,
    user: domain::Snowflake,
    reaction: &str,
    added: bool,
) -> Embed {
    let run = &detail.run;
    let name = catalog().reaction_name(reaction);
    let (what, color) = if added {
        (format!("<@{user}> reacted with **{name}**"), COLOR_OK)
    } else {
        (format!("<@{user}> withdrew **{name}**"), COLOR_WARN)
    };
    EmbedBuilder::new()
        .title(format!("Reaction changed in run #{}", run.run_id))
        .description(format!(
            "{what} in the {} run by <@{}>.",
            catalog().dungeon_name(&run.dungeon_code),
            run.organizer_id
        ))
        .color(color)
        .footer(EmbedFooterBuilder::new(format!("Run #{}", run.run_id)))
        .build()
}

/// A configuration change entry for `bot_log`.
pub fn config_entry(event: &LogEvent) -> Option<Embed> {
    if let LogEvent::BotStarted { version } = event {
        return Some(
            EmbedBuilder::new()
                .title("raidbot started")
                .description(format!(
                    "raidbot {version} is up: runs, timers and panels carry on from where they were."
                ))
                .color(COLOR_INFO)
                .build(),
        );
    }
    if let LogEvent::SettingsChanged {
        by,
        area,
        role,
        name,
        changes,
    } = event
    {
        return Some(settings_entry(by, *area, *role, name.as_deref(), changes));
    }
    if let LogEvent::AutoEndChanged { by, before, after } = event {
        return Some(
            EmbedBuilder::new()
                .title("Run length changed")
                .description(format!(
                    "Runs now end by themselves after **{}** (was {}).",
                    super::config::minutes_text(*after),
                    super::config::minutes_text(*before)
                ))
                .color(COLOR_INFO)
                .footer(EmbedFooterBuilder::new(format!("By {by}")))
                .build(),
        );
    }
    let (what, by, changes, mention) = match event {
        LogEvent::RolesChanged { by, changes } => ("Role mapping changed", by, changes, "@&"),
        LogEvent::ChannelsChanged { by, changes } => ("Channel mapping changed", by, changes, "#"),
        _ => return None,
    };
    let lines: Vec<String> = changes
        .iter()
        .map(|(key, value)| match value {
            Some(id) => format!("**{key}** → <{mention}{id}>"),
            None => format!("**{key}** → cleared"),
        })
        .collect();
    Some(
        EmbedBuilder::new()
            .title(what)
            .description(fit_lines(&lines, "No change"))
            .color(COLOR_INFO)
            .footer(EmbedFooterBuilder::new(format!("By {by}")))
            .build(),
    )
}

fn settings_entry(
    by: &str,
    area: SettingsArea,
    role: Option<domain::Snowflake>,
    name: Option<&str>,
    changes: &[(String, String)],
) -> Embed {
    let title = match area {
        SettingsArea::Quota => "Quota settings changed",
        SettingsArea::QuotaDeleted => "Quota configuration deleted",
        SettingsArea::Points => "Raider points settings changed",
        SettingsArea::Verification => "Verification settings changed",
        SettingsArea::RoleVerificationAdded => "Role verification added",
        SettingsArea::RoleVerificationRemoved => "Role verification removed",
        SettingsArea::Schedule => "Scheduled raid settings changed",
        SettingsArea::PublicLeaderboard => "Public leaderboard settings changed",
    };
    let mut lines = Vec::new();
    match (name, role) {
        (Some(n), Some(r)) => lines.push(format!("**{n}** (grants <@&{r}>)")),
        (None, Some(r)) => lines.push(format!("Role <@&{r}>")),
        (Some(n), None) => lines.push(format!("**{n}**")),
        (None, None) => {}
    }
    if area != SettingsArea::QuotaDeleted {
        lines.extend(changes.iter().map(|(key, value)| {
            let value = if value.is_empty() { "cleared" } else { value };
            format!("**{key}** → {value}")
        }));
    }
    EmbedBuilder::new()
        .title(title)
        .description(fit_lines(&lines, "No change"))
        .color(COLOR_INFO)
        .footer(EmbedFooterBuilder::new(format!("By {by}")))
        .build()
}

/// A job that could not be done, for `bot_log`: staff see why.
pub fn failure_entry(what: &str, reason: &str) -> Embed {
    EmbedBuilder::new()
        .title("Something could not be done")
        .description(format!("{what}\n\nReason: {reason}"))
        .color(super::COLOR_ERROR)
        .build()
}
