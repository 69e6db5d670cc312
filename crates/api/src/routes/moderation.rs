//! Punishments and staff notes over REST.
//!
//! The API cannot see Discord's roles, so the hierarchy check here uses what the database
//! knows: the key's level against the punishment kind's minimum role (as the matching
//! command's role). Before the bot applies a punishment given here, its job re-checks
//! Discord's hierarchy (target strictly below the key's level, never the owner, below the
//! bot's top role); if the target outranks, nothing is applied, the punishment ends as
//! removed with the reason, and the punishment log says so.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use domain::Snowflake;
use domain::moderation::{PunishmentKind, TargetFacts};
use serde::{Deserialize, Serialize};
use service::moderation::{Note, Punishment};
use service::moderation::{PunishRequest, Target};
use utoipa::ToSchema;

use crate::auth::{AtLeast, GuildAuth, gate};
use crate::error::ErrorBody;
use crate::json::ApiJson;
use crate::params::{PathParams, body_snowflake};
use crate::{ApiError, ApiState};

/// The most punishments or notes one list answer holds.
pub const LIST_MAX: i64 = 500;

/// A punishment as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PunishmentBody {
    /// The short id staff type.
    #[schema(example = "P-4K7Q2")]
    pub id: String,
    /// `warn`, `suspend`, `mute`, `kick`, `ban` or `softban`.
    #[schema(example = "suspend")]
    pub kind: String,
    #[schema(value_type = String, example = "323456789012345678")]
    pub user_id: Snowflake,
    pub reason: String,
    /// `active`; or how it ended: `expired` (its time ran out), `lifted` (ended early by
    /// staff) or `removed` (deactivated as issued in error, or refused when applied).
    #[schema(example = "active")]
    pub status: String,
    /// Who gave it ("user 123", "api key 'dashboard'").
    pub actor: String,
    pub created_at: DateTime<Utc>,
    /// Suspensions and mutes only.
    pub expires_at: Option<DateTime<Utc>>,
    /// `sent`, `closed` or `failed` once the DM was tried.
    pub dm_status: Option<String>,
    /// When Discord's side was done.
    pub applied_at: Option<DateTime<Utc>>,
    /// Why Discord's side could not be done.
    pub apply_error: Option<String>,
    /// When it expired, was lifted or removed.
    pub ended_at: Option<DateTime<Utc>>,
    /// Who lifted or removed it (a user id as `user 123`, or an API key's label).
    pub ended_by: Option<String>,
    /// Why it was lifted or removed.
    pub end_reason: Option<String>,
    /// When it was last edited (length or reason), and by whom.
    pub edited_at: Option<DateTime<Utc>>,
    pub edited_by: Option<String>,
}

