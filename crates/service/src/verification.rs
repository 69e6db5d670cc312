//! Verification use cases: the DM sessions (RealmEye code check, screenshot review),
//! custom role verification, and the staff commands on names.
//!
//! Every step is a row: a session survives restarts, its 30-minute timer is a job, and the
//! roles and nickname are applied by a `MemberSync` job queued in the same transaction
//! that stored the IGN, so Discord never shows a verification the database refused. IGNs
//! (mains and alts) are unique per guild case-insensitively by a primary key, so of two
//! concurrent claims exactly one wins.

use chrono::{DateTime, Duration, Utc};
use domain::quota::ModAction;
use domain::snowflake::InvalidSnowflake;
use domain::verification::{
    self as rules, CHECK_COOLDOWN_SECONDS, Method, ProfileFacts, Requirements, SESSION_MINUTES,
    SessionEvent, Step,
};
use domain::{ChannelKey, RoleKey, Snowflake};
use rand::Rng;
use realmeye::Lookup;
use store::verification::{self as store_veri, ClaimError, MemberNames, NewSession};

/// Verification settings, sessions, reviews, events and custom roles: what the DMs, review
/// cards, panels and the API show.
pub use store::verification::{CustomRole, Event, MemberVerification, Review, Session, VeriConfig};
use store::{PgConnection, PgPool, guild_config};

use crate::config::{SettingsChange, record_settings_change};
use crate::error::Refusal;
use crate::tasks::{self, LogEvent, RetryReason, SettingsArea, Task, VeriNote};
use crate::{Actor, Result, ServiceError};

/// Why a verification use case refused. The adapters word it for their reader: the bot in
/// `views::verification`, the API in its error mapping. [`VerificationError::code`] is
/// the stable code programs see.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("verification refused: {}", self.code())]
pub enum VerificationError {
    /// Another member of the guild holds this IGN (as main or alt).
    IgnTaken { ign: String },
    /// The text is not an in-game name.
    BadIgn(rules::IgnError),
    /// The settings would leave neither RealmEye nor screenshots enabled.
    NoMethod,
    /// The panel image is not an https:// link.
    BadImageUrl,
    /// Posting the panel was asked for, but there is no `getverified` channel.
    GetverifiedNotConfigured,
    /// A custom role verification's name is empty or longer than 80 characters.
    BadRoleName,
    /// The custom role verification was removed (or never existed).
    RoleVerificationGone,
    /// `/removeroleverification` named an id that is not there.
    NoSuchRoleVerification { id: i64 },
    /// A custom role needs the member to be verified first.
    VerifyFirst,
    /// The member pressed Get verified but is verified already.
    AlreadyVerified { ign: Option<String> },
    /// The session is not there.
    SessionGone,
    /// The session is over (verified, with staff, denied, expired or cancelled).
    SessionClosed { step: Step },
    /// The session's button was pressed by another member.
    NotYourSession,
    /// Neither the custom role nor the guild has a channel for screenshot reviews.
    ReviewChannelMissing,
    /// The guild does not review screenshots.
    ScreenshotDisabled,
    /// Done was pressed before an IGN (and so a code) was given.
    NoCodeYet,
    /// Done was pressed again within the cooldown.
    CheckCooldown { seconds: i64 },
    /// The review is not there.
    ReviewGone,
    /// The review's custom role was removed.
    ReviewWithdrawn,
    /// The review was decided already.
    ReviewDecided {
        state: String,
        by: Option<Snowflake>,
        at: Option<DateTime<Utc>>,
    },
    /// Approving a screenshot for the server's verification needs the IGN.
    IgnRequired,
    /// Denying needs a reason of 1 to 1000 characters.
    ReasonRequired,
    /// `/unverify` of a member who is not verified.
    NotVerified { user: Snowflake },
    /// `/addalt` for a member without a main name.
    NoMain { user: Snowflake },
    /// `/addalt` of a name the member has already.
    AltExists { user: Snowflake, ign: String },
    /// `/removealt` of a name the member does not have.
    NoSuchAlt { user: Snowflake, ign: String },
    /// `/syncteam` with no lines.
    EmptyImport,
    /// `/syncteam` with more than [`SYNC_MAX_LINES`] lines.
    ImportTooBig { lines: usize },
    /// A `/syncteam` line's user id is not a Discord id.
    BadUserId(InvalidSnowflake),
}

impl VerificationError {
    /// A stable snake_case code for logs and the REST API.
    pub fn code(&self) -> &'static str {
        use VerificationError as E;
        match self {
            E::IgnTaken { .. } => "ign_taken",
            E::BadIgn(_) => "invalid_ign",
            E::NoMethod => "no_method",
            E::BadImageUrl => "bad_image_url",
            E::GetverifiedNotConfigured => "getverified_not_configured",
            E::BadRoleName => "bad_name",
            E::RoleVerificationGone
            | E::NoSuchRoleVerification { .. }
            | E::SessionGone
            | E::ReviewGone
            | E::NoSuchAlt { .. } => "not_found",
            E::VerifyFirst | E::NotVerified { .. } => "not_verified",
            E::AlreadyVerified { .. } => "already_verified",
            E::SessionClosed { .. } => "session_closed",
            E::NotYourSession => "forbidden",
            E::ReviewChannelMissing => "review_channel_missing",
            E::ScreenshotDisabled => "screenshot_disabled",
            E::NoCodeYet => "no_code_yet",
            E::CheckCooldown { .. } => "check_cooldown",
            E::ReviewWithdrawn => "review_withdrawn",
            E::ReviewDecided { .. } => "review_decided",
            E::IgnRequired => "ign_required",
            E::ReasonRequired => "reason_required",
            E::NoMain { .. } => "no_main",
            E::AltExists { .. } => "alt_exists",
            E::EmptyImport => "empty_import",
            E::ImportTooBig { .. } => "import_too_big",
            E::BadUserId(_) => "bad_user",
        }
    }

    /// What kind of refusal this is.
    pub fn kind(&self) -> Refusal {
        use VerificationError as E;
        match self {
            E::RoleVerificationGone
            | E::NoSuchRoleVerification { .. }
            | E::SessionGone
            | E::ReviewGone
            | E::NoSuchAlt { .. } => Refusal::NotFound,
            E::NotYourSession => Refusal::Forbidden,
            E::BadIgn(_)
            | E::NoMethod
            | E::BadImageUrl
            | E::BadRoleName
            | E::IgnRequired
            | E::ReasonRequired
            | E::EmptyImport
            | E::ImportTooBig { .. }
            | E::BadUserId(_) => Refusal::Invalid,
            E::IgnTaken { .. }
            | E::GetverifiedNotConfigured
            | E::VerifyFirst
            | E::AlreadyVerified { .. }
            | E::SessionClosed { .. }
            | E::ReviewChannelMissing
            | E::ScreenshotDisabled
            | E::NoCodeYet
            | E::CheckCooldown { .. }
            | E::ReviewWithdrawn
            | E::ReviewDecided { .. }
            | E::NotVerified { .. }
            | E::NoMain { .. }
            | E::AltExists { .. } => Refusal::Conflict,
        }
    }
}

