//! The member's DM session: started from a panel, moved by what they send and press,
//! through the steps of `domain::verification::session`, ended by a check, staff or its timer.

use chrono::{Duration, Utc};
use domain::verification::{
    self as rules, CHECK_COOLDOWN_SECONDS, Method, ProfileFacts, Requirements, SESSION_MINUTES,
    SessionEvent, Step, Unmet,
};
use domain::{ChannelKey, Ign, Snowflake};
use rand::Rng;
use realmeye::Lookup;
use serde::{Deserialize, Serialize};
use store::verification as store_veri;
use store::verification::names::MemberNames;
use store::verification::sessions::NewSession;
use store::{PgConnection, PgPool, guild_config};

use super::{
    Event, Review, Session, VerificationError, advance, dm, event, step_of, verify_locked,
};
use crate::Result;
use crate::tasks::{self, RetryReason, Task, VeriNote};

/// The member pressed Get verified (or a custom role's button): a new session replaces an
/// open one, its timer is set and the first DM is queued.
pub async fn start(
    pool: &PgPool,
    guild: Snowflake,
    user: Snowflake,
    custom_role_id: Option<i64>,
) -> Result<Session> {
    let (mut tx, names) = super::names::lock_names(pool, guild, user).await?;
    let cfg = store_veri::config::config(&mut tx, guild).await?;
    let method = match custom_role_id {
        Some(id) => {
            store_veri::custom_roles::custom_role(&mut tx, guild, id)
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
                    ign: n.main.as_ref().map(ToString::to_string),
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
    if let Some(old) = store_veri::sessions::cancel_open(&mut tx, guild, user).await? {
        tracing::debug!(session = old, "replaced an open verification session");
    }
    let session = store_veri::sessions::insert_session(
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
    dm(&mut tx, guild, user, first_note(step, session_id)).await?;
    tx.commit().await?;
    Ok(session)
}

/// Which guild a DM'd session button belongs to.
pub async fn session_guild(pool: &PgPool, session_id: i64) -> Result<Snowflake> {
    let mut conn = pool.acquire().await?;
    store_veri::sessions::session_guild(&mut conn, session_id)
        .await?
        .ok_or_else(|| VerificationError::SessionGone.into())
}

pub async fn session(pool: &PgPool, guild: Snowflake, session_id: i64) -> Result<Session> {
    let mut conn = pool.acquire().await?;
    session_in(&mut conn, guild, session_id).await
}

async fn session_in(conn: &mut PgConnection, guild: Snowflake, session_id: i64) -> Result<Session> {
    let mut s = store_veri::sessions::lock_session(conn, guild, session_id)
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
        store_veri::sessions::open_for_user(&mut conn, user).await?
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
                if let Some((holder, _)) = store_veri::names::owner_of(&mut tx, guild, &ign).await?
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
                            why: RetryReason::IgnTaken {
                                ign: ign.to_string(),
                            },
                        },
                    )
                    .await?;
                } else if advance(&mut s, SessionEvent::IgnAccepted)? == Step::AwaitingDone {
                    let bytes: [u8; rules::CODE_LEN] = rand::rng().random();
                    let code = rules::code_from_bytes(bytes);
                    s.ign = Some(ign.clone());
                    s.code = Some(code.clone());
                    store_veri::sessions::update_session(&mut tx, &s).await?;
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
                    store_veri::sessions::update_session(&mut tx, &s).await?;
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
        Some(id) => store_veri::custom_roles::custom_role(conn, guild, id)
            .await?
            .map(|c| c.review_channel_id),
        None => guild_config::channel(conn, guild, ChannelKey::ManualVerification).await?,
    }
    .ok_or(VerificationError::ReviewChannelMissing)?;
    let review = store_veri::reviews::insert_review(conn, s, url, channel).await?;
    advance(s, SessionEvent::ScreenshotSubmitted)?;
    store_veri::sessions::update_session(conn, s).await?;
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
    let cfg = store_veri::config::config(&mut tx, guild).await?;
    if !cfg.screenshot_enabled {
        return Err(VerificationError::ScreenshotDisabled.into());
    }
    s.method = Method::Screenshot.as_str().into();
    let has_ign = s.ign.is_some();
    let step = advance(&mut s, SessionEvent::SwitchedToScreenshot { has_ign })?;
    store_veri::sessions::update_session(&mut tx, &s).await?;
    dm(&mut tx, guild, user, first_note(step, session_id)).await?;
    tx.commit().await?;
    Ok(s)
}

