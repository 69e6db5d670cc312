//! Moderation: warnings, suspensions, mutes, kicks, bans and staff notes.
//!
//! Every action checks the actor's level for the command and the hierarchy against the
//! target (facts the adapter read from Discord), writes its row, and queues Discord's side
//! as jobs in the same transaction: `PunishmentApply` DMs the member first, then gives the
//! role, kicks or bans, then logs. Suspensions and mutes end by a timer row; ending is a
//! conditional update, so two workers or a late timer cannot end one twice.

use chrono::{DateTime, Utc};
use domain::moderation::{
    BAN_DELETE_DAYS_MAX, DurationError, HierarchyRefusal, MassListError, NOTE_MAX, PunishDuration,
    PunishmentKind, REASON_MAX, Reach, TargetFacts, check_hierarchy, parse_punishment_code,
};
use domain::quota::ModAction;
use domain::snowflake::InvalidSnowflake;
use domain::{ChannelKey, RoleKey, Snowflake};
use store::member_notes;
use store::punishments::{self as store_p, NewPunishment};

/// Punishments and notes: what the log entries, `/find` and the API show.
pub use store::member_notes::Note;
pub use store::punishments::{DmStatus, Punishment, PunishmentStatus};
use store::{PgConnection, PgPool, guild_config};

use crate::error::Refusal;
use crate::tasks::{self, LogEvent, PunishmentEvent, Task};
use crate::{Actor, Result, ServiceError};

/// Why a moderation use case refused (punishments, notes, mass actions, escalation
/// rules); the adapters word it (the bot in `views::moderation`, the API in its error
/// mapping). [`ModerationError::code`] is the stable code programs see.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("moderation refused: {}", self.code())]
pub enum ModerationError {
    /// The target is out of the actor's (or the bot's) reach.
    Hierarchy(HierarchyRefusal),
    /// A required text (`field`: "The reason", "The note") is empty.
    EmptyText { field: String },
    /// A text is longer than `max` characters.
    TextTooLong {
        field: String,
        len: usize,
        max: usize,
    },
    /// The guild has no role for this punishment.
    RoleNotConfigured { key: RoleKey },
    /// A suspension or mute needs a duration.
    DurationRequired,
    /// The duration is not one.
    BadDuration(DurationError),
    /// A ban's days of messages to delete are out of range.
    BadDeleteDays,
    /// The member has a running punishment of this kind (its code and end, when known).
    AlreadyPunished {
        user: Snowflake,
        kind: PunishmentKind,
        running: Option<(String, Option<DateTime<Utc>>)>,
    },
    /// A mass action's batch was taken by another worker and then not found.
    BatchConflict,
    /// No punishment with this row id.
    NoSuchPunishmentId { punishment_id: i64 },
    /// The text is not a punishment id (`P-4K7Q2`); the first characters of it.
    BadPunishmentCode { text: String },
    /// No punishment with this code in the guild.
    NoSuchPunishment { code: String },
    /// The member has no running punishment of this kind.
    NotPunished {
        user: Snowflake,
        kind: PunishmentKind,
    },
    /// Security staff removing a punishment they did not give (not a warning).
    MayNotRemove,
    /// The punishment is not running any more (how it ended).
    NotActiveToRemove {
        code: String,
        status: PunishmentStatus,
    },
    /// Only a running punishment can be edited.
    NotActiveToEdit {
        code: String,
        status: PunishmentStatus,
    },
    /// An edit with neither a duration nor a reason.
    NothingToEdit,
    /// Only the issuer or an officer edits a punishment.
    MayNotEdit,
    /// A new duration for a punishment that has none.
    DurationNotAllowed { code: String, kind: PunishmentKind },
    /// The new duration ends in the past.
    EditAlreadyOver {
        code: String,
        kind: PunishmentKind,
        given: DateTime<Utc>,
        duration: PunishDuration,
    },
    /// No note with this id in the guild.
    NoSuchNote { note_id: i64 },
    /// The note was removed already.
    NoteRemoved { note_id: i64 },
    /// The note vanished inside the transaction that removed it.
    NoteGone { note_id: i64 },
    /// A mass action's list is not one.
    BadMemberList(MassListError),
    /// Nobody in the guild has this in-game name (its first 32 characters).
    UnknownIgn { name: String },
    /// The member is named twice in a mass action's list.
    NamedTwice { user: Snowflake },
    /// An escalation rule counts something else than warnings, suspensions or mutes.
    BadTrigger,
    /// An escalation rule's count is out of 1 to 20.
    BadCount,
    /// An escalation rule's window is out of 1 to 365 days.
    BadWindow,
    /// An escalation rule's action is not suspend, mute or notify.
    BadAction,
    /// A rule that notifies takes no duration.
    RuleDurationNotAllowed,
    /// A rule that suspends or mutes needs a duration.
    RuleDurationRequired,
    /// The guild has [`crate::escalation::RULES_MAX`] rules.
    TooManyRules,
    /// No rule in force with this id.
    NoSuchRule { rule_id: i64 },
    /// Warning expiry is out of 1 to 365 days.
    BadWarnExpiry,
    /// The command's member option is empty (`option`: its name).
    MemberRequired { option: String },
    /// A note number that is not one.
    BadNoteNumber,
    /// A member id that is not one.
    BadMemberId(InvalidSnowflake),
}

