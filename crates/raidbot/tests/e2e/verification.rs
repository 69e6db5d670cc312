//! Verification: the get-verified panel, the RealmEye DM flow against a local RealmEye
//! stub (across a bot restart), screenshot review, staff commands and `/syncteam`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Html;
use discord_sim::{
    Attachment, ChannelId, ChannelKind, CommandOption, InteractionResult, Message, RoleId, UserId,
};

use crate::harness::{WAIT, World};

const SLOW: Duration = Duration::from_secs(60);

type Pages = Arc<Mutex<HashMap<String, (u16, String)>>>;

/// A local RealmEye: `/player/{ign}` answers what the test set (404 page otherwise);
/// `/files/{name}` serves files the tests "attach".
pub(crate) struct Stub {
    pages: Pages,
    files: Arc<Mutex<HashMap<String, String>>>,
    base: String,
}

const NOT_FOUND: &str = r#"<html><body><div class="col-md-12"><h2>Nobody</h2>
<ul class="player-not-found"><li>We have no data about a player with this name, or</li>
<li>the name is spelled differently.</li></ul></div></body></html>"#;

fn private_page(name: &str) -> String {
    format!(
        r#"<html><body><div class="col-md-12"><div class="player-not-found"><h2>{name}</h2>
<p>This player's profile is private.</p></div></div></body></html>"#
    )
}

pub(crate) fn player_page(name: &str, lines: [&str; 3]) -> String {
    format!(
        r#"<html><body><div class="col-md-12"><h1><span class="entity-name">{name}</span></h1></div>
<table class="summary">
<tr><td>Characters</td><td>6</td></tr>
<tr><td>Fame</td><td><span class="numeric">16,108</span> (7492<sup>nd</sup>)</td></tr>
<tr><td>Rank</td><td><div class="star-container">72 <div class="star"></div></div></td></tr>
<tr><td>Created</td><td>~6 years and 289 days ago</td></tr>
<tr><td>Last seen</td><td>hidden</td></tr>
</table>
<div class="well description" id="d">
<div class="line1 description-line">{}</div>
<div class="line2 description-line">{}</div>
<div class="line3 description-line">{}</div>
</div></body></html>"#,
        lines[0], lines[1], lines[2]
    )
}

impl Stub {
    pub(crate) async fn start() -> Stub {
        let pages: Pages = Arc::default();
        let files: Arc<Mutex<HashMap<String, String>>> = Arc::default();
        let app = axum::Router::new()
            .route(
                "/player/{ign}",
                axum::routing::get(
                    |State(p): State<Pages>, Path(ign): Path<String>| async move {
                        let found = p.lock().unwrap().get(&ign.to_lowercase()).cloned();
                        match found {
                            Some((status, body)) => {
                                (StatusCode::from_u16(status).unwrap(), Html(body))
                            }
                            None => (StatusCode::NOT_FOUND, Html(NOT_FOUND.to_owned())),
                        }
                    },
                ),
            )
            .with_state(pages.clone())
            .route(
                "/files/{name}",
                axum::routing::get({
                    let files = files.clone();
                    move |Path(name): Path<String>| async move {
                        match files.lock().unwrap().get(&name).cloned() {
                            Some(body) => (StatusCode::OK, body),
                            None => (StatusCode::NOT_FOUND, String::new()),
                        }
                    }
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Stub { pages, files, base }
    }

    pub(crate) fn set(&self, ign: &str, status: u16, body: String) {
        self.pages
            .lock()
            .unwrap()
            .insert(ign.to_lowercase(), (status, body));
    }

    /// A file attachment whose URL the bot can download from this stub.
    fn attach(&self, name: &str, body: String) -> Attachment {
        let mut a = Attachment::new(name, body.len() as u64);
        a.url = format!("{}/files/{name}", self.base);
        a.content_type = Some("text/plain".to_owned());
        self.files.lock().unwrap().insert(name.to_owned(), body);
        a
    }
}

pub(crate) struct Veri {
    pub(crate) w: World,
    pub(crate) stub: Stub,
    security: UserId,
    getverified: ChannelId,
    review: ChannelId,
    pub(crate) veri_log: ChannelId,
}

/// A world with RealmEye pointed at the stub, a Security member, and the verification
/// channels mapped. `methods`: (realmeye, screenshot).
pub(crate) async fn veri_world(methods: (bool, bool)) -> Veri {
    let stub = Stub::start().await;
    let mut w = World::new(1).await;
    w.realmeye_base_url = Some(stub.base.clone());
    w.restart_bot().await;
    w.configure().await;
    let sim = w.sim.clone();
    let security_role = sim.create_role(w.guild, "Security", 0, 6);
    let security = sim.create_user("security");
    sim.add_member(w.guild, security, &[security_role]);
    let getverified = sim.create_channel(w.guild, "get-verified", ChannelKind::Text);
    let review = sim.create_channel(w.guild, "manual-verification", ChannelKind::Text);
    let veri_log = sim.create_channel(w.guild, "veri-log", ChannelKind::Text);
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "setroles",
            vec![CommandOption::role("security", security_role)],
        )
        .await;
    assert!(res.is_ok(), "{:?}", res.kind);
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "setchannels",
            vec![
                CommandOption::channel("getverified", getverified),
                CommandOption::channel("manual_verification", review),
                CommandOption::channel("veri_log", veri_log),
            ],
        )
        .await;
    assert!(res.is_ok(), "{:?}", res.kind);
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "configverification",
            vec![
                CommandOption::bool("realmeye", methods.0),
                CommandOption::bool("screenshot", methods.1),
            ],
        )
        .await;
    let text = res.content.clone().unwrap_or_default();
    assert!(text.starts_with("Verification saved."), "{text}");
    Veri {
        w,
        stub,
        security,
        getverified,
        review,
        veri_log,
    }
}

