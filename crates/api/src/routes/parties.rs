//! Party finder (`/party`): post a party for the acting member, read one, extend or close
//! it. The same `service::party` functions as the command and the post's buttons.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use domain::Snowflake;
use serde::{Deserialize, Serialize};
use service::party::{Party, PartyRequest};
use utoipa::ToSchema;

use crate::auth::{AtLeast, gate};
use crate::error::ErrorBody;
use crate::json::ApiJson;
use crate::params::PathParams;
use crate::{ApiError, ApiState};

#[derive(Debug, Serialize, ToSchema)]
pub struct PartyBody {
    #[schema(example = 3)]
    pub id: i64,
    #[schema(value_type = String, example = "323456789012345678")]
    pub owner_id: Snowflake,
    pub name: String,
    pub location: Option<String>,
    pub description: Option<String>,
    /// `open` or `closed`.
    #[schema(example = "open")]
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// When it closes by itself unless extended.
    pub closes_at: DateTime<Utc>,
    pub extended_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<String>)]
    pub closed_by: Option<Snowflake>,
    /// `owner`, `moderator` or `auto` once closed.
    pub close_reason: Option<String>,
}

impl From<Party> for PartyBody {
    fn from(p: Party) -> Self {
        PartyBody {
            id: p.party_id,
            owner_id: p.owner_id,
            name: p.name,
            location: p.location,
            description: p.description,
            status: p.status.as_str().to_owned(),
            created_at: p.created_at,
            closes_at: p.closes_at,
            extended_at: p.extended_at,
            closed_at: p.closed_at,
            closed_by: p.closed_by,
            close_reason: p.close_reason.map(|r| r.as_str().to_owned()),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateParty {
    /// What the party does, 1 to 100 characters.
    #[schema(example = "Lost Halls cult")]
    pub name: String,
    pub location: Option<String>,
    pub description: Option<String>,
}

/// What an extension did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExtendedBody {
    #[serde(flatten)]
    pub party: PartyBody,
    /// False when it came right after another extension (a double click) and changed
    /// nothing.
    pub changed: bool,
}

fn party_id(params: &PathParams) -> Result<i64, ApiError> {
    params.number("party_id", "a party number such as 3")
}

/// Posts a party for the acting member (`X-Actor-Id` with the service key): one open party
/// each, a few per hour. Verified raiders and up.
#[utoipa::path(
    post,
    path = "/v1/guilds/{guild_id}/parties",
    tag = "parties",
    params(("guild_id" = String, Path, description = "Discord server id")),
    request_body = CreateParty,
    responses(
        (status = 201, description = "The new party, `open`.", body = PartyBody),
        (status = 403, description = "Below Verified Raider, suspended, or another guild's key.", body = ErrorBody),
        (status = 409, description = "The member has an open party, posted too many this hour, or there is no party finder channel.", body = ErrorBody),
        (status = 422, description = "No member to post as (an API key), or text empty or too long.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_party(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::VerifiedRaider>,
    ApiJson(body): ApiJson<CreateParty>,
) -> Result<(StatusCode, Json<PartyBody>), ApiError> {
    let request = PartyRequest {
        name: body.name,
        location: body.location,
        description: body.description,
    };
    let party = service::party::create(&state.pool, auth.guild, &auth.actor, request).await?;
    Ok((StatusCode::CREATED, Json(party.into())))
}

/// One party. Verified raiders and up (its post is public).
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/parties/{party_id}",
    tag = "parties",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("party_id" = i64, Path, description = "Party number"),
    ),
    responses(
        (status = 200, description = "The party.", body = PartyBody),
        (status = 404, description = "No such party in this guild.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_party(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::VerifiedRaider>,
    params: PathParams,
) -> Result<Json<PartyBody>, ApiError> {
    let id = party_id(&params)?;
    let party = service::party::get(&state.pool, auth.guild, id).await?;
    Ok(Json(party.into()))
}

/// Keeps a party open one more hour (up to its longest lifetime). Its owner only.
#[utoipa::path(
    post,
    path = "/v1/guilds/{guild_id}/parties/{party_id}/extend",
    tag = "parties",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("party_id" = i64, Path, description = "Party number"),
    ),
    responses(
        (status = 200, description = "The party with its new closing time.", body = ExtendedBody),
        (status = 403, description = "Not the party's owner.", body = ErrorBody),
        (status = 404, description = "No such party in this guild.", body = ErrorBody),
        (status = 409, description = "Closed already, or at its longest lifetime.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn extend_party(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::VerifiedRaider>,
    params: PathParams,
) -> Result<Json<ExtendedBody>, ApiError> {
    let id = party_id(&params)?;
    let e = service::party::extend(&state.pool, auth.guild, id, &auth.actor).await?;
    Ok(Json(ExtendedBody {
        party: e.party.into(),
        changed: e.changed,
    }))
}

/// Closes a party and removes its post. Its owner, or a moderator or above.
#[utoipa::path(
    post,
    path = "/v1/guilds/{guild_id}/parties/{party_id}/close",
    tag = "parties",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("party_id" = i64, Path, description = "Party number"),
    ),
    responses(
        (status = 200, description = "The party, `closed`.", body = PartyBody),
        (status = 403, description = "Neither its owner nor a moderator.", body = ErrorBody),
        (status = 404, description = "No such party in this guild.", body = ErrorBody),
        (status = 409, description = "Closed already.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn close_party(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::VerifiedRaider>,
    params: PathParams,
) -> Result<Json<PartyBody>, ApiError> {
    let id = party_id(&params)?;
    let party = service::party::close(&state.pool, auth.guild, id, &auth.actor).await?;
    Ok(Json(party.into()))
}
