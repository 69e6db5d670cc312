//! Points over REST: `/logkey` and `/logrun` (keys and runs done outside the bot),
//! officers' manual adjustments (`/addpoints`, `/addquotapoints`), the raider-point values
//! (`/pointsconfig`) and quota roles' requirements (`/quotaconfig`). Each route calls the
//! same `service::quota` function as its command; amounts are parsed as the commands parse
//! them (`2`, `1.5`, `1.25`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use domain::Snowflake;
use domain::quota::{Currency, Points};
use serde::{Deserialize, Serialize};
use service::quota::{Awarded, PointsChange, QuotaChange, QuotaRoleView};
use utoipa::ToSchema;

use crate::auth::{AtLeast, gate};
use crate::error::ErrorBody;
use crate::json::ApiJson;
use crate::params::PathParams;
use crate::{ApiError, ApiState};

/// What a log or an adjustment recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct AwardedBody {
    #[schema(value_type = String, example = "323456789012345678")]
    pub user_id: Snowflake,
    /// `raider` or `quota`.
    #[schema(example = "raider")]
    pub currency: String,
    /// Points given (negative: taken), as a decimal string.
    #[schema(example = "2.5")]
    pub amount: String,
    /// Keys or runs logged (1 for an adjustment).
    pub units: i32,
    pub dungeon: Option<String>,
    /// The member's total in that currency afterwards (quota: the current period).
    #[schema(example = "14")]
    pub total: String,
}