impl Veri {
    pub(crate) fn newcomer(&self, name: &str) -> UserId {
        let u = self.w.sim.create_user(name);
        self.w.sim.add_member(self.w.guild, u, &[]);
        u
    }

    async fn panel(&self) -> Message {
        let sim = &self.w.sim;
        sim.eventually(WAIT, || {
            sim.messages(self.getverified)
                .into_iter()
                .find(|m| !m.buttons().is_empty())
        })
        .await
        .expect("the get-verified panel")
    }

    /// The newest DM from the bot to `user` containing `text`.
    pub(crate) async fn dm(&self, user: UserId, text: &str) -> Message {
        let sim = &self.w.sim;
        match sim
            .eventually(WAIT, || {
                sim.dms(user).into_iter().find(|m| m.content.contains(text))
            })
            .await
        {
            Some(m) => m,
            None => panic!(
                "no DM containing {text:?}; got {:#?}",
                sim.dms(user)
                    .iter()
                    .map(|m| m.content.clone())
                    .collect::<Vec<_>>()
            ),
        }
    }

    /// Presses Get verified and gives the IGN in DMs.
    pub(crate) async fn start(&self, user: UserId, ign: &str) {
        let panel = self.panel().await;
        let res = self
            .w
            .sim
            .press(
                self.w.guild,
                user,
                self.getverified,
                panel.id,
                "Get verified",
            )
            .await;
        assert!(
            res.content
                .as_deref()
                .unwrap_or_default()
                .contains("direct message"),
            "{:?}",
            res.content
        );
        self.dm(user, "Let's verify you").await;
        self.w.sim.send_dm(user, ign, vec![]);
    }

    pub(crate) async fn press_dm(&self, user: UserId, m: &Message, label: &str) -> String {
        let res = self
            .w
            .sim
            .press(self.w.guild, user, m.channel_id, m.id, label)
            .await;
        answer(&res).await
    }

    async fn log_has(&self, title: &str, what: &str) {
        let sim = &self.w.sim;
        let found = sim
            .eventually(WAIT, || {
                sim.messages(self.veri_log).into_iter().find(|m| {
                    m.embeds
                        .iter()
                        .any(|e| e.to_string().contains(title) && e.to_string().contains(what))
                })
            })
            .await;
        assert!(
            found.is_some(),
            "veri_log has no {title:?} with {what:?}: {:#?}",
            sim.messages(self.veri_log)
                .iter()
                .map(|m| m.embeds.clone())
                .collect::<Vec<_>>()
        );
    }

    fn has_role(&self, user: UserId, role: RoleId) -> bool {
        self.w.has_role(user, role)
    }

