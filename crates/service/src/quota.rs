//! Quota and raider points: automatic awards when runs end, manual awards, configuration,
//! periods that roll over by themselves, stats, leaderboards and quota panels.
//!
//! Every award is a `point_event` row written with its summary deltas in one transaction;
//! the unique key (guild, source, member, kind) makes automatic awards exactly-once.
//! [`fold_pending`] moves the deltas into the summary table in the background; reads count
//! both, so they never depend on when it last ran.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::catalog::catalog;
use domain::limits::TextError;
use domain::quota::{
    Currency, Metric, ModAction, Period, PeriodChoice, PointKind, Points, PointsError, Schedule,
    ScheduleError,
};
use domain::snowflake::InvalidSnowflake;
use domain::{ChannelKey, RoleKey, Snowflake};
use serde_json::json;
use store::leaderboard::{self, ALL_TIME, DungeonLine, Ranked};
use store::point_events::{self, NewEvent};
use store::point_periods::{self, LEADERBOARD_SCOPE};
use store::{key_pops, member_roles, point_config, quota_roles, run_awards};

/// Points settings and quota roles: what `/configpoints`, `/configquota` and quota panels
/// show.
pub use store::point_config::PointConfig;
pub use store::quota_roles::QuotaRole;
use store::runs::Run;
use store::{PgConnection, PgPool, jobs, logs};

use crate::config::{SettingsChange, record_settings_change};
use crate::error::Refusal;
use crate::tasks::{self, LogEvent, SettingsArea, Task};
use crate::{Actor, Result, ServiceError};

