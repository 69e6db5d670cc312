//! Path parameters, parsed into domain values with a 400 that names the parameter.

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use domain::Snowflake;

use crate::ApiError;

/// The raw path parameters of the matched route.
pub struct PathParams(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for PathParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request("invalid_path", e.body_text()))?;
        Ok(PathParams(
            raw.iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        ))
    }
}

impl PathParams {
    fn get(&self, name: &str) -> Result<&str, ApiError> {
        let value = self
            .0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            // A handler asking for a parameter its route lacks is a bug, not bad input.
            .ok_or_else(|| ApiError::internal(format!("route has no `{name}` parameter")))?;
        if value.contains('\0') {
            return Err(crate::json::nul_error(name));
        }
        Ok(value)
    }

    pub fn snowflake(&self, name: &str) -> Result<Snowflake, ApiError> {
        parse_snowflake(name, self.get(name)?)
    }

    /// A parameter as text (the service parses and explains it).
    pub fn text(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name)
    }

    /// A positive number; `what` describes a valid one for the 400.
    pub fn number(&self, name: &str, what: &str) -> Result<i64, ApiError> {
        let text = self.get(name)?;
        Some(text)
            .filter(|t| canonical_number(t))
            .and_then(|t| t.parse::<i64>().ok())
            .filter(|id| *id > 0)
            .ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_path_parameter",
                    format!("Path parameter `{name}` must be {what}, not `{text}`."),
                )
            })
    }

    pub fn run_id(&self) -> Result<i64, ApiError> {
        self.number("run_id", "a run number such as 42")
    }
}

/// Digits only, without a sign, spaces or leading zeros: `+1`, `0001` and ` 1` name no id
/// (one resource has one URL).
fn canonical_number(text: &str) -> bool {
    !text.is_empty() && !text.starts_with('0') && text.bytes().all(|b| b.is_ascii_digit())
}

pub fn parse_snowflake(name: &str, text: &str) -> Result<Snowflake, ApiError> {
    let parsed = if canonical_number(text) {
        Snowflake::parse(text).ok()
    } else {
        None
    };
    parsed.ok_or_else(|| {
        ApiError::bad_request(
            "invalid_path_parameter",
            format!(
                "Path parameter `{name}` must be a Discord id (a number such as 123456789012345678), not `{text}`."
            ),
        )
    })
}

/// A snowflake in a request body (a JSON string), canonical as in paths: `" 1"`, `"+1"` and
/// `"01"` are refused with a 422 naming the field, so one id has one spelling everywhere.
pub fn body_snowflake(field: &str, text: &str) -> Result<Snowflake, ApiError> {
    let parsed = if canonical_number(text) {
        Snowflake::parse(text).ok()
    } else {
        None
    };
    parsed.ok_or_else(|| {
        ApiError::unprocessable(
            "invalid_snowflake",
            format!(
                "`{field}` must be a Discord id (a number such as 123456789012345678, as a string), not `{text}`."
            ),
        )
    })
}

/// Query parameters: malformed ones are a 400 naming what is wrong, text with a NUL
/// character a 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::Query;
        let invalid = |e: axum::extract::rejection::QueryRejection| {
            ApiError::bad_request("invalid_query", e.body_text())
        };
        let Query(pairs) =
            Query::<Vec<(String, String)>>::try_from_uri(&parts.uri).map_err(invalid)?;
        if let Some((key, _)) = pairs
            .iter()
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return Err(crate::json::nul_error(&key.replace('\0', "\\u0000")));
        }
        let Query(value) = Query::<T>::try_from_uri(&parts.uri).map_err(invalid)?;
        Ok(ApiQuery(value))
    }
}
