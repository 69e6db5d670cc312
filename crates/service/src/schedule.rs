//! Scheduled raids: an organizer announces a run for a later time; members sign up (or say
//! maybe, or that they bring a key); a reminder pings the signed-up members before the
//! start; at the time the run panel opens by itself with the organizer as organizer and the
//! signed-up members are told by DM, with a button that joins the run. Afterwards the
//! signed-up members who never joined count as no-shows in `/stats`.
//!
//! Everything is rows and timers (`Task::ScheduleRemind`, `Task::ScheduleOpen`): each change
//! holds the scheduled raid's row lock and moves its status in the same transaction that
//! queues the DMs, so a restart or a second process never loses or doubles one.

use chrono::Utc;
use chrono_tz::Tz;
use domain::catalog::catalog;
use domain::limits::{self, DESCRIPTION_MAX};
use domain::schedule::{self as rules, MAX_REMINDER_MINUTES, ScheduleStatus, SignupKind};
use domain::{ChannelKey, RoleKey, Snowflake};
use store::schedule::{self as store_sched, NewScheduled};
pub use store::schedule::{KeyHolder, MemberRecord, Scheduled, Signup};
use store::{PgConnection, PgPool, guild_config};

use crate::config::{SettingsChange, record_settings_change};
use crate::error::Refusal;
use crate::headcounts::HeadcountError;
use crate::runs::{self, MAX_RAIDER_CAP, RunError, RunRequest};
use crate::tasks::{self, ScheduleNote, SettingsArea, Task};
use crate::{Actor, Result, ServiceError};

/// Why a scheduled raid (or the schedule settings) refused; the adapters word it
/// (`messages::schedule`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("schedule refused: {}", self.code())]
pub enum ScheduleError {
    /// The start time is not understood, past, too far ahead or does not exist locally.
    BadWhen(rules::WhenError),
    /// Not an IANA time zone name.
    UnknownTimeZone(rules::UnknownTimeZone),
    /// The reminder's lead time is not 0 to [`MAX_REMINDER_MINUTES`] minutes.
    BadReminder,
    /// Scheduling by an API key or the system: a raid has a member as organizer.
    OrganizerRequired,
    /// A dungeon code raidbot does not know (as typed).
    UnknownDungeon { code: String },
    /// The description is too long (or otherwise not storable text).
    BadDescription(limits::TextError),
    /// The raider cap is not 1 to [`MAX_RAIDER_CAP`].
    BadCap,
    /// A key reaction that is not one of the scheduled dungeon's keys.
    NotThisDungeonsKey,
    /// The Join button pressed in a DM: it works on the announcement in the server.
    GuildOnly,

    /// No scheduled raid with this id in this guild.
    NotFound { schedule_id: i64 },
    /// A scheduled raid whose guild can no longer be found (its Join button in a DM).
    Gone,

    /// Someone who does not manage the scheduled raid tried to manage it.
    NotManager,
    /// Someone answered a scheduled raid for another member.
    NotTheRaider,

    /// The raid already opened as run `run_id`.
    Opened { run_id: i64 },
    /// The raid was called off.
    CalledOff,
    /// The guild has no raid channel to announce the raid in.
    NoRaidChannel,
    /// Opened early while the organizer still has another run or headcount.
    OrganizerBusy,
    /// The DM's Join button before the raid opened.
    NotOpenYet,
}

