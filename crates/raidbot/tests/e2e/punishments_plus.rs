//! Punishments, second part: how each one ended (expired, lifted, removed) in `/find`
//! and the punishment log; taking back the quota points of a punishment issued in error;
//! `/editpunishment` moving a suspension's end across a restart; mass actions; escalation
//! rules; the rejoin flag.

use discord_sim::{CommandOption, Message, ResponseKind, UserId};

use crate::harness::{WAIT, World};
use crate::moderation::{Mod, answer, log_entry, setup};

async fn run(w: &World, who: UserId, name: &str, options: Vec<CommandOption>) -> String {
    let res = w.sim.run_command(w.guild, w.raid, who, name, options).await;
    assert!(
        res.ephemeral || res.kind == ResponseKind::DeferredReply,
        "{name} answers privately"
    );
    answer(&res).await
}

fn code_in(text: &str) -> String {
    let start = text.find("P-").expect("a punishment id in the answer");
    text[start..start + 7].to_owned()
}

/// The embed of the newest DM to `user` whose embed title contains `text` (waits for it).
async fn dm_embed_titled(w: &World, user: UserId, text: &str) -> Message {
    let sim = &w.sim;
    sim.eventually(WAIT, || {
        sim.dms(user).into_iter().rev().find(|m| {
            m.embeds
                .first()
                .and_then(|e| e["title"].as_str())
                .is_some_and(|t| t.contains(text))
        })
    })
    .await
    .unwrap_or_else(|| panic!("a DM titled like {text:?}"))
}

/// The admin gives the security role quota points per warning and per suspension.
async fn quota_points_for_moderation(w: &World, m: &Mod, warn: &str, suspend: &str) {
    let sim = &w.sim;
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
                ("warn", warn),
                ("suspend", suspend),
                ("verify", "0"),
                ("editname", "0"),
                ("modmail_reply", "0"),
            ],
        )
        .await;
    assert!(saved.is_ok(), "{:?}", saved.content);
}

async fn stats(w: &World, who: UserId) -> String {
    let res = w
        .sim
        .run_command(w.guild, w.raid, who, "stats", vec![])
        .await;
    res.embeds[0].to_string()
}

/// The /find punishments tab as `who` sees it.
async fn find_punishments(w: &World, who: UserId, member: UserId) -> String {
    let res = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            who,
            "find",
            vec![CommandOption::user("member", member)],
        )
        .await;
    let panel = res.message.clone().expect("the /find panel");
    let res = w
        .sim
        .press(w.guild, who, w.raid, panel.id, "Punishments")
        .await;
    assert!(res.is_ok());
    res.message.clone().unwrap().embeds[0].to_string()
}