fn taken(ign: &str) -> ServiceError {
    VerificationError::IgnTaken {
        ign: ign.to_owned(),
    }
    .into()
}

fn claim_err(ign: &str, e: ClaimError) -> ServiceError {
    match e {
        ClaimError::Taken(_) => taken(ign),
        ClaimError::Store(e) => e.into(),
    }
}

fn bad_ign(e: rules::IgnError) -> ServiceError {
    VerificationError::BadIgn(e).into()
}

/// The session's step, as the state machine in `domain::verification::session` knows it.
fn step_of(s: &Session) -> Result<Step> {
    Step::parse(&s.step).ok_or_else(|| {
        ServiceError::Internal(format!(
            "session {} has an unknown step {:?}",
            s.session_id, s.step
        ))
    })
}

fn method_of(s: &Session) -> Result<Method> {
    Method::parse(&s.method).ok_or_else(|| {
        ServiceError::Internal(format!(
            "session {} has an unknown method {:?}",
            s.session_id, s.method
        ))
    })
}

/// Moves the session (in memory; the caller stores it) by `event`, or says why it cannot.
fn advance(s: &mut Session, event: SessionEvent) -> Result<Step> {
    let step = step_of(s)?;
    let next = step.after(event, method_of(s)?).ok_or_else(|| {
        ServiceError::Internal(format!(
            "session {}: {event:?} does not apply in step {step}",
            s.session_id
        ))
    })?;
    s.step = next.as_str().to_owned();
    Ok(next)
}

/// Records a step and queues its veri_log entry.
async fn event(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    actor: Option<Snowflake>,
    kind: &str,
    ign: Option<&str>,
    detail: Option<&str>,
) -> Result<i64> {
    let event_id = store_veri::insert_event(conn, guild, user, actor, kind, ign, detail).await?;
    tasks::log(
        conn,
        guild,
        ChannelKey::VeriLog,
        LogEvent::Verification { event_id },
    )
    .await?;
    Ok(event_id)
}

async fn dm(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    note: VeriNote,
) -> Result<()> {
    tasks::queue(
        conn,
        guild,
        Task::VeriDm {
            user_id: user,
            note,
        },
        None,
    )
    .await?;
    Ok(())
}

async fn sync(conn: &mut PgConnection, guild: Snowflake, user: Snowflake) -> Result<()> {
    tasks::queue(conn, guild, Task::MemberSync { user_id: user }, None).await?;
    Ok(())
}

// ---------- configuration ----------

pub async fn config(pool: &PgPool, guild: Snowflake) -> Result<VeriConfig> {
    let mut conn = pool.acquire().await?;
    Ok(store_veri::config(&mut conn, guild).await?)
}

/// What `/configverification` may change (None: keep).
#[derive(Debug, Clone, Default)]
pub struct ConfigChange {
    pub realmeye: Option<bool>,
    pub screenshot: Option<bool>,
    pub panel_message: Option<String>,
    pub image_url: Option<String>,
    pub min_rank: Option<u32>,
    pub min_alive_fame: Option<u64>,
    pub min_characters: Option<u32>,
    pub min_account_age_days: Option<u32>,
    pub hidden_location: Option<bool>,
    /// Post the get-verified panel in `getverified` after saving.
    pub post_panel: bool,
}