/// Why a quota or points use case refused; the adapters word it (the bot in
/// `views::quota`, the API in its error mapping). [`QuotaError::code`] is the stable code
/// programs see.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("quota refused: {}", self.code())]
pub enum QuotaError {
    /// A dungeon code raidbot does not know (as typed).
    UnknownDungeon { code: String },
    /// A number of runs or keys (`what`) that is 0 or too large.
    BadCount { what: &'static str },
    /// Logging runs with no member and no acting member.
    MemberRequired,
    /// Logging runs for another member needs Officer.
    MayNotLogForOthers,
    /// An amount of points that is not one (`label`: the field, when a form names it).
    BadPoints {
        label: Option<String>,
        why: PointsError,
    },
    /// An adjustment's reason is too long or unstorable.
    BadReason(TextError),
    /// An adjustment without a reason.
    ReasonRequired,
    /// A schedule that does not hold.
    BadSchedule(ScheduleError),
    /// A schedule's time is not HH:MM.
    BadTime { text: String },
    /// A schedule's day is not `what` (a weekday, a number of days, a day of the month).
    BadDay { text: String, what: &'static str },
    /// A schedule kind other than weekly, days or monthly.
    BadScheduleKind { text: String },
    /// The current period's start is in the future.
    StartInFuture,
    /// The current period's start is more than a year ago.
    StartTooEarly,
    /// A period start that is not a date.
    BadStart { text: String },
    /// The role has no quota configuration.
    NoQuotaRole,
    /// A command option left empty (`option`: its name).
    MissingOption { option: String },
    /// The role option is empty.
    RoleRequired,
    /// A Discord id that is not one.
    BadId(InvalidSnowflake),
    /// A leaderboard category not in the list (`menu`: picked from the menu).
    UnknownCategory { menu: bool },
    /// A leaderboard period not in the list.
    UnknownPeriod,
    /// A dungeon not in the menu.
    UnknownDungeonChoice,
    /// A button this version does not know.
    UnknownButton,
    /// A form this version does not know.
    UnknownForm,
}

impl QuotaError {
    /// A stable snake_case code for logs and the REST API.
    pub fn code(&self) -> &'static str {
        use QuotaError as E;
        match self {
            E::UnknownDungeon { .. } | E::UnknownDungeonChoice => "unknown_dungeon",
            E::BadCount { .. } => "invalid_amount",
            E::MemberRequired => "member_required",
            E::MayNotLogForOthers => "forbidden",
            E::BadPoints { .. } => "invalid_points",
            E::BadReason(_) => "invalid_reason",
            E::ReasonRequired => "reason_required",
            E::BadSchedule(_)
            | E::BadTime { .. }
            | E::BadDay { .. }
            | E::BadScheduleKind { .. } => "invalid_schedule",
            E::StartInFuture | E::StartTooEarly | E::BadStart { .. } => "invalid_period_start",
            E::NoQuotaRole => "not_found",
            E::MissingOption { .. } | E::RoleRequired => "missing_option",
            E::BadId(_) => "invalid_value",
            E::UnknownCategory { .. } => "unknown_category",
            E::UnknownPeriod => "unknown_period",
            E::UnknownButton | E::UnknownForm => "unknown_interaction",
        }
    }

    /// What kind of refusal this is.
    pub fn kind(&self) -> Refusal {
        match self {
            QuotaError::NoQuotaRole => Refusal::NotFound,
            QuotaError::MayNotLogForOthers => Refusal::Forbidden,
            _ => Refusal::Invalid,
        }
    }
}

/// Leaderboard page size in Discord.
pub const PAGE_SIZE: i64 = 25;
/// How often quota panels are redrawn even when nothing is awarded.
pub const PANEL_TICK: chrono::Duration = chrono::Duration::minutes(10);
/// Most runs or keys one /logrun or /logkey may log.
pub const LOG_AMOUNT_MAX: i64 = 999;

fn is_exalt(dungeon: &str) -> bool {
    catalog()
        .dungeon(dungeon)
        .is_some_and(|d| d.category.starts_with("Exaltation"))
}

fn check_dungeon(code: &str) -> Result<String> {
    let code = code.trim();
    catalog()
        .dungeon(code)
        .map(|d| d.code.clone())
        .ok_or_else(|| {
            QuotaError::UnknownDungeon {
                code: code.to_owned(),
            }
            .into()
        })
}

/// What organizing one run of `dungeon` is worth to `organizer`: their highest quota
/// role's value, or 1 point when they hold no configured quota role.
async fn organizer_value(
    conn: &mut PgConnection,
    guild: Snowflake,
    organizer: Snowflake,
    dungeon: &str,
) -> Result<Points> {
    Ok(
        match quota_roles::highest_quota_role(conn, guild, organizer).await? {
            Some(q) => q.run_value(dungeon, is_exalt(dungeon)),
            None => Points::ONE,
        },
    )
}

/// How often the bot folds pending summary deltas (see [`fold_pending`]).
pub const FOLD_EVERY: std::time::Duration = std::time::Duration::from_millis(250);
/// Folded deltas after which the table of pending batches is vacuumed (~100 runs).
pub const VACUUM_PENDING_AFTER: i64 = 20_000;
/// Folded deltas after which the summary tables are vacuumed (~5,000 runs).
pub const VACUUM_SUMS_AFTER: i64 = 1_000_000;

/// The background upkeep of point summaries, one per process that runs it: folds pending
/// deltas; vacuums the table of pending batches after [`VACUUM_PENDING_AFTER`] folded
/// deltas (every fold empties it, so it is mostly dead rows) and the summary tables after
/// [`VACUUM_SUMS_AFTER`] (folds update their rows in place; reads barely depend on it,
/// since ranks come from bucket counts, but dead rows would pile up). This keeps the
/// tables lean without depending on the server's autovacuum settings (it may be off).
#[derive(Debug, Default)]
pub struct Folder {
    since_pending_vacuum: i64,
    since_sums_vacuum: i64,
}

impl Folder {
    /// One round: fold, then vacuum what is due. Returns how many deltas were folded.
    pub async fn tick(&mut self, pool: &PgPool) -> Result<i64> {
        let folded = fold_pending(pool).await?;
        self.since_pending_vacuum += folded;
        self.since_sums_vacuum += folded;
        if self.since_sums_vacuum >= VACUUM_SUMS_AFTER {
            self.since_sums_vacuum = 0;
            self.since_pending_vacuum = 0;
            point_events::vacuum_sums(pool).await?;
        } else if self.since_pending_vacuum >= VACUUM_PENDING_AFTER {
            self.since_pending_vacuum = 0;
            point_events::vacuum_pending(pool).await?;
        }
        Ok(folded)
    }
}

/// Folds every guild's pending summary deltas into the summaries, one transaction per
/// guild. Reads are exact either way; folding keeps the pending rows few, so reads stay
/// fast. A guild that had awards gets its quota panels refreshed (a coalesced job queued
/// with the fold): every award appends deltas, so no award is missed, and the award
/// itself saves that round trip. Returns how many deltas were folded.
pub async fn fold_pending(pool: &PgPool) -> Result<i64> {
    let guilds = {
        let mut conn = pool.acquire().await?;
        point_events::guilds_with_deltas(&mut conn).await?
    };
    let mut folded = 0;
    for guild in guilds {
        let mut tx = pool.begin().await?;
        let n = point_events::fold_deltas(&mut tx, guild).await?;
        if n > 0 {
            refresh_panels(&mut tx, guild).await?;
        }
        tx.commit().await?;
        folded += n;
    }
    Ok(folded)
}

/// Awards an ended run, in the caller's transaction (the one that ended it). The organizer
/// gets the quota value of each dungeon completed; each raider present at a completion gets
/// the completion value, and whoever popped a key the key-pop value. Completions are the
/// run's key pops (each with its roster snapshot); a run without key pops completes one
/// dungeon for the raiders joined at the end. Cancelled runs award nothing. Calling this
/// twice for one run writes nothing the second time (unique source keys).
pub async fn on_run_ended(tx: &mut PgConnection, run: &Run) -> Result<usize> {
    let (guild, run_id) = (run.guild_id, run.run_id);
    let Some(award) = run_awards::run_award(tx, guild, run_id).await? else {
        return Ok(0);
    };
    if !award.ended {
        return Ok(0);
    }
    let at = award.ended_at.unwrap_or_else(Utc::now);
    let config = &award.config;
    let pops = &award.key_pops;
    let value_of = |dungeon: &str| match &award.organizer_role {
        Some(q) => q.run_value(dungeon, is_exalt(dungeon)),
        None => Points::ONE,
    };
    let run_source = format!("run:{run_id}");
    let mut events = Vec::new();
    let (organizer_amount, completed) = if pops.is_empty() {
        for raider in &award.joined {
            events.push(NewEvent {
                member_id: *raider,
                currency: Currency::Raider,
                kind: PointKind::RunCompleted,
                amount: config.completion(&award.dungeon_code),
                units: 1,
                dungeon_code: Some(award.dungeon_code.clone()),
                source: run_source.clone(),
            });
        }
        (value_of(&award.dungeon_code), 1)
    } else {
        let mut total = Points::ZERO;
        for (pop_id, popper, dungeon, count, raiders) in pops {
            total.0 += value_of(dungeon).0;
            let source = format!("pop:{pop_id}");
            events.push(NewEvent {
                member_id: *popper,
                currency: Currency::Raider,
                kind: PointKind::KeyPopped,
                amount: config.key_pop(dungeon).times(i64::from(*count)),
                units: *count,
                dungeon_code: Some(dungeon.clone()),
                source: source.clone(),
            });
            for raider in raiders {
                events.push(NewEvent {
                    member_id: *raider,
                    currency: Currency::Raider,
                    kind: PointKind::RunCompleted,
                    amount: config.completion(dungeon),
                    units: 1,
                    dungeon_code: Some(dungeon.clone()),
                    source: source.clone(),
                });
            }
        }
        (total, i32::try_from(pops.len()).unwrap_or(i32::MAX))
    };
    events.push(NewEvent {
        member_id: award.organizer_id,
        currency: Currency::Quota,
        kind: PointKind::RunOrganized,
        amount: organizer_amount,
        units: completed,
        dungeon_code: Some(award.dungeon_code.clone()),
        source: run_source,
    });
    let written = point_events::insert_events_in(
        tx,
        guild,
        &config.schedule,
        &events,
        award.closed_by,
        None,
        at,
    )
    .await?;
    // One statement more on the award path: the promotion check job (queued only when
    // the guild has promotion rules).
    let members: Vec<Snowflake> = written.iter().map(|w| w.member_id).collect();
    crate::promotions::queue_check(tx, guild, &members).await?;
    Ok(written.len())
}

/// Awards a moderation action's quota points to `moderator` (0 when their quota role gives
/// none), once per `reference` (e.g. `warn:<id>`). For the moderation features to call in
/// their own transactions.
pub async fn award_moderation(
    tx: &mut PgConnection,
    guild: Snowflake,
    moderator: Snowflake,
    action: ModAction,
    reference: &str,
) -> Result<bool> {
    let value = quota_roles::highest_quota_role(tx, guild, moderator)
        .await?
        .and_then(|q| q.moderation.get(action.as_str()).copied())
        .unwrap_or(Points::ZERO);
    if value == Points::ZERO && action != ModAction::Verify {
        return Ok(false);
    }
    let event = NewEvent {
        member_id: moderator,
        currency: Currency::Quota,
        kind: PointKind::Moderation(action),
        amount: value,
        units: 1,
        dungeon_code: None,
        source: format!("mod:{reference}"),
    };
    let written =
        point_events::insert_events(tx, guild, &[event], Some(moderator), None, Utc::now()).await?;
    Ok(!written.is_empty())
}

/// Takes back what [`award_moderation`] gave for `reference` (a punishment issued in
/// error): one reversing event per award, keyed `mod:<reference>:undo`, so a second call,
/// a retry or a second process takes nothing more. Returns whether points were taken.
pub async fn take_back_moderation(
    tx: &mut PgConnection,
    guild: Snowflake,
    reference: &str,
    by: Option<Snowflake>,
    reason: &str,
) -> Result<bool> {
    let awarded = point_events::by_source(tx, guild, &format!("mod:{reference}")).await?;
    let undo: Vec<NewEvent> = awarded
        .iter()
        .filter(|w| w.amount != Points::ZERO)
        .map(|w| NewEvent {
            member_id: w.member_id,
            currency: w.currency,
            kind: w.kind,
            amount: Points(-w.amount.0),
            units: -w.units,
            dungeon_code: None,
            source: format!("mod:{reference}:undo"),
        })
        .collect();
    if undo.is_empty() {
        return Ok(false);
    }
    let reason: String = reason.chars().take(200).collect();
    let written =
        point_events::insert_events(tx, guild, &undo, by, Some(&reason), Utc::now()).await?;
    Ok(!written.is_empty())
}

/// Queues a coalesced refresh of the guild's quota panels.
pub async fn refresh_panels(conn: &mut PgConnection, guild: Snowflake) -> store::Result<()> {
    let due = Utc::now() + chrono::Duration::from_std(tasks::PANEL_COALESCE).unwrap_or_default();
    tasks::queue(conn, guild, Task::QuotaPanelsRefresh, Some(due)).await?;
    Ok(())
}

// ---------- manual awards ----------

/// What a manual award did, for the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Awarded {
    pub member: Snowflake,
    pub currency: Currency,
    pub amount: Points,
    pub units: i32,
    pub dungeon: Option<String>,
    /// The member's total in that currency afterwards (quota: current period).
    pub total: Points,
}

