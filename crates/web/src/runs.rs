//! Run history: filters (dungeon, organizer, status, dates) as a GET form, pages by
//! cursor (the last run id), and the same list as CSV.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use domain::{RunStatus, Snowflake};
use serde::Deserialize;
use service::dashboard::RunFilter;
use service::runs::Run;

use crate::access;
use crate::auth::Session;
use crate::html::{escape, layout};
use crate::{WebError, WebState};

/// Runs on one page.
const PAGE: i64 = 50;
/// The most runs one CSV export holds.
const CSV_MAX: usize = 10_000;

#[derive(Deserialize, Default)]
pub struct RunsQuery {
    dungeon: Option<String>,
    organizer: Option<String>,
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
}

fn some(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn date(name: &str, text: Option<&str>, next_day: bool) -> Result<Option<DateTime<Utc>>, WebError> {
    let Some(text) = text else { return Ok(None) };
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        WebError::bad_request(format!("The {name} date must look like 2026-12-31."))
    })?;
    let day = if next_day {
        day.succ_opt().unwrap_or(day)
    } else {
        day
    };
    Ok(day.and_hms_opt(0, 0, 0).map(|t| t.and_utc()))
}

fn filter(q: &RunsQuery) -> Result<(RunFilter, Option<i64>), WebError> {
    let organizer = some(&q.organizer)
        .map(|o| {
            Snowflake::parse(o.trim_start_matches("<@").trim_end_matches('>'))
                .map_err(|_| WebError::bad_request("The organizer must be a Discord user id."))
        })
        .transpose()?;
    let status = some(&q.status)
        .map(|s| {
            RunStatus::parse(s)
                .map(|s| s.as_str().to_owned())
                .ok_or_else(|| {
                    WebError::bad_request("The status must be open, live, ended or cancelled.")
                })
        })
        .transpose()?;
    let before = some(&q.before)
        .map(|b| {
            b.parse::<i64>()
                .ok()
                .filter(|b| *b > 0)
                .ok_or_else(|| WebError::bad_request("That page link is not valid."))
        })
        .transpose()?;
    Ok((
        RunFilter {
            dungeon: some(&q.dungeon).map(str::to_owned),
            organizer,
            status,
            from: date("first", some(&q.from), false)?,
            to: date("last", some(&q.to), true)?,
        },
        before,
    ))
}

/// The query string of the filters (without the cursor), for links.
fn filter_query(q: &RunsQuery) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("dungeon", &q.dungeon),
        ("organizer", &q.organizer),
        ("status", &q.status),
        ("from", &q.from),
        ("to", &q.to),
    ] {
        if let Some(v) = some(v) {
            s.append_pair(k, v);
        }
    }
    s.finish()
}

fn dungeon_name(code: &str) -> String {
    domain::catalog::catalog().dungeon_name(code)
}

fn duration(run: &Run) -> String {
    let start = run.started_at.unwrap_or(run.created_at);
    match run.ended_at.or(run.cancelled_at) {
        Some(end) => {
            let minutes = (end - start).num_minutes().max(0);
            format!("{}h {:02}m", minutes / 60, minutes % 60)
        }
        None => String::new(),
    }
}

fn closed_by(run: &Run) -> String {
    match (
        &run.closed_by_label,
        run.closed_by,
        run.close_reason.as_deref(),
    ) {
        (_, _, Some("auto")) => "auto-end".to_owned(),
        (Some(label), _, _) => label.clone(),
        (None, Some(user), _) => format!("user {user}"),
        _ => String::new(),
    }
}