    pub(crate) async fn verified(&self, user: UserId, nick: &str) {
        let sim = &self.w.sim;
        let ok = sim
            .eventually(WAIT, || {
                sim.member(self.w.guild, user)
                    .filter(|m| {
                        m.roles.contains(&self.w.raider_role) && m.nick.as_deref() == Some(nick)
                    })
                    .map(|_| ())
            })
            .await;
        assert!(
            ok.is_some(),
            "not verified as {nick}: {:?}",
            sim.member(self.w.guild, user)
        );
    }
}

/// What the user saw as the answer: the reply, or the edited deferred reply.
async fn answer(res: &InteractionResult) -> String {
    if let Some(c) = res.content.clone().filter(|c| !c.is_empty()) {
        return c;
    }
    res.wait_for_original_edit(SLOW)
        .await
        .map(|m| m.content)
        .unwrap_or_default()
}

pub(crate) fn code_in(text: &str) -> String {
    let start = text.find("RAID-").expect("a code in the DM");
    text[start..start + 11].to_owned()
}

#[tokio::test]
async fn a_member_verifies_through_realmeye_across_a_restart() {
    let mut v = veri_world((true, true)).await;
    let member = v.newcomer("stormy");
    v.start(member, "Stormveil").await;
    let code_dm = v.dm(member, "Your code: `RAID-").await;
    let code = code_in(&code_dm.content);
    assert!(
        code_dm
            .content
            .contains(&format!("{}/player/Stormveil", v.stub.base))
    );
    v.log_has("Code issued", "Stormveil").await;

    // The bot restarts between the code and Done; the session is a row.
    v.w.restart_bot().await;
    v.stub.set(
        "Stormveil",
        200,
        player_page("Stormveil", ["hi", &format!("  {code} "), ""]),
    );
    let said = v.press_dm(member, &code_dm, "Done").await;
    assert_eq!(said, "Found your code: you are verified as **Stormveil**.");
    v.verified(member, "Stormveil").await;
    v.dm(member, "You are verified as **Stormveil**").await;
    v.log_has("Member verified", "Stormveil").await;
    let rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM member_ign WHERE guild_id = $1 AND user_id = $2")
            .bind(v.w.guild.0 as i64)
            .bind(member.0 as i64)
            .fetch_one(&v.w.db.pool)
            .await
            .unwrap();
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn bad_names_private_profiles_and_realmeye_outages_are_explained() {
    let v = veri_world((true, true)).await;
    let sim = v.w.sim.clone();
    // Staff verify someone as Stormveil first; a newcomer claiming it is refused.
    let owner = v.w.raiders[0];
    let res = sim
        .run_command(
            v.w.guild,
            v.w.raid,
            v.security,
            "verify",
            vec![
                CommandOption::user("member", owner),
                CommandOption::string("ign", "Stormveil"),
            ],
        )
        .await;
    assert_eq!(
        res.content.as_deref(),
        Some(
            format!(
                "<@{}> is verified as **Stormveil**; their role and nickname are being applied.",
                owner.0
            )
            .as_str()
        )
    );
    // Raiders cannot use staff commands.
    let res = sim
        .run_command(
            v.w.guild,
            v.w.raid,
            owner,
            "verify",
            vec![
                CommandOption::user("member", owner),
                CommandOption::string("ign", "Other"),
            ],
        )
        .await;
    assert!(
        res.content
            .as_deref()
            .unwrap_or_default()
            .contains("Security"),
        "{:?}",
        res.content
    );

    let claimer = v.newcomer("claimer");
    v.start(claimer, "Storm veil!").await;
    v.dm(claimer, "letters").await;
    sim.send_dm(claimer, "stormveil", vec![]);
    v.dm(claimer, "already registered to another member").await;
    v.dm(claimer, "contact a staff member").await;

    // A private profile.
    let hidden = v.newcomer("hidden");
    v.start(hidden, "Hiddenguy").await;
    let code_dm = v.dm(hidden, "Your code: `RAID-").await;
    v.stub.set("Hiddenguy", 200, private_page("Hiddenguy"));
    let said = v.press_dm(hidden, &code_dm, "Done").await;
    assert!(said.contains("is private"), "{said}");
    assert!(said.contains("Make it public"), "{said}");

    // RealmEye down.
    let down = v.newcomer("down");
    v.start(down, "Downguy").await;
    let code_dm = v.dm(down, "Your code: `RAID-").await;
    v.stub.set("Downguy", 500, "oops".to_owned());
    let said = v.press_dm(down, &code_dm, "Done").await;
    assert!(
        said.starts_with("RealmEye cannot be reached right now"),
        "{said}"
    );
    assert!(said.contains("press **Done** again"), "{said}");

    // A profile without the code.
    let nocode = v.newcomer("nocode");
    v.start(nocode, "Nocode").await;
    let code_dm = v.dm(nocode, "Your code: `RAID-").await;
    v.stub
        .set("Nocode", 200, player_page("Nocode", ["a", "b", "c"]));
    let said = v.press_dm(nocode, &code_dm, "Done").await;
    assert!(said.starts_with("I could not find your code"), "{said}");
    v.log_has("Check failed", "is private").await;
    // Once every queued role change is delivered, none of them got the role.
    v.w.settle().await;
    for u in [claimer, hidden, down, nocode] {
        assert!(!v.has_role(u, v.w.raider_role));
    }
}

#[tokio::test]
async fn screenshots_are_approved_or_denied_with_a_reason() {
    let mut v = veri_world((false, true)).await;
    let sim = v.w.sim.clone();
    let alice = v.newcomer("alice");
    let bob = v.newcomer("bob");
    for (u, ign) in [(alice, "Alicia"), (bob, "Bobby")] {
        v.start(u, ign).await;
        v.dm(u, "Upload a screenshot").await;
        sim.send_dm(u, "", vec![Attachment::new(&format!("{ign}.png"), 5000)]);
        v.dm(u, "Your screenshot is with staff now").await;
    }
    let card = |ign: &'static str| {
        let sim = sim.clone();
        let review = v.review;
        async move {
            sim.eventually(WAIT, || {
                sim.messages(review).into_iter().find(|m| {
                    !m.buttons().is_empty() && m.embeds.iter().any(|e| e.to_string().contains(ign))
                })
            })
            .await
            .expect("a review card")
        }
    };
    let alice_card = card("Alicia").await;
    let bob_card = card("Bobby").await;
    // Cards survive a restart: their buttons name rows.
    v.w.restart_bot().await;

    // A raider cannot decide.
    let res = sim
        .press(
            v.w.guild,
            v.w.raiders[0],
            v.review,
            alice_card.id,
            "Approve",
        )
        .await;
    assert!(res.modal.is_none());

    let form = sim
        .press(v.w.guild, v.security, v.review, alice_card.id, "Approve")
        .await;
    assert!(form.modal.is_some(), "{:?}", form.content);
    let res = sim
        .submit_modal(v.security, &form, &[("ign", "Alicia")])
        .await;
    assert!(answer(&res).await.starts_with("Approved <@"));
    v.verified(alice, "Alicia").await;
    v.dm(alice, "You are verified as **Alicia**").await;

    let form = sim
        .press(v.w.guild, v.security, v.review, bob_card.id, "Deny")
        .await;
    assert!(form.modal.is_some(), "{:?}", form.content);
    let res = sim
        .submit_modal(v.security, &form, &[("reason", "Your name is not visible")])
        .await;
    assert!(answer(&res).await.starts_with("Denied <@"));
    v.dm(
        bob,
        "Your verification was denied: Your name is not visible",
    )
    .await;
    v.log_has("Verification denied", "Bobby").await;
    v.w.settle().await;
    assert!(!v.has_role(bob, v.w.raider_role));

    // The card shows the decision and cannot be decided again.
    let decided = sim
        .eventually(WAIT, || {
            sim.message(v.review, bob_card.id)
                .filter(|m| m.buttons().is_empty())
        })
        .await
        .expect("the card loses its buttons");
    assert!(
        decided.embeds[0]
            .to_string()
            .contains("Your name is not visible")
    );
    v.w.stop_bot().await;
}

