//! Raid statistics for organizers and dashboards: runs per week by dungeon, how runs end,
//! their average length and attendance (`/raidstats`, `GET .../analytics/runs`), and one
//! member's runs per week (the chart of `/stats member`).

use chrono::{DateTime, Duration, Utc};
use domain::analytics::{MAX_WEEKS, Summary, week_start};
use domain::catalog::catalog;
use domain::{RoleKey, Snowflake};
use store::PgPool;

use crate::error::Refusal;
use crate::{Actor, Result};

/// Why a statistics request was refused; the adapters word it (`messages::analytics`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("analytics refused: {}", self.code())]
pub enum AnalyticsError {
    /// The period ends before (or when) it starts.
    EndBeforeStart,
    /// The period is longer than [`MAX_WEEKS`] weeks.
    SpanTooLong,
    /// A dungeon code raidbot does not know (as typed).
    UnknownDungeon { code: String },
    /// A period name that is not one of the list's.
    UnknownPeriod,
}

impl AnalyticsError {
    /// A stable snake_case code for logs and the REST API.
    pub fn code(&self) -> &'static str {
        match self {
            AnalyticsError::EndBeforeStart => "invalid_span",
            AnalyticsError::SpanTooLong => "span_too_long",
            AnalyticsError::UnknownDungeon { .. } => "unknown_dungeon",
            AnalyticsError::UnknownPeriod => "unknown_period",
        }
    }

    /// What kind of refusal this is.
    pub fn kind(&self) -> Refusal {
        Refusal::Invalid
    }
}

/// Weeks `/stats member` charts.
pub const MEMBER_WEEKS: i64 = 12;

/// The guild's run statistics for runs created in `[from, to)`, optionally of one dungeon
/// (a catalog code). Organizers and up; the span is at most [`MAX_WEEKS`] weeks.
pub async fn runs(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    dungeon: Option<&str>,
) -> Result<Summary> {
    actor.require(RoleKey::Organizer)?;
    if to <= from {
        return Err(AnalyticsError::EndBeforeStart.into());
    }
    if to - from > Duration::weeks(MAX_WEEKS) {
        return Err(AnalyticsError::SpanTooLong.into());
    }
    let dungeon =
        match dungeon.map(str::trim).filter(|d| !d.is_empty()) {
            None => None,
            Some(code) => Some(catalog().dungeon(code).map(|d| d.code.clone()).ok_or_else(
                || AnalyticsError::UnknownDungeon {
                    code: code.to_owned(),
                },
            )?),
        };
    let mut conn = pool.acquire().await?;
    let rows =
        store::analytics::runs_by_week(&mut conn, guild, from, to, dungeon.as_deref()).await?;
    Ok(Summary::build(from, to, dungeon, &rows))
}

/// One member's completed runs per week over the last [`MEMBER_WEEKS`] weeks (this week
/// included), one count per week, oldest first. Read with the member's stats (no check of
/// its own: the caller has passed `quota::stats`'s).
pub async fn member_weeks(
    pool: &PgPool,
    guild: Snowflake,
    member: Snowflake,
    now: DateTime<Utc>,
) -> Result<Vec<(DateTime<Utc>, i64)>> {
    let to = week_start(now) + Duration::weeks(1);
    let from = to - Duration::weeks(MEMBER_WEEKS);
    let mut conn = pool.acquire().await?;
    let rows = store::analytics::member_runs_by_week(&mut conn, guild, member, from, to).await?;
    Ok((0..MEMBER_WEEKS)
        .map(|i| {
            let w = from + Duration::weeks(i);
            (w, rows.iter().find(|r| r.0 == w).map_or(0, |r| r.1))
        })
        .collect())
}