#[tokio::test]
async fn history_tells_expired_lifted_and_removed_apart_and_removal_takes_back_points_once() {
    let mut w = World::new(2).await;
    let m = setup(&w).await;
    let raider = w.raiders[0];
    quota_points_for_moderation(&w, &m, "2.5", "1").await;

    let warned = run(
        &w,
        m.security,
        "warn",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("reason", "Spam in raid chat"),
        ],
    )
    .await;
    let warn_code = code_in(&warned);
    let suspended = run(
        &w,
        m.security,
        "suspend",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("duration", "2h"),
            CommandOption::string("reason", "Left the run early"),
        ],
    )
    .await;
    let suspend_code = code_in(&suspended);
    let muted = run(
        &w,
        m.security,
        "mute",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("duration", "1h"),
            CommandOption::string("reason", "Caps"),
        ],
    )
    .await;
    let mute_code = code_in(&muted);
    assert!(
        stats(&w, m.security)
            .await
            .contains("**3.5** / 0 this period")
    );

    // Lifted early, by the security member, with a reason.
    let text = run(
        &w,
        m.security,
        "unsuspend",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("reason", "Apologized in modmail"),
        ],
    )
    .await;
    assert!(text.contains("lifted"), "{text}");
    let entry = log_entry(&w, &m, "Suspension lifted").await;
    let shown = entry.embeds[0].to_string();
    assert!(
        shown.contains(&format!("<@{}>", m.security)) && shown.contains("Apologized in modmail"),
        "{shown}"
    );

    // Removed as issued in error, by an officer: the warning's 2.5 points go back.
    let text = run(
        &w,
        m.officer,
        "removepunishment",
        vec![
            CommandOption::string("id", &warn_code),
            CommandOption::string("reason", "Wrong member"),
        ],
    )
    .await;
    assert!(text.contains("removed"), "{text}");
    assert!(
        stats(&w, m.security)
            .await
            .contains("**1** / 0 this period")
    );
    let again = run(
        &w,
        m.officer,
        "removepunishment",
        vec![
            CommandOption::string("id", &warn_code),
            CommandOption::string("reason", "Again"),
        ],
    )
    .await;
    assert!(again.contains("already removed"), "{again}");
    let entry = log_entry(&w, &m, "Warning removed").await;
    let shown = entry.embeds[0].to_string();
    assert!(
        shown.contains(&format!("<@{}>", m.officer)) && shown.contains("Wrong member"),
        "{shown}"
    );

    // The mute runs out.
    sqlx::query(
        "UPDATE punishment SET created_at = created_at - interval '2 hours',
                expires_at = now() - interval '1 minute' WHERE code = $1",
    )
    .bind(&mute_code)
    .execute(&w.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE job SET due_at = now() WHERE kind = 'punishment_expire' AND state = 'pending'",
    )
    .execute(&w.db.pool)
    .await
    .unwrap();
    log_entry(&w, &m, "Mute expired").await;

    // /find tells the three endings apart: who, and why.
    let shown = find_punishments(&w, m.officer, raider).await;
    assert!(shown.contains("**Expired**"), "{shown}");
    assert!(
        shown.contains(&format!("**Lifted** by <@{}>", m.security))
            && shown.contains("Apologized in modmail"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("**Removed** by <@{}>", m.officer))
            && shown.contains("Wrong member"),
        "{shown}"
    );
    let statuses: Vec<(String, String)> =
        sqlx::query_as("SELECT code, status FROM punishment ORDER BY punishment_id")
            .fetch_all(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(
        statuses,
        vec![
            (warn_code.clone(), "removed".to_owned()),
            (suspend_code, "lifted".to_owned()),
            (mute_code, "expired".to_owned()),
        ]
    );

    // Once: after a restart and everything settled, one reversing event, and lifting a
    // suspension took nothing back.
    w.restart_bot().await;
    w.settle().await;
    let events: Vec<(String, i64)> = sqlx::query_as(
        "SELECT kind, amount FROM point_event WHERE member_id = $1 ORDER BY event_id",
    )
    .bind(m.security.0 as i64)
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(
        events,
        vec![
            ("mod_warn".to_owned(), 250),
            ("mod_suspend".to_owned(), 100),
            ("mod_warn".to_owned(), -250),
        ]
    );
    assert!(
        stats(&w, m.security)
            .await
            .contains("**1** / 0 this period")
    );
}

