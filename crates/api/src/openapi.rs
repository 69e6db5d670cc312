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

use crate::routes::{
    analytics, api_keys, audit, config, headcounts, health, metrics, moderation, modmail, parties,
    points, quota, runs, verification,
};
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
        (name = "meta", description = "Health, metrics, this document and its viewer at /docs; no key needed."),
        (name = "config", description = "Guild role and channel mappings."),
        (name = "runs", description = "Raid runs and their participants."),
        (name = "points", description = "Raider and quota points: leaderboard and member stats."),
        (name = "moderation", description = "Punishments and staff notes."),
        (name = "modmail", description = "Modmail tickets and their transcripts."),
        (name = "verification", description = "Verification settings, members' names and alts, custom role verifications."),
        (name = "headcounts", description = "Headcounts: who would come to which dungeons, converted into runs."),
        (name = "parties", description = "Party finder posts."),
        (name = "logs", description = "The audit log of configuration changes."),
        (name = "api keys", description = "The server's API keys (administrators)."),
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
        .routes(routes!(crate::docs::page))
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
        .routes(routes!(moderation::edit_punishment))
        .routes(routes!(modmail::stats))
        .routes(routes!(analytics::run_analytics))
        .routes(routes!(runs::run_pops))
        .routes(routes!(points::log_keys))
        .routes(routes!(points::log_runs))
        .routes(routes!(points::adjust))
        .routes(routes!(points::get_point_config, points::put_point_config))
        .routes(routes!(points::put_dungeon_points))
        .routes(routes!(points::get_quota_role, points::patch_quota_role))
        .routes(routes!(
            headcounts::create_headcount,
            headcounts::list_headcounts
        ))
        .routes(routes!(headcounts::get_headcount))
        .routes(routes!(headcounts::convert_headcount))
        .routes(routes!(headcounts::end_headcount))
        .routes(routes!(parties::create_party))
        .routes(routes!(parties::get_party))
        .routes(routes!(parties::extend_party))
        .routes(routes!(parties::close_party))
        .routes(routes!(modmail::reply))
        .routes(routes!(audit::audit_log))
        .routes(routes!(api_keys::list_keys, api_keys::create_key))
        .routes(routes!(api_keys::revoke_key))
}

/// The OpenAPI 3 document of every route (for `raidbot` to print or publish).
pub fn document() -> utoipa::openapi::OpenApi {
    complete(routes().into_openapi())
}

