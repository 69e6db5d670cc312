//! Moderation: staff warn, suspend, mute, kick, ban and look members up; hierarchy
//! refusals; expiry across downtime; rejoining does not dodge a mute; closed DMs.

use std::time::Duration;

use discord_sim::{
    ChannelId, ChannelKind, CommandOption, InteractionResult, Message, ResponseKind, RoleId, UserId,
};

use crate::harness::{WAIT, World, footer};

const ROLE_REMOVE: &str = "DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}";

pub struct Mod {
    pub security_role: RoleId,
    pub security: UserId,
    pub security2: UserId,
    pub officer: UserId,
    pub suspended: RoleId,
    pub muted: RoleId,
    pub log: ChannelId,
}

/// The admin maps security, officer, suspended and muted roles and the punishment log.
pub async fn setup(w: &World) -> Mod {
    let sim = &w.sim;
    let officer_role = sim.create_role(w.guild, "Officer", 0, 7);
    let security_role = sim.create_role(w.guild, "Security", 0, 6);
    let suspended = sim.create_role(w.guild, "Suspended", 0, 1);
    let muted = sim.create_role(w.guild, "Muted", 0, 1);
    let log = sim.create_channel(w.guild, "punishment-log", ChannelKind::Text);
    let officer = sim.create_user("officer");
    sim.add_member(w.guild, officer, &[officer_role]);
    let security = sim.create_user("security");
    sim.add_member(w.guild, security, &[security_role]);
    let security2 = sim.create_user("security2");
    sim.add_member(w.guild, security2, &[security_role]);
    w.configure().await;
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "setroles",
            vec![
                CommandOption::role("officer", officer_role),
                CommandOption::role("security", security_role),
                CommandOption::role("suspended", suspended),
                CommandOption::role("muted", muted),
            ],
        )
        .await;
    assert!(res.is_ok(), "{:?}", res.kind);
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "setchannels",
            vec![CommandOption::channel("punishment_log", log)],
        )
        .await;
    assert!(res.is_ok(), "{:?}", res.kind);
    Mod {
        security_role,
        security,
        security2,
        officer,
        suspended,
        muted,
        log,
    }
}

/// What the user was answered: the reply, or the edited answer after a deferral.
pub async fn answer(res: &InteractionResult) -> String {
    assert!(res.is_ok(), "{:?}", res.kind);
    if matches!(res.kind, ResponseKind::DeferredReply) {
        return res
            .wait_for_original_edit(WAIT)
            .await
            .map(|m| m.content)
            .unwrap_or_default();
    }
    res.content.clone().unwrap_or_default()
}

async fn run(w: &World, who: UserId, name: &str, options: Vec<CommandOption>) -> String {
    let res = w.sim.run_command(w.guild, w.raid, who, name, options).await;
    assert!(
        res.ephemeral || res.kind == ResponseKind::DeferredReply,
        "{name} answers privately"
    );
    answer(&res).await
}

/// The punishment log entry whose title starts with `title`.
pub async fn log_entry(w: &World, m: &Mod, title: &str) -> Message {
    let sim = &w.sim;
    sim.eventually(WAIT, || {
        sim.messages(m.log).into_iter().find(|msg| {
            msg.embeds
                .first()
                .and_then(|e| e["title"].as_str())
                .is_some_and(|t| t.starts_with(title))
        })
    })
    .await
    .unwrap_or_else(|| panic!("a log entry `{title}` in punishment_log"))
}

fn code_in(text: &str) -> String {
    let start = text.find("P-").expect("a punishment id in the answer");
    text[start..start + 7].to_owned()
}

