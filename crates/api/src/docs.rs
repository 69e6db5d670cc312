//! The API viewer at `/docs`: a page and a small script, embedded in the binary, that read
//! `/v1/openapi.json` and render it (operations by tag, parameters, request and response
//! schemas, a "Try it" form). Nothing is fetched from elsewhere: the page's content
//! security policy allows only this server.

use axum::http::header;
use axum::response::{IntoResponse, Response};

const PAGE: &str = include_str!("../assets/docs/index.html");
const SCRIPT: &str = include_str!("../assets/docs/viewer.js");
const STYLE: &str = include_str!("../assets/docs/viewer.css");

/// Only this server's own scripts, styles and requests.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; \
    base-uri 'none'; frame-ancestors 'none'";

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        ],
        body,
    )
        .into_response()
}

/// The API viewer: this document, rendered for people.
#[utoipa::path(
    get,
    path = "/docs",
    tag = "meta",
    responses((status = 200, description = "The API viewer (HTML; its script and style are served by this server).", content_type = "text/html"))
)]
pub async fn page() -> Response {
    asset("text/html; charset=utf-8", PAGE)
}

/// The viewer's script.
pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// The viewer's style sheet.
pub async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}
