//! Point periods: the leaderboard's and each quota role's periods, stored as rows so that
//! "this period" and "last period" are what was recorded, not recomputed.

use chrono::{DateTime, Utc};
use domain::Snowflake;
use domain::quota::{Period, Schedule};

use crate::{PgConnection, Result, StoreError};

/// The scope of the guild's leaderboard periods (quota roles use their role id).
pub const LEADERBOARD_SCOPE: i64 = 0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodRow {
    pub period_id: i64,
    pub period: Period,
}

/// A `point_period` row as stored.
#[derive(sqlx::FromRow)]
struct StoredPeriod {
    period_id: i64,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
}

impl From<StoredPeriod> for PeriodRow {
    fn from(r: StoredPeriod) -> Self {
        PeriodRow {
            period_id: r.period_id,
            period: Period {
                start: r.starts_at,
                end: r.ends_at,
            },
        }
    }
}

/// The stored period of `scope` containing `at`, if any.
pub async fn period_at(
    conn: &mut PgConnection,
    guild: Snowflake,
    scope: i64,
    at: DateTime<Utc>,
) -> Result<Option<PeriodRow>> {
    let row = sqlx::query_as::<_, StoredPeriod>(
        "SELECT period_id, starts_at, ends_at FROM point_period
         WHERE guild_id = $1 AND scope_id = $2 AND starts_at <= $3 AND ends_at > $3
         ORDER BY starts_at DESC LIMIT 1",
    )
    .bind(guild.db())
    .bind(scope)
    .bind(at)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(PeriodRow::from))
}

/// What a read of `scope` at `at` sees, without writing: the stored period containing `at`,
/// or the periods [`ensure_period`] would create (oldest first, the last containing `at`)
/// and the stored period before them.
enum Plan {
    Stored(PeriodRow),
    Missing {
        last_stored: Option<PeriodRow>,
        wanted: Vec<Period>,
    },
}

async fn plan(
    conn: &mut PgConnection,
    guild: Snowflake,
    scope: i64,
    schedule: &Schedule,
    at: DateTime<Utc>,
) -> Result<Plan> {
    if let Some(p) = period_at(conn, guild, scope, at).await? {
        return Ok(Plan::Stored(p));
    }
    let last = sqlx::query_as::<_, StoredPeriod>(
        "SELECT period_id, starts_at, ends_at FROM point_period
         WHERE guild_id = $1 AND scope_id = $2 AND starts_at <= $3
         ORDER BY starts_at DESC LIMIT 1",
    )
    .bind(guild.db())
    .bind(scope)
    .bind(at)
    .fetch_optional(&mut *conn)
    .await?
    .map(PeriodRow::from);
    let mut wanted: Vec<Period> = Vec::new();
    match last {
        Some(last) => {
            let mut p = last.period.next(schedule);
            // A long downtime: skip straight to the period containing `at`.
            if (at - p.start).num_days() > 400 {
                p = schedule.period_containing(at);
            }
            while p.end <= at {
                wanted.push(p);
                p = p.next(schedule);
            }
            wanted.push(p);
        }
        None => {
            let mut p = schedule.period_containing(at);
            // Before the first stored period: end where that one starts.
            let first: Option<DateTime<Utc>> = sqlx::query_scalar(
                "SELECT min(starts_at) FROM point_period WHERE guild_id = $1 AND scope_id = $2",
            )
            .bind(guild.db())
            .bind(scope)
            .fetch_one(&mut *conn)
            .await?;
            if let Some(first) = first
                && first < p.end
            {
                p.end = first;
                if p.start >= p.end {
                    p.start = p.end - chrono::Duration::days(7);
                }
            }
            wanted.push(p);
        }
    }
    Ok(Plan::Missing {
        last_stored: last,
        wanted,
    })
}

/// The period of `scope` containing `at`, creating it (and any periods between the last
/// stored one and it, so "last period" is always the one just before) when missing. A
/// schedule change applies from the end of the last stored period. Safe to race: rows are
/// unique by start.
pub async fn ensure_period(
    conn: &mut PgConnection,
    guild: Snowflake,
    scope: i64,
    schedule: &Schedule,
    at: DateTime<Utc>,
) -> Result<PeriodRow> {
    let wanted = match plan(conn, guild, scope, schedule, at).await? {
        Plan::Stored(p) => return Ok(p),
        Plan::Missing { wanted, .. } => wanted,
    };
    crate::guild_config::ensure_guild(conn, guild).await?;
    for p in &wanted {
        sqlx::query(
            "INSERT INTO point_period (guild_id, scope_id, starts_at, ends_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (guild_id, scope_id, starts_at) DO NOTHING",
        )
        .bind(guild.db())
        .bind(scope)
        .bind(p.start)
        .bind(p.end)
        .execute(&mut *conn)
        .await?;
    }
    period_at(conn, guild, scope, at)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("no period of scope {scope} at {at}")))
}

