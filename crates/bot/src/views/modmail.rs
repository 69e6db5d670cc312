//! Everything modmail says: DM answers to members, thread posts, staff confirmations.

use domain::moderation::MODMAIL_MESSAGE_MAX;
use domain::{CustomId, ModmailAction, ModmailComponent};
use service::modmail::DmOutcome;
use service::modmail::{Ticket, TicketMessage};
use twilight_model::channel::message::Component;
use twilight_model::channel::message::component::ButtonStyle;
use twilight_model::channel::message::embed::Embed;
use twilight_model::http::interaction::InteractionResponseData;
use twilight_util::builder::embed::{EmbedBuilder, EmbedFieldBuilder, EmbedFooterBuilder};

use super::components::{button, option, row, select};
use super::{COLOR_INFO, COLOR_OK, COLOR_WARN};

/// The answer to a member's DM. `name` gives a server's name.
pub fn dm_outcome(o: &DmOutcome, name: impl Fn(domain::Snowflake) -> String) -> String {
    match o {
        DmOutcome::Relayed { guild, code } => {
            format!(
                "Sent to the staff of **{}** (ticket `{code}`).",
                name(*guild)
            )
        }
        DmOutcome::ChooseGuild { candidates } => {
            let names: Vec<String> = candidates
                .iter()
                .map(|g| format!("**{}**", name(*g)))
                .collect();
            format!(
                "Which server is your message for? Pick it in the menu below ({}), or reply `cancel`.",
                names.join(", ")
            )
        }
        DmOutcome::InvalidChoice { .. } => {
            "Please pick the server in the menu above, or reply `cancel`.".into()
        }
        DmOutcome::Confirm { guild } => format!(
            "Open a modmail ticket with the staff of **{}** with your message? Press **Open ticket** (or reply `yes`) to send it, **Cancel** (or `no`) to drop it.",
            name(*guild)
        ),
        DmOutcome::Expired => {
            "This choice is no longer open: nothing changed. Send me a message to start again."
                .into()
        }
        DmOutcome::Opened { guild, code } => format!(
            "Your ticket `{code}` is open: the staff of **{}** will answer here. Your next messages go to the same ticket; reply `close` to close it.",
            name(*guild)
        ),
        DmOutcome::Cancelled => "Cancelled: nothing was sent.".into(),
        DmOutcome::Blacklisted { guild, until: None } => format!(
            "Sorry, the staff of **{}** are not taking modmail from you at the moment. If you think this is a mistake, please reach out to a staff member another way.",
            name(*guild)
        ),
        DmOutcome::Blacklisted {
            guild,
            until: Some(at),
        } => format!(
            "Sorry, the staff of **{}** are not taking modmail from you until <t:{}:f> ({} UTC). I will tell you when you can write again.",
            name(*guild),
            at.timestamp(),
            at.format("%Y-%m-%d %H:%M")
        ),
        DmOutcome::Cooldown { guild, minutes } => format!(
            "You closed a ticket with **{}** a moment ago; you can open a new one in {minutes} minute{}.",
            name(*guild),
            if *minutes == 1 { "" } else { "s" }
        ),
        DmOutcome::NoGuild => {
            "I could not find a server we share that takes modmail, so nothing was sent.".into()
        }
        DmOutcome::Closed { guild, code } => format!(
            "Your ticket `{code}` with **{}** is closed. Thank you!",
            name(*guild)
        ),
        DmOutcome::TooLong { len } => format!(
            "That message is {len} characters; modmail takes at most {MODMAIL_MESSAGE_MAX}. Please split it."
        ),
        DmOutcome::EmptyMessage => "Write your message for the staff in `message`.".into(),
    }
}

