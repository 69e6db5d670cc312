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
    let mut g = access::in_guild(&state, &session, &guild).await?;
    if domain::roles::allows(g.actor.level, RoleKey::Security) {
        // Staff sections below: Discord is asked again, so a role taken away is known.
        g = access::in_guild_fresh(&state, &session, &guild).await?;
    }
    let user = parse_user(&user)?;
    let stats = service::quota::stats(state.read_pool.pool(), g.guild, &g.actor, user).await?;
    let names = service::verification::names(&state.pool, g.guild, user).await?;
    let weeks = service::analytics::member_weeks(&state.pool, g.guild, user, Utc::now()).await?;
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
    charts(&mut body, &weeks, &stats.dungeons);
    if domain::roles::allows(g.actor.level, RoleKey::Security) {
        let _ = write!(
            body,
            "<p><a href=\"/g/{}/members/{user}/punishments\">Punishments and notes</a></p>",
            g.guild
        );
        let (events, total) = service::verification::history(
            &state.pool,
            g.guild,
            &g.actor,
            user,
            MEMBER_PAGE_EVENTS,
        )
        .await?;
        let how = service::verification::member_verification(&state.pool, g.guild, &g.actor, user)
            .await?;
        verification_section(&mut body, g.guild, user, &how, &events, total);
        let tickets =
            service::modmail::member_tickets(&state.pool, g.guild, &g.actor, user, TICKETS_PAGE)
                .await?;
        tickets_section(&mut body, g.guild, &tickets);
    }
    Ok(Html(layout(&title, Some(&session.header()), &body)).into_response())
}

/// Verification events on a member's page (the rest on their verification page).
const MEMBER_PAGE_EVENTS: i64 = 10;
/// Verification events on the verification page.
const HISTORY_EVENTS: i64 = 200;
/// Modmail tickets on a member's page.
const TICKETS_PAGE: i64 = 25;

/// The member's activity as two charts: runs completed in each of the last 12 weeks, and
/// runs completed per dungeon (the ten most).
fn charts(
    body: &mut String,
    weeks: &[(DateTime<Utc>, i64)],
    dungeons: &[service::quota::DungeonLine],
) {
    use crate::chart::{Bar, columns, rows};
    let total: i64 = weeks.iter().map(|w| w.1).sum();
    let bars: Vec<Bar> = weeks
        .iter()
        .map(|(start, n)| Bar {
            label: start.format("%m-%d").to_string(),
            value: *n,
            tip: format!("Week of {}: {n} completed", start.format("%Y-%m-%d")),
        })
        .collect();
    body.push_str(
        "<section class=\"card\" aria-labelledby=\"charts\"><h2 id=\"charts\">Activity</h2>",
    );
    body.push_str(&columns(
        "weeks",
        "Runs completed per week",
        &format!(
            "Completed in the last {} weeks: {total}; the most in one week: {}.",
            weeks.len(),
            weeks.iter().map(|w| w.1).max().unwrap_or(0)
        ),
        &bars,
    ));
    let mut by_dungeon: Vec<&service::quota::DungeonLine> =
        dungeons.iter().filter(|d| d.runs_completed > 0).collect();
    by_dungeon.sort_by(|a, b| {
        b.runs_completed
            .cmp(&a.runs_completed)
            .then_with(|| a.dungeon_code.cmp(&b.dungeon_code))
    });
    by_dungeon.truncate(10);
    if by_dungeon.is_empty() {
        body.push_str("<p class=\"muted\">No completed runs yet.</p>");
    } else {
        let catalog = domain::catalog::catalog();
        let bars: Vec<Bar> = by_dungeon
            .iter()
            .map(|d| {
                let name = catalog.dungeon_name(&d.dungeon_code);
                Bar {
                    tip: format!("{name}: {} completed", d.runs_completed),
                    label: name,
                    value: d.runs_completed,
                }
            })
            .collect();
        let desc = bars
            .iter()
            .map(|b| b.tip.clone())
            .collect::<Vec<_>>()
            .join("; ");
        body.push_str(&rows(
            "dungeons",
            "Runs completed per dungeon",
            &desc,
            &bars,
        ));
    }
    body.push_str("</section>");
}

/// An event's kind, in words.
fn event_words(kind: &str) -> &str {
    match kind {
        "started" => "started verifying",
        "code_issued" => "was given a RealmEye code",
        "check_failed" => "RealmEye check failed",
        "submitted" => "sent a screenshot for review",
        "verified" => "verified",
        "denied" => "denied",
        "unverified" => "unverified",
        "name_changed" => "name changed",
        "alt_added" => "alt added",
        "alt_removed" => "alt removed",
        "expired" => "session expired",
        "cancelled" => "cancelled",
        "rename_failed" => "nickname could not be set",
        "role_granted" => "role granted",
        "synced" => "roles and nickname synced",
        other => other,
    }
}