async fn record_manual(
    tx: &mut PgConnection,
    guild: Snowflake,
    actor: &Actor,
    event: NewEvent,
    reason: Option<&str>,
) -> Result<Awarded> {
    let at = Utc::now();
    let written = point_events::insert_events(
        tx,
        guild,
        std::slice::from_ref(&event),
        actor.user_id,
        reason,
        at,
    )
    .await?;
    if !written.is_empty() {
        crate::promotions::queue_check(tx, guild, &[event.member_id]).await?;
    }
    let total = match event.currency {
        Currency::Raider => Points(
            leaderboard::member_sums(tx, guild, ALL_TIME, event.member_id)
                .await?
                .get(&Metric::RaiderPoints)
                .copied()
                .unwrap_or(0),
        ),
        Currency::Quota => {
            let period = member_period(tx, guild, event.member_id, at).await?.1;
            point_events::member_quota_between(tx, guild, event.member_id, &period).await?
        }
    };
    let awarded = Awarded {
        member: event.member_id,
        currency: event.currency,
        amount: event.amount,
        units: event.units,
        dungeon: event.dungeon_code.clone(),
        total,
    };
    logs::record_audit(
        tx,
        guild,
        &actor.audit(),
        event.kind.as_str(),
        serde_json::Value::Null,
        json!({"member": event.member_id.to_string(), "currency": event.currency.as_str(),
               "amount": event.amount.to_string(), "units": event.units,
               "dungeon": event.dungeon_code, "reason": reason}),
    )
    .await?;
    tasks::log(
        tx,
        guild,
        ChannelKey::QuotaLog,
        LogEvent::PointsAwarded {
            by: actor
                .user_id
                .map(|u| u.to_string())
                .unwrap_or_else(|| actor.label.clone()),
            member: event.member_id.to_string(),
            currency: event.currency,
            kind: event.kind.as_str().to_owned(),
            amount: event.amount.0,
            units: event.units,
            dungeon: event.dungeon_code,
            reason: reason.map(str::to_owned),
            total: total.0,
        },
    )
    .await?;
    Ok(awarded)
}