#[tokio::test]
async fn an_edited_suspension_ends_at_its_new_time_across_a_restart() {
    let mut w = World::new(1).await;
    let m = setup(&w).await;
    let raider = w.raiders[0];
    let sim = w.sim.clone();
    let text = run(
        &w,
        m.security,
        "suspend",
        vec![
            CommandOption::user("member", raider),
            CommandOption::string("duration", "2d"),
            CommandOption::string("reason", "Toxic in voice"),
        ],
    )
    .await;
    let code = code_in(&text);
    sim.eventually(WAIT, || w.has_role(raider, m.suspended).then_some(()))
        .await
        .expect("suspended");

    // Another security member may not change it; nothing, or a warning's length, neither.
    let text = run(
        &w,
        m.security2,
        "editpunishment",
        vec![
            CommandOption::string("id", &code),
            CommandOption::string("duration", "1h"),
        ],
    )
    .await;
    assert!(text.contains("Only the staff member who gave"), "{text}");
    let text = run(
        &w,
        m.security,
        "editpunishment",
        vec![CommandOption::string("id", &code)],
    )
    .await;
    assert!(text.contains("new duration, a new reason"), "{text}");

    // The issuer shortens it to 1 hour and rewords it.
    let text = run(
        &w,
        m.security,
        "editpunishment",
        vec![
            CommandOption::string("id", &code),
            CommandOption::string("duration", "1h"),
            CommandOption::string("reason", "Toxic in voice (first time)"),
        ],
    )
    .await;
    assert!(
        text.contains("is changed") && text.contains("instead of"),
        "{text}"
    );
    let dm = dm_embed_titled(&w, raider, "was changed").await;
    let shown = dm.embeds[0].to_string();
    assert!(shown.contains("Toxic in voice (first time)"), "{shown}");
    let entry = log_entry(&w, &m, "Suspension edited").await;
    let shown = entry.embeds[0].to_string();
    assert!(
        shown.contains("(was <t:") && shown.contains("first time"),
        "{shown}"
    );

    // The bot is down while the hour passes: everything moves 61 minutes into the past,
    // so only the new end (1 hour), not the old one (2 days), is due.
    w.stop_bot().await;
    for sql in [
        "UPDATE punishment SET created_at = created_at - interval '61 minutes',
                expires_at = expires_at - interval '61 minutes'",
        "UPDATE job SET due_at = due_at - interval '61 minutes'
         WHERE kind = 'punishment_expire' AND state = 'pending'",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&w.db.pool)
            .await
            .unwrap();
    }
    assert!(w.has_role(raider, m.suspended));
    w.start_bot().await;
    sim.eventually(WAIT, || (!w.has_role(raider, m.suspended)).then_some(()))
        .await
        .expect("the suspension ends at its new time, at start-up");
    log_entry(&w, &m, "Suspension expired").await;
    w.restart_bot().await;
    w.settle().await;
    let expired = w
        .titles(m.log)
        .iter()
        .filter(|t| t.starts_with("Suspension expired"))
        .count();
    assert_eq!(expired, 1);
    let status: String = sqlx::query_scalar("SELECT status FROM punishment")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "expired");
    // An ended punishment cannot be edited any more.
    let text = run(
        &w,
        m.security,
        "editpunishment",
        vec![
            CommandOption::string("id", &code),
            CommandOption::string("reason", "late"),
        ],
    )
    .await;
    assert!(text.contains("only a running punishment"), "{text}");
}

/// The embed of a command's answer (after a deferral, the edited answer).
async fn answer_embed(res: &discord_sim::InteractionResult) -> String {
    assert!(res.is_ok(), "{:?}", res.kind);
    if matches!(res.kind, ResponseKind::DeferredReply) {
        let m = res
            .wait_for_original_edit(WAIT)
            .await
            .expect("the deferred answer");
        return m.embeds[0].to_string();
    }
    res.embeds
        .first()
        .map(ToString::to_string)
        .unwrap_or_else(|| res.content.clone().unwrap_or_default())
}

