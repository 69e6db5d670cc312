//! Leaderboard pages.

use super::*;

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
    // Side-effect free, so it can run on a read-only replica: a period nobody was awarded in
    // yet is not stored, and then has no sums (an empty board for that period).
    let (scope, period) = match choice {
        PeriodChoice::AllTime => (Some(ALL_TIME), None),
        PeriodChoice::Current | PeriodChoice::Last => {
            let schedule = point_config::leaderboard_schedule(&mut conn, guild).await?;
            let (current, last) = point_periods::current_and_last(
                &mut conn,
                guild,
                LEADERBOARD_SCOPE,
                &schedule,
                Utc::now(),
            )
            .await?;
            let shown = if choice == PeriodChoice::Current {
                Some(current)
            } else {
                last
            };
            match shown {
                Some(p) => (p.period_id, Some(p.period)),
                None => (None, None),
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