fn check_count(amount: i64, what: &'static str) -> Result<i32> {
    if amount == 0 || amount.abs() > LOG_AMOUNT_MAX {
        return Err(QuotaError::BadCount { what }.into());
    }
    Ok(i32::try_from(amount).unwrap_or(0))
}

/// `/logrun`: runs organized outside the bot, worth the member's quota value each.
/// Organizers log for themselves; logging for someone else needs Officer.
pub async fn log_run(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    dungeon: &str,
    amount: i64,
    member: Option<Snowflake>,
) -> Result<Awarded> {
    actor.require(RoleKey::Organizer)?;
    let member = member.or(actor.user_id).ok_or(QuotaError::MemberRequired)?;
    if Some(member) != actor.user_id {
        actor
            .require(RoleKey::Officer)
            .map_err(|_| QuotaError::MayNotLogForOthers)?;
    }
    let dungeon = check_dungeon(dungeon)?;
    let units = check_count(amount, "runs")?;
    let mut tx = pool.begin().await?;
    let value = organizer_value(&mut tx, guild, member, &dungeon).await?;
    let source = point_events::adjustment_source(&mut tx).await?;
    let event = NewEvent {
        member_id: member,
        currency: Currency::Quota,
        kind: PointKind::RunLogged,
        amount: value.times(amount),
        units,
        dungeon_code: Some(dungeon),
        source,
    };
    let out = record_manual(&mut tx, guild, actor, event, None).await?;
    tx.commit().await?;
    Ok(out)
}

/// `/logkey`: keys popped outside a run, worth the dungeon's key-pop value each.
pub async fn log_key(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    member: Snowflake,
    dungeon: &str,
    amount: i64,
) -> Result<Awarded> {
    actor.require(RoleKey::Organizer)?;
    let dungeon = check_dungeon(dungeon)?;
    let units = check_count(amount, "keys")?;
    let mut tx = pool.begin().await?;
    let config = point_config::point_config(&mut tx, guild).await?;
    let pop =
        key_pops::insert_manual(&mut tx, guild, member, &dungeon, units, actor.user_id).await?;
    let event = NewEvent {
        member_id: member,
        currency: Currency::Raider,
        kind: PointKind::KeyLogged,
        amount: config.key_pop(&dungeon).times(amount),
        units,
        dungeon_code: Some(dungeon),
        source: format!("pop:{pop}"),
    };
    let out = record_manual(&mut tx, guild, actor, event, None).await?;
    tx.commit().await?;
    Ok(out)
}

/// `/addquotapoints` and `/addpoints`: an officer's adjustment, ±9999, not 0, with a reason.
pub async fn adjust(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    member: Snowflake,
    currency: Currency,
    amount: &str,
    reason: &str,
) -> Result<Awarded> {
    actor.require(RoleKey::Officer)?;
    let amount = Points::parse_adjustment(amount)
        .map_err(|why| QuotaError::BadPoints { label: None, why })?;
    let reason = domain::limits::optional_text("Reason", Some(reason), 200)
        .map_err(QuotaError::BadReason)?
        .ok_or(QuotaError::ReasonRequired)?;
    let mut tx = pool.begin().await?;
    let source = point_events::adjustment_source(&mut tx).await?;
    let event = NewEvent {
        member_id: member,
        currency,
        kind: PointKind::Adjustment,
        amount,
        units: 1,
        dungeon_code: None,
        source,
    };
    let out = record_manual(&mut tx, guild, actor, event, Some(&reason)).await?;
    tx.commit().await?;
    Ok(out)
}

