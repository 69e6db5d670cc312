//! Headcounts: an organizer asks who would come to which dungeons; raiders answer with
//! Interested and key buttons; the organizer converts it into a run of one dungeon or ends
//! it. Every change to one headcount holds its row lock, so double clicks and races
//! serialize and the loser gets a clear answer. The `/headcount` picker keeps its choices in
//! a draft row, so an open picker survives a restart too.

use chrono::Utc;
use domain::catalog::catalog;
use domain::headcount::{
    self as rules, AUTO_END_AFTER, DungeonsError, HeadcountStatus, MAX_DUNGEONS, ReactionKind,
};
use domain::{ChannelKey, RoleKey, Snowflake};
use store::headcounts::{self as store_hc, NewHeadcount};

/// A headcount, its draft and its reactions: what its panel shows.
pub use store::headcounts::{Draft, Headcount, Reaction};
use store::runs::Run;
use store::{PgConnection, PgPool, guild_config};

use crate::closing::{self, Closer};
use crate::error::Refusal;
use crate::runs::{self, RunRequest};
use crate::tasks::{self, LogEvent, Task};
use crate::{Actor, Result, ServiceError};

/// Why a headcount use case refused; the adapters word it (`messages::headcounts`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("headcount refused: {}", self.code())]
pub enum HeadcountError {
    /// The picked dungeons cannot make a headcount (none, too many, unknown).
    BadDungeons(DungeonsError),
    /// A headcount created without an organizer (an API key must name one).
    OrganizerRequired,
    /// The picker opened by an API key or the system.
    PickerNeedsMember,
    /// A status filter that is not open, converted or ended (as typed).
    BadStatus { text: String },
    /// A reaction that is not one of the headcount's choices.
    NotAChoice,
    /// Converting to a dungeon that is not one of the headcount's.
    NotItsDungeon,
    /// Converting to a dungeon code raidbot does not know.
    UnknownDungeon { code: String },
    /// The category menu answered with an unknown category.
    UnknownCategory,
    /// Dungeons picked before a category.
    CategoryFirst,
    /// A picked dungeon that is not in the chosen category.
    NotInCategory { code: String, category: String },

    /// No headcount with this id in this guild.
    NotFound { headcount_id: i64 },

    /// Someone who does not manage the headcount opened its organizer panel.
    NotManagerPanel,
    /// Someone who does not manage the headcount tried to manage it.
    NotManager,
    /// Someone answered a headcount for another member.
    NotTheRaider,
    /// Someone used another organizer's picker.
    NotYourPicker,

    /// The headcount was converted to run `run_id`.
    Converted { run_id: i64 },
    /// The headcount has ended.
    Ended,
    /// The guild has no raid channel to post the headcount in.
    NoRaidChannel,
    /// The organizer already has an open headcount (`headcount_id`: which, when known).
    ActiveHeadcountExists { headcount_id: Option<i64> },
    /// The picker was posted or replaced by a newer one.
    PickerClosed,
}