impl ScheduleError {
    /// A stable snake_case code for logs and the REST API.
    pub fn code(&self) -> &'static str {
        use ScheduleError as E;
        match self {
            E::BadWhen(_) => "invalid_when",
            E::UnknownTimeZone(_) => "unknown_time_zone",
            E::BadReminder => "invalid_reminder",
            E::OrganizerRequired => "organizer_required",
            E::UnknownDungeon { .. } => "unknown_dungeon",
            E::BadDescription(_) => "invalid_text",
            E::BadCap => "invalid_cap",
            E::NotThisDungeonsKey => "not_in_schedule",
            E::GuildOnly => "guild_only",
            E::NotFound { .. } | E::Gone => "not_found",
            E::NotManager | E::NotTheRaider => "forbidden",
            E::Opened { .. } | E::CalledOff => "schedule_closed",
            E::NoRaidChannel => "raid_channel_not_configured",
            E::OrganizerBusy => "active_run_exists",
            E::NotOpenYet => "schedule_not_open",
        }
    }

    /// What kind of refusal this is.
    pub fn kind(&self) -> Refusal {
        use ScheduleError as E;
        match self {
            E::NotFound { .. } | E::Gone => Refusal::NotFound,
            E::NotManager | E::NotTheRaider => Refusal::Forbidden,
            E::Opened { .. }
            | E::CalledOff
            | E::NoRaidChannel
            | E::OrganizerBusy
            | E::NotOpenYet => Refusal::Conflict,
            E::BadWhen(_)
            | E::UnknownTimeZone(_)
            | E::BadReminder
            | E::OrganizerRequired
            | E::UnknownDungeon { .. }
            | E::BadDescription(_)
            | E::BadCap
            | E::NotThisDungeonsKey
            | E::GuildOnly => Refusal::Invalid,
        }
    }
}

/// How long an opening waits before trying again while the organizer still has another
/// run active.
const OPEN_RETRY: chrono::Duration = chrono::Duration::seconds(60);

/// A scheduled raid with its answers: what its announcement shows.
#[derive(Debug, Clone)]
pub struct ScheduleDetail {
    pub scheduled: Scheduled,
    /// Oldest first.
    pub signups: Vec<Signup>,
    pub keys: Vec<KeyHolder>,
    /// Once its run ended: the signed-up members who never joined it.
    pub no_shows: Vec<Snowflake>,
}

impl ScheduleDetail {
    pub fn who(&self, kind: SignupKind) -> Vec<Snowflake> {
        self.signups
            .iter()
            .filter(|s| s.kind == kind)
            .map(|s| s.user_id)
            .collect()
    }

    pub fn key_holders(&self, reaction: &str) -> Vec<Snowflake> {
        self.keys
            .iter()
            .filter(|k| k.reaction == reaction)
            .map(|k| k.user_id)
            .collect()
    }
}

/// The server's schedule settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleSettings {
    pub time_zone: Tz,
    pub reminder_minutes: i32,
}

/// What `/schedule` asks for.
#[derive(Debug, Clone, Default)]
pub struct ScheduleRequest {
    pub dungeon: String,
    pub when: String,
    pub description: Option<String>,
    pub raider_cap: Option<i32>,
}

/// A member's press on the announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Going,
    Maybe,
    Withdraw,
    /// Toggle bringing this key (a reaction code of the dungeon).
    Key(String),
}

/// What a press did.
#[derive(Debug, Clone)]
pub struct Answered {
    pub scheduled: Scheduled,
    /// For a key: whether the member brings it now. For Withdraw: whether there was
    /// anything to take back. Otherwise true.
    pub on: bool,
}

fn not_found(id: i64) -> ServiceError {
    ScheduleError::NotFound { schedule_id: id }.into()
}

fn when_error(e: rules::WhenError) -> ServiceError {
    ScheduleError::BadWhen(e).into()
}

/// Why a scheduled raid no longer takes a change.
fn closed(s: &Scheduled) -> ServiceError {
    match (s.status, s.run_id) {
        (ScheduleStatus::Opened, Some(run_id)) => ScheduleError::Opened { run_id }.into(),
        _ => ScheduleError::CalledOff.into(),
    }
}

/// The organizer, or staff above the organizer level, may manage a scheduled raid.
pub fn may_manage(actor: &Actor, s: &Scheduled) -> bool {
    actor.manages(s.organizer_id)
}

fn require_manager(actor: &Actor, s: &Scheduled) -> Result<()> {
    if may_manage(actor, s) {
        Ok(())
    } else {
        Err(ScheduleError::NotManager.into())
    }
}

async fn settings_in(conn: &mut PgConnection, guild: Snowflake) -> Result<ScheduleSettings> {
    let (name, reminder_minutes) = store_sched::settings(conn, guild).await?;
    // The name was checked when it was set; a zone dropped from the database reads as UTC.
    let time_zone = rules::parse_time_zone(&name).unwrap_or(Tz::UTC);
    Ok(ScheduleSettings {
        time_zone,
        reminder_minutes,
    })
}

