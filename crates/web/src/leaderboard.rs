//! Leaderboards: every category and period, paged, with a member search (verified raiders
//! and up, as `/leaderboard`), and the public page of a server that publishes one (no
//! login; only the categories chosen, names only when chosen). Links and a GET form, so it
//! all works without JavaScript.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use domain::Snowflake;
use domain::quota::{Metric, PeriodChoice};
use serde::Deserialize;
use service::quota::{LeaderboardPage, PAGE_SIZE};

use crate::access;
use crate::auth::Session;
use crate::html::{escape, layout};
use crate::{WebError, WebState};

#[derive(Deserialize, Default)]
pub struct BoardQuery {
    metric: Option<String>,
    period: Option<String>,
    page: Option<String>,
    q: Option<String>,
}

struct Choice {
    metric: Metric,
    period: PeriodChoice,
    /// 1-based.
    page: i64,
}

fn choice(q: &BoardQuery, default_metric: Metric) -> Result<Choice, WebError> {
    let metric = match q.metric.as_deref().filter(|m| !m.is_empty()) {
        None => default_metric,
        Some(m) => Metric::parse(m)
            .filter(|m| Metric::CATEGORIES.contains(m))
            .ok_or_else(|| WebError::bad_request("There is no such leaderboard category."))?,
    };
    let period = match q.period.as_deref().filter(|p| !p.is_empty()) {
        None => PeriodChoice::Current,
        Some(p) => PeriodChoice::parse(p)
            .ok_or_else(|| WebError::bad_request("The period must be current, last or all."))?,
    };
    let page = match q.page.as_deref().filter(|p| !p.is_empty()) {
        None => 1,
        Some(p) => p
            .parse::<i64>()
            .ok()
            .filter(|p| (1..=1_000_000).contains(p))
            .ok_or_else(|| WebError::bad_request("The page must be a number from 1."))?,
    };
    Ok(Choice {
        metric,
        period,
        page,
    })
}

fn href(base: &str, metric: Metric, period: PeriodChoice, page: i64) -> String {
    format!(
        "{base}?metric={}&amp;period={}&amp;page={page}",
        metric.as_str(),
        period.as_str()
    )
}