/// `GET /g/{guild}/runs`.
pub async fn page(
    State(state): State<WebState>,
    session: Session,
    Path(guild): Path<String>,
    Query(q): Query<RunsQuery>,
) -> Result<Response, WebError> {
    let g = access::in_guild(&state, &session, &guild).await?;
    let (f, before) = filter(&q)?;
    let runs =
        service::dashboard::run_history(&state.pool, g.guild, &g.actor, &f, before, PAGE).await?;
    let mut body = crate::pages::guild_nav(&g, &session);
    let status_options: String = ["", "open", "live", "ended", "cancelled"]
        .iter()
        .map(|s| {
            let selected =
                if some(&q.status) == Some(*s) || (s.is_empty() && some(&q.status).is_none()) {
                    " selected"
                } else {
                    ""
                };
            let label = if s.is_empty() { "any" } else { s };
            format!("<option value=\"{s}\"{selected}>{label}</option>")
        })
        .collect();
    let value = |v: &Option<String>| escape(some(v).unwrap_or(""));
    let _ = write!(
        body,
        "<form method=\"get\" class=\"search\" aria-label=\"Filter runs\">\
         <label>Dungeon <input name=\"dungeon\" value=\"{}\" size=\"10\"></label>\
         <label>Organizer id <input name=\"organizer\" value=\"{}\" size=\"20\" inputmode=\"numeric\"></label>\
         <label>Status <select name=\"status\">{status_options}</select></label>\
         <label>From <input type=\"date\" name=\"from\" value=\"{}\"></label>\
         <label>To <input type=\"date\" name=\"to\" value=\"{}\"></label>\
         <button type=\"submit\">Filter</button></form>",
        value(&q.dungeon),
        value(&q.organizer),
        value(&q.from),
        value(&q.to),
    );
    let query = filter_query(&q);
    let _ = write!(
        body,
        "<p><a href=\"/g/{}/runs.csv?{}\" download>Download as CSV</a></p>",
        g.guild,
        escape(&query)
    );
    if runs.is_empty() {
        body.push_str("<p>No runs match.</p>");
    } else {
        body.push_str(
            "<div class=\"table-wrap\"><table><caption>Runs, newest first</caption><thead><tr>\
             <th scope=\"col\">Run</th><th scope=\"col\">Dungeon</th><th scope=\"col\">Organizer</th>\
             <th scope=\"col\">Status</th><th scope=\"col\">Posted</th><th scope=\"col\">Duration</th>\
             <th scope=\"col\">Raiders</th><th scope=\"col\">Keys</th><th scope=\"col\">Ended by</th>\
             </tr></thead><tbody>",
        );
        for r in &runs {
            let _ = write!(
                body,
                "<tr><td><a href=\"/g/{guild}/runs/{id}\">#{id}</a></td><td>{}</td><td><a href=\"/g/{}/members/{}\">{}</a></td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&dungeon_name(&r.dungeon_code)),
                g.guild,
                r.organizer_id,
                r.organizer_id,
                r.status.as_str(),
                r.created_at.format("%Y-%m-%d %H:%M"),
                duration(r),
                r.participant_count,
                r.keys_popped,
                escape(&closed_by(r)),
                guild = g.guild,
                id = r.run_id,
            );
        }
        body.push_str("</tbody></table></div>");
        if runs.len() as i64 == PAGE
            && let Some(last) = runs.last()
        {
            let sep = if query.is_empty() { "" } else { "&amp;" };
            let _ = write!(
                body,
                "<nav class=\"pager\" aria-label=\"Pages\"><a rel=\"next\" href=\"/g/{}/runs?{}{sep}before={}\">Older runs</a></nav>",
                g.guild,
                escape(&query),
                last.run_id
            );
        }
    }
    Ok(Html(layout("Runs", Some(&session.header()), &body)).into_response())
}

/// A CSV field, quoted when it needs to be; a leading `=`, `+`, `-` or `@` is defused so a
/// spreadsheet does not run it as a formula.
fn csv(field: &str) -> String {
    let field = if field.starts_with(['=', '+', '-', '@']) {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

/// `GET /g/{guild}/runs.csv`: the filtered runs, newest first, up to 10,000.
pub async fn export(
    State(state): State<WebState>,
    session: Session,
    Path(guild): Path<String>,
    Query(q): Query<RunsQuery>,
) -> Result<Response, WebError> {
    let g = access::in_guild(&state, &session, &guild).await?;
    let (f, mut before) = filter(&q)?;
    let mut out = String::from(
        "run_id,dungeon,organizer_id,status,created_at,started_at,ended_at,duration_minutes,raiders,keys_popped,ended_by\r\n",
    );
    let mut rows = 0;
    loop {
        let page = service::dashboard::run_history(
            &state.pool,
            g.guild,
            &g.actor,
            &f,
            before,
            service::dashboard::RUN_PAGE_MAX,
        )
        .await?;
        for r in &page {
            let end = r.ended_at.or(r.cancelled_at);
            let minutes = end
                .map(|e| {
                    (e - r.started_at.unwrap_or(r.created_at))
                        .num_minutes()
                        .max(0)
                        .to_string()
                })
                .unwrap_or_default();
            let _ = write!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{}\r\n",
                r.run_id,
                csv(&dungeon_name(&r.dungeon_code)),
                r.organizer_id,
                r.status.as_str(),
                r.created_at.to_rfc3339(),
                r.started_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                end.map(|t| t.to_rfc3339()).unwrap_or_default(),
                minutes,
                r.participant_count,
                r.keys_popped,
                csv(&closed_by(r))
            );
            rows += 1;
        }
        match page.last() {
            Some(last)
                if (page.len() as i64) == service::dashboard::RUN_PAGE_MAX && rows < CSV_MAX =>
            {
                before = Some(last.run_id);
            }
            _ => break,
        }
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"runs-{}.csv\"", g.guild),
            ),
        ],
        out,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv("Shatters"), "Shatters");
        assert_eq!(csv("a,b"), "\"a,b\"");
        assert_eq!(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv("=cmd()"), "'=cmd()");
    }
}