impl From<Awarded> for AwardedBody {
    fn from(a: Awarded) -> Self {
        AwardedBody {
            user_id: a.member,
            currency: a.currency.as_str().to_owned(),
            amount: a.amount.to_string(),
            units: a.units,
            dungeon: a.dungeon,
            total: a.total.to_string(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LogKeys {
    /// Catalog code of the dungeon whose keys were popped.
    #[schema(example = "shatters")]
    pub dungeon: String,
    /// How many keys, -999 to 999 and not 0 (negative takes a mistaken log back).
    #[schema(example = 1)]
    pub amount: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LogRuns {
    /// Catalog code of the dungeon.
    #[schema(example = "shatters")]
    pub dungeon: String,
    /// How many runs, -999 to 999 and not 0.
    #[schema(example = 1)]
    pub amount: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Adjustment {
    /// `raider` or `quota`.
    #[schema(example = "raider")]
    pub currency: String,
    /// Points to give (or take, negative): `5`, `-2.5`; at most two decimals, ±9999, not 0.
    #[schema(example = "-2.5")]
    pub amount: String,
    /// Why, 1 to 200 characters (shown in the points log).
    pub reason: String,
}

/// The raider-point values.
#[derive(Debug, Serialize, ToSchema)]
pub struct PointConfigBody {
    /// Points for completing a run of any dungeon without its own value.
    #[schema(example = "1")]
    pub completion_points: String,
    /// Points for popping a key of any dungeon without its own value.
    #[schema(example = "1")]
    pub key_pop_points: String,
    /// The leaderboard's period (as `/pointsconfig` shows it).
    #[schema(value_type = Object)]
    pub schedule: serde_json::Value,
    /// Dungeons with their own values, by catalog code.
    pub dungeons: Vec<DungeonPoints>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DungeonPoints {
    #[schema(example = "shatters")]
    pub dungeon: String,
    /// `null`: the default.
    pub completion: Option<String>,
    /// `null`: the default.
    pub key_pop: Option<String>,
}

impl From<service::quota::PointConfig> for PointConfigBody {
    fn from(c: service::quota::PointConfig) -> Self {
        PointConfigBody {
            completion_points: c.completion_points.to_string(),
            key_pop_points: c.key_pop_points.to_string(),
            schedule: serde_json::to_value(c.schedule).unwrap_or_default(),
            dungeons: c
                .dungeons
                .into_iter()
                .map(|(dungeon, (completion, key_pop))| DungeonPoints {
                    dungeon,
                    completion: completion.map(|p| p.to_string()),
                    key_pop: key_pop.map(|p| p.to_string()),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PointDefaults {
    /// 0 to 9999, at most two decimals.
    #[schema(example = "1")]
    pub completion_points: String,
    /// 0 to 9999, at most two decimals.
    #[schema(example = "1.5")]
    pub key_pop_points: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DungeonPointsChange {
    /// 0 to 9999; `null` or absent: back to the default.
    #[schema(example = "2")]
    pub completion: Option<String>,
    /// 0 to 9999; `null` or absent: back to the default.
    pub key_pop: Option<String>,
}

/// A quota role's settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuotaRoleBody {
    #[schema(value_type = String, example = "823456789012345678")]
    pub role_id: Snowflake,
    /// False: nobody configured it yet; these are the defaults.
    pub configured: bool,
    /// Quota points a member must reach each period.
    #[schema(example = "10")]
    pub required: String,
    /// Points per exalted-dungeon run organized.
    #[schema(example = "1")]
    pub exalt_points: String,
    /// Points per other run organized.
    #[schema(example = "1")]
    pub non_exalt_points: String,
    #[schema(value_type = Object)]
    pub schedule: serde_json::Value,
    /// Points per moderation action (`warn`, `suspend`, ...).
    #[schema(value_type = Object)]
    pub moderation: serde_json::Value,
    /// Per-dungeon values overriding the two above.
    #[schema(value_type = Object)]
    pub overrides: serde_json::Value,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
}

fn point_map(map: std::collections::BTreeMap<String, Points>) -> serde_json::Value {
    serde_json::Value::Object(
        map.into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v.to_string())))
            .collect(),
    )
}

impl From<QuotaRoleView> for QuotaRoleBody {
    fn from(v: QuotaRoleView) -> Self {
        QuotaRoleBody {
            role_id: v.role.role_id,
            configured: v.configured,
            required: v.role.required.to_string(),
            exalt_points: v.role.exalt_points.to_string(),
            non_exalt_points: v.role.non_exalt_points.to_string(),
            schedule: serde_json::to_value(v.role.schedule).unwrap_or_default(),
            moderation: point_map(v.role.moderation),
            overrides: point_map(v.role.overrides),
            period_start: v.period.start,
            period_end: v.period.end,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct QuotaRoleChange {
    /// Quota points required per period, 0 to 9999.
    #[schema(example = "10")]
    pub required: Option<String>,
    /// Points per exalted-dungeon run, 0 to 9999 (give `non_exalt_points` too).
    pub exalt_points: Option<String>,
    /// Points per other run, 0 to 9999 (give `exalt_points` too).
    pub non_exalt_points: Option<String>,
}

/// A configured value (0 to 9999, two decimals), or a 422 naming the field.
fn points(field: &str, text: &str) -> Result<Points, ApiError> {
    Points::parse(text)
        .map_err(|e| ApiError::unprocessable("invalid_points", format!("`{field}`: {e}")))
}

/// Logs keys a member popped outside a run (`/logkey`): a key pop and its raider points.
/// Organizer or above.
#[utoipa::path(
    post,
    path = "/v1/guilds/{guild_id}/members/{user_id}/keys",
    tag = "points",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("user_id" = String, Path, description = "Discord user id of who popped them"),
    ),
    request_body = LogKeys,
    responses(
        (status = 201, description = "The points given.", body = AwardedBody),
        (status = 403, description = "Below Organizer, or another guild's key.", body = ErrorBody),
        (status = 422, description = "Unknown dungeon, or an amount of 0 or beyond ±999 (`invalid_amount`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn log_keys(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Organizer>,
    params: PathParams,
    ApiJson(body): ApiJson<LogKeys>,
) -> Result<(StatusCode, Json<AwardedBody>), ApiError> {
    let user = params.snowflake("user_id")?;
    let awarded = service::quota::log_key(
        &state.pool,
        auth.guild,
        &auth.actor,
        user,
        &body.dungeon,
        body.amount,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(awarded.into())))
}

/// Logs runs a member organized outside the bot (`/logrun`), worth their quota value each.
/// An organizer logs their own (`X-Actor-Id`); for another member, Officer or above.
#[utoipa::path(
    post,
    path = "/v1/guilds/{guild_id}/members/{user_id}/logged-runs",
    tag = "points",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("user_id" = String, Path, description = "Discord user id of the organizer"),
    ),
    request_body = LogRuns,
    responses(
        (status = 201, description = "The quota points given.", body = AwardedBody),
        (status = 403, description = "Below Organizer, below Officer for another member, or another guild's key.", body = ErrorBody),
        (status = 422, description = "Unknown dungeon, or an amount of 0 or beyond ±999 (`invalid_amount`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn log_runs(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Organizer>,
    params: PathParams,
    ApiJson(body): ApiJson<LogRuns>,
) -> Result<(StatusCode, Json<AwardedBody>), ApiError> {
    let user = params.snowflake("user_id")?;
    let awarded = service::quota::log_run(
        &state.pool,
        auth.guild,
        &auth.actor,
        &body.dungeon,
        body.amount,
        Some(user),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(awarded.into())))
}

/// Gives or takes points by hand (`/addpoints`, `/addquotapoints`), with a reason in the
/// points log. Officer or above.
#[utoipa::path(
    post,
    path = "/v1/guilds/{guild_id}/members/{user_id}/points",
    tag = "points",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("user_id" = String, Path, description = "Discord user id"),
    ),
    request_body = Adjustment,
    responses(
        (status = 201, description = "The adjustment and the member's new total.", body = AwardedBody),
        (status = 403, description = "Below Officer, or another guild's key.", body = ErrorBody),
        (status = 422, description = "Unknown currency, a malformed amount (`invalid_points`), or no reason.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn adjust(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Officer>,
    params: PathParams,
    ApiJson(body): ApiJson<Adjustment>,
) -> Result<(StatusCode, Json<AwardedBody>), ApiError> {
    let user = params.snowflake("user_id")?;
    let currency = Currency::parse(body.currency.trim()).ok_or_else(|| {
        ApiError::unprocessable(
            "invalid_currency",
            format!(
                "`currency` must be raider or quota, not `{}`.",
                body.currency
            ),
        )
    })?;
    let awarded = service::quota::adjust(
        &state.pool,
        auth.guild,
        &auth.actor,
        user,
        currency,
        &body.amount,
        &body.reason,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(awarded.into())))
}

/// The raider-point values (`/pointsconfig`). Moderator or above.
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/points/config",
    tag = "points",
    params(("guild_id" = String, Path, description = "Discord server id")),
    responses(
        (status = 200, description = "The values.", body = PointConfigBody),
        (status = 403, description = "Below Moderator, or another guild's key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_point_config(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Moderator>,
) -> Result<Json<PointConfigBody>, ApiError> {
    let config = service::quota::point_config(&state.pool, auth.guild, &auth.actor).await?;
    Ok(Json(config.into()))
}

/// Sets the default completion and key-pop values; logged in `bot_log` and the audit log.
/// Moderator or above.
#[utoipa::path(
    put,
    path = "/v1/guilds/{guild_id}/points/config",
    tag = "points",
    params(("guild_id" = String, Path, description = "Discord server id")),
    request_body = PointDefaults,
    responses(
        (status = 200, description = "The values as they are now.", body = PointConfigBody),
        (status = 403, description = "Below Moderator, or another guild's key.", body = ErrorBody),
        (status = 422, description = "A malformed or negative value (`invalid_points`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn put_point_config(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Moderator>,
    ApiJson(body): ApiJson<PointDefaults>,
) -> Result<Json<PointConfigBody>, ApiError> {
    let change = PointsChange::Defaults {
        completion: points("completion_points", &body.completion_points)?,
        key_pop: points("key_pop_points", &body.key_pop_points)?,
    };
    let config =
        service::quota::configure_points(&state.pool, auth.guild, &auth.actor, change).await?;
    Ok(Json(config.into()))
}

/// Sets one dungeon's own completion and key-pop values (`null`: the default again).
/// Moderator or above.
#[utoipa::path(
    put,
    path = "/v1/guilds/{guild_id}/points/dungeons/{dungeon}",
    tag = "points",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("dungeon" = String, Path, description = "Catalog code of the dungeon, e.g. shatters"),
    ),
    request_body = DungeonPointsChange,
    responses(
        (status = 200, description = "The values as they are now.", body = PointConfigBody),
        (status = 403, description = "Below Moderator, or another guild's key.", body = ErrorBody),
        (status = 422, description = "Unknown dungeon, or a malformed or negative value.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn put_dungeon_points(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Moderator>,
    params: PathParams,
    ApiJson(body): ApiJson<DungeonPointsChange>,
) -> Result<Json<PointConfigBody>, ApiError> {
    let dungeon = params.text("dungeon")?.to_owned();
    let change = PointsChange::Dungeon {
        dungeon,
        completion: body
            .completion
            .as_deref()
            .map(|t| points("completion", t))
            .transpose()?,
        key_pop: body
            .key_pop
            .as_deref()
            .map(|t| points("key_pop", t))
            .transpose()?,
    };
    let config =
        service::quota::configure_points(&state.pool, auth.guild, &auth.actor, change).await?;
    Ok(Json(config.into()))
}

/// A quota role's settings and current period (`/quotaconfig`); defaults when nobody
/// configured it yet. Moderator or above.
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/quota/roles/{role_id}",
    tag = "points",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("role_id" = String, Path, description = "Discord role id"),
    ),
    responses(
        (status = 200, description = "The settings.", body = QuotaRoleBody),
        (status = 403, description = "Below Moderator, or another guild's key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_quota_role(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Moderator>,
    params: PathParams,
) -> Result<Json<QuotaRoleBody>, ApiError> {
    let role = params.snowflake("role_id")?;
    let view = service::quota::quota_role_view(&state.pool, auth.guild, &auth.actor, role).await?;
    Ok(Json(view.into()))
}

/// Changes a quota role's requirement and run values (the role is recorded with defaults
/// if new); each change is logged in `bot_log` and the audit log. Moderator or above.
#[utoipa::path(
    patch,
    path = "/v1/guilds/{guild_id}/quota/roles/{role_id}",
    tag = "points",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("role_id" = String, Path, description = "Discord role id"),
    ),
    request_body = QuotaRoleChange,
    responses(
        (status = 200, description = "The settings as they are now.", body = QuotaRoleBody),
        (status = 403, description = "Below Moderator, or another guild's key.", body = ErrorBody),
        (status = 422, description = "A malformed or negative value, only one of the two run values, or nothing to change (`nothing_to_change`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn patch_quota_role(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Moderator>,
    params: PathParams,
    ApiJson(body): ApiJson<QuotaRoleChange>,
) -> Result<Json<QuotaRoleBody>, ApiError> {
    let role = params.snowflake("role_id")?;
    let mut changes = Vec::new();
    if let Some(text) = body.required.as_deref() {
        changes.push(QuotaChange::Required(points("required", text)?));
    }
    match (
        body.exalt_points.as_deref(),
        body.non_exalt_points.as_deref(),
    ) {
        (Some(exalt), Some(non_exalt)) => changes.push(QuotaChange::BasePoints {
            exalt: points("exalt_points", exalt)?,
            non_exalt: points("non_exalt_points", non_exalt)?,
        }),
        (None, None) => {}
        _ => {
            return Err(ApiError::unprocessable(
                "invalid_body",
                "Give `exalt_points` and `non_exalt_points` together.",
            ));
        }
    }
    if changes.is_empty() {
        return Err(ApiError::unprocessable(
            "nothing_to_change",
            "Give `required`, or `exalt_points` with `non_exalt_points`.",
        ));
    }
    let mut view = None;
    for change in changes {
        view = Some(
            service::quota::configure_quota_role(
                &state.pool,
                auth.guild,
                &auth.actor,
                role,
                None,
                change,
            )
            .await?,
        );
    }
    match view {
        Some(view) => Ok(Json(view.into())),
        None => Err(ApiError::internal("no quota change applied")),
    }
}
