//! The audit log: every configuration change, API key and setting, newest first.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use domain::Snowflake;
use serde::{Deserialize, Serialize};
use service::audit::AuditEntry;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AtLeast, gate};
use crate::error::ErrorBody;
use crate::params::ApiQuery;
use crate::{ApiError, ApiState, page};

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryBody {
    #[schema(example = 120)]
    pub id: i64,
    /// The Discord user, when a person made it.
    #[schema(value_type = Option<String>)]
    pub actor_id: Option<Snowflake>,
    /// Who made it, as the log names them (`user 42`, `api key 'dashboard' (#3)`).
    pub actor: String,
    /// What was done, e.g. `api_key_create`, `configure_points`, `set_roles`.
    #[schema(example = "api_key_create")]
    pub action: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

impl From<AuditEntry> for AuditEntryBody {
    fn from(e: AuditEntry) -> Self {
        AuditEntryBody {
            id: e.audit_id,
            actor_id: e.actor_id,
            actor: e.actor,
            action: e.action,
            before: e.before,
            after: e.after,
            created_at: e.created_at,
        }
    }
}

/// One page of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// Newest first.
    pub items: Vec<AuditEntryBody>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this action (e.g. `api_key_create`).
    pub action: Option<String>,
    /// 1 to 100, default 25.
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The audit log, newest first. Administrators only.
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/audit-log",
    tag = "logs",
    params(("guild_id" = String, Path, description = "Discord server id"), AuditQuery),
    responses(
        (status = 200, description = "One page of entries.", body = AuditPage),
        (status = 403, description = "Below Administrator, or another guild's key.", body = ErrorBody),
        (status = 422, description = "Bad action (`invalid_action`), limit or cursor.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn audit_log(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Administrator>,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = page::limit(query.limit.as_deref())?;
    let before = page::cursor(query.cursor.as_deref())?;
    let entries = service::audit::entries(
        &state.pool,
        auth.guild,
        &auth.actor,
        query.action.as_deref(),
        before,
        limit,
    )
    .await?;
    let next_cursor = page::next_cursor(&entries, limit, |e| e.audit_id);
    Ok(Json(AuditPage {
        items: entries.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}
