//! Settings (administrators): role and channel mapping, runs' auto-end, raider point
//! values, quota requirements and the public leaderboard. Each form carries the session's
//! CSRF token and is checked against Discord's current answer (who the person is, which
//! roles and channels the server has); the `service` function behind the matching slash
//! command validates, stores, writes the audit row and queues the `bot_log` entry.

use std::fmt::Write as _;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::quota::{Metric, Points};
use domain::{ChannelKey, ChannelKind, RoleKey, Snowflake};
use serde::Deserialize;
use service::dashboard::PublicBoard;

use crate::access;
use crate::auth::Session;
use crate::html::{escape, layout};
use crate::{WebError, WebState};

/// Every value the form sent under `name`.
fn field<'a>(fields: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    fields
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The first value the form sent under `name`, trimmed ("" when none).
fn one<'a>(fields: &'a [(String, String)], name: &'a str) -> &'a str {
    field(fields, name).next().unwrap_or_default().trim()
}

fn checked(on: bool) -> &'static str {
    if on { " checked" } else { "" }
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// `GET /g/{guild}/settings`.
pub async fn page(
    State(state): State<WebState>,
    session: Session,
    Path(guild): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, WebError> {
    let g = access::in_guild_fresh(&state, &session, &guild).await?;
    let board = service::dashboard::public_board_settings(&state.pool, g.guild, &g.actor).await?;
    let mut body = crate::pages::guild_nav(&g, &session);
    if let Some(what) = q.saved.as_deref().and_then(saved_label) {
        let _ = write!(
            body,
            "<p class=\"saved\" role=\"status\">{what} saved. The change is posted in bot_log.</p>"
        );
    }
    other_sections(&state, &g, &session, &mut body).await?;
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
    Ok(saved(g.guild, "public"))
}

/// What `?saved=` names, in words.
fn saved_label(what: &str) -> Option<&'static str> {
    Some(match what {
        "roles" => "Roles",
        "channels" => "Channels",
        "runs" => "Auto-end",
        "points" => "Raider points",
        "quota" => "Quota",
        "public" => "Public leaderboard",
        _ => return None,
    })
}

/// Back to the settings page, saying what was saved.
fn saved(guild: Snowflake, what: &str) -> Response {
    Redirect::to(&format!("/g/{guild}/settings?saved={what}")).into_response()
}

fn selected(on: bool) -> &'static str {
    if on { " selected" } else { "" }
}

/// The form's opening with its CSRF token.
fn form_open(body: &mut String, guild: Snowflake, action: &str, csrf: &str) {
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/g/{guild}/settings/{action}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        escape(csrf)
    );
}

/// Channels of a kind raidbot can post in for `key`.
fn channel_fits(key: ChannelKey, kind: Option<u8>) -> bool {
    match key.kind() {
        // Text (0) and announcement (5) channels.
        ChannelKind::Text => matches!(kind, Some(0 | 5)),
        ChannelKind::Forum => kind == Some(15),
    }
}