#[tokio::test]
async fn a_mass_suspension_reports_each_member_and_a_retried_batch_gives_nothing_twice() {
    let w = World::new(4).await;
    let m = setup(&w).await;
    let sim = w.sim.clone();
    let r = w.raiders.clone();
    // raider 2 is verified as "Blade"; raider 3 has left the server.
    let text = run(
        &w,
        m.officer,
        "verify",
        vec![
            CommandOption::user("member", r[2]),
            CommandOption::string("ign", "Blade"),
        ],
    )
    .await;
    assert!(text.contains("Blade"), "{text}");
    sim.remove_member(w.guild, r[3]);

    // Security may not use it at all.
    let text = run(
        &w,
        m.security,
        "masssuspend",
        vec![
            CommandOption::string("members", &format!("<@{}>", r[0])),
            CommandOption::string("duration", "1d"),
            CommandOption::string("reason", "Crashing runs"),
        ],
    )
    .await;
    assert!(text.to_lowercase().contains("officer"), "{text}");
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            m.officer,
            "masssuspend",
            vec![
                CommandOption::string(
                    "members",
                    &format!(
                        "<@{}> <@{}>, blade\n{} Nobody <@{}>",
                        r[0], w.admin, r[3], r[1]
                    ),
                ),
                CommandOption::string("duration", "1d"),
                CommandOption::string("reason", "Crashing runs"),
            ],
        )
        .await;
    assert!(res.ephemeral || res.kind == ResponseKind::DeferredReply);
    let report = answer_embed(&res).await;
    assert!(report.contains("4 done, 2 refused"), "{report}");
    for done in [r[0], r[1], r[2]] {
        assert!(report.contains(&format!("✅ <@{done}> `P-")), "{report}");
    }
    assert!(
        report.contains(&format!("✅ <@{}> `P-", r[3])) && report.contains("not in the server"),
        "{report}"
    );
    assert!(
        report.contains(&format!("❌ <@{}>: ", w.admin)) && report.contains("below you"),
        "{report}"
    );
    assert!(
        report.contains("❌ `Nobody`: Nobody in this server has the in-game name"),
        "{report}"
    );
    for member in [r[0], r[1], r[2]] {
        sim.eventually(WAIT, || w.has_role(member, m.suspended).then_some(()))
            .await
            .expect("each member present is suspended");
    }
    w.settle().await;
    assert_eq!(w.count_embeds(m.log, "Crashing runs"), 4);

    // The same batch again (a retried interaction), twice at once: nothing new anywhere.
    let (batch, codes): (String, Vec<String>) = {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT batch_key, code FROM punishment ORDER BY punishment_id")
                .fetch_all(&w.db.pool)
                .await
                .unwrap();
        (
            rows[0].0.clone(),
            rows.iter().map(|(_, c)| c.clone()).collect(),
        )
    };
    assert_eq!(codes.len(), 4);
    let guild = domain::Snowflake::new(w.guild.0).unwrap();
    let officer = service::Actor::member(
        domain::Snowflake::new(m.officer.0).unwrap(),
        domain::RoleKey::Officer.level().unwrap(),
    );
    let again = |user: UserId| {
        let (pool, officer, batch) = (w.db.pool.clone(), officer.clone(), batch.clone());
        async move {
            let target = service::moderation::Target {
                facts: domain::moderation::TargetFacts {
                    user_id: domain::Snowflake::new(user.0).unwrap(),
                    level: domain::Level::NONE,
                    is_owner: false,
                    top_position: Some(2),
                },
                bot_top_position: Some(100),
            };
            let req = service::moderation::PunishRequest {
                kind: domain::moderation::PunishmentKind::Suspend,
                reason: "Crashing runs".into(),
                duration: Some("1d".into()),
                delete_days: None,
            };
            service::moderation::punish_in_batch(&pool, guild, &officer, &target, req, &batch).await
        }
    };
    let mut retried = Vec::new();
    for member in [r[0], r[1], r[2], r[3]] {
        let (a, b) = tokio::join!(again(member), again(member));
        retried.push(a);
        retried.push(b);
    }
    for outcome in &retried {
        match outcome {
            service::moderation::MassOutcome::Done { punishment, fresh } => {
                assert!(!fresh, "{punishment:?}");
                assert!(codes.contains(&punishment.code));
            }
            other => panic!("a retry is refused: {other:?}"),
        }
    }
    w.settle().await;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM punishment")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(total, 4);
    assert_eq!(w.count_embeds(m.log, "Crashing runs"), 4);
}

