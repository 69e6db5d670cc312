//! Verification: the get-verified panel, the DM messages, review cards and veri_log lines.

use domain::verification::IgnError;
use domain::{CustomId, VeriAction, VeriComponent};
use messages::Style;
use service::tasks::{RetryReason, VeriNote};
use service::verification::{
    CheckFailure, CustomRole, Event, Review, Session, VeriConfig, VerificationError,
};
use twilight_model::channel::message::component::{ButtonStyle, Component};
use twilight_model::channel::message::embed::Embed;
use twilight_model::http::interaction::InteractionResponseData;
use twilight_util::builder::embed::{
    EmbedBuilder, EmbedFieldBuilder, EmbedFooterBuilder, ImageSource,
};

use super::components::{button, row};
use super::runs::{ModalField, modal};
use super::{COLOR_ERROR, COLOR_INFO, COLOR_OK, COLOR_WARN, relative_time};

pub fn id(action: VeriAction, row: i64) -> String {
    CustomId::Verification(VeriComponent::new(action, row)).to_string()
}

/// The get-verified panel (`veri:start:<guild>`).
pub fn panel(guild: u64, cfg: &VeriConfig) -> (Embed, Vec<Component>) {
    let methods = match (cfg.realmeye_enabled, cfg.screenshot_enabled) {
        (true, true) => "RealmEye (automatic) or a screenshot reviewed by staff",
        (true, false) => "RealmEye (automatic)",
        _ => "a screenshot reviewed by staff",
    };
    let mut text = cfg.panel_message.clone().unwrap_or_else(|| {
        "Press **Get verified** to link your Realm of the Mad God account.".to_owned()
    });
    text.push_str(&format!(
        "\n\nI will message you privately (allow direct messages from server members). Method: {methods}."
    ));
    let mut e = EmbedBuilder::new()
        .title("Get verified")
        .description(text)
        .color(COLOR_INFO);
    if let Some(url) = cfg
        .image_url
        .as_deref()
        .and_then(|u| ImageSource::url(u).ok())
    {
        e = e.image(url);
    }
    let gid = i64::try_from(guild).unwrap_or(1);
    (
        e.build(),
        vec![row(vec![button(
            id(VeriAction::Start, gid),
            "Get verified",
            ButtonStyle::Success,
        )])],
    )
}

/// A custom role's panel (`veri:role:<id>`).
pub fn custom_role_panel(c: &CustomRole) -> (Embed, Vec<Component>) {
    let text = c.description.clone().unwrap_or_else(|| {
        format!(
            "Press the button and send me a screenshot proving you qualify for <@&{}>.",
            c.role_id
        )
    });
    let e = EmbedBuilder::new()
        .title(c.name.clone())
        .description(text)
        .color(COLOR_INFO)
        .build();
    (
        e,
        vec![row(vec![button(
            id(VeriAction::CustomRole, c.custom_role_id),
            "Request role",
            ButtonStyle::Primary,
        )])],
    )
}

pub fn check_dms() -> String {
    "I sent you a direct message to continue. If nothing arrived, allow direct messages from server members and press the button again.".to_owned()
}

