//! Who is calling: `Authorization: Bearer <key>` turned into a [`service::Actor`] for the
//! guild named in the path.
//!
//! The service key from configuration acts as an administrator of every guild, for the
//! Discord user named by `X-Actor-Id` when given. A per-guild key acts at its own level,
//! only on its own guild (another guild's path is a 403), and stops working the moment it
//! is revoked (401). Request bodies never carry roles.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use domain::Snowflake;
use domain::roles::{Level, RoleKey};
use service::Actor;
use service::api_keys::ApiKey;

use crate::params::{PathParams, parse_snowflake};
use crate::{ApiError, ApiState, keys};

/// The header naming the Discord user a service-key request acts for.
pub const ACTOR_HEADER: &str = "x-actor-id";

/// An authenticated caller allowed on the guild in the path.
#[derive(Debug, Clone)]
pub struct GuildAuth {
    pub guild: Snowflake,
    pub actor: Actor,
}

enum Caller {
    Service,
    Key(ApiKey),
}

impl FromRequestParts<ApiState> for GuildAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers)?;
        let caller = authenticate(state, token).await?;
        let params = PathParams::from_request_parts(parts, state).await?;
        let guild = params.snowflake("guild_id")?;
        let acting_for = actor_header(&parts.headers)?;
        let actor = match caller {
            Caller::Service => Actor {
                user_id: acting_for,
                level: Level::ADMINISTRATOR,
                label: match acting_for {
                    Some(user) => format!("service key for user {user}"),
                    None => "service key".to_owned(),
                },
            },
            Caller::Key(key) => {
                if key.guild_id != guild {
                    return Err(ApiError::forbidden(
                        "This API key belongs to another server; it cannot be used on this one.",
                    ));
                }
                if acting_for.is_some() {
                    return Err(ApiError::forbidden(
                        "Only the service key may act for a Discord user (X-Actor-Id); a server's API key acts as itself.",
                    ));
                }
                Actor {
                    user_id: None,
                    level: key.level,
                    label: format!("api key '{}' (#{})", key.label, key.key_id),
                }
            }
        };
        Ok(GuildAuth { guild, actor })
    }
}

fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let missing = || {
        ApiError::unauthorized(
            "Send an API key as `Authorization: Bearer <key>` to use this route.",
        )
    };
    let value = headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(missing)?
        .to_str()
        .map_err(|_| missing())?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(missing)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(missing());
    }
    Ok(token)
}

fn invalid_key() -> ApiError {
    ApiError::unauthorized("This API key is not valid.")
}

async fn authenticate(state: &ApiState, token: &str) -> Result<Caller, ApiError> {
    if let Some(service_key) = state.service_key.as_deref()
        && !service_key.is_empty()
        && keys::secrets_equal(token, service_key)
    {
        return Ok(Caller::Service);
    }
    if !token.starts_with(keys::PREFIX) {
        return Err(invalid_key());
    }
    match service::api_keys::find(&state.pool, &keys::hash(token)).await? {
        Some(key) if key.revoked_at.is_some() => Err(ApiError::unauthorized(
            "This API key has been revoked; ask an administrator for a new one.",
        )),
        Some(key) => Ok(Caller::Key(key)),
        None => Err(invalid_key()),
    }
}

fn actor_header(headers: &HeaderMap) -> Result<Option<Snowflake>, ApiError> {
    let Some(value) = headers.get(ACTOR_HEADER) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::bad_request(
            "invalid_actor_id",
            "The X-Actor-Id header must be a Discord user id (a number such as 123456789012345678).",
        )
    };
    let text = value.to_str().map_err(|_| bad())?;
    parse_snowflake("X-Actor-Id", text)
        .map(Some)
        .map_err(|_| bad())
}

/// What a route demands of every caller, whatever the request says: checked by [`AtLeast`]
/// before the body or query is read, so a caller who may not use a route hears that (403)
/// rather than a complaint about a body they could never send. The `service` call behind
/// the route still makes the full decision (the target, the run, the punishment's kind);
/// this is the part of it that depends on the caller alone.
pub trait Gate {
    fn check(actor: &Actor) -> Result<(), service::ServiceError>;
}

/// An authenticated caller that passed the route's [`Gate`] `G`.
#[derive(Debug, Clone)]
pub struct AtLeast<G>(pub GuildAuth, pub PhantomData<G>);

impl<G: Gate> FromRequestParts<ApiState> for AtLeast<G> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Self, Self::Rejection> {
        let auth = GuildAuth::from_request_parts(parts, state).await?;
        G::check(&auth.actor)?;
        Ok(AtLeast(auth, PhantomData))
    }
}

/// The gates: a role key the caller must hold (or one above it).
pub mod gate {
    use super::*;

    macro_rules! role_gates {
        ($($name:ident),* $(,)?) => {$(
            #[doc = concat!("The caller holds ", stringify!($name), " or a role above it.")]
            #[derive(Debug, Clone, Copy)]
            pub struct $name;

            impl Gate for $name {
                fn check(actor: &Actor) -> Result<(), service::ServiceError> {
                    actor.require(RoleKey::$name)
                }
            }
        )*};
    }

    role_gates!(
        Administrator,
        Officer,
        Moderator,
        Security,
        Organizer,
        VerifiedRaider
    );

    /// Someone who can put a raider in a run at all: a verified member (themself), or
    /// staff who can manage any run (an API key has no member to join as).
    #[derive(Debug, Clone, Copy)]
    pub struct RosterChange;

    impl Gate for RosterChange {
        fn check(actor: &Actor) -> Result<(), service::ServiceError> {
            service::runs::may_change_some_roster(actor)
        }
    }
}
