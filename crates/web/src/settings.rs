//! Settings pages (administrators): the public leaderboard. The form carries the
//! session's CSRF token; the `service` function validates, stores and audits, exactly as
//! it would for any other adapter.

use std::fmt::Write as _;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::quota::Metric;
use service::dashboard::PublicBoard;

use crate::access;
use crate::auth::Session;
use crate::html::{escape, layout};
use crate::{WebError, WebState};

fn checked(on: bool) -> &'static str {
    if on { " checked" } else { "" }
}

/// `GET /g/{guild}/settings`.
pub async fn page(
    State(state): State<WebState>,
    session: Session,
    Path(guild): Path<String>,
) -> Result<Response, WebError> {
    let g = access::in_guild_fresh(&state, &session, &guild).await?;
    let board = service::dashboard::public_board_settings(&state.pool, g.guild, &g.actor).await?;
    let mut body = crate::pages::guild_nav(&g, &session);
    let _ = write!(
        body,
        "<section class=\"card\" aria-labelledby=\"public\"><h2 id=\"public\">Public leaderboard</h2>\
         <p>A page anyone can open without logging in: \
         <a href=\"/public/{guild}/leaderboard\">/public/{guild}/leaderboard</a>. \
         It shows only the categories chosen here.</p>\
         <form method=\"post\" action=\"/g/{guild}/settings/public-leaderboard\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <p><label><input type=\"checkbox\" name=\"enabled\" value=\"on\"{enabled}> Publish the leaderboard</label></p>\
         <fieldset><legend>Categories</legend>",
        guild = g.guild,
        csrf = escape(&session.data.csrf_token),
        enabled = checked(board.enabled),
    );
    for m in Metric::CATEGORIES {
        let _ = write!(
            body,
            "<label><input type=\"checkbox\" name=\"metric\" value=\"{}\"{}> {}</label><br>",
            m.as_str(),
            checked(board.metrics.contains(&m)),
            m.label()
        );
    }
    let _ = write!(
        body,
        "</fieldset><p><label><input type=\"checkbox\" name=\"show_names\" value=\"on\"{}> \
         Show members' in-game names</label></p>\
         <button type=\"submit\">Save</button></form></section>",
        checked(board.show_names)
    );
    Ok(Html(layout("Settings", Some(&session.header()), &body)).into_response())
}

/// `POST /g/{guild}/settings/public-leaderboard`.
pub async fn save_public_board(
    State(state): State<WebState>,
    session: Session,
    headers: HeaderMap,
    Path(guild): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    fn field<'a>(
        fields: &'a [(String, String)],
        name: &'a str,
    ) -> impl Iterator<Item = &'a str> + 'a {
        fields
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    let csrf = field(&fields, "csrf").next().unwrap_or_default();
    session.check_form(&state, &headers, csrf)?;
    let g = access::in_guild_fresh(&state, &session, &guild).await?;
    let mut metrics = Vec::new();
    for text in field(&fields, "metric") {
        let m = Metric::parse(text)
            .filter(|m| Metric::CATEGORIES.contains(m))
            .ok_or_else(|| WebError::bad_request("There is no such leaderboard category."))?;
        metrics.push(m);
    }
    let board = PublicBoard {
        enabled: field(&fields, "enabled").any(|v| v == "on"),
        metrics,
        show_names: field(&fields, "show_names").any(|v| v == "on"),
    };
    service::dashboard::set_public_board(&state.pool, g.guild, &g.actor, &board).await?;
    Ok(Redirect::to(&format!("/g/{}/settings", g.guild)).into_response())
}
