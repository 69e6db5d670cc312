//! Party finder: a member posts a party (a post and a thread in `party_finder`); its owner
//! extends or closes it, a moderator may close it, and its timer closes it otherwise.
//!
//! Every change to one party holds its row lock, so double clicks, the timer and two
//! processes serialize and the loser gets a clear answer. Creation holds a per-member
//! advisory lock, so the hourly limit (counted from rows) and the one-open-party rule
//! (also a partial unique index) hold for concurrent requests.

use chrono::{DateTime, Duration, Utc};
use domain::party::{
    self, DESCRIPTION_MAX, EXTEND_DEBOUNCE_SECONDS, EXTENSION_MINUTES, LIFETIME_MINUTES,
    LOCATION_MAX, MAX_LIFETIME_MINUTES, NAME_MAX, PER_HOUR, RATE_WINDOW_MINUTES,
};
use domain::{ChannelKey, RoleKey, Snowflake, limits};
use store::party::{self as store_party, NewParty};

/// A party, its state and why it closed: what its post and the API show.
pub use store::party::{CloseReason, Party, PartyStatus};
use store::{PgConnection, PgPool, guild_config, jobs};

use crate::error::Refusal;
use crate::tasks::{self, Task};
use crate::{Actor, Result, ServiceError};

/// Why a party use case refused; the adapters word it (the bot in `views::party`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("party refused: {}", self.code())]
pub enum PartyError {
    /// No party with this id in the guild.
    NotFound { party_id: i64 },
    /// The party is closed already: when, why (the timer) and by whom.
    AlreadyClosed {
        closed_at: Option<DateTime<Utc>>,
        reason: Option<CloseReason>,
        by: Option<Snowflake>,
    },
    /// A party is posted by a member, not by an API key.
    OwnerRequired,
    /// The guild has no `party_finder` channel.
    ChannelNotConfigured,
    /// The member has an open party (its name and closing time when known).
    OpenExists {
        open: Option<(String, DateTime<Utc>)>,
    },
    /// More than [`PER_HOUR`] parties within the hour; the member may post again at `again`.
    RateLimited { again: DateTime<Utc> },
    /// Only the owner extends a party.
    NotOwner,
    /// Only the owner or a moderator closes a party.
    MayNotClose,
    /// The party closes at its latest already.
    MaxLifetime { closes_at: DateTime<Utc> },
    /// A name, location or description that is empty or too long.
    BadText(limits::TextError),
}

impl PartyError {
    /// A stable snake_case code for logs and the REST API.
    pub fn code(&self) -> &'static str {
        match self {
            PartyError::NotFound { .. } => "not_found",
            PartyError::AlreadyClosed { .. } => "party_closed",
            PartyError::OwnerRequired => "owner_required",
            PartyError::ChannelNotConfigured => "party_channel_not_configured",
            PartyError::OpenExists { .. } => "party_open_exists",
            PartyError::RateLimited { .. } => "party_rate_limited",
            PartyError::NotOwner | PartyError::MayNotClose => "forbidden",
            PartyError::MaxLifetime { .. } => "party_max_lifetime",
            PartyError::BadText(_) => "invalid_text",
        }
    }

    pub fn kind(&self) -> Refusal {
        match self {
            PartyError::NotFound { .. } => Refusal::NotFound,
            PartyError::NotOwner | PartyError::MayNotClose => Refusal::Forbidden,
            PartyError::OwnerRequired | PartyError::BadText(_) => Refusal::Invalid,
            PartyError::AlreadyClosed { .. }
            | PartyError::ChannelNotConfigured
            | PartyError::OpenExists { .. }
            | PartyError::RateLimited { .. }
            | PartyError::MaxLifetime { .. } => Refusal::Conflict,
        }
    }
}

/// What a member asks for with /party.
#[derive(Debug, Clone, Default)]
pub struct PartyRequest {
    pub name: String,
    pub location: Option<String>,
    pub description: Option<String>,
}

fn text_error(e: limits::TextError) -> ServiceError {
    PartyError::BadText(e).into()
}

fn not_found(party_id: i64) -> ServiceError {
    PartyError::NotFound { party_id }.into()
}

fn already_closed(p: &Party) -> ServiceError {
    PartyError::AlreadyClosed {
        closed_at: p.closed_at,
        reason: p.close_reason,
        by: p.closed_by,
    }
    .into()
}