/// A DM: its text and buttons.
pub fn dm(
    note: &VeriNote,
    session: Option<&Session>,
    base_url: &str,
    screenshot_enabled: bool,
) -> (String, Vec<Component>) {
    match note {
        VeriNote::Started { session_id } => {
            let method = session.map_or("realmeye", |s| s.method.as_str());
            let text = if method == "realmeye" {
                "Let's verify you. Reply with your **in-game name** (just the name, e.g. `Stormveil`)."
            } else {
                "Let's verify you by screenshot. First reply with your **in-game name** (just the name)."
            };
            (text.to_owned(), vec![row(vec![button(id(VeriAction::Cancel, *session_id), "Cancel", ButtonStyle::Secondary)])])
        }
        VeriNote::CodeIssued { session_id } => {
            let ign = session
                .and_then(|s| s.ign.as_ref())
                .map(ToString::to_string)
                .unwrap_or_default();
            let code = session.and_then(|s| s.code.clone()).unwrap_or_default();
            let url = format!("{}/player/{ign}", base_url.trim_end_matches('/'));
            let text = format!(
                "Your code: `{code}`\n\n1. Open {url} and log in.\n2. Put `{code}` in any of your three description lines and save.\n3. Press **Done**. (This code is valid for 30 minutes.)"
            );
            let mut buttons = vec![
                button(id(VeriAction::Done, *session_id), "Done", ButtonStyle::Success),
                button(id(VeriAction::Cancel, *session_id), "Cancel", ButtonStyle::Secondary),
            ];
            if screenshot_enabled {
                buttons.push(button(id(VeriAction::Screenshot, *session_id), "Use a screenshot", ButtonStyle::Secondary));
            }
            (text, vec![row(buttons)])
        }
        VeriNote::AskScreenshot { session_id } => (
            "Upload a screenshot here showing your character with your in-game name visible.".to_owned(),
            vec![row(vec![button(id(VeriAction::Cancel, *session_id), "Cancel", ButtonStyle::Secondary)])],
        ),
        VeriNote::Refused { reason, .. } => (reason.clone(), Vec::new()),
        VeriNote::Retry { why, .. } => (retry(why), Vec::new()),
        VeriNote::UnderReview { .. } => (
            "Thanks! Your screenshot is with staff now; I will tell you their decision here.".to_owned(),
            Vec::new(),
        ),
        VeriNote::Verified { ign } => (format!("You are verified as **{ign}**. Welcome!"), Vec::new()),
        VeriNote::Denied { reason } => (
            format!("Your verification was denied: {reason}\nYou can press **Get verified** in the server to try again."),
            Vec::new(),
        ),
        VeriNote::RoleGranted { role_name } => (format!("Approved: you now have the **{role_name}** role."), Vec::new()),
        VeriNote::RoleWithdrawn { role_name } => (
            format!("Staff removed the **{role_name}** role request, so your request was cancelled."),
            Vec::new(),
        ),
        VeriNote::Expired => (
            "Your verification expired after 30 minutes. Press **Get verified** in the server to start again.".to_owned(),
            Vec::new(),
        ),
        VeriNote::Cancelled => ("Verification cancelled.".to_owned(), Vec::new()),
    }
}

/// Why a DM to the verification session could not be used, and what to send instead.
fn retry(why: &RetryReason) -> String {
    use RetryReason as R;
    match why {
        R::IgnEmpty => messages::verification::bad_ign(&IgnError::Empty, Style::Discord),
        R::IgnTooLong { shown } => {
            messages::verification::bad_ign(&IgnError::TooLong(shown.clone()), Style::Discord)
        }
        R::IgnNotLetters { shown } => {
            messages::verification::bad_ign(&IgnError::NotLetters(shown.clone()), Style::Discord)
        }
        R::IgnTaken { ign } => messages::verification::refusal(
            &VerificationError::IgnTaken { ign: ign.clone() },
            Style::Discord,
        ),
        R::NotAnImage => {
            "That file is not an image. Please upload a PNG or JPEG screenshot.".into()
        }
        R::NoAttachment => "Please attach a screenshot (an image file) to your message.".into(),
        R::AwaitingDone => "Put the code in your RealmEye description, then press **Done** below the code message (or **Cancel**).".into(),
    }
}

pub fn no_session() -> String {
    "You have no verification in progress. Press **Get verified** in your server to start."
        .to_owned()
}