#[tokio::test]
async fn security_cannot_warn_an_officer_but_warns_a_raider_who_is_told() {
    let w = World::new(1).await;
    let m = setup(&w).await;
    let raider = w.raiders[0];

    let text = run(
        &w,
        m.security,
        "warn",
        vec![
            CommandOption::user("member", m.officer),
            CommandOption::string("reason", "Rude in voice"),
        ],
    )
    .await;
    assert!(text.contains("only act on members below you"), "{text}");
    let text = run(
        &w,
        m.security,
        "warn",
        vec![
            CommandOption::user("member", m.security2),
            CommandOption::string("reason", "Peer"),
        ],
    )
    .await;
    assert!(text.contains("below you"), "{text}");
    let text = run(
        &w,
        m.security,
        "warn",
        vec![
            CommandOption::user("member", m.security),
            CommandOption::string("reason", "Me"),
        ],
    )
    .await;
    assert!(text.contains("yourself"), "{text}");
    // Security cannot kick at all.
    let text = run(
        &w,
        m.security,
        "kick",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("reason", "x"),
        ],
    )
    .await;
    assert!(text.contains("Officer"), "{text}");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM punishment")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0, "refusals change nothing");

    let text = run(
        &w,
        m.security,
        "warn",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("reason", "Spamming in chat"),
        ],
    )
    .await;
    assert!(
        text.contains("warned") && text.contains("told by DM"),
        "{text}"
    );
    let code = code_in(&text);
    let dm = w
        .sim
        .eventually(WAIT, || w.sim.dms(raider).into_iter().next())
        .await
        .expect("the raider gets a DM");
    assert!(dm.embeds[0]["fields"][0]["value"] == "Spamming in chat");
    let entry = log_entry(&w, &m, "Warning").await;
    assert_eq!(footer(&entry), Some(format!("Punishment {code}").as_str()));
}

#[tokio::test]
async fn a_suspension_that_expires_while_the_bot_is_down_is_lifted_at_start_up_once() {
    let mut w = World::new(1).await;
    let m = setup(&w).await;
    let raider = w.raiders[0];
    let bad = run(
        &w,
        m.security,
        "suspend",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("duration", "45d"),
            CommandOption::string("reason", "Toxic"),
        ],
    )
    .await;
    assert!(bad.contains("too long") && bad.contains("`2d`"), "{bad}");
    let text = run(
        &w,
        m.security,
        "suspend",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("duration", "1m"),
            CommandOption::string("reason", "Toxic behaviour in run"),
        ],
    )
    .await;
    assert!(text.contains("suspended until"), "{text}");
    let sim = w.sim.clone();
    sim.eventually(WAIT, || w.has_role(raider, m.suspended).then_some(()))
        .await
        .expect("the suspended role is given");
    log_entry(&w, &m, "Suspension —").await;

    w.stop_bot().await;
    // Time passes while the bot is down.
    sqlx::query(
        "UPDATE punishment SET created_at = created_at - interval '1 hour',
                expires_at = now() - interval '10 minutes'",
    )
    .execute(&w.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE job SET due_at = now() - interval '10 minutes' WHERE kind = 'punishment_expire'",
    )
    .execute(&w.db.pool)
    .await
    .unwrap();
    assert!(w.has_role(raider, m.suspended));
    let removals = sim.call_count(ROLE_REMOVE);
    w.start_bot().await;
    sim.eventually(WAIT, || (!w.has_role(raider, m.suspended)).then_some(()))
        .await
        .expect("the role is removed at start-up");
    log_entry(&w, &m, "Suspension expired").await;
    // A second start-up finds nothing left to do: once it has settled, one removal and
    // one log entry.
    w.restart_bot().await;
    w.settle().await;
    assert_eq!(sim.call_count(ROLE_REMOVE), removals + 1, "removed once");
    let titles = w.titles(m.log);
    let expired = titles
        .iter()
        .filter(|t| t.starts_with("Suspension expired"))
        .count();
    assert_eq!(expired, 1, "{titles:?}");
    let status: String = sqlx::query_scalar("SELECT status FROM punishment")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "expired");
}

#[tokio::test]
async fn leaving_and_rejoining_while_muted_gives_the_role_back() {
    let w = World::new(1).await;
    let m = setup(&w).await;
    let raider = w.raiders[0];
    run(
        &w,
        m.security,
        "mute",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("duration", "2h"),
            CommandOption::string("reason", "Harassment"),
        ],
    )
    .await;
    let sim = &w.sim;
    sim.eventually(WAIT, || w.has_role(raider, m.muted).then_some(()))
        .await
        .expect("muted");
    sim.remove_member(w.guild, raider);
    sim.add_member(w.guild, raider, &[w.raider_role]);
    sim.eventually(WAIT, || w.has_role(raider, m.muted).then_some(()))
        .await
        .expect("the mute role is back at once after rejoining");
    // Unmute ends it; a later rejoin stays clean.
    let text = run(
        &w,
        m.security,
        "unmute",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("reason", "Apologized"),
        ],
    )
    .await;
    assert!(text.contains("lifted"), "{text}");
    sim.eventually(WAIT, || (!w.has_role(raider, m.muted)).then_some(()))
        .await
        .expect("unmuted");
    log_entry(&w, &m, "Mute lifted").await;
    let text = run(
        &w,
        m.security,
        "unmute",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("reason", "Again"),
        ],
    )
    .await;
    assert!(text.contains("not muted"), "{text}");
}

