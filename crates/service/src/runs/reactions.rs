//! Key and perk reactions on a run panel. Keys are confirmed before they count; pressing
//! again withdraws. The first `max_early_location` reactors of each reaction get the
//! location early — counted under the run lock, so never more than the limit.

use domain::catalog::catalog;
use domain::{ChannelKey, ReactionKind, RoleKey, Snowflake};
use store::PgPool;
use store::run_reactions;
use store::run_roster::{self, RosterState};
use store::runs as store_runs;

use super::RunError;
use super::{closed, not_found};
use crate::tasks::{self, LogEvent};
use crate::{Actor, Result};

/// What pressing a reaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReactOutcome {
    /// A key: the member must confirm they really have it before it counts.
    NeedsConfirm { name: String },
    /// Counted. When `early`, the member is among those who get the location early;
    /// `location` and `party` are filled when the organizer already set them.
    Added {
        name: String,
        early: bool,
        location: Option<String>,
        party: Option<String>,
    },
    /// Pressed again: withdrawn.
    Withdrawn { name: String },
}

/// Toggles reaction `code` for the actor on the run. `confirmed` is true when the member
/// pressed the confirmation of a key.
pub async fn react(
    pool: &PgPool,
    guild: Snowflake,
    run_id: i64,
    actor: &Actor,
    code: &str,
    confirmed: bool,
) -> Result<ReactOutcome> {
    actor.require(RoleKey::VerifiedRaider)?;
    let user = actor.user_id.ok_or(RunError::ReactionNeedsMember)?;
    let mut tx = pool.begin().await?;
    let run = store_runs::lock(&mut tx, guild, run_id)
        .await?
        .ok_or_else(|| not_found(run_id))?;
    if !run.status.is_active() {
        return Err(closed(&run));
    }
    let reaction = catalog()
        .dungeon(&run.dungeon_code)
        .and_then(|d| d.panel_reaction(code))
        .ok_or(RunError::UnknownReaction)?;
    if let Some(entry) = run_roster::entry_of(&mut tx, guild, run_id, user).await?
        && entry.state == RosterState::Removed
        && !entry.rejoin_allowed
    {
        return Err(RunError::RemovedReacting.into());
    }
    let name = reaction.name.clone();
    if run_reactions::has(&mut tx, guild, run_id, code, user).await? {
        run_reactions::remove(&mut tx, guild, run_id, code, user).await?;
        log_change(&mut tx, guild, run_id, user, code, false).await?;
        tasks::refresh_panel(&mut tx, guild, run_id).await?;
        tx.commit().await?;
        return Ok(ReactOutcome::Withdrawn { name });
    }
    // Withdrawing stays possible; adding one is raiding.
    crate::moderation::refuse_if_suspended(&mut tx, guild, user).await?;
    if reaction.kind == ReactionKind::Key && !confirmed {
        return Ok(ReactOutcome::NeedsConfirm { name });
    }
    let max_early = i64::from(reaction.max_early_location);
    let Some(early) = run_reactions::add(&mut tx, guild, run_id, code, user, max_early).await?
    else {
        // Two confirmations raced; the first one counted.
        return Ok(ReactOutcome::Added {
            name,
            early: false,
            location: None,
            party: None,
        });
    };
    let reveal = early && run.location.is_some();
    if reveal {
        sqlx::query(
            "UPDATE run_reaction SET location_sent_at = now()
             WHERE guild_id = $1 AND run_id = $2 AND reaction = $3 AND user_id = $4",
        )
        .bind(guild.db())
        .bind(run_id)
        .bind(code)
        .bind(user.db())
        .execute(&mut *tx)
        .await?;
    }
    log_change(&mut tx, guild, run_id, user, code, true).await?;
    tasks::refresh_panel(&mut tx, guild, run_id).await?;
    tx.commit().await?;
    Ok(ReactOutcome::Added {
        name,
        early,
        location: reveal.then(|| run.location.clone()).flatten(),
        party: if reveal { run.party.clone() } else { None },
    })
}

/// Each reaction change is posted to `raid_log`, so staff can see who claimed (or took
/// back) a key while the run was open.
async fn log_change(
    conn: &mut store::PgConnection,
    guild: Snowflake,
    run_id: i64,
    user: Snowflake,
    code: &str,
    added: bool,
) -> Result<()> {
    tasks::log(
        conn,
        guild,
        ChannelKey::RaidLog,
        LogEvent::ReactionChanged {
            run_id,
            user_id: user,
            reaction: code.to_owned(),
            added,
        },
    )
    .await?;
    Ok(())
}