/// The review card in the review channel.
pub fn review_card(r: &Review, role_name: Option<&str>) -> (Embed, Vec<Component>) {
    let title = match role_name {
        Some(n) => format!("Role request: {n}"),
        None => "Screenshot verification".to_owned(),
    };
    let mut e = EmbedBuilder::new()
        .title(title)
        .description(format!("<@{}> asks to be verified.", r.user_id))
        .field(
            EmbedFieldBuilder::new(
                "In-game name",
                r.ign
                    .as_ref()
                    .map_or_else(|| "—".into(), ToString::to_string),
            )
            .inline(),
        )
        .field(EmbedFieldBuilder::new("Submitted", relative_time(r.created_at)).inline())
        .footer(EmbedFooterBuilder::new(format!("Review #{}", r.review_id)));
    if let Ok(img) = ImageSource::url(r.attachment_url.clone()) {
        e = e.image(img);
    }
    let (e, components) = match r.state.as_str() {
        "pending" => (
            e.color(COLOR_WARN),
            vec![row(vec![
                button(
                    id(VeriAction::Approve, r.review_id),
                    "Approve",
                    ButtonStyle::Success,
                ),
                button(
                    id(VeriAction::Deny, r.review_id),
                    "Deny",
                    ButtonStyle::Danger,
                ),
            ])],
        ),
        "withdrawn" => {
            let by = r
                .decided_by
                .map(|u| format!(" by <@{u}>"))
                .unwrap_or_default();
            let when = r.decided_at.map(relative_time).unwrap_or_default();
            (
                e.color(COLOR_ERROR).field(EmbedFieldBuilder::new(
                    "Verification removed",
                    format!(
                        "This role verification was removed{by} {when}; the request can no longer be decided."
                    ),
                )),
                Vec::new(),
            )
        }
        state => {
            let by = r.decided_by.map(|u| format!("<@{u}>")).unwrap_or_default();
            let when = r.decided_at.map(relative_time).unwrap_or_default();
            let mut text = format!(
                "{} by {by} {when}",
                if state == "approved" {
                    "Approved"
                } else {
                    "Denied"
                }
            );
            if let Some(reason) = &r.reason {
                text.push_str(&format!("\nReason: {reason}"));
            }
            let color = if state == "approved" {
                COLOR_OK
            } else {
                COLOR_ERROR
            };
            (
                e.color(color)
                    .field(EmbedFieldBuilder::new("Decision", text)),
                Vec::new(),
            )
        }
    };
    (e.build(), components)
}

pub fn approve_modal(r: &Review) -> InteractionResponseData {
    modal(
        id(VeriAction::ApproveForm, r.review_id),
        "Approve verification",
        vec![ModalField {
            custom_id: "ign",
            label: "In-game name (correct it if needed)",
            value: r.ign.as_ref().map(ToString::to_string),
            max_length: 10,
            required: r.custom_role_id.is_none(),
            paragraph: false,
        }],
    )
}

pub fn deny_modal(review_id: i64) -> InteractionResponseData {
    modal(
        id(VeriAction::DenyForm, review_id),
        "Deny verification",
        vec![ModalField {
            custom_id: "reason",
            label: "Reason (the member sees it)",
            value: None,
            max_length: 1000,
            required: true,
            paragraph: true,
        }],
    )
}

/// A veri_log line.
pub fn log_entry(e: &Event) -> Embed {
    let (title, color) = match e.kind.as_str() {
        "verified" => ("✅ Member verified", COLOR_OK),
        "role_granted" => ("✅ Role granted", COLOR_OK),
        "denied" => ("❌ Verification denied", COLOR_ERROR),
        "unverified" => ("❌ Member unverified", COLOR_ERROR),
        "rename_failed" => ("⚠️ Could not rename member", COLOR_ERROR),
        "name_changed" => ("📝 IGN updated", COLOR_INFO),
        "alt_added" => ("➕ Alt IGN added", COLOR_INFO),
        "alt_removed" => ("➖ Alt IGN removed", COLOR_INFO),
        "synced" => ("🔄 Bulk sync completed", COLOR_INFO),
        "check_failed" => ("Check failed", COLOR_WARN),
        "code_issued" => ("Code issued", COLOR_INFO),
        "expired" => ("Session expired", COLOR_WARN),
        "cancelled" => ("Session cancelled", COLOR_WARN),
        "submitted" => ("Screenshot submitted", COLOR_INFO),
        _ => ("Verification started", COLOR_INFO),
    };
    let mut b = EmbedBuilder::new()
        .title(title)
        .color(color)
        .field(EmbedFieldBuilder::new("Member", format!("<@{}>", e.user_id)).inline());
    if let Some(ign) = &e.ign {
        b = b.field(EmbedFieldBuilder::new("IGN", ign.clone()).inline());
    }
    if let Some(by) = e.actor_id {
        b = b.field(EmbedFieldBuilder::new("Staff", format!("<@{by}>")).inline());
    }
    if let Some(d) = &e.detail {
        let d = match CheckFailure::of_event(e) {
            Some(why) => messages::verification::check_failed(&why, Style::Discord),
            None => d.clone(),
        };
        let d: String = d.chars().take(1000).collect();
        b = b.field(EmbedFieldBuilder::new("Detail", d));
    }
    b.footer(EmbedFooterBuilder::new(format!("Event #{}", e.event_id)))
        .build()
}