/// Roles, channels, auto-end, point values and quota requirements.
async fn other_sections(
    state: &WebState,
    g: &access::InGuild,
    session: &Session,
    body: &mut String,
) -> Result<(), WebError> {
    let guild = g.guild;
    let csrf = &session.data.csrf_token;
    let roles = access::guild_roles(state, guild).await?;
    let channels = access::guild_channels(state, guild).await?;
    let mapping = service::config::view_roles(&state.pool, guild, &g.actor).await?;
    let channel_map = service::config::view_channels(&state.pool, guild, &g.actor).await?;
    let (auto_end, _) = service::config::run_auto_end(&state.pool, guild, &g.actor, None).await?;
    let points = service::quota::point_config(&state.pool, guild, &g.actor).await?;
    let quota = service::dashboard::quota_boards(&state.pool, guild, &g.actor).await?;
    let mut roles: Vec<_> = roles
        .into_iter()
        .filter(|r| r.snowflake().is_some_and(|id| id != guild))
        .collect();
    roles.sort_by(|a, b| {
        b.position
            .cmp(&a.position)
            .then_with(|| a.name.cmp(&b.name))
    });

    body.push_str(
        "<nav aria-label=\"Settings sections\" class=\"pager\"><a href=\"#roles\">Roles</a>\
                   <a href=\"#channels\">Channels</a><a href=\"#runs\">Runs</a>\
                   <a href=\"#points\">Raider points</a><a href=\"#quota\">Quota</a>\
                   <a href=\"#public\">Public leaderboard</a></nav>",
    );

    body.push_str("<section class=\"card\" aria-labelledby=\"roles\"><h2 id=\"roles\">Roles</h2>\
                   <p>Which Discord role stands for each of raidbot's levels (as <code>/setroles</code>).</p>");
    form_open(body, guild, "roles", csrf);
    body.push_str("<div class=\"grid-form\">");
    for key in RoleKey::ALL {
        let current = mapping.get(&key).copied();
        let _ = write!(
            body,
            "<label for=\"role-{k}\">{label}</label><select id=\"role-{k}\" name=\"role.{k}\">\
             <option value=\"\"{none}>not set</option>",
            k = key.as_str(),
            label = key.label(),
            none = selected(current.is_none()),
        );
        for r in &roles {
            let _ = write!(
                body,
                "<option value=\"{}\"{}>@{}</option>",
                escape(&r.id),
                selected(r.snowflake() == current),
                escape(&r.name)
            );
        }
        body.push_str("</select>");
    }
    body.push_str("</div><button type=\"submit\">Save roles</button></form></section>");

    body.push_str(
        "<section class=\"card\" aria-labelledby=\"channels\"><h2 id=\"channels\">Channels</h2>\
                   <p>Where raidbot posts (as <code>/setchannels</code>).</p>",
    );
    form_open(body, guild, "channels", csrf);
    body.push_str("<div class=\"grid-form\">");
    for key in ChannelKey::ALL {
        let current = channel_map.get(&key).copied();
        let _ = write!(
            body,
            "<label for=\"channel-{k}\">{purpose} <span class=\"muted\">({k})</span></label>\
             <select id=\"channel-{k}\" name=\"channel.{k}\"><option value=\"\"{none}>not set</option>",
            k = key.as_str(),
            purpose = escape(key.purpose()),
            none = selected(current.is_none()),
        );
        for c in channels.iter().filter(|c| channel_fits(key, c.kind)) {
            let _ = write!(
                body,
                "<option value=\"{}\"{}>#{}</option>",
                escape(&c.id),
                selected(c.snowflake() == current),
                escape(&c.name)
            );
        }
        body.push_str("</select>");
    }
    body.push_str("</div><button type=\"submit\">Save channels</button></form></section>");

    let _ = write!(
        body,
        "<section class=\"card\" aria-labelledby=\"runs\"><h2 id=\"runs\">Runs</h2>"
    );
    form_open(body, guild, "runs", csrf);
    let _ = write!(
        body,
        "<p><label>Runs end by themselves after \
         <input type=\"number\" name=\"auto_end\" min=\"1\" max=\"1440\" value=\"{auto_end}\" required> minutes</label> \
         (as <code>/setautoend</code>; runs already posted keep their end time).</p>\
         <button type=\"submit\">Save auto-end</button></form></section>"
    );

    let _ = write!(
        body,
        "<section class=\"card\" aria-labelledby=\"points\"><h2 id=\"points\">Raider points</h2>\
         <p>Points every raider earns (as <code>/configpoints</code>); per-dungeon values stay in Discord.</p>"
    );
    form_open(body, guild, "points", csrf);
    let _ = write!(
        body,
        "<div class=\"grid-form\"><label for=\"completion\">Per dungeon completed</label>\
         <input id=\"completion\" name=\"completion\" value=\"{}\" inputmode=\"decimal\" size=\"6\" required>\
         <label for=\"key_pop\">Per key popped</label>\
         <input id=\"key_pop\" name=\"key_pop\" value=\"{}\" inputmode=\"decimal\" size=\"6\" required></div>\
         <button type=\"submit\">Save raider points</button></form></section>",
        points.completion_points, points.key_pop_points
    );

    body.push_str("<section class=\"card\" aria-labelledby=\"quota\"><h2 id=\"quota\">Quota</h2>");
    if quota.is_empty() {
        body.push_str(
            "<p>No quota role yet: add one with <code>/configquota</code> in Discord.</p>",
        );
    } else {
        body.push_str(
            "<p>Points each quota role needs per period (as <code>/configquota</code>).</p>",
        );
        for b in &quota {
            let role = b.panel.role.role_id;
            let name = roles
                .iter()
                .find(|r| r.snowflake() == Some(role))
                .map_or_else(|| format!("role {role}"), |r| format!("@{}", r.name));
            form_open(body, guild, "quota", csrf);
            let _ = write!(
                body,
                "<input type=\"hidden\" name=\"role\" value=\"{role}\">\
                 <p><label>{} needs <input name=\"required\" value=\"{}\" inputmode=\"decimal\" size=\"6\" required> \
                 points</label> <button type=\"submit\">Save</button></p></form>",
                escape(&name),
                b.panel.role.required
            );
        }
    }
    body.push_str("</section>");
    Ok(())
}

/// A role or channel id from a form ("" clears it).
fn optional_id(text: &str) -> Result<Option<Snowflake>, WebError> {
    if text.is_empty() {
        return Ok(None);
    }
    Snowflake::parse(text)
        .map(Some)
        .map_err(|_| WebError::bad_request("That is not a Discord id."))
}

