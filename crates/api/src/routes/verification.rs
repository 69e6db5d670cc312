//! Verification over REST: the guild's settings, a member's verification (names, when,
//! how), staff verification and alts, and the custom role verifications.
//!
//! Each route calls the use case of the matching Discord command, so a key needs that
//! command's role: settings and role verifications Moderator (`/configverification`,
//! `/addroleverification`), members Security (`/verify`, `/unverify`, `/addalt`,
//! `/removealt`, `/find`). Roles, nicknames, panels and DMs change on Discord through the
//! same jobs the commands queue.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use domain::Snowflake;
use serde::{Deserialize, Serialize};
use service::verification::{self as veri, ConfigChange};
use service::verification::{CustomRole, MemberVerification, VeriConfig};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AtLeast, GuildAuth, gate};
use crate::error::ErrorBody;
use crate::json::ApiJson;
use crate::params::{ApiQuery, PathParams, body_snowflake};
use crate::{ApiError, ApiState};

/// The guild's verification settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationConfigBody {
    /// Members may verify with a code in their RealmEye description.
    pub realmeye: bool,
    /// Members may verify with a screenshot reviewed by staff.
    pub screenshot: bool,
    /// Extra text on the get-verified panel.
    pub panel_message: Option<String>,
    /// An https:// image on the panel.
    pub image_url: Option<String>,
    /// RealmEye requirements; `null`: none.
    pub min_rank: Option<u32>,
    pub min_alive_fame: Option<u64>,
    pub min_characters: Option<u32>,
    pub min_account_age_days: Option<u32>,
    /// The profile's last-seen location must be hidden.
    pub hidden_location: bool,
}

impl From<VeriConfig> for VerificationConfigBody {
    fn from(c: VeriConfig) -> Self {
        let r = c.requirements;
        VerificationConfigBody {
            realmeye: c.realmeye_enabled,
            screenshot: c.screenshot_enabled,
            panel_message: c.panel_message,
            image_url: c.image_url,
            min_rank: r.min_rank,
            min_alive_fame: r.min_alive_fame,
            min_characters: r.min_characters,
            min_account_age_days: r.min_account_age_days,
            hidden_location: r.hidden_location,
        }
    }
}

/// A change of the settings, as `/configverification` makes it: absent fields stay as
/// they are; a requirement of 0 removes it; an empty text clears it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationConfigChange {
    pub realmeye: Option<bool>,
    pub screenshot: Option<bool>,
    /// Up to 1500 characters.
    pub panel_message: Option<String>,
    /// An https:// link, up to 500 characters.
    pub image_url: Option<String>,
    /// 0 to 100.
    pub min_rank: Option<u32>,
    pub min_alive_fame: Option<u64>,
    /// 0 to 100.
    pub min_characters: Option<u32>,
    /// 0 to 10000.
    pub min_account_age_days: Option<u32>,
    pub hidden_location: Option<bool>,
    /// Also post the get-verified panel in the `getverified` channel.
    #[serde(default)]
    pub post_panel: bool,
}

/// A member's verification.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberVerificationBody {
    #[schema(value_type = String, example = "323456789012345678")]
    pub user_id: Snowflake,
    /// `verified` or `unverified` (a member raidbot never saw is `unverified`).
    #[schema(example = "verified")]
    pub status: String,
    /// The main in-game name; kept after `unverify`, for history.
    #[schema(example = "Stormveil")]
    pub ign: Option<String>,
    pub alts: Vec<String>,
    /// When the member was last verified.
    pub verified_at: Option<DateTime<Utc>>,
    /// The staff member who verified them, when one did.
    #[schema(value_type = Option<String>)]
    pub verified_by: Option<Snowflake>,
    /// `realmeye`, `screenshot`, `staff` or `sync`.
    #[schema(example = "realmeye")]
    pub method: Option<String>,
}

