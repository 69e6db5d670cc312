//! Headcounts (`/headcount`): post one, read it with every answer, convert it into a run
//! or end it. The same `service::headcounts` functions as the panel's buttons.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use domain::Snowflake;
use serde::{Deserialize, Serialize};
use service::headcounts::{Headcount, HeadcountDetail};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AtLeast, gate};
use crate::error::ErrorBody;
use crate::json::ApiJson;
use crate::params::{ApiQuery, PathParams, body_snowflake};
use crate::routes::runs::RunBody;
use crate::{ApiError, ApiState, page};

#[derive(Debug, Serialize, ToSchema)]
pub struct HeadcountBody {
    #[schema(example = 9)]
    pub id: i64,
    #[schema(value_type = String, example = "223456789012345678")]
    pub organizer_id: Snowflake,
    /// `open`, `converted` or `ended`.
    #[schema(example = "open")]
    pub status: String,
    /// Catalog codes, in the organizer's order.
    pub dungeons: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// It ends by itself then if still open.
    pub auto_end_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<String>)]
    pub closed_by: Option<Snowflake>,
    /// `organizer`, `staff` or `auto` once closed.
    pub close_reason: Option<String>,
    /// The run it became.
    pub converted_run_id: Option<i64>,
}

impl From<Headcount> for HeadcountBody {
    fn from(h: Headcount) -> Self {
        HeadcountBody {
            id: h.headcount_id,
            organizer_id: h.organizer_id,
            status: h.status.as_str().to_owned(),
            dungeons: h.dungeons,
            created_at: h.created_at,
            auto_end_at: h.auto_end_at,
            closed_at: h.closed_at,
            closed_by: h.closed_by,
            close_reason: h.close_reason,
            converted_run_id: h.converted_run_id,
        }
    }
}

/// One raider's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeadcountAnswer {
    /// `interest` (`code` is a dungeon) or `key` (`code` is a key's reaction code).
    #[schema(example = "interest")]
    pub kind: String,
    #[schema(example = "shatters")]
    pub code: String,
    #[schema(value_type = String, example = "323456789012345678")]
    pub user_id: Snowflake,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HeadcountDetailBody {
    #[serde(flatten)]
    pub headcount: HeadcountBody,
    /// Every answer, oldest first.
    pub answers: Vec<HeadcountAnswer>,
}