/// `POST /g/{guild}/settings/roles`: the keys whose role changed.
pub async fn save_roles(
    State(state): State<WebState>,
    session: Session,
    headers: HeaderMap,
    Path(guild): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    session.check_form(&state, &headers, one(&fields, "csrf"))?;
    let g = access::in_guild_fresh(&state, &session, &guild).await?;
    service::config::may_set_roles(&g.actor)?;
    let roles = state
        .discord
        .guild_roles(g.guild)
        .await
        .map_err(WebError::discord)?;
    let current = service::config::view_roles(&state.pool, g.guild, &g.actor).await?;
    let mut changes = Vec::new();
    for key in RoleKey::ALL {
        let name = format!("role.{}", key.as_str());
        if field(&fields, &name).next().is_none() {
            continue;
        }
        let role = optional_id(one(&fields, &name))?;
        if let Some(r) = role
            && (r == g.guild || !roles.iter().any(|x| x.snowflake() == Some(r)))
        {
            return Err(WebError::bad_request(format!(
                "{}: that role is not one of this server's roles.",
                key.label()
            )));
        }
        if current.get(&key).copied() != role {
            changes.push((key, role));
        }
    }
    service::config::set_roles(&state.pool, g.guild, &g.actor, &changes).await?;
    state.cache.guild_roles.put(g.guild, roles);
    Ok(saved(g.guild, "roles"))
}

/// `POST /g/{guild}/settings/channels`: the keys whose channel changed.
pub async fn save_channels(
    State(state): State<WebState>,
    session: Session,
    headers: HeaderMap,
    Path(guild): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    session.check_form(&state, &headers, one(&fields, "csrf"))?;
    let g = access::in_guild_fresh(&state, &session, &guild).await?;
    g.actor.require(RoleKey::Administrator)?;
    let channels = state
        .discord
        .guild_channels(g.guild)
        .await
        .map_err(WebError::discord)?;
    let current = service::config::view_channels(&state.pool, g.guild, &g.actor).await?;
    let mut changes = Vec::new();
    for key in ChannelKey::ALL {
        let name = format!("channel.{}", key.as_str());
        if field(&fields, &name).next().is_none() {
            continue;
        }
        let channel = optional_id(one(&fields, &name))?;
        if let Some(c) = channel {
            let fits = channels
                .iter()
                .find(|x| x.snowflake() == Some(c))
                .is_some_and(|x| channel_fits(key, x.kind));
            if !fits {
                return Err(WebError::bad_request(format!(
                    "{} ({}) must be {} of this server.",
                    key.purpose(),
                    key.as_str(),
                    key.kind().label()
                )));
            }
        }
        if current.get(&key).copied() != channel {
            changes.push((key, channel));
        }
    }
    service::config::set_channels(&state.pool, g.guild, &g.actor, &changes).await?;
    state.cache.guild_channels.put(g.guild, channels);
    Ok(saved(g.guild, "channels"))
}

/// `POST /g/{guild}/settings/runs`: runs' auto-end.
pub async fn save_runs(
    State(state): State<WebState>,
    session: Session,
    headers: HeaderMap,
    Path(guild): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    session.check_form(&state, &headers, one(&fields, "csrf"))?;
    let g = access::in_guild_fresh(&state, &session, &guild).await?;
    let minutes = one(&fields, "auto_end")
        .parse::<i32>()
        .map_err(|_| WebError::bad_request("Auto-end is a number of minutes, 1 to 1440."))?;
    service::config::run_auto_end(&state.pool, g.guild, &g.actor, Some(minutes)).await?;
    Ok(saved(g.guild, "runs"))
}

fn points(fields: &[(String, String)], name: &str, label: &str) -> Result<Points, WebError> {
    Points::parse(one(fields, name)).map_err(|e| WebError::bad_request(format!("{label}: {e}")))
}

/// `POST /g/{guild}/settings/points`: the default raider points.
pub async fn save_points(
    State(state): State<WebState>,
    session: Session,
    headers: HeaderMap,
    Path(guild): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    session.check_form(&state, &headers, one(&fields, "csrf"))?;
    let g = access::in_guild_fresh(&state, &session, &guild).await?;
    g.actor.require(RoleKey::Administrator)?;
    let change = service::quota::PointsChange::Defaults {
        completion: points(&fields, "completion", "Per dungeon completed")?,
        key_pop: points(&fields, "key_pop", "Per key popped")?,
    };
    service::quota::configure_points(&state.pool, g.guild, &g.actor, change).await?;
    Ok(saved(g.guild, "points"))
}

/// `POST /g/{guild}/settings/quota`: one quota role's required points.
pub async fn save_quota(
    State(state): State<WebState>,
    session: Session,
    headers: HeaderMap,
    Path(guild): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    session.check_form(&state, &headers, one(&fields, "csrf"))?;
    let g = access::in_guild_fresh(&state, &session, &guild).await?;
    g.actor.require(RoleKey::Administrator)?;
    let role = optional_id(one(&fields, "role"))?
        .ok_or_else(|| WebError::bad_request("Say which quota role."))?;
    let boards = service::dashboard::quota_boards(&state.pool, g.guild, &g.actor).await?;
    if !boards.iter().any(|b| b.panel.role.role_id == role) {
        return Err(WebError::not_found("That role has no quota."));
    }
    let required = points(&fields, "required", "Required points")?;
    service::quota::configure_quota_role(
        &state.pool,
        g.guild,
        &g.actor,
        role,
        None,
        service::quota::QuotaChange::Required(required),
    )
    .await?;
    Ok(saved(g.guild, "quota"))
}
