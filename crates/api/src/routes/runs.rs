//! Raid runs: create, read, list, join, leave, start, end, cancel.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use domain::catalog::catalog;
use domain::run::RunAction;
use domain::{RunStatus, Snowflake};
use serde::{Deserialize, Serialize};
use service::runs::{JoinBatcher, JoinChange, LifecycleBatcher};
use service::runs::{Participant, Run};
use service::runs::{RunDetail, RunRequest};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AtLeast, GuildAuth, gate};
use crate::error::ErrorBody;
use crate::json::ApiJson;
use crate::params::{ApiQuery, PathParams, body_snowflake};
use crate::{ApiError, ApiState, page};

pub use crate::page::{DEFAULT_LIMIT, MAX_LIMIT};

/// A run as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunBody {
    #[schema(example = 42)]
    pub id: i64,
    #[schema(value_type = String, example = "123456789012345678")]
    pub guild_id: Snowflake,
    #[schema(value_type = String, example = "223456789012345678")]
    pub organizer_id: Snowflake,
    /// Catalog code of the dungeon.
    #[schema(example = "shatters")]
    pub dungeon: String,
    #[schema(example = "Shatters")]
    pub dungeon_name: String,
    #[schema(value_type = String, example = "open")]
    /// `open`, `live`, `ended` or `cancelled`.
    pub status: RunStatus,
    pub party: Option<String>,
    pub location: Option<String>,
    pub description: Option<String>,
    pub participant_count: i64,
    pub join_locked: bool,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub auto_end_at: DateTime<Utc>,
    /// The Discord user who ended or cancelled it; `null` for an API key or the timer.
    #[schema(value_type = Option<String>)]
    pub closed_by: Option<Snowflake>,
    /// Who ended or cancelled it, as the audit log names them (`user 42`,
    /// `api key 'dashboard' (#3)`); `null` when the time limit did.
    pub closed_by_label: Option<String>,
    /// `organizer`, `staff` or `auto` once closed.
    pub close_reason: Option<String>,
}

impl From<Run> for RunBody {
    fn from(run: Run) -> Self {
        let dungeon_name = catalog().dungeon_name(&run.dungeon_code);
        RunBody {
            id: run.run_id,
            guild_id: run.guild_id,
            organizer_id: run.organizer_id,
            dungeon: run.dungeon_code,
            dungeon_name,
            status: run.status,
            party: run.party,
            location: run.location,
            description: run.description,
            participant_count: run.participant_count,
            join_locked: run.join_locked,
            created_at: run.created_at,
            started_at: run.started_at,
            ended_at: run.ended_at,
            cancelled_at: run.cancelled_at,
            auto_end_at: run.auto_end_at,
            closed_by: run.closed_by,
            closed_by_label: run.closed_by_label,
            close_reason: run.close_reason,
        }
    }
}

/// A joined raider.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantBody {
    #[schema(value_type = String, example = "323456789012345678")]
    pub user_id: Snowflake,
    #[schema(example = "Warrior")]
    pub class: Option<String>,
    pub joined_at: DateTime<Utc>,
}

impl From<Participant> for ParticipantBody {
    fn from(p: Participant) -> Self {
        ParticipantBody {
            user_id: p.user_id,
            class: p.class,
            joined_at: p.joined_at,
        }
    }
}

/// A run with its joined raiders, in the order they joined.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunDetailBody {
    #[serde(flatten)]
    pub run: RunBody,
    pub participants: Vec<ParticipantBody>,
}

impl From<RunDetail> for RunDetailBody {
    fn from(d: RunDetail) -> Self {
        RunDetailBody {
            run: d.run.into(),
            participants: d.participants.into_iter().map(Into::into).collect(),
        }
    }
}

/// What a join did: the joiner's outcome and the run's count, not the whole roster (a
/// join is the hottest write; `GET .../runs/{run_id}` reads the roster).
#[derive(Debug, Serialize, ToSchema)]
pub struct JoinAnswer {
    #[schema(example = 42)]
    pub run_id: i64,
    #[schema(value_type = String, example = "323456789012345678")]
    pub user_id: Snowflake,
    /// `joined` (newly, with 201) or `already_joined` (200; only the class may have
    /// changed).
    #[schema(example = "joined")]
    pub outcome: &'static str,
    /// The raider's class afterwards, if one was ever picked.
    #[schema(example = "Warrior")]
    pub class: Option<String>,
    /// Raiders joined afterwards.
    #[schema(example = 17)]
    pub participant_count: i64,
}