impl ModerationError {
    /// A stable snake_case code for logs and the REST API.
    pub fn code(&self) -> &'static str {
        use ModerationError as E;
        match self {
            E::Hierarchy(HierarchyRefusal::SelfTarget) => "self_target",
            E::Hierarchy(HierarchyRefusal::Owner) => "owner_target",
            E::Hierarchy(HierarchyRefusal::NotBelowActor { .. }) => "target_not_below_actor",
            E::Hierarchy(HierarchyRefusal::AboveBot { .. }) => "target_above_bot",
            E::EmptyText { .. } | E::TextTooLong { .. } => "invalid_text",
            E::RoleNotConfigured { .. } => "punishment_role_not_configured",
            E::DurationRequired | E::RuleDurationRequired => "duration_required",
            E::BadDuration(_) => "invalid_duration",
            E::BadDeleteDays => "invalid_delete_days",
            E::AlreadyPunished { .. } => "already_punished",
            E::BatchConflict => "batch_conflict",
            E::NoSuchPunishmentId { .. }
            | E::NoSuchPunishment { .. }
            | E::NoSuchNote { .. }
            | E::NoteGone { .. }
            | E::UnknownIgn { .. }
            | E::NoSuchRule { .. } => "not_found",
            E::BadPunishmentCode { .. } => "invalid_punishment_id",
            E::NotPunished { .. } => "not_punished",
            E::MayNotRemove | E::MayNotEdit => "forbidden",
            E::NotActiveToRemove { .. } | E::NotActiveToEdit { .. } => "punishment_not_active",
            E::NothingToEdit => "nothing_to_edit",
            E::DurationNotAllowed { .. } | E::RuleDurationNotAllowed => "duration_not_allowed",
            E::EditAlreadyOver { .. } => "edit_already_over",
            E::NoteRemoved { .. } => "note_removed",
            E::BadMemberList(_) => "invalid_member_list",
            E::NamedTwice { .. } => "named_twice",
            E::BadTrigger => "invalid_trigger",
            E::BadCount => "invalid_count",
            E::BadWindow | E::BadWarnExpiry => "invalid_days",
            E::BadAction => "invalid_action",
            E::TooManyRules => "too_many_rules",
            E::MemberRequired { .. } | E::BadMemberId(_) => "invalid_member",
            E::BadNoteNumber => "invalid_note",
        }
    }

    /// What kind of refusal this is.
    pub fn kind(&self) -> Refusal {
        use ModerationError as E;
        match self {
            E::NoSuchPunishmentId { .. }
            | E::NoSuchPunishment { .. }
            | E::NoSuchNote { .. }
            | E::NoteGone { .. }
            | E::UnknownIgn { .. }
            | E::NoSuchRule { .. } => Refusal::NotFound,
            E::MayNotRemove | E::MayNotEdit => Refusal::Forbidden,
            E::Hierarchy(_)
            | E::RoleNotConfigured { .. }
            | E::AlreadyPunished { .. }
            | E::BatchConflict
            | E::NotPunished { .. }
            | E::NotActiveToRemove { .. }
            | E::NotActiveToEdit { .. }
            | E::EditAlreadyOver { .. }
            | E::NoteRemoved { .. }
            | E::NamedTwice { .. }
            | E::TooManyRules => Refusal::Conflict,
            E::EmptyText { .. }
            | E::TextTooLong { .. }
            | E::DurationRequired
            | E::BadDuration(_)
            | E::BadDeleteDays
            | E::BadPunishmentCode { .. }
            | E::NothingToEdit
            | E::DurationNotAllowed { .. }
            | E::BadMemberList(_)
            | E::BadTrigger
            | E::BadCount
            | E::BadWindow
            | E::BadAction
            | E::RuleDurationNotAllowed
            | E::RuleDurationRequired
            | E::BadWarnExpiry
            | E::MemberRequired { .. }
            | E::BadNoteNumber
            | E::BadMemberId(_) => Refusal::Invalid,
        }
    }
}

/// Rows per page of `/find` and the REST lists.
pub const PAGE_SIZE: i64 = 5;