/// The routes and JSON fallbacks, without state or middleware.
pub(crate) fn app() -> axum::Router<ApiState> {
    let (router, doc) = routes().split_for_parts();
    let doc = complete(doc);
    let rendered = match doc.to_json() {
        Ok(json) => json,
        Err(e) => {
            tracing::error!(error = %e, "cannot render the OpenAPI document");
            String::from("{}")
        }
    };
    router
        .route("/docs/viewer.js", axum::routing::get(crate::docs::script))
        .route("/docs/viewer.css", axum::routing::get(crate::docs::style))
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

/// A snowflake as the API accepts it: canonical decimal from 1 to 2^63 − 1 (up to 18
/// digits, or 19 starting with 1–8; the few larger values this leaves out are no real id).
pub const SNOWFLAKE_PATTERN: &str = "^(?:[1-9][0-9]{0,17}|[1-8][0-9]{18})$";

/// What `utoipa`'s derives cannot say, added to the generated document in one place so
/// that every route gets it alike: the answers every route can give (a bad path id, a key
/// of another guild or too low, the rate limit, the database being down, a body of the
/// wrong media type), and the shape of ids, enums, lengths and ranges of inputs.
fn complete(doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let Ok(mut json) = serde_json::to_value(&doc) else {
        return doc;
    };
    complete_json(&mut json);
    serde_json::from_value(json).unwrap_or(doc)
}

fn complete_json(doc: &mut serde_json::Value) {
    use serde_json::{Value, json};
    let error = |description: &str| {
        json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        })
    };
    let retry = |description: &str| {
        let mut e = error(description);
        e["headers"] = json!({"Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer", "minimum": 1}
        }});
        e
    };
    let snowflake = json!({"type": "string", "pattern": SNOWFLAKE_PATTERN});
    let number = json!({"type": "integer", "format": "int64", "minimum": 1});
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (_, op) in item.iter_mut() {
                if !path.starts_with("/v1/guilds/") {
                    continue;
                }
                let mut has_query = false;
                let mut has_text_path = false;
                for param in op["parameters"].as_array_mut().into_iter().flatten() {
                    let name = param["name"].as_str().unwrap_or_default().to_owned();
                    let schema = match (param["in"].as_str(), name.as_str()) {
                        (Some("path"), "guild_id" | "user_id" | "role_id") => snowflake.clone(),
                        (Some("path"), "run_id" | "headcount_id" | "party_id" | "key_id") => {
                            number.clone()
                        }
                        (Some("path"), "id")
                            if path.contains("/notes/") || path.contains("/custom-roles/") =>
                        {
                            number.clone()
                        }
                        (Some("path"), _) => {
                            has_text_path = true;
                            json!({"type": "string", "minLength": 1, "maxLength": 100})
                        }
                        (Some("query"), _) => {
                            has_query = true;
                            match query_schema(path, &name) {
                                Some(schema) => schema,
                                None => continue,
                            }
                        }
                        _ => continue,
                    };
                    param["schema"] = schema;
                }
                let has_body = op.get("requestBody").is_some();
                let Some(responses) = op["responses"].as_object_mut() else {
                    continue;
                };
                let mut add = |status: &str, answer: Value| {
                    responses.entry(status.to_owned()).or_insert(answer);
                };
                add(
                    "400",
                    error("A malformed path id (`invalid_path_parameter`), query or JSON body."),
                );
                add("401", error("No key, or not a valid one."));
                add(
                    "403",
                    error("Another guild's key, or one below the level this route needs."),
                );
                add(
                    "429",
                    retry("This key sent too many requests (`rate_limited`)."),
                );
                add(
                    "503",
                    retry(
                        "The database is unreachable (`database_unavailable`); nothing was changed.",
                    ),
                );
                if has_body {
                    add("413", error("The body is too large (`body_too_large`)."));
                    add(
                        "415",
                        error(
                            "The body is not sent as `application/json` (`unsupported_media_type`).",
                        ),
                    );
                }
                if has_body || has_query || has_text_path {
                    add(
                        "422",
                        error(
                            "A value the API cannot accept (the message names it), e.g. text holding a NUL character (`invalid_text`).",
                        ),
                    );
                }
            }
        }
    }
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    // No `maxLength` on free text: the API trims before it counts (a 1000-character note
    // with a newline in front is accepted), which JSON Schema cannot say; the limits are
    // in the fields' descriptions and over-long text is a 422 naming the field.
    let constraints: &[(&str, &str, Value)] = &[
        (
            "CreateRun",
            "organizer_id",
            json!({"pattern": SNOWFLAKE_PATTERN}),
        ),
        ("CreateRun", "dungeon", json!({"minLength": 1})),
        (
            "CreateRun",
            "raider_cap",
            json!({"minimum": 1, "maximum": 1000}),
        ),
        (
            "CreateRun",
            "duration_minutes",
            json!({"minimum": 1, "maximum": 1440}),
        ),
        ("JoinRun", "user_id", json!({"pattern": SNOWFLAKE_PATTERN})),
        (
            "CreatePunishment",
            "user_id",
            json!({"pattern": SNOWFLAKE_PATTERN}),
        ),
        (
            "CreatePunishment",
            "kind",
            json!({"enum": ["warn", "suspend", "mute", "kick", "ban", "softban"]}),
        ),
        ("CreatePunishment", "reason", json!({"minLength": 1})),
        ("CreatePunishment", "duration", json!({"minLength": 1})),
        (
            "CreatePunishment",
            "delete_days",
            json!({"minimum": 0, "maximum": 7}),
        ),
        ("RemovePunishment", "reason", json!({"minLength": 1})),
        ("CreateNote", "text", json!({"minLength": 1})),
        (
            "VerifyMember",
            "user_id",
            json!({"pattern": SNOWFLAKE_PATTERN}),
        ),
        ("VerifyMember", "ign", json!({"minLength": 1})),
        ("NewAlt", "ign", json!({"minLength": 1})),
        (
            "VerificationConfigChange",
            "min_rank",
            json!({"minimum": 0, "maximum": 100}),
        ),
        (
            "VerificationConfigChange",
            "min_alive_fame",
            json!({"minimum": 0}),
        ),
        (
            "VerificationConfigChange",
            "min_characters",
            json!({"minimum": 0, "maximum": 100}),
        ),
        (
            "VerificationConfigChange",
            "min_account_age_days",
            json!({"minimum": 0, "maximum": 10000}),
        ),
        (
            "LogKeys",
            "amount",
            json!({"minimum": -999, "maximum": 999}),
        ),
        ("LogKeys", "dungeon", json!({"minLength": 1})),
        (
            "LogRuns",
            "amount",
            json!({"minimum": -999, "maximum": 999}),
        ),
        ("LogRuns", "dungeon", json!({"minLength": 1})),
        (
            "Adjustment",
            "currency",
            json!({"enum": ["raider", "quota"]}),
        ),
        ("Adjustment", "amount", json!({"minLength": 1})),
        ("Adjustment", "reason", json!({"minLength": 1})),
        (
            "PointDefaults",
            "completion_points",
            json!({"minLength": 1}),
        ),
        ("PointDefaults", "key_pop_points", json!({"minLength": 1})),
        (
            "CreateHeadcount",
            "organizer_id",
            json!({"pattern": SNOWFLAKE_PATTERN}),
        ),
        (
            "CreateHeadcount",
            "dungeons",
            json!({"minItems": 1, "maxItems": 4}),
        ),
        ("ConvertHeadcount", "dungeon", json!({"minLength": 1})),
        ("CreateParty", "name", json!({"minLength": 1})),
        ("CreateApiKey", "label", json!({"minLength": 1})),
        ("CreateApiKey", "level", json!({"minimum": 1, "maximum": 8})),
    ];
    for (schema, property, extra) in constraints {
        let Some(target) = schemas
            .get_mut(*schema)
            .and_then(|s| s.pointer_mut(&format!("/properties/{property}")))
            .and_then(Value::as_object_mut)
        else {
            tracing::warn!(
                schema,
                property,
                "OpenAPI constraint for a field that is gone"
            );
            continue;
        };
        for (k, v) in extra.as_object().into_iter().flatten() {
            target.insert(k.clone(), v.clone());
        }
    }
}