#[tokio::test]
async fn syncteam_imports_a_thousand_lines_with_a_report_per_line() {
    let v = veri_world((true, true)).await;
    let sim = v.w.sim.clone();
    // Someone already owns "Taken".
    let res = sim
        .run_command(
            v.w.guild,
            v.w.raid,
            v.security,
            "verify",
            vec![
                CommandOption::user("member", v.w.raiders[0]),
                CommandOption::string("ign", "Taken"),
            ],
        )
        .await;
    assert!(res.is_ok());
    let name = |i: usize| {
        let mut s = String::from("Tm");
        let mut n = i;
        for _ in 0..4 {
            s.push((b'a' + (n % 26) as u8) as char);
            n /= 26;
        }
        s
    };
    let mut lines = Vec::new();
    for i in 0..997 {
        lines.push(format!(
            "{} {} Alt{}",
            900_000_000_000_000_000u64 + i as u64,
            name(i),
            name(i).to_lowercase().replace("tm", "")
        ));
    }
    lines.push("900000000000009998 Taken".to_owned());
    lines.push("not-a-user Name".to_owned());
    lines.push("900000000000009999 Bad_Name!".to_owned());
    let file = v.stub.attach("team.txt", lines.join("\n"));

    // Security is not enough.
    let res = sim
        .run_command(
            v.w.guild,
            v.w.raid,
            v.security,
            "syncteam",
            vec![CommandOption::attachment("file", file.clone())],
        )
        .await;
    assert!(answer(&res).await.contains("Administrator"));

    let res = sim
        .run_command(
            v.w.guild,
            v.w.raid,
            v.w.admin,
            "syncteam",
            vec![CommandOption::attachment("file", file)],
        )
        .await;
    let report = res.wait_for_original_edit(SLOW).await.expect("the report");
    assert!(
        report.content.starts_with(
            "**/syncteam**: 1000 lines — 997 added, 0 updated, 0 unchanged, 1 conflicts, 2 invalid."
        ),
        "{}",
        report.content
    );
    assert!(report.content.chars().count() <= 2000);
    assert!(
        report
            .content
            .contains("line 998: conflict — **Taken** belongs to another member")
    );
    assert!(report.content.contains("line 999: invalid"));
    assert_eq!(report.attachments.len(), 1);
    assert_eq!(report.attachments[0].filename, "syncteam-report.txt");
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM member_ign WHERE guild_id = $1")
        .bind(v.w.guild.0 as i64)
        .fetch_one(&v.w.db.pool)
        .await
        .unwrap();
    assert_eq!(n, 1 + 997 * 2);

    // Text lines (separated by ;) are answered in the message itself.
    let res = sim
        .run_command(
            v.w.guild,
            v.w.raid,
            v.w.admin,
            "syncteam",
            vec![CommandOption::string(
                "lines",
                &format!("{} Newmain; {} Taken", v.w.raiders[0].0, v.w.organizer.0),
            )],
        )
        .await;
    let report = res.wait_for_original_edit(SLOW).await.expect("the report");
    assert!(
        report.content.contains("line 1: updated"),
        "{}",
        report.content
    );
    assert!(
        report.content.contains("line 2: added"),
        "{}",
        report.content
    );
    assert!(report.attachments.is_empty());
}