impl HeadcountError {
    /// A stable snake_case code for logs and the REST API.
    pub fn code(&self) -> &'static str {
        use HeadcountError as E;
        match self {
            E::BadDungeons(DungeonsError::Empty) => "no_dungeon",
            E::BadDungeons(DungeonsError::TooMany { .. }) => "too_many_dungeons",
            E::BadDungeons(DungeonsError::Unknown(_)) => "unknown_dungeon",
            E::OrganizerRequired | E::PickerNeedsMember => "organizer_required",
            E::BadStatus { .. } => "invalid_status",
            E::NotAChoice | E::NotItsDungeon => "not_in_headcount",
            E::UnknownDungeon { .. } | E::NotInCategory { .. } => "unknown_dungeon",
            E::UnknownCategory => "unknown_category",
            E::CategoryFirst => "no_category",
            E::NotFound { .. } => "not_found",
            E::NotManagerPanel | E::NotManager | E::NotTheRaider | E::NotYourPicker => "forbidden",
            E::Converted { .. } | E::Ended => "headcount_closed",
            E::NoRaidChannel => "raid_channel_not_configured",
            E::ActiveHeadcountExists { .. } => "active_headcount_exists",
            E::PickerClosed => "picker_closed",
        }
    }

    /// What kind of refusal this is.
    pub fn kind(&self) -> Refusal {
        use HeadcountError as E;
        match self {
            E::NotFound { .. } => Refusal::NotFound,
            E::NotManagerPanel | E::NotManager | E::NotTheRaider | E::NotYourPicker => {
                Refusal::Forbidden
            }
            E::Converted { .. }
            | E::Ended
            | E::NoRaidChannel
            | E::ActiveHeadcountExists { .. }
            | E::PickerClosed => Refusal::Conflict,
            E::BadDungeons(_)
            | E::OrganizerRequired
            | E::PickerNeedsMember
            | E::BadStatus { .. }
            | E::NotAChoice
            | E::NotItsDungeon
            | E::UnknownDungeon { .. }
            | E::UnknownCategory
            | E::CategoryFirst
            | E::NotInCategory { .. } => Refusal::Invalid,
        }
    }
}

/// A headcount with every answer: what its panels and log entries show.
#[derive(Debug, Clone)]
pub struct HeadcountDetail {
    pub headcount: Headcount,
    /// Oldest first.
    pub reactions: Vec<Reaction>,
}

impl HeadcountDetail {
    fn who(&self, kind: ReactionKind, code: &str) -> Vec<Snowflake> {
        self.reactions
            .iter()
            .filter(|r| r.kind == kind && r.code == code)
            .map(|r| r.user_id)
            .collect()
    }

    /// Members interested in a dungeon, in the order they answered.
    pub fn interested(&self, dungeon: &str) -> Vec<Snowflake> {
        self.who(ReactionKind::Interest, dungeon)
    }

    /// Members holding a key (reaction code), in the order they answered.
    pub fn key_holders(&self, key: &str) -> Vec<Snowflake> {
        self.who(ReactionKind::Key, key)
    }
}

/// What Convert made.
#[derive(Debug, Clone)]
pub struct Conversion {
    pub headcount: Headcount,
    pub run: Run,
    /// Key reactions carried into the run.
    pub keys_copied: u64,
}

fn not_found(id: i64) -> ServiceError {
    HeadcountError::NotFound { headcount_id: id }.into()
}

fn dungeons_error(e: DungeonsError) -> ServiceError {
    HeadcountError::BadDungeons(e).into()
}

/// Why a closed headcount refuses a change.
fn closed(h: &Headcount) -> ServiceError {
    match (h.status, h.converted_run_id) {
        (HeadcountStatus::Converted, Some(run_id)) => HeadcountError::Converted { run_id }.into(),
        _ => HeadcountError::Ended.into(),
    }
}

/// The organizer, or staff above the organizer level, may manage a headcount (the same rule
/// as for runs).
pub fn may_manage(actor: &Actor, h: &Headcount) -> bool {
    actor.manages(h.organizer_id)
}

/// The headcount with its answers, for its organizer panel: only for someone who may
/// manage it.
pub async fn organizer_view(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    headcount_id: i64,
) -> Result<HeadcountDetail> {
    let detail = get(pool, guild, headcount_id).await?;
    if !may_manage(actor, &detail.headcount) {
        return Err(HeadcountError::NotManagerPanel.into());
    }
    Ok(detail)
}

fn require_manager(actor: &Actor, h: &Headcount) -> Result<()> {
    if may_manage(actor, h) {
        Ok(())
    } else {
        Err(HeadcountError::NotManager.into())
    }
}

/// Refuses a new run or headcount while the organizer has an open headcount (other than
/// `except`, the one being converted). Call under `store::locks::organizer_activity`.
pub(crate) async fn refuse_if_open(
    conn: &mut PgConnection,
    guild: Snowflake,
    organizer: Snowflake,
    except: Option<i64>,
) -> Result<()> {
    match store_hc::open_for_organizer(conn, guild, organizer).await? {
        Some(h) if Some(h.headcount_id) != except => Err(HeadcountError::ActiveHeadcountExists {
            headcount_id: Some(h.headcount_id),
        }
        .into()),
        _ => Ok(()),
    }
}

