//! The route table and the OpenAPI 3 document generated from it.
//!
//! Routes are registered with `utoipa_axum::routes!`, which takes each handler's path and
//! method from its `#[utoipa::path]`, so the served routes and the document cannot drift.

use std::sync::Arc;

use axum::extract::Extension;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::routes::{config, health, metrics, moderation, modmail, quota, runs, verification};
use crate::{ApiError, ApiState};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "raidbot API",
        description = "REST adapter over raidbot's use cases. Snowflakes are JSON strings, \
                       times RFC 3339 UTC, errors `{\"error\":{\"code\",\"message\"}}`.",
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "meta", description = "Health, metrics and this document; no key needed."),
        (name = "config", description = "Guild role and channel mappings."),
        (name = "runs", description = "Raid runs and their participants."),
        (name = "points", description = "Raider and quota points: leaderboard and member stats."),
        (name = "moderation", description = "Punishments and staff notes."),
        (name = "modmail", description = "Modmail tickets and their transcripts."),
        (name = "verification", description = "Verification settings, members' names and alts, custom role verifications."),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The service key, or a per-guild API key (`rbk_...`)."))
                    .build(),
            ),
        );
    }
}

/// The document served at `/v1/openapi.json`, pre-rendered once.
#[derive(Clone)]
struct Document(Arc<String>);

fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(openapi_json))
        .routes(routes!(metrics::metrics))
        .routes(routes!(config::get_roles, config::put_roles))
        .routes(routes!(config::get_channels, config::put_channels))
        .routes(routes!(runs::list_runs, runs::create_run))
        .routes(routes!(runs::get_run))
        .routes(routes!(runs::join_run))
        .routes(routes!(runs::leave_run))
        .routes(routes!(runs::start_run))
        .routes(routes!(runs::end_run))
        .routes(routes!(runs::cancel_run))
        .routes(routes!(quota::leaderboard))
        .routes(routes!(quota::member_stats))
        .routes(routes!(moderation::create_punishment))
        .routes(routes!(moderation::member_punishments))
        .routes(routes!(moderation::remove_punishment))
        .routes(routes!(moderation::member_notes, moderation::create_note))
        .routes(routes!(moderation::delete_note))
        .routes(routes!(modmail::list_tickets))
        .routes(routes!(modmail::get_ticket))
        .routes(routes!(verification::get_config, verification::put_config))
        .routes(routes!(verification::get_member, verification::unverify))
        .routes(routes!(verification::verify))
        .routes(routes!(verification::add_alt))
        .routes(routes!(verification::remove_alt))
        .routes(routes!(verification::list_custom_roles))
        .routes(routes!(verification::remove_custom_role))
}

/// The OpenAPI 3 document of every route (for `raidbot` to print or publish).
pub fn document() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}

/// The routes and JSON fallbacks, without state or middleware.
pub(crate) fn app() -> axum::Router<ApiState> {
    let (router, doc) = routes().split_for_parts();
    let rendered = match doc.to_json() {
        Ok(json) => json,
        Err(e) => {
            tracing::error!(error = %e, "cannot render the OpenAPI document");
            String::from("{}")
        }
    };
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(Extension(Document(Arc::new(rendered))))
}

/// This document.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3 document.", content_type = "application/json"))
)]
async fn openapi_json(Extension(Document(json)): Extension<Document>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        json.as_ref().clone(),
    )
        .into_response()
}

async fn not_found() -> ApiError {
    ApiError::not_found("not_found", "There is no such route; see /v1/openapi.json.")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This route does not accept that method; see /v1/openapi.json.",
    )
}