#[tokio::test]
async fn a_kick_whose_dm_is_closed_tells_staff_and_still_kicks() {
    let w = World::new(2).await;
    let m = setup(&w).await;
    let raider = w.raiders[0];
    w.sim.set_dms_closed(raider, true);
    let text = run(
        &w,
        m.officer,
        "kick",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("reason", "Repeated rule violations"),
        ],
    )
    .await;
    assert!(text.contains("do not accept direct messages"), "{text}");
    assert!(w.sim.member(w.guild, raider).is_none(), "kicked");
    let entry = log_entry(&w, &m, "Kick").await;
    let dm_field = entry.embeds[0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "DM")
        .expect("a DM field");
    assert_eq!(dm_field["value"], "not delivered: DMs closed");
    // An open DM arrives before the ban.
    let other = w.raiders[1];
    let text = run(
        &w,
        m.officer,
        "ban",
        vec![
            CommandOption::user("member", other),
            CommandOption::string("reason", "Scamming"),
            CommandOption::int("delete_days", 1),
        ],
    )
    .await;
    assert!(
        text.contains("banned") && text.contains("told by DM"),
        "{text}"
    );
    assert!(w.sim.member(w.guild, other).is_none());
    let calls = w.sim.calls();
    let dm_at = calls
        .iter()
        .position(|c| {
            c.route == "POST /channels/{channel_id}/messages"
                && c.body
                    .as_ref()
                    .is_some_and(|b| b.to_string().contains("Scamming"))
        })
        .expect("the DM was sent");
    let ban_at = calls
        .iter()
        .position(|c| c.route == "PUT /guilds/{guild_id}/bans/{user_id}")
        .expect("the ban was made");
    assert!(dm_at < ban_at, "the DM goes before the ban");
    let text = run(
        &w,
        m.officer,
        "unban",
        vec![
            CommandOption::user("user", other),
            CommandOption::string("reason", "Appeal accepted"),
        ],
    )
    .await;
    assert!(text.contains("unbanned"), "{text}");
    log_entry(&w, &m, "Unbanned").await;
    // Once everything queued is delivered: one log entry per action, one DM to the banned.
    w.settle().await;
    let titles = w.titles(m.log);
    for action in ["Kick", "Ban", "Unbanned"] {
        let n = titles.iter().filter(|t| t.starts_with(action)).count();
        assert_eq!(n, 1, "{action}: {titles:?}");
    }
    let dms = w
        .sim
        .dms(other)
        .iter()
        .filter(|d| format!("{:?}{}", d.embeds, d.content).contains("Scamming"))
        .count();
    assert_eq!(dms, 1, "the banned member is told once");
}