/// Refuses while the organizer has an active run. Call under the organizer lock.
async fn refuse_if_running(
    conn: &mut PgConnection,
    guild: Snowflake,
    organizer: Snowflake,
) -> Result<()> {
    match store::runs::active_for_organizer(conn, guild, organizer).await? {
        Some(r) => Err(crate::runs::RunError::ActiveRunExists {
            run_id: Some(r.run_id),
        }
        .into()),
        None => Ok(()),
    }
}

/// Queues a coalesced refresh of the headcount's public panel.
async fn refresh_panel(conn: &mut PgConnection, guild: Snowflake, id: i64) -> store::Result<()> {
    let due = tasks::panel_refresh_due();
    tasks::queue(
        conn,
        guild,
        Task::HeadcountPanelRefresh { headcount_id: id },
        Some(due),
    )
    .await?;
    Ok(())
}

/// Posts a headcount for `organizer` (default: the actor) asking about `dungeons`.
pub async fn create(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    organizer: Option<Snowflake>,
    dungeons: &[String],
) -> Result<Headcount> {
    let mut tx = pool.begin().await?;
    let h = create_in(&mut tx, guild, actor, organizer, dungeons).await?;
    tx.commit().await?;
    Ok(h)
}

async fn create_in(
    tx: &mut PgConnection,
    guild: Snowflake,
    actor: &Actor,
    organizer: Option<Snowflake>,
    dungeons: &[String],
) -> Result<Headcount> {
    actor.require(RoleKey::Organizer)?;
    let organizer = organizer
        .or(actor.user_id)
        .ok_or(HeadcountError::OrganizerRequired)?;
    let picked = rules::validate_dungeons(dungeons).map_err(dungeons_error)?;
    guild_config::ensure_guild(tx, guild).await?;
    let raid_channel = guild_config::channel(tx, guild, ChannelKey::Raid)
        .await?
        .ok_or(HeadcountError::NoRaidChannel)?;
    // One active run or headcount per organizer: checked under this lock in both places.
    store::locks::organizer_activity(tx, guild, organizer).await?;
    refuse_if_running(tx, guild, organizer).await?;
    refuse_if_open(tx, guild, organizer, None).await?;
    let auto_end_at = Utc::now()
        + chrono::Duration::from_std(AUTO_END_AFTER)
            .unwrap_or_else(|_| chrono::Duration::hours(12));
    let new = NewHeadcount {
        guild_id: guild,
        organizer_id: organizer,
        dungeons: picked.iter().map(|d| d.code.clone()).collect(),
        auto_end_at,
        panel_channel_id: Some(raid_channel),
    };
    let id = match store_hc::insert(tx, &new).await {
        Ok(id) => id,
        // Only reachable if someone skipped the lock: the index is the last word.
        Err(e) if e.unique_violation().as_deref() == Some("headcount_one_open_per_organizer") => {
            return Err(HeadcountError::ActiveHeadcountExists { headcount_id: None }.into());
        }
        Err(e) => return Err(e.into()),
    };
    let task = Task::HeadcountPanelPost { headcount_id: id };
    tasks::queue(tx, guild, task, None).await?;
    let timer = Task::HeadcountAutoEnd { headcount_id: id };
    tasks::queue(tx, guild, timer, Some(auto_end_at)).await?;
    let event = LogEvent::HeadcountCreated { headcount_id: id };
    tasks::log(tx, guild, ChannelKey::RaidLog, event).await?;
    store_hc::get(tx, guild, id)
        .await?
        .ok_or_else(|| not_found(id))
}