// ---------- periods ----------

/// The member's quota role (highest held) and its current period; the leaderboard period
/// when they hold none.
async fn member_period(
    conn: &mut PgConnection,
    guild: Snowflake,
    member: Snowflake,
    at: DateTime<Utc>,
) -> Result<(Option<QuotaRole>, Period)> {
    match quota_roles::highest_quota_role(conn, guild, member).await? {
        Some(q) => {
            let p =
                point_periods::ensure_period(conn, guild, q.role_id.db(), &q.schedule, at).await?;
            Ok((Some(q), p.period))
        }
        None => {
            let schedule = point_config::leaderboard_schedule(conn, guild).await?;
            let p =
                point_periods::ensure_period(conn, guild, LEADERBOARD_SCOPE, &schedule, at).await?;
            Ok((None, p.period))
        }
    }
}

/// The rollover timer of a quota role fired: materialize the new period, schedule the next
/// boundary, redraw the panels and log how the finished period ended. Running it twice (or
/// early) changes nothing but the timer.
pub async fn rollover(pool: &PgPool, guild: Snowflake, role: Snowflake) -> Result<()> {
    let mut tx = pool.begin().await?;
    let Some(q) = quota_roles::quota_role(&mut tx, guild, role).await? else {
        return Ok(());
    };
    let now = Utc::now();
    let current = point_periods::ensure_period(&mut tx, guild, role.db(), &q.schedule, now).await?;
    let queued = tasks::queue(
        &mut tx,
        guild,
        Task::QuotaRollover { role_id: role },
        Some(current.period.end),
    )
    .await?;
    if !queued {
        jobs::reschedule(
            &mut tx,
            guild,
            "quota_rollover",
            &format!("rollover:{role}"),
            current.period.end,
        )
        .await?;
    }
    if let Some(last) = point_periods::period_before(&mut tx, guild, role.db(), &current).await?
        && last.period.end > now - chrono::Duration::hours(1)
    {
        let members = quota_roles::panel_members(&mut tx, guild, &q).await?;
        let points =
            point_events::quota_points_between(&mut tx, guild, &members, &last.period).await?;
        let met = members
            .iter()
            .filter(|m| points.get(m).copied().unwrap_or_default() >= q.required)
            .count();
        tasks::log(
            &mut tx,
            guild,
            ChannelKey::QuotaLog,
            LogEvent::QuotaPeriodEnded {
                role_id: role.to_string(),
                start: last.period.start,
                end: last.period.end,
                met,
                members: members.len(),
            },
        )
        .await?;
    }
    refresh_panels(&mut tx, guild).await?;
    tx.commit().await?;
    Ok(())
}

/// Makes sure the role's current period exists and its boundary timer is queued.
async fn arm_role(tx: &mut PgConnection, guild: Snowflake, q: &QuotaRole) -> Result<Period> {
    let current =
        point_periods::ensure_period(tx, guild, q.role_id.db(), &q.schedule, Utc::now()).await?;
    let key = format!("rollover:{}", q.role_id);
    if !jobs::reschedule(tx, guild, "quota_rollover", &key, current.period.end).await? {
        tasks::queue(
            tx,
            guild,
            Task::QuotaRollover { role_id: q.role_id },
            Some(current.period.end),
        )
        .await?;
    }
    tasks::queue(
        tx,
        guild,
        Task::QuotaPanelsTick,
        Some(Utc::now() + PANEL_TICK),
    )
    .await?;
    refresh_panels(tx, guild).await?;
    Ok(current.period)
}

// ---------- configuration ----------

/// "Every N days" counts from the end of the current period (the next boundary).
fn anchored(s: Schedule, next_boundary: DateTime<Utc>) -> Schedule {
    match s {
        Schedule::EveryDays { days, .. } => Schedule::EveryDays {
            days,
            anchor: next_boundary,
        },
        other => other,
    }
}

/// A quota role's settings with its current period, for the configuration panel.
#[derive(Debug, Clone)]
pub struct QuotaRoleView {
    pub role: QuotaRole,
    pub configured: bool,
    pub period: Period,
}

/// The configuration of a quota role as it is (defaults when not configured yet).
pub async fn quota_role_view(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    role: Snowflake,
) -> Result<QuotaRoleView> {
    actor.require(RoleKey::Moderator)?;
    let mut conn = pool.acquire().await?;
    match quota_roles::quota_role(&mut conn, guild, role).await? {
        Some(q) => {
            let p =
                point_periods::ensure_period(&mut conn, guild, role.db(), &q.schedule, Utc::now())
                    .await?;
            Ok(QuotaRoleView {
                role: q,
                configured: true,
                period: p.period,
            })
        }
        None => {
            let q = QuotaRole::new(role);
            let period = q.schedule.period_containing(Utc::now());
            Ok(QuotaRoleView {
                role: q,
                configured: false,
                period,
            })
        }
    }
}

