//! The server overview (`/g/{guild}`): runs and headcounts under way, refreshed by a small
//! embedded script (`/assets/live.js` polls `/g/{guild}/live`) and readable without it;
//! today's and this week's figures. And each run's page: roster, classes, key pops,
//! duration and who ended it.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use domain::Snowflake;
use domain::catalog::catalog;
use service::dashboard::{Figures, Overview};
use service::runs::{RosterState, Run};

use crate::access;
use crate::auth::Session;
use crate::html::{escape, layout};
use crate::{WebError, WebState};

const LIVE_JS: &str = include_str!("../assets/live.js");

/// `GET /assets/live.js`, embedded in the binary.
pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        LIVE_JS,
    )
        .into_response()
}

fn hm(t: DateTime<Utc>) -> String {
    format!(
        "<time datetime=\"{}\">{}</time>",
        t.to_rfc3339(),
        t.format("%H:%M UTC")
    )
}

fn full(t: DateTime<Utc>) -> String {
    format!(
        "<time datetime=\"{}\">{}</time>",
        t.to_rfc3339(),
        t.format("%Y-%m-%d %H:%M UTC")
    )
}

/// A member as a link to their page, by in-game name when known.
fn member_link(guild: Snowflake, user: Snowflake, names: &HashMap<Snowflake, String>) -> String {
    let label = names
        .get(&user)
        .map_or_else(|| format!("member {user}"), |n| escape(n));
    format!("<a href=\"/g/{guild}/members/{user}\">{label}</a>")
}

fn figures_list(label: &str, f: &Figures) -> String {
    format!(
        "<h3>{label}</h3><ul class=\"figures\">\
         <li><strong>{}</strong> runs posted</li><li><strong>{}</strong> runs completed</li>\
         <li><strong>{}</strong> cancelled</li><li><strong>{}</strong> raiders in completed runs</li>\
         <li><strong>{}</strong> keys popped</li></ul>",
        f.runs_posted, f.runs_ended, f.runs_cancelled, f.raiders, f.keys_popped
    )
}

/// The part of the overview that refreshes: runs and headcounts under way.
fn live_part(guild: Snowflake, o: &Overview) -> String {
    let mut out = String::new();
    let _ = write!(out, "<h2 id=\"runs-now\">Runs now ({})</h2>", o.runs.len());
    if o.runs.is_empty() {
        out.push_str("<p>No run is open right now.</p>");
    } else {
        out.push_str("<ul class=\"plain\" aria-labelledby=\"runs-now\">");
        for r in &o.runs {
            let state = match r.status {
                domain::RunStatus::Live => "<span class=\"status-live\">live</span>",
                _ => "open",
            };
            let cap = r.raider_cap.map(|c| format!(" of {c}")).unwrap_or_default();
            let bench = if r.bench_count > 0 {
                format!(", {} on the bench", r.bench_count)
            } else {
                String::new()
            };
            let _ = write!(
                out,
                "<li><a href=\"/g/{guild}/runs/{id}\">#{id} {dungeon}</a> — {state}, \
                 {raiders}{cap} raiders{bench}, {keys} keys, by \
                 <a href=\"/g/{guild}/members/{org}\">member {org}</a>, posted {posted}</li>",
                id = r.run_id,
                dungeon = escape(&catalog().dungeon_name(&r.dungeon_code)),
                raiders = r.participant_count,
                keys = r.keys_popped,
                org = r.organizer_id,
                posted = hm(r.created_at),
            );
        }
        out.push_str("</ul>");
    }
    let _ = write!(
        out,
        "<h2 id=\"headcounts-now\">Headcounts now ({})</h2>",
        o.headcounts.len()
    );
    if o.headcounts.is_empty() {
        out.push_str("<p>No headcount is open.</p>");
    } else {
        out.push_str("<ul class=\"plain\" aria-labelledby=\"headcounts-now\">");
        for h in &o.headcounts {
            let dungeons: Vec<String> = h
                .dungeons
                .iter()
                .map(|d| catalog().dungeon_name(d))
                .collect();
            let _ = write!(
                out,
                "<li>Headcount #{} for {} — {} interested, {} keys, by \
                 <a href=\"/g/{guild}/members/{org}\">member {org}</a>, ends {}</li>",
                h.headcount_id,
                escape(&dungeons.join(", ")),
                h.interested,
                h.keys,
                hm(h.auto_end_at),
                org = h.organizer_id,
            );
        }
        out.push_str("</ul>");
    }
    out
}

