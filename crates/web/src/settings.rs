//! Settings (administrators): role and channel mapping, runs' auto-end, raider point
//! values (defaults and per dungeon), quota requirements, verification (methods,
//! requirements, the get-verified panel), role pings and the public leaderboard. Each form carries the session's
//! CSRF token and is checked against Discord's current answer (who the person is, which
//! roles and channels the server has); the `service` function behind the matching slash
//! command validates, stores, writes the audit row and queues the `bot_log` entry.

use std::fmt::Write as _;

use axum::Form;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::extract::{Path, Query, State};
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

/// A settings form as every save handler starts: the signed-in person's session, the
/// form's CSRF token and origin checked, and the guild as Discord says they stand in it
/// now. The handler then validates the fields, calls the service (which audits and
/// refuses) and redirects back with [`saved`].
pub struct SettingsForm {
    state: WebState,
    g: access::InGuild,
    fields: Vec<(String, String)>,
}

impl FromRequest<WebState> for SettingsForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &WebState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Path(guild) = Path::<String>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let headers = parts.headers.clone();
        let Form(fields) =
            Form::<Vec<(String, String)>>::from_request(Request::from_parts(parts, body), state)
                .await
                .map_err(IntoResponse::into_response)?;
        let csrf = field(&fields, "csrf").next().unwrap_or_default();
        session
            .check_form(state, &headers, csrf)
            .map_err(IntoResponse::into_response)?;
        let g = access::in_guild_fresh(state, &session, &guild)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(SettingsForm {
            state: state.clone(),
            g,
            fields,
        })
    }
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
pub async fn save_public_board(form: SettingsForm) -> Result<Response, WebError> {
    let SettingsForm { state, g, fields } = form;
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
        "dungeon-points" => "Dungeon points",
        "verification" => "Verification",
        "role-pings" => "Role ping",
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
                   <a href=\"#points\">Raider points</a><a href=\"#dungeon-points\">Dungeon points</a>\
                   <a href=\"#quota\">Quota</a><a href=\"#verification\">Verification</a>\
                   <a href=\"#role-pings\">Role pings</a><a href=\"#public\">Public leaderboard</a></nav>",
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
         <p>Points every raider earns (as <code>/configpoints</code>); a dungeon may have its own values below.</p>"
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
    dungeon_points_section(body, guild, csrf, &points);

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
    let veri = service::verification::config_for_staff(&state.pool, guild, &g.actor).await?;
    let getverified = channel_map.contains_key(&ChannelKey::Getverified);
    verification_section(body, guild, csrf, &veri, getverified);
    let pings = service::role_pings::list(&state.pool, guild, &g.actor).await?;
    role_pings_section(body, guild, csrf, &pings, &roles);
    Ok(())
}

/// The catalogue's dungeons as `<option>`s, `current` selected.
fn dungeon_options(body: &mut String, current: Option<&str>) {
    for d in &domain::catalog::catalog().dungeons {
        let _ = write!(
            body,
            "<option value=\"{}\"{}>{}</option>",
            escape(&d.code),
            selected(current == Some(d.code.as_str())),
            escape(&d.name)
        );
    }
}