/// A schedule as the audit log and `bot_log` record it (its JSON form).
fn schedule_text(s: &Schedule) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// One change to a quota role.
#[derive(Debug, Clone, PartialEq)]
pub enum QuotaChange {
    /// Only records the role (and its Discord position) with defaults.
    Touch,
    Required(Points),
    /// Applies from the next boundary.
    Schedule(Schedule),
    /// The current period starts here (by hand); it runs to the next boundary after now.
    CurrentStart(DateTime<Utc>),
    BasePoints {
        exalt: Points,
        non_exalt: Points,
    },
    Moderation(BTreeMap<String, Points>),
    Override {
        dungeon: String,
        points: Option<Points>,
    },
}

/// Applies a change to a quota role (created with defaults if new). Moderator or above.
pub async fn configure_quota_role(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    role: Snowflake,
    position: Option<i32>,
    change: QuotaChange,
) -> Result<QuotaRoleView> {
    actor.require(RoleKey::Moderator)?;
    let mut tx = pool.begin().await?;
    let (mut q, _created) = quota_roles::lock_quota_role(&mut tx, guild, role, position).await?;
    let mut settings = SettingsChange::new("configure_quota_role", SettingsArea::Quota);
    settings.role = Some(role);
    match &change {
        QuotaChange::Touch => {}
        QuotaChange::Required(p) => {
            settings.field("required", q.required, p);
            q.required = *p;
        }
        QuotaChange::Schedule(s) => {
            let s = s.validate().map_err(QuotaError::BadSchedule)?;
            // The current period keeps its end; the new schedule counts from there.
            let current =
                point_periods::ensure_period(&mut tx, guild, role.db(), &q.schedule, Utc::now())
                    .await?;
            let before = schedule_text(&q.schedule);
            q.schedule = anchored(s, current.period.end);
            settings.field("schedule", before, schedule_text(&q.schedule));
        }
        QuotaChange::CurrentStart(start) => {
            let now = Utc::now();
            if *start > now {
                return Err(QuotaError::StartInFuture.into());
            }
            if now - *start > chrono::Duration::days(366) {
                return Err(QuotaError::StartTooEarly.into());
            }
            point_periods::set_current_start(&mut tx, guild, role.db(), &q.schedule, *start, now)
                .await?;
            settings.set("current_period_start", start.to_rfc3339());
        }
        QuotaChange::BasePoints { exalt, non_exalt } => {
            settings.field("exalt_points", q.exalt_points, exalt);
            settings.field("non_exalt_points", q.non_exalt_points, non_exalt);
            q.exalt_points = *exalt;
            q.non_exalt_points = *non_exalt;
        }
        QuotaChange::Moderation(m) => {
            for (action, points) in m {
                let before = q.moderation.get(action).map(Points::to_string);
                settings.field(
                    &format!("moderation.{action}"),
                    before.unwrap_or_default(),
                    points,
                );
            }
            q.moderation = m.clone();
        }
        QuotaChange::Override { dungeon, points } => {
            let code = check_dungeon(dungeon)?;
            quota_roles::set_quota_override(&mut tx, guild, role, &code, *points).await?;
            settings.set(
                &format!("dungeon.{code}"),
                points.map_or_else(|| "default".to_owned(), |p| p.to_string()),
            );
        }
    }
    quota_roles::save_quota_role(&mut tx, guild, &q).await?;
    let q = quota_roles::quota_role(&mut tx, guild, role)
        .await?
        .ok_or_else(|| ServiceError::Internal("quota role vanished".into()))?;
    let period = arm_role(&mut tx, guild, &q).await?;
    record_settings_change(&mut tx, guild, actor, settings).await?;
    tx.commit().await?;
    Ok(QuotaRoleView {
        role: q,
        configured: true,
        period,
    })
}

/// What a panel button asks of a quota role's panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PanelAction {
    Refresh,
    /// Delete the posted panel and post it anew.
    Reset,
    /// Delete the configuration (events stay).
    Delete,
}

pub async fn panel_action(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    role: Snowflake,
    action: PanelAction,
) -> Result<()> {
    actor.require(RoleKey::Moderator)?;
    let mut tx = pool.begin().await?;
    let Some(q) = quota_roles::quota_role(&mut tx, guild, role).await? else {
        return Err(QuotaError::NoQuotaRole.into());
    };
    if matches!(action, PanelAction::Reset | PanelAction::Delete)
        && let Some(channel) = q.panel_channel_id
        && !q.panel_message_ids.is_empty()
    {
        tasks::queue(
            &mut tx,
            guild,
            Task::QuotaPanelDelete {
                channel_id: channel,
                message_ids: q.panel_message_ids.clone(),
            },
            None,
        )
        .await?;
        quota_roles::set_panel_messages(&mut tx, guild, role, None, &[]).await?;
    }
    if action == PanelAction::Delete {
        quota_roles::delete_quota_role(&mut tx, guild, role).await?;
        let mut settings = SettingsChange::new("delete_quota_role", SettingsArea::QuotaDeleted);
        settings.role = Some(role);
        settings.field("required", q.required, "");
        settings.field("schedule", schedule_text(&q.schedule), "");
        record_settings_change(&mut tx, guild, actor, settings).await?;
    }
    refresh_panels(&mut tx, guild).await?;
    tx.commit().await?;
    Ok(())
}

/// The raider-points settings.
pub async fn point_config(pool: &PgPool, guild: Snowflake, actor: &Actor) -> Result<PointConfig> {
    actor.require(RoleKey::Moderator)?;
    let mut conn = pool.acquire().await?;
    Ok(point_config::point_config(&mut conn, guild).await?)
}

