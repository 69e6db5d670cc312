//! Verification use cases: the DM sessions (RealmEye code check, screenshot review),
//! custom role verification, and the staff commands on names.
//!
//! Every step is a row: a session survives restarts, its 30-minute timer is a job, and the
//! roles and nickname are applied by a `MemberSync` job queued in the same transaction
//! that stored the IGN, so Discord never shows a verification the database refused. IGNs
//! (mains and alts) are unique per guild case-insensitively by a primary key, so of two
//! concurrent claims exactly one wins.

mod custom_roles;
mod error;
mod names;
mod review;
mod session;
mod settings;

use domain::quota::ModAction;
use domain::verification::{self as rules, Method, SessionEvent, Step};
use domain::{ChannelKey, Ign, Snowflake};
use store::PgConnection;
use store::verification as store_veri;
use store::verification::names::ClaimError;

pub use custom_roles::{
    NewCustomRole, add_custom_role, custom_role, custom_role_panel_posted, custom_roles,
    granted_custom_roles, remove_custom_role,
};
pub use error::{Setting as VerificationSetting, VerificationError};
pub use names::{
    LineOutcome, SYNC_MAX_LINES, add_alt, edit_name, event_row, force_sync, history, may_sync_team,
    member_verification, names, remove_alt, rename_failed, sync_team, unverify, verify,
};
pub use review::{approve, deny, may_decide_reviews, review, review_posted, review_to_decide};
pub use session::{
    CheckFailure, CheckOutcome, cancel, check, choose_screenshot, direct_message, expire, session,
    session_guild, start,
};
pub use settings::{ConfigChange, config, config_for_staff, configure};
pub use store::verification::config::VeriConfig;
/// Verification settings, sessions, reviews, events and custom roles: what the DMs, review
/// cards, panels and the API show.
pub use store::verification::custom_roles::CustomRole;
pub use store::verification::events::Event;
pub use store::verification::names::MemberVerification;
pub use store::verification::reviews::Review;
pub use store::verification::sessions::Session;

use crate::tasks::{self, LogEvent, Task, VeriNote};
use crate::{Result, ServiceError};

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
    let event_id =
        store_veri::events::insert_event(conn, guild, user, actor, kind, ign, detail).await?;
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

/// Verifies the member in the caller's transaction: IGN claimed (unique), status, event,
/// the veri_log entry, the role and nickname job. `by` is the staff member, if any.
async fn verify_locked(
    conn: &mut PgConnection,
    guild: Snowflake,
    user: Snowflake,
    ign: &Ign,
    by: Option<Snowflake>,
    method: &str,
) -> Result<()> {
    store_veri::names::lock_member(conn, guild, user).await?;
    store_veri::names::set_main(conn, guild, user, ign)
        .await
        .map_err(|e| claim_err(ign, e))?;
    store_veri::names::set_status(conn, guild, user, "verified", by, Some(method)).await?;
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
            ign: ign.to_string(),
        },
    )
    .await?;
    Ok(())
}
