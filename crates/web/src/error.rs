//! Refusals and failures as HTML pages with the right status: a raider opening a
//! member's punishments reads a 403 page saying why, never a blank page.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use service::ServiceError;
use service::error::Refusal;

use crate::html;

#[derive(Debug)]
pub struct WebError {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
    /// Offer "Log in with Discord" (the session is missing or over).
    pub login: bool,
}

impl WebError {
    pub fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        WebError {
            status,
            title,
            message: message.into(),
            login: false,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "That did not work", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Not allowed", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found", message)
    }

    /// No running session: log in (again).
    pub fn login_required(message: impl Into<String>) -> Self {
        WebError {
            login: true,
            ..Self::new(StatusCode::UNAUTHORIZED, "Please log in", message)
        }
    }

    /// Discord did not answer as it should.
    pub fn discord(what: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %what, "web: Discord request failed");
        Self::new(
            StatusCode::BAD_GATEWAY,
            "Discord did not answer",
            "Discord did not answer in time; please try again in a moment.",
        )
    }
}

impl From<ServiceError> for WebError {
    fn from(e: ServiceError) -> Self {
        let status = match (&e, e.refusal()) {
            // A suspended member reads it as a request the page cannot do, not a lock-out.
            (ServiceError::Suspended { .. }, _) => StatusCode::BAD_REQUEST,
            (_, Some(Refusal::NotFound)) => StatusCode::NOT_FOUND,
            (_, Some(Refusal::Forbidden)) => StatusCode::FORBIDDEN,
            (_, Some(Refusal::Conflict)) => StatusCode::CONFLICT,
            (_, Some(Refusal::Invalid)) => StatusCode::BAD_REQUEST,
            (ServiceError::Unavailable, None) => StatusCode::SERVICE_UNAVAILABLE,
            (detail, None) => {
                tracing::error!(%detail, "web: internal error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let title = match status {
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::NOT_FOUND => "Not found",
            _ => "That did not work",
        };
        // The REST API's words for the same refusals.
        let message = api::error::refusal_message(&e);
        WebError::new(status, title, message)
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut body = format!("<p class=\"notice\">{}</p>", html::escape(&self.message));
        if self.login {
            body.push_str("<p><a class=\"button\" href=\"/login\">Log in with Discord</a></p>");
        } else {
            body.push_str("<p><a href=\"/\">Back to your servers</a></p>");
        }
        let page = html::layout(self.title, None, &body);
        let mut response = (self.status, Html(page)).into_response();
        if self.login {
            // A session the server no longer accepts is forgotten by the browser too.
            if let Ok(v) = crate::auth::clear_cookie(crate::auth::SESSION_COOKIE).parse() {
                response
                    .headers_mut()
                    .append(axum::http::header::SET_COOKIE, v);
            }
        }
        response
    }
}