#[tokio::test]
async fn staff_name_commands_and_a_member_above_the_bot() {
    let v = veri_world((true, true)).await;
    let sim = v.w.sim.clone();
    let raider = v.w.raiders[0];
    let run = |user: UserId, name: &'static str, opts: Vec<CommandOption>| {
        let sim = sim.clone();
        let (guild, raid) = (v.w.guild, v.w.raid);
        async move { answer(&sim.run_command(guild, raid, user, name, opts).await).await }
    };
    let m = || CommandOption::user("member", raider);
    let s = v.security;
    run(
        s,
        "verify",
        vec![m(), CommandOption::string("ign", "Mainguy")],
    )
    .await;
    v.verified(raider, "Mainguy").await;
    let said = run(
        s,
        "addalt",
        vec![m(), CommandOption::string("ign", "Altguy")],
    )
    .await;
    assert_eq!(
        said,
        format!("Added **Altguy** as an alt of <@{}>.", raider.0)
    );
    v.verified(raider, "Mainguy | Altguy").await;
    let said = run(
        s,
        "addalt",
        vec![m(), CommandOption::string("ign", "Bad name")],
    )
    .await;
    assert!(said.contains("letters"), "{said}");
    run(
        s,
        "editname",
        vec![m(), CommandOption::string("ign", "Newguy")],
    )
    .await;
    v.verified(raider, "Newguy | Altguy").await;
    v.log_has("IGN updated", "Newguy").await;
    let said = run(
        s,
        "removealt",
        vec![m(), CommandOption::string("ign", "Altguy")],
    )
    .await;
    assert_eq!(
        said,
        format!("Removed the alt **Altguy** from <@{}>.", raider.0)
    );
    v.verified(raider, "Newguy").await;
    // /forcesync puts back a nickname changed by hand.
    sim.set_nick(v.w.guild, raider, Some("whatever"));
    let said = run(v.w.admin, "forcesync", vec![m()]).await;
    assert_eq!(said, "Re-applying the role and nickname of 1 member.");
    v.verified(raider, "Newguy").await;
    let said = run(
        s,
        "unverify",
        vec![m(), CommandOption::string("reason", "alt account")],
    )
    .await;
    assert!(said.contains("is no longer verified"));
    let gone = sim
        .eventually(WAIT, || {
            sim.member(v.w.guild, raider)
                .filter(|m| !m.roles.contains(&v.w.raider_role))
        })
        .await;
    assert!(gone.is_some());
    v.log_has("Member unverified", "alt account").await;

    // A member above the bot cannot be renamed: veri_log says so.
    let high = sim.create_role(v.w.guild, "Council", 0, 30);
    let boss = v.newcomer("boss");
    sim.set_member_roles(v.w.guild, boss, &[high]);
    run(
        s,
        "verify",
        vec![
            CommandOption::user("member", boss),
            CommandOption::string("ign", "Bossman"),
        ],
    )
    .await;
    v.log_has("Could not rename member", &format!("<@{}>", boss.0))
        .await;
}

