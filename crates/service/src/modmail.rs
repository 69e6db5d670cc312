//! Modmail: members write to staff by DM, staff answer with `/modmailreply`.
//!
//! Everything is in the database: the conversation steps before a ticket exists (guild
//! choice, confirmation) as a session row, tickets, and every message both ways with its
//! attachments' URLs (the transcript). Discord's side (the forum thread, relaying messages,
//! the closing summary) is one idempotent job per ticket, `ModmailSync`, which posts what
//! is not yet marked relayed; so a restart, a retry or a deleted thread loses nothing.

use chrono::Utc;
use domain::moderation::{
    DurationError, MODMAIL_COOLDOWN_MINUTES, MODMAIL_MESSAGE_MAX, MODMAIL_SESSION_MINUTES,
    REASON_MAX, parse_ticket_code,
};
use domain::quota::ModAction;
use domain::{ChannelKey, RoleKey, Snowflake};
use store::modmail as sm;
use store::modmail::sessions::Session;

/// A modmail ticket and its messages: what the thread, transcript and API show.
pub use store::modmail::tickets::{Ticket, TicketMessage};
use store::{PgConnection, PgPool, guild_config};

use crate::error::Refusal;
use crate::moderation::required_text;
use crate::tasks::{self, LogEvent, Task};
use crate::{Actor, Result, ServiceError};

/// Why a modmail use case refused; the adapters word it (the bot in `views::modmail`, the
/// API in its error mapping). [`ModmailError::code`] is the stable code programs see.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("modmail refused: {}", self.code())]
pub enum ModmailError {
    /// The text is not a ticket id (`MM-7KQ2`); its first characters.
    BadTicketCode { text: String },
    /// No ticket with this code in the guild.
    NoSuchTicket { code: String },
    /// The ticket vanished between finding and locking it.
    TicketGone,
    /// A reply to a closed ticket.
    ClosedToReplies { code: String },
    /// Closing a closed ticket.
    AlreadyClosed { code: String },
    /// The staff message was relayed already (a redelivered interaction).
    DuplicateReply,
    /// A duration that is not one.
    BadDuration(DurationError),
    /// Staff blacklisting themselves.
    SelfBlacklist,
    /// The member is blacklisted already.
    AlreadyBlacklisted { user: Snowflake },
    /// The member is not blacklisted.
    NotBlacklisted { user: Snowflake },
    /// A ticket status filter other than open or closed.
    BadStatus { status: String },
    /// The text is not a snippet name; its first characters.
    BadSnippetName { text: String },
    /// No snippet of this name (named in a reply).
    NoSuchSnippetForReply { name: String },
    /// No snippet of this name (to remove).
    NoSuchSnippet { name: String },
    /// The guild has [`SNIPPETS_MAX`] snippets.
    TooManySnippets,
    /// Figures over a number of days out of 1 to [`STATS_DAYS_MAX`].
    BadDays { days: i64 },
    /// The command's member option is empty.
    MemberRequired,
    /// A subcommand this version does not know (`hint`: the ones it does, as a command).
    UnknownSubcommand { hint: &'static str },
    /// The server menu's choice is empty.
    ServerRequired,
    /// A member pressed another member's modmail conversation.
    NotYourConversation,
}

impl ModmailError {
    /// A stable snake_case code for logs and the REST API.
    pub fn code(&self) -> &'static str {
        use ModmailError as E;
        match self {
            E::BadTicketCode { .. } => "invalid_ticket_id",
            E::NoSuchTicket { .. }
            | E::TicketGone
            | E::NoSuchSnippetForReply { .. }
            | E::NoSuchSnippet { .. } => "not_found",
            E::ClosedToReplies { .. } | E::AlreadyClosed { .. } => "ticket_closed",
            E::DuplicateReply => "duplicate_reply",
            E::BadDuration(_) => "invalid_duration",
            E::SelfBlacklist => "self_target",
            E::AlreadyBlacklisted { .. } => "already_blacklisted",
            E::NotBlacklisted { .. } => "not_blacklisted",
            E::BadStatus { .. } => "invalid_status",
            E::BadSnippetName { .. } => "invalid_snippet_name",
            E::TooManySnippets => "too_many_snippets",
            E::BadDays { .. } => "invalid_days",
            E::MemberRequired => "invalid_member",
            E::UnknownSubcommand { .. } => "invalid_subcommand",
            E::ServerRequired => "invalid_choice",
            E::NotYourConversation => "forbidden",
        }
    }