#[tokio::test]
async fn find_shows_tabs_and_pages_privately_and_notes_never_reach_the_member() {
    let w = World::new(1).await;
    let m = setup(&w).await;
    let raider = w.raiders[0];
    for i in 0..7 {
        run(
            &w,
            m.security,
            "warn",
            vec![
                CommandOption::user("member", raider),
                CommandOption::string("reason", &format!("Warning number {i}")),
            ],
        )
        .await;
    }
    let text = run(
        &w,
        m.security,
        "addnote",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("text", "Suspected account sharing"),
        ],
    )
    .await;
    assert!(text.contains("Note #"), "{text}");
    let res = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            m.security,
            "find",
            vec![CommandOption::user("member", raider)],
        )
        .await;
    assert!(res.ephemeral, "/find answers privately");
    let panel = res.message.clone().expect("the /find panel");
    assert!(
        panel.embeds[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("Member info")
    );
    let res = w
        .sim
        .press(w.guild, m.security, w.raid, panel.id, "Punishments")
        .await;
    assert!(res.is_ok());
    let shown = res.message.clone().unwrap();
    assert_eq!(shown.embeds[0]["title"], "Punishments — 7 in all");
    assert_eq!(footer(&shown), Some("Page 1 of 2"));
    let res = w
        .sim
        .press(w.guild, m.security, w.raid, shown.id, "Next ▶")
        .await;
    let page2 = res.message.clone().unwrap();
    assert_eq!(footer(&page2), Some("Page 2 of 2"));
    assert_eq!(page2.embeds[0]["fields"].as_array().unwrap().len(), 2);
    let res = w
        .sim
        .press(w.guild, m.security, w.raid, page2.id, "Notes")
        .await;
    let notes = res.message.clone().unwrap();
    let body = notes.embeds[0].to_string();
    assert!(body.contains("Suspected account sharing"), "{body}");
    // The raider cannot look anyone up.
    let res = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            raider,
            "find",
            vec![CommandOption::user("member", raider)],
        )
        .await;
    assert!(answer(&res).await.contains("Security"));
    // An officer removes the note: the member learns nothing, the log keeps no text.
    let note_id: i64 = sqlx::query_scalar("SELECT note_id FROM member_note")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    let text = run(
        &w,
        m.officer,
        "removenote",
        vec![CommandOption::int("note", note_id)],
    )
    .await;
    assert!(text.contains("removed"), "{text}");
    log_entry(&w, &m, &format!("Staff note #{note_id} removed")).await;
    // Once everything queued is delivered, the note's text is nowhere the member or the
    // log can read.
    w.settle().await;
    let leaked = w
        .sim
        .dms(raider)
        .iter()
        .chain(w.sim.messages(m.log).iter())
        .any(|msg| {
            format!("{:?}", msg.embeds).contains("account sharing")
                || msg.content.contains("account sharing")
        });
    assert!(!leaked, "the note's text goes nowhere");
    // Remove a punishment by its id: kept as removed.
    let code: String =
        sqlx::query_scalar("SELECT code FROM punishment ORDER BY punishment_id LIMIT 1")
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
    let text = run(
        &w,
        m.security,
        "removepunishment",
        vec![
            CommandOption::string("id", &code.to_lowercase()),
            CommandOption::string("reason", "Issued in error"),
        ],
    )
    .await;
    assert!(text.contains("removed"), "{text}");
    let text = run(
        &w,
        m.security,
        "removepunishment",
        vec![
            CommandOption::string("id", "nonsense"),
            CommandOption::string("reason", "x"),
        ],
    )
    .await;
    assert!(text.contains("look like `P-4K7Q2`"), "{text}");
}

#[tokio::test]
async fn purge_25_skips_pinned_and_old_messages_and_is_rate_limited() {
    let w = World::new(1).await;
    let m = setup(&w).await;
    let sim = &w.sim;
    let chat = sim.create_channel(w.guild, "general", ChannelKind::Text);
    let raider = w.raiders[0];
    for i in 0..3 {
        sim.send_message_aged(
            raider,
            chat,
            &format!("old {i}"),
            Duration::from_secs(15 * 86_400),
        );
    }
    let mut fresh = Vec::new();
    for i in 0..22 {
        fresh.push(sim.send_message(raider, chat, &format!("spam {i}")));
    }
    sim.pin_message(chat, fresh[5]);
    sim.pin_message(chat, fresh[17]);
    let purge = |amount: i64| {
        let sim = sim.clone();
        let security = m.security;
        let guild = w.guild;
        async move {
            let res = sim
                .run_command(
                    guild,
                    chat,
                    security,
                    "purge",
                    vec![CommandOption::int("amount", amount)],
                )
                .await;
            answer(&res).await
        }
    };
    let text = purge(25).await;
    assert!(text.contains("Deleted 20 of the last 25"), "{text}");
    assert!(
        text.contains("Kept 2 pinned") && text.contains("Left 3 older than 14 days"),
        "{text}"
    );
    let left: Vec<String> = sim.messages(chat).into_iter().map(|m| m.content).collect();
    assert_eq!(left.len(), 5, "{left:?}");
    assert!(left.contains(&"spam 5".to_owned()) && left.contains(&"old 0".to_owned()));
    // Bad input changes nothing; the raider may not purge.
    let res = sim
        .run_command(
            w.guild,
            chat,
            raider,
            "purge",
            vec![CommandOption::int("amount", 2)],
        )
        .await;
    assert!(answer(&res).await.contains("Security"));
    purge(1).await;
    purge(1).await;
    let text = purge(1).await;
    assert!(
        text.contains("3 times a minute") && text.contains("Try again in"),
        "{text}"
    );
    let uses: i64 = sqlx::query_scalar("SELECT count(*) FROM purge_use")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(uses, 3);
}