#[tokio::test]
async fn a_custom_role_panel_grants_its_role_after_review() {
    let mut v = veri_world((true, true)).await;
    let sim = v.w.sim.clone();
    let raider = v.w.raiders[0];
    let o3_role = sim.create_role(v.w.guild, "O3 Completed", 0, 3);
    let o3_review = sim.create_channel(v.w.guild, "o3-review", ChannelKind::Text);
    let o3_panel = sim.create_channel(v.w.guild, "o3-roles", ChannelKind::Text);
    let opts = || {
        vec![
            CommandOption::string("name", "Oryx 3 completion"),
            CommandOption::role("role", o3_role),
            CommandOption::channel("review_channel", o3_review),
            CommandOption::channel("panel_channel", o3_panel),
            CommandOption::string("description", "Show the O3 loot screen."),
        ]
    };
    // Only moderators configure it.
    let res = sim
        .run_command(
            v.w.guild,
            v.w.raid,
            v.security,
            "addroleverification",
            opts(),
        )
        .await;
    assert!(
        res.content
            .as_deref()
            .unwrap_or_default()
            .contains("Moderator")
    );
    let res = sim
        .run_command(
            v.w.guild,
            v.w.raid,
            v.w.admin,
            "addroleverification",
            opts(),
        )
        .await;
    assert!(
        res.content
            .as_deref()
            .unwrap_or_default()
            .starts_with("**Oryx 3 completion** grants"),
        "{:?}",
        res.content
    );
    let panel = sim
        .eventually(WAIT, || {
            sim.messages(o3_panel)
                .into_iter()
                .find(|m| !m.buttons().is_empty())
        })
        .await
        .expect("the role panel");
    assert!(
        panel.embeds[0]
            .to_string()
            .contains("Show the O3 loot screen.")
    );

    // An unverified member is told to verify first.
    let newcomer = v.newcomer("newbie");
    let res = sim
        .press(v.w.guild, newcomer, o3_panel, panel.id, "Request role")
        .await;
    assert_eq!(
        res.content.as_deref(),
        Some("Please get verified first, then ask for this role.")
    );

    sim.run_command(
        v.w.guild,
        v.w.raid,
        v.security,
        "verify",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("ign", "Raiderone"),
        ],
    )
    .await;
    let res = sim
        .press(v.w.guild, raider, o3_panel, panel.id, "Request role")
        .await;
    assert!(
        res.content
            .as_deref()
            .unwrap_or_default()
            .contains("direct message")
    );
    v.dm(raider, "Upload a screenshot").await;
    // A restart between the request and the upload.
    v.w.restart_bot().await;
    sim.send_dm(raider, "", vec![Attachment::new("loot.png", 4000)]);
    v.dm(raider, "Your screenshot is with staff now").await;
    let card = sim
        .eventually(WAIT, || {
            sim.messages(o3_review)
                .into_iter()
                .find(|m| !m.buttons().is_empty())
        })
        .await
        .expect("a review card in the role's review channel");
    assert!(
        card.embeds[0]
            .to_string()
            .contains("Role request: Oryx 3 completion")
    );
    let form = sim
        .press(v.w.guild, v.security, o3_review, card.id, "Approve")
        .await;
    let res = sim.submit_modal(v.security, &form, &[("ign", "")]).await;
    assert!(answer(&res).await.starts_with("Approved <@"));
    v.dm(raider, "you now have the **Oryx 3 completion** role")
        .await;
    let granted = sim
        .eventually(WAIT, || {
            sim.member(v.w.guild, raider)
                .filter(|m| m.roles.contains(&o3_role))
        })
        .await;
    assert!(granted.is_some(), "{:?}", sim.member(v.w.guild, raider));
    v.log_has("Role granted", &format!("<@{}>", raider.0)).await;
}