/// Per-dungeon raider points: the values set, and a form to set or clear one.
fn dungeon_points_section(
    body: &mut String,
    guild: Snowflake,
    csrf: &str,
    points: &service::quota::PointConfig,
) {
    let catalog = domain::catalog::catalog();
    body.push_str(
        "<section class=\"card\" aria-labelledby=\"dungeon-points\"><h2 id=\"dungeon-points\">Dungeon points</h2>\
         <p>Raider points for one dungeon instead of the values above (as <code>/configpoints</code>). \
         Leave a value blank to use the default.</p>",
    );
    let overrides: Vec<_> = points
        .dungeons
        .iter()
        .filter(|(_, (c, k))| c.is_some() || k.is_some())
        .collect();
    if overrides.is_empty() {
        body.push_str("<p>Every dungeon uses the default values.</p>");
    } else {
        body.push_str(
            "<div class=\"table-wrap\"><table aria-labelledby=\"dungeon-points\"><thead><tr>\
             <th scope=\"col\">Dungeon</th><th scope=\"col\">Per completion</th>\
             <th scope=\"col\">Per key popped</th></tr></thead><tbody>",
        );
        let or_default = |p: &Option<domain::quota::Points>, d: domain::quota::Points| {
            p.map_or_else(|| format!("{d} (default)"), |p| p.to_string())
        };
        for (code, (c, k)) in overrides {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&catalog.dungeon_name(code)),
                or_default(c, points.completion_points),
                or_default(k, points.key_pop_points)
            );
        }
        body.push_str("</tbody></table></div>");
    }
    form_open(body, guild, "dungeon-points", csrf);
    body.push_str(
        "<div class=\"grid-form\"><label for=\"dp-dungeon\">Dungeon</label>\
         <select id=\"dp-dungeon\" name=\"dungeon\" required>",
    );
    dungeon_options(body, None);
    body.push_str(
        "</select><label for=\"dp-completion\">Per completion</label>\
         <input id=\"dp-completion\" name=\"completion\" inputmode=\"decimal\" size=\"6\" placeholder=\"default\">\
         <label for=\"dp-key\">Per key popped</label>\
         <input id=\"dp-key\" name=\"key_pop\" inputmode=\"decimal\" size=\"6\" placeholder=\"default\"></div>\
         <button type=\"submit\">Save dungeon points</button></form></section>",
    );
}

/// Verification: methods, RealmEye requirements and the get-verified panel.
fn verification_section(
    body: &mut String,
    guild: Snowflake,
    csrf: &str,
    c: &service::verification::VeriConfig,
    getverified: bool,
) {
    use domain::verification::{
        IMAGE_URL_MAX, MIN_ACCOUNT_AGE_MAX, MIN_CHARACTERS_MAX, MIN_RANK_MAX, PANEL_MESSAGE_MAX,
    };
    let r = &c.requirements;
    let num = |v: Option<u32>| v.unwrap_or(0);
    body.push_str(
        "<section class=\"card\" aria-labelledby=\"verification\"><h2 id=\"verification\">Verification</h2>\
         <p>How members get verified and what RealmEye must show (as <code>/configverification</code>). \
         0 means no requirement.</p>",
    );
    form_open(body, guild, "verification", csrf);
    let _ = write!(
        body,
        "<fieldset><legend>Methods (at least one)</legend>\
         <label><input type=\"checkbox\" name=\"realmeye\" value=\"on\"{}> Automatic RealmEye check</label><br>\
         <label><input type=\"checkbox\" name=\"screenshot\" value=\"on\"{}> Screenshot reviewed by staff</label>\
         </fieldset>\
         <fieldset><legend>RealmEye requirements</legend><div class=\"grid-form\">\
         <label for=\"v-rank\">Minimum rank (stars)</label>\
         <input id=\"v-rank\" type=\"number\" name=\"min_rank\" min=\"0\" max=\"{MIN_RANK_MAX}\" value=\"{}\" required>\
         <label for=\"v-fame\">Minimum alive fame</label>\
         <input id=\"v-fame\" type=\"number\" name=\"min_alive_fame\" min=\"0\" value=\"{}\" required>\
         <label for=\"v-chars\">Minimum characters</label>\
         <input id=\"v-chars\" type=\"number\" name=\"min_characters\" min=\"0\" max=\"{MIN_CHARACTERS_MAX}\" value=\"{}\" required>\
         <label for=\"v-age\">Minimum account age (days)</label>\
         <input id=\"v-age\" type=\"number\" name=\"min_account_age_days\" min=\"0\" max=\"{MIN_ACCOUNT_AGE_MAX}\" value=\"{}\" required>\
         </div><label><input type=\"checkbox\" name=\"hidden_location\" value=\"on\"{}> \
         Last-seen location must be hidden</label></fieldset>\
         <fieldset><legend>Get-verified panel</legend>\
         <p><label for=\"v-message\">Instructions shown on the panel</label><br>\
         <textarea id=\"v-message\" name=\"panel_message\" rows=\"4\" maxlength=\"{PANEL_MESSAGE_MAX}\">{}</textarea></p>\
         <p><label for=\"v-image\">Image (an https:// address)</label><br>\
         <input id=\"v-image\" type=\"url\" name=\"image_url\" maxlength=\"{IMAGE_URL_MAX}\" value=\"{}\"></p>",
        checked(c.realmeye_enabled),
        checked(c.screenshot_enabled),
        num(r.min_rank),
        r.min_alive_fame.unwrap_or(0),
        num(r.min_characters),
        num(r.min_account_age_days),
        checked(r.hidden_location),
        escape(c.panel_message.as_deref().unwrap_or("")),
        escape(c.image_url.as_deref().unwrap_or("")),
    );
    if getverified {
        body.push_str(
            "<p><label><input type=\"checkbox\" name=\"post_panel\" value=\"on\" checked> \
             Post the panel in the getverified channel after saving</label></p>",
        );
    } else {
        body.push_str(
            "<p class=\"muted\">Set the getverified channel above to post the panel from here.</p>",
        );
    }
    body.push_str("</fieldset><button type=\"submit\">Save verification</button></form></section>");
}