/// `GET /g/{guild}`: the server's overview.
pub async fn page(
    State(state): State<WebState>,
    session: Session,
    Path(guild): Path<String>,
) -> Result<Response, WebError> {
    let g = access::in_guild(&state, &session, &guild).await?;
    let o = service::dashboard::overview(&state.pool, g.guild, &g.actor).await?;
    let mut body = crate::pages::guild_nav(&g, &session);
    let _ = write!(
        body,
        "<section aria-label=\"Under way\" id=\"live\" data-live=\"/g/{guild}/live\" data-every=\"20\">{}</section>\
         <p class=\"muted\" id=\"live-status\" role=\"status\"></p>\
         <section class=\"card\" aria-labelledby=\"figures\"><h2 id=\"figures\">Figures</h2>{}{}\
         <p class=\"muted\">Days and weeks start at 00:00 UTC (weeks on Monday).</p></section>\
         <script src=\"/assets/live.js\" defer></script>",
        live_part(g.guild, &o),
        figures_list("Today", &o.today),
        figures_list("This week", &o.week),
        guild = g.guild,
    );
    let title = format!("{} overview", g.name);
    Ok(Html(layout(&title, Some(&session.header()), &body)).into_response())
}

/// `GET /g/{guild}/live`: the overview's runs and headcounts, as an HTML fragment.
pub async fn live(
    State(state): State<WebState>,
    session: Session,
    Path(guild): Path<String>,
) -> Result<Response, WebError> {
    let g = access::in_guild(&state, &session, &guild).await?;
    let o = service::dashboard::overview(&state.pool, g.guild, &g.actor).await?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Html(live_part(g.guild, &o)),
    )
        .into_response())
}

/// How long a run took (or has been going), e.g. "1h 05m".
pub(crate) fn duration(run: &Run, now: DateTime<Utc>) -> String {
    let start = run.started_at.unwrap_or(run.created_at);
    let end = run.ended_at.or(run.cancelled_at).unwrap_or(now);
    let minutes = (end - start).num_minutes().max(0);
    format!("{}h {:02}m", minutes / 60, minutes % 60)
}

/// Who closed a run, in words.
fn ended_by(run: &Run, guild: Snowflake, names: &HashMap<Snowflake, String>) -> String {
    if run.close_reason.as_deref() == Some("auto") {
        return "ended by itself (auto-end)".to_owned();
    }
    let verb = if run.status == domain::RunStatus::Cancelled {
        "cancelled"
    } else {
        "ended"
    };
    match (run.closed_by, run.closed_by_label.as_deref()) {
        (Some(user), _) => format!("{verb} by {}", member_link(guild, user, names)),
        (None, Some(label)) => format!("{verb} by {}", escape(label)),
        (None, None) => verb.to_owned(),
    }
}