#[tokio::test]
async fn staff_list_and_remove_a_role_verification() {
    let v = veri_world((true, true)).await;
    let sim = v.w.sim.clone();
    let raider = v.w.raiders[0];
    let o3_role = sim.create_role(v.w.guild, "O3 Completed", 0, 3);
    let o3_review = sim.create_channel(v.w.guild, "o3-review", ChannelKind::Text);
    let o3_panel = sim.create_channel(v.w.guild, "o3-roles", ChannelKind::Text);
    let run = |user, name: &'static str, options: Vec<CommandOption>| {
        let sim = sim.clone();
        let (guild, channel) = (v.w.guild, v.w.raid);
        async move { answer(&sim.run_command(guild, channel, user, name, options).await).await }
    };
    let said = run(v.w.admin, "roleverifications", vec![]).await;
    assert_eq!(
        said,
        "There are no role verifications. Add one with /addroleverification."
    );
    run(
        v.w.admin,
        "addroleverification",
        vec![
            CommandOption::string("name", "Oryx 3 completion"),
            CommandOption::role("role", o3_role),
            CommandOption::channel("review_channel", o3_review),
            CommandOption::channel("panel_channel", o3_panel),
        ],
    )
    .await;
    let panel = sim
        .eventually(WAIT, || {
            sim.messages(o3_panel)
                .into_iter()
                .find(|m| !m.buttons().is_empty())
        })
        .await
        .expect("the role panel");

    // Security may not list them; a moderator sees each one with its number.
    let said = run(v.security, "roleverifications", vec![]).await;
    assert!(said.contains("Moderator"), "{said}");
    let said = run(v.w.admin, "roleverifications", vec![]).await;
    let id: i64 = sqlx::query_scalar("SELECT custom_role_id FROM veri_custom_role")
        .fetch_one(&v.w.db.pool)
        .await
        .unwrap();
    assert!(
        said.contains(&format!(
            "**#{id}** Oryx 3 completion — grants <@&{}>, reviewed in <#{}>",
            o3_role.0, o3_review.0
        )),
        "{said}"
    );

    // A verified raider asks for the role, then staff remove the role verification.
    run(
        v.security,
        "verify",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("ign", "Raiderone"),
        ],
    )
    .await;
    sim.press(v.w.guild, raider, o3_panel, panel.id, "Request role")
        .await;
    v.dm(raider, "Upload a screenshot").await;
    let said = run(
        v.security,
        "removeroleverification",
        vec![CommandOption::int("id", id)],
    )
    .await;
    assert!(said.contains("Moderator"), "{said}");
    let said = run(
        v.w.admin,
        "removeroleverification",
        vec![CommandOption::int("id", id)],
    )
    .await;
    assert!(
        said.starts_with(&format!(
            "Removed the role verification **#{id} Oryx 3 completion**"
        )),
        "{said}"
    );
    // Its panel disappears from the channel, and the raider's request is cancelled.
    let gone = sim
        .eventually(WAIT, || {
            sim.messages(o3_panel)
                .iter()
                .all(|m| m.id != panel.id)
                .then_some(())
        })
        .await;
    assert!(gone.is_some(), "the panel is still there");
    v.dm(
        raider,
        "Staff removed the **Oryx 3 completion** role request, so your request was cancelled.",
    )
    .await;
    let said = run(v.w.admin, "roleverifications", vec![]).await;
    assert!(
        said.starts_with("There are no role verifications"),
        "{said}"
    );
    let said = run(
        v.w.admin,
        "removeroleverification",
        vec![CommandOption::int("id", id)],
    )
    .await;
    assert_eq!(
        said,
        format!("There is no role verification #{id} here (see /roleverifications).")
    );
}