/// A period as a read sees it: stored (its id keys the leaderboard's sums), or not stored
/// yet (nobody was awarded in it, or the rollover timer has not run): then it has no sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeenPeriod {
    pub period_id: Option<i64>,
    pub period: Period,
}

impl From<PeriodRow> for SeenPeriod {
    fn from(p: PeriodRow) -> Self {
        SeenPeriod {
            period_id: Some(p.period_id),
            period: p.period,
        }
    }
}

/// The current period of `scope` at `at` and the one just before it, exactly as
/// [`ensure_period`] followed by [`period_before`] would give them, but without writing:
/// for reads that may run on a read-only replica. Periods not stored yet come back without
/// an id.
pub async fn current_and_last(
    conn: &mut PgConnection,
    guild: Snowflake,
    scope: i64,
    schedule: &Schedule,
    at: DateTime<Utc>,
) -> Result<(SeenPeriod, Option<SeenPeriod>)> {
    match plan(conn, guild, scope, schedule, at).await? {
        Plan::Stored(current) => {
            let last = period_before(conn, guild, scope, &current).await?;
            Ok((current.into(), last.map(SeenPeriod::from)))
        }
        Plan::Missing {
            last_stored,
            mut wanted,
        } => {
            let current = wanted.pop().ok_or_else(|| {
                StoreError::Corrupt(format!("no period of scope {scope} planned at {at}"))
            })?;
            let last = match wanted.pop() {
                Some(p) => Some(SeenPeriod {
                    period_id: None,
                    period: p,
                }),
                // A stored period that starts at or after the planned one (a hand-set
                // start) is not "before" it; ensure_period's insert would have kept it.
                None => match last_stored {
                    Some(l) if l.period.start < current.start => Some(l.into()),
                    _ => None,
                },
            };
            Ok((
                SeenPeriod {
                    period_id: None,
                    period: current,
                },
                last,
            ))
        }
    }
}

/// The stored period just before `period` (the "last period").
pub async fn period_before(
    conn: &mut PgConnection,
    guild: Snowflake,
    scope: i64,
    period: &PeriodRow,
) -> Result<Option<PeriodRow>> {
    let row = sqlx::query_as::<_, StoredPeriod>(
        "SELECT period_id, starts_at, ends_at FROM point_period
         WHERE guild_id = $1 AND scope_id = $2 AND starts_at < $3
         ORDER BY starts_at DESC LIMIT 1",
    )
    .bind(guild.db())
    .bind(scope)
    .bind(period.period.start)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(PeriodRow::from))
}

/// Sets the current period of a quota role to start at `start` (set by hand): it then runs
/// to the first scheduled boundary after now; earlier periods are cut at `start`.
pub async fn set_current_start(
    conn: &mut PgConnection,
    guild: Snowflake,
    scope: i64,
    schedule: &Schedule,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<PeriodRow> {
    let end = schedule.next_boundary_after(now.max(start));
    sqlx::query(
        "DELETE FROM point_period WHERE guild_id = $1 AND scope_id = $2 AND starts_at >= $3",
    )
    .bind(guild.db())
    .bind(scope)
    .bind(start)
    .execute(&mut *conn)
    .await?;
    // A period that straddles `start` now ends there.
    sqlx::query(
        "UPDATE point_period SET ends_at = $3
         WHERE guild_id = $1 AND scope_id = $2 AND starts_at < $3 AND ends_at > $3",
    )
    .bind(guild.db())
    .bind(scope)
    .bind(start)
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query_as::<_, StoredPeriod>(
        "INSERT INTO point_period (guild_id, scope_id, starts_at, ends_at) VALUES ($1, $2, $3, $4)
         RETURNING period_id, starts_at, ends_at",
    )
    .bind(guild.db())
    .bind(scope)
    .bind(start)
    .bind(end)
    .fetch_one(conn)
    .await?;
    Ok(row.into())
}

/// Finished periods of a scope, newest first.
pub async fn periods(
    conn: &mut PgConnection,
    guild: Snowflake,
    scope: i64,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<PeriodRow>> {
    let rows = sqlx::query_as::<_, StoredPeriod>(
        "SELECT period_id, starts_at, ends_at FROM point_period
         WHERE guild_id = $1 AND scope_id = $2 AND starts_at < $3
         ORDER BY starts_at DESC LIMIT $4",
    )
    .bind(guild.db())
    .bind(scope)
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(PeriodRow::from).collect())
}