/// The DM that opens a session's step: ask for the screenshot, or explain the RealmEye
/// steps.
fn first_note(step: Step, session_id: i64) -> VeriNote {
    if step == Step::AwaitingScreenshot {
        VeriNote::AskScreenshot { session_id }
    } else {
        VeriNote::Started { session_id }
    }
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
    store_veri::sessions::update_session(&mut tx, &s).await?;
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
        ign: Ign,
    },
    /// Not verified: what RealmEye showed (`messages::verification::check_failed` tells the
    /// member what to do next).
    Failed {
        why: CheckFailure,
    },
}

/// Why a RealmEye check did not verify the member. It is kept, as JSON, in the session's
/// last failure and in the `check_failed` event's detail, so the veri_log and the dashboard
/// word it as the DM does ([`CheckFailure::of_event`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "found", rename_all = "snake_case")]
pub enum CheckFailure {
    /// The profile's description does not hold the session's code.
    CodeMissing { code: String, url: String },
    /// The profile misses some of the guild's requirements; `screenshot`: the guild also
    /// reviews screenshots, so the member may send one instead.
    RequirementsUnmet { unmet: Vec<Unmet>, screenshot: bool },
    /// The profile is private.
    Private { url: String },
    /// RealmEye has no profile of that name.
    NotFound { ign: String, url: String },
    /// RealmEye could not be asked (timeout, 5xx, 429, network).
    Unavailable { why: String },
    /// RealmEye's page could not be read.
    Unparseable,
}

impl CheckFailure {
    /// The reason a `check_failed` event records, if it is one (events written before the
    /// reasons were typed hold the member's sentence itself: `None`).
    pub fn of_event(e: &Event) -> Option<CheckFailure> {
        if e.kind != "check_failed" {
            return None;
        }
        serde_json::from_str(e.detail.as_deref()?).ok()
    }

    fn detail(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
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
        store_veri::sessions::update_session(&mut tx, &s).await?;
        tx.commit().await?;
        (ign, code)
    };
    let lookup = client.player(&ign).await;
    let url = client.player_url(&ign);
    let mut tx = pool.begin().await?;
    let mut s = own_open_session(&mut tx, guild, user, session_id).await?;
    let why = match lookup {
        Lookup::Found {
            name,
            description_lines,
            profile,
        } => {
            if !rules::description_has_code(&description_lines, &code) {
                CheckFailure::CodeMissing { code, url }
            } else {
                let req: Requirements = store_veri::config::config(&mut tx, guild)
                    .await?
                    .requirements;
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
                    let ign = match Ign::parse(&name) {
                        Ok(spelled) if ign.same_name(&spelled) => spelled,
                        _ => ign,
                    };
                    verify_locked(&mut tx, guild, user, &ign, None, "realmeye").await?;
                    s.ign = Some(ign.clone());
                    advance(&mut s, SessionEvent::CheckPassed)?;
                    store_veri::sessions::update_session(&mut tx, &s).await?;
                    tx.commit().await?;
                    return Ok(CheckOutcome::Verified { ign });
                }
                let cfg = store_veri::config::config(&mut tx, guild).await?;
                CheckFailure::RequirementsUnmet {
                    unmet,
                    screenshot: cfg.screenshot_enabled,
                }
            }
        }
        Lookup::Private => CheckFailure::Private { url },
        Lookup::NotFound => CheckFailure::NotFound {
            ign: ign.to_string(),
            url,
        },
        Lookup::Unavailable(why) => CheckFailure::Unavailable { why },
        Lookup::Unparseable => CheckFailure::Unparseable,
    };
    let detail = why.detail();
    s.last_failure = Some(detail.chars().take(500).collect());
    store_veri::sessions::update_session(&mut tx, &s).await?;
    event(
        &mut tx,
        guild,
        user,
        None,
        "check_failed",
        Some(&ign),
        Some(&detail),
    )
    .await?;
    tx.commit().await?;
    Ok(CheckOutcome::Failed { why })
}

/// The session timer fired: expire it if it is still open, and tell the member.
pub async fn expire(pool: &PgPool, guild: Snowflake, session_id: i64) -> Result<bool> {
    let mut tx = pool.begin().await?;
    let Some(s) = store_veri::sessions::lock_session(&mut tx, guild, session_id).await? else {
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
    store_veri::sessions::update_session(conn, &s).await?;
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