/// One page of runs, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunPage {
    pub runs: Vec<RunBody>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateRun {
    /// Who organizes the run; defaults to the acting user (`X-Actor-Id`).
    #[schema(example = "223456789012345678")]
    pub organizer_id: Option<String>,
    /// Catalog code of the dungeon.
    #[schema(example = "shatters")]
    pub dungeon: String,
    pub party: Option<String>,
    pub location: Option<String>,
    /// At most 500 characters.
    pub description: Option<String>,
    /// At most this many raiders join (1–1000); later ones wait on the bench.
    pub raider_cap: Option<i32>,
    /// Auto-end after this many minutes (1–1440) instead of the server's default.
    pub duration_minutes: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct JoinRun {
    #[schema(example = "323456789012345678")]
    pub user_id: String,
    /// A RotMG class, any letter case; omitted keeps the class picked before.
    #[schema(example = "Warrior")]
    pub class: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `open`, `live`, `ended` or `cancelled`; all when absent.
    pub status: Option<String>,
    /// Only runs of this dungeon (catalog code, e.g. `shatters`).
    pub dungeon: Option<String>,
    /// Only runs organized by this Discord user.
    pub organizer: Option<String>,
    /// Only runs created at or after this time (RFC 3339, e.g. `2026-12-01T00:00:00Z`).
    pub from: Option<String>,
    /// Only runs created before this time (RFC 3339).
    pub to: Option<String>,
    /// 1 to 100, default 25.
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Starts a run and queues its panel in the raid channel. Organizer level or above.
#[utoipa::path(
    post,
    path = "/v1/guilds/{guild_id}/runs",
    tag = "runs",
    params(("guild_id" = String, Path, description = "Discord server id")),
    request_body = CreateRun,
    responses(
        (status = 201, description = "The new run.", body = RunBody),
        (status = 400, description = "Malformed JSON or path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Organizer, or another guild's key.", body = ErrorBody),
        (status = 409, description = "The organizer has an active run (`active_run_exists`), or no raid channel is configured.", body = ErrorBody),
        (status = 422, description = "Unknown dungeon (`unknown_dungeon`), text too long, bad id.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_run(
    Extension(lifecycle): Extension<LifecycleBatcher>,
    AtLeast(auth, _): AtLeast<gate::Organizer>,
    ApiJson(body): ApiJson<CreateRun>,
) -> Result<(StatusCode, Json<RunBody>), ApiError> {
    let organizer_id = body
        .organizer_id
        .as_deref()
        .map(|t| body_snowflake("organizer_id", t))
        .transpose()?;
    let request = RunRequest {
        organizer_id,
        dungeon: body.dungeon,
        party: body.party,
        location: body.location,
        description: body.description,
        raider_cap: body.raider_cap,
        duration_minutes: body.duration_minutes,
    };
    let run = lifecycle.create(auth.guild, &auth.actor, request).await?;
    Ok((StatusCode::CREATED, Json(run.into())))
}

/// Runs of the guild, newest first, with the dashboard's filters (dungeon, organizer,
/// status, dates); the same history the run pages show. Verified raiders and up.
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/runs",
    tag = "runs",
    params(("guild_id" = String, Path, description = "Discord server id"), ListQuery),
    responses(
        (status = 200, description = "One page of runs.", body = RunPage),
        (status = 400, description = "Malformed query or path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 422, description = "Bad status, dungeon (`invalid_dungeon`), organizer, dates (`invalid_dates`), limit or cursor.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_runs(
    State(state): State<ApiState>,
    auth: GuildAuth,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<RunPage>, ApiError> {
    let status = query
        .status
        .as_deref()
        .map(|s| {
            RunStatus::parse(s)
                .map(|s| s.as_str().to_owned())
                .ok_or_else(|| {
                    ApiError::unprocessable(
                        "invalid_status",
                        format!("`status` must be open, live, ended or cancelled, not `{s}`."),
                    )
                })
        })
        .transpose()?;
    let organizer = query
        .organizer
        .as_deref()
        .map(|o| query_snowflake("organizer", o))
        .transpose()?;
    let filter = service::dashboard::RunFilter {
        dungeon: query.dungeon,
        organizer,
        status,
        from: query.from.as_deref().map(|t| time("from", t)).transpose()?,
        to: query.to.as_deref().map(|t| time("to", t)).transpose()?,
    };
    let limit = page::limit(query.limit.as_deref())?;
    let before = page::cursor(query.cursor.as_deref())?;
    let runs = service::dashboard::run_history(
        &state.pool,
        auth.guild,
        &auth.actor,
        &filter,
        before,
        limit,
    )
    .await?;
    let next_cursor = page::next_cursor(&runs, limit, |r| r.run_id);
    Ok(Json(RunPage {
        runs: runs.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// A Discord id given in a query, a 422 naming the parameter otherwise.
pub(crate) fn query_snowflake(name: &str, text: &str) -> Result<Snowflake, ApiError> {
    body_snowflake(name, text)
}

/// An RFC 3339 time given in a query.
pub(crate) fn time(name: &str, text: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::unprocessable(
                "invalid_time",
                format!("`{name}` must be a time such as 2026-12-01T00:00:00Z, not `{text}`."),
            )
        })
}

/// A key pop in a run.
#[derive(Debug, Serialize, ToSchema)]
pub struct PopBody {
    #[schema(example = 7)]
    pub id: i64,
    /// Who popped it.
    #[schema(value_type = String, example = "323456789012345678")]
    pub user_id: Snowflake,
    #[schema(example = 1)]
    pub count: i32,
    /// The key's name, when the run's dungeon has several.
    pub key_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A run's key pops, in the order they were logged.
#[derive(Debug, Serialize, ToSchema)]
pub struct PopList {
    pub items: Vec<PopBody>,
}

/// The key pops of one run (as the run page shows them). Verified raiders and up.
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/runs/{run_id}/pops",
    tag = "runs",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("run_id" = i64, Path, description = "Run number"),
    ),
    responses(
        (status = 200, description = "The run's key pops.", body = PopList),
        (status = 404, description = "No such run in this guild.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn run_pops(
    State(state): State<ApiState>,
    auth: GuildAuth,
    params: PathParams,
) -> Result<Json<PopList>, ApiError> {
    let run_id = params.run_id()?;
    let page = service::dashboard::run_page(&state.pool, auth.guild, &auth.actor, run_id).await?;
    Ok(Json(PopList {
        items: page
            .pops
            .into_iter()
            .map(|p| PopBody {
                id: p.pop_id,
                user_id: p.user_id,
                count: p.count,
                key_name: p.key_name,
                created_at: p.created_at,
            })
            .collect(),
    }))
}

/// One run with its participants.
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/runs/{run_id}",
    tag = "runs",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("run_id" = i64, Path, description = "Run number"),
    ),
    responses(
        (status = 200, description = "The run.", body = RunDetailBody),
        (status = 400, description = "Malformed path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 404, description = "No such run in this guild.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_run(
    State(state): State<ApiState>,
    auth: GuildAuth,
    params: PathParams,
) -> Result<Json<RunDetailBody>, ApiError> {
    let run_id = params.run_id()?;
    let detail = service::runs::get(&state.pool, auth.guild, run_id).await?;
    Ok(Json(detail.into()))
}

/// Joins a raider; joining again changes only the class.
#[utoipa::path(
    post,
    path = "/v1/guilds/{guild_id}/runs/{run_id}/participants",
    tag = "runs",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("run_id" = i64, Path, description = "Run number"),
    ),
    request_body = JoinRun,
    responses(
        (status = 201, description = "Newly joined: the outcome and the run's count.", body = JoinAnswer),
        (status = 200, description = "Was already in the run (only the class may have changed).", body = JoinAnswer),
        (status = 400, description = "Malformed JSON or path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "The member is suspended (`suspended`; the message says until when), or the key may not add others.", body = ErrorBody),
        (status = 404, description = "No such run in this guild.", body = ErrorBody),
        (status = 409, description = "The run is closed, join-locked (`join_locked`) or full (`run_full`).", body = ErrorBody),
        (status = 422, description = "Bad user id or unknown class.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn join_run(
    AtLeast(auth, _): AtLeast<gate::RosterChange>,
    Extension(joins): Extension<JoinBatcher>,
    params: PathParams,
    ApiJson(body): ApiJson<JoinRun>,
) -> Result<(StatusCode, Json<JoinAnswer>), ApiError> {
    let run_id = params.run_id()?;
    let user = body_snowflake("user_id", &body.user_id)?;
    let outcome = joins
        .join_counted(auth.guild, run_id, &auth.actor, user, body.class.as_deref())
        .await?;
    let (status, said) = match outcome.change {
        JoinChange::Joined => (StatusCode::CREATED, "joined"),
        JoinChange::AlreadyJoined => (StatusCode::OK, "already_joined"),
    };
    Ok((
        status,
        Json(JoinAnswer {
            run_id,
            user_id: user,
            outcome: said,
            class: outcome.class,
            participant_count: outcome.participant_count.unwrap_or_default(),
        }),
    ))
}

/// Removes a raider from the run.
#[utoipa::path(
    delete,
    path = "/v1/guilds/{guild_id}/runs/{run_id}/participants/{user_id}",
    tag = "runs",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("run_id" = i64, Path, description = "Run number"),
        ("user_id" = String, Path, description = "Discord user id of the raider"),
    ),
    responses(
        (status = 204, description = "Left the run."),
        (status = 400, description = "Malformed path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 404, description = "No such run, or the user is not in it (`not_a_participant`).", body = ErrorBody),
        (status = 409, description = "The run is closed.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn leave_run(
    State(state): State<ApiState>,
    auth: GuildAuth,
    params: PathParams,
) -> Result<StatusCode, ApiError> {
    let run_id = params.run_id()?;
    let user = params.snowflake("user_id")?;
    if service::runs::leave(&state.pool, auth.guild, run_id, &auth.actor, user)
        .await?
        .was_in
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(
            "not_a_participant",
            format!("User {user} is not in run #{run_id}."),
        ))
    }
}

async fn transition(
    lifecycle: &LifecycleBatcher,
    auth: &GuildAuth,
    params: &PathParams,
    action: RunAction,
) -> Result<Json<RunBody>, ApiError> {
    let run_id = params.run_id()?;
    let run = lifecycle
        .transition(auth.guild, run_id, &auth.actor, action)
        .await?;
    Ok(Json(run.into()))
}

/// Starts an open run (it goes live). Its organizer, or staff above Organizer.
#[utoipa::path(
    post,
    path = "/v1/guilds/{guild_id}/runs/{run_id}/start",
    tag = "runs",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("run_id" = i64, Path, description = "Run number"),
    ),
    responses(
        (status = 200, description = "The run, now live.", body = RunBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Not allowed to manage this run.", body = ErrorBody),
        (status = 404, description = "No such run in this guild.", body = ErrorBody),
        (status = 409, description = "Not open (`invalid_transition`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn start_run(
    Extension(lifecycle): Extension<LifecycleBatcher>,
    auth: GuildAuth,
    params: PathParams,
) -> Result<Json<RunBody>, ApiError> {
    transition(&lifecycle, &auth, &params, RunAction::Start).await
}

/// Ends a live run; ending twice is a 409 and keeps the first `ended_at`.
#[utoipa::path(
    post,
    path = "/v1/guilds/{guild_id}/runs/{run_id}/end",
    tag = "runs",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("run_id" = i64, Path, description = "Run number"),
    ),
    responses(
        (status = 200, description = "The run, now ended.", body = RunBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Not allowed to manage this run.", body = ErrorBody),
        (status = 404, description = "No such run in this guild.", body = ErrorBody),
        (status = 409, description = "Not live (`invalid_transition`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn end_run(
    Extension(lifecycle): Extension<LifecycleBatcher>,
    auth: GuildAuth,
    params: PathParams,
) -> Result<Json<RunBody>, ApiError> {
    transition(&lifecycle, &auth, &params, RunAction::End).await
}

/// Cancels an open or live run.
#[utoipa::path(
    post,
    path = "/v1/guilds/{guild_id}/runs/{run_id}/cancel",
    tag = "runs",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("run_id" = i64, Path, description = "Run number"),
    ),
    responses(
        (status = 200, description = "The run, now cancelled.", body = RunBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Not allowed to manage this run.", body = ErrorBody),
        (status = 404, description = "No such run in this guild.", body = ErrorBody),
        (status = 409, description = "Already closed (`invalid_transition`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn cancel_run(
    Extension(lifecycle): Extension<LifecycleBatcher>,
    auth: GuildAuth,
    params: PathParams,
) -> Result<Json<RunBody>, ApiError> {
    transition(&lifecycle, &auth, &params, RunAction::Cancel).await
}