impl From<MemberVerification> for MemberVerificationBody {
    fn from(m: MemberVerification) -> Self {
        MemberVerificationBody {
            user_id: m.names.user_id,
            status: m.names.status,
            ign: m.names.main.map(String::from),
            alts: m.names.alts.into_iter().map(String::from).collect(),
            verified_at: m.verified_at,
            verified_by: m.verified_by,
            method: m.method,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyMember {
    #[schema(example = "323456789012345678")]
    pub user_id: String,
    /// 1 to 10 letters, stored as typed, unique in the server (case-insensitively).
    #[schema(example = "Stormveil")]
    pub ign: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAlt {
    /// 1 to 10 letters, unique in the server across mains and alts.
    #[schema(example = "Stormalt")]
    pub ign: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnverifyQuery {
    /// Why (shown in veri_log).
    pub reason: Option<String>,
}

/// A custom role verification: a role granted after staff approve a screenshot.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomRoleBody {
    /// Its number (for removal).
    #[schema(example = 3)]
    pub id: i64,
    #[schema(example = "Oryx 3 completion")]
    pub name: String,
    #[schema(value_type = String)]
    pub role_id: Snowflake,
    pub description: Option<String>,
    #[schema(value_type = String)]
    pub review_channel_id: Snowflake,
    pub created_at: DateTime<Utc>,
    /// Set on a removed one.
    pub removed_at: Option<DateTime<Utc>>,
}

impl From<CustomRole> for CustomRoleBody {
    fn from(c: CustomRole) -> Self {
        CustomRoleBody {
            id: c.custom_role_id,
            name: c.name,
            role_id: c.role_id,
            description: c.description,
            review_channel_id: c.review_channel_id,
            created_at: c.created_at,
            removed_at: c.removed_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomRoleList {
    /// Oldest first; removed ones are not listed.
    pub items: Vec<CustomRoleBody>,
}

async fn member_body(
    state: &ApiState,
    auth: &GuildAuth,
    user: Snowflake,
) -> Result<MemberVerificationBody, ApiError> {
    Ok(
        veri::member_verification(&state.pool, auth.guild, &auth.actor, user)
            .await?
            .into(),
    )
}

/// The verification settings. Moderator or above.
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/verification/config",
    tag = "verification",
    params(("guild_id" = String, Path, description = "Discord server id")),
    responses(
        (status = 200, description = "The settings (defaults until changed).", body = VerificationConfigBody),
        (status = 400, description = "Malformed path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Moderator, or another guild's key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_config(
    State(state): State<ApiState>,
    auth: GuildAuth,
) -> Result<Json<VerificationConfigBody>, ApiError> {
    let c = veri::config_for_staff(&state.pool, auth.guild, &auth.actor).await?;
    Ok(Json(c.into()))
}

/// Changes the verification settings like `/configverification`: absent fields are kept.
/// Moderator or above.
#[utoipa::path(
    put,
    path = "/v1/guilds/{guild_id}/verification/config",
    tag = "verification",
    params(("guild_id" = String, Path, description = "Discord server id")),
    request_body = VerificationConfigChange,
    responses(
        (status = 200, description = "The settings after the change.", body = VerificationConfigBody),
        (status = 400, description = "Malformed JSON or path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Moderator, or another guild's key.", body = ErrorBody),
        (status = 409, description = "`post_panel` without a `getverified` channel.", body = ErrorBody),
        (status = 422, description = "Both methods off, an image that is not https://, a value out of range, or an unknown field.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn put_config(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Moderator>,
    ApiJson(body): ApiJson<VerificationConfigChange>,
) -> Result<Json<VerificationConfigBody>, ApiError> {
    let check = |field: &str, value: Option<u32>, max: u32| match value {
        Some(v) if v > max => Err(ApiError::unprocessable(
            "out_of_range",
            format!("`{field}` must be between 0 and {max}, not {v}."),
        )),
        _ => Ok(()),
    };
    check("min_rank", body.min_rank, 100)?;
    check("min_characters", body.min_characters, 100)?;
    check("min_account_age_days", body.min_account_age_days, 10_000)?;
    if body.min_alive_fame.is_some_and(|f| f > i64::MAX as u64) {
        return Err(ApiError::unprocessable(
            "out_of_range",
            "`min_alive_fame` is too large.",
        ));
    }
    let too_long = |field: &str, text: &Option<String>, max: usize| {
        if text.as_ref().is_some_and(|t| t.chars().count() > max) {
            Err(ApiError::unprocessable(
                "too_long",
                format!("`{field}` may have at most {max} characters."),
            ))
        } else {
            Ok(())
        }
    };
    too_long("panel_message", &body.panel_message, 1500)?;
    too_long("image_url", &body.image_url, 500)?;
    let change = ConfigChange {
        realmeye: body.realmeye,
        screenshot: body.screenshot,
        panel_message: body.panel_message,
        image_url: body.image_url,
        min_rank: body.min_rank,
        min_alive_fame: body.min_alive_fame,
        min_characters: body.min_characters,
        min_account_age_days: body.min_account_age_days,
        hidden_location: body.hidden_location,
        post_panel: body.post_panel,
    };
    let c = veri::configure(&state.pool, auth.guild, &auth.actor, change).await?;
    Ok(Json(c.into()))
}

/// A member's verification: status, main IGN, alts, when, how and by whom. Security or
/// above.
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/members/{user_id}/verification",
    tag = "verification",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("user_id" = String, Path, description = "Discord user id"),
    ),
    responses(
        (status = 200, description = "The member's verification.", body = MemberVerificationBody),
        (status = 400, description = "Malformed path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Security, or another guild's key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_member(
    State(state): State<ApiState>,
    auth: GuildAuth,
    params: PathParams,
) -> Result<Json<MemberVerificationBody>, ApiError> {
    let user = params.snowflake("user_id")?;
    Ok(Json(member_body(&state, &auth, user).await?))
}

/// Verifies a member by hand, like `/verify`: the IGN is stored, then the verified role
/// and nickname are applied on Discord by a job. Security or above.
#[utoipa::path(
    post,
    path = "/v1/guilds/{guild_id}/verifications",
    tag = "verification",
    params(("guild_id" = String, Path, description = "Discord server id")),
    request_body = VerifyMember,
    responses(
        (status = 201, description = "The member, verified by `staff`.", body = MemberVerificationBody),
        (status = 400, description = "Malformed JSON or path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Security, or another guild's key.", body = ErrorBody),
        (status = 409, description = "The IGN belongs to another member (`ign_taken`).", body = ErrorBody),
        (status = 422, description = "Bad user id or IGN.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn verify(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Security>,
    ApiJson(body): ApiJson<VerifyMember>,
) -> Result<(StatusCode, Json<MemberVerificationBody>), ApiError> {
    let user = body_snowflake("user_id", &body.user_id)?;
    veri::verify(&state.pool, auth.guild, &auth.actor, user, &body.ign).await?;
    Ok((
        StatusCode::CREATED,
        Json(member_body(&state, &auth, user).await?),
    ))
}

/// Removes a member's verification, like `/unverify`: status back to `unverified`, the
/// verified role taken by a job, names kept for history. Security or above.
#[utoipa::path(
    delete,
    path = "/v1/guilds/{guild_id}/members/{user_id}/verification",
    tag = "verification",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("user_id" = String, Path, description = "Discord user id"),
        UnverifyQuery,
    ),
    responses(
        (status = 200, description = "The member, `unverified`.", body = MemberVerificationBody),
        (status = 400, description = "Malformed path or query.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Security, or another guild's key.", body = ErrorBody),
        (status = 409, description = "The member is not verified (`not_verified`).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn unverify(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Security>,
    params: PathParams,
    ApiQuery(query): ApiQuery<UnverifyQuery>,
) -> Result<Json<MemberVerificationBody>, ApiError> {
    let user = params.snowflake("user_id")?;
    let reason = query
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > 500) {
        return Err(ApiError::unprocessable(
            "too_long",
            "`reason` may have at most 500 characters.",
        ));
    }
    veri::unverify(&state.pool, auth.guild, &auth.actor, user, reason).await?;
    Ok(Json(member_body(&state, &auth, user).await?))
}

/// Adds an alternate IGN, like `/addalt`; the nickname is updated by a job. Security or
/// above.
#[utoipa::path(
    post,
    path = "/v1/guilds/{guild_id}/members/{user_id}/alts",
    tag = "verification",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("user_id" = String, Path, description = "Discord user id"),
    ),
    request_body = NewAlt,
    responses(
        (status = 201, description = "The member with the new alt.", body = MemberVerificationBody),
        (status = 400, description = "Malformed JSON or path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Security, or another guild's key.", body = ErrorBody),
        (status = 409, description = "No main IGN yet (`no_main`), the member already has it (`alt_exists`), or another member holds it (`ign_taken`).", body = ErrorBody),
        (status = 422, description = "Bad IGN.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn add_alt(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Security>,
    params: PathParams,
    ApiJson(body): ApiJson<NewAlt>,
) -> Result<(StatusCode, Json<MemberVerificationBody>), ApiError> {
    let user = params.snowflake("user_id")?;
    veri::add_alt(&state.pool, auth.guild, &auth.actor, user, &body.ign).await?;
    Ok((
        StatusCode::CREATED,
        Json(member_body(&state, &auth, user).await?),
    ))
}

/// Removes an alternate IGN, like `/removealt`. Security or above.
#[utoipa::path(
    delete,
    path = "/v1/guilds/{guild_id}/members/{user_id}/alts/{ign}",
    tag = "verification",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("user_id" = String, Path, description = "Discord user id"),
        ("ign" = String, Path, description = "The alt, any case"),
    ),
    responses(
        (status = 200, description = "The member without that alt.", body = MemberVerificationBody),
        (status = 400, description = "Malformed path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Security, or another guild's key.", body = ErrorBody),
        (status = 404, description = "The member has no such alt.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn remove_alt(
    State(state): State<ApiState>,
    auth: GuildAuth,
    params: PathParams,
) -> Result<Json<MemberVerificationBody>, ApiError> {
    let user = params.snowflake("user_id")?;
    let ign = params.text("ign")?;
    veri::remove_alt(&state.pool, auth.guild, &auth.actor, user, ign).await?;
    Ok(Json(member_body(&state, &auth, user).await?))
}

/// The custom role verifications that take requests, like `/roleverifications`.
/// Moderator or above.
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/verification/custom-roles",
    tag = "verification",
    params(("guild_id" = String, Path, description = "Discord server id")),
    responses(
        (status = 200, description = "The role verifications.", body = CustomRoleList),
        (status = 400, description = "Malformed path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Moderator, or another guild's key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_custom_roles(
    State(state): State<ApiState>,
    auth: GuildAuth,
) -> Result<Json<CustomRoleList>, ApiError> {
    let roles = veri::custom_roles(&state.pool, auth.guild, &auth.actor).await?;
    Ok(Json(CustomRoleList {
        items: roles.into_iter().map(Into::into).collect(),
    }))
}

/// Removes a custom role verification, like `/removeroleverification`: its panels are
/// deleted from Discord by jobs and open requests cancelled; granted roles stay.
/// Moderator or above.
#[utoipa::path(
    delete,
    path = "/v1/guilds/{guild_id}/verification/custom-roles/{id}",
    tag = "verification",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("id" = i64, Path, description = "The role verification's number"),
    ),
    responses(
        (status = 200, description = "The removed role verification, with `removed_at`.", body = CustomRoleBody),
        (status = 400, description = "Malformed path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Moderator, or another guild's key.", body = ErrorBody),
        (status = 404, description = "No such role verification here (or already removed).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn remove_custom_role(
    State(state): State<ApiState>,
    auth: GuildAuth,
    params: PathParams,
) -> Result<Json<CustomRoleBody>, ApiError> {
    let id = params.number("id", "a role verification number such as 3")?;
    let cr = veri::remove_custom_role(&state.pool, auth.guild, &auth.actor, id).await?;
    Ok(Json(cr.into()))
}