pub async fn settings(pool: &PgPool, guild: Snowflake) -> Result<ScheduleSettings> {
    let mut conn = pool.acquire().await?;
    settings_in(&mut conn, guild).await
}

/// Sets the server's time zone and/or the reminder's lead time. Administrators only.
pub async fn set_settings(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    time_zone: Option<&str>,
    reminder_minutes: Option<i32>,
) -> Result<ScheduleSettings> {
    actor.require(RoleKey::Administrator)?;
    let zone = time_zone
        .map(rules::parse_time_zone)
        .transpose()
        .map_err(ScheduleError::UnknownTimeZone)?;
    if let Some(m) = reminder_minutes
        && !(0..=MAX_REMINDER_MINUTES).contains(&m)
    {
        return Err(ScheduleError::BadReminder.into());
    }
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    let before = settings_in(&mut tx, guild).await?;
    store_sched::set_settings(&mut tx, guild, zone.map(|z| z.name()), reminder_minutes).await?;
    let after = settings_in(&mut tx, guild).await?;
    // Audited and posted to bot_log like every other settings change.
    let mut change = SettingsChange::new("configure_schedule", SettingsArea::Schedule);
    change.field("time_zone", before.time_zone.name(), after.time_zone.name());
    change.field(
        "reminder_minutes",
        before.reminder_minutes,
        after.reminder_minutes,
    );
    record_settings_change(&mut tx, guild, actor, change).await?;
    tx.commit().await?;
    Ok(after)
}

async fn refresh_panel(conn: &mut PgConnection, guild: Snowflake, id: i64) -> store::Result<()> {
    let due = tasks::panel_refresh_due();
    let task = Task::SchedulePanelRefresh { schedule_id: id };
    tasks::queue(conn, guild, task, Some(due)).await?;
    Ok(())
}

