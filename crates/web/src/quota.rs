//! The quota page (`/g/{guild}/quota`, organizers and up): each quota role's members with
//! a progress bar for the current period, and how its past periods went.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use domain::Snowflake;
use domain::quota::Period;

use crate::access;
use crate::auth::Session;
use crate::html::{escape, layout};
use crate::{WebError, WebState};

fn period_text(p: &Period) -> String {
    format!(
        "{} to {}",
        p.start.format("%Y-%m-%d %H:%M"),
        p.end.format("%Y-%m-%d %H:%M UTC")
    )
}

/// `GET /g/{guild}/quota`.
pub async fn page(
    State(state): State<WebState>,
    session: Session,
    Path(guild): Path<String>,
) -> Result<Response, WebError> {
    let g = access::in_guild_fresh(&state, &session, &guild).await?;
    let boards = service::dashboard::quota_boards(&state.pool, g.guild, &g.actor).await?;
    // Role names come from Discord (the database keeps only ids); a role Discord no
    // longer lists is shown by its id.
    let role_names: HashMap<Snowflake, String> = if boards.is_empty() {
        HashMap::new()
    } else {
        crate::access::guild_roles(&state, g.guild)
            .await?
            .iter()
            .filter_map(|r| Some((r.snowflake()?, r.name.clone())))
            .collect()
    };
    let mut body = crate::pages::guild_nav(&g, &session);
    if boards.is_empty() {
        body.push_str(
            "<p>This server has no quota roles yet. An administrator sets them up with \
             <code>/configquota</code>.</p>",
        );
    }
    for (i, b) in boards.iter().enumerate() {
        let role = b.panel.role.role_id;
        let name = role_names
            .get(&role)
            .map_or_else(|| format!("role {role}"), |n| format!("@{n}"));
        let required = b.panel.role.required;
        let met = b
            .panel
            .rows
            .iter()
            .filter(|(_, p)| required.0 > 0 && *p >= required)
            .count();
        let _ = write!(
            body,
            "<section class=\"card\" aria-labelledby=\"q{i}\"><h2 id=\"q{i}\">{}</h2>\
             <p>{} points required this period ({}). {} of {} members have met it.</p>",
            escape(&name),
            required,
            period_text(&b.panel.period),
            met,
            b.panel.rows.len()
        );
        if b.panel.rows.is_empty() {
            body.push_str("<p>Nobody holds this role as their highest quota role.</p>");
        } else {
            let _ = write!(
                body,
                "<div class=\"table-wrap\"><table aria-labelledby=\"q{i}\"><thead><tr>\
                 <th scope=\"col\">Member</th><th scope=\"col\">Points</th>\
                 <th scope=\"col\">Progress</th></tr></thead><tbody>"
            );
            for (member, points) in &b.panel.rows {
                let label = b
                    .names
                    .get(member)
                    .map_or_else(|| format!("member {member}"), |n| escape(n));
                let progress = if required.0 > 0 {
                    let done = points.0.clamp(0, required.0);
                    let mark = if *points >= required { " ✓" } else { "" };
                    format!(
                        "<span class=\"bar\"><progress value=\"{done}\" max=\"{}\" \
                         aria-label=\"{} of {required}\">{points} of {required}</progress>{mark}</span>",
                        required.0, points,
                    )
                } else {
                    "no quota required".to_owned()
                };
                let _ = write!(
                    body,
                    "<tr><td><a href=\"/g/{}/members/{member}\">{label}</a></td><td>{points}</td>\
                     <td>{progress}</td></tr>",
                    g.guild
                );
            }
            body.push_str("</tbody></table></div>");
        }
        if !b.past.is_empty() {
            let _ = write!(
                body,
                "<h3 id=\"q{i}-past\">Past periods</h3><ul class=\"plain\" aria-labelledby=\"q{i}-past\">"
            );
            for (period, met, members) in &b.past {
                let _ = write!(
                    body,
                    "<li>{}: {met} of {members} met the quota</li>",
                    period_text(period)
                );
            }
            body.push_str("</ul><p class=\"muted\">Past periods are counted for today's members of the role.</p>");
        }
        body.push_str("</section>");
    }
    Ok(Html(layout("Quota", Some(&session.header()), &body)).into_response())
}
