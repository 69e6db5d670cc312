//! Guild configuration: which Discord role is each role key, which channel each channel key.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use domain::{ChannelKey, RoleKey, Snowflake};

use crate::auth::{AtLeast, GuildAuth, gate};
use crate::error::ErrorBody;
use crate::json::ApiJson;
use crate::{ApiError, ApiState};

/// A partial mapping as sent: key → id to set, or `null` to clear.
type Changes = BTreeMap<String, Option<String>>;

fn parse_changes<K: Copy>(
    body: &Changes,
    parse: fn(&str) -> Option<K>,
    all: &[K],
    name: fn(K) -> &'static str,
    unknown_code: &'static str,
    what: &str,
) -> Result<Vec<(K, Option<Snowflake>)>, ApiError> {
    body.iter()
        .map(|(text, value)| {
            let key = parse(text).ok_or_else(|| {
                let known: Vec<&str> = all.iter().map(|k| name(*k)).collect();
                ApiError::unprocessable(
                    unknown_code,
                    format!(
                        "`{text}` is not a {what} key; use one of: {}.",
                        known.join(", ")
                    ),
                )
            })?;
            let id = value
                .as_deref()
                .map(|v| {
                    crate::params::body_snowflake(text, v).map_err(|_| {
                        ApiError::unprocessable(
                            "invalid_snowflake",
                            format!(
                                "`{text}` must be a Discord {what} id (a number such as 123456789012345678, as a string) or null, not `{v}`."
                            ),
                        )
                    })
                })
                .transpose()?;
            Ok((key, id))
        })
        .collect()
}

/// The guild's role mapping, e.g. `{"organizer":"123","team":"456"}`.
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/config/roles",
    tag = "config",
    params(("guild_id" = String, Path, description = "Discord server id")),
    responses(
        (status = 200, description = "Role key → Discord role id.", body = BTreeMap<String, String>),
        (status = 400, description = "The guild id is not a snowflake.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "The key belongs to another guild.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_roles(
    State(state): State<ApiState>,
    auth: GuildAuth,
) -> Result<Json<BTreeMap<RoleKey, Snowflake>>, ApiError> {
    Ok(Json(
        service::config::view_roles(&state.pool, auth.guild, &auth.actor).await?,
    ))
}

/// Sets (id) or clears (`null`) role keys; keys not named stay. Administrators only.
#[utoipa::path(
    put,
    path = "/v1/guilds/{guild_id}/config/roles",
    tag = "config",
    params(("guild_id" = String, Path, description = "Discord server id")),
    request_body(
        content = BTreeMap<String, Option<String>>,
        description = "Role key → Discord role id, or null to clear.",
        example = json!({"organizer": "123456789012345678", "team": null})
    ),
    responses(
        (status = 200, description = "The whole mapping afterwards.", body = BTreeMap<String, String>),
        (status = 400, description = "Malformed JSON or path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Not an administrator of this guild.", body = ErrorBody),
        (status = 422, description = "Unknown role key (`unknown_role_key`) or a value that is not a snowflake.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn put_roles(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Administrator>,
    ApiJson(body): ApiJson<Changes>,
) -> Result<Json<BTreeMap<RoleKey, Snowflake>>, ApiError> {
    let changes = parse_changes(
        &body,
        RoleKey::parse,
        &RoleKey::ALL,
        RoleKey::as_str,
        "unknown_role_key",
        "role",
    )?;
    let after = service::config::set_roles(&state.pool, auth.guild, &auth.actor, &changes).await?;
    Ok(Json(after))
}

/// The guild's channel mapping, e.g. `{"raid":"123","raid_log":"456"}`.
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/config/channels",
    tag = "config",
    params(("guild_id" = String, Path, description = "Discord server id")),
    responses(
        (status = 200, description = "Channel key → Discord channel id.", body = BTreeMap<String, String>),
        (status = 400, description = "The guild id is not a snowflake.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "The key belongs to another guild.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_channels(
    State(state): State<ApiState>,
    auth: GuildAuth,
) -> Result<Json<BTreeMap<ChannelKey, Snowflake>>, ApiError> {
    Ok(Json(
        service::config::view_channels(&state.pool, auth.guild, &auth.actor).await?,
    ))
}

/// Sets (id) or clears (`null`) channel keys; keys not named stay. Administrators only.
#[utoipa::path(
    put,
    path = "/v1/guilds/{guild_id}/config/channels",
    tag = "config",
    params(("guild_id" = String, Path, description = "Discord server id")),
    request_body(
        content = BTreeMap<String, Option<String>>,
        description = "Channel key → Discord channel id, or null to clear.",
        example = json!({"raid": "123456789012345678", "raid_log": null})
    ),
    responses(
        (status = 200, description = "The whole mapping afterwards.", body = BTreeMap<String, String>),
        (status = 400, description = "Malformed JSON or path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Not an administrator of this guild.", body = ErrorBody),
        (status = 422, description = "Unknown channel key (`unknown_channel_key`) or a value that is not a snowflake.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn put_channels(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Administrator>,
    ApiJson(body): ApiJson<Changes>,
) -> Result<Json<BTreeMap<ChannelKey, Snowflake>>, ApiError> {
    let changes = parse_changes(
        &body,
        ChannelKey::parse,
        &ChannelKey::ALL,
        ChannelKey::as_str,
        "unknown_channel_key",
        "channel",
    )?;
    let after =
        service::config::set_channels(&state.pool, auth.guild, &auth.actor, &changes).await?;
    Ok(Json(after))
}
