//! Raid statistics for dashboards: the figures `/raidstats` charts.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use domain::analytics::{StatsPeriod, Summary};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AtLeast, gate};
use crate::error::ErrorBody;
use crate::params::ApiQuery;
use crate::{ApiError, ApiState};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnalyticsQuery {
    /// Start (inclusive): RFC 3339 time or a date (`2026-09-01`, midnight UTC). Default:
    /// Monday of the week 11 weeks before this one.
    pub from: Option<String>,
    /// End (exclusive), same forms. Default: next Monday. At most 104 weeks after `from`.
    pub to: Option<String>,
    /// A dungeon code (`shatters`) to count only its runs.
    pub dungeon: Option<String>,
}

/// Runs of one dungeon per week (or of the rest: `dungeon` is null).
#[derive(Debug, Serialize, ToSchema)]
pub struct DungeonSeries {
    #[schema(example = "shatters")]
    pub dungeon: Option<String>,
    pub total: i64,
    /// One count per entry of `weeks`.
    pub per_week: Vec<i64>,
}

/// One week's runs.
#[derive(Debug, Serialize, ToSchema)]
pub struct WeekBody {
    /// Monday 00:00 UTC.
    pub week_start: DateTime<Utc>,
    pub runs: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunAnalyticsBody {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub dungeon: Option<String>,
    /// Runs created in the span.
    pub total: i64,
    /// Ended by the organizer or staff.
    pub completed: i64,
    /// Ended by the auto-end timer.
    pub auto_ended: i64,
    pub cancelled: i64,
    /// Still open or live.
    pub active: i64,
    /// Percent of finished runs (completed + auto-ended + cancelled), one decimal.
    pub completion_rate: Option<f64>,
    pub auto_end_rate: Option<f64>,
    pub cancel_rate: Option<f64>,
    /// Average length of ended runs, minutes (one decimal).
    pub average_length_minutes: Option<f64>,
    /// Average raiders joined at the end of ended runs (one decimal).
    pub average_attendance: Option<f64>,
    /// Every week of the span, weeks without runs included.
    pub weeks: Vec<WeekBody>,
    /// The six most-run dungeons, then the rest summed (`dungeon: null`).
    pub dungeons: Vec<DungeonSeries>,
}

fn one_decimal(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

impl From<Summary> for RunAnalyticsBody {
    fn from(s: Summary) -> Self {
        RunAnalyticsBody {
            completion_rate: s.completion_rate(),
            auto_end_rate: s.auto_end_rate(),
            cancel_rate: s.cancel_rate(),
            average_length_minutes: s.avg_length_secs.map(|v| one_decimal(v / 60.0)),
            average_attendance: s.avg_attendance.map(one_decimal),
            from: s.from,
            to: s.to,
            dungeon: s.dungeon,
            total: s.total,
            completed: s.completed,
            auto_ended: s.auto_ended,
            cancelled: s.cancelled,
            active: s.active,
            weeks: s
                .weeks
                .iter()
                .zip(&s.per_week)
                .map(|(w, n)| WeekBody {
                    week_start: *w,
                    runs: *n,
                })
                .collect(),
            dungeons: s
                .series
                .into_iter()
                .map(|d| DungeonSeries {
                    dungeon: d.dungeon_code,
                    total: d.total,
                    per_week: d.per_week,
                })
                .collect(),
        }
    }
}

fn parse_time(name: &str, text: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(d.and_time(NaiveTime::MIN).and_utc());
    }
    Err(ApiError::unprocessable(
        "invalid_time",
        format!("`{name}` must be an RFC 3339 time or a date such as 2026-09-01, not `{text}`."),
    ))
}

/// Run statistics: runs per week by dungeon, how runs ended, average length and attendance.
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/analytics/runs",
    tag = "runs",
    params(("guild_id" = String, Path, description = "Discord server id"), AnalyticsQuery),
    responses(
        (status = 200, description = "The figures for the span.", body = RunAnalyticsBody),
        (status = 400, description = "Malformed query or path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Organizer, or another guild's key.", body = ErrorBody),
        (status = 422, description = "Bad time (`invalid_time`), `to` not after `from` (`invalid_span`), more than 104 weeks (`span_too_long`), unknown dungeon (`unknown_dungeon`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn run_analytics(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Organizer>,
    ApiQuery(query): ApiQuery<AnalyticsQuery>,
) -> Result<Json<RunAnalyticsBody>, ApiError> {
    let (default_from, default_to) = StatsPeriod::Weeks12.span(Utc::now());
    let from = match query.from.as_deref() {
        Some(t) => parse_time("from", t)?,
        None => default_from,
    };
    let to = match query.to.as_deref() {
        Some(t) => parse_time("to", t)?,
        None => default_to,
    };
    let summary = service::analytics::runs(
        &state.pool,
        auth.guild,
        &auth.actor,
        from,
        to,
        query.dungeon.as_deref(),
    )
    .await?;
    Ok(Json(summary.into()))
}