/// The run history (not `/analytics/runs`, which ends alike).
const RUNS: &str = "/v1/guilds/{guild_id}/runs";

/// Query parameters with a fixed vocabulary or range.
fn query_schema(path: &str, name: &str) -> Option<serde_json::Value> {
    use serde_json::json;
    let limit = json!({"type": "integer", "minimum": 1, "maximum": crate::routes::runs::MAX_LIMIT});
    Some(match (path.rsplit('/').next().unwrap_or_default(), name) {
        ("runs", "status") => {
            json!({"type": "string", "enum": ["open", "live", "ended", "cancelled"]})
        }
        ("tickets", "status") => json!({"type": "string", "enum": ["open", "closed"]}),
        ("leaderboard", "currency") => json!({"type": "string", "enum": ["raider", "quota"]}),
        ("leaderboard", "category") => json!({"type": "string", "enum": [
            "raider_points", "quota_points", "runs_organized", "runs_completed", "keys_popped"
        ]}),
        ("leaderboard", "period") => json!({"type": "string", "enum": ["current", "last", "all"]}),
        ("runs", "organizer") if path == RUNS => {
            json!({"type": "string", "pattern": SNOWFLAKE_PATTERN})
        }
        ("runs", "dungeon") if path == RUNS => json!({"type": "string", "minLength": 1}),
        ("audit-log", "action") => json!({"type": "string", "pattern": "^[a-z_]{1,64}$"}),
        (_, "limit") => limit,
        _ => return None,
    })
}