#[tokio::test]
async fn masswarn_warns_by_name_and_id_and_refuses_a_list_over_fifty() {
    let w = World::new(2).await;
    let m = setup(&w).await;
    let r = w.raiders.clone();
    let many: Vec<String> = (0..51).map(|i| format!("Name{i}")).collect();
    let text = run(
        &w,
        m.officer,
        "masswarn",
        vec![
            CommandOption::string("members", &many.join(" ")),
            CommandOption::string("reason", "Spam"),
        ],
    )
    .await;
    assert!(text.contains("at most 50"), "{text}");
    let res = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            m.officer,
            "masswarn",
            vec![
                CommandOption::string("members", &format!("{} <@{}> {}", r[0].0, r[1], r[0].0)),
                CommandOption::string("reason", "Spam in raid chat"),
            ],
        )
        .await;
    let report = answer_embed(&res).await;
    assert!(report.contains("2 done, 0 refused"), "{report}");
    w.settle().await;
    assert_eq!(w.count_embeds(m.log, "Spam in raid chat"), 2);
    for member in [r[0], r[1]] {
        dm_embed_titled(&w, member, "warning").await;
    }
}

async fn warn(w: &World, by: UserId, member: UserId, reason: &str) -> String {
    run(
        w,
        by,
        "warn",
        vec![
            CommandOption::user("member", member),
            CommandOption::string("reason", reason),
        ],
    )
    .await
}

async fn configure_escalation(w: &World, options: Vec<CommandOption>) -> String {
    let res = w
        .sim
        .run_command(w.guild, w.raid, w.admin, "configescalation", options)
        .await;
    answer_embed(&res).await
}

#[tokio::test]
async fn an_escalation_fires_once_under_two_concurrent_warnings_and_old_warnings_stop_counting() {
    let w = World::new(2).await;
    let m = setup(&w).await;
    let sim = w.sim.clone();
    let (r0, r1) = (w.raiders[0], w.raiders[1]);
    // Only administrators configure rules.
    let refused = sim
        .run_command(w.guild, w.raid, m.officer, "configescalation", vec![])
        .await;
    assert!(
        refused
            .content
            .clone()
            .unwrap_or_default()
            .contains("Administrator"),
        "{:?}",
        refused.content
    );
    let shown = configure_escalation(
        &w,
        vec![
            CommandOption::string("when", "warn"),
            CommandOption::int("count", 3),
            CommandOption::int("within_days", 30),
            CommandOption::string("then", "suspend"),
            CommandOption::string("duration", "2d"),
        ],
    )
    .await;
    assert!(
        shown.contains("#1: 3 warnings within 30 days → suspend for 2d"),
        "{shown}"
    );
    let shown = configure_escalation(
        &w,
        vec![
            CommandOption::string("when", "suspend"),
            CommandOption::int("count", 2),
            CommandOption::int("within_days", 90),
            CommandOption::string("then", "notify"),
            CommandOption::int("warning_expiry_days", 7),
        ],
    )
    .await;
    assert!(
        shown.contains("#2: 2 suspensions within 90 days → tell officers")
            && shown.contains("stop counting after 7 days"),
        "{shown}"
    );

    // Two warnings, then two more at the same moment: the rule fires exactly once.
    warn(&w, m.security, r0, "Spam 1").await;
    warn(&w, m.security, r0, "Spam 2").await;
    let (a, b) = tokio::join!(
        warn(&w, m.security, r0, "Spam 3"),
        warn(&w, m.security2, r0, "Spam 4")
    );
    assert!(a.contains("P-") && b.contains("P-"), "{a} / {b}");
    sim.eventually(WAIT, || w.has_role(r0, m.suspended).then_some(()))
        .await
        .expect("the escalation suspends the member");
    let entry = log_entry(&w, &m, "Escalation rule #1 fired").await;
    let shown = entry.embeds[0].to_string();
    assert!(
        shown.contains("3 warnings within 30 days") && shown.contains("Suspension `P-"),
        "{shown}"
    );
    w.settle().await;
    let fired = w
        .titles(m.log)
        .iter()
        .filter(|t| t.starts_with("Escalation rule #1"))
        .count();
    assert_eq!(fired, 1);
    let suspensions: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM punishment WHERE kind = 'suspend' AND user_id = $1",
    )
    .bind(r0.0 as i64)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(suspensions, 1);
    dm_embed_titled(&w, r0, "suspended").await;

    // Warnings older than 7 days stop counting: two from ten days ago and a new one do not
    // reach the rule; once warnings never expire, the next one does.
    warn(&w, m.security, r1, "Old 1").await;
    warn(&w, m.security, r1, "Old 2").await;
    sqlx::query(
        "UPDATE punishment SET created_at = created_at - interval '10 days' WHERE user_id = $1",
    )
    .bind(r1.0 as i64)
    .execute(&w.db.pool)
    .await
    .unwrap();
    warn(&w, m.security, r1, "New 1").await;
    w.settle().await;
    assert!(!w.has_role(r1, m.suspended));
    let shown = configure_escalation(&w, vec![CommandOption::int("warning_expiry_days", 0)]).await;
    assert!(shown.contains("always count"), "{shown}");
    warn(&w, m.security, r1, "New 2").await;
    sim.eventually(WAIT, || w.has_role(r1, m.suspended).then_some(()))
        .await
        .expect("without expiry the old warnings count again");

    // Rule 2: a second suspension within 90 days tells officers, with a mention.
    run(
        &w,
        m.security,
        "unsuspend",
        vec![
            CommandOption::user("member", r0),
            CommandOption::string("reason", "Served enough"),
        ],
    )
    .await;
    run(
        &w,
        m.security,
        "suspend",
        vec![
            CommandOption::user("member", r0),
            CommandOption::string("duration", "1h"),
            CommandOption::string("reason", "Again"),
        ],
    )
    .await;
    let entry = log_entry(&w, &m, "Escalation rule #2 fired").await;
    assert!(entry.content.contains("<@&"), "{:?}", entry.content);
    assert!(entry.embeds[0].to_string().contains("Officers are told"));
}