/// `GET /g/{guild}/runs/{id}`: one run.
pub async fn run(
    State(state): State<WebState>,
    session: Session,
    Path((guild, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let g = access::in_guild(&state, &session, &guild).await?;
    let run_id = id
        .trim_start_matches('#')
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| WebError::not_found("There is no such run."))?;
    let p = service::dashboard::run_page(&state.pool, g.guild, &g.actor, run_id).await?;
    let r = &p.detail.run;
    let now = Utc::now();
    let mut body = crate::pages::guild_nav(&g, &session);
    let status = match (r.status, r.ended_at.or(r.cancelled_at)) {
        (domain::RunStatus::Ended | domain::RunStatus::Cancelled, Some(_)) => {
            ended_by(r, g.guild, &p.names)
        }
        (s, _) => s.as_str().to_owned(),
    };
    let _ = write!(
        body,
        "<p><a href=\"/g/{guild}/runs\">All runs</a></p>\
         <section class=\"card\" aria-labelledby=\"about\"><h2 id=\"about\">About this run</h2><dl class=\"facts\">\
         <dt>Dungeon</dt><dd>{dungeon}</dd><dt>Organizer</dt><dd>{org}</dd>\
         <dt>Status</dt><dd>{status}</dd><dt>Posted</dt><dd>{posted}</dd>",
        guild = g.guild,
        dungeon = escape(&catalog().dungeon_name(&r.dungeon_code)),
        org = member_link(g.guild, r.organizer_id, &p.names),
        posted = full(r.created_at),
    );
    if let Some(t) = r.started_at {
        let _ = write!(body, "<dt>Started</dt><dd>{}</dd>", full(t));
    }
    if let Some(t) = r.ended_at.or(r.cancelled_at) {
        let _ = write!(body, "<dt>Closed</dt><dd>{}</dd>", full(t));
    }
    let running = if r.ended_at.or(r.cancelled_at).is_none() {
        " so far"
    } else {
        ""
    };
    let _ = write!(
        body,
        "<dt>Duration</dt><dd>{}{running}</dd><dt>Raiders</dt><dd>{}{}</dd><dt>Keys popped</dt><dd>{}</dd>",
        duration(r, now),
        r.participant_count,
        r.raider_cap.map(|c| format!(" of {c}")).unwrap_or_default(),
        r.keys_popped,
    );
    if let Some(party) = r.party.as_deref() {
        let _ = write!(body, "<dt>Party</dt><dd>{}</dd>", escape(party));
    }
    if let Some(d) = r.description.as_deref() {
        let _ = write!(body, "<dt>Description</dt><dd>{}</dd>", escape(d));
    }
    body.push_str("</dl></section>");

    // Classes of the joined raiders, most first.
    let mut classes: BTreeMap<String, usize> = BTreeMap::new();
    for e in p
        .detail
        .roster
        .iter()
        .filter(|e| e.state == RosterState::Joined)
    {
        *classes
            .entry(e.class.clone().unwrap_or_else(|| "no class".to_owned()))
            .or_default() += 1;
    }
    let mut classes: Vec<(String, usize)> = classes.into_iter().collect();
    classes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    body.push_str(
        "<section class=\"card\" aria-labelledby=\"classes\"><h2 id=\"classes\">Classes</h2>",
    );
    if classes.is_empty() {
        body.push_str("<p>No raider is in this run.</p>");
    } else {
        body.push_str("<ul class=\"figures\">");
        for (class, n) in &classes {
            let _ = write!(body, "<li><strong>{n}</strong> {}</li>", escape(class));
        }
        body.push_str("</ul>");
    }
    body.push_str("</section>");

    let _ = write!(
        body,
        "<h2 id=\"roster\">Roster ({})</h2>",
        p.detail.roster.len()
    );
    if p.detail.roster.is_empty() {
        body.push_str("<p>Nobody joined.</p>");
    } else {
        body.push_str(
            "<div class=\"table-wrap\"><table aria-labelledby=\"roster\"><thead><tr>\
             <th scope=\"col\">Raider</th><th scope=\"col\">Class</th><th scope=\"col\">State</th>\
             <th scope=\"col\">Joined</th></tr></thead><tbody>",
        );
        for e in &p.detail.roster {
            let state = match e.state {
                RosterState::Removed => match e.removed_reason.as_deref() {
                    Some(reason) => format!("removed: {}", escape(reason)),
                    None => "removed".to_owned(),
                },
                RosterState::Benched => "on the bench".to_owned(),
                s => s.as_str().to_owned(),
            };
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{state}</td><td>{}</td></tr>",
                member_link(g.guild, e.user_id, &p.names),
                escape(e.class.as_deref().unwrap_or("—")),
                hm(e.joined_at),
            );
        }
        body.push_str("</tbody></table></div>");
    }

    let _ = write!(body, "<h2 id=\"pops\">Key pops ({})</h2>", p.pops.len());
    if p.pops.is_empty() {
        body.push_str("<p>No key was popped.</p>");
    } else {
        body.push_str(
            "<div class=\"table-wrap\"><table aria-labelledby=\"pops\"><thead><tr>\
             <th scope=\"col\">When</th><th scope=\"col\">By</th><th scope=\"col\">Key</th>\
             <th scope=\"col\">Count</th></tr></thead><tbody>",
        );
        for pop in &p.pops {
            let key = pop
                .key_name
                .clone()
                .unwrap_or_else(|| catalog().dungeon_name(&r.dungeon_code) + " key");
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                hm(pop.created_at),
                member_link(g.guild, pop.user_id, &p.names),
                escape(&key),
                pop.count
            );
        }
        body.push_str("</tbody></table></div>");
    }
    let title = format!(
        "Run #{} · {}",
        r.run_id,
        catalog().dungeon_name(&r.dungeon_code)
    );
    Ok(Html(layout(&title, Some(&session.header()), &body)).into_response())
}