#[tokio::test]
async fn a_review_card_of_a_removed_role_verification_says_so_and_stops() {
    let v = veri_world((true, true)).await;
    let sim = v.w.sim.clone();
    let raider = v.w.raiders[0];
    let o3_role = sim.create_role(v.w.guild, "O3 Completed", 0, 3);
    let o3_review = sim.create_channel(v.w.guild, "o3-review", ChannelKind::Text);
    let o3_panel = sim.create_channel(v.w.guild, "o3-roles", ChannelKind::Text);
    let run = |user, name: &'static str, options: Vec<CommandOption>| {
        let sim = sim.clone();
        let (guild, channel) = (v.w.guild, v.w.raid);
        async move { answer(&sim.run_command(guild, channel, user, name, options).await).await }
    };
    run(
        v.w.admin,
        "addroleverification",
        vec![
            CommandOption::string("name", "Oryx 3 completion"),
            CommandOption::role("role", o3_role),
            CommandOption::channel("review_channel", o3_review),
            CommandOption::channel("panel_channel", o3_panel),
        ],
    )
    .await;
    let panel = sim
        .eventually(WAIT, || {
            sim.messages(o3_panel)
                .into_iter()
                .find(|m| !m.buttons().is_empty())
        })
        .await
        .expect("the role panel");
    run(
        v.security,
        "verify",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("ign", "Raiderone"),
        ],
    )
    .await;
    sim.press(v.w.guild, raider, o3_panel, panel.id, "Request role")
        .await;
    v.dm(raider, "Upload a screenshot").await;
    sim.send_dm(raider, "", vec![Attachment::new("loot.png", 4000)]);
    v.dm(raider, "Your screenshot is with staff now").await;
    let card = sim
        .eventually(WAIT, || {
            sim.messages(o3_review)
                .into_iter()
                .find(|m| !m.buttons().is_empty())
        })
        .await
        .expect("a review card with Approve and Deny");
    // Security opens the approval form, then a moderator removes the role verification.
    let form = sim
        .press(v.w.guild, v.security, o3_review, card.id, "Approve")
        .await;
    let id: i64 = sqlx::query_scalar("SELECT custom_role_id FROM veri_custom_role")
        .fetch_one(&v.w.db.pool)
        .await
        .unwrap();
    run(
        v.w.admin,
        "removeroleverification",
        vec![CommandOption::int("id", id)],
    )
    .await;

    // The card says so and has no buttons left; the raider is told.
    let updated = sim
        .eventually(WAIT, || {
            sim.message(o3_review, card.id)
                .filter(|m| m.buttons().is_empty())
        })
        .await
        .expect("the card loses its buttons");
    let text = updated.embeds[0].to_string();
    assert!(
        text.contains("This role verification was removed by")
            && text.contains("the request can no longer be decided"),
        "{text}"
    );
    v.dm(
        raider,
        "Staff removed the **Oryx 3 completion** role request, so your request was cancelled.",
    )
    .await;
    // The form opened before the removal no longer decides anything.
    let res = sim.submit_modal(v.security, &form, &[("ign", "")]).await;
    assert_eq!(
        answer(&res).await,
        "This role verification was removed, so this request can no longer be decided."
    );
    assert!(
        !sim.member(v.w.guild, raider)
            .unwrap()
            .roles
            .contains(&o3_role),
        "no role was granted"
    );
}