#[derive(Debug, Clone, PartialEq)]
pub enum PointsChange {
    Defaults {
        completion: Points,
        key_pop: Points,
    },
    Dungeon {
        dungeon: String,
        completion: Option<Points>,
        key_pop: Option<Points>,
    },
    /// The leaderboard's period; applies from the next boundary.
    Schedule(Schedule),
}

pub async fn configure_points(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    change: PointsChange,
) -> Result<PointConfig> {
    actor.require(RoleKey::Moderator)?;
    let mut tx = pool.begin().await?;
    store::guild_config::ensure_guild(&mut tx, guild).await?;
    let mut cfg = point_config::point_config(&mut tx, guild).await?;
    let mut settings = SettingsChange::new("configure_points", SettingsArea::Points);
    match &change {
        PointsChange::Defaults {
            completion,
            key_pop,
        } => {
            settings.field("completion_points", cfg.completion_points, completion);
            settings.field("key_pop_points", cfg.key_pop_points, key_pop);
            cfg.completion_points = *completion;
            cfg.key_pop_points = *key_pop;
        }
        PointsChange::Dungeon {
            dungeon,
            completion,
            key_pop,
        } => {
            let code = check_dungeon(dungeon)?;
            point_config::set_point_dungeon(&mut tx, guild, &code, *completion, *key_pop).await?;
            let or_default =
                |p: &Option<Points>| p.map_or_else(|| "default".to_owned(), |p| p.to_string());
            settings.set(
                &format!("dungeon.{code}.completion"),
                or_default(completion),
            );
            settings.set(&format!("dungeon.{code}.key_pop"), or_default(key_pop));
        }
        PointsChange::Schedule(s) => {
            // The current period keeps its end; the new schedule applies after it.
            let current = point_periods::ensure_period(
                &mut tx,
                guild,
                LEADERBOARD_SCOPE,
                &cfg.schedule,
                Utc::now(),
            )
            .await?;
            let s = s.validate().map_err(QuotaError::BadSchedule)?;
            let before = schedule_text(&cfg.schedule);
            cfg.schedule = anchored(s, current.period.end);
            settings.field("schedule", before, schedule_text(&cfg.schedule));
        }
    }
    point_config::save_point_config(&mut tx, guild, &cfg).await?;
    record_settings_change(&mut tx, guild, actor, settings).await?;
    let cfg = point_config::point_config(&mut tx, guild).await?;
    tx.commit().await?;
    Ok(cfg)
}

// ---------- views ----------

/// What `/stats` shows.
#[derive(Debug, Clone)]
pub struct MemberStats {
    pub member: Snowflake,
    pub raider_points: Points,
    pub raider_rank: Option<i64>,
    pub quota_all_time: Points,
    pub quota_current: Points,
    pub quota_role: Option<(Snowflake, Points)>,
    pub period: Period,
    pub runs_organized: i64,
    pub runs_completed: i64,
    pub keys_popped: i64,
    pub verifications: i64,
    pub dungeons: Vec<DungeonLine>,
}

pub async fn stats(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    member: Snowflake,
) -> Result<MemberStats> {
    actor.require(RoleKey::VerifiedRaider)?;
    let mut conn = pool.acquire().await?;
    let sums = leaderboard::member_sums(&mut conn, guild, ALL_TIME, member).await?;
    let get = |m: Metric| sums.get(&m).copied().unwrap_or(0);
    let (role, period) = member_period(&mut conn, guild, member, Utc::now()).await?;
    let quota_current =
        point_events::member_quota_between(&mut conn, guild, member, &period).await?;
    let raider = get(Metric::RaiderPoints);
    let raider_rank = if raider != 0 {
        Some(leaderboard::rank_of(&mut conn, guild, ALL_TIME, Metric::RaiderPoints, raider).await?)
    } else {
        None
    };
    let dungeons = leaderboard::member_dungeons(&mut conn, guild, member).await?;
    Ok(MemberStats {
        member,
        raider_points: Points(raider),
        raider_rank,
        quota_all_time: Points(get(Metric::QuotaPoints)),
        quota_current,
        quota_role: role.map(|q| (q.role_id, q.required)),
        period,
        runs_organized: get(Metric::RunsOrganized),
        runs_completed: get(Metric::RunsCompleted),
        keys_popped: get(Metric::KeysPopped),
        verifications: get(Metric::Verifications),
        dungeons,
    })
}

/// One page of a leaderboard.
#[derive(Debug, Clone)]
pub struct LeaderboardPage {
    pub metric: Metric,
    pub choice: PeriodChoice,
    /// The period shown (None for all time, or "last" when there is none yet).
    pub period: Option<Period>,
    pub rows: Vec<Ranked>,
    pub offset: i64,
    pub total: i64,
}