#[tokio::test]
async fn help_lists_only_what_the_caller_may_use_and_ping_reports_latency() {
    let w = World::new(1).await;
    let m = setup(&w).await;
    let help = |who: UserId| {
        let sim = w.sim.clone();
        let (guild, raid) = (w.guild, w.raid);
        async move {
            let res = sim.run_command(guild, raid, who, "help", vec![]).await;
            assert!(res.ephemeral);
            res.embeds[0].to_string()
        }
    };
    let raider = help(w.raiders[0]).await;
    assert!(
        raider.contains("/party") && raider.contains("/ping"),
        "{raider}"
    );
    assert!(
        !raider.contains("/warn") && !raider.contains("/kick"),
        "{raider}"
    );
    let security = help(m.security).await;
    assert!(security.contains("/warn") && security.contains("/purge"));
    assert!(!security.contains("/kick") && !security.contains("/setroles"));
    assert!(security.contains("/modmailreply") && !security.contains("/modmailblacklist"));
    let officer = help(m.officer).await;
    assert!(officer.contains("/kick") && officer.contains("/run"));
    assert!(officer.contains("/modmailblacklist") && officer.contains("/modmailunblacklist"));
    let admin = help(w.admin).await;
    assert!(admin.contains("/setroles") && admin.contains("/createrole"));
    let res = w
        .sim
        .run_command(w.guild, w.raid, w.raiders[0], "ping", vec![])
        .await;
    let text = answer(&res).await;
    assert!(
        text.contains("Gateway:") && text.contains("Database:") && text.contains(" ms"),
        "{text}"
    );
}

#[tokio::test]
async fn team_role_follows_staff_roles_and_addrole_respects_levels() {
    let w = World::new(1).await;
    let m = setup(&w).await;
    let sim = &w.sim;
    let staff_updates = sim.create_channel(w.guild, "staff-updates", ChannelKind::Text);
    // /createrole makes the missing team role and maps it.
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "createrole",
            vec![CommandOption::string("key", "team")],
        )
        .await;
    let text = answer(&res).await;
    assert!(
        text.contains("Created") && text.contains("`team`"),
        "{text}"
    );
    let team = sim
        .roles(w.guild)
        .into_iter()
        .find(|r| r.name == "Team")
        .expect("the Team role")
        .id;
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "createrole",
            vec![CommandOption::string("key", "team")],
        )
        .await;
    assert!(answer(&res).await.contains("already mapped"));
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "setchannels",
            vec![CommandOption::channel("staff_updates", staff_updates)],
        )
        .await;
    assert!(res.is_ok());
    // The officer gives the raider the organizer role: team follows.
    let raider = w.raiders[0];
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            m.officer,
            "addrole",
            vec![
                CommandOption::user("member", raider),
                CommandOption::role("role", w.organizer_role),
            ],
        )
        .await;
    assert!(answer(&res).await.contains("Gave"), "addrole");
    sim.eventually(WAIT, || w.has_role(raider, team).then_some(()))
        .await
        .expect("team role given");
    sim.eventually(WAIT, || {
        sim.messages(staff_updates).into_iter().find(|msg| {
            msg.embeds
                .first()
                .is_some_and(|e| e.to_string().contains("joined the team"))
        })
    })
    .await
    .expect("a staff_updates line");
    // Security cannot give roles; an officer cannot give officer.
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            m.security,
            "addrole",
            vec![
                CommandOption::user("member", raider),
                CommandOption::role("role", w.organizer_role),
            ],
        )
        .await;
    assert!(answer(&res).await.contains("Officer"));
    // Losing every staff role removes team.
    sim.set_member_roles(w.guild, raider, &[w.raider_role, team]);
    sim.eventually(WAIT, || (!w.has_role(raider, team)).then_some(()))
        .await
        .expect("team role removed");
    sim.eventually(WAIT, || {
        sim.messages(staff_updates).into_iter().find(|msg| {
            msg.embeds
                .first()
                .is_some_and(|e| e.to_string().contains("left the team"))
        })
    })
    .await
    .expect("a staff_updates line for the removal");
    // Once everything queued is delivered: one line each way.
    w.settle().await;
    assert_eq!(w.count_embeds(staff_updates, "joined the team"), 1);
    assert_eq!(w.count_embeds(staff_updates, "left the team"), 1);
}

