//! Modmail: closed tickets with their transcripts, and the blacklist. A ticket still open
//! in the original is skipped: its thread and DM conversation belong to the old bot.

use domain::Snowflake;
use store::PgConnection;
use store::import::ImportedMessage;

use super::source::{MessageRow, Source};
use super::{GuildReport, Keys, user_label};

/// raidbot keeps a message body up to this long; a longer one is kept whole as several
/// messages in a row.
const BODY_MAX: usize = 1900;
const REASON_MAX: usize = 500;

pub(super) async fn import(
    tx: &mut PgConnection,
    guild: Snowflake,
    source: &Source,
    report: &mut GuildReport,
) -> anyhow::Result<()> {
    tickets(tx, guild, source, report).await?;
    blacklist(tx, guild, source, report).await
}

async fn tickets(
    tx: &mut PgConnection,
    guild: Snowflake,
    source: &Source,
    report: &mut GuildReport,
) -> anyhow::Result<()> {
    let mut keys = Keys::load(tx, guild, "modmail_ticket").await?;
    for ticket in source.tickets.iter().filter(|t| t.guild_id == guild.db()) {
        let messages: Vec<&MessageRow> = source
            .messages
            .iter()
            .filter(|m| m.ticket_id == ticket.ticket_id)
            .collect();
        report.table("modmail_ticket").source += 1;
        report.table("modmail_message").source += messages.len() as u64;
        if keys.seen(&ticket.ticket_id) {
            report.table("modmail_ticket").already += 1;
            report.table("modmail_message").already += messages.len() as u64;
            continue;
        }
        if ticket.status != "closed" {
            report.table("modmail_ticket").skip(
                &ticket.ticket_id,
                "open ticket: its thread belongs to the old bot; the member writes to raidbot \
                 by DM to open a new one",
            );
            for m in &messages {
                report.table("modmail_message").skip(
                    m.message_id.to_string(),
                    "its ticket is open (see modmail_ticket)",
                );
            }
            continue;
        }
        let Ok(user) = Snowflake::from_db(ticket.user_id) else {
            report.table("modmail_ticket").refuse(
                &ticket.ticket_id,
                format!("`{}` is not a Discord user id", ticket.user_id),
            );
            continue;
        };
        let closed_by = ticket
            .closed_by
            .map_or_else(|| "staff".to_owned(), user_label);
        let (id, code) = store::import::insert_closed_ticket(
            tx,
            guild,
            user,
            ticket.thread_id.and_then(|t| Snowflake::from_db(t).ok()),
            ticket.created_at,
            ticket
                .closed_at
                .unwrap_or(ticket.created_at)
                .max(ticket.created_at),
            &closed_by,
        )
        .await?;
        for m in &messages {
            for part in message_parts(m) {
                store::import::insert_ticket_message(tx, guild, id, &part).await?;
            }
        }
        keys.add(&ticket.ticket_id, Some(code));
        report.table("modmail_ticket").imported += 1;
        report.table("modmail_message").imported += messages.len() as u64;
    }
    keys.save(tx, guild).await
}

/// A source message as raidbot messages: the text in pieces of at most [`BODY_MAX`]
/// characters (the attachments on the first).
fn message_parts(m: &MessageRow) -> Vec<ImportedMessage> {
    let chars: Vec<char> = m.content.chars().collect();
    let mut pieces: Vec<String> = chars.chunks(BODY_MAX).map(|c| c.iter().collect()).collect();
    if pieces.is_empty() {
        pieces.push(String::new());
    }
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, body)| ImportedMessage {
            direction: if m.is_staff_reply { "staff" } else { "member" },
            author_id: Snowflake::from_db(m.author_id).ok(),
            author: user_label(m.author_id),
            body,
            attachments: if i == 0 { attachments(m) } else { Vec::new() },
            created_at: m.sent_at,
        })
        .collect()
}

/// Attachment URLs from the original's JSON array (of URLs, or of objects with `url`).
fn attachments(m: &MessageRow) -> Vec<String> {
    let Some(serde_json::Value::Array(items)) = &m.attachments else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|a| match a {
            serde_json::Value::String(url) => Some(url.clone()),
            serde_json::Value::Object(o) => {
                o.get("url").and_then(|u| u.as_str()).map(str::to_owned)
            }
            _ => None,
        })
        .collect()
}

async fn blacklist(
    tx: &mut PgConnection,
    guild: Snowflake,
    source: &Source,
    report: &mut GuildReport,
) -> anyhow::Result<()> {
    let mut keys = Keys::load(tx, guild, "raider.modmail_blacklist").await?;
    let t = report.table("raider.modmail_blacklist");
    for r in source
        .raiders
        .iter()
        .filter(|r| r.guild_id == guild.db() && r.modmail_blacklisted)
    {
        t.source += 1;
        let id = r.user_id.to_string();
        if keys.seen(&id) {
            t.already += 1;
            continue;
        }
        let Ok(user) = Snowflake::from_db(r.user_id) else {
            t.refuse(&id, format!("`{}` is not a Discord user id", r.user_id));
            continue;
        };
        let reason = r
            .modmail_blacklist_reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .unwrap_or("blacklisted in the original bot");
        if reason.chars().count() > REASON_MAX {
            t.refuse(
                &id,
                format!("the reason has more than {REASON_MAX} characters"),
            );
            continue;
        }
        let by = r
            .modmail_blacklisted_by
            .and_then(|b| Snowflake::from_db(b).ok());
        let at = r
            .modmail_blacklisted_at
            .or(r.created_at)
            .unwrap_or_else(chrono::Utc::now);
        store::import::blacklist(tx, guild, user, reason, by, at).await?;
        keys.add(&id, None);
        t.imported += 1;
    }
    keys.save(tx, guild).await
}
