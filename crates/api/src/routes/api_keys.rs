//! A guild's REST API keys (administrators): list, create (the secret is shown once) and
//! revoke. The same `service::api_keys` functions as `raidbot apikey`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use domain::roles::Level;
use serde::{Deserialize, Serialize};
use service::api_keys::ApiKey;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AtLeast, gate};
use crate::error::ErrorBody;
use crate::json::ApiJson;
use crate::params::{ApiQuery, PathParams};
use crate::{ApiError, ApiState, keys, page};

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyBody {
    #[schema(example = 3)]
    pub id: i64,
    #[schema(example = "dashboard")]
    pub label: String,
    /// The role level it acts at: 1 (verified raider) to 8 (administrator).
    #[schema(example = 8)]
    pub level: i16,
    pub created_at: DateTime<Utc>,
    /// `null` while it works.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKey> for ApiKeyBody {
    fn from(k: ApiKey) -> Self {
        ApiKeyBody {
            id: k.key_id,
            label: k.label,
            level: k.level.0.into(),
            created_at: k.created_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// A key just created, with its secret: shown this once, never stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewApiKeyBody {
    #[serde(flatten)]
    pub key: ApiKeyBody,
    /// Send as `Authorization: Bearer <secret>`.
    #[schema(example = "rbk_0123456789abcdef...")]
    pub secret: String,
}

/// One page of keys, newest first, revoked ones included.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyPage {
    pub items: Vec<ApiKeyBody>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyListQuery {
    /// 1 to 100, default 25.
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateApiKey {
    /// What it is for, 1 to 100 characters.
    #[schema(example = "dashboard")]
    pub label: String,
    /// 1 (verified raider) to 8 (administrator), not above the caller's.
    #[schema(example = 4)]
    pub level: i64,
}

/// The guild's API keys, newest first. Administrators only.
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/api-keys",
    tag = "api keys",
    params(("guild_id" = String, Path, description = "Discord server id"), KeyListQuery),
    responses(
        (status = 200, description = "One page of keys.", body = ApiKeyPage),
        (status = 403, description = "Below Administrator, or another guild's key.", body = ErrorBody),
        (status = 422, description = "Bad limit or cursor.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_keys(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Administrator>,
    ApiQuery(query): ApiQuery<KeyListQuery>,
) -> Result<Json<ApiKeyPage>, ApiError> {
    let limit = page::limit(query.limit.as_deref())?;
    let before = page::cursor(query.cursor.as_deref())?;
    let mut all = service::api_keys::list(&state.pool, auth.guild, &auth.actor).await?;
    all.sort_by_key(|k| std::cmp::Reverse(k.key_id));
    let (items, next_cursor) = page::slice(all, before, limit, |k| k.key_id);
    Ok(Json(ApiKeyPage {
        items: items.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Creates a key acting at `level` on this guild; the answer holds its secret, shown this
/// once. Administrators only; recorded in the audit log.
#[utoipa::path(
    post,
    path = "/v1/guilds/{guild_id}/api-keys",
    tag = "api keys",
    params(("guild_id" = String, Path, description = "Discord server id")),
    request_body = CreateApiKey,
    responses(
        (status = 201, description = "The key and its secret.", body = NewApiKeyBody),
        (status = 403, description = "Below Administrator, or another guild's key.", body = ErrorBody),
        (status = 422, description = "Label empty or too long (`invalid_label`), level out of range or above the caller's (`invalid_level`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_key(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Administrator>,
    ApiJson(body): ApiJson<CreateApiKey>,
) -> Result<(StatusCode, Json<NewApiKeyBody>), ApiError> {
    let level = u8::try_from(body.level)
        .ok()
        .filter(|l| (1..=8).contains(l));
    let Some(level) = level else {
        return Err(ApiError::unprocessable(
            "invalid_level",
            format!(
                "`level` must be 1 (verified raider) to 8 (administrator), not {}.",
                body.level
            ),
        ));
    };
    let created = keys::create(
        &state.pool,
        auth.guild,
        &auth.actor,
        &body.label,
        Level(level),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewApiKeyBody {
            key: created.key.into(),
            secret: created.secret,
        }),
    ))
}

/// Revokes a key at once: its next request is refused. Administrators only; recorded in
/// the audit log.
#[utoipa::path(
    delete,
    path = "/v1/guilds/{guild_id}/api-keys/{key_id}",
    tag = "api keys",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("key_id" = i64, Path, description = "Key number"),
    ),
    responses(
        (status = 204, description = "Revoked."),
        (status = 403, description = "Below Administrator, or another guild's key.", body = ErrorBody),
        (status = 404, description = "No such active key in this guild.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn revoke_key(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Administrator>,
    params: PathParams,
) -> Result<StatusCode, ApiError> {
    let key_id = params.number("key_id", "a key number such as 3")?;
    service::api_keys::revoke(&state.pool, auth.guild, &auth.actor, key_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
