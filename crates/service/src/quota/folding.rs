//! Folding pending summary deltas into the point summaries, and vacuuming them.

use super::*;

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