/// The components under a DM answer: the server menu, or Open ticket / Cancel.
pub fn dm_components(
    o: &DmOutcome,
    user: domain::Snowflake,
    name: impl Fn(domain::Snowflake) -> String,
) -> Vec<Component> {
    let id = |action| {
        CustomId::Modmail(ModmailComponent::new(
            action,
            i64::try_from(user.get()).unwrap_or(i64::MAX),
        ))
        .to_string()
    };
    match o {
        DmOutcome::ChooseGuild { candidates } => {
            // A select menu holds at most 25 options.
            let options = candidates
                .iter()
                .take(25)
                .map(|g| {
                    option(
                        name(*g).chars().take(100).collect::<String>(),
                        g.get().to_string(),
                    )
                })
                .collect();
            vec![row(vec![select(
                id(ModmailAction::ChooseGuild),
                "Choose the server",
                options,
            )])]
        }
        DmOutcome::Confirm { .. } => vec![row(vec![
            button(
                id(ModmailAction::Confirm),
                "Open ticket",
                ButtonStyle::Success,
            ),
            button(id(ModmailAction::Cancel), "Cancel", ButtonStyle::Secondary),
        ])],
        _ => Vec::new(),
    }
}

/// A DM answer as the message replacing the one a component was on (no components left
/// once the choice is made, unless the next step has its own).
pub fn dm_message(
    o: &DmOutcome,
    user: domain::Snowflake,
    name: impl Fn(domain::Snowflake) -> String,
) -> InteractionResponseData {
    InteractionResponseData {
        content: Some(dm_outcome(o, &name)),
        components: Some(dm_components(o, user, &name)),
        ..Default::default()
    }
}

pub fn dm_failed() -> String {
    "Sorry, something went wrong on our side; please try again in a minute.".into()
}

pub fn thread_name(t: &Ticket, member: &str) -> String {
    let name = format!("{} — {member}", t.code);
    name.chars().take(100).collect()
}

pub fn thread_opening(t: &Ticket) -> String {
    format!(
        "Ticket `{}` from <@{}>. Answer by typing `{} <your reply>` here (or `/modmailreply ticket:{} text:...`); anything else you write here stays among staff. Close with `/modmail close ticket:{}`.",
        t.code,
        t.user_id,
        domain::moderation::MODMAIL_REPLY_PREFIX,
        t.code,
        t.code
    )
}

/// In the thread, under a `!r` message that was not sent, and why.
pub fn thread_reply_refused(reason: &str) -> String {
    let s = format!("⚠️ Not sent to the member: {reason}");
    s.chars().take(2000).collect()
}

/// In the thread, under a `!r` message the member could not be sent.
pub fn thread_reply_undelivered(error: &str) -> String {
    format!("⚠️ Not delivered to the member: {error}. It is kept in the ticket's transcript.")
}

/// The reaction on a `!r` message the member got.
pub const DELIVERED: &str = "✅";

fn with_attachments(body: &str, atts: &[String]) -> String {
    let mut s = body.to_owned();
    for a in atts {
        s.push('\n');
        s.push_str(a);
    }
    s
}

/// A member's message, posted in the ticket's thread.
pub fn member_message(m: &TicketMessage) -> String {
    let s = format!(
        "**{}:** {}",
        m.author,
        with_attachments(&m.body, &m.attachments)
    );
    s.chars().take(2000).collect()
}

/// A staff reply, DMed to the member: signed by its author, or by "Staff" alone when sent
/// anonymously (the member never sees who wrote it).
pub fn staff_reply(guild: &str, t: &Ticket, m: &TicketMessage) -> String {
    let s = if m.anonymous {
        format!("**Staff** of {guild} (`{}`): {}", t.code, m.body)
    } else {
        format!(
            "**{}** of the staff of {guild} (`{}`): {}",
            m.author, t.code, m.body
        )
    };
    s.chars().take(2000).collect()
}