/// The category and period menus, the table and the pager.
fn board_html(
    base: &str,
    metrics: &[Metric],
    page: &LeaderboardPage,
    names: Option<&std::collections::HashMap<Snowflake, String>>,
    member_link: Option<&dyn Fn(Snowflake) -> String>,
) -> String {
    let mut body = String::new();
    body.push_str("<nav aria-label=\"Categories\"><ul class=\"tabs\">");
    for m in metrics {
        let current = if *m == page.metric {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(
            body,
            "<li><a href=\"{}\"{current}>{}</a></li>",
            href(base, *m, page.choice, 1),
            m.label()
        );
    }
    body.push_str("</ul></nav><nav aria-label=\"Periods\"><ul class=\"tabs\">");
    for p in PeriodChoice::ALL {
        let current = if p == page.choice {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(
            body,
            "<li><a href=\"{}\"{current}>{}</a></li>",
            href(base, page.metric, p, 1),
            p.label()
        );
    }
    body.push_str("</ul></nav>");
    if let Some(period) = &page.period {
        let _ = write!(
            body,
            "<p class=\"muted\">{} to {}</p>",
            period.start.format("%Y-%m-%d"),
            period.end.format("%Y-%m-%d")
        );
    }
    if page.rows.is_empty() {
        body.push_str("<p>No one is on this leaderboard yet.</p>");
        return body;
    }
    let _ = write!(
        body,
        "<div class=\"table-wrap\"><table><caption>{} — {}</caption><thead><tr>\
         <th scope=\"col\">Rank</th>{}<th scope=\"col\">{}</th></tr></thead><tbody>",
        page.metric.label(),
        page.choice.label(),
        if names.is_some() {
            "<th scope=\"col\">Member</th>"
        } else {
            ""
        },
        page.metric.label()
    );
    for row in &page.rows {
        let _ = write!(body, "<tr><td>#{}</td>", row.rank);
        if let Some(names) = names {
            let name = names
                .get(&row.member_id)
                .map_or_else(|| "unverified member".to_owned(), |n| escape(n));
            match member_link {
                Some(link) => {
                    let _ = write!(
                        body,
                        "<td><a href=\"{}\">{name}</a></td>",
                        link(row.member_id)
                    );
                }
                None => {
                    let _ = write!(body, "<td>{name}</td>");
                }
            }
        }
        let _ = write!(body, "<td>{}</td></tr>", page.metric.format(row.value));
    }
    body.push_str("</tbody></table></div>");
    let (n, of) = page.pages();
    body.push_str("<nav aria-label=\"Pages\" class=\"pager\">");
    if n > 1 {
        let _ = write!(
            body,
            "<a rel=\"prev\" href=\"{}\">Previous</a> ",
            href(base, page.metric, page.choice, n - 1)
        );
    }
    let _ = write!(
        body,
        "<span>Page {n} of {of} ({} members)</span>",
        page.total
    );
    if n < of {
        let _ = write!(
            body,
            " <a rel=\"next\" href=\"{}\">Next</a>",
            href(base, page.metric, page.choice, n + 1)
        );
    }
    body.push_str("</nav>");
    body
}

/// `GET /g/{guild}/leaderboard`: for the server's verified raiders and up.
pub async fn leaderboard(
    State(state): State<WebState>,
    session: Session,
    Path(guild): Path<String>,
    Query(q): Query<BoardQuery>,
) -> Result<Response, WebError> {
    let g = access::in_guild(&state, &session, &guild).await?;
    let c = choice(&q, Metric::RaiderPoints)?;
    let page = service::quota::leaderboard(
        state.read_pool.pool(),
        g.guild,
        &g.actor,
        c.metric,
        c.period,
        (c.page - 1) * PAGE_SIZE,
        PAGE_SIZE,
    )
    .await?;
    let ids: Vec<Snowflake> = page.rows.iter().map(|r| r.member_id).collect();
    let names = service::dashboard::main_names(state.read_pool.pool(), g.guild, &ids).await?;
    let mut body = crate::pages::guild_nav(&g, &session);
    let search = q.q.as_deref().unwrap_or("").trim();
    let _ = write!(
        body,
        "<form method=\"get\" role=\"search\" class=\"search\">\
         <label for=\"q\">Find a member by in-game name</label> \
         <input id=\"q\" name=\"q\" value=\"{}\" maxlength=\"10\" autocomplete=\"off\">\
         <input type=\"hidden\" name=\"metric\" value=\"{}\">\
         <input type=\"hidden\" name=\"period\" value=\"{}\">\
         <button type=\"submit\">Search</button></form>",
        escape(search),
        c.metric.as_str(),
        c.period.as_str()
    );
    let member_url = |m: Snowflake| format!("/g/{}/members/{m}", g.guild);
    if !search.is_empty() {
        let found =
            service::dashboard::search_members(&state.pool, g.guild, &g.actor, search).await?;
        body.push_str("<section aria-labelledby=\"found\"><h2 id=\"found\">Members found</h2>");
        if found.is_empty() {
            body.push_str("<p>No member has an in-game name starting with that.</p>");
        } else {
            body.push_str("<ul>");
            for (id, ign) in &found {
                let _ = write!(
                    body,
                    "<li><a href=\"{}\">{}</a></li>",
                    member_url(*id),
                    escape(ign)
                );
            }
            body.push_str("</ul>");
        }
        body.push_str("</section>");
    }
    let base = format!("/g/{}/leaderboard", g.guild);
    body.push_str(&board_html(
        &base,
        &Metric::CATEGORIES,
        &page,
        Some(&names),
        Some(&member_url),
    ));
    Ok(Html(layout("Leaderboard", Some(&session.header()), &body)).into_response())
}

/// `GET /public/{guild}/leaderboard`: no login; 404 unless the server publishes it.
pub async fn public(
    State(state): State<WebState>,
    Path(guild): Path<String>,
    Query(q): Query<BoardQuery>,
) -> Result<Response, WebError> {
    let guild = Snowflake::parse(&guild)
        .map_err(|_| WebError::not_found("This server does not publish a leaderboard."))?;
    let board = service::dashboard::public_board(state.read_pool.pool(), guild).await?;
    let Some(first) = board.metrics.first().copied().filter(|_| board.enabled) else {
        return Err(WebError::not_found(
            "This server does not publish a leaderboard.",
        ));
    };
    let c = choice(&q, first)?;
    let (board, page) = service::dashboard::public_leaderboard(
        state.read_pool.pool(),
        guild,
        c.metric,
        c.period,
        (c.page - 1) * PAGE_SIZE,
    )
    .await?;
    let names = if board.show_names {
        let ids: Vec<Snowflake> = page.rows.iter().map(|r| r.member_id).collect();
        Some(service::dashboard::main_names(state.read_pool.pool(), guild, &ids).await?)
    } else {
        None
    };
    let base = format!("/public/{guild}/leaderboard");
    let body = board_html(&base, &board.metrics, &page, names.as_ref(), None);
    Ok(Html(layout("Leaderboard", None, &body)).into_response())
}