impl From<HeadcountDetail> for HeadcountDetailBody {
    fn from(d: HeadcountDetail) -> Self {
        HeadcountDetailBody {
            headcount: d.headcount.into(),
            answers: d
                .reactions
                .into_iter()
                .map(|r| HeadcountAnswer {
                    kind: r.kind.as_str().to_owned(),
                    code: r.code,
                    user_id: r.user_id,
                    created_at: r.created_at,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateHeadcount {
    /// Who organizes it; defaults to the acting user (`X-Actor-Id`).
    #[schema(example = "223456789012345678")]
    pub organizer_id: Option<String>,
    /// 1 to 4 catalog codes.
    #[schema(example = json!(["shatters", "nest"]))]
    pub dungeons: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ConvertHeadcount {
    /// One of the headcount's dungeons.
    #[schema(example = "shatters")]
    pub dungeon: String,
}

/// What converting made: the closed headcount and its run.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversionBody {
    pub headcount: HeadcountBody,
    pub run: RunBody,
    /// Key holders carried into the run.
    pub keys_copied: u64,
}

fn headcount_id(params: &PathParams) -> Result<i64, ApiError> {
    params.number("headcount_id", "a headcount number such as 9")
}

/// Posts a headcount in the raid channel. Organizer or above.
#[utoipa::path(
    post,
    path = "/v1/guilds/{guild_id}/headcounts",
    tag = "headcounts",
    params(("guild_id" = String, Path, description = "Discord server id")),
    request_body = CreateHeadcount,
    responses(
        (status = 201, description = "The new headcount, `open`.", body = HeadcountBody),
        (status = 403, description = "Below Organizer, or another guild's key.", body = ErrorBody),
        (status = 409, description = "The organizer has an open run or headcount, or no raid channel is configured.", body = ErrorBody),
        (status = 422, description = "No organizer, no dungeon, more than 4, or an unknown one.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_headcount(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Organizer>,
    ApiJson(body): ApiJson<CreateHeadcount>,
) -> Result<(StatusCode, Json<HeadcountBody>), ApiError> {
    let organizer = body
        .organizer_id
        .as_deref()
        .map(|t| body_snowflake("organizer_id", t))
        .transpose()?;
    let h = service::headcounts::create(
        &state.pool,
        auth.guild,
        &auth.actor,
        organizer,
        &body.dungeons,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(h.into())))
}

/// A headcount with every answer. Verified raiders and up (its panel is public).
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/headcounts/{headcount_id}",
    tag = "headcounts",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("headcount_id" = i64, Path, description = "Headcount number"),
    ),
    responses(
        (status = 200, description = "The headcount.", body = HeadcountDetailBody),
        (status = 404, description = "No such headcount in this guild.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_headcount(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::VerifiedRaider>,
    params: PathParams,
) -> Result<Json<HeadcountDetailBody>, ApiError> {
    let id = headcount_id(&params)?;
    let detail = service::headcounts::get(&state.pool, auth.guild, id).await?;
    Ok(Json(detail.into()))
}

/// One page of headcounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeadcountPage {
    /// Newest first.
    pub items: Vec<HeadcountBody>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HeadcountQuery {
    /// Only headcounts in this state: `open`, `converted` or `ended`.
    #[param(example = "open")]
    pub status: Option<String>,
    /// 1 to 100, default 25.
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The guild's headcounts, newest first (e.g. `?status=open` for those under way).
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/headcounts",
    tag = "headcounts",
    params(("guild_id" = String, Path, description = "Discord server id"), HeadcountQuery),
    responses(
        (status = 200, description = "One page of headcounts.", body = HeadcountPage),
        (status = 422, description = "Bad status (`invalid_status`), limit or cursor.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_headcounts(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::VerifiedRaider>,
    ApiQuery(query): ApiQuery<HeadcountQuery>,
) -> Result<Json<HeadcountPage>, ApiError> {
    let limit = page::limit(query.limit.as_deref())?;
    let before = page::cursor(query.cursor.as_deref())?;
    let headcounts = service::headcounts::list(
        &state.pool,
        auth.guild,
        &auth.actor,
        query.status.as_deref(),
        before,
        limit,
    )
    .await?;
    let next_cursor = page::next_cursor(&headcounts, limit, |h| h.headcount_id);
    Ok(Json(HeadcountPage {
        items: headcounts.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Makes a run of one of the headcount's dungeons and closes the headcount; key holders
/// come along. Its organizer, or staff above Organizer.
#[utoipa::path(
    post,
    path = "/v1/guilds/{guild_id}/headcounts/{headcount_id}/convert",
    tag = "headcounts",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("headcount_id" = i64, Path, description = "Headcount number"),
    ),
    request_body = ConvertHeadcount,
    responses(
        (status = 200, description = "The headcount, `converted`, and its run.", body = ConversionBody),
        (status = 403, description = "Not its organizer nor above Organizer.", body = ErrorBody),
        (status = 404, description = "No such headcount in this guild.", body = ErrorBody),
        (status = 409, description = "Already converted or ended (`headcount_closed`).", body = ErrorBody),
        (status = 422, description = "Not one of its dungeons (`not_in_headcount`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn convert_headcount(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Organizer>,
    params: PathParams,
    ApiJson(body): ApiJson<ConvertHeadcount>,
) -> Result<Json<ConversionBody>, ApiError> {
    let id = headcount_id(&params)?;
    let c = service::headcounts::convert(&state.pool, auth.guild, id, &auth.actor, &body.dungeon)
        .await?;
    Ok(Json(ConversionBody {
        headcount: c.headcount.into(),
        run: c.run.into(),
        keys_copied: c.keys_copied,
    }))
}

/// Ends a headcount without a run. Its organizer, or staff above Organizer.
#[utoipa::path(
    post,
    path = "/v1/guilds/{guild_id}/headcounts/{headcount_id}/end",
    tag = "headcounts",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("headcount_id" = i64, Path, description = "Headcount number"),
    ),
    responses(
        (status = 200, description = "The headcount, `ended`.", body = HeadcountBody),
        (status = 403, description = "Not its organizer nor above Organizer.", body = ErrorBody),
        (status = 404, description = "No such headcount in this guild.", body = ErrorBody),
        (status = 409, description = "Already converted or ended (`headcount_closed`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn end_headcount(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Organizer>,
    params: PathParams,
) -> Result<Json<HeadcountBody>, ApiError> {
    let id = headcount_id(&params)?;
    let h = service::headcounts::end(&state.pool, auth.guild, id, &auth.actor).await?;
    Ok(Json(h.into()))
}