/// The one rule every raiding action asks (join, bench, class, reactions, headcount
/// answers, parties): a member whose suspension is running is refused with the time it
/// ends. The punishment row decides, not the Discord role, so a member whose suspension
/// is over can raid again at once, before the expiry timer has taken the role.
pub(crate) async fn refuse_if_suspended(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
) -> Result<()> {
    match store_p::suspended_until(conn, guild, user).await? {
        Some(until) => Err(ServiceError::Suspended { user, until }),
        None => Ok(()),
    }
}

/// What the adapter knows about the member acted on.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub facts: TargetFacts,
    /// The position of the bot's highest role; None when the caller cannot see Discord
    /// (the REST API): then Discord's rule is checked when the job acts.
    pub bot_top_position: Option<i64>,
}

impl Target {
    fn check(&self, actor: &Actor, reach: Reach) -> Result<()> {
        let bot = self.bot_top_position.unwrap_or(i64::MAX);
        check_hierarchy(actor.user_id, actor.level, &self.facts, bot, reach).map_err(refusal)
    }
}

fn refusal(e: HierarchyRefusal) -> ServiceError {
    ModerationError::Hierarchy(e).into()
}

/// Trims a required text of at most `max` characters.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String> {
    let t = value.trim();
    let len = t.chars().count();
    if len == 0 {
        return Err(ModerationError::EmptyText {
            field: field.to_owned(),
        }
        .into());
    }
    if len > max {
        return Err(ModerationError::TextTooLong {
            field: field.to_owned(),
            len,
            max,
        }
        .into());
    }
    Ok(t.to_owned())
}

/// What staff ask for.
#[derive(Debug, Clone)]
pub struct PunishRequest {
    pub kind: PunishmentKind,
    pub reason: String,
    /// Required for suspensions and mutes (`30m`, `2d`, `1d12h`).
    pub duration: Option<String>,
    /// Bans: days of messages to delete (0–7).
    pub delete_days: Option<i64>,
}

fn punishment_role_missing(key: RoleKey) -> ServiceError {
    ModerationError::RoleNotConfigured { key }.into()
}

/// Checks a punishment request's reason and duration before anyone is looked up, so a
/// mass action with a bad duration is refused once, not once per member.
pub fn check_request(req: &PunishRequest) -> Result<()> {
    checked_request(req).map(|_| ())
}

fn checked_request(req: &PunishRequest) -> Result<(String, Option<i64>)> {
    let reason = required_text("The reason", &req.reason, REASON_MAX)?;
    let minutes = if req.kind.timed() {
        let text = req.duration.as_deref().unwrap_or("").trim();
        if text.is_empty() {
            return Err(ModerationError::DurationRequired.into());
        }
        let d = PunishDuration::parse(text).map_err(ModerationError::BadDuration)?;
        Some(d.minutes())
    } else {
        None
    };
    Ok((reason, minutes))
}

/// Who may give a punishment of this kind (the kind names its least role). Adapters ask
/// first, before looking the target up on Discord; [`punish`] checks again.
pub fn may_punish(actor: &Actor, kind: PunishmentKind) -> Result<()> {
    actor.require(kind.required())
}

/// Who may end a suspension or mute early: security and above (checked by [`lift`]).
pub fn may_lift(actor: &Actor) -> Result<()> {
    actor.require(RoleKey::Security)
}

/// Gives a punishment: checks, writes the row, queues Discord's side and, for suspensions
/// and mutes, the expiry timer.
pub async fn punish(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    target: &Target,
    req: PunishRequest,
) -> Result<Punishment> {
    Ok(punish_with(pool, guild, actor, target, req, None).await?.0)
}

