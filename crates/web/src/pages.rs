//! The pages. Each one: the session, the person's actor in the server (from their
//! current roles), one or two `service` calls that decide what they may see, and HTML.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use domain::{RoleKey, Snowflake};

use crate::access::{self, InGuild};
use crate::auth::{self, Session};
use crate::html::{escape, layout};
use crate::{WebError, WebState};

/// Punishments and notes shown on a member's page (newest first).
const HISTORY_PAGE: i64 = 50;

const STYLE: &str = include_str!("../assets/style.css");

/// `GET /assets/style.css`, embedded in the binary.
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

fn when(t: DateTime<Utc>) -> String {
    format!(
        "<time datetime=\"{}\">{}</time>",
        t.to_rfc3339(),
        t.format("%Y-%m-%d %H:%M UTC")
    )
}

/// `GET /`: "Log in with Discord", or the servers the person shares with raidbot.
pub async fn home(State(state): State<WebState>, headers: HeaderMap) -> Result<Response, WebError> {
    let Some(session) = auth::session_of(&state, &headers).await? else {
        let body = "<p>raidbot's dashboard for your raid community: your stats and quota, \
                    and for staff, members' histories.</p>\
                    <p><a class=\"button\" href=\"/login\">Log in with Discord</a></p>";
        return Ok(Html(layout("Welcome", None, body)).into_response());
    };
    let guilds = access::shared_guilds(&state, &session).await?;
    let mut body = String::new();
    if guilds.is_empty() {
        body.push_str("<p class=\"notice\">None of your Discord servers uses raidbot yet.</p>");
    } else {
        body.push_str("<ul class=\"servers\">");
        for g in &guilds {
            let _ = write!(
                body,
                "<li><a href=\"/g/{}\">{}</a></li>",
                escape(&g.id),
                escape(&g.name)
            );
        }
        body.push_str("</ul>");
    }
    Ok(Html(layout("Your servers", Some(&session.header()), &body)).into_response())
}

fn parse_user(text: &str) -> Result<Snowflake, WebError> {
    Snowflake::parse(text).map_err(|_| WebError::not_found("There is no such member."))
}

/// Where the person is, and the server's pages they may open.
pub(crate) fn guild_nav(g: &InGuild, session: &Session) -> String {
    let mut nav = format!(
        "<nav aria-label=\"Server\" class=\"crumbs\"><a href=\"/\">Servers</a> › <a href=\"/g/{guild}\">{}</a> · \
         <a href=\"/g/{guild}/members/{}\">My page</a> · <a href=\"/g/{guild}/leaderboard\">Leaderboard</a> · \
         <a href=\"/g/{guild}/runs\">Runs</a>",
        escape(&g.name),
        session.user_id(),
        guild = g.guild,
    );
    if domain::roles::allows(g.actor.level, RoleKey::Organizer) {
        let _ = write!(nav, " · <a href=\"/g/{}/quota\">Quota</a>", g.guild);
    }
    if domain::roles::allows(g.actor.level, RoleKey::Security) {
        let _ = write!(nav, " · <a href=\"/g/{}/modmail\">Modmail</a>", g.guild);
    }
    if domain::roles::allows(g.actor.level, RoleKey::Administrator) {
        let _ = write!(nav, " · <a href=\"/g/{}/settings\">Settings</a>", g.guild);
    }
    nav.push_str("</nav>");
    nav
}