#[tokio::test]
async fn createrole_muted_denies_talking_in_every_channel_and_reports_a_refusal_once() {
    use discord_sim::perms;
    let w = World::new(1).await;
    w.configure().await;
    let sim = &w.sim;
    let bot_log = sim.create_channel(w.guild, "bot-log", ChannelKind::Text);
    let forum = sim.create_channel(w.guild, "modmail", ChannelKind::Forum);
    // A channel where an administrator took Manage Roles from the bot.
    let staff_only = sim.create_channel(w.guild, "staff-only", ChannelKind::Text);
    let bot_role = sim.bot_role(w.guild).unwrap();
    sim.set_overwrite(staff_only, bot_role.0, 0, 0, perms::MANAGE_ROLES);
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "setchannels",
            vec![CommandOption::channel("bot_log", bot_log)],
        )
        .await;
    assert!(res.is_ok());

    let text = run(
        &w,
        w.admin,
        "createrole",
        vec![CommandOption::string("key", "muted")],
    )
    .await;
    assert!(
        text.contains("Created") && text.contains("`muted`"),
        "{text}"
    );
    let muted = sim
        .roles(w.guild)
        .into_iter()
        .find(|r| r.name == "Muted")
        .expect("the Muted role")
        .id;
    let text_denied = perms::SEND_MESSAGES
        | perms::ADD_REACTIONS
        | perms::SEND_MESSAGES_IN_THREADS
        | perms::CREATE_PUBLIC_THREADS;
    let deny_of = |c: ChannelId| {
        sim.overwrites(c)
            .into_iter()
            .find(|o| o.id == muted.0 && o.kind == 0)
            .map(|o| (o.allow, o.deny))
    };
    for c in [w.raid, w.raid_log, bot_log, forum] {
        let got = sim
            .eventually(WAIT, || deny_of(c))
            .await
            .unwrap_or_else(|| panic!("an overwrite for the muted role in {c:?}"));
        assert_eq!(got, (0, text_denied), "{c:?}");
    }
    let voice = sim.eventually(WAIT, || deny_of(w.voice)).await.unwrap();
    assert_ne!(voice.1 & perms::SPEAK, 0, "voice: Speak denied");
    // The muted member cannot write there any more, as Discord computes it.
    let raider = w.raiders[0];
    sim.set_member_roles(w.guild, raider, &[w.raider_role, muted]);
    assert_eq!(
        sim.channel_permissions(w.raid, raider) & perms::SEND_MESSAGES,
        0
    );

    // The refusing channel has none, and bot_log says so once.
    let report = sim
        .eventually(WAIT, || {
            sim.messages(bot_log).into_iter().find(|m| {
                m.embeds
                    .first()
                    .is_some_and(|e| e.to_string().contains("muted role"))
            })
        })
        .await
        .expect("a bot_log entry about the muted role");
    let said = report.embeds[0].to_string();
    assert!(said.contains(&format!("<#{}>", staff_only.0)), "{said}");
    assert!(!said.contains(&format!("<#{}>", w.raid.0)), "{said}");
    // Once every channel's overwrite job has run: still no overwrite there, one report.
    w.settle().await;
    assert!(deny_of(staff_only).is_none());
    assert_eq!(w.count_embeds(bot_log, "muted role"), 1);
}

