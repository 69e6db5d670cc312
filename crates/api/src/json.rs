//! A `Json` extractor whose rejections are API errors: bad JSON syntax is a 400, JSON of
//! the wrong shape (missing field, wrong type) a 422, both in the usual error body instead
//! of axum's plain-text default. Text holding a NUL character (`\u0000`, which PostgreSQL
//! cannot store) is a 422 naming the field, before any handler runs.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::ApiError;

/// Use in handlers instead of `axum::Json` for request bodies.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<serde_json::Value>::from_request(req, state)
            .await
            .map_err(rejection_error)?;
        // Every body is an object: serde would read `[null, null]` as a struct of options.
        if !value.is_object() {
            return Err(ApiError::unprocessable(
                "invalid_body",
                "The request body must be a JSON object.",
            ));
        }
        if let Some(field) = nul_field(&value, "") {
            return Err(nul_error(&field));
        }
        serde_json::from_value(value).map(ApiJson).map_err(|e| {
            ApiError::unprocessable(
                "invalid_body",
                format!("The request body does not have the expected fields: {e}"),
            )
        })
    }
}

/// The 422 for text with a NUL character in `field`.
pub fn nul_error(field: &str) -> ApiError {
    ApiError::unprocessable(
        "invalid_text",
        format!("`{field}` contains a NUL character (\\u0000), which cannot be stored; remove it."),
    )
}

/// The first field (a dotted path, `[i]` for array items) whose text or key holds a NUL.
fn nul_field(value: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => Some(if path.is_empty() {
            "body".to_owned()
        } else {
            path.to_owned()
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_field(v, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.contains('\0') {
                Some(here.replace('\0', "\\u0000"))
            } else {
                nul_field(v, &here)
            }
        }),
        _ => None,
    }
}

fn rejection_error(rejection: JsonRejection) -> ApiError {
    // axum's texts start with what failed and end with serde's detail; both are useful.
    let detail = rejection.body_text();
    match rejection {
        JsonRejection::JsonDataError(_) => ApiError::unprocessable(
            "invalid_body",
            format!("The request body does not have the expected fields: {detail}"),
        ),
        JsonRejection::JsonSyntaxError(_) => ApiError::bad_request(
            "malformed_json",
            format!("The request body is not valid JSON: {detail}"),
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the request body as JSON with `Content-Type: application/json`.",
        ),
        other => {
            let status = other.status();
            let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "body_too_large"
            } else {
                "unreadable_body"
            };
            ApiError::new(
                status,
                code,
                format!("The request body could not be read: {detail}"),
            )
        }
    }
}