/// An event's detail: a failed RealmEye check in the plain words of `messages`, anything else
/// as stored.
fn event_detail(e: &service::verification::Event) -> String {
    match service::verification::CheckFailure::of_event(e) {
        Some(why) => messages::verification::check_failed(&why, messages::Style::Plain),
        None => e.detail.clone().unwrap_or_default(),
    }
}

/// How the member was verified and their latest verification events.
fn verification_section(
    body: &mut String,
    guild: Snowflake,
    user: Snowflake,
    how: &service::verification::MemberVerification,
    events: &[service::verification::Event],
    total: i64,
) {
    let _ = write!(
        body,
        "<section class=\"card\" aria-labelledby=\"verification\">\
         <h2 id=\"verification\">Verification history ({total})</h2><p>{}",
        escape(&how.names.status)
    );
    if let Some(at) = how.verified_at {
        let _ = write!(body, " since {}", when(at));
    }
    if let Some(m) = how.method.as_deref() {
        let _ = write!(body, " ({})", escape(m));
    }
    if let Some(by) = how.verified_by {
        let _ = write!(
            body,
            " by <a href=\"/g/{guild}/members/{by}\">member {by}</a>"
        );
    }
    body.push_str(".</p>");
    if events.is_empty() {
        body.push_str("<p>No verification events.</p>");
    } else {
        body.push_str(
            "<div class=\"table-wrap\"><table aria-labelledby=\"verification\"><thead><tr>\
             <th scope=\"col\">When</th><th scope=\"col\">What</th><th scope=\"col\">Name</th>\
             <th scope=\"col\">Detail</th><th scope=\"col\">By</th></tr></thead><tbody>",
        );
        for e in events {
            let by = match e.actor_id {
                Some(a) if a != user => {
                    format!("<a href=\"/g/{guild}/members/{a}\">member {a}</a>")
                }
                Some(_) => "themselves".to_owned(),
                None => "raidbot".to_owned(),
            };
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{by}</td></tr>",
                when(e.created_at),
                escape(event_words(&e.kind)),
                escape(e.ign.as_deref().unwrap_or("")),
                escape(&event_detail(e)),
            );
        }
        body.push_str("</tbody></table></div>");
    }
    if total > i64::try_from(events.len()).unwrap_or(i64::MAX) {
        let _ = write!(
            body,
            "<p><a href=\"/g/{guild}/members/{user}/verification\">All {total} events</a></p>"
        );
    }
    body.push_str("</section>");
}

/// The member's modmail tickets, each linking its transcript.
fn tickets_section(body: &mut String, guild: Snowflake, tickets: &[service::modmail::Ticket]) {
    let _ = write!(
        body,
        "<section class=\"card\" aria-labelledby=\"tickets\"><h2 id=\"tickets\">Modmail tickets ({})</h2>",
        tickets.len()
    );
    if tickets.is_empty() {
        body.push_str("<p>No modmail tickets.</p>");
    } else {
        body.push_str("<ul class=\"plain\">");
        for t in tickets {
            let _ = write!(
                body,
                "<li><a href=\"/g/{guild}/modmail/{code}\">{code}</a> · {} · opened {}",
                escape(&t.status),
                when(t.created_at),
                code = escape(&t.code),
            );
            if let Some(at) = t.closed_at {
                let _ = write!(body, " · closed {}", when(at));
            }
            body.push_str("</li>");
        }
        body.push_str("</ul>");
    }
    body.push_str("</section>");
}

/// `GET /g/{guild}/members/{user}/verification`: every verification event of a member
/// (security and up, as `/find`; a 403 page for anyone else, the member included).
pub async fn verification(
    State(state): State<WebState>,
    session: Session,
    Path((guild, user)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let g = access::in_guild_fresh(&state, &session, &guild).await?;
    let user = parse_user(&user)?;
    let (events, total) =
        service::verification::history(&state.pool, g.guild, &g.actor, user, HISTORY_EVENTS)
            .await?;
    let how =
        service::verification::member_verification(&state.pool, g.guild, &g.actor, user).await?;
    let mut body = guild_nav(&g, &session);
    let _ = write!(
        body,
        "<p><a href=\"/g/{}/members/{user}\">Member page</a></p>",
        g.guild
    );
    verification_section(&mut body, g.guild, user, &how, &events, total);
    let title = format!("Verification of member {user}");
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