#[tokio::test]
async fn a_warning_and_a_verification_earn_the_quota_points_the_role_gives_once() {
    let mut w = World::new(2).await;
    let m = setup(&w).await;
    let sim = w.sim.clone();
    // The admin gives the security role 2.5 quota points per warning and 1 per verification.
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "configquota",
            vec![CommandOption::role("role", m.security_role)],
        )
        .await;
    let panel = res.message.clone().expect("the quota configuration panel");
    let modal = sim
        .press(w.guild, w.admin, w.raid, panel.id, "Moderation points")
        .await;
    assert_eq!(modal.kind, ResponseKind::Modal);
    let saved = sim
        .submit_modal(
            w.admin,
            &modal,
            &[
                ("warn", "2.5"),
                ("suspend", "0"),
                ("verify", "1"),
                ("editname", "0"),
                ("modmail_reply", "0"),
            ],
        )
        .await;
    assert!(saved.is_ok(), "{:?}", saved.content);

    let text = run(
        &w,
        m.security,
        "warn",
        vec![
            CommandOption::user("member", w.raiders[0]),
            CommandOption::string("reason", "Spam"),
        ],
    )
    .await;
    assert!(text.contains("P-"), "{text}");
    let (guild, raid) = (w.guild, w.raid);
    let stats = |who: UserId| {
        let sim = sim.clone();
        async move {
            let res = sim.run_command(guild, raid, who, "stats", vec![]).await;
            res.embeds[0].to_string()
        }
    };
    let shown = stats(m.security).await;
    assert!(shown.contains("**2.5** / 0 this period"), "{shown}");

    let text = run(
        &w,
        m.security,
        "verify",
        vec![
            CommandOption::user("member", w.raiders[1]),
            CommandOption::string("ign", "Blade"),
        ],
    )
    .await;
    assert!(
        text.contains("Verified") || text.contains("Blade"),
        "{text}"
    );
    assert!(!text.contains("longer than"), "{text}");
    let shown = stats(m.security).await;
    assert!(shown.contains("**3.5** / 0 this period"), "{shown}");

    // Once per action: the punishment's apply job running again after a restart awards
    // nothing more, and the events name their actions.
    w.restart_bot().await;
    w.settle().await;
    let shown = stats(m.security).await;
    assert!(shown.contains("**3.5** / 0 this period"), "{shown}");
    let events: Vec<(String, i64)> = sqlx::query_as(
        "SELECT kind, amount FROM point_event WHERE member_id = $1 ORDER BY event_id",
    )
    .bind(m.security.0 as i64)
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(
        events,
        vec![("mod_warn".to_owned(), 250), ("mod_verify".to_owned(), 100)]
    );
}

#[tokio::test]
async fn a_suspended_raider_is_told_when_they_may_raid_again_and_unsuspend_lets_them_in() {
    let w = World::new(1).await;
    let m = setup(&w).await;
    let raider = w.raiders[0];
    let text = run(
        &w,
        m.security,
        "suspend",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("duration", "2d"),
            CommandOption::string("reason", "Leeching runs"),
        ],
    )
    .await;
    let code = code_in(&text);
    let sim = &w.sim;
    sim.eventually(WAIT, || w.has_role(raider, m.suspended).then_some(()))
        .await
        .expect("the suspended role is given");
    let ends: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT expires_at FROM punishment WHERE code = $1")
            .bind(&code)
            .fetch_one(&w.db.pool)
            .await
            .unwrap();

    // The raider still holds Verified Raider, yet Join, Bench and a key are refused with
    // the time the suspension ends.
    let panel = w.open_run("shatters").await.panel;
    let expected = format!(
        "You are suspended until <t:{0}:f> (<t:{0}:R>), and cannot join runs",
        ends.timestamp()
    );
    let res = sim.press(w.guild, raider, w.raid, panel.id, "Join").await;
    assert!(res.ephemeral);
    let said = res.content.unwrap_or_default();
    assert!(said.starts_with(&expected), "Join: {said}");
    let run_id: i64 = sqlx::query_scalar("SELECT run_id FROM run")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    let res = sim
        .select(
            w.guild,
            raider,
            w.raid,
            panel.id,
            &format!("run:class:{run_id}"),
            &["Wizard"],
        )
        .await;
    let said = res.content.unwrap_or_default();
    assert!(said.starts_with(&expected), "class: {said}");
    let res = sim
        .press(
            w.guild,
            raider,
            w.raid,
            panel.id,
            &format!("run:react:{run_id}:shatters_key"),
        )
        .await;
    let said = res.content.unwrap_or_default();
    assert!(said.starts_with(&expected), "key: {said}");
    let in_run: i64 = sqlx::query_scalar("SELECT count(*) FROM run_participant")
        .fetch_one(&w.db.pool)
        .await
        .unwrap_or(0);
    assert_eq!(in_run, 0, "nobody was added");

    // Security lifts it early: the role goes, the log says so, and Join works at once.
    let text = run(
        &w,
        m.security,
        "unsuspend",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("reason", "Appeal accepted"),
        ],
    )
    .await;
    assert_eq!(
        text,
        format!(
            "<@{}>'s suspension `{code}` is lifted; the role is being removed.",
            raider.0
        )
    );
    let res = sim.press(w.guild, raider, w.raid, panel.id, "Join").await;
    let said = res.content.unwrap_or_default();
    assert!(said.starts_with("You joined the Shatters run"), "{said}");
    sim.eventually(WAIT, || (!w.has_role(raider, m.suspended)).then_some(()))
        .await
        .expect("the suspended role is taken");
    let entry = log_entry(&w, &m, "Suspension lifted").await;
    assert_eq!(footer(&entry), Some(format!("Punishment {code}").as_str()));
    assert!(entry.embeds[0].to_string().contains("Appeal accepted"));
}