/// Role pings: which role a dungeon's runs mention, each removable, and a form to map one.
fn role_pings_section(
    body: &mut String,
    guild: Snowflake,
    csrf: &str,
    pings: &[service::role_pings::RolePing],
    roles: &[crate::discord::Named],
) {
    let catalog = domain::catalog::catalog();
    let role_name = |id: Snowflake| {
        roles
            .iter()
            .find(|r| r.snowflake() == Some(id))
            .map_or_else(|| format!("role {id}"), |r| format!("@{}", r.name))
    };
    body.push_str(
        "<section class=\"card\" aria-labelledby=\"role-pings\"><h2 id=\"role-pings\">Role pings</h2>\
         <p>The role a dungeon's runs mention when they are posted (as <code>/configrolepings</code>); \
         members pick them from the panel <code>/sendrolepingembed</code> posts.</p>",
    );
    if pings.is_empty() {
        body.push_str("<p>No dungeon has a ping role yet.</p>");
    } else {
        body.push_str("<ul class=\"plain\">");
        for p in pings {
            let name = catalog.dungeon_name(&p.dungeon_code);
            let _ = write!(
                body,
                "<li>{} → {} ",
                escape(&name),
                escape(&role_name(p.role_id))
            );
            form_open(body, guild, "role-pings", csrf);
            let _ = write!(
                body,
                "<input type=\"hidden\" name=\"dungeon\" value=\"{}\">\
                 <input type=\"hidden\" name=\"role\" value=\"\">\
                 <button type=\"submit\" aria-label=\"Remove the ping role of {}\">Remove</button></form></li>",
                escape(&p.dungeon_code),
                escape(&name)
            );
        }
        body.push_str("</ul>");
    }
    form_open(body, guild, "role-pings", csrf);
    body.push_str(
        "<div class=\"grid-form\"><label for=\"rp-dungeon\">Dungeon</label>\
         <select id=\"rp-dungeon\" name=\"dungeon\" required>",
    );
    dungeon_options(body, None);
    body.push_str(
        "</select><label for=\"rp-role\">Role</label><select id=\"rp-role\" name=\"role\">\
         <option value=\"\">no ping</option>",
    );
    for r in roles {
        let _ = write!(
            body,
            "<option value=\"{}\">@{}</option>",
            escape(&r.id),
            escape(&r.name)
        );
    }
    body.push_str(
        "</select></div><button type=\"submit\">Save role ping</button></form></section>",
    );
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
pub async fn save_roles(form: SettingsForm) -> Result<Response, WebError> {
    let SettingsForm { state, g, fields } = form;
    service::config::may_configure(&g.actor)?;
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
pub async fn save_channels(form: SettingsForm) -> Result<Response, WebError> {
    let SettingsForm { state, g, fields } = form;
    service::config::may_configure(&g.actor)?;
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
pub async fn save_runs(form: SettingsForm) -> Result<Response, WebError> {
    let SettingsForm { state, g, fields } = form;
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
pub async fn save_points(form: SettingsForm) -> Result<Response, WebError> {
    let SettingsForm { state, g, fields } = form;
    service::config::may_configure(&g.actor)?;
    let change = service::quota::PointsChange::Defaults {
        completion: points(&fields, "completion", "Per dungeon completed")?,
        key_pop: points(&fields, "key_pop", "Per key popped")?,
    };
    service::quota::configure_points(&state.pool, g.guild, &g.actor, change).await?;
    Ok(saved(g.guild, "points"))
}

/// `POST /g/{guild}/settings/quota`: one quota role's required points.
pub async fn save_quota(form: SettingsForm) -> Result<Response, WebError> {
    let SettingsForm { state, g, fields } = form;
    service::config::may_configure(&g.actor)?;
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

fn optional_points(
    fields: &[(String, String)],
    name: &str,
    label: &str,
) -> Result<Option<Points>, WebError> {
    if one(fields, name).is_empty() {
        Ok(None)
    } else {
        points(fields, name, label).map(Some)
    }
}

/// `POST /g/{guild}/settings/dungeon-points`: one dungeon's raider points (blank: the
/// default).
pub async fn save_dungeon_points(form: SettingsForm) -> Result<Response, WebError> {
    let SettingsForm { state, g, fields } = form;
    service::config::may_configure(&g.actor)?;
    let change = service::quota::PointsChange::Dungeon {
        dungeon: one(&fields, "dungeon").to_owned(),
        completion: optional_points(&fields, "completion", "Per completion")?,
        key_pop: optional_points(&fields, "key_pop", "Per key popped")?,
    };
    service::quota::configure_points(&state.pool, g.guild, &g.actor, change).await?;
    Ok(saved(g.guild, "dungeon-points"))
}

/// A whole number from a form, within the command's limits.
fn number<T: std::str::FromStr>(
    fields: &[(String, String)],
    name: &str,
    label: &str,
) -> Result<T, WebError> {
    let text = one(fields, name);
    let text = if text.is_empty() { "0" } else { text };
    text.parse().map_err(|_| {
        WebError::bad_request(format!("{label} is a whole number, 0 for no requirement."))
    })
}

/// `POST /g/{guild}/settings/verification`: every verification setting at once, and the
/// panel posted in getverified when asked.
pub async fn save_verification(form: SettingsForm) -> Result<Response, WebError> {
    let SettingsForm { state, g, fields } = form;
    service::config::may_configure(&g.actor)?;
    let on = |name| field(&fields, name).any(|v| v == "on");
    let change = service::verification::ConfigChange {
        realmeye: Some(on("realmeye")),
        screenshot: Some(on("screenshot")),
        panel_message: Some(
            field(&fields, "panel_message")
                .next()
                .unwrap_or_default()
                .replace("\r\n", "\n"),
        ),
        image_url: Some(one(&fields, "image_url").to_owned()),
        min_rank: Some(number(&fields, "min_rank", "Minimum rank")?),
        min_alive_fame: Some(number(&fields, "min_alive_fame", "Minimum alive fame")?),
        min_characters: Some(number(&fields, "min_characters", "Minimum characters")?),
        min_account_age_days: Some(number(
            &fields,
            "min_account_age_days",
            "Minimum account age",
        )?),
        hidden_location: Some(on("hidden_location")),
        post_panel: on("post_panel"),
    };
    service::verification::configure(&state.pool, g.guild, &g.actor, change).await?;
    Ok(saved(g.guild, "verification"))
}

/// `POST /g/{guild}/settings/role-pings`: maps a dungeon to a role, or clears it (no role).
pub async fn save_role_ping(form: SettingsForm) -> Result<Response, WebError> {
    let SettingsForm { state, g, fields } = form;
    service::config::may_configure(&g.actor)?;
    let role = optional_id(one(&fields, "role"))?;
    if let Some(r) = role {
        let roles = state
            .discord
            .guild_roles(g.guild)
            .await
            .map_err(WebError::discord)?;
        if r != g.guild && !roles.iter().any(|x| x.snowflake() == Some(r)) {
            return Err(WebError::bad_request(
                "That role is not one of this server's roles.",
            ));
        }
        state.cache.guild_roles.put(g.guild, roles);
    }
    service::role_pings::configure(
        &state.pool,
        g.guild,
        &g.actor,
        one(&fields, "dungeon"),
        role,
    )
    .await?;
    Ok(saved(g.guild, "role-pings"))
}