    /// What kind of refusal this is.
    pub fn kind(&self) -> Refusal {
        use ModmailError as E;
        match self {
            E::NoSuchTicket { .. }
            | E::TicketGone
            | E::NoSuchSnippetForReply { .. }
            | E::NoSuchSnippet { .. } => Refusal::NotFound,
            E::NotYourConversation => Refusal::Forbidden,
            E::ClosedToReplies { .. }
            | E::AlreadyClosed { .. }
            | E::DuplicateReply
            | E::AlreadyBlacklisted { .. }
            | E::NotBlacklisted { .. }
            | E::TooManySnippets => Refusal::Conflict,
            E::BadTicketCode { .. }
            | E::BadDuration(_)
            | E::SelfBlacklist
            | E::BadStatus { .. }
            | E::BadSnippetName { .. }
            | E::BadDays { .. }
            | E::MemberRequired
            | E::UnknownSubcommand { .. }
            | E::ServerRequired => Refusal::Invalid,
        }
    }
}

/// Attachments kept per message.
pub const ATTACHMENTS_MAX: usize = 10;

/// What the bot answers a member's DM with (rendered by the bot's views).
#[derive(Debug, Clone, PartialEq)]
pub enum DmOutcome {
    /// Added to their open ticket.
    Relayed {
        guild: Snowflake,
        code: String,
    },
    /// They share several servers with modmail: which one?
    ChooseGuild {
        candidates: Vec<Snowflake>,
    },
    /// The choice was not one of the numbers offered.
    InvalidChoice {
        count: usize,
    },
    /// Open a ticket in this server? (yes/no)
    Confirm {
        guild: Snowflake,
    },
    Opened {
        guild: Snowflake,
        code: String,
    },
    Cancelled,
    /// The server does not take modmail from them.
    Blacklisted {
        guild: Snowflake,
        /// When a temporary blacklist ends; None: until staff lift it.
        until: Option<chrono::DateTime<Utc>>,
    },
    Cooldown {
        guild: Snowflake,
        minutes: i64,
    },
    /// No server with modmail that they are in.
    NoGuild,
    /// They closed their ticket.
    Closed {
        guild: Snowflake,
        code: String,
    },
    /// A button or menu of a conversation that is over (opened, cancelled, expired).
    Expired,
    /// A message longer than [`MODMAIL_MESSAGE_MAX`] characters (`len`).
    TooLong {
        len: usize,
    },
    /// `/modmail` with an empty message.
    EmptyMessage,
}

fn body(text: &str) -> std::result::Result<String, DmOutcome> {
    let t = text.trim();
    let len = t.chars().count();
    if len > MODMAIL_MESSAGE_MAX {
        return Err(DmOutcome::TooLong { len });
    }
    Ok(t.to_owned())
}

fn is_yes(t: &str) -> bool {
    matches!(
        t.trim().to_ascii_lowercase().as_str(),
        "yes" | "y" | "confirm"
    )
}

fn is_no(t: &str) -> bool {
    matches!(
        t.trim().to_ascii_lowercase().as_str(),
        "no" | "n" | "cancel"
    )
}

/// Whether the DM router should send this member's DMs to modmail without looking further:
/// they have a session or an open ticket.
pub async fn is_engaged(pool: &PgPool, user: Snowflake) -> Result<bool> {
    let mut conn = pool.acquire().await?;
    Ok(sm::sessions::has_session(&mut conn, user).await?
        || !sm::tickets::open_for_user(&mut conn, user)
            .await?
            .is_empty())
}

/// Guilds that take modmail (a modmail forum configured); the bot keeps those the member
/// is in.
pub async fn modmail_guilds(pool: &PgPool) -> Result<Vec<Snowflake>> {
    let mut conn = pool.acquire().await?;
    Ok(sm::sessions::guilds_with_modmail(&mut conn).await?)
}