impl From<Punishment> for PunishmentBody {
    fn from(p: Punishment) -> Self {
        PunishmentBody {
            id: p.code,
            kind: p.kind.as_str().to_owned(),
            user_id: p.user_id,
            reason: p.reason,
            status: p.status.as_str().to_owned(),
            actor: p.actor,
            created_at: p.created_at,
            expires_at: p.expires_at,
            dm_status: p.dm_status.map(|d| d.as_str().to_owned()),
            applied_at: p.applied_at,
            apply_error: p.apply_error,
            ended_at: p.ended_at,
            ended_by: p.ended_by.map(|u| format!("user {u}")).or(p.ended_by_label),
            end_reason: p.end_reason,
            edited_at: p.edited_at,
            edited_by: p.edited_by_label,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PunishmentList {
    /// Newest first, ended ones included with their status.
    pub items: Vec<PunishmentBody>,
}

/// A staff note; never shown to the member.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteBody {
    #[schema(example = 12)]
    pub id: i64,
    #[schema(value_type = String, example = "323456789012345678")]
    pub user_id: Snowflake,
    pub text: String,
    pub author: String,
    pub created_at: DateTime<Utc>,
    pub removed_at: Option<DateTime<Utc>>,
}

impl From<Note> for NoteBody {
    fn from(n: Note) -> Self {
        NoteBody {
            id: n.note_id,
            user_id: n.user_id,
            text: n.body,
            author: n.author,
            created_at: n.created_at,
            removed_at: n.removed_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteList {
    /// Newest first.
    pub items: Vec<NoteBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreatePunishment {
    /// `warn`, `suspend`, `mute`, `kick`, `ban` or `softban`.
    #[schema(example = "mute")]
    pub kind: String,
    #[schema(example = "323456789012345678")]
    pub user_id: String,
    /// 1 to 500 characters.
    pub reason: String,
    /// Required for `suspend` and `mute`: `30m`, `2d`, `1d12h` (1 minute to 30 days).
    #[schema(example = "1d12h")]
    pub duration: Option<String>,
    /// Bans: days of messages to delete (0–7).
    pub delete_days: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RemovePunishment {
    /// 1 to 500 characters.
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EditPunishment {
    /// New total length of a suspension or mute, from when it was given: `30m`, `2d`,
    /// `1d12h` (1 minute to 30 days). The expiry timer moves.
    #[schema(example = "3d")]
    pub duration: Option<String>,
    /// New reason, 1 to 500 characters.
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateNote {
    /// 1 to 1000 characters.
    pub text: String,
}

/// The target as the API knows it: no Discord roles, so no level, owner or position; the
/// apply job checks those on Discord.
fn api_target(user: Snowflake) -> Target {
    Target {
        facts: TargetFacts {
            user_id: user,
            level: domain::Level::NONE,
            is_owner: false,
            top_position: None,
        },
        bot_top_position: None,
    }
}

/// Gives a punishment; Discord's side (DM, role, kick or ban, log) is queued as jobs.
/// The key needs the role of the matching command (warn, suspend, mute: Security; kick,
/// ban, softban: Officer).
#[utoipa::path(
    post,
    path = "/v1/guilds/{guild_id}/punishments",
    tag = "moderation",
    params(("guild_id" = String, Path, description = "Discord server id")),
    request_body = CreatePunishment,
    responses(
        (status = 201, description = "The new punishment, `active`.", body = PunishmentBody),
        (status = 400, description = "Malformed JSON or path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "The key's level is below the kind's role, or another guild's key.", body = ErrorBody),
        (status = 409, description = "Already suspended or muted, no punishment role configured, or acting on oneself.", body = ErrorBody),
        (status = 422, description = "Unknown kind, bad id, reason, or duration (missing, malformed, under 1 minute or over 30 days).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_punishment(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Security>,
    ApiJson(body): ApiJson<CreatePunishment>,
) -> Result<(StatusCode, Json<PunishmentBody>), ApiError> {
    let kind = PunishmentKind::parse(body.kind.trim()).ok_or_else(|| {
        ApiError::unprocessable(
            "invalid_kind",
            format!(
                "`kind` must be warn, suspend, mute, kick, ban or softban, not `{}`.",
                body.kind
            ),
        )
    })?;
    let user = body_snowflake("user_id", &body.user_id)?;
    if !kind.timed() && body.duration.is_some() {
        return Err(ApiError::unprocessable(
            "duration_not_allowed",
            format!(
                "A {} has no duration; only suspend and mute take one.",
                kind.as_str()
            ),
        ));
    }
    let request = PunishRequest {
        kind,
        reason: body.reason,
        duration: body.duration,
        delete_days: body.delete_days,
    };
    let p = service::moderation::punish(
        &state.pool,
        auth.guild,
        &auth.actor,
        &api_target(user),
        request,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(p.into())))
}

/// A member's punishments, newest first, ended ones included. Security or above.
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/members/{user_id}/punishments",
    tag = "moderation",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("user_id" = String, Path, description = "Discord user id"),
    ),
    responses(
        (status = 200, description = "The punishments.", body = PunishmentList),
        (status = 400, description = "Malformed path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Security, or another guild's key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn member_punishments(
    State(state): State<ApiState>,
    auth: GuildAuth,
    params: PathParams,
) -> Result<Json<PunishmentList>, ApiError> {
    let user = params.snowflake("user_id")?;
    let (items, _) =
        service::moderation::history(&state.pool, auth.guild, &auth.actor, user, 0, LIST_MAX)
            .await?;
    Ok(Json(PunishmentList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Removes a punishment by its id (`P-4K7Q2`): it stays in history as `removed`, and a
/// running suspension or mute loses its role. A security-level key removes any warning and
/// the punishments it gave itself; officer or above removes any.
#[utoipa::path(
    post,
    path = "/v1/guilds/{guild_id}/punishments/{id}/remove",
    tag = "moderation",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("id" = String, Path, description = "Punishment id, e.g. P-4K7Q2"),
    ),
    request_body = RemovePunishment,
    responses(
        (status = 200, description = "The punishment, `removed`.", body = PunishmentBody),
        (status = 400, description = "Malformed JSON or path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Security; a security key removing a suspension, mute, kick or ban another gave; or another guild's key.", body = ErrorBody),
        (status = 404, description = "No such punishment in this guild.", body = ErrorBody),
        (status = 409, description = "Already removed or expired (`punishment_not_active`).", body = ErrorBody),
        (status = 422, description = "Malformed id or reason.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn remove_punishment(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Security>,
    params: PathParams,
    ApiJson(body): ApiJson<RemovePunishment>,
) -> Result<Json<PunishmentBody>, ApiError> {
    let code = params.text("id")?;
    let p = service::moderation::remove(&state.pool, auth.guild, &auth.actor, code, &body.reason)
        .await?;
    Ok(Json(p.into()))
}

/// Adds a staff note about a member. Security or above.
#[utoipa::path(
    post,
    path = "/v1/guilds/{guild_id}/members/{user_id}/notes",
    tag = "moderation",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("user_id" = String, Path, description = "Discord user id"),
    ),
    request_body = CreateNote,
    responses(
        (status = 201, description = "The note.", body = NoteBody),
        (status = 400, description = "Malformed JSON or path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Security, or another guild's key.", body = ErrorBody),
        (status = 422, description = "Text empty or over 1000 characters.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_note(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Security>,
    params: PathParams,
    ApiJson(body): ApiJson<CreateNote>,
) -> Result<(StatusCode, Json<NoteBody>), ApiError> {
    let user = params.snowflake("user_id")?;
    let note = service::moderation::add_note(
        &state.pool,
        auth.guild,
        &auth.actor,
        &api_target(user),
        &body.text,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(note.into())))
}

/// A member's notes, newest first. Security or above.
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/members/{user_id}/notes",
    tag = "moderation",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("user_id" = String, Path, description = "Discord user id"),
    ),
    responses(
        (status = 200, description = "The notes.", body = NoteList),
        (status = 400, description = "Malformed path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Security, or another guild's key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn member_notes(
    State(state): State<ApiState>,
    auth: GuildAuth,
    params: PathParams,
) -> Result<Json<NoteList>, ApiError> {
    let user = params.snowflake("user_id")?;
    let (items, _) =
        service::moderation::notes(&state.pool, auth.guild, &auth.actor, user, 0, LIST_MAX).await?;
    Ok(Json(NoteList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Removes a note. Officer or above.
#[utoipa::path(
    delete,
    path = "/v1/guilds/{guild_id}/notes/{id}",
    tag = "moderation",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("id" = i64, Path, description = "Note number"),
    ),
    responses(
        (status = 200, description = "The note, with `removed_at`.", body = NoteBody),
        (status = 400, description = "Malformed path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Officer, or another guild's key.", body = ErrorBody),
        (status = 404, description = "No such note in this guild.", body = ErrorBody),
        (status = 409, description = "Already removed.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_note(
    State(state): State<ApiState>,
    auth: GuildAuth,
    params: PathParams,
) -> Result<Json<NoteBody>, ApiError> {
    let id = params.number("id", "a note number such as 12")?;
    let note = service::moderation::remove_note(&state.pool, auth.guild, &auth.actor, id).await?;
    Ok(Json(note.into()))
}

/// Changes a running punishment's length (suspensions and mutes) or reason. The key that
/// gave it, or an officer-level key. The member is told by DM and the punishment log says
/// what changed; a new length moves the expiry.
#[utoipa::path(
    patch,
    path = "/v1/guilds/{guild_id}/punishments/{id}",
    tag = "moderation",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("id" = String, Path, description = "Punishment id, e.g. P-4K7Q2"),
    ),
    request_body = EditPunishment,
    responses(
        (status = 200, description = "The punishment as it is now.", body = PunishmentBody),
        (status = 400, description = "Malformed JSON or path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Security; a security key editing a punishment another gave; or another guild's key.", body = ErrorBody),
        (status = 404, description = "No such punishment in this guild.", body = ErrorBody),
        (status = 409, description = "Not running any more (`punishment_not_active`), or the new length is already over (`edit_already_over`).", body = ErrorBody),
        (status = 422, description = "Malformed id, reason or duration; a duration for a kind without one; nothing to change.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn edit_punishment(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Security>,
    params: PathParams,
    ApiJson(body): ApiJson<EditPunishment>,
) -> Result<Json<PunishmentBody>, ApiError> {
    let code = params.text("id")?;
    let edited = service::moderation::edit(
        &state.pool,
        auth.guild,
        &auth.actor,
        code,
        service::moderation::EditRequest {
            duration: body.duration,
            reason: body.reason,
        },
    )
    .await?;
    Ok(Json(edited.punishment.into()))
}