/// A staff reply as echoed in the thread (staff see who wrote an anonymous one).
pub fn staff_echo(m: &TicketMessage, error: Option<&str>) -> String {
    let who = if m.anonymous {
        format!("{} (as Staff)", m.author)
    } else {
        m.author.clone()
    };
    let s = match error {
        None => format!("**{who} → member:** {}", m.body),
        Some(e) => format!("**{who} → member (not delivered: {e}):** {}", m.body),
    };
    s.chars().take(2000).collect()
}

pub fn closed_summary(t: &Ticket, messages: usize) -> String {
    format!(
        "Ticket `{}` closed by {} — {messages} message{} in the transcript.",
        t.code,
        t.closed_by.as_deref().unwrap_or("staff"),
        if messages == 1 { "" } else { "s" }
    )
}

pub fn closed_dm(guild: &str, t: &Ticket) -> String {
    format!(
        "Your ticket `{}` with **{guild}** was closed. DM me again any time to open a new one.",
        t.code
    )
}

pub fn replied(t: &Ticket, anonymous: bool) -> String {
    if anonymous {
        format!(
            "Reply sent to <@{}> on `{}` as \"Staff\" (your name is kept in the transcript for staff only).",
            t.user_id, t.code
        )
    } else {
        format!("Reply sent to <@{}> on `{}`.", t.user_id, t.code)
    }
}

/// Autocomplete: snippet names, with the start of their text.
pub fn snippet_choices(found: &[service::modmail::Snippet]) -> InteractionResponseData {
    use twilight_model::application::command::{CommandOptionChoice, CommandOptionChoiceValue};
    let choices = found
        .iter()
        .take(25)
        .map(|s| {
            let preview: String = s.body.chars().take(60).collect();
            CommandOptionChoice {
                name: format!("{} — {preview}", s.name)
                    .chars()
                    .take(100)
                    .collect(),
                name_localizations: None,
                value: CommandOptionChoiceValue::String(s.name.clone()),
            }
        })
        .collect();
    InteractionResponseData {
        choices: Some(choices),
        ..Default::default()
    }
}

pub fn snippet_saved(name: &str, new: bool) -> String {
    if new {
        format!("Snippet `{name}` saved: send it with `/modmailreply snippet:{name}`.")
    } else {
        format!("Snippet `{name}` updated.")
    }
}

pub fn snippet_removed(name: &str) -> String {
    format!("Snippet `{name}` removed.")
}

/// `/snippet list`: every saved answer with the start of its text.
pub fn snippet_list(all: &[service::modmail::Snippet]) -> Embed {
    let lines: Vec<String> = all
        .iter()
        .map(|s| {
            let preview: String = s.body.chars().take(80).collect();
            let more = if s.body.chars().count() > 80 {
                "…"
            } else {
                ""
            };
            format!("`{}` — {preview}{more}", s.name)
        })
        .collect();
    EmbedBuilder::new()
        .title(format!("Modmail snippets ({})", all.len()))
        .color(COLOR_INFO)
        .description(super::fit_lines(
            &lines,
            "No snippets yet: save one with `/snippet add`.",
        ))
        .build()
}