/// A DM from a member who has a session or an open ticket: the next step. `None` when
/// they have neither (the bot then calls [`start`] with the servers they share).
pub async fn continue_dm(
    pool: &PgPool,
    user: Snowflake,
    author: &str,
    text: &str,
    attachments: &[String],
) -> Result<Option<DmOutcome>> {
    let mut tx = pool.begin().await?;
    if let Some(session) = sm::sessions::lock_session(&mut tx, user).await? {
        let outcome = match (session.step.as_str(), session.guild_id) {
            ("confirm", Some(guild)) if is_yes(text) => {
                let o = open_locked(&mut tx, guild, &session, author).await?;
                sm::sessions::end_session(&mut tx, user).await?;
                o
            }
            ("confirm", Some(_)) if is_no(text) => {
                sm::sessions::end_session(&mut tx, user).await?;
                DmOutcome::Cancelled
            }
            ("confirm", Some(guild)) => DmOutcome::Confirm { guild },
            _ => {
                if is_no(text) {
                    sm::sessions::end_session(&mut tx, user).await?;
                    DmOutcome::Cancelled
                } else {
                    let n = session.candidates.len();
                    match text
                        .trim()
                        .parse::<usize>()
                        .ok()
                        .filter(|i| (1..=n).contains(i))
                    {
                        Some(i) => {
                            let guild = session.candidates[i - 1];
                            pick_guild(&mut tx, session, guild).await?
                        }
                        None => DmOutcome::InvalidChoice { count: n },
                    }
                }
            }
        };
        tx.commit().await?;
        return Ok(Some(outcome));
    }
    let open = sm::tickets::open_for_user(&mut tx, user).await?;
    let Some(ticket) = open.into_iter().next() else {
        return Ok(None);
    };
    if text.trim().eq_ignore_ascii_case("close") && attachments.is_empty() {
        close_locked(&mut tx, &ticket, &format!("the member ({author})")).await?;
        tx.commit().await?;
        return Ok(Some(DmOutcome::Closed {
            guild: ticket.guild_id,
            code: ticket.code,
        }));
    }
    let text = match body(text) {
        Ok(t) => t,
        Err(o) => return Ok(Some(o)),
    };
    let atts: Vec<String> = attachments.iter().take(ATTACHMENTS_MAX).cloned().collect();
    sm::tickets::insert_message(
        &mut tx,
        ticket.guild_id,
        ticket.ticket_id,
        "member",
        Some(user),
        author,
        &text,
        &atts,
        None,
    )
    .await?;
    sm::tickets::cancel_scheduled_close(&mut tx, ticket.guild_id, ticket.ticket_id).await?;
    sync(&mut tx, &ticket).await?;
    tx.commit().await?;
    Ok(Some(DmOutcome::Relayed {
        guild: ticket.guild_id,
        code: ticket.code,
    }))
}

/// The member chose `guild` (one of the session's candidates): refused, or on to the
/// confirmation.
async fn pick_guild(
    tx: &mut PgConnection,
    session: Session,
    guild: Snowflake,
) -> Result<DmOutcome> {
    let user = session.user_id;
    Ok(match refusal(tx, guild, user).await? {
        Some(r) => {
            sm::sessions::end_session(tx, user).await?;
            r
        }
        None => {
            let next = Session {
                step: "confirm".into(),
                guild_id: Some(guild),
                ..session
            };
            sm::sessions::put_session(tx, &next, MODMAIL_SESSION_MINUTES).await?;
            DmOutcome::Confirm { guild }
        }
    })
}

/// The member picked a server in the DM's select menu (`mm:guild`).
pub async fn choose_guild(pool: &PgPool, user: Snowflake, guild: Snowflake) -> Result<DmOutcome> {
    let mut tx = pool.begin().await?;
    let outcome = match sm::sessions::lock_session(&mut tx, user).await? {
        Some(s) if s.step == "choose_guild" && s.candidates.contains(&guild) => {
            pick_guild(&mut tx, s, guild).await?
        }
        _ => DmOutcome::Expired,
    };
    tx.commit().await?;
    Ok(outcome)
}

/// The member pressed Open ticket (`yes`) or Cancel under the confirmation in their DMs.
/// A press after the session ended (ticket already opened, expired) changes nothing.
pub async fn confirm(pool: &PgPool, user: Snowflake, author: &str, yes: bool) -> Result<DmOutcome> {
    let mut tx = pool.begin().await?;
    let outcome = match sm::sessions::lock_session(&mut tx, user).await? {
        Some(s) if !yes => {
            sm::sessions::end_session(&mut tx, s.user_id).await?;
            DmOutcome::Cancelled
        }
        Some(s) if s.step == "confirm" => match s.guild_id {
            Some(guild) => {
                let o = open_locked(&mut tx, guild, &s, author).await?;
                sm::sessions::end_session(&mut tx, user).await?;
                o
            }
            None => DmOutcome::Expired,
        },
        _ => DmOutcome::Expired,
    };
    tx.commit().await?;
    Ok(outcome)
}

/// `/modmail open message` in a server: the server is known, so no choice and no
/// confirmation; a member with a ticket open there adds the message to it.
pub async fn open_in_guild(
    pool: &PgPool,
    guild: Snowflake,
    user: Snowflake,
    author: &str,
    text: &str,
) -> Result<DmOutcome> {
    let text = match body(text) {
        Ok(t) if !t.is_empty() => t,
        Ok(_) => {
            return Ok(DmOutcome::EmptyMessage);
        }
        Err(o) => return Ok(o),
    };
    let mut tx = pool.begin().await?;
    let open = sm::tickets::open_for_user(&mut tx, user).await?;
    if let Some(t) = open.into_iter().find(|t| t.guild_id == guild) {
        sm::tickets::insert_message(
            &mut tx,
            guild,
            t.ticket_id,
            "member",
            Some(user),
            author,
            &text,
            &[],
            None,
        )
        .await?;
        sm::tickets::cancel_scheduled_close(&mut tx, guild, t.ticket_id).await?;
        sync(&mut tx, &t).await?;
        tx.commit().await?;
        return Ok(DmOutcome::Relayed {
            guild,
            code: t.code,
        });
    }
    let s = Session {
        user_id: user,
        step: "confirm".into(),
        candidates: vec![guild],
        guild_id: Some(guild),
        body: text,
        attachments: Vec::new(),
    };
    let o = open_locked(&mut tx, guild, &s, author).await?;
    tx.commit().await?;
    Ok(o)
}