// ---------- staff commands ----------

/// `/configverification` saved: what is now in force.
pub fn config_saved(cfg: &VeriConfig, panel_posted: bool) -> String {
    let onoff = |b: bool| if b { "on" } else { "off" };
    let r = &cfg.requirements;
    let mut reqs = Vec::new();
    if let Some(v) = r.min_rank {
        reqs.push(format!("rank ≥ {v}"));
    }
    if let Some(v) = r.min_alive_fame {
        reqs.push(format!("alive fame ≥ {v}"));
    }
    if let Some(v) = r.min_characters {
        reqs.push(format!("characters ≥ {v}"));
    }
    if let Some(v) = r.min_account_age_days {
        reqs.push(format!("account age ≥ {v} days"));
    }
    if r.hidden_location {
        reqs.push("last-seen location hidden".to_owned());
    }
    let reqs = if reqs.is_empty() {
        "none".to_owned()
    } else {
        reqs.join(", ")
    };
    let mut text = format!(
        "Verification saved. RealmEye: **{}**, screenshot review: **{}**. RealmEye requirements: {reqs}.",
        onoff(cfg.realmeye_enabled),
        onoff(cfg.screenshot_enabled),
    );
    if panel_posted {
        text.push_str(" The get-verified panel is being posted in the `getverified` channel.");
    }
    text
}

pub fn staff_verified(user: u64, ign: &str) -> String {
    format!("<@{user}> is verified as **{ign}**; their role and nickname are being applied.")
}

pub fn staff_unverified(user: u64) -> String {
    format!("<@{user}> is no longer verified; their names stay on record.")
}

pub fn staff_renamed(user: u64, ign: &str) -> String {
    format!("<@{user}>'s main name is now **{ign}**; their nickname is being updated.")
}

pub fn staff_alt_added(user: u64, ign: &str) -> String {
    format!("Added **{ign}** as an alt of <@{user}>.")
}

pub fn staff_alt_removed(user: u64, ign: &str) -> String {
    format!("Removed the alt **{ign}** from <@{user}>.")
}

pub fn force_synced(n: usize) -> String {
    match n {
        0 => "Nobody has a name on record: nothing to sync.".to_owned(),
        1 => "Re-applying the role and nickname of 1 member.".to_owned(),
        n => format!("Re-applying roles and nicknames of {n} members."),
    }
}

/// A DM-only verification button pressed somewhere else.
pub fn server_only_button() -> String {
    "Use this button inside the server.".to_owned()
}

/// `/removeroleverification` without its number.
pub fn role_verification_id_required() -> String {
    "Give the role verification's number (see /roleverifications).".to_owned()
}

pub fn sync_needs_input() -> String {
    "Give the lines (`UserID MainIGN [AltIGN]`, separated by `;`) or attach a text file with one line per member.".to_owned()
}

pub fn sync_file_unreadable(why: &str) -> String {
    format!(
        "I could not read the attached file ({why}). Attach a plain text file (UTF-8, at most 1 MB)."
    )
}