/// A duration in seconds as "1h 5m", "42s".
fn span(secs: f64) -> String {
    let s = secs.max(0.0).round() as i64;
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{sec}s"),
        (0, 0, _) => format!("{m}m {sec}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// `/modmailstats`: first-response times and tickets handled per staff member.
pub fn stats_embed(f: &service::modmail::TicketFigures) -> Embed {
    let t = &f.totals;
    let first = match (t.avg_first_response_secs, t.median_first_response_secs) {
        (Some(avg), Some(median)) => format!("average {}, median {}", span(avg), span(median)),
        _ => "no answered tickets".into(),
    };
    let lines: Vec<String> = f
        .staff
        .iter()
        .map(|s| {
            let first = match s.avg_first_response_secs {
                Some(a) if s.first_responses > 0 => {
                    format!("; first answer on {} (avg {})", s.first_responses, span(a))
                }
                _ => String::new(),
            };
            format!(
                "<@{}> — {} ticket{}, {} repl{}{first}",
                s.user_id,
                s.tickets,
                if s.tickets == 1 { "" } else { "s" },
                s.replies,
                if s.replies == 1 { "y" } else { "ies" }
            )
        })
        .collect();
    EmbedBuilder::new()
        .title(format!(
            "Modmail, last {} day{}",
            f.days,
            if f.days == 1 { "" } else { "s" }
        ))
        .color(COLOR_INFO)
        .field(EmbedFieldBuilder::new("Opened", t.opened.to_string()).inline())
        .field(EmbedFieldBuilder::new("Closed", t.closed.to_string()).inline())
        .field(EmbedFieldBuilder::new("Answered", t.answered.to_string()).inline())
        .field(EmbedFieldBuilder::new("First response", first))
        .field(EmbedFieldBuilder::new(
            "Tickets handled per staff member",
            super::fit_lines(&lines, "Nobody answered a ticket in this period."),
        ))
        .build()
}

pub fn closed(t: &Ticket, at: Option<chrono::DateTime<chrono::Utc>>, silent: bool) -> String {
    let told = if silent {
        "the member is not told"
    } else {
        "the member is told"
    };
    match at {
        Some(at) => format!(
            "Ticket `{}` will close <t:{}:R> ({} UTC) unless the member writes again first; {told} when it closes.",
            t.code,
            at.timestamp(),
            at.format("%Y-%m-%d %H:%M")
        ),
        None => format!("Ticket `{}` closed; {told}.", t.code),
    }
}

pub fn blacklisted(
    user: domain::Snowflake,
    until: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    match until {
        None => {
            format!("<@{user}> can no longer open modmail tickets here; they get a polite refusal.")
        }
        Some(at) => format!(
            "<@{user}> cannot open modmail tickets here until <t:{}:f> ({} UTC); they are told when it ends.",
            at.timestamp(),
            at.format("%Y-%m-%d %H:%M")
        ),
    }
}

/// DM: staff scheduled the ticket's close; a reply keeps it open.
pub fn close_scheduled_dm(guild: &str, t: &Ticket, at: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "Your ticket `{}` with **{guild}** will close <t:{}:R> ({} UTC). If you still need help, just reply here and it stays open.",
        t.code,
        at.timestamp(),
        at.format("%Y-%m-%d %H:%M")
    )
}

/// In the thread: a close was scheduled.
pub fn close_scheduled_note(t: &Ticket, at: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "⏲️ {} scheduled this ticket to close <t:{}:R>{}; the member's next message cancels it.",
        t.close_scheduled_by.as_deref().unwrap_or("Staff"),
        at.timestamp(),
        if t.close_silent { " (silently)" } else { "" }
    )
}

/// In the thread: the member wrote, so the scheduled close is off.
pub fn close_cancelled_note() -> String {
    "⏲️ Scheduled close cancelled: the member replied.".into()
}

/// DM: a temporary modmail blacklist ended.
pub fn blacklist_ended(guild: &str) -> String {
    format!(
        "You can write to the staff of **{guild}** by modmail again: send me a message any time."
    )
}

pub fn unblacklisted(user: domain::Snowflake) -> String {
    format!("<@{user}> can open modmail tickets again.")
}

/// The dashboard's page of a ticket's transcript.
pub fn transcript_url(public_url: &str, guild: domain::Snowflake, t: &Ticket) -> String {
    format!("{public_url}/g/{guild}/modmail/{}", t.code)
}

pub fn transcript_file_name(t: &Ticket) -> String {
    format!("transcript-{}.txt", t.code)
}