/// A first DM: `shared` are the modmail servers the member is in. One server goes straight
/// to the confirmation; several ask which one first.
pub async fn start(
    pool: &PgPool,
    user: Snowflake,
    text: &str,
    attachments: &[String],
    shared: &[Snowflake],
) -> Result<DmOutcome> {
    let text = match body(text) {
        Ok(t) => t,
        Err(o) => return Ok(o),
    };
    let mut tx = pool.begin().await?;
    let outcome = match shared {
        [] => DmOutcome::NoGuild,
        [guild] => match refusal(&mut tx, *guild, user).await? {
            Some(r) => r,
            None => {
                let s = Session {
                    user_id: user,
                    step: "confirm".into(),
                    candidates: shared.to_vec(),
                    guild_id: Some(*guild),
                    body: text,
                    attachments: attachments.iter().take(ATTACHMENTS_MAX).cloned().collect(),
                };
                sm::sessions::put_session(&mut tx, &s, MODMAIL_SESSION_MINUTES).await?;
                DmOutcome::Confirm { guild: *guild }
            }
        },
        many => {
            let s = Session {
                user_id: user,
                step: "choose_guild".into(),
                candidates: many.to_vec(),
                guild_id: None,
                body: text,
                attachments: attachments.iter().take(ATTACHMENTS_MAX).cloned().collect(),
            };
            sm::sessions::put_session(&mut tx, &s, MODMAIL_SESSION_MINUTES).await?;
            DmOutcome::ChooseGuild {
                candidates: many.to_vec(),
            }
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Why the member cannot open a ticket in the guild now, if they cannot.
async fn refusal(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Option<DmOutcome>> {
    if let Some(entry) = sm::blacklist::active(conn, guild, user).await? {
        return Ok(Some(DmOutcome::Blacklisted {
            guild,
            until: entry.expires_at,
        }));
    }
    if let Some(closed) = sm::tickets::last_closed(conn, guild, user).await? {
        let waited = (Utc::now() - closed).num_minutes();
        if waited < MODMAIL_COOLDOWN_MINUTES {
            return Ok(Some(DmOutcome::Cooldown {
                guild,
                minutes: (MODMAIL_COOLDOWN_MINUTES - waited).max(1),
            }));
        }
    }
    Ok(None)
}

async fn open_locked(
    conn: &mut PgConnection,
    guild: Snowflake,
    session: &Session,
    author: &str,
) -> Result<DmOutcome> {
    let user = session.user_id;
    if let Some(r) = refusal(conn, guild, user).await? {
        return Ok(r);
    }
    guild_config::ensure_guild(conn, guild).await?;
    let ticket = match sm::tickets::insert_ticket(conn, guild, user).await {
        Ok(t) => {
            log(
                conn,
                guild,
                LogEvent::ModmailTicket {
                    ticket_id: t.ticket_id,
                    closed: false,
                },
            )
            .await?;
            t
        }
        Err(e) if e.unique_violation().as_deref() == Some("modmail_one_open") => {
            // Opened meanwhile (another process): add the message to it.
            let open = sm::tickets::open_for_user(conn, user).await?;
            open.into_iter()
                .find(|t| t.guild_id == guild)
                .ok_or_else(|| ServiceError::Internal("open ticket vanished".into()))?
        }
        Err(e) => return Err(e.into()),
    };
    sm::tickets::insert_message(
        conn,
        guild,
        ticket.ticket_id,
        "member",
        Some(user),
        author,
        &session.body,
        &session.attachments,
        None,
    )
    .await?;
    sync(conn, &ticket).await?;
    Ok(DmOutcome::Opened {
        guild,
        code: ticket.code,
    })
}

async fn sync(conn: &mut PgConnection, ticket: &Ticket) -> Result<()> {
    tasks::queue(
        conn,
        ticket.guild_id,
        Task::ModmailSync {
            ticket_id: ticket.ticket_id,
        },
        None,
    )
    .await?;
    Ok(())
}

/// Modmail events go to `punishment_log`, the staff's moderation log (the spec has no
/// modmail log channel; the ticket's own thread holds the conversation).
async fn log(conn: &mut PgConnection, guild: Snowflake, event: LogEvent) -> Result<()> {
    tasks::log(conn, guild, ChannelKey::PunishmentLog, event).await?;
    Ok(())
}

fn actor_label(actor: &Actor) -> String {
    actor
        .user_id
        .map(|u| format!("<@{u}>"))
        .unwrap_or_else(|| actor.label.clone())
}

async fn close_locked(conn: &mut PgConnection, ticket: &Ticket, by: &str) -> Result<bool> {
    let closed = sm::tickets::close(conn, ticket.guild_id, ticket.ticket_id, by).await?;
    if closed {
        sync(conn, ticket).await?;
        log(
            conn,
            ticket.guild_id,
            LogEvent::ModmailTicket {
                ticket_id: ticket.ticket_id,
                closed: true,
            },
        )
        .await?;
    }
    Ok(closed)
}

fn parse_code(text: &str) -> Result<String> {
    parse_ticket_code(text).ok_or_else(|| {
        ModmailError::BadTicketCode {
            text: text.trim().chars().take(20).collect(),
        }
        .into()
    })
}

async fn ticket_by_code(conn: &mut PgConnection, guild: Snowflake, text: &str) -> Result<Ticket> {
    let code = parse_code(text)?;
    sm::tickets::by_code(conn, guild, &code)
        .await?
        .ok_or_else(|| ModmailError::NoSuchTicket { code }.into())
}

/// Who may answer and close tickets: security and above.
pub fn may_answer(actor: &Actor) -> Result<()> {
    actor.require(RoleKey::Security)
}

/// A staff reply (security and above): stored, then DMed to the member by the sync job.
/// `source` is the Discord message it was typed as in the ticket's thread (`!r ...`), None
/// for `/modmailreply` and the REST API; a source seen before is refused with
/// `duplicate_reply` (a replayed gateway event), so it is stored and sent once.
pub async fn reply(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    author: &str,
    code: &str,
    text: &str,
    source: Option<Snowflake>,
) -> Result<Ticket> {
    let input = ReplyInput {
        text: Some(text),
        snippet: None,
        anonymous: false,
    };
    reply_with(pool, guild, actor, author, code, &input, source).await
}

/// What a staff reply says: typed text, a saved snippet, or both (the snippet first), and
/// whether the member sees it as from "Staff" rather than from the author.
#[derive(Debug, Clone, Default)]
pub struct ReplyInput<'a> {
    pub text: Option<&'a str>,
    pub snippet: Option<&'a str>,
    pub anonymous: bool,
}

/// [`reply`] with a snippet and the anonymous choice.
pub async fn reply_with(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    author: &str,
    code: &str,
    input: &ReplyInput<'_>,
    source: Option<Snowflake>,
) -> Result<Ticket> {
    may_answer(actor)?;
    let mut tx = pool.begin().await?;
    let mut parts: Vec<String> = Vec::new();
    if let Some(name) = input.snippet.filter(|n| !n.trim().is_empty()) {
        let name = snippet_name(name)?;
        let s = sm::snippets::get(&mut tx, guild, &name)
            .await?
            .ok_or_else(|| ModmailError::NoSuchSnippetForReply { name: name.clone() })?;
        parts.push(s.body);
    }
    if let Some(t) = input.text.filter(|t| !t.trim().is_empty()) {
        parts.push(t.trim().to_owned());
    }
    let text = required_text("The reply", &parts.join("\n\n"), MODMAIL_MESSAGE_MAX)?;
    let t = ticket_by_code(&mut tx, guild, code).await?;
    let t = sm::tickets::lock_ticket(&mut tx, guild, t.ticket_id)
        .await?
        .ok_or(ModmailError::TicketGone)?;
    if t.status != "open" {
        return Err(ModmailError::ClosedToReplies { code: t.code }.into());
    }
    let m = match sm::tickets::insert_message(
        &mut tx,
        guild,
        t.ticket_id,
        "staff",
        actor.user_id,
        author,
        &text,
        &[],
        source,
    )
    .await
    {
        Ok(m) => m,
        Err(e) if e.unique_violation().as_deref() == Some("modmail_message_source") => {
            return Err(ModmailError::DuplicateReply.into());
        }
        Err(e) => return Err(e.into()),
    };
    if input.anonymous {
        sm::tickets::mark_anonymous(&mut tx, guild, t.ticket_id, m.message_id).await?;
    }
    if let Some(staff) = actor.user_id {
        crate::quota::award_moderation(
            &mut tx,
            guild,
            staff,
            ModAction::ModmailReply,
            &format!("modmail:{}", m.message_id),
        )
        .await?;
    }
    sync(&mut tx, &t).await?;
    tx.commit().await?;
    Ok(t)
}

/// The ticket whose forum thread `thread` is, if any (for replies typed in the thread).
pub async fn ticket_for_thread(
    pool: &PgPool,
    guild: Snowflake,
    thread: Snowflake,
) -> Result<Option<Ticket>> {
    let mut conn = pool.acquire().await?;
    Ok(sm::tickets::by_thread(&mut conn, guild, thread).await?)
}

/// Staff close a ticket (security and above).
pub async fn close(pool: &PgPool, guild: Snowflake, actor: &Actor, code: &str) -> Result<Ticket> {
    close_with(pool, guild, actor, code, None, false)
        .await
        .map(|(t, _)| t)
}

/// `/modmail close ticket [in] [silent]`: now, or `in_minutes` from now unless the member
/// writes first; `silent` closes without telling the member. Returns the ticket and, for a
/// scheduled close, when it will happen.
pub async fn close_with(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    code: &str,
    in_minutes: Option<i64>,
    silent: bool,
) -> Result<(Ticket, Option<chrono::DateTime<Utc>>)> {
    may_answer(actor)?;
    let mut tx = pool.begin().await?;
    let t = ticket_by_code(&mut tx, guild, code).await?;
    let t = sm::tickets::lock_ticket(&mut tx, guild, t.ticket_id)
        .await?
        .ok_or(ModmailError::TicketGone)?;
    let by = actor_label(actor);
    if t.status != "open" {
        return Err(ModmailError::AlreadyClosed { code: t.code }.into());
    }
    if let Some(minutes) = in_minutes {
        let minutes = domain::moderation::PunishDuration::from_minutes(minutes)
            .map_err(ModmailError::BadDuration)?
            .minutes();
        let at = Utc::now() + chrono::Duration::minutes(minutes);
        sm::tickets::schedule_close(&mut tx, guild, t.ticket_id, at, &by, silent).await?;
        // The sync job announces it (the member by DM unless silent, staff in the thread).
        sync(&mut tx, &t).await?;
        tasks::queue(
            &mut tx,
            guild,
            Task::ModmailScheduledClose {
                ticket_id: t.ticket_id,
            },
            Some(at),
        )
        .await?;
        tx.commit().await?;
        return Ok((t, Some(at)));
    }
    sm::tickets::set_close_silent(&mut tx, guild, t.ticket_id, silent).await?;
    if !close_locked(&mut tx, &t, &by).await? {
        return Err(ModmailError::AlreadyClosed { code: t.code }.into());
    }
    tx.commit().await?;
    Ok((t, None))
}

/// The scheduled-close timer: closes the ticket if its close still stands and is due.
/// A later schedule queues the timer again for its time; a cancelled one does nothing.
pub async fn scheduled_close_due(pool: &PgPool, guild: Snowflake, ticket_id: i64) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let Some(t) = sm::tickets::lock_ticket(&mut tx, guild, ticket_id).await? else {
        return Ok(false);
    };
    let Some(at) = t.close_at.filter(|_| t.status == "open") else {
        return Ok(false);
    };
    if at > Utc::now() {
        tasks::queue(
            &mut tx,
            guild,
            Task::ModmailScheduledClose { ticket_id },
            Some(at),
        )
        .await?;
        tx.commit().await?;
        return Ok(false);
    }
    let by = format!(
        "{} (scheduled)",
        t.close_scheduled_by.as_deref().unwrap_or("staff")
    );
    let closed = close_locked(&mut tx, &t, &by).await?;
    tx.commit().await?;
    Ok(closed)
}

/// Blacklists a member from modmail in the guild (officers).
pub async fn blacklist(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
    reason: &str,
) -> Result<()> {
    blacklist_for(pool, guild, actor, user, reason, None)
        .await
        .map(|_| ())
}

/// [`blacklist`], for `minutes` when given (a temporary blacklist: the member is told when
/// it ends). Returns when it ends.
pub async fn blacklist_for(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
    reason: &str,
    minutes: Option<i64>,
) -> Result<Option<chrono::DateTime<Utc>>> {
    actor.require(RoleKey::Officer)?;
    let until = match minutes {
        Some(m) => {
            let m = domain::moderation::PunishDuration::from_minutes(m)
                .map_err(ModmailError::BadDuration)?
                .minutes();
            Some(Utc::now() + chrono::Duration::minutes(m))
        }
        None => None,
    };
    if actor.user_id == Some(user) {
        return Err(ModmailError::SelfBlacklist.into());
    }
    let reason = required_text("The reason", reason, REASON_MAX)?;
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    if !sm::blacklist::blacklist(&mut tx, guild, user, &reason, actor.user_id, until).await? {
        return Err(ModmailError::AlreadyBlacklisted { user }.into());
    }
    if let Some(at) = until {
        tasks::queue(
            &mut tx,
            guild,
            Task::ModmailBlacklistExpiry { user_id: user },
            Some(at),
        )
        .await?;
    }
    log(
        &mut tx,
        guild,
        LogEvent::ModmailBlacklist {
            user_id: user,
            by: actor_label(actor),
            reason: Some(reason),
            until,
            expired: false,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(until)
}

/// The blacklist-expiry timer, first step: true when the member's temporary blacklist has
/// run out and is still there (the job then tells them and calls [`end_blacklist`]). Not
/// yet due (it was replaced by a longer one): queued again for its time.
pub async fn blacklist_due(pool: &PgPool, guild: Snowflake, user: Snowflake) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let Some(entry) = sm::blacklist::lock_temporary(&mut tx, guild, user).await? else {
        return Ok(false);
    };
    match entry.expires_at {
        Some(at) if at > Utc::now() => {
            tasks::queue(
                &mut tx,
                guild,
                Task::ModmailBlacklistExpiry { user_id: user },
                Some(at),
            )
            .await?;
            tx.commit().await?;
            Ok(false)
        }
        Some(_) => Ok(true),
        None => Ok(false),
    }
}

/// Drops the member's run-out temporary blacklist and logs that it ended.
pub async fn end_blacklist(pool: &PgPool, guild: Snowflake, user: Snowflake) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let ended = sm::blacklist::remove_expired(&mut tx, guild, user).await?;
    if ended {
        log(
            &mut tx,
            guild,
            LogEvent::ModmailBlacklist {
                user_id: user,
                by: String::new(),
                reason: None,
                until: None,
                expired: true,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ended)
}

/// Lifts a member's modmail blacklist (officers).
pub async fn unblacklist(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
) -> Result<()> {
    actor.require(RoleKey::Officer)?;
    let mut tx = pool.begin().await?;
    if !sm::blacklist::unblacklist(&mut tx, guild, user).await? {
        return Err(ModmailError::NotBlacklisted { user }.into());
    }
    log(
        &mut tx,
        guild,
        LogEvent::ModmailBlacklist {
            user_id: user,
            by: actor_label(actor),
            reason: None,
            until: None,
            expired: false,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The guild's tickets, newest first (security and above).
pub async fn tickets(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<Ticket>> {
    actor.require(RoleKey::Security)?;
    if let Some(s) = status
        && !matches!(s, "open" | "closed")
    {
        return Err(ModmailError::BadStatus {
            status: s.to_owned(),
        }
        .into());
    }
    let mut conn = pool.acquire().await?;
    Ok(sm::tickets::list(&mut conn, guild, status, limit).await?)
}

/// The guild's tickets matching `search` (a ticket id, a member id or words in its
/// messages), newest first (security and above).
pub async fn search_tickets(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    status: Option<&str>,
    search: Option<&str>,
    limit: i64,
) -> Result<Vec<Ticket>> {
    actor.require(RoleKey::Security)?;
    if let Some(s) = status
        && !matches!(s, "open" | "closed")
    {
        return Err(ModmailError::BadStatus {
            status: s.to_owned(),
        }
        .into());
    }
    let search = search.map(str::trim).filter(|s| !s.is_empty());
    let mut conn = pool.acquire().await?;
    Ok(sm::tickets::search(&mut conn, guild, status, search, limit).await?)
}

/// One member's tickets in the guild, newest first, at most `limit` (security and above:
/// the member page's list, each linking its transcript).
pub async fn member_tickets(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
    limit: i64,
) -> Result<Vec<Ticket>> {
    actor.require(RoleKey::Security)?;
    let mut conn = pool.acquire().await?;
    Ok(sm::tickets::of_user(&mut conn, guild, user, limit.clamp(1, 500)).await?)
}

/// A ticket and its transcript, oldest first (security and above).
pub async fn transcript(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    code: &str,
) -> Result<(Ticket, Vec<TicketMessage>)> {
    actor.require(RoleKey::Security)?;
    let mut conn = pool.acquire().await?;
    let t = ticket_by_code(&mut conn, guild, code).await?;
    let m = sm::tickets::messages(&mut conn, guild, t.ticket_id).await?;
    Ok((t, m))
}

// ---------- for the sync job ----------

/// The ticket and its messages, for the job.
pub async fn sync_state(
    pool: &PgPool,
    guild: Snowflake,
    ticket_id: i64,
) -> Result<Option<(Ticket, Vec<TicketMessage>)>> {
    let mut tx = pool.begin().await?;
    let Some(t) = sm::tickets::lock_ticket(&mut tx, guild, ticket_id).await? else {
        return Ok(None);
    };
    let m = sm::tickets::messages(&mut tx, guild, ticket_id).await?;
    tx.commit().await?;
    Ok(Some((t, m)))
}

pub async fn set_thread(
    pool: &PgPool,
    guild: Snowflake,
    ticket_id: i64,
    thread: Option<Snowflake>,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    Ok(sm::tickets::set_thread(&mut conn, guild, ticket_id, thread).await?)
}

pub async fn relayed(
    pool: &PgPool,
    guild: Snowflake,
    ticket_id: i64,
    message_id: i64,
    error: Option<&str>,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    sm::tickets::set_relayed(&mut conn, guild, ticket_id, message_id, error).await?;
    Ok(())
}

/// The sync job announced the scheduled close `at` (None: its cancellation).
pub async fn close_notified(
    pool: &PgPool,
    guild: Snowflake,
    ticket_id: i64,
    at: Option<chrono::DateTime<Utc>>,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    Ok(sm::tickets::set_close_notified(&mut conn, guild, ticket_id, at).await?)
}

pub async fn close_done(pool: &PgPool, guild: Snowflake, ticket_id: i64) -> Result<()> {
    let mut conn = pool.acquire().await?;
    Ok(sm::tickets::set_close_done(&mut conn, guild, ticket_id).await?)
}

// ---------- snippets ----------

/// Saved answers: at most this many per guild.
pub const SNIPPETS_MAX: i64 = 100;

/// A snippet's name: 1–32 of `a-z 0-9 _ -`, case folded.
fn snippet_name(text: &str) -> Result<String> {
    let name = text.trim().to_lowercase();
    let ok = (1..=32).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok {
        Ok(name)
    } else {
        Err(ModmailError::BadSnippetName {
            text: text.trim().chars().take(40).collect(),
        }
        .into())
    }
}

pub use store::modmail::snippets::Snippet;

/// Saves a snippet (security and above); true when new, false when it replaced one.
pub async fn snippet_add(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    name: &str,
    text: &str,
) -> Result<(String, bool)> {
    may_answer(actor)?;
    let name = snippet_name(name)?;
    let text = required_text("The snippet", text, MODMAIL_MESSAGE_MAX)?;
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    if sm::snippets::get(&mut tx, guild, &name).await?.is_none()
        && sm::snippets::list(&mut tx, guild, "", SNIPPETS_MAX)
            .await?
            .len() as i64
            >= SNIPPETS_MAX
    {
        return Err(ModmailError::TooManySnippets.into());
    }
    let new = sm::snippets::put(&mut tx, guild, &name, &text, actor.user_id).await?;
    tx.commit().await?;
    Ok((name, new))
}

/// Removes a snippet (security and above).
pub async fn snippet_remove(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    name: &str,
) -> Result<String> {
    may_answer(actor)?;
    let name = snippet_name(name)?;
    let mut conn = pool.acquire().await?;
    if !sm::snippets::remove(&mut conn, guild, &name).await? {
        return Err(ModmailError::NoSuchSnippet { name }.into());
    }
    Ok(name)
}

/// The guild's snippets whose name contains `filter` (security and above; autocomplete
/// passes what was typed).
pub async fn snippets(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    filter: &str,
    limit: i64,
) -> Result<Vec<Snippet>> {
    may_answer(actor)?;
    let mut conn = pool.acquire().await?;
    Ok(sm::snippets::list(&mut conn, guild, &filter.trim().to_lowercase(), limit).await?)
}

// ---------- figures ----------

pub use store::modmail::stats::{StaffRow as StaffFigures, Totals as TicketTotals};

/// The longest period the figures cover.
pub const STATS_DAYS_MAX: i64 = 365;

/// Ticket figures for the last `days` days: first-response times and tickets handled per
/// staff member (security and above).
#[derive(Debug, Clone, PartialEq)]
pub struct TicketFigures {
    pub days: i64,
    pub totals: TicketTotals,
    pub staff: Vec<StaffFigures>,
}

pub async fn stats(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    days: i64,
) -> Result<TicketFigures> {
    actor.require(RoleKey::Security)?;
    if !(1..=STATS_DAYS_MAX).contains(&days) {
        return Err(ModmailError::BadDays { days }.into());
    }
    let since = Utc::now() - chrono::Duration::days(days);
    let mut conn = pool.acquire().await?;
    let totals = sm::stats::totals(&mut conn, guild, since).await?;
    let staff = sm::stats::per_staff(&mut conn, guild, since, 25).await?;
    Ok(TicketFigures {
        days,
        totals,
        staff,
    })
}