/// Announces a raid of `req.dungeon` at `req.when` for the actor (an organizer), and sets
/// its reminder and opening timers.
pub async fn create(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    req: ScheduleRequest,
) -> Result<Scheduled> {
    actor.require(RoleKey::Organizer)?;
    let organizer = actor.user_id.ok_or(ScheduleError::OrganizerRequired)?;
    let dungeon =
        catalog()
            .dungeon(req.dungeon.trim())
            .ok_or_else(|| ScheduleError::UnknownDungeon {
                code: req.dungeon.trim().to_owned(),
            })?;
    let description =
        limits::optional_text("Description", req.description.as_deref(), DESCRIPTION_MAX)
            .map_err(ScheduleError::BadDescription)?;
    if let Some(cap) = req.raider_cap
        && !(1..=MAX_RAIDER_CAP).contains(&cap)
    {
        return Err(ScheduleError::BadCap.into());
    }
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    let settings = settings_in(&mut tx, guild).await?;
    let now = Utc::now();
    let starts_at = rules::parse_when(&req.when, now, settings.time_zone).map_err(when_error)?;
    let raid_channel = guild_config::channel(&mut tx, guild, ChannelKey::Raid)
        .await?
        .ok_or(ScheduleError::NoRaidChannel)?;
    let remind_at = rules::remind_at(starts_at, settings.reminder_minutes, now);
    let new = NewScheduled {
        guild_id: guild,
        organizer_id: organizer,
        dungeon_code: dungeon.code.clone(),
        description,
        raider_cap: req.raider_cap,
        starts_at,
        remind_at,
        panel_channel_id: raid_channel,
    };
    let id = store_sched::insert(&mut tx, &new).await?;
    tasks::queue(
        &mut tx,
        guild,
        Task::SchedulePanelPost { schedule_id: id },
        None,
    )
    .await?;
    let remind = Task::ScheduleRemind { schedule_id: id };
    tasks::queue(&mut tx, guild, remind, Some(remind_at)).await?;
    let open = Task::ScheduleOpen { schedule_id: id };
    tasks::queue(&mut tx, guild, open, Some(starts_at)).await?;
    let s = store_sched::get(&mut tx, guild, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    tx.commit().await?;
    Ok(s)
}

pub async fn get(pool: &PgPool, guild: Snowflake, id: i64) -> Result<ScheduleDetail> {
    let mut conn = pool.acquire().await?;
    detail(&mut conn, guild, id).await
}

async fn detail(conn: &mut PgConnection, guild: Snowflake, id: i64) -> Result<ScheduleDetail> {
    let scheduled = store_sched::get(conn, guild, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let signups = store_sched::signups(conn, guild, id).await?;
    let keys = store_sched::keys(conn, guild, id).await?;
    let no_shows = if scheduled.status == ScheduleStatus::Opened {
        store_sched::no_shows(conn, guild, id).await?
    } else {
        Vec::new()
    };
    Ok(ScheduleDetail {
        scheduled,
        signups,
        keys,
        no_shows,
    })
}

/// A member signs up, says maybe, withdraws, or toggles a key.
pub async fn answer(
    pool: &PgPool,
    guild: Snowflake,
    id: i64,
    actor: &Actor,
    user: Snowflake,
    answer: Answer,
) -> Result<Answered> {
    if actor.user_id != Some(user) {
        return Err(ScheduleError::NotTheRaider.into());
    }
    actor.require(RoleKey::VerifiedRaider)?;
    let mut tx = pool.begin().await?;
    let s = store_sched::lock(&mut tx, guild, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    if s.status != ScheduleStatus::Scheduled {
        return Err(closed(&s));
    }
    let on = match &answer {
        Answer::Going | Answer::Maybe => {
            crate::moderation::refuse_if_suspended(&mut tx, guild, user).await?;
            let kind = if answer == Answer::Going {
                SignupKind::Going
            } else {
                SignupKind::Maybe
            };
            store_sched::set_signup(&mut tx, guild, id, user, kind).await?;
            true
        }
        Answer::Withdraw => store_sched::withdraw(&mut tx, guild, id, user).await? > 0,
        Answer::Key(code) => {
            let belongs = catalog()
                .dungeon(&s.dungeon_code)
                .is_some_and(|d| d.keys.iter().any(|k| &k.reaction == code));
            if !belongs {
                return Err(ScheduleError::NotThisDungeonsKey.into());
            }
            crate::moderation::refuse_if_suspended(&mut tx, guild, user).await?;
            store_sched::toggle_key(&mut tx, guild, id, code, user).await?
        }
    };
    refresh_panel(&mut tx, guild, id).await?;
    tx.commit().await?;
    Ok(Answered { scheduled: s, on })
}

/// The reminder timer fired: the raid to remind about (its signed-up members), or `None`
/// when there is nothing to send (already sent, opened, called off, or moved later: then
/// the timer is set again for the new time). The bot posts, then calls [`reminded`].
pub async fn reminder_due(
    pool: &PgPool,
    guild: Snowflake,
    id: i64,
) -> Result<Option<ScheduleDetail>> {
    let mut tx = pool.begin().await?;
    let Some(s) = store_sched::lock(&mut tx, guild, id).await? else {
        return Ok(None);
    };
    if s.status != ScheduleStatus::Scheduled || s.reminded_at.is_some() {
        return Ok(None);
    }
    if s.remind_at > Utc::now() {
        let timer = Task::ScheduleRemind { schedule_id: id };
        tasks::queue(&mut tx, guild, timer, Some(s.remind_at)).await?;
        tx.commit().await?;
        return Ok(None);
    }
    let d = detail(&mut tx, guild, id).await?;
    tx.commit().await?;
    Ok(Some(d))
}

/// The reminder was posted.
pub async fn reminded(pool: &PgPool, guild: Snowflake, id: i64) -> Result<()> {
    let mut conn = pool.acquire().await?;
    store_sched::mark_reminded(&mut conn, guild, id).await?;
    Ok(())
}

/// Opens the run in `tx` (the row is locked and still scheduled): the run panel, the DMs to
/// the signed-up members, the announcement's refresh. `Ok(None)`: the organizer still has
/// another run active.
async fn open_locked(
    pool: &PgPool,
    mut tx: store::Transaction<'static, store::Postgres>,
    guild: Snowflake,
    s: &Scheduled,
    actor: &Actor,
) -> Result<Option<Scheduled>> {
    let id = s.schedule_id;
    let req = RunRequest {
        organizer_id: Some(s.organizer_id),
        dungeon: s.dungeon_code.clone(),
        description: s.description.clone(),
        raider_cap: s.raider_cap,
        ..Default::default()
    };
    let run = match runs::create_in(&mut tx, guild, actor, req, None).await {
        Ok(run) => run,
        Err(
            ServiceError::Run(RunError::ActiveRunExists { .. })
            | ServiceError::Headcount(HeadcountError::ActiveHeadcountExists { .. }),
        ) => {
            // The organizer is still busy: try again shortly (without the schedule row's
            // lock, which the refusal's transaction holds).
            drop(tx);
            let mut tx = pool.begin().await?;
            let timer = Task::ScheduleOpen { schedule_id: id };
            tasks::queue(&mut tx, guild, timer, Some(Utc::now() + OPEN_RETRY)).await?;
            tx.commit().await?;
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    store_sched::mark_opened(&mut tx, guild, id, run.run_id).await?;
    for signup in store_sched::signups(&mut tx, guild, id).await? {
        if signup.kind == SignupKind::Going {
            let dm = Task::ScheduleDm {
                schedule_id: id,
                user_id: signup.user_id,
                note: ScheduleNote::Opened,
            };
            tasks::queue(&mut tx, guild, dm, None).await?;
        }
    }
    refresh_panel(&mut tx, guild, id).await?;
    let s = store_sched::get(&mut tx, guild, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    tx.commit().await?;
    Ok(Some(s))
}

/// The organizer's authority, for the run the timer opens on their behalf.
fn on_behalf_of(s: &Scheduled) -> Actor {
    Actor {
        user_id: Some(s.organizer_id),
        level: RoleKey::Organizer.level().unwrap_or(domain::Level::NONE),
        label: format!("scheduled raid #{}", s.schedule_id),
    }
}

/// The opening timer fired: opens the run when its time has come (else sets the timer
/// again for the stored time). Returns whether it opened it.
pub async fn open_due(pool: &PgPool, guild: Snowflake, id: i64) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let Some(s) = store_sched::lock(&mut tx, guild, id).await? else {
        return Ok(false);
    };
    if s.status != ScheduleStatus::Scheduled {
        return Ok(false);
    }
    if s.starts_at > Utc::now() {
        let timer = Task::ScheduleOpen { schedule_id: id };
        tasks::queue(&mut tx, guild, timer, Some(s.starts_at)).await?;
        tx.commit().await?;
        return Ok(false);
    }
    let actor = on_behalf_of(&s);
    Ok(open_locked(pool, tx, guild, &s, &actor).await?.is_some())
}

/// The organizer opens the run now instead of at its time.
pub async fn start_now(
    pool: &PgPool,
    guild: Snowflake,
    id: i64,
    actor: &Actor,
) -> Result<Scheduled> {
    let mut tx = pool.begin().await?;
    let s = store_sched::lock(&mut tx, guild, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    require_manager(actor, &s)?;
    if s.status != ScheduleStatus::Scheduled {
        return Err(closed(&s));
    }
    let on_behalf = on_behalf_of(&s);
    match open_locked(pool, tx, guild, &s, &on_behalf).await? {
        Some(s) => Ok(s),
        None => Err(ScheduleError::OrganizerBusy.into()),
    }
}

/// Calls the raid off; the signed-up members (and maybes) are told by DM.
pub async fn cancel(pool: &PgPool, guild: Snowflake, id: i64, actor: &Actor) -> Result<Scheduled> {
    let mut tx = pool.begin().await?;
    let s = store_sched::lock(&mut tx, guild, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    require_manager(actor, &s)?;
    if s.status != ScheduleStatus::Scheduled {
        return Err(closed(&s));
    }
    store_sched::mark_cancelled(&mut tx, guild, id).await?;
    for signup in store_sched::signups(&mut tx, guild, id).await? {
        let dm = Task::ScheduleDm {
            schedule_id: id,
            user_id: signup.user_id,
            note: ScheduleNote::Cancelled,
        };
        tasks::queue(&mut tx, guild, dm, None).await?;
    }
    refresh_panel(&mut tx, guild, id).await?;
    let s = store_sched::get(&mut tx, guild, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    tx.commit().await?;
    Ok(s)
}

/// Moves the raid to a new time (read like `/schedule`'s `when`); the reminder goes out
/// again before the new time and the announcement shows it.
pub async fn reschedule(
    pool: &PgPool,
    guild: Snowflake,
    id: i64,
    actor: &Actor,
    when: &str,
) -> Result<Scheduled> {
    let mut tx = pool.begin().await?;
    let s = store_sched::lock(&mut tx, guild, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    require_manager(actor, &s)?;
    if s.status != ScheduleStatus::Scheduled {
        return Err(closed(&s));
    }
    let settings = settings_in(&mut tx, guild).await?;
    let now = Utc::now();
    let starts_at = rules::parse_when(when, now, settings.time_zone).map_err(when_error)?;
    let remind_at = rules::remind_at(starts_at, settings.reminder_minutes, now);
    store_sched::set_time(&mut tx, guild, id, starts_at, remind_at).await?;
    // Earlier: the pending timers come forward; later: they fire, see the new time and set
    // themselves again.
    let remind = Task::ScheduleRemind { schedule_id: id };
    tasks::queue(&mut tx, guild, remind, Some(remind_at)).await?;
    let open = Task::ScheduleOpen { schedule_id: id };
    tasks::queue(&mut tx, guild, open, Some(starts_at)).await?;
    refresh_panel(&mut tx, guild, id).await?;
    let s = store_sched::get(&mut tx, guild, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    tx.commit().await?;
    Ok(s)
}

/// The bot posted the announcement: remember where, so refreshes edit it.
pub async fn panel_posted(
    pool: &PgPool,
    guild: Snowflake,
    id: i64,
    channel: Snowflake,
    message: Snowflake,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    store_sched::set_panel_message(&mut conn, guild, id, channel, message).await?;
    Ok(())
}

/// Queues an announcement refresh (answers that came in while it was being posted).
pub async fn request_refresh(pool: &PgPool, guild: Snowflake, id: i64) -> Result<()> {
    let mut conn = pool.acquire().await?;
    refresh_panel(&mut conn, guild, id).await?;
    Ok(())
}

/// The guild and row of a scheduled raid, for its Join button in a DM (a DM has no guild).
pub async fn locate(pool: &PgPool, id: i64) -> Result<ScheduleDetail> {
    let mut conn = pool.acquire().await?;
    let guild = store_sched::guild_of(&mut conn, id)
        .await?
        .ok_or(ScheduleError::Gone)?;
    detail(&mut conn, guild, id).await
}

/// The run a scheduled raid opened, for the DM's Join button.
pub fn opened_run(s: &Scheduled) -> Result<i64> {
    match (s.status, s.run_id) {
        (ScheduleStatus::Opened, Some(run)) => Ok(run),
        (ScheduleStatus::Cancelled, _) => Err(closed(s)),
        _ => Err(ScheduleError::NotOpenYet.into()),
    }
}

/// A member's sign-ups, attendance and no-shows with scheduled raids.
pub async fn member_record(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    member: Snowflake,
) -> Result<MemberRecord> {
    actor.require(RoleKey::VerifiedRaider)?;
    let mut conn = pool.acquire().await?;
    Ok(store_sched::member_record(&mut conn, guild, member).await?)
}

/// Runs closed (`(guild, run)`, in the caller's transaction): the announcement of each
/// scheduled raid that opened one is refreshed to show who never came. Its refresh job is
/// pushed on `jobs` for the caller to queue with the rest.
pub(crate) async fn on_runs_closed(
    conn: &mut PgConnection,
    closed: &[(Snowflake, i64)],
    jobs: &mut crate::runs::Jobs,
) -> store::Result<()> {
    if closed.is_empty() {
        return Ok(());
    }
    let guilds: Vec<i64> = closed.iter().map(|(g, _)| g.db()).collect();
    let runs: Vec<i64> = closed.iter().map(|(_, r)| *r).collect();
    let due = tasks::panel_refresh_due();
    for (guild, id) in store_sched::by_runs(conn, &guilds, &runs).await? {
        jobs.push((
            guild,
            Task::SchedulePanelRefresh { schedule_id: id },
            Some(due),
        ));
    }
    Ok(())
}
