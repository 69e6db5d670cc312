//! The one error type of the API: every failure becomes
//! `{"error":{"code":"snake_case","message":"human sentence"}}` with the right status.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use service::ServiceError;
use service::error::Refusal;
use utoipa::ToSchema;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds, for 429 and 503 answers.
    pub retry_after: Option<u64>,
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code for programs (`unknown_dungeon`, `active_run_exists`, ...).
    #[schema(example = "not_found")]
    pub code: String,
    /// A sentence for people, in plain text: no Discord markup, members and channels by id,
    /// times in RFC 3339 UTC. The same words the bot uses (`messages`), so it may change;
    /// programs read `code`.
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn unavailable() -> Self {
        let mut e = Self::from(ServiceError::Unavailable);
        e.retry_after = Some(5);
        e
    }

    /// A bug on our side; the details go to the log, not to the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error in the API");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side; it has been logged.",
        )
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let status = match (&e, e.refusal()) {
            (_, Some(Refusal::NotFound)) => StatusCode::NOT_FOUND,
            (_, Some(Refusal::Forbidden)) => StatusCode::FORBIDDEN,
            (_, Some(Refusal::Conflict)) => StatusCode::CONFLICT,
            (_, Some(Refusal::Invalid)) => StatusCode::UNPROCESSABLE_ENTITY,
            (ServiceError::Unavailable, None) => StatusCode::SERVICE_UNAVAILABLE,
            (detail, None) => {
                tracing::error!(error = %detail, "service error behind an API request");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        ApiError {
            status,
            code: e.code(),
            message: refusal_message(&e),
            retry_after: matches!(e, ServiceError::Unavailable).then_some(5),
        }
    }
}

/// What went wrong, in plain words for an API client or a dashboard page: the shared
/// wording (`messages`) in plain style (members by id, times in RFC 3339 UTC).
pub fn refusal_message(e: &ServiceError) -> String {
    messages::refusal(e, messages::Style::Plain, None)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.code == "database_unavailable" {
            response
                .extensions_mut()
                .insert(crate::outage::DatabaseUnreachable);
        }
        response
    }
}
