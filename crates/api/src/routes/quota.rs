//! Points: the leaderboard and one member's stats.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use domain::Snowflake;
use domain::quota::{Metric, PeriodChoice, Points};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::GuildAuth;
use crate::error::ErrorBody;
use crate::params::{ApiQuery, PathParams};
use crate::routes::runs::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::{ApiError, ApiState};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeaderboardQuery {
    /// `raider` (default) or `quota` points.
    pub currency: Option<String>,
    /// Rank by a count instead of points: `runs_organized`, `runs_completed` or
    /// `keys_popped` (overrides `currency`).
    pub category: Option<String>,
    /// `current` (default), `last` or `all`.
    pub period: Option<String>,
    /// 1 to 100, default 25.
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One leaderboard row.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeaderboardEntry {
    /// Ties share a rank (1, 2, 2, 4).
    #[schema(example = 1)]
    pub rank: i64,
    #[schema(value_type = String, example = "323456789012345678")]
    pub user_id: Snowflake,
    /// Points as a decimal string with up to two places, or a count.
    #[schema(example = "12.5")]
    pub value: String,
    /// When the member reached this value (earlier ranks first among ties).
    pub reached_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeaderboardBody {
    #[schema(example = "raider_points")]
    pub category: String,
    #[schema(example = "current")]
    pub period: String,
    pub period_start: Option<DateTime<Utc>>,
    pub period_end: Option<DateTime<Utc>>,
    /// Members on this leaderboard.
    pub total: i64,
    pub entries: Vec<LeaderboardEntry>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

fn unprocessable(code: &'static str, text: String) -> ApiError {
    ApiError::unprocessable(code, text)
}

/// The guild's leaderboard, best first.
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/leaderboard",
    tag = "points",
    params(("guild_id" = String, Path, description = "Discord server id"), LeaderboardQuery),
    responses(
        (status = 200, description = "One page of the leaderboard.", body = LeaderboardBody),
        (status = 400, description = "Malformed query or path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Verified Raider, or another guild's key.", body = ErrorBody),
        (status = 422, description = "Bad currency, category, period, limit or cursor.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn leaderboard(
    State(state): State<ApiState>,
    auth: GuildAuth,
    ApiQuery(query): ApiQuery<LeaderboardQuery>,
) -> Result<Json<LeaderboardBody>, ApiError> {
    let q = query;
    // A bad `currency` is refused even when `category` overrides it: a typo never passes
    // unnoticed (found by scripts/fuzz-api).
    if let Some(other) = q
        .currency
        .as_deref()
        .filter(|c| !matches!(*c, "raider" | "quota"))
    {
        return Err(unprocessable(
            "invalid_currency",
            format!("`currency` must be raider or quota, not `{other}`."),
        ));
    }
    let metric = match (q.category.as_deref(), q.currency.as_deref()) {
        (Some(c), _) => Metric::parse(c)
            .filter(|m| Metric::CATEGORIES.contains(m))
            .ok_or_else(|| {
                unprocessable(
                    "invalid_category",
                    format!("`category` must be raider_points, quota_points, runs_organized, runs_completed or keys_popped, not `{c}`."),
                )
            })?,
        (None, None | Some("raider")) => Metric::RaiderPoints,
        (None, Some("quota")) => Metric::QuotaPoints,
        (None, Some(other)) => {
            return Err(unprocessable(
                "invalid_currency",
                format!("`currency` must be raider or quota, not `{other}`."),
            ));
        }
    };
    let period = match q.period.as_deref() {
        None => PeriodChoice::Current,
        Some(p) => PeriodChoice::parse(p).ok_or_else(|| {
            unprocessable(
                "invalid_period",
                format!("`period` must be current, last or all, not `{p}`."),
            )
        })?,
    };
    let limit = match q.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| {
                unprocessable(
                    "invalid_limit",
                    format!("`limit` must be a number from 1 to {MAX_LIMIT}, not `{text}`."),
                )
            })?,
    };
    let offset = match q.cursor.as_deref() {
        None => 0,
        Some(text) => text.parse::<i64>().ok().filter(|c| *c > 0).ok_or_else(|| {
            unprocessable(
                "invalid_cursor",
                format!("`cursor` must be the `next_cursor` of a previous page, not `{text}`."),
            )
        })?,
    };
    let page = service::quota::leaderboard(
        state.read_pool.pool(),
        auth.guild,
        &auth.actor,
        metric,
        period,
        offset,
        limit,
    )
    .await?;
    // A cursor past the end gives an empty page, not the last one again.
    let past_end = offset >= page.total && offset > 0;
    let entries: Vec<LeaderboardEntry> = if past_end {
        Vec::new()
    } else {
        page.rows
            .iter()
            .map(|r| LeaderboardEntry {
                rank: r.rank,
                user_id: r.member_id,
                value: metric.format(r.value),
                reached_at: r.reached_at,
            })
            .collect()
    };
    let next = offset + limit;
    Ok(Json(LeaderboardBody {
        category: metric.as_str().to_owned(),
        period: period.as_str().to_owned(),
        period_start: page.period.map(|p| p.start),
        period_end: page.period.map(|p| p.end),
        total: page.total,
        next_cursor: (!past_end && next < page.total).then(|| next.to_string()),
        entries,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DungeonStats {
    #[schema(example = "shatters")]
    pub dungeon: String,
    pub runs_organized: i64,
    pub runs_completed: i64,
    pub keys_popped: i64,
    #[schema(example = "4")]
    pub quota_points: String,
    #[schema(example = "3.5")]
    pub raider_points: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberStatsBody {
    #[schema(value_type = String, example = "323456789012345678")]
    pub user_id: Snowflake,
    #[schema(example = "12.5")]
    pub raider_points: String,
    /// Rank on the all-time raider points leaderboard (ties share it).
    pub raider_rank: Option<i64>,
    pub quota_points_current: String,
    pub quota_points_all_time: String,
    /// The member's highest quota role and its requirement, if they hold one.
    #[schema(value_type = Option<String>)]
    pub quota_role_id: Option<Snowflake>,
    pub quota_required: Option<String>,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub runs_organized: i64,
    pub runs_completed: i64,
    pub keys_popped: i64,
    pub verifications: i64,
    pub dungeons: Vec<DungeonStats>,
}

/// One member's points, runs and keys.
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/members/{user_id}/stats",
    tag = "points",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("user_id" = String, Path, description = "Discord user id"),
    ),
    responses(
        (status = 200, description = "The member's stats (zeros when they have none).", body = MemberStatsBody),
        (status = 400, description = "Malformed path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Verified Raider, or another guild's key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn member_stats(
    State(state): State<ApiState>,
    auth: GuildAuth,
    params: PathParams,
) -> Result<Json<MemberStatsBody>, ApiError> {
    let user = params.snowflake("user_id")?;
    let s = service::quota::stats(state.read_pool.pool(), auth.guild, &auth.actor, user).await?;
    let p = |v: Points| v.to_string();
    Ok(Json(MemberStatsBody {
        user_id: s.member,
        raider_points: p(s.raider_points),
        raider_rank: s.raider_rank,
        quota_points_current: p(s.quota_current),
        quota_points_all_time: p(s.quota_all_time),
        quota_role_id: s.quota_role.map(|r| r.0),
        quota_required: s.quota_role.map(|r| p(r.1)),
        period_start: s.period.start,
        period_end: s.period.end,
        runs_organized: s.runs_organized,
        runs_completed: s.runs_completed,
        keys_popped: s.keys_popped,
        verifications: s.verifications,
        dungeons: s
            .dungeons
            .into_iter()
            .map(|d| DungeonStats {
                dungeon: d.dungeon_code,
                runs_organized: d.runs_organized,
                runs_completed: d.runs_completed,
                keys_popped: d.keys_popped,
                quota_points: p(d.quota_points),
                raider_points: p(d.raider_points),
            })
            .collect(),
    }))
}
