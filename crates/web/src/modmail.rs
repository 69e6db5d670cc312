//! Modmail for staff (security and up): the tickets by status with a search, and one
//! ticket's transcript — the page the bot links to when it closes a ticket. Anonymous
//! replies show their author here (staff only); the member never saw it.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::access;
use crate::auth::Session;
use crate::html::{escape, layout};
use crate::pages::guild_nav;
use crate::{WebError, WebState};

/// Tickets on the list page.
const LIST_MAX: i64 = 100;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    status: Option<String>,
    q: Option<String>,
}

fn when(t: DateTime<Utc>) -> String {
    format!(
        "<time datetime=\"{}\">{}</time>",
        t.to_rfc3339(),
        t.format("%Y-%m-%d %H:%M UTC")
    )
}

/// `GET /g/{guild}/modmail?status=open|closed&q=...`.
pub async fn list(
    State(state): State<WebState>,
    session: Session,
    Path(guild): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Response, WebError> {
    let g = access::in_guild(&state, &session, &guild).await?;
    let status = query
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let tickets = service::modmail::search_tickets(
        &state.pool,
        g.guild,
        &g.actor,
        status,
        query.q.as_deref(),
        LIST_MAX,
    )
    .await?;
    let mut body = guild_nav(&g, &session);
    let selected = |s: &str| if status == Some(s) { " selected" } else { "" };
    let _ = write!(
        body,
        "<form method=\"get\" class=\"filters\" role=\"search\">\
         <label>Status <select name=\"status\"><option value=\"\">all</option>\
         <option value=\"open\"{}>open</option><option value=\"closed\"{}>closed</option></select></label> \
         <label>Search <input type=\"search\" name=\"q\" value=\"{}\" \
         placeholder=\"MM-7KQ2, a member id or words\"></label> \
         <button type=\"submit\">Show</button></form>",
        selected("open"),
        selected("closed"),
        escape(query.q.as_deref().unwrap_or_default())
    );
    let _ = write!(body, "<h2 id=\"tickets\">Tickets ({})</h2>", tickets.len());
    if tickets.is_empty() {
        body.push_str("<p>No tickets.</p>");
    } else {
        body.push_str(
            "<div class=\"table-wrap\"><table aria-labelledby=\"tickets\"><thead><tr>\
             <th scope=\"col\">Ticket</th><th scope=\"col\">Member</th><th scope=\"col\">Status</th>\
             <th scope=\"col\">Opened</th><th scope=\"col\">Closed</th></tr></thead><tbody>",
        );
        for t in &tickets {
            let closed = match (t.closed_at, t.closed_by.as_deref()) {
                (Some(at), Some(by)) => format!("{} by {}", when(at), escape(by)),
                (Some(at), None) => when(at),
                _ => String::new(),
            };
            let _ = write!(
                body,
                "<tr><td><a href=\"/g/{guild}/modmail/{code}\">{code}</a></td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{closed}</td></tr>",
                t.user_id,
                escape(&t.status),
                when(t.created_at),
                guild = g.guild,
                code = escape(&t.code),
            );
        }
        body.push_str("</tbody></table></div>");
    }
    Ok(Html(layout("Modmail tickets", Some(&session.header()), &body)).into_response())
}

/// `GET /g/{guild}/modmail/{ticket}`: the transcript, both ways, oldest first.
pub async fn transcript(
    State(state): State<WebState>,
    session: Session,
    Path((guild, code)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let g = access::in_guild(&state, &session, &guild).await?;
    let (t, messages) = service::modmail::transcript(&state.pool, g.guild, &g.actor, &code).await?;
    let mut body = guild_nav(&g, &session);
    let _ = write!(
        body,
        "<p><a href=\"/g/{}/modmail\">All tickets</a></p>\
         <p>Member {} · {} · opened {}",
        g.guild,
        t.user_id,
        escape(&t.status),
        when(t.created_at)
    );
    if let Some(at) = t.closed_at {
        let _ = write!(
            body,
            " · closed {} by {}",
            when(at),
            escape(t.closed_by.as_deref().unwrap_or("staff"))
        );
    }
    body.push_str("</p><ol class=\"transcript\">");
    for m in &messages {
        let who = match (m.direction.as_str(), m.anonymous) {
            ("staff", true) => format!("{} (sent as Staff)", escape(&m.author)),
            ("staff", false) => format!("{} (staff)", escape(&m.author)),
            _ => format!("{} (member)", escape(&m.author)),
        };
        let _ = write!(
            body,
            "<li class=\"card\"><p class=\"muted\">{who}, {}</p><p>{}</p>",
            when(m.created_at),
            escape(&m.body).replace('\n', "<br>")
        );
        for a in &m.attachments {
            let _ = write!(
                body,
                "<p><a href=\"{url}\" rel=\"noopener noreferrer\">{url}</a></p>",
                url = escape(a)
            );
        }
        if let Some(e) = m.relay_error.as_deref() {
            let _ = write!(body, "<p class=\"muted\">Not delivered: {}</p>", escape(e));
        }
        body.push_str("</li>");
    }
    body.push_str("</ol>");
    let title = format!("Modmail ticket {}", t.code);
    Ok(Html(layout(&title, Some(&session.header()), &body)).into_response())
}
