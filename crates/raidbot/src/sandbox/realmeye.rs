//! The sandbox's RealmEye: player pages shaped like RealmEye's, whose description lines a
//! person edits from the web client, so the RealmEye verification flow (put the code in
//! your description, press Done) can be completed without the real site.
//!
//! Routes: `GET /realmeye/player/{name}` (the bot's `REALMEYE_BASE_URL` is
//! `<sandbox>/realmeye`), and for the page `GET /sandbox/realmeye` (every page) and
//! `PUT /sandbox/realmeye/{ign}` `{"lines": [..], "private": bool}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;
use store::PgPool;
use web::html::escape;

use super::persist::{self, RealmeyePage};

/// RealmEye shows three description lines.
pub const LINES: usize = 3;
/// Longer lines are refused (RealmEye's own limit is about this).
pub const LINE_MAX: usize = 200;

pub fn router(pool: PgPool) -> axum::Router {
    axum::Router::new()
        .route("/realmeye/player/{name}", axum::routing::get(player))
        .route("/sandbox/realmeye", axum::routing::get(list))
        .route("/sandbox/realmeye/{ign}", axum::routing::put(put))
        .with_state(pool)
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": "bad_request", "message": message}})),
    )
        .into_response()
}

async fn player(State(pool): State<PgPool>, Path(name): Path<String>) -> Response {
    match persist::realmeye_page(&pool, &name).await {
        Ok(Some(page)) if page.private => Html(private_page(&page.ign)).into_response(),
        Ok(Some(page)) => Html(player_page(&page)).into_response(),
        Ok(None) => Html(not_found_page(&name)).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "the RealmEye stub cannot read its pages");
            (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response()
        }
    }
}

async fn list(State(pool): State<PgPool>) -> Response {
    match persist::realmeye_pages(&pool).await {
        Ok(pages) => Json(pages).into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

#[derive(serde::Deserialize)]
struct PutPage {
    lines: Vec<String>,
    #[serde(default)]
    private: bool,
}

async fn put(
    State(pool): State<PgPool>,
    Path(ign): Path<String>,
    body: Result<Json<PutPage>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(body)) = body else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "send {\"lines\": [up to 3 strings], \"private\": true|false}",
        );
    };
    let ign = match domain::verification::parse_ign(&ign) {
        Ok(ign) => String::from(ign),
        Err(e) => {
            let why = messages::verification::bad_ign(&e, messages::Style::Plain);
            return error(StatusCode::UNPROCESSABLE_ENTITY, &why);
        }
    };
    if body.lines.len() > LINES {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "a RealmEye description has at most 3 lines",
        );
    }
    if body
        .lines
        .iter()
        .any(|l| l.chars().count() > LINE_MAX || l.contains('\0'))
    {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "a description line has at most 200 characters (and no NUL)",
        );
    }
    let page = RealmeyePage {
        ign,
        lines: body.lines,
        private: body.private,
    };
    match persist::put_realmeye_page(&pool, &page).await {
        Ok(()) => Json(page).into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

/// A public profile: a summary table and the description lines, in RealmEye's markup.
pub fn player_page(page: &RealmeyePage) -> String {
    let name = escape(&page.ign);
    let lines: String = page
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            format!(
                "        <div class=\"line{} description-line\">{}</div>\n",
                i + 1,
                escape(l)
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{name} | RealmEye (sandbox)</title></head>\n<body>\n<div class=\"container\">\n  <div class=\"row\"><div class=\"col-md-12\"><h1><span class=\"entity-name\">{name}</span></h1></div></div>\n  <div class=\"row\">\n    <div class=\"col-md-5\">\n      <table class=\"summary\">\n        <tr><td>Characters</td><td>8</td></tr>\n        <tr><td>Fame</td><td><span class=\"numeric\">12,450</span></td></tr>\n        <tr><td>Rank</td><td><div class=\"star-container\">65 <div class=\"star star-orange\"></div></div></td></tr>\n        <tr><td>Account fame</td><td><span class=\"numeric\">48,200</span></td></tr>\n        <tr><td>Created</td><td>~3 years and 40 days ago</td></tr>\n        <tr><td>Last seen</td><td>hidden</td></tr>\n      </table>\n    </div>\n    <div class=\"col-md-7\">\n      <div class=\"well description\" id=\"d\">\n{lines}      </div>\n    </div>\n  </div>\n</div>\n</body>\n</html>\n"
    )
}

pub fn private_page(ign: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>RealmEye (sandbox)</title></head>\n<body>\n<div class=\"container\"><div class=\"row\"><div class=\"col-md-12\">\n  <div class=\"player-not-found\">\n    <h2>{}</h2>\n    <p>This player's profile is private.</p>\n  </div>\n</div></div></div>\n</body>\n</html>\n",
        escape(ign)
    )
}

pub fn not_found_page(name: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>RealmEye (sandbox)</title></head>\n<body>\n<div class=\"container\"><div class=\"row\"><div class=\"col-md-12\">\n  <h2>{}</h2>\n  <ul class=\"player-not-found\">\n    <li>We have no data about a player with this name, or</li>\n    <li>the name is spelled differently.</li>\n  </ul>\n</div></div></div>\n</body>\n</html>\n",
        escape(name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bots_parser_reads_the_stubs_pages() {
        let page = RealmeyePage {
            ign: "Freshblade".to_owned(),
            lines: vec![
                "hello <b>&</b>".to_owned(),
                "RAID-ABC123".to_owned(),
                String::new(),
            ],
            private: false,
        };
        let parsed = realmeye::parse_player_page(&player_page(&page)).to_json();
        let text = parsed.to_string();
        assert!(text.contains("Freshblade"), "{text}");
        assert!(text.contains("RAID-ABC123"), "{text}");
        assert!(text.contains("hello <b>&</b>"), "{text}");
        let private = realmeye::parse_player_page(&private_page("Hidden")).to_json();
        assert!(private.to_string().contains("private"), "{private}");
        let missing = realmeye::parse_player_page(&not_found_page("Nobody")).to_json();
        assert!(missing.to_string().contains("not_found"), "{missing}");
    }
}