/// A ticket's transcript as plain text (the file attached to the closing log entry when
/// the dashboard is not served). Staff read it: anonymous replies name their author.
pub fn transcript_text(t: &Ticket, messages: &[TicketMessage]) -> String {
    let mut s = format!(
        "Modmail ticket {} — member {}\nOpened {}\n",
        t.code,
        t.user_id,
        t.created_at.format("%Y-%m-%d %H:%M:%S UTC")
    );
    if let Some(at) = t.closed_at {
        s.push_str(&format!(
            "Closed {} by {}\n",
            at.format("%Y-%m-%d %H:%M:%S UTC"),
            t.closed_by.as_deref().unwrap_or("staff")
        ));
    }
    for m in messages {
        let who = match (m.direction.as_str(), m.anonymous) {
            ("staff", true) => format!("{} (staff, sent as \"Staff\")", m.author),
            ("staff", false) => format!("{} (staff)", m.author),
            _ => format!("{} (member)", m.author),
        };
        s.push_str(&format!(
            "\n[{}] {who}:\n{}\n",
            m.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
            m.body
        ));
        for a in &m.attachments {
            s.push_str(&format!("  attachment: {a}\n"));
        }
        if let Some(e) = m.relay_error.as_deref() {
            s.push_str(&format!("  (not delivered: {e})\n"));
        }
    }
    s
}

/// `punishment_log`: a ticket opened or closed (who closed it, how long the transcript is).
/// `transcript` for a closing entry: Some(Some(url)) the dashboard's page, Some(None) a
/// file attached to the entry.
pub fn log_entry(
    t: &Ticket,
    closed: bool,
    messages: usize,
    transcript: Option<Option<&str>>,
) -> Embed {
    let mut e = EmbedBuilder::new()
        .field(EmbedFieldBuilder::new("Member", format!("<@{}>", t.user_id)).inline());
    if let Some(thread) = t.thread_id {
        e = e.field(EmbedFieldBuilder::new("Thread", format!("<#{thread}>")).inline());
    }
    if closed {
        e = e
            .title(format!("Modmail ticket {} closed", t.code))
            .color(COLOR_OK)
            .field(
                EmbedFieldBuilder::new("Closed by", t.closed_by.as_deref().unwrap_or("staff"))
                    .inline(),
            )
            .field(EmbedFieldBuilder::new("Messages", messages.to_string()).inline());
        match transcript {
            Some(Some(url)) => {
                e = e.field(EmbedFieldBuilder::new(
                    "Transcript",
                    format!("[Read it on the dashboard]({url})"),
                ));
            }
            Some(None) => {
                e = e.field(EmbedFieldBuilder::new(
                    "Transcript",
                    format!("Attached: `{}`", transcript_file_name(t)),
                ));
            }
            None => {}
        }
    } else {
        e = e
            .title(format!("Modmail ticket {} opened", t.code))
            .color(COLOR_INFO);
    }
    e.footer(EmbedFooterBuilder::new(t.code.clone())).build()
}

/// `punishment_log`: a member blacklisted from modmail (`reason`) or let back.
pub fn blacklist_entry(
    user: domain::Snowflake,
    by: &str,
    reason: Option<&str>,
    until: Option<chrono::DateTime<chrono::Utc>>,
    expired: bool,
) -> Embed {
    let by = if expired { "its time ran out" } else { by };
    let e = EmbedBuilder::new()
        .field(EmbedFieldBuilder::new("Member", format!("<@{user}>")).inline())
        .field(EmbedFieldBuilder::new("By", by).inline());
    match reason {
        Some(r) => {
            let e = e
                .title("Modmail blacklist")
                .description(format!("<@{user}> can no longer open modmail tickets."))
                .color(COLOR_WARN)
                .field(EmbedFieldBuilder::new("Reason", r));
            match until {
                Some(at) => e.field(EmbedFieldBuilder::new(
                    "Until",
                    format!("<t:{0}:F> (<t:{0}:R>)", at.timestamp()),
                )),
                None => e,
            }
        }
        None => e
            .title("Modmail blacklist lifted")
            .description(format!("<@{user}> can open modmail tickets again."))
            .color(COLOR_OK),
    }
    .build()
}