/// `GET /g/{guild}/members/{user}`: names, stats and quota progress (verified raiders and
/// up, as `/stats`); for security and up, a link to the member's history.
pub async fn member(
    State(state): State<WebState>,
    session: Session,
    Path((guild, user)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let g = access::in_guild(&state, &session, &guild).await?;
    let user = parse_user(&user)?;
    let stats = service::quota::stats(&state.read_pool, g.guild, &g.actor, user).await?;
    let names = service::verification::names(&state.pool, g.guild, user).await?;
    let own = user == session.user_id();
    let title = match names.as_ref().and_then(|n| n.main.as_deref()) {
        Some(ign) => ign.to_owned(),
        None if own => "Your page".to_owned(),
        None => format!("Member {user}"),
    };
    let mut body = guild_nav(&g, &session);
    body.push_str("<section class=\"card\" aria-labelledby=\"names\"><h2 id=\"names\">Names</h2><dl class=\"facts\">");
    match &names {
        Some(n) => {
            let _ = write!(
                body,
                "<dt>In-game name</dt><dd>{}</dd><dt>Alts</dt><dd>{}</dd><dt>Status</dt><dd>{}</dd>",
                escape(n.main.as_deref().unwrap_or("—")),
                if n.alts.is_empty() {
                    "none".to_owned()
                } else {
                    escape(&n.alts.join(", "))
                },
                escape(&n.status)
            );
        }
        None => body.push_str("<dt>Status</dt><dd>not verified</dd>"),
    }
    body.push_str("</dl></section>");

    body.push_str("<section class=\"card\" aria-labelledby=\"quota\"><h2 id=\"quota\">Quota</h2>");
    let period = format!(
        "{} to {}",
        stats.period.start.format("%Y-%m-%d"),
        stats.period.end.format("%Y-%m-%d")
    );
    match stats.quota_role {
        Some((_, required)) if required.0 > 0 => {
            let done = stats.quota_current.0.clamp(0, required.0);
            let _ = write!(
                body,
                "<p>{} of {} points this period ({period}).</p>\
                 <progress value=\"{done}\" max=\"{}\" aria-label=\"quota progress\">{} of {}</progress>",
                stats.quota_current, required, required.0, stats.quota_current, required
            );
        }
        _ => {
            let _ = write!(
                body,
                "<p>{} quota points this period ({period}); no quota is required of this member.</p>",
                stats.quota_current
            );
        }
    }
    body.push_str("</section>");

    let rank = stats
        .raider_rank
        .map_or_else(|| "—".to_owned(), |r| format!("#{r}"));
    let _ = write!(
        body,
        "<section class=\"card\" aria-labelledby=\"stats\"><h2 id=\"stats\">Stats</h2><dl class=\"facts\">\
         <dt>Raider points</dt><dd>{} (rank {rank})</dd>\
         <dt>Quota points, all time</dt><dd>{}</dd>\
         <dt>Runs completed</dt><dd>{}</dd><dt>Runs organized</dt><dd>{}</dd>\
         <dt>Keys popped</dt><dd>{}</dd><dt>Verifications</dt><dd>{}</dd></dl>",
        stats.raider_points,
        stats.quota_all_time,
        stats.runs_completed,
        stats.runs_organized,
        stats.keys_popped,
        stats.verifications
    );
    if !stats.dungeons.is_empty() {
        body.push_str(
            "<div class=\"table-wrap\"><table><caption>By dungeon</caption><thead><tr>\
             <th scope=\"col\">Dungeon</th><th scope=\"col\">Completed</th><th scope=\"col\">Organized</th>\
             <th scope=\"col\">Keys</th><th scope=\"col\">Quota points</th></tr></thead><tbody>",
        );
        for d in &stats.dungeons {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&domain::catalog::catalog().dungeon_name(&d.dungeon_code)),
                d.runs_completed,
                d.runs_organized,
                d.keys_popped,
                d.quota_points
            );
        }
        body.push_str("</tbody></table></div>");
    }
    body.push_str("</section>");
    if domain::roles::allows(g.actor.level, RoleKey::Security) {
        let _ = write!(
            body,
            "<p><a href=\"/g/{}/members/{user}/punishments\">Punishments and notes</a></p>",
            g.guild
        );
    }
    Ok(Html(layout(&title, Some(&session.header()), &body)).into_response())
}

/// `GET /g/{guild}/members/{user}/punishments`: the member's punishments with how each
/// ended, and staff notes (security and up, as `/find`; a 403 page for anyone else).
pub async fn punishments(
    State(state): State<WebState>,
    session: Session,
    Path((guild, user)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let g = access::in_guild_fresh(&state, &session, &guild).await?;
    let user = parse_user(&user)?;
    let (list, total) =
        service::moderation::history(&state.pool, g.guild, &g.actor, user, 0, HISTORY_PAGE).await?;
    let (notes, notes_total) =
        service::moderation::notes(&state.pool, g.guild, &g.actor, user, 0, HISTORY_PAGE).await?;
    let mut body = guild_nav(&g, &session);
    let _ = write!(
        body,
        "<p><a href=\"/g/{}/members/{user}\">Member page</a></p>\
         <h2 id=\"punishments\">Punishments ({total})</h2>",
        g.guild
    );
    if list.is_empty() {
        body.push_str("<p>No punishments.</p>");
    } else {
        body.push_str(
            "<div class=\"table-wrap\"><table aria-labelledby=\"punishments\"><thead><tr>\
             <th scope=\"col\">Code</th><th scope=\"col\">Kind</th><th scope=\"col\">Reason</th>\
             <th scope=\"col\">By</th><th scope=\"col\">When</th><th scope=\"col\">How it ended</th>\
             </tr></thead><tbody>",
        );
        for p in &list {
            let ended = match (p.status.as_str(), p.ended_at) {
                ("active", _) => match p.expires_at {
                    Some(t) => format!("running, ends {}", when(t)),
                    None => "in force".to_owned(),
                },
                (status, Some(at)) => {
                    let by = p.ended_by_label.as_deref().map_or_else(
                        || p.ended_by.map(|u| format!("user {u}")).unwrap_or_default(),
                        ToOwned::to_owned,
                    );
                    let mut s = format!("{status} {}", when(at));
                    if !by.is_empty() {
                        let _ = write!(s, " by {}", escape(&by));
                    }
                    if let Some(r) = p.end_reason.as_deref() {
                        let _ = write!(s, ": {}", escape(r));
                    }
                    s
                }
                (status, None) => escape(status),
            };
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{ended}</td></tr>",
                escape(&p.code),
                p.kind.as_str(),
                escape(&p.reason),
                escape(&p.actor),
                when(p.created_at)
            );
        }
        body.push_str("</tbody></table></div>");
    }
    let _ = write!(body, "<h2 id=\"notes\">Notes ({notes_total})</h2>");
    if notes.is_empty() {
        body.push_str("<p>No notes.</p>");
    }
    for n in &notes {
        let removed = if n.removed_at.is_some() {
            " <span class=\"muted\">(removed)</span>"
        } else {
            ""
        };
        let _ = write!(
            body,
            "<div class=\"card\"><p>{}</p><p class=\"muted\">#{} by {}, {}{removed}</p></div>",
            escape(&n.body),
            n.note_id,
            escape(&n.author),
            when(n.created_at)
        );
    }
    let title = format!("Punishments of member {user}");
    Ok(Html(layout(&title, Some(&session.header()), &body)).into_response())
}