impl LeaderboardPage {
    /// 1-based page number and page count for `PAGE_SIZE` pages.
    pub fn pages(&self) -> (i64, i64) {
        (
            self.offset / PAGE_SIZE + 1,
            ((self.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        )
    }
}

pub async fn leaderboard(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    metric: Metric,
    choice: PeriodChoice,
    offset: i64,
    limit: i64,
) -> Result<LeaderboardPage> {
    actor.require(RoleKey::VerifiedRaider)?;
    let mut conn = pool.acquire().await?;
    let (scope, period) = match choice {
        PeriodChoice::AllTime => (Some(ALL_TIME), None),
        PeriodChoice::Current | PeriodChoice::Last => {
            let schedule = point_config::leaderboard_schedule(&mut conn, guild).await?;
            let current = point_periods::ensure_period(
                &mut conn,
                guild,
                LEADERBOARD_SCOPE,
                &schedule,
                Utc::now(),
            )
            .await?;
            if choice == PeriodChoice::Current {
                (Some(current.period_id), Some(current.period))
            } else {
                match point_periods::period_before(&mut conn, guild, LEADERBOARD_SCOPE, &current)
                    .await?
                {
                    Some(last) => (Some(last.period_id), Some(last.period)),
                    None => (None, None),
                }
            }
        }
    };
    let limit = limit.clamp(1, 100);
    let offset = offset.max(0);
    let (rows, total) = match scope {
        Some(scope) => {
            let total = leaderboard::leaderboard_size(&mut conn, guild, scope, metric).await?;
            let offset = offset.min(((total - 1) / limit).max(0) * limit);
            (
                leaderboard::leaderboard(&mut conn, guild, scope, metric, offset, limit).await?,
                total,
            )
        }
        None => (Vec::new(), 0),
    };
    let offset = offset.min(((total - 1).max(0) / limit) * limit);
    Ok(LeaderboardPage {
        metric,
        choice,
        period,
        rows,
        offset,
        total,
    })
}

/// A quota panel's content.
#[derive(Debug, Clone)]
pub struct PanelData {
    pub role: QuotaRole,
    pub period: Period,
    /// Members of the role (highest quota role) with their points, best first.
    pub rows: Vec<(Snowflake, Points)>,
    /// The finished period just before: (period, members who met it, members).
    pub last: Option<(Period, usize, usize)>,
}

/// What the quota panels of the guild show, one per quota role, highest role first.
pub async fn panels(pool: &PgPool, guild: Snowflake) -> Result<Vec<PanelData>> {
    let mut conn = pool.acquire().await?;
    let roles = quota_roles::quota_roles(&mut conn, guild).await?;
    let mut out = Vec::with_capacity(roles.len());
    for q in roles {
        out.push(panel_for(&mut conn, guild, q, Utc::now()).await?);
    }
    Ok(out)
}

pub async fn panel_for(
    conn: &mut PgConnection,
    guild: Snowflake,
    q: QuotaRole,
    now: DateTime<Utc>,
) -> Result<PanelData> {
    let current =
        point_periods::ensure_period(conn, guild, q.role_id.db(), &q.schedule, now).await?;
    let members = quota_roles::panel_members(conn, guild, &q).await?;
    let points = point_events::quota_points_between(conn, guild, &members, &current.period).await?;
    let mut rows: Vec<(Snowflake, Points)> = members
        .iter()
        .map(|m| (*m, points.get(m).copied().unwrap_or_default()))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let last = match point_periods::period_before(conn, guild, q.role_id.db(), &current).await? {
        Some(last) => {
            let before =
                point_events::quota_points_between(conn, guild, &members, &last.period).await?;
            let met = members
                .iter()
                .filter(|m| before.get(m).copied().unwrap_or_default() >= q.required)
                .count();
            Some((last.period, met, members.len()))
        }
        None => None,
    };
    Ok(PanelData {
        role: q,
        period: current.period,
        rows,
        last,
    })
}

/// The bot posted or edited a role's panel messages: remember them.
pub async fn panel_posted(
    pool: &PgPool,
    guild: Snowflake,
    role: Snowflake,
    channel: Option<Snowflake>,
    messages: &[Snowflake],
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    quota_roles::set_panel_messages(&mut conn, guild, role, channel, messages).await?;
    Ok(())
}

/// The 10-minute panel timer: redraw and schedule the next one while quota roles exist.
pub async fn panel_tick(pool: &PgPool, guild: Snowflake) -> Result<()> {
    let mut tx = pool.begin().await?;
    if !quota_roles::quota_roles(&mut tx, guild).await?.is_empty() {
        tasks::queue(
            &mut tx,
            guild,
            Task::QuotaPanelsTick,
            Some(Utc::now() + PANEL_TICK),
        )
        .await?;
        refresh_panels(&mut tx, guild).await?;
    }
    tx.commit().await?;
    Ok(())
}

// ---------- what the bot sees of members' roles ----------

/// A member's roles as an interaction or gateway event shows them.
pub async fn member_roles_seen(
    pool: &PgPool,
    guild: Snowflake,
    user: Snowflake,
    roles: &[Snowflake],
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    member_roles::sync_member_roles(&mut conn, guild, user, roles).await?;
    Ok(())
}

/// Role positions as a GUILD_CREATE or GUILD_ROLE_UPDATE shows them.
pub async fn role_positions_seen(
    pool: &PgPool,
    guild: Snowflake,
    positions: &[(Snowflake, i32)],
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    for (role, position) in positions {
        quota_roles::set_role_position(&mut conn, guild, *role, *position).await?;
    }
    Ok(())
}
