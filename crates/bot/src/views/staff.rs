//! /purge, /addrole, /createrole, /help and /ping answers, and staff_updates entries.

use std::time::Duration;

use twilight_model::channel::message::embed::Embed;
use twilight_util::builder::embed::{EmbedBuilder, EmbedFieldBuilder, EmbedFooterBuilder};

use super::{COLOR_INFO, fit_lines};

pub fn purged(deleted: usize, asked: i64, skipped_pinned: usize, skipped_old: usize) -> String {
    let mut text = format!("Deleted {deleted} of the last {asked} messages.");
    if skipped_pinned > 0 {
        text.push_str(&format!(" Kept {skipped_pinned} pinned."));
    }
    if skipped_old > 0 {
        text.push_str(&format!(
            " Left {skipped_old} older than 14 days (Discord cannot bulk delete those)."
        ));
    }
    text
}

pub fn role_given(user: domain::Snowflake, role: domain::Snowflake) -> String {
    format!("Gave <@&{role}> to <@{user}>.")
}

pub fn role_created(key: domain::RoleKey, role: domain::Snowflake, existed: bool) -> String {
    if existed {
        format!(
            "`{}` is already mapped to <@&{role}>; nothing created.",
            key.as_str()
        )
    } else if key == domain::RoleKey::Muted {
        format!(
            "Created <@&{role}> and mapped it as `muted`. It is being denied Send Messages, Add Reactions, thread posting and Speak in every channel the bot can manage; channels that refuse are named in `bot_log`."
        )
    } else {
        format!(
            "Created <@&{role}> and mapped it as `{}`. Move it in the role list if it should sit elsewhere.",
            key.as_str()
        )
    }
}

/// `bot_log`: the channels a new muted role could not be denied in.
pub fn muted_refused(role: domain::Snowflake, channels: &[domain::Snowflake]) -> String {
    let list: Vec<String> = channels
        .iter()
        .take(40)
        .map(|c| format!("<#{c}>"))
        .collect();
    let more = channels.len().saturating_sub(list.len());
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!(
        "The muted role <@&{role}> could not be denied Send Messages, Add Reactions and Speak in {} channel{}: {}{more}. Members muted there can still talk; fix the bot's permissions there and set the overwrite by hand.",
        channels.len(),
        if channels.len() == 1 { "" } else { "s" },
        list.join(", ")
    )
}

/// /help: the commands the caller may use, by category, one line each.
pub fn help(sections: &[(&str, Vec<String>)]) -> Embed {
    let mut e = EmbedBuilder::new()
        .title("raidbot commands you can use")
        .color(COLOR_INFO);
    for (category, lines) in sections {
        e = e.field(EmbedFieldBuilder::new(*category, fit_lines(lines, "—")));
    }
    e.footer(EmbedFooterBuilder::new(
        "Only commands your roles allow are listed",
    ))
    .build()
}

fn ms(d: Option<Duration>) -> String {
    d.map_or_else(
        || "not measured yet".into(),
        |d| format!("{} ms", d.as_millis()),
    )
}

/// `/ping`: this process's gateway and database latency, then one line per shard of every
/// process (connected, heartbeat latency, identifies and resumes).
pub fn ping(
    gateway: Option<Duration>,
    database: Option<Duration>,
    shards: &[service::gateway::ShardState],
) -> String {
    let db = match database {
        Some(d) => format!("{} ms", d.as_millis()),
        None => "unreachable".into(),
    };
    let mut text = format!("Pong. Gateway: {}. Database: {db}.", ms(gateway));
    for s in shards {
        let state = if service::gateway::is_connected(s) {
            "connected".to_owned()
        } else {
            format!(
                "disconnected (last seen {} s ago)",
                s.seen_secs_ago.max(0.0).round() as u64
            )
        };
        let latency = s
            .latency_ms
            .map_or_else(|| "no heartbeat yet".to_owned(), |l| format!("{l} ms"));
        let plural =
            |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        text.push_str(&format!(
            "\nShard {}/{}: {state}, {latency}, {}, {}",
            s.shard_id,
            s.shard_total,
            plural(s.identifies, "identify", "identifies"),
            plural(s.resumes, "resume", "resumes"),
        ));
    }
    text
}

pub fn team_entry(user: domain::Snowflake, given: bool) -> Embed {
    let what = if given {
        "joined the team (team role given)"
    } else {
        "left the team (team role removed)"
    };
    EmbedBuilder::new()
        .title("Staff update")
        .description(format!("<@{user}> {what}"))
        .color(COLOR_INFO)
        .build()
}

/// A staff command whose Discord call failed (nothing more was done).
pub fn discord_failed() -> String {
    "Discord refused or did not answer; nothing more was done. Check the bot's permissions and try again.".into()
}
