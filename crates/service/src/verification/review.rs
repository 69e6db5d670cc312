//! Screenshot reviews: the cards staff approve or deny.

use domain::verification::{self as rules, SessionEvent};
use domain::{RoleKey, Snowflake};
use store::verification as store_veri;
use store::{PgConnection, PgPool};

use super::{
    Review, VerificationError, advance, bad_ign, dm, event, method_of, step_of, sync, verify_locked,
};
use crate::tasks::{self, Task, VeriNote};
use crate::{Actor, Result, ServiceError};

/// Who may approve or deny screenshot reviews: security and above.
pub fn may_decide_reviews(actor: &Actor) -> Result<()> {
    actor.require(RoleKey::Security)
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
    store_veri::reviews::review(&mut conn, guild, review_id, false)
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
    Ok(store_veri::reviews::set_review_message(&mut conn, guild, review_id, message).await?)
}

async fn lock_pending(conn: &mut PgConnection, guild: Snowflake, review_id: i64) -> Result<Review> {
    let r = store_veri::reviews::review(conn, guild, review_id, true)
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
    let Some(mut s) = store_veri::sessions::lock_session(conn, guild, session_id).await? else {
        return Ok(());
    };
    let step = step_of(&s)?;
    if step.after(decision, method_of(&s)?).is_none() {
        tracing::warn!(session = session_id, %step, "a decided review's session is not under review");
        return Ok(());
    }
    advance(&mut s, decision)?;
    store_veri::sessions::update_session(conn, &s).await?;
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
            let role = store_veri::custom_roles::custom_role(&mut tx, guild, id)
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
    store_veri::reviews::decide_review(
        &mut tx,
        guild,
        review_id,
        "approved",
        by,
        None,
        ign.as_ref(),
    )
    .await?;
    decide_session(&mut tx, guild, r.session_id, SessionEvent::Approved).await?;
    tasks::queue(&mut tx, guild, Task::VeriReviewRefresh { review_id }, None).await?;
    let r = store_veri::reviews::review(&mut tx, guild, review_id, false)
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
    store_veri::reviews::decide_review(&mut tx, guild, review_id, "denied", by, Some(reason), None)
        .await?;
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
    let r = store_veri::reviews::review(&mut tx, guild, review_id, false)
        .await?
        .ok_or_else(|| ServiceError::Internal("review vanished".into()))?;
    tx.commit().await?;
    Ok(r)
}