/// Posts a party for the actor: one open party per member, at most `PER_HOUR` created per
/// rolling hour. Queues the post (with its thread) and the auto-close timer.
pub async fn create(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    req: PartyRequest,
) -> Result<Party> {
    actor.require(RoleKey::VerifiedRaider)?;
    let owner = actor.user_id.ok_or(PartyError::OwnerRequired)?;
    let name = party::required_text("Name", &req.name, NAME_MAX).map_err(text_error)?;
    let location = limits::optional_text("Location", req.location.as_deref(), LOCATION_MAX)
        .map_err(text_error)?;
    let description =
        limits::optional_text("Description", req.description.as_deref(), DESCRIPTION_MAX)
            .map_err(text_error)?;

    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    let channel = guild_config::channel(&mut tx, guild, ChannelKey::PartyFinder)
        .await?
        .ok_or(PartyError::ChannelNotConfigured)?;
    crate::moderation::refuse_if_suspended(&mut tx, guild, owner).await?;
    store_party::lock_owner(&mut tx, guild, owner).await?;
    if let Some(open) = store_party::open_for_owner(&mut tx, guild, owner).await? {
        return Err(PartyError::OpenExists {
            open: Some((open.name, open.closes_at)),
        }
        .into());
    }
    let recent = store_party::created_within(&mut tx, guild, owner, RATE_WINDOW_MINUTES).await?;
    if recent.len() as i64 >= PER_HOUR {
        let n = recent.len() - PER_HOUR as usize;
        let again = recent
            .get(n)
            .map(|t| *t + Duration::minutes(RATE_WINDOW_MINUTES))
            .unwrap_or_else(Utc::now);
        return Err(PartyError::RateLimited { again }.into());
    }
    let new = NewParty {
        guild_id: guild,
        owner_id: owner,
        name,
        location,
        description,
        channel_id: channel,
        lifetime_minutes: LIFETIME_MINUTES,
    };
    let created = match store_party::insert(&mut tx, &new).await {
        Ok(p) => p,
        Err(e) if e.unique_violation().as_deref() == Some("party_one_open_per_owner") => {
            return Err(PartyError::OpenExists { open: None }.into());
        }
        Err(e) => return Err(e.into()),
    };
    let party_id = created.party_id;
    tasks::queue(&mut tx, guild, Task::PartyPost { party_id }, None).await?;
    tasks::queue(
        &mut tx,
        guild,
        Task::PartyAutoClose { party_id },
        Some(created.closes_at),
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn get(pool: &PgPool, guild: Snowflake, party_id: i64) -> Result<Party> {
    let mut conn = pool.acquire().await?;
    store_party::get(&mut conn, guild, party_id)
        .await?
        .ok_or_else(|| not_found(party_id))
}

/// What an Extend press did.
#[derive(Debug, Clone)]
pub struct Extended {
    pub party: Party,
    /// False when this press came right after another one (a double click) and changed
    /// nothing.
    pub changed: bool,
}

/// The timer's dedupe key: the same as `Task::PartyAutoClose`'s.
fn timer_key(party_id: i64) -> String {
    format!("party:{party_id}")
}

/// Keeps the party open one more hour, up to `MAX_LIFETIME_MINUTES` after it was created.
/// Only its owner may. A press within `EXTEND_DEBOUNCE_SECONDS` of the last extension is
/// the same click again and changes nothing.
pub async fn extend(
    pool: &PgPool,
    guild: Snowflake,
    party_id: i64,
    actor: &Actor,
) -> Result<Extended> {
    let mut tx = pool.begin().await?;
    let p = store_party::lock(&mut tx, guild, party_id)
        .await?
        .ok_or_else(|| not_found(party_id))?;
    if actor.user_id != Some(p.owner_id) {
        return Err(PartyError::NotOwner.into());
    }
    if p.status == PartyStatus::Closed {
        return Err(already_closed(&p));
    }
    let now = Utc::now();
    if p.extended_at
        .is_some_and(|t| now - t < Duration::seconds(EXTEND_DEBOUNCE_SECONDS))
    {
        return Ok(Extended {
            party: p,
            changed: false,
        });
    }
    let latest = p.created_at + Duration::minutes(MAX_LIFETIME_MINUTES);
    let next = p.closes_at + Duration::minutes(EXTENSION_MINUTES);
    if next > latest {
        return Err(PartyError::MaxLifetime {
            closes_at: p.closes_at,
        }
        .into());
    }
    store_party::extend(&mut tx, guild, party_id, next).await?;
    let kind = Task::PartyAutoClose { party_id }.kind();
    let moved = jobs::reschedule(&mut tx, guild, kind, &timer_key(party_id), next).await?;
    if !moved {
        // The timer is running right now (or was lost): a fresh one at the new time. A
        // timer that fires early re-arms itself, so two timers cannot close it early.
        tasks::queue(
            &mut tx,
            guild,
            Task::PartyAutoClose { party_id },
            Some(next),
        )
        .await?;
    }
    tasks::queue(&mut tx, guild, Task::PartyRefresh { party_id }, None).await?;
    let party = store_party::get(&mut tx, guild, party_id)
        .await?
        .ok_or_else(|| not_found(party_id))?;
    tx.commit().await?;
    Ok(Extended {
        party,
        changed: true,
    })
}

/// Whether the actor may close this party: its owner, or a moderator (or higher).
pub fn may_close(actor: &Actor, p: &Party) -> bool {
    actor.user_id == Some(p.owner_id)
        || RoleKey::Moderator.level().is_some_and(|m| actor.level >= m)
}

/// Closes the party (owner or moderator) and queues the removal of its post and thread.
/// A second close gets a clear "already closed" answer and changes nothing.
pub async fn close(pool: &PgPool, guild: Snowflake, party_id: i64, actor: &Actor) -> Result<Party> {
    let mut tx = pool.begin().await?;
    let p = store_party::lock(&mut tx, guild, party_id)
        .await?
        .ok_or_else(|| not_found(party_id))?;
    if !may_close(actor, &p) {
        return Err(PartyError::MayNotClose.into());
    }
    if p.status == PartyStatus::Closed {
        return Err(already_closed(&p));
    }
    let reason = if actor.user_id == Some(p.owner_id) {
        CloseReason::Owner
    } else {
        CloseReason::Moderator
    };
    close_locked(&mut tx, guild, party_id, actor.user_id, reason).await?;
    let party = store_party::get(&mut tx, guild, party_id)
        .await?
        .ok_or_else(|| not_found(party_id))?;
    tx.commit().await?;
    Ok(party)
}

async fn close_locked(
    conn: &mut PgConnection,
    guild: Snowflake,
    party_id: i64,
    by: Option<Snowflake>,
    reason: CloseReason,
) -> Result<bool> {
    let closed = store_party::mark_closed(conn, guild, party_id, by, reason).await?;
    if closed {
        tasks::queue(conn, guild, Task::PartyRemove { party_id }, None).await?;
    }
    Ok(closed)
}

/// The timer fired: close the party if its time is up. A party already closed is left
/// alone; a party extended since the timer was set re-arms the timer for its new time.
/// Returns whether it closed the party.
pub async fn auto_close(pool: &PgPool, guild: Snowflake, party_id: i64) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let Some(p) = store_party::lock(&mut tx, guild, party_id).await? else {
        return Ok(false);
    };
    if p.status == PartyStatus::Closed {
        return Ok(false);
    }
    if p.closes_at > Utc::now() {
        tasks::queue(
            &mut tx,
            guild,
            Task::PartyAutoClose { party_id },
            Some(p.closes_at),
        )
        .await?;
        tx.commit().await?;
        return Ok(false);
    }
    let closed = close_locked(&mut tx, guild, party_id, None, CloseReason::Auto).await?;
    tx.commit().await?;
    Ok(closed)
}

/// The bot posted the party: remember the message. If the party was closed meanwhile,
/// queue its removal again so the late post does not linger.
pub async fn message_posted(
    pool: &PgPool,
    guild: Snowflake,
    party_id: i64,
    message: Snowflake,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    let status = store_party::set_message(&mut tx, guild, party_id, message).await?;
    if status == Some(PartyStatus::Closed) {
        tasks::queue(&mut tx, guild, Task::PartyRemove { party_id }, None).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The bot started the party's thread: remember it, like [`message_posted`].
pub async fn thread_started(
    pool: &PgPool,
    guild: Snowflake,
    party_id: i64,
    thread: Snowflake,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    let status = store_party::set_thread(&mut tx, guild, party_id, thread).await?;
    if status == Some(PartyStatus::Closed) {
        tasks::queue(&mut tx, guild, Task::PartyRemove { party_id }, None).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The party's post could not be made for good (its channel is gone or closed to the bot):
/// close it, so it does not block its owner from posting another.
pub async fn post_failed(pool: &PgPool, guild: Snowflake, party_id: i64) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let closed =
        store_party::mark_closed(&mut tx, guild, party_id, None, CloseReason::Auto).await?;
    tx.commit().await?;
    Ok(closed)
}