/// One line of the `/syncteam` report.
pub fn sync_line(n: usize, o: &service::verification::LineOutcome) -> String {
    use service::verification::LineOutcome as L;
    match o {
        L::Added => format!("line {n}: added"),
        L::Updated => format!("line {n}: updated"),
        L::Unchanged => format!("line {n}: unchanged"),
        L::Taken { ign } => format!("line {n}: conflict — **{ign}** belongs to another member"),
        L::Invalid(why) => format!(
            "line {n}: invalid — {}",
            messages::verification::team_line(why, Style::Discord)
        ),
    }
}

/// The `/syncteam` answer: the whole report when it fits one message, otherwise a summary
/// (with the problem lines that fit) and the full report as a text file.
pub fn sync_report(
    outcomes: &[(usize, service::verification::LineOutcome)],
) -> (String, Option<String>) {
    use service::verification::LineOutcome as L;
    let count = |f: fn(&L) -> bool| outcomes.iter().filter(|(_, o)| f(o)).count();
    let summary = format!(
        "**/syncteam**: {} lines — {} added, {} updated, {} unchanged, {} conflicts, {} invalid.",
        outcomes.len(),
        count(|o| matches!(o, L::Added)),
        count(|o| matches!(o, L::Updated)),
        count(|o| matches!(o, L::Unchanged)),
        count(|o| matches!(o, L::Taken { .. })),
        count(|o| matches!(o, L::Invalid(_))),
    );
    let lines: Vec<String> = outcomes.iter().map(|(n, o)| sync_line(*n, o)).collect();
    let full = format!("{summary}\n{}", lines.join("\n"));
    if full.chars().count() <= 2000 {
        return (full, None);
    }
    let problems: Vec<&String> = outcomes
        .iter()
        .zip(&lines)
        .filter(|((_, o), _)| matches!(o, L::Taken { .. } | L::Invalid(_)))
        .map(|(_, l)| l)
        .collect();
    let mut head = summary.clone();
    head.push_str(" The full report is attached.");
    let mut shown = 0;
    for l in &problems {
        if head.chars().count() + l.chars().count() + 40 > 2000 {
            break;
        }
        head.push('\n');
        head.push_str(l);
        shown += 1;
    }
    if shown < problems.len() {
        head.push_str(&format!(
            "\n… and {} more problems in the file.",
            problems.len() - shown
        ));
    }
    (head, Some(full))
}

pub fn not_a_text_channel(channel: u64) -> String {
    format!("<#{channel}> is not a text channel: choose one.")
}

/// `/roleverifications`: one line per role verification, within a message's 2000 characters.
pub fn custom_roles_list(roles: &[CustomRole]) -> String {
    if roles.is_empty() {
        return "There are no role verifications. Add one with /addroleverification.".to_owned();
    }
    let mut out = String::from("**Role verifications** (remove one with /removeroleverification):");
    for (shown, c) in roles.iter().enumerate() {
        let line = format!(
            "\n**#{}** {} — grants <@&{}>, reviewed in <#{}>",
            c.custom_role_id, c.name, c.role_id, c.review_channel_id
        );
        let rest = roles.len() - shown;
        if out.chars().count() + line.chars().count() > 1900 {
            out.push_str(&format!("\n… and {rest} more."));
            break;
        }
        out.push_str(&line);
    }
    out
}

pub fn custom_role_removed(c: &CustomRole) -> String {
    format!(
        "Removed the role verification **#{} {}**: its panels are being deleted and open requests cancelled. Members who already have <@&{}> keep it; screenshots waiting in <#{}> are withdrawn (their cards say so).",
        c.custom_role_id, c.name, c.role_id, c.review_channel_id
    )
}

pub fn custom_role_added(c: &CustomRole, panel_channel: u64) -> String {
    format!(
        "**{}** grants <@&{}> after staff approve a screenshot in <#{}>. Its panel is being posted in <#{panel_channel}>.",
        c.name, c.role_id, c.review_channel_id
    )
}