pub async fn get(pool: &PgPool, guild: Snowflake, id: i64) -> Result<HeadcountDetail> {
    let mut conn = pool.acquire().await?;
    let headcount = store_hc::get(&mut conn, guild, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let reactions = store_hc::reactions(&mut conn, guild, id).await?;
    Ok(HeadcountDetail {
        headcount,
        reactions,
    })
}

/// A page of the guild's headcounts, newest first (`status`: `open`, `converted` or
/// `ended`; all when `None`), numbered below `before`. Any verified raider may read them,
/// as they may read one.
pub async fn list(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    status: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Headcount>> {
    actor.require(RoleKey::VerifiedRaider)?;
    let status = match status {
        None => None,
        Some(text) => {
            Some(
                HeadcountStatus::parse(text).ok_or_else(|| HeadcountError::BadStatus {
                    text: text.to_owned(),
                })?,
            )
        }
    };
    let mut conn = pool.acquire().await?;
    Ok(store_hc::list(
        &mut conn,
        guild,
        status.map(HeadcountStatus::as_str),
        before,
        limit.clamp(1, 100),
    )
    .await?)
}

/// What a raider's press did.
#[derive(Debug, Clone)]
pub struct Toggled {
    /// The member now has this answer (false: withdrawn).
    pub on: bool,
    pub headcount: Headcount,
}

/// Interested in `code` (a dungeon of the headcount) or holding `code` (one of its keys):
/// on, or off when pressed again.
pub async fn toggle(
    pool: &PgPool,
    guild: Snowflake,
    id: i64,
    actor: &Actor,
    user: Snowflake,
    kind: ReactionKind,
    code: &str,
) -> Result<Toggled> {
    if actor.user_id != Some(user) {
        return Err(HeadcountError::NotTheRaider.into());
    }
    actor.require(RoleKey::VerifiedRaider)?;
    let mut tx = pool.begin().await?;
    let h = store_hc::lock(&mut tx, guild, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let belongs = match kind {
        ReactionKind::Interest => h.dungeons.iter().any(|d| d == code),
        ReactionKind::Key => h.dungeons.iter().any(|d| {
            catalog()
                .dungeon(d)
                .is_some_and(|d| d.keys.iter().any(|k| k.reaction == code))
        }),
    };
    if !belongs {
        return Err(HeadcountError::NotAChoice.into());
    }
    if !h.status.is_open() {
        return Err(closed(&h));
    }
    crate::moderation::refuse_if_suspended(&mut tx, guild, user).await?;
    let on = store_hc::toggle_reaction(&mut tx, guild, id, kind, code, user).await?;
    refresh_panel(&mut tx, guild, id).await?;
    tx.commit().await?;
    Ok(Toggled { on, headcount: h })
}

/// Makes a run of one of the headcount's dungeons, carries that dungeon's key holders into
/// the run, tells the raiders, and closes the headcount: all in one transaction, so two
/// Convert presses make one run and the second press is told which.
pub async fn convert(
    pool: &PgPool,
    guild: Snowflake,
    id: i64,
    actor: &Actor,
    dungeon: &str,
) -> Result<Conversion> {
    let mut tx = pool.begin().await?;
    let h = store_hc::lock(&mut tx, guild, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    require_manager(actor, &h)?;
    if !h.status.is_open() {
        return Err(closed(&h));
    }
    if !h.dungeons.iter().any(|d| d == dungeon) {
        return Err(HeadcountError::NotItsDungeon.into());
    }
    let d = catalog()
        .dungeon(dungeon)
        .ok_or_else(|| HeadcountError::UnknownDungeon {
            code: dungeon.to_owned(),
        })?;
    let req = RunRequest {
        organizer_id: Some(h.organizer_id),
        dungeon: d.code.clone(),
        ..Default::default()
    };
    let run = runs::create_in(&mut tx, guild, actor, req, Some(id)).await?;
    let keys: Vec<(String, i32)> = d
        .keys
        .iter()
        .map(|k| {
            (
                k.reaction.clone(),
                i32::try_from(k.max_early_location).unwrap_or(i32::MAX),
            )
        })
        .collect();
    // Key holders suspended since they answered do not carry their key into the run.
    let mut suspended = Vec::new();
    for r in store_hc::reactions(&mut tx, guild, id).await? {
        if r.kind != ReactionKind::Key || suspended.contains(&r.user_id) {
            continue;
        }
        match crate::moderation::refuse_if_suspended(&mut tx, guild, r.user_id).await {
            Ok(()) => {}
            Err(ServiceError::Suspended { user, .. }) => suspended.push(user),
            Err(e) => return Err(e),
        }
    }
    let keys_copied =
        store_hc::copy_keys_to_run(&mut tx, guild, id, run.run_id, &keys, &suspended).await?;
    let reason = Closer::Person(actor).reason(h.organizer_id);
    store_hc::mark_converted(&mut tx, guild, id, run.run_id, actor.user_id, reason).await?;
    refresh_panel(&mut tx, guild, id).await?;
    let announce = Task::HeadcountRunAnnounce { headcount_id: id };
    tasks::queue(&mut tx, guild, announce, None).await?;
    let event = LogEvent::HeadcountConverted {
        headcount_id: id,
        run_id: run.run_id,
    };
    tasks::log(&mut tx, guild, ChannelKey::RaidLog, event).await?;
    let headcount = store_hc::get(&mut tx, guild, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    tx.commit().await?;
    Ok(Conversion {
        headcount,
        run,
        keys_copied,
    })
}

/// Closes the headcount without a run. A second End is told it already ended.
pub async fn end(pool: &PgPool, guild: Snowflake, id: i64, actor: &Actor) -> Result<Headcount> {
    let mut tx = pool.begin().await?;
    let h = store_hc::lock(&mut tx, guild, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    require_manager(actor, &h)?;
    if !h.status.is_open() {
        return Err(closed(&h));
    }
    end_in(&mut tx, guild, &h, Closer::Person(actor)).await?;
    let h = store_hc::get(&mut tx, guild, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    tx.commit().await?;
    Ok(h)
}

/// The forgotten-headcount timer fired: an open headcount ends ("closed automatically").
/// Returns whether it closed it.
pub async fn auto_end(pool: &PgPool, guild: Snowflake, id: i64) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let Some(h) = store_hc::lock(&mut tx, guild, id).await? else {
        return Ok(false);
    };
    if !h.status.is_open() {
        return Ok(false);
    }
    let timer = Task::HeadcountAutoEnd { headcount_id: id };
    if closing::timer_early(&mut tx, guild, timer, h.auto_end_at).await? {
        tx.commit().await?;
        return Ok(false);
    }
    let closed = end_in(&mut tx, guild, &h, Closer::Timer).await?;
    tx.commit().await?;
    Ok(closed)
}

/// The one way a headcount ends without a run, by a person or by its timer: the state
/// change, the panel refresh and the raid_log entry. Returns whether this call ended it.
async fn end_in(
    conn: &mut PgConnection,
    guild: Snowflake,
    h: &Headcount,
    by: Closer<'_>,
) -> Result<bool> {
    let id = h.headcount_id;
    let reason = by.reason(h.organizer_id);
    let ended = store_hc::mark_ended(conn, guild, id, by.user_id(), reason).await?;
    refresh_panel(conn, guild, id).await?;
    let event = LogEvent::HeadcountEnded { headcount_id: id };
    tasks::log(conn, guild, ChannelKey::RaidLog, event).await?;
    Ok(ended)
}

/// The bot posted the headcount's panel: remember where, so refreshes edit it.
pub async fn panel_posted(
    pool: &PgPool,
    guild: Snowflake,
    id: i64,
    channel: Snowflake,
    message: Snowflake,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    store_hc::set_panel_message(&mut conn, guild, id, channel, message).await?;
    Ok(())
}

/// Queues a panel refresh (the bot does this when answers arrived while it was posting).
pub async fn request_refresh(pool: &PgPool, guild: Snowflake, id: i64) -> Result<()> {
    let mut conn = pool.acquire().await?;
    refresh_panel(&mut conn, guild, id).await?;
    Ok(())
}

// --- The /headcount picker -------------------------------------------------------------

fn require_own_draft(actor: &Actor, draft: &Draft) -> Result<()> {
    if actor.user_id == Some(draft.organizer_id) {
        Ok(())
    } else {
        Err(HeadcountError::NotYourPicker.into())
    }
}

fn draft_gone() -> ServiceError {
    HeadcountError::PickerClosed.into()
}

/// Opens a picker for the actor. Tells them at once when they cannot post a headcount now.
pub async fn open_picker(pool: &PgPool, guild: Snowflake, actor: &Actor) -> Result<Draft> {
    actor.require(RoleKey::Organizer)?;
    let organizer = actor.user_id.ok_or(HeadcountError::PickerNeedsMember)?;
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    // Informational here (no lock): posting checks again under the organizer lock.
    refuse_if_running(&mut tx, guild, organizer).await?;
    refuse_if_open(&mut tx, guild, organizer, None).await?;
    let draft = store_hc::new_draft(&mut tx, guild, organizer).await?;
    tx.commit().await?;
    Ok(draft)
}

/// Shows a category's dungeons in the picker.
pub async fn pick_category(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    draft_id: i64,
    category: &str,
) -> Result<Draft> {
    let category = rules::category(category).ok_or(HeadcountError::UnknownCategory)?;
    let mut tx = pool.begin().await?;
    let draft = store_hc::lock_draft(&mut tx, guild, draft_id)
        .await?
        .ok_or_else(draft_gone)?;
    require_own_draft(actor, &draft)?;
    store_hc::update_draft(&mut tx, guild, draft_id, Some(category), &draft.dungeons).await?;
    tx.commit().await?;
    Ok(Draft {
        category: Some(category.to_owned()),
        ..draft
    })
}

/// The dungeons picked in the shown category replace that category's earlier picks; picks
/// from other categories stay.
pub async fn pick_dungeons(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    draft_id: i64,
    values: &[String],
) -> Result<Draft> {
    let mut tx = pool.begin().await?;
    let draft = store_hc::lock_draft(&mut tx, guild, draft_id)
        .await?
        .ok_or_else(draft_gone)?;
    require_own_draft(actor, &draft)?;
    let category = draft
        .category
        .as_deref()
        .and_then(rules::category)
        .ok_or(HeadcountError::CategoryFirst)?;
    let in_category: Vec<&str> = rules::dungeons_in(category)
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    if let Some(bad) = values.iter().find(|v| !in_category.contains(&v.as_str())) {
        return Err(HeadcountError::NotInCategory {
            code: bad.clone(),
            category: category.to_string(),
        }
        .into());
    }
    let mut picks: Vec<String> = draft
        .dungeons
        .iter()
        .filter(|d| !in_category.contains(&d.as_str()) || values.contains(d))
        .cloned()
        .collect();
    for v in values {
        if !picks.contains(v) {
            picks.push(v.clone());
        }
    }
    if picks.len() > MAX_DUNGEONS {
        return Err(dungeons_error(DungeonsError::TooMany {
            picked: picks.len(),
            max: MAX_DUNGEONS,
        }));
    }
    store_hc::update_draft(&mut tx, guild, draft_id, Some(category), &picks).await?;
    tx.commit().await?;
    Ok(Draft {
        dungeons: picks,
        category: Some(category.to_owned()),
        ..draft
    })
}

/// Posts the headcount the picker holds; the picker is used up.
pub async fn post_draft(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    draft_id: i64,
) -> Result<Headcount> {
    let mut tx = pool.begin().await?;
    let draft = store_hc::lock_draft(&mut tx, guild, draft_id)
        .await?
        .ok_or_else(draft_gone)?;
    require_own_draft(actor, &draft)?;
    let h = create_in(
        &mut tx,
        guild,
        actor,
        Some(draft.organizer_id),
        &draft.dungeons,
    )
    .await?;
    store_hc::delete_draft(&mut tx, guild, draft_id).await?;
    tx.commit().await?;
    Ok(h)
}