#[tokio::test]
async fn a_member_who_rejoins_with_a_record_is_flagged_once_in_the_punishment_log() {
    let w = World::new(2).await;
    let m = setup(&w).await;
    let sim = w.sim.clone();
    let (r0, r1) = (w.raiders[0], w.raiders[1]);
    warn(&w, m.security, r0, "Spam").await;
    let wrong = warn(&w, m.security, r0, "Wrong member").await;
    run(
        &w,
        m.officer,
        "removepunishment",
        vec![
            CommandOption::string("id", &code_in(&wrong)),
            CommandOption::string("reason", "Issued in error"),
        ],
    )
    .await;
    run(
        &w,
        m.security,
        "suspend",
        vec![
            CommandOption::user("member", r0),
            CommandOption::string("duration", "2h"),
            CommandOption::string("reason", "Crashing"),
        ],
    )
    .await;
    sim.eventually(WAIT, || w.has_role(r0, m.suspended).then_some(()))
        .await
        .expect("suspended");
    sim.remove_member(w.guild, r0);
    sim.add_member(w.guild, r0, &[w.raider_role]);
    // A member with no record rejoining is not flagged.
    sim.remove_member(w.guild, r1);
    sim.add_member(w.guild, r1, &[w.raider_role]);
    sim.eventually(WAIT, || w.has_role(r0, m.suspended).then_some(()))
        .await
        .expect("the suspension's role is back");
    let entry = log_entry(&w, &m, "Member rejoined with a record").await;
    let shown = entry.embeds[0].to_string();
    assert!(
        shown.contains(&format!(
            "<@{r0}> rejoined; earlier: 1 suspension, 1 warning. Still running: 1 suspension"
        )),
        "{shown}"
    );
    w.settle().await;
    let flagged: Vec<String> = w
        .titles(m.log)
        .into_iter()
        .filter(|t| t.starts_with("Member rejoined"))
        .collect();
    assert_eq!(flagged.len(), 1, "only the member with a record, once");
}