/// Saves the settings (moderator) and queues the panel in `getverified` when asked.
pub async fn configure(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    change: ConfigChange,
) -> Result<VeriConfig> {
    actor.require(RoleKey::Moderator)?;
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    let mut c = store_veri::config(&mut tx, guild).await?;
    let before = c.clone();
    let zero_none = |v: Option<u32>, old: Option<u32>| match v {
        Some(0) => None,
        Some(v) => Some(v),
        None => old,
    };
    c.realmeye_enabled = change.realmeye.unwrap_or(c.realmeye_enabled);
    c.screenshot_enabled = change.screenshot.unwrap_or(c.screenshot_enabled);
    if !c.realmeye_enabled && !c.screenshot_enabled {
        return Err(VerificationError::NoMethod.into());
    }
    if let Some(m) = change.panel_message {
        c.panel_message = Some(m).filter(|m| !m.trim().is_empty());
    }
    if let Some(u) = change.image_url {
        let u = u.trim().to_owned();
        if !u.is_empty() && !u.starts_with("https://") {
            return Err(VerificationError::BadImageUrl.into());
        }
        c.image_url = Some(u).filter(|u| !u.is_empty());
    }
    let r = &mut c.requirements;
    r.min_rank = zero_none(change.min_rank, r.min_rank);
    r.min_characters = zero_none(change.min_characters, r.min_characters);
    r.min_account_age_days = zero_none(change.min_account_age_days, r.min_account_age_days);
    r.min_alive_fame = match change.min_alive_fame {
        Some(0) => None,
        Some(v) => Some(v),
        None => r.min_alive_fame,
    };
    r.hidden_location = change.hidden_location.unwrap_or(r.hidden_location);
    store_veri::set_config(&mut tx, guild, &c).await?;
    record_settings_change(&mut tx, guild, actor, settings_diff(&before, &c)).await?;
    if change.post_panel {
        let channel = guild_config::channel(&mut tx, guild, ChannelKey::Getverified)
            .await?
            .ok_or(VerificationError::GetverifiedNotConfigured)?;
        tasks::queue(
            &mut tx,
            guild,
            Task::VeriPanelPost {
                channel,
                custom_role_id: None,
            },
            None,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(c)
}

/// Which verification settings differ, for the audit log and `bot_log`.
fn settings_diff(before: &VeriConfig, after: &VeriConfig) -> SettingsChange {
    fn opt<T: ToString>(v: &Option<T>) -> String {
        v.as_ref().map_or_else(|| "none".to_owned(), T::to_string)
    }
    let mut s = SettingsChange::new("configure_verification", SettingsArea::Verification);
    s.field("realmeye", before.realmeye_enabled, after.realmeye_enabled);
    s.field(
        "screenshot",
        before.screenshot_enabled,
        after.screenshot_enabled,
    );
    s.field(
        "panel_message",
        opt(&before.panel_message),
        opt(&after.panel_message),
    );
    s.field("image_url", opt(&before.image_url), opt(&after.image_url));
    let (b, a) = (&before.requirements, &after.requirements);
    s.field("min_rank", opt(&b.min_rank), opt(&a.min_rank));
    s.field(
        "min_alive_fame",
        opt(&b.min_alive_fame),
        opt(&a.min_alive_fame),
    );
    s.field(
        "min_characters",
        opt(&b.min_characters),
        opt(&a.min_characters),
    );
    s.field(
        "min_account_age_days",
        opt(&b.min_account_age_days),
        opt(&a.min_account_age_days),
    );
    s.field("hidden_location", b.hidden_location, a.hidden_location);
    s
}

/// A custom verification role as staff define it.
#[derive(Debug, Clone)]
pub struct NewCustomRole<'a> {
    pub name: &'a str,
    pub role: Snowflake,
    pub description: Option<&'a str>,
    pub review_channel: Snowflake,
    pub panel_channel: Snowflake,
}

/// Adds a custom verification role and queues its panel in `panel_channel` (moderator).
pub async fn add_custom_role(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    new: NewCustomRole<'_>,
) -> Result<CustomRole> {
    actor.require(RoleKey::Moderator)?;
    let NewCustomRole {
        name,
        role,
        description,
        review_channel,
        panel_channel,
    } = new;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(VerificationError::BadRoleName.into());
    }
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    let cr =
        store_veri::upsert_custom_role(&mut tx, guild, name, role, description, review_channel)
            .await?;
    let mut settings =
        SettingsChange::new("add_role_verification", SettingsArea::RoleVerificationAdded);
    settings.role = Some(role);
    settings.name = Some(cr.name.clone());
    settings.set("id", cr.custom_role_id);
    settings.set("review_channel", review_channel);
    settings.set("panel_channel", panel_channel);
    record_settings_change(&mut tx, guild, actor, settings).await?;
    tasks::queue(
        &mut tx,
        guild,
        Task::VeriPanelPost {
            channel: panel_channel,
            custom_role_id: Some(cr.custom_role_id),
        },
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(cr)
}

pub async fn custom_role(pool: &PgPool, guild: Snowflake, id: i64) -> Result<CustomRole> {
    let mut conn = pool.acquire().await?;
    store_veri::custom_role(&mut conn, guild, id)
        .await?
        .ok_or_else(|| VerificationError::RoleVerificationGone.into())
}

/// The custom verification roles that take requests, oldest first (moderator, as
/// `/addroleverification`).
pub async fn custom_roles(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
) -> Result<Vec<CustomRole>> {
    actor.require(RoleKey::Moderator)?;
    let mut conn = pool.acquire().await?;
    Ok(store_veri::custom_roles(&mut conn, guild).await?)
}

/// Removes a custom verification role (moderator): its panels stop taking requests and are
/// deleted from Discord, open requests are cancelled and screenshots waiting for staff are
/// withdrawn (their cards say so and stop; the members are told). Roles already granted
/// stay.
pub async fn remove_custom_role(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    id: i64,
) -> Result<CustomRole> {
    actor.require(RoleKey::Moderator)?;
    let mut tx = pool.begin().await?;
    let cr = store_veri::remove_custom_role(&mut tx, guild, id, actor.user_id)
        .await?
        .ok_or(VerificationError::NoSuchRoleVerification { id })?;
    for user in store_veri::cancel_open_for_custom_role(&mut tx, guild, id).await? {
        let note = VeriNote::RoleWithdrawn {
            role_name: cr.name.clone(),
        };
        dm(&mut tx, guild, user, note).await?;
    }
    // Screenshots waiting for staff are withdrawn: their cards say so and lose their
    // buttons, and the members are told.
    for (review_id, user) in
        store_veri::withdraw_reviews_for_custom_role(&mut tx, guild, id, actor.user_id).await?
    {
        let note = VeriNote::RoleWithdrawn {
            role_name: cr.name.clone(),
        };
        dm(&mut tx, guild, user, note).await?;
        tasks::queue(&mut tx, guild, Task::VeriReviewRefresh { review_id }, None).await?;
    }
    let mut settings = SettingsChange::new(
        "remove_role_verification",
        SettingsArea::RoleVerificationRemoved,
    );
    settings.role = Some(cr.role_id);
    settings.name = Some(cr.name.clone());
    settings.set("id", id);
    record_settings_change(&mut tx, guild, actor, settings).await?;
    for (channel, message) in store_veri::take_custom_role_panels(&mut tx, guild, id).await? {
        tasks::queue(
            &mut tx,
            guild,
            Task::VeriPanelDelete { channel, message },
            None,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(cr)
}

/// The bot posted a custom role's panel: remember it, so removing the role deletes it. A
/// panel posted after the role was removed is queued for deletion at once.
pub async fn custom_role_panel_posted(
    pool: &PgPool,
    guild: Snowflake,
    id: i64,
    channel: Snowflake,
    message: Snowflake,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    let removed = store_veri::custom_role(&mut tx, guild, id)
        .await?
        .is_none_or(|c| c.removed_at.is_some());
    if removed {
        tasks::queue(
            &mut tx,
            guild,
            Task::VeriPanelDelete { channel, message },
            None,
        )
        .await?;
    } else {
        store_veri::record_custom_role_panel(&mut tx, guild, id, channel, message).await?;
    }
    tx.commit().await?;
    Ok(())
}

// ---------- the member's session ----------

/// The member pressed Get verified (or a custom role's button): a new session replaces an
/// open one, its timer is set and the first DM is queued.
pub async fn start(
    pool: &PgPool,
    guild: Snowflake,
    user: Snowflake,
    custom_role_id: Option<i64>,
) -> Result<Session> {
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    store_veri::lock_member(&mut tx, guild, user).await?;
    let names = store_veri::names(&mut tx, guild, user).await?;
    let cfg = store_veri::config(&mut tx, guild).await?;
    let method = match custom_role_id {
        Some(id) => {
            store_veri::custom_role(&mut tx, guild, id)
                .await?
                .filter(|c| c.removed_at.is_none())
                .ok_or(VerificationError::RoleVerificationGone)?;
            if !names.as_ref().is_some_and(MemberNames::is_verified) {
                return Err(VerificationError::VerifyFirst.into());
            }
            Method::CustomRole
        }
        None => {
            if let Some(n) = names.as_ref().filter(|n| n.is_verified()) {
                return Err(VerificationError::AlreadyVerified {
                    ign: n.main.clone(),
                }
                .into());
            }
            if cfg.realmeye_enabled {
                Method::Realmeye
            } else {
                Method::Screenshot
            }
        }
    };
    let step = Step::first(method);
    if let Some(old) = store_veri::cancel_open(&mut tx, guild, user).await? {
        tracing::debug!(session = old, "replaced an open verification session");
    }
    let session = store_veri::insert_session(
        &mut tx,
        &NewSession {
            guild_id: guild,
            user_id: user,
            method: method.as_str(),
            custom_role_id,
            step: step.as_str(),
            minutes: SESSION_MINUTES,
        },
    )
    .await?;
    let session_id = session.session_id;
    tasks::queue(
        &mut tx,
        guild,
        Task::VeriSessionExpire { session_id },
        Some(session.expires_at),
    )
    .await?;
    event(
        &mut tx,
        guild,
        user,
        None,
        "started",
        None,
        Some(method.as_str()),
    )
    .await?;
    let note = if step == Step::AwaitingScreenshot {
        VeriNote::AskScreenshot { session_id }
    } else {
        VeriNote::Started { session_id }
    };
    dm(&mut tx, guild, user, note).await?;
    tx.commit().await?;
    Ok(session)
}

/// Which guild a DM'd session button belongs to.
pub async fn session_guild(pool: &PgPool, session_id: i64) -> Result<Snowflake> {
    let mut conn = pool.acquire().await?;
    store_veri::session_guild(&mut conn, session_id)
        .await?
        .ok_or_else(|| VerificationError::SessionGone.into())
}

pub async fn session(pool: &PgPool, guild: Snowflake, session_id: i64) -> Result<Session> {
    let mut conn = pool.acquire().await?;
    session_in(&mut conn, guild, session_id).await
}

async fn session_in(conn: &mut PgConnection, guild: Snowflake, session_id: i64) -> Result<Session> {
    let mut s = store_veri::lock_session(conn, guild, session_id)
        .await?
        .ok_or(VerificationError::SessionGone)?;
    // A session whose time is up but whose timer has not run yet is expired all the same.
    if step_of(&s)?.is_open() && s.expires_at <= Utc::now() {
        advance(&mut s, SessionEvent::TimedOut)?;
    }
    Ok(s)
}

/// The member wrote to the bot in DMs: the IGN or a screenshot for their open session.
/// Returns None when they have no open session (the bot then says how to start).
pub async fn direct_message(
    pool: &PgPool,
    user: Snowflake,
    text: &str,
    attachment: Option<(&str, bool)>,
) -> Result<Option<Session>> {
    let open = {
        let mut conn = pool.acquire().await?;
        store_veri::open_for_user(&mut conn, user).await?
    };
    let Some(open) = open else {
        return Ok(None);
    };
    let guild = open.guild_id;
    let mut tx = pool.begin().await?;
    let mut s = session_in(&mut tx, guild, open.session_id).await?;
    let step = step_of(&s)?;
    if !step.is_open() {
        if step == Step::Expired {
            expire_locked(&mut tx, s).await?;
            tx.commit().await?;
        }
        return Ok(None);
    }
    let session_id = s.session_id;
    match step {
        Step::AwaitingIgn => match rules::parse_ign(text) {
            Err(e) => {
                dm(
                    &mut tx,
                    guild,
                    user,
                    VeriNote::Retry {
                        session_id,
                        why: e.into(),
                    },
                )
                .await?;
            }
            Ok(ign) => {
                if let Some((holder, _)) = store_veri::owner_of(&mut tx, guild, &ign).await?
                    && holder != user
                {
                    event(
                        &mut tx,
                        guild,
                        user,
                        None,
                        "check_failed",
                        Some(&ign),
                        Some("name taken"),
                    )
                    .await?;
                    dm(
                        &mut tx,
                        guild,
                        user,
                        VeriNote::Retry {
                            session_id,
                            why: RetryReason::IgnTaken { ign: ign.clone() },
                        },
                    )
                    .await?;
                } else if advance(&mut s, SessionEvent::IgnAccepted)? == Step::AwaitingDone {
                    let bytes: [u8; rules::CODE_LEN] = rand::rng().random();
                    let code = rules::code_from_bytes(bytes);
                    s.ign = Some(ign.clone());
                    s.code = Some(code.clone());
                    store_veri::update_session(&mut tx, &s).await?;
                    event(
                        &mut tx,
                        guild,
                        user,
                        None,
                        "code_issued",
                        Some(&ign),
                        Some(&code),
                    )
                    .await?;
                    dm(&mut tx, guild, user, VeriNote::CodeIssued { session_id }).await?;
                } else {
                    s.ign = Some(ign);
                    store_veri::update_session(&mut tx, &s).await?;
                    dm(&mut tx, guild, user, VeriNote::AskScreenshot { session_id }).await?;
                }
            }
        },
        Step::AwaitingScreenshot => match attachment {
            Some((url, true)) => {
                submit_screenshot_locked(&mut tx, &mut s, url).await?;
            }
            Some((_, false)) => {
                dm(
                    &mut tx,
                    guild,
                    user,
                    VeriNote::Retry {
                        session_id,
                        why: RetryReason::NotAnImage,
                    },
                )
                .await?;
            }
            None => {
                dm(
                    &mut tx,
                    guild,
                    user,
                    VeriNote::Retry {
                        session_id,
                        why: RetryReason::NoAttachment,
                    },
                )
                .await?;
            }
        },
        _ => {
            let note = VeriNote::Retry {
                session_id,
                why: RetryReason::AwaitingDone,
            };
            dm(&mut tx, guild, user, note).await?;
        }
    }
    tx.commit().await?;
    Ok(Some(s))
}

async fn submit_screenshot_locked(
    conn: &mut PgConnection,
    s: &mut Session,
    url: &str,
) -> Result<Review> {
    let guild = s.guild_id;
    let channel = match s.custom_role_id {
        Some(id) => store_veri::custom_role(conn, guild, id)
            .await?
            .map(|c| c.review_channel_id),
        None => guild_config::channel(conn, guild, ChannelKey::ManualVerification).await?,
    }
    .ok_or(VerificationError::ReviewChannelMissing)?;
    let review = store_veri::insert_review(conn, s, url, channel).await?;
    advance(s, SessionEvent::ScreenshotSubmitted)?;
    store_veri::update_session(conn, s).await?;
    tasks::queue(
        conn,
        guild,
        Task::VeriReviewPost {
            review_id: review.review_id,
        },
        None,
    )
    .await?;
    event(
        conn,
        guild,
        s.user_id,
        None,
        "submitted",
        s.ign.as_deref(),
        None,
    )
    .await?;
    dm(
        conn,
        guild,
        s.user_id,
        VeriNote::UnderReview {
            session_id: s.session_id,
        },
    )
    .await?;
    Ok(review)
}

/// The member switched their session to screenshot review (DM button).
pub async fn choose_screenshot(
    pool: &PgPool,
    guild: Snowflake,
    user: Snowflake,
    session_id: i64,
) -> Result<Session> {
    let mut tx = pool.begin().await?;
    let mut s = own_open_session(&mut tx, guild, user, session_id).await?;
    let cfg = store_veri::config(&mut tx, guild).await?;
    if !cfg.screenshot_enabled {
        return Err(VerificationError::ScreenshotDisabled.into());
    }
    s.method = Method::Screenshot.as_str().into();
    let has_ign = s.ign.is_some();
    let step = advance(&mut s, SessionEvent::SwitchedToScreenshot { has_ign })?;
    sqlx::query(
        "UPDATE veri_session SET method = 'screenshot' WHERE guild_id = $1 AND session_id = $2",
    )
    .bind(guild.db())
    .bind(session_id)
    .execute(&mut *tx)
    .await?;
    store_veri::update_session(&mut tx, &s).await?;
    let note = if step == Step::AwaitingScreenshot {
        VeriNote::AskScreenshot { session_id }
    } else {
        VeriNote::Started { session_id }
    };
    dm(&mut tx, guild, user, note).await?;
    tx.commit().await?;
    Ok(s)
}

async fn own_open_session(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    session_id: i64,
) -> Result<Session> {
    let s = session_in(conn, guild, session_id).await?;
    if s.user_id != user {
        return Err(VerificationError::NotYourSession.into());
    }
    let step = step_of(&s)?;
    if !step.is_open() {
        return Err(VerificationError::SessionClosed { step }.into());
    }
    Ok(s)
}

/// The member cancelled (DM button).
pub async fn cancel(
    pool: &PgPool,
    guild: Snowflake,
    user: Snowflake,
    session_id: i64,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    let mut s = own_open_session(&mut tx, guild, user, session_id).await?;
    advance(&mut s, SessionEvent::Cancelled)?;
    store_veri::update_session(&mut tx, &s).await?;
    event(
        &mut tx,
        guild,
        user,
        None,
        "cancelled",
        s.ign.as_deref(),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What pressing Done led to.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckOutcome {
    Verified {
        ign: String,
    },
    /// Not verified; the reason is worded for the member (what to do next).
    Failed {
        reason: String,
    },
}

/// The member pressed Done: fetch the profile (outside any transaction), then decide under
/// the session's lock. A second check within the cooldown is refused with the wait.
pub async fn check(
    pool: &PgPool,
    client: &realmeye::Client,
    guild: Snowflake,
    user: Snowflake,
    session_id: i64,
) -> Result<CheckOutcome> {
    let (ign, code) = {
        let mut tx = pool.begin().await?;
        let mut s = own_open_session(&mut tx, guild, user, session_id).await?;
        let (Some(ign), Some(code)) = (s.ign.clone(), s.code.clone()) else {
            return Err(VerificationError::NoCodeYet.into());
        };
        let now = Utc::now();
        if let Some(last) = s.last_check_at {
            let wait = last + Duration::seconds(CHECK_COOLDOWN_SECONDS) - now;
            if wait > Duration::zero() {
                return Err(VerificationError::CheckCooldown {
                    seconds: wait.num_seconds().max(1),
                }
                .into());
            }
        }
        s.last_check_at = Some(now);
        s.checks += 1;
        store_veri::update_session(&mut tx, &s).await?;
        tx.commit().await?;
        (ign, code)
    };
    let lookup = client.player(&ign).await;
    let url = client.player_url(&ign);
    let mut tx = pool.begin().await?;
    let mut s = own_open_session(&mut tx, guild, user, session_id).await?;
    let failure = match lookup {
        Lookup::Found {
            name,
            description_lines,
            profile,
        } => {
            if !rules::description_has_code(&description_lines, &code) {
                Some(format!(
                    "I could not find your code `{code}` in the description of {url}. Put it in any of the three description lines (Edit profile → Description), save, wait a few seconds and press **Done** again."
                ))
            } else {
                let req: Requirements = store_veri::config(&mut tx, guild).await?.requirements;
                let facts = ProfileFacts {
                    rank: profile.rank,
                    alive_fame: profile.fame,
                    characters: profile.characters,
                    account_age_days: profile.account_age_days,
                    last_seen_location: profile.last_seen_location.clone(),
                };
                let unmet = rules::unmet(&req, &facts);
                if unmet.is_empty() {
                    // RealmEye's spelling of the name is the real one.
                    let ign = if rules::ign_key(&name) == rules::ign_key(&ign) { name } else { ign };
                    verify_locked(&mut tx, guild, user, &ign, None, "realmeye").await?;
                    s.ign = Some(ign.clone());
                    advance(&mut s, SessionEvent::CheckPassed)?;
                    store_veri::update_session(&mut tx, &s).await?;
                    tx.commit().await?;
                    return Ok(CheckOutcome::Verified { ign });
                }
                let cfg = store_veri::config(&mut tx, guild).await?;
                let fallback = if cfg.screenshot_enabled {
                    " You can instead send a screenshot for staff to review: press **Use a screenshot**."
                } else {
                    ""
                };
                Some(format!(
                    "Your profile does not meet this server's requirements yet: {}.{fallback}",
                    unmet.join("; ")
                ))
            }
        }
        Lookup::Private => Some(format!(
            "Your RealmEye profile {url} is private, so I cannot read its description. Make it public (RealmEye → Settings → Privacy: show your profile), then press **Done** again."
        )),
        Lookup::NotFound => Some(format!(
            "RealmEye shows no profile for **{ign}** ({url}). Either the name is not spelled exactly as in the game, or the profile is private (make it public: RealmEye → Settings → Privacy), or RealmEye has not seen you yet (log in to the game once and wait a little). Fix whichever applies, then press **Done** again."
        )),
        Lookup::Unavailable(why) => Some(format!(
            "RealmEye cannot be reached right now ({why}). Nothing is lost: wait a minute and press **Done** again."
        )),
        Lookup::Unparseable => Some(
            "RealmEye answered with a page I could not read. Please try again in a minute; if it keeps happening, ask staff to verify you by screenshot.".to_owned(),
        ),
    };
    let reason = failure.unwrap_or_default();
    s.last_failure = Some(reason.chars().take(500).collect());
    store_veri::update_session(&mut tx, &s).await?;
    event(
        &mut tx,
        guild,
        user,
        None,
        "check_failed",
        Some(&ign),
        Some(&reason),
    )
    .await?;
    tx.commit().await?;
    Ok(CheckOutcome::Failed { reason })
}

/// Verifies the member in the caller's transaction: IGN claimed (unique), status, event,
/// the veri_log entry, the role and nickname job. `by` is the staff member, if any.
async fn verify_locked(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    ign: &str,
    by: Option<Snowflake>,
    method: &str,
) -> Result<()> {
    store_veri::lock_member(conn, guild, user).await?;
    store_veri::set_main(conn, guild, user, ign)
        .await
        .map_err(|e| claim_err(ign, e))?;
    store_veri::set_status(conn, guild, user, "verified", by, Some(method)).await?;
    let event_id = event(conn, guild, user, by, "verified", Some(ign), Some(method)).await?;
    if let Some(staff) = by {
        // A staff verification (/verify, an approved screenshot) counts for their quota.
        crate::quota::award_moderation(
            conn,
            guild,
            staff,
            ModAction::Verify,
            &format!("veri:{event_id}"),
        )
        .await?;
    }
    sync(conn, guild, user).await?;
    dm(
        conn,
        guild,
        user,
        VeriNote::Verified {
            ign: ign.to_owned(),
        },
    )
    .await?;
    Ok(())
}

/// The session timer fired: expire it if it is still open, and tell the member.
pub async fn expire(pool: &PgPool, guild: Snowflake, session_id: i64) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let Some(s) = store_veri::lock_session(&mut tx, guild, session_id).await? else {
        return Ok(false);
    };
    if !step_of(&s)?.is_open() {
        return Ok(false);
    }
    if s.expires_at > Utc::now() {
        tasks::queue(
            &mut tx,
            guild,
            Task::VeriSessionExpire { session_id },
            Some(s.expires_at),
        )
        .await?;
        tx.commit().await?;
        return Ok(false);
    }
    expire_locked(&mut tx, s).await?;
    tx.commit().await?;
    Ok(true)
}

/// Stores the session as expired (`session_in` may have marked it so already) and tells
/// the member.
async fn expire_locked(conn: &mut PgConnection, mut s: Session) -> Result<()> {
    if step_of(&s)? != Step::Expired {
        advance(&mut s, SessionEvent::TimedOut)?;
    }
    store_veri::update_session(conn, &s).await?;
    event(
        conn,
        s.guild_id,
        s.user_id,
        None,
        "expired",
        s.ign.as_deref(),
        None,
    )
    .await?;
    dm(conn, s.guild_id, s.user_id, VeriNote::Expired).await?;
    Ok(())
}

// ---------- screenshot reviews ----------

/// Who may approve or deny screenshot reviews: security and above.
pub fn may_decide_reviews(actor: &Actor) -> Result<()> {
    actor.require(RoleKey::Security)
}

/// Who may bulk-import with `/syncteam`: administrators. Adapters ask before downloading
/// the file; [`sync_team`] checks again.
pub fn may_sync_team(actor: &Actor) -> Result<()> {
    actor.require(RoleKey::Administrator)
}

/// A review, for the staff member who pressed Approve or Deny on its card (refused below
/// security, before any form opens).
pub async fn review_to_decide(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    review_id: i64,
) -> Result<Review> {
    may_decide_reviews(actor)?;
    review(pool, guild, review_id).await
}

pub async fn review(pool: &PgPool, guild: Snowflake, review_id: i64) -> Result<Review> {
    let mut conn = pool.acquire().await?;
    store_veri::review(&mut conn, guild, review_id, false)
        .await?
        .ok_or_else(|| VerificationError::ReviewGone.into())
}

pub async fn review_posted(
    pool: &PgPool,
    guild: Snowflake,
    review_id: i64,
    message: Snowflake,
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    Ok(store_veri::set_review_message(&mut conn, guild, review_id, message).await?)
}

async fn lock_pending(conn: &mut PgConnection, guild: Snowflake, review_id: i64) -> Result<Review> {
    let r = store_veri::review(conn, guild, review_id, true)
        .await?
        .ok_or(VerificationError::ReviewGone)?;
    if r.state == "withdrawn" {
        return Err(VerificationError::ReviewWithdrawn.into());
    }
    if r.state != "pending" {
        return Err(VerificationError::ReviewDecided {
            state: r.state,
            by: r.decided_by,
            at: r.decided_at,
        }
        .into());
    }
    Ok(r)
}

/// The review's session follows the staff decision (it waits under review until then).
async fn decide_session(
    conn: &mut PgConnection,
    guild: Snowflake,
    session_id: i64,
    decision: SessionEvent,
) -> Result<()> {
    let Some(mut s) = store_veri::lock_session(conn, guild, session_id).await? else {
        return Ok(());
    };
    let step = step_of(&s)?;
    if step.after(decision, method_of(&s)?).is_none() {
        tracing::warn!(session = session_id, %step, "a decided review's session is not under review");
        return Ok(());
    }
    advance(&mut s, decision)?;
    store_veri::update_session(conn, &s).await?;
    Ok(())
}

/// Security approves a screenshot, optionally correcting the IGN.
pub async fn approve(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    review_id: i64,
    ign: Option<&str>,
) -> Result<Review> {
    may_decide_reviews(actor)?;
    let staff = actor.user_id;
    let mut tx = pool.begin().await?;
    let r = lock_pending(&mut tx, guild, review_id).await?;
    let ign = match ign.map(str::trim).filter(|i| !i.is_empty()) {
        Some(i) => Some(rules::parse_ign(i).map_err(bad_ign)?),
        None => r.ign.clone(),
    };
    let by = staff.unwrap_or(r.user_id);
    match r.custom_role_id {
        Some(id) => {
            let role = store_veri::custom_role(&mut tx, guild, id)
                .await?
                .ok_or(VerificationError::RoleVerificationGone)?;
            event(
                &mut tx,
                guild,
                r.user_id,
                staff,
                "role_granted",
                None,
                Some(&role.name),
            )
            .await?;
            sync(&mut tx, guild, r.user_id).await?;
            tasks::queue(
                &mut tx,
                guild,
                Task::VeriDm {
                    user_id: r.user_id,
                    note: VeriNote::RoleGranted {
                        role_name: role.name,
                    },
                },
                None,
            )
            .await?;
        }
        None => {
            let ign = ign.clone().ok_or(VerificationError::IgnRequired)?;
            verify_locked(&mut tx, guild, r.user_id, &ign, staff, "screenshot").await?;
        }
    }
    store_veri::decide_review(
        &mut tx,
        guild,
        review_id,
        "approved",
        by,
        None,
        ign.as_deref(),
    )
    .await?;
    decide_session(&mut tx, guild, r.session_id, SessionEvent::Approved).await?;
    tasks::queue(&mut tx, guild, Task::VeriReviewRefresh { review_id }, None).await?;
    let r = store_veri::review(&mut tx, guild, review_id, false)
        .await?
        .ok_or_else(|| ServiceError::Internal("review vanished".into()))?;
    tx.commit().await?;
    Ok(r)
}

/// Security denies a screenshot with a reason; the member is told.
pub async fn deny(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    review_id: i64,
    reason: &str,
) -> Result<Review> {
    may_decide_reviews(actor)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(VerificationError::ReasonRequired.into());
    }
    let mut tx = pool.begin().await?;
    let r = lock_pending(&mut tx, guild, review_id).await?;
    let by = actor.user_id.unwrap_or(r.user_id);
    store_veri::decide_review(&mut tx, guild, review_id, "denied", by, Some(reason), None).await?;
    decide_session(&mut tx, guild, r.session_id, SessionEvent::Denied).await?;
    event(
        &mut tx,
        guild,
        r.user_id,
        actor.user_id,
        "denied",
        r.ign.as_deref(),
        Some(reason),
    )
    .await?;
    dm(
        &mut tx,
        guild,
        r.user_id,
        VeriNote::Denied {
            reason: reason.to_owned(),
        },
    )
    .await?;
    tasks::queue(&mut tx, guild, Task::VeriReviewRefresh { review_id }, None).await?;
    let r = store_veri::review(&mut tx, guild, review_id, false)
        .await?
        .ok_or_else(|| ServiceError::Internal("review vanished".into()))?;
    tx.commit().await?;
    Ok(r)
}

// ---------- staff commands ----------

/// The verification settings as staff see them (moderator, as `/configverification`).
pub async fn config_for_staff(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
) -> Result<VeriConfig> {
    actor.require(RoleKey::Moderator)?;
    config(pool, guild).await
}

/// A member's verification: names, status, when, how and by whom (security, as `/find`).
/// A member raidbot has never seen reads as unverified with no names.
pub async fn member_verification(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
) -> Result<MemberVerification> {
    actor.require(RoleKey::Security)?;
    let mut conn = pool.acquire().await?;
    Ok(store_veri::member_verification(&mut conn, guild, user)
        .await?
        .unwrap_or(MemberVerification {
            names: MemberNames {
                user_id: user,
                status: "unverified".to_owned(),
                main: None,
                alts: Vec::new(),
            },
            verified_at: None,
            verified_by: None,
            method: None,
        }))
}

pub async fn names(
    pool: &PgPool,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Option<MemberNames>> {
    let mut conn = pool.acquire().await?;
    Ok(store_veri::names(&mut conn, guild, user).await?)
}

/// Whether the member has granted custom roles to keep (from approved reviews).
pub async fn granted_custom_roles(
    pool: &PgPool,
    guild: Snowflake,
    user: Snowflake,
) -> Result<Vec<Snowflake>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT c.role_id FROM veri_review r JOIN veri_custom_role c
           ON c.guild_id = r.guild_id AND c.custom_role_id = r.custom_role_id
         WHERE r.guild_id = $1 AND r.user_id = $2 AND r.state = 'approved'",
    )
    .bind(guild.db())
    .bind(user.db())
    .fetch_all(pool)
    .await?;
    Ok(ids
        .into_iter()
        .filter_map(|i| Snowflake::from_db(i).ok())
        .collect())
}

fn staff_ign(text: &str) -> Result<String> {
    rules::parse_ign(text).map_err(bad_ign)
}

/// `/verify member ign` (security).
pub async fn verify(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
    ign: &str,
) -> Result<()> {
    actor.require(RoleKey::Security)?;
    let ign = staff_ign(ign)?;
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    verify_locked(&mut tx, guild, user, &ign, actor.user_id, "staff").await?;
    store_veri::cancel_open(&mut tx, guild, user).await?;
    tx.commit().await?;
    Ok(())
}

/// `/unverify member reason?` (security): status back to unverified, role removed, names
/// kept for history.
pub async fn unverify(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
    reason: Option<&str>,
) -> Result<()> {
    actor.require(RoleKey::Security)?;
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    store_veri::lock_member(&mut tx, guild, user).await?;
    let n = store_veri::names(&mut tx, guild, user).await?;
    if !n.as_ref().is_some_and(MemberNames::is_verified) {
        return Err(VerificationError::NotVerified { user }.into());
    }
    store_veri::set_status(&mut tx, guild, user, "unverified", None, None).await?;
    let ign = n.and_then(|n| n.main);
    event(
        &mut tx,
        guild,
        user,
        actor.user_id,
        "unverified",
        ign.as_deref(),
        reason,
    )
    .await?;
    sync(&mut tx, guild, user).await?;
    tx.commit().await?;
    Ok(())
}

/// `/editname member ign` (security).
pub async fn edit_name(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
    ign: &str,
) -> Result<()> {
    actor.require(RoleKey::Security)?;
    let ign = staff_ign(ign)?;
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    store_veri::lock_member(&mut tx, guild, user).await?;
    let old = store_veri::names(&mut tx, guild, user)
        .await?
        .and_then(|n| n.main);
    store_veri::set_main(&mut tx, guild, user, &ign)
        .await
        .map_err(|e| claim_err(&ign, e))?;
    let detail = old.map(|o| format!("was {o}"));
    let event_id = event(
        &mut tx,
        guild,
        user,
        actor.user_id,
        "name_changed",
        Some(&ign),
        detail.as_deref(),
    )
    .await?;
    if let Some(staff) = actor.user_id {
        crate::quota::award_moderation(
            &mut tx,
            guild,
            staff,
            ModAction::Editname,
            &format!("veri:{event_id}"),
        )
        .await?;
    }
    sync(&mut tx, guild, user).await?;
    tx.commit().await?;
    Ok(())
}

/// `/addalt member ign` (security).
pub async fn add_alt(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
    ign: &str,
) -> Result<()> {
    actor.require(RoleKey::Security)?;
    let ign = staff_ign(ign)?;
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    store_veri::lock_member(&mut tx, guild, user).await?;
    let n = store_veri::names(&mut tx, guild, user).await?;
    if n.as_ref().and_then(|n| n.main.as_ref()).is_none() {
        return Err(VerificationError::NoMain { user }.into());
    }
    let added = store_veri::add_alt(&mut tx, guild, user, &ign)
        .await
        .map_err(|e| claim_err(&ign, e))?;
    if !added {
        return Err(VerificationError::AltExists { user, ign }.into());
    }
    event(
        &mut tx,
        guild,
        user,
        actor.user_id,
        "alt_added",
        Some(&ign),
        None,
    )
    .await?;
    sync(&mut tx, guild, user).await?;
    tx.commit().await?;
    Ok(())
}

/// `/removealt member ign` (security).
pub async fn remove_alt(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Snowflake,
    ign: &str,
) -> Result<()> {
    actor.require(RoleKey::Security)?;
    let ign = ign.trim();
    let mut tx = pool.begin().await?;
    store_veri::lock_member(&mut tx, guild, user).await?;
    if !store_veri::remove_alt(&mut tx, guild, user, ign).await? {
        return Err(VerificationError::NoSuchAlt {
            user,
            ign: ign.to_owned(),
        }
        .into());
    }
    event(
        &mut tx,
        guild,
        user,
        actor.user_id,
        "alt_removed",
        Some(ign),
        None,
    )
    .await?;
    sync(&mut tx, guild, user).await?;
    tx.commit().await?;
    Ok(())
}

/// `/forcesync member?` (administrator): re-apply roles and nicknames from the database.
/// Returns how many members were queued.
pub async fn force_sync(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    user: Option<Snowflake>,
) -> Result<usize> {
    actor.require(RoleKey::Administrator)?;
    let mut tx = pool.begin().await?;
    let users = match user {
        Some(u) => vec![u],
        None => store_veri::members_with_names(&mut tx, guild).await?,
    };
    for u in &users {
        sync(&mut tx, guild, *u).await?;
    }
    tx.commit().await?;
    Ok(users.len())
}

/// What `/syncteam` did with one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineOutcome {
    Added,
    Updated,
    Unchanged,
    /// The main or alt belongs to another member.
    Taken {
        ign: String,
    },
    Invalid(String),
}

/// At most this many lines per import.
pub const SYNC_MAX_LINES: usize = 5000;

/// `/syncteam` (administrator): bulk import of `UserID MainIGN [AltIGN]` lines. Each line
/// is its own transaction, so one conflict does not undo the others. Blank lines and lines
/// starting with `#` are skipped (not reported).
pub async fn sync_team(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    text: &str,
) -> Result<Vec<(usize, LineOutcome)>> {
    may_sync_team(actor)?;
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect();
    if lines.is_empty() {
        return Err(VerificationError::EmptyImport.into());
    }
    if lines.len() > SYNC_MAX_LINES {
        return Err(VerificationError::ImportTooBig { lines: lines.len() }.into());
    }
    {
        let mut conn = pool.acquire().await?;
        guild_config::ensure_guild(&mut conn, guild).await?;
    }
    let mut out = Vec::with_capacity(lines.len());
    for (n, line) in lines {
        let outcome = match rules::parse_team_line(line) {
            Err(why) => LineOutcome::Invalid(why),
            Ok(tl) => match sync_line(pool, guild, actor, &tl).await {
                Ok(o) => o,
                Err(ServiceError::Verification(VerificationError::IgnTaken { ign })) => {
                    LineOutcome::Taken { ign }
                }
                Err(e) => return Err(e),
            },
        };
        out.push((n, outcome));
    }
    let mut conn = pool.acquire().await?;
    let added = out.iter().filter(|(_, o)| *o == LineOutcome::Added).count();
    let summary = format!("{} lines, {added} added", out.len());
    if let Some(by) = actor.user_id {
        event(
            &mut conn,
            guild,
            by,
            Some(by),
            "synced",
            None,
            Some(&summary),
        )
        .await?;
    }
    Ok(out)
}

async fn sync_line(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    tl: &rules::TeamLine,
) -> Result<LineOutcome> {
    let user = Snowflake::new(tl.user_id).map_err(VerificationError::BadUserId)?;
    let mut tx = pool.begin().await?;
    store_veri::lock_member(&mut tx, guild, user).await?;
    let before = store_veri::names(&mut tx, guild, user).await?;
    let same_main = before
        .as_ref()
        .and_then(|b| b.main.as_deref())
        .is_some_and(|m| m == tl.main);
    let has_alt = tl.alt.as_ref().is_none_or(|a| {
        before.as_ref().is_some_and(|b| {
            b.alts
                .iter()
                .any(|x| rules::ign_key(x) == rules::ign_key(a))
        })
    });
    let was_verified = before.as_ref().is_some_and(MemberNames::is_verified);
    if was_verified && same_main && has_alt {
        return Ok(LineOutcome::Unchanged);
    }
    store_veri::set_main(&mut tx, guild, user, &tl.main)
        .await
        .map_err(|e| claim_err(&tl.main, e))?;
    if let Some(alt) = &tl.alt {
        store_veri::add_alt(&mut tx, guild, user, alt)
            .await
            .map_err(|e| claim_err(alt, e))?;
    }
    if !was_verified {
        store_veri::set_status(
            &mut tx,
            guild,
            user,
            "verified",
            actor.user_id,
            Some("sync"),
        )
        .await?;
    }
    store_veri::insert_event(
        &mut tx,
        guild,
        user,
        actor.user_id,
        "verified",
        Some(&tl.main),
        Some("sync"),
    )
    .await?;
    sync(&mut tx, guild, user).await?;
    tx.commit().await?;
    Ok(
        if before.as_ref().and_then(|b| b.main.as_ref()).is_some() || was_verified {
            LineOutcome::Updated
        } else {
            LineOutcome::Added
        },
    )
}

/// A member the bot could not rename: recorded and reported in veri_log.
pub async fn rename_failed(
    pool: &PgPool,
    guild: Snowflake,
    user: Snowflake,
    nickname: &str,
    why: &str,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    event(
        &mut tx,
        guild,
        user,
        None,
        "rename_failed",
        Some(nickname),
        Some(why),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn event_row(
    pool: &PgPool,
    guild: Snowflake,
    event_id: i64,
) -> Result<Option<store_veri::Event>> {
    let mut conn = pool.acquire().await?;
    Ok(store_veri::event(&mut conn, guild, event_id).await?)
}