#[tokio::test]
async fn softban_removes_the_member_and_their_messages_but_lets_them_rejoin() {
    let w = World::new(1).await;
    let m = setup(&w).await;
    let raider = w.raiders[0];
    // Security may not softban; an officer may.
    let text = run(
        &w,
        m.security,
        "softban",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("reason", "Spam links"),
        ],
    )
    .await;
    assert!(text.contains("Officer"), "{text}");
    let text = run(
        &w,
        m.officer,
        "softban",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("reason", "Spam links"),
            CommandOption::int("delete_days", 2),
        ],
    )
    .await;
    assert!(text.contains("softbanned"), "{text}");
    let code = code_in(&text);
    let entry = log_entry(&w, &m, "Softban").await;
    assert_eq!(footer(&entry), Some(format!("Punishment {code}").as_str()));
    let sim = &w.sim;
    // Told first, with what a softban means.
    let dm = sim
        .eventually(WAIT, || {
            sim.dms(raider).into_iter().find(|d| {
                d.embeds
                    .first()
                    .is_some_and(|e| e.to_string().contains("you may rejoin at once"))
            })
        })
        .await
        .expect("the DM about the softban");
    assert!(dm.embeds[0].to_string().contains("Spam links"));
    // Banned with two days of messages deleted, then unbanned at once: gone from the
    // server, free to come back.
    assert!(
        sim.member(w.guild, raider).is_none(),
        "removed from the server"
    );
    let path_end = format!("/bans/{}", raider.0);
    let calls = sim.calls();
    let ban = calls
        .iter()
        .position(|c| {
            c.route == "PUT /guilds/{guild_id}/bans/{user_id}" && c.path.contains(&path_end)
        })
        .expect("the ban");
    assert!(
        calls[ban]
            .body
            .as_ref()
            .is_some_and(|b| b["delete_message_seconds"] == 2 * 86_400),
        "{:?}",
        calls[ban].body
    );
    let unban = sim
        .eventually(WAIT, || {
            sim.calls().iter().position(|c| {
                c.route == "DELETE /guilds/{guild_id}/bans/{user_id}"
                    && c.path.contains(&path_end)
                    && c.status < 300
            })
        })
        .await
        .expect("the unban");
    assert!(
        ban < unban,
        "banned, then unbanned: nothing stops them rejoining"
    );
}

/// Discord delivers NUL characters in options, form fields and DMs; PostgreSQL cannot
/// store them. The member is told which option to fix and nothing is recorded.
#[tokio::test]
async fn text_with_a_nul_character_is_refused_and_nothing_is_recorded() {
    let w = World::new(1).await;
    let m = setup(&w).await;
    let raider = w.raiders[0];
    let text = run(
        &w,
        m.security,
        "warn",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("reason", "Spam\u{0}ming"),
        ],
    )
    .await;
    assert!(text.contains("`reason`"), "{text}");
    assert!(text.contains("NUL"), "{text}");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM punishment")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0, "nothing was recorded");

    // The same in a DM (which would otherwise open a modmail conversation).
    w.sim.send_dm(raider, "help\u{0}", vec![]);
    let sim = &w.sim;
    let bot = sim.bot_user_id();
    let reply = sim
        .eventually(WAIT, || {
            sim.dms(raider)
                .into_iter()
                .find(|d| d.author_id.0 == bot && d.content.contains("NUL"))
        })
        .await;
    assert!(
        reply.is_some(),
        "the member is told why: {:?}",
        sim.dms(raider)
    );
    let tickets: i64 = sqlx::query_scalar("SELECT count(*) FROM modmail_ticket")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(tickets, 0);
}
