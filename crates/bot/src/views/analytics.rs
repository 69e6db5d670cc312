//! The words of /raidstats and of the chart on /stats: the same figures the images show,
//! as text for screen readers and for members whose client does not show images.

use chrono::Duration;
use domain::analytics::{StatsPeriod, Summary};

use charts::{dungeon_name, minutes_text};

/// The file name of the /raidstats chart.
pub const RAIDSTATS_FILE: &str = "raidstats.png";
/// The file name of the /stats member chart.
pub const MEMBER_FILE: &str = "runs-per-week.png";

/// Discord's limit on an attachment's description (its alt text).
const ALT_MAX: usize = 1024;
/// Discord's limit on a message's content.
const CONTENT_MAX: usize = 2000;

pub fn period_label(p: StatsPeriod) -> String {
    format!("Last {} weeks", p.weeks())
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v:.1} %"))
}

fn what(s: &Summary) -> String {
    match &s.dungeon {
        Some(d) => dungeon_name(Some(d)),
        None => "All dungeons".to_owned(),
    }
}

fn span(s: &Summary) -> String {
    format!(
        "{} to {} ({} weeks)",
        s.from.format("%Y-%m-%d"),
        (s.to - Duration::days(1)).format("%Y-%m-%d"),
        s.weeks.len()
    )
}

fn outcome_line(s: &Summary) -> String {
    let mut line = format!(
        "Runs: {} · Completed {} ({}) · Auto-ended {} ({}) · Cancelled {} ({})",
        s.total,
        s.completed,
        pct(s.completion_rate()),
        s.auto_ended,
        pct(s.auto_end_rate()),
        s.cancelled,
        pct(s.cancel_rate()),
    );
    if s.active > 0 {
        line.push_str(&format!(" · Still open {}", s.active));
    }
    line
}

fn averages_line(s: &Summary) -> String {
    format!(
        "Average length: {} · Average attendance: {}",
        s.avg_length_secs
            .map_or_else(|| "–".to_owned(), minutes_text),
        s.avg_attendance
            .map_or_else(|| "–".to_owned(), |a| format!("{a:.1} raiders")),
    )
}

fn dungeons_line(s: &Summary) -> String {
    let parts: Vec<String> = s
        .series
        .iter()
        .map(|d| format!("{} {}", dungeon_name(d.dungeon_code.as_deref()), d.total))
        .collect();
    format!("By dungeon: {}", parts.join(", "))
}

fn weeks_line(s: &Summary) -> String {
    let parts: Vec<String> = s
        .weeks
        .iter()
        .zip(&s.per_week)
        .map(|(w, n)| format!("{} {n}", w.format("%b %d")))
        .collect();
    format!("Runs per week: {}", parts.join(", "))
}

fn cut(mut text: String, max: usize) -> String {
    if text.chars().count() > max {
        text = text.chars().take(max - 1).collect::<String>() + "…";
    }
    text
}

/// The answer's text: every figure of the chart.
pub fn summary_text(s: &Summary) -> String {
    let mut lines = vec![
        format!("**Raid statistics** — {}, {}", what(s), span(s)),
        outcome_line(s),
        averages_line(s),
    ];
    if s.total == 0 {
        lines.push("No runs were created in this period.".to_owned());
    } else {
        lines.push(dungeons_line(s));
        lines.push(weeks_line(s));
    }
    cut(lines.join("\n"), CONTENT_MAX)
}

/// The chart's alt text (Discord shows at most 1,024 characters).
pub fn alt_text(s: &Summary) -> String {
    cut(
        format!(
            "Chart of runs per week by dungeon, {}, {}. {}. {}.",
            what(s),
            span(s),
            outcome_line(s),
            averages_line(s)
        ),
        ALT_MAX,
    )
}

/// The /stats member chart's alt text and the line under the stats.
pub fn member_weeks_text(weeks: &[(chrono::DateTime<chrono::Utc>, i64)]) -> String {
    let total: i64 = weeks.iter().map(|w| w.1).sum();
    let parts: Vec<String> = weeks
        .iter()
        .map(|(w, n)| format!("{} {n}", w.format("%b %d")))
        .collect();
    cut(
        format!(
            "Runs completed per week, last {} weeks ({total} in all): {}",
            weeks.len(),
            parts.join(", ")
        ),
        ALT_MAX,
    )
}

/// The /stats embed with the member's chart inside it and, for screen readers, the weekly
/// counts in a field.
pub fn with_member_chart(
    mut embed: twilight_model::channel::message::Embed,
    weeks: &[(chrono::DateTime<chrono::Utc>, i64)],
) -> twilight_model::channel::message::Embed {
    embed.image = Some(twilight_model::channel::message::embed::EmbedImage {
        height: None,
        proxy_url: None,
        url: format!("attachment://{MEMBER_FILE}"),
        width: None,
        content_type: None,
        placeholder: None,
        placeholder_version: None,
        flags: None,
    });
    let total: i64 = weeks.iter().map(|w| w.1).sum();
    let counts: Vec<String> = weeks.iter().map(|w| w.1.to_string()).collect();
    if embed.fields.len() < 25 {
        embed
            .fields
            .push(twilight_model::channel::message::embed::EmbedField {
                inline: false,
                name: format!("Runs per week (last {} weeks)", weeks.len()),
                value: cut(format!("{} — {total} in all", counts.join(" · ")), 1024),
            });
    }
    embed
}