/// [`punish`], within a mass action's batch when `batch_key` is set: the member's
/// punishment of that batch, if a retry finds one, is returned instead (`false`: not new).
async fn punish_with(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    target: &Target,
    req: PunishRequest,
    batch_key: Option<&str>,
) -> Result<(Punishment, bool)> {
    may_punish(actor, req.kind)?;
    target.check(actor, req.kind.reach())?;
    let (reason, minutes) = checked_request(&req)?;
    let delete_days = match (req.kind, req.delete_days) {
        (PunishmentKind::Ban | PunishmentKind::Softban, Some(d)) => {
            if !(0..=BAN_DELETE_DAYS_MAX).contains(&d) {
                return Err(ModerationError::BadDeleteDays.into());
            }
            Some(d as i16)
        }
        (PunishmentKind::Softban, None) => Some(1),
        _ => None,
    };
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    store_p::lock_member(&mut tx, guild, target.facts.user_id).await?;
    if let Some(key) = batch_key
        && let Some(done) = store_p::in_batch(&mut tx, guild, key, target.facts.user_id).await?
    {
        return Ok((done, false));
    }
    if let Some(key) = req.kind.role() {
        let roles = guild_config::roles(&mut tx, guild).await?;
        if !roles.contains_key(&key) {
            return Err(punishment_role_missing(key));
        }
    }
    let new = NewPunishment {
        guild_id: guild,
        kind: req.kind,
        user_id: target.facts.user_id,
        actor_id: actor.user_id,
        actor: actor.label.clone(),
        reason,
        delete_days,
        minutes,
        actor_level: target
            .bot_top_position
            .is_none()
            .then_some(i16::from(actor.level.0)),
        batch_key: batch_key.map(str::to_owned),
    };
    if req.kind.timed()
        && let Some(running) =
            store_p::lock_active_timed(&mut tx, guild, new.user_id, req.kind).await?
    {
        return Err(ModerationError::AlreadyPunished {
            user: new.user_id,
            kind: req.kind,
            running: Some((running.code, running.expires_at)),
        }
        .into());
    }
    let p = match store_p::insert(&mut tx, &new).await {
        Ok(p) => p,
        Err(e) if e.unique_violation().as_deref() == Some("punishment_one_per_batch") => {
            // The same batch, retried at the same moment by another worker: theirs stands.
            drop(tx);
            let mut conn = pool.acquire().await?;
            let key = batch_key.unwrap_or_default();
            let done = store_p::in_batch(&mut conn, guild, key, target.facts.user_id)
                .await?
                .ok_or(ModerationError::BatchConflict)?;
            return Ok((done, false));
        }
        Err(e) if e.unique_violation().as_deref() == Some("punishment_one_active_timed") => {
            return Err(ModerationError::AlreadyPunished {
                user: new.user_id,
                kind: req.kind,
                running: None,
            }
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    let punishment_id = p.punishment_id;
    // Quota points for the staff member, once per punishment, in this transaction.
    let action = match req.kind {
        PunishmentKind::Warn => Some(ModAction::Warn),
        PunishmentKind::Suspend => Some(ModAction::Suspend),
        _ => None,
    };
    if let (Some(action), Some(staff)) = (action, actor.user_id) {
        crate::quota::award_moderation(
            &mut tx,
            guild,
            staff,
            action,
            &format!("punishment:{punishment_id}"),
        )
        .await?;
    }
    tasks::queue(
        &mut tx,
        guild,
        Task::PunishmentApply { punishment_id },
        None,
    )
    .await?;
    crate::escalation::apply(&mut tx, guild, &p).await?;
    if let Some(due) = p.expires_at {
        tasks::queue(
            &mut tx,
            guild,
            Task::PunishmentExpire { punishment_id },
            Some(due),
        )
        .await?;
    }
    tx.commit().await?;
    Ok((p, true))
}

pub async fn get(pool: &PgPool, guild: Snowflake, punishment_id: i64) -> Result<Punishment> {
    let mut conn = pool.acquire().await?;
    store_p::get(&mut conn, guild, punishment_id)
        .await?
        .ok_or_else(|| ModerationError::NoSuchPunishmentId { punishment_id }.into())
}

/// A punishment by the id staff type (`P-4K7Q2`), for readers at security or above.
pub async fn find_by_code(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    code: &str,
) -> Result<Punishment> {
    actor.require(RoleKey::Security)?;
    let code = parse_code(code)?;
    let mut tx = pool.begin().await?;
    let p = store_p::lock_by_code(&mut tx, guild, &code)
        .await?
        .ok_or_else(|| unknown_code(&code))?;
    tx.commit().await?;
    Ok(p)
}

fn parse_code(text: &str) -> Result<String> {
    parse_punishment_code(text).ok_or_else(|| {
        ModerationError::BadPunishmentCode {
            text: text.trim().chars().take(20).collect(),
        }
        .into()
    })
}

fn unknown_code(code: &str) -> ServiceError {
    ModerationError::NoSuchPunishment {
        code: code.to_owned(),
    }
    .into()
}

async fn end_locked(
    conn: &mut PgConnection,
    p: &Punishment,
    status: PunishmentStatus,
    actor: Option<&Actor>,
    reason: Option<&str>,
    what: PunishmentEvent,
) -> Result<bool> {
    let (guild, id) = (p.guild_id, p.punishment_id);
    let ended = store_p::end(
        conn,
        guild,
        id,
        status,
        actor.and_then(|a| a.user_id),
        actor.map(|a| a.label.as_str()),
        reason,
    )
    .await?;
    if !ended {
        return Ok(false);
    }
    if p.kind.timed() {
        tasks::queue(
            conn,
            guild,
            Task::PunishmentRole {
                punishment_id: id,
                give: false,
            },
            None,
        )
        .await?;
    }
    tasks::log(
        conn,
        guild,
        ChannelKey::PunishmentLog,
        LogEvent::Punishment {
            punishment_id: id,
            what,
        },
    )
    .await?;
    Ok(true)
}

/// Ends a member's running suspension or mute early (/unsuspend, /unmute): the role is
/// taken and the log says "lifted".
pub async fn lift(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    target: &Target,
    kind: PunishmentKind,
    reason: &str,
) -> Result<Punishment> {
    may_lift(actor)?;
    target.check(actor, Reach::Discord)?;
    let reason = required_text("The reason", reason, REASON_MAX)?;
    let user = target.facts.user_id;
    let mut tx = pool.begin().await?;
    let p = store_p::lock_active_timed(&mut tx, guild, user, kind)
        .await?
        .ok_or(ModerationError::NotPunished { user, kind })?;
    end_locked(
        &mut tx,
        &p,
        PunishmentStatus::Lifted,
        Some(actor),
        Some(&reason),
        PunishmentEvent::Lifted,
    )
    .await?;
    let p = store_p::get(&mut tx, guild, p.punishment_id)
        .await?
        .ok_or_else(|| unknown_code(&p.code))?;
    tx.commit().await?;
    Ok(p)
}

/// Deactivates a punishment by its id (/removepunishment); it stays in history. Security
/// staff (a member, or an API key) may remove any warning and the punishments they gave;
/// officers and above any. A running suspension or
/// mute loses its role too.
pub async fn remove(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    code: &str,
    reason: &str,
) -> Result<Punishment> {
    actor.require(RoleKey::Security)?;
    let code = parse_code(code)?;
    let reason = required_text("The reason", reason, REASON_MAX)?;
    let mut tx = pool.begin().await?;
    let p = store_p::lock_by_code(&mut tx, guild, &code)
        .await?
        .ok_or_else(|| unknown_code(&code))?;
    let officer = RoleKey::Officer.level().is_some_and(|l| actor.level >= l);
    // As in the original: security removes any warning, and the punishments it gave.
    if !officer && p.kind != PunishmentKind::Warn && !actor.did(p.actor_id, &p.actor) {
        return Err(ModerationError::MayNotRemove.into());
    }
    if actor.user_id == Some(p.user_id) {
        return Err(refusal(HierarchyRefusal::SelfTarget));
    }
    if p.status != PunishmentStatus::Active {
        return Err(ModerationError::NotActiveToRemove {
            code: p.code,
            status: p.status,
        }
        .into());
    }
    end_locked(
        &mut tx,
        &p,
        PunishmentStatus::Removed,
        Some(actor),
        Some(&reason),
        PunishmentEvent::Removed,
    )
    .await?;
    // Issued in error: the quota points it earned its issuer go back, once.
    crate::quota::take_back_moderation(
        &mut tx,
        guild,
        &format!("punishment:{}", p.punishment_id),
        actor.user_id,
        &format!("{} removed: {reason}", p.code),
    )
    .await?;
    let p = store_p::get(&mut tx, guild, p.punishment_id)
        .await?
        .ok_or_else(|| unknown_code(&code))?;
    tx.commit().await?;
    Ok(p)
}

/// The expiry timer fired. Ends the punishment if it is still running and its time is up,
/// queueing the role removal and the "expired" log entry once. Returns whether it did.
pub async fn expire(pool: &PgPool, guild: Snowflake, punishment_id: i64) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let Some(p) = store_p::lock(&mut tx, guild, punishment_id).await? else {
        return Ok(false);
    };
    if p.status != PunishmentStatus::Active {
        return Ok(false);
    }
    if let Some(due) = p.expires_at
        && due > chrono::Utc::now()
    {
        // Fired early (clock skew): set again for its time.
        tasks::queue(
            &mut tx,
            guild,
            Task::PunishmentExpire { punishment_id },
            Some(due),
        )
        .await?;
        tx.commit().await?;
        return Ok(false);
    }
    let ended = end_locked(
        &mut tx,
        &p,
        PunishmentStatus::Expired,
        None,
        None,
        PunishmentEvent::Expired,
    )
    .await?;
    tx.commit().await?;
    Ok(ended)
}

/// A member joined (or rejoined): give back the role of every suspension or mute still
/// running, so leaving and rejoining does not dodge one. Returns their codes.
pub async fn member_joined(
    pool: &PgPool,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Vec<String>> {
    let mut tx = pool.begin().await?;
    let running = store_p::active_timed(&mut tx, guild, user).await?;
    for p in &running {
        tasks::queue(
            &mut tx,
            guild,
            Task::PunishmentRole {
                punishment_id: p.punishment_id,
                give: true,
            },
            None,
        )
        .await?;
    }
    // A member with a record is flagged in the punishment log (removed ones left out).
    let record = store_p::record_counts(&mut tx, guild, user).await?;
    if !record.is_empty() {
        tasks::log(
            &mut tx,
            guild,
            ChannelKey::PunishmentLog,
            LogEvent::MemberRejoined {
                user_id: user,
                record: record
                    .into_iter()
                    .map(|(kind, total, active)| tasks::KindCount {
                        kind,
                        total,
                        active,
                    })
                    .collect(),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(running.into_iter().map(|p| p.code).collect())
}

/// The job's DM step finished (first outcome wins).
pub async fn dm_outcome(
    pool: &PgPool,
    guild: Snowflake,
    punishment_id: i64,
    dm: DmStatus,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    store_p::set_dm_status(&mut conn, guild, punishment_id, dm).await?;
    Ok(())
}

/// The job did Discord's side (or could not: `error`); queues the log entry once.
pub async fn applied(
    pool: &PgPool,
    guild: Snowflake,
    punishment_id: i64,
    error: Option<&str>,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    if store_p::set_applied(&mut tx, guild, punishment_id, error).await? {
        tasks::log(
            &mut tx,
            guild,
            ChannelKey::PunishmentLog,
            LogEvent::Punishment {
                punishment_id,
                what: PunishmentEvent::Issued,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The apply job found that Discord's hierarchy forbids a punishment given through the API
/// (which cannot see Discord's roles): the punishment ends as removed, nothing is applied,
/// and the log says why. Returns false if it was already applied or ended.
pub async fn refused_at_apply(
    pool: &PgPool,
    guild: Snowflake,
    punishment_id: i64,
    why: &str,
) -> Result<bool> {
    let why: String = format!("refused: {why}").chars().take(REASON_MAX).collect();
    let mut tx = pool.begin().await?;
    let Some(p) = store_p::lock(&mut tx, guild, punishment_id).await? else {
        return Ok(false);
    };
    if p.applied_at.is_some() || p.status != PunishmentStatus::Active {
        return Ok(false);
    }
    store_p::end(
        &mut tx,
        guild,
        punishment_id,
        PunishmentStatus::Removed,
        None,
        Some("raidbot (hierarchy check)"),
        Some(&why),
    )
    .await?;
    store_p::set_applied(&mut tx, guild, punishment_id, Some(&why)).await?;
    tasks::log(
        &mut tx,
        guild,
        ChannelKey::PunishmentLog,
        LogEvent::Punishment {
            punishment_id,
            what: PunishmentEvent::Issued,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Whether the punishment's role should be on the member now: it is running, or another
/// running punishment of the same kind needs the same role.
pub async fn role_wanted(pool: &PgPool, guild: Snowflake, p: &Punishment) -> Result<bool> {
    if p.status == PunishmentStatus::Active {
        return Ok(true);
    }
    let mut conn = pool.acquire().await?;
    Ok(store_p::other_active(&mut conn, guild, p.user_id, p.kind, p.punishment_id).await?)
}

/// Lifts a ban (/unban): officers; ends the recorded bans and queues the unban.
pub async fn unban(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
    reason: &str,
) -> Result<usize> {
    actor.require(RoleKey::Officer)?;
    if actor.user_id == Some(user) {
        return Err(refusal(HierarchyRefusal::SelfTarget));
    }
    let reason = required_text("The reason", reason, REASON_MAX)?;
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    let bans = store_p::lock_active_bans(&mut tx, guild, user).await?;
    for p in &bans {
        store_p::end(
            &mut tx,
            guild,
            p.punishment_id,
            PunishmentStatus::Removed,
            actor.user_id,
            Some(&actor.label),
            Some(&reason),
        )
        .await?;
    }
    tasks::queue(
        &mut tx,
        guild,
        Task::Unban {
            user_id: user,
            reason: reason.clone(),
        },
        None,
    )
    .await?;
    tasks::log(
        &mut tx,
        guild,
        ChannelKey::PunishmentLog,
        LogEvent::Unbanned {
            user_id: user,
            by: actor_mention(actor),
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(bans.len())
}

fn actor_mention(actor: &Actor) -> String {
    actor
        .user_id
        .map(|u| format!("<@{u}>"))
        .unwrap_or_else(|| actor.label.clone())
}

/// A page of the member's punishments, newest first (security and above), and the total.
pub async fn history(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
    page: i64,
    page_size: i64,
) -> Result<(Vec<Punishment>, i64)> {
    actor.require(RoleKey::Security)?;
    let mut conn = pool.acquire().await?;
    Ok(store_p::for_member(&mut conn, guild, user, page_size, page.max(0) * page_size).await?)
}

// ---------- notes ----------

/// Adds a staff note (security and above). Notes are never shown to the member.
pub async fn add_note(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    target: &Target,
    text: &str,
) -> Result<Note> {
    actor.require(RoleKey::Security)?;
    if actor.user_id == Some(target.facts.user_id) {
        return Err(refusal(HierarchyRefusal::SelfTarget));
    }
    let body = required_text("The note", text, NOTE_MAX)?;
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    let note = member_notes::insert_note(
        &mut tx,
        guild,
        target.facts.user_id,
        actor.user_id,
        &actor.label,
        &body,
    )
    .await?;
    tasks::log(
        &mut tx,
        guild,
        ChannelKey::PunishmentLog,
        LogEvent::NoteChanged {
            note_id: note.note_id,
            user_id: note.user_id,
            by: actor_mention(actor),
            removed: false,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(note)
}

/// Removes a note (officers). The member is not told and the log does not repeat the text.
pub async fn remove_note(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    note_id: i64,
) -> Result<Note> {
    actor.require(RoleKey::Officer)?;
    let mut tx = pool.begin().await?;
    let note = member_notes::get_note(&mut tx, guild, note_id)
        .await?
        .ok_or(ModerationError::NoSuchNote { note_id })?;
    if !member_notes::remove_note(&mut tx, guild, note_id, actor.user_id).await? {
        return Err(ModerationError::NoteRemoved { note_id }.into());
    }
    tasks::log(
        &mut tx,
        guild,
        ChannelKey::PunishmentLog,
        LogEvent::NoteChanged {
            note_id,
            user_id: note.user_id,
            by: actor_mention(actor),
            removed: true,
        },
    )
    .await?;
    let note = member_notes::get_note(&mut tx, guild, note_id)
        .await?
        .ok_or(ModerationError::NoteGone { note_id })?;
    tx.commit().await?;
    Ok(note)
}

/// A page of the member's notes (security and above), and the total.
pub async fn notes(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
    page: i64,
    page_size: i64,
) -> Result<(Vec<Note>, i64)> {
    actor.require(RoleKey::Security)?;
    let mut conn = pool.acquire().await?;
    Ok(
        member_notes::notes_for_member(&mut conn, guild, user, page_size, page.max(0) * page_size)
            .await?,
    )
}

/// What `/find`'s info tab shows from the database: the raider record (IGN, status) and
/// the running punishments. Security and above.
pub async fn member_summary(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
) -> Result<(Option<(Option<String>, String)>, Vec<Punishment>)> {
    actor.require(RoleKey::Security)?;
    let mut conn = pool.acquire().await?;
    let record = store::verification::names::member_record(&mut conn, guild, user).await?;
    let running = store_p::active_timed(&mut conn, guild, user).await?;
    Ok((record, running))
}

// ---------- /editpunishment ----------

/// What staff change on a running punishment: its length (suspensions and mutes, counted
/// from when it was given) and/or its reason.
#[derive(Debug, Clone, Default)]
pub struct EditRequest {
    pub duration: Option<String>,
    pub reason: Option<String>,
}

/// A punishment after an edit, and what it was before.
#[derive(Debug, Clone)]
pub struct Edited {
    pub punishment: Punishment,
    pub old_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub old_reason: Option<String>,
}

/// Changes a running punishment (/editpunishment, PATCH): the issuer or an officer and
/// above. A new length moves the expiry timer; the member is told and the log says what
/// changed, in the same transaction.
pub async fn edit(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    code: &str,
    req: EditRequest,
) -> Result<Edited> {
    actor.require(RoleKey::Security)?;
    let code = parse_code(code)?;
    let reason = match req.reason.as_deref() {
        Some(r) => Some(required_text("The reason", r, REASON_MAX)?),
        None => None,
    };
    let duration = match req.duration.as_deref().map(str::trim) {
        Some(text) => Some(PunishDuration::parse(text).map_err(ModerationError::BadDuration)?),
        None => None,
    };
    if reason.is_none() && duration.is_none() {
        return Err(ModerationError::NothingToEdit.into());
    }
    let mut tx = pool.begin().await?;
    let p = store_p::lock_by_code(&mut tx, guild, &code)
        .await?
        .ok_or_else(|| unknown_code(&code))?;
    let officer = RoleKey::Officer.level().is_some_and(|l| actor.level >= l);
    if !officer && !actor.did(p.actor_id, &p.actor) {
        return Err(ModerationError::MayNotEdit.into());
    }
    if actor.user_id == Some(p.user_id) {
        return Err(refusal(HierarchyRefusal::SelfTarget));
    }
    if p.status != PunishmentStatus::Active {
        return Err(ModerationError::NotActiveToEdit {
            code: p.code,
            status: p.status,
        }
        .into());
    }
    if duration.is_some() && !p.kind.timed() {
        return Err(ModerationError::DurationNotAllowed {
            code: p.code,
            kind: p.kind,
        }
        .into());
    }
    if let Some(d) = duration {
        let ends = p.created_at + chrono::Duration::minutes(d.minutes());
        if ends <= chrono::Utc::now() {
            return Err(ModerationError::EditAlreadyOver {
                code: p.code,
                kind: p.kind,
                given: p.created_at,
                duration: d,
            }
            .into());
        }
    }
    let edited = store_p::edit(
        &mut tx,
        guild,
        p.punishment_id,
        duration.map(|d| d.minutes()),
        reason.as_deref(),
        &actor_mention(actor),
    )
    .await?
    .ok_or_else(|| unknown_code(&code))?;
    if duration.is_some()
        && let Some(due) = edited.expires_at
    {
        tasks::move_timer(
            &mut tx,
            guild,
            Task::PunishmentExpire {
                punishment_id: p.punishment_id,
            },
            due,
        )
        .await?;
    }
    let old_expires_at = if edited.expires_at != p.expires_at {
        p.expires_at
    } else {
        None
    };
    let old_reason = (edited.reason != p.reason).then(|| p.reason.clone());
    tasks::queue(
        &mut tx,
        guild,
        Task::PunishmentEditedDm {
            punishment_id: p.punishment_id,
        },
        None,
    )
    .await?;
    tasks::log(
        &mut tx,
        guild,
        ChannelKey::PunishmentLog,
        LogEvent::PunishmentEdited {
            punishment_id: p.punishment_id,
            by: actor_mention(actor),
            old_expires_at,
            old_reason: old_reason.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Edited {
        punishment: edited,
        old_expires_at,
        old_reason,
    })
}

// ---------- mass actions ----------

/// Who may use /masssuspend and /masswarn: officers and above.
pub fn may_mass(actor: &Actor) -> Result<()> {
    actor.require(RoleKey::Officer)
}

/// One member of a mass action's list, resolved to a user (or why not).
#[derive(Debug)]
pub struct MassTarget {
    /// What staff wrote for them.
    pub entry: String,
    pub user: Result<Snowflake>,
}

/// Reads a mass action's list: mentions and ids as they are, IGNs looked up among the
/// guild's verified names. A name nobody holds, or a member named twice, is reported for
/// that entry only.
pub async fn resolve_mass(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    text: &str,
) -> Result<Vec<MassTarget>> {
    may_mass(actor)?;
    let entries =
        domain::moderation::parse_mass_targets(text).map_err(ModerationError::BadMemberList)?;
    let mut conn = pool.acquire().await?;
    let mut out: Vec<MassTarget> = Vec::with_capacity(entries.len());
    for (entry, e) in entries {
        let user = match e {
            domain::moderation::MassEntry::Id(u) => Ok(u),
            domain::moderation::MassEntry::Ign(name) => {
                match store::verification::names::owner_of(&mut conn, guild, &name).await? {
                    Some((u, _)) => Ok(u),
                    None => Err(ModerationError::UnknownIgn {
                        name: name.chars().take(32).collect(),
                    }
                    .into()),
                }
            }
        };
        let user = match user {
            Ok(u) if out.iter().any(|t| t.user.as_ref().ok() == Some(&u)) => {
                Err(ModerationError::NamedTwice { user: u }.into())
            }
            other => other,
        };
        out.push(MassTarget { entry, user });
    }
    Ok(out)
}

/// What a mass action did for one member.
#[derive(Debug)]
pub enum MassOutcome {
    /// Given now, or (`fresh` false) by an earlier try of the same batch.
    Done {
        punishment: Box<Punishment>,
        fresh: bool,
    },
    Refused(ServiceError),
}

/// Gives one member of a mass action their punishment, in its own transaction so one
/// refusal never stops the rest. `batch_key` names the action (the interaction): a retry
/// of the batch finds what the first try gave and gives nothing twice.
pub async fn punish_in_batch(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    target: &Target,
    req: PunishRequest,
    batch_key: &str,
) -> MassOutcome {
    if let Err(e) = may_mass(actor) {
        return MassOutcome::Refused(e);
    }
    match punish_with(pool, guild, actor, target, req, Some(batch_key)).await {
        Ok((punishment, fresh)) => MassOutcome::Done {
            punishment: Box::new(punishment),
            fresh,
        },
        Err(e) => MassOutcome::Refused(e),
    }
}
