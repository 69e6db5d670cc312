//! Quotas and points: a moderator configures a quota role through its panel, an organizer
//! ends a run, and everyone sees the points in /stats, /leaderboard, the quota panel and
//! the quota log, across a bot restart.

use discord_sim::{ChannelId, ChannelKind, CommandOption, Message, ResponseKind};

use crate::harness::{Posted, WAIT, World, field};

async fn quota_channels(w: &World) -> (ChannelId, ChannelId) {
    let quota = w.sim.create_channel(w.guild, "quota", ChannelKind::Text);
    let quota_log = w
        .sim
        .create_channel(w.guild, "quota-log", ChannelKind::Text);
    let res = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "setchannels",
            vec![
                CommandOption::channel("quota", quota),
                CommandOption::channel("quota_log", quota_log),
            ],
        )
        .await;
    assert!(res.is_ok(), "{:?}", res.kind);
    (quota, quota_log)
}

fn embed_text(m: &Message) -> String {
    m.embeds
        .iter()
        .map(|e| {
            let mut t = String::new();
            for key in ["title", "description"] {
                if let Some(s) = e.get(key).and_then(|v| v.as_str()) {
                    t.push_str(s);
                    t.push('\n');
                }
            }
            if let Some(f) = e.pointer("/footer/text").and_then(|v| v.as_str()) {
                t.push_str(f);
                t.push('\n');
            }
            if let Some(fields) = e.get("fields").and_then(|f| f.as_array()) {
                for f in fields {
                    t.push_str(f["name"].as_str().unwrap_or(""));
                    t.push_str(": ");
                    t.push_str(f["value"].as_str().unwrap_or(""));
                    t.push('\n');
                }
            }
            t
        })
        .collect()
}

fn res_text(res: &discord_sim::InteractionResult) -> String {
    let mut t = res.content.clone().unwrap_or_default();
    if let Some(m) = &res.message {
        t.push_str(&embed_text(m));
    }
    t
}

#[tokio::test]
async fn organizer_ends_a_run_and_everyone_sees_the_points() {
    let mut w = World::new(3).await;
    w.configure().await;
    let (quota, quota_log) = quota_channels(&w).await;
    let sim = w.sim.clone();

    // The admin opens the quota panel of the organizer role and sets 2 required points.
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "configquota",
            vec![CommandOption::role("role", w.organizer_role)],
        )
        .await;
    assert!(res.ephemeral, "{:?}", res.content);
    let text = res_text(&res);
    assert!(text.contains("Quota configuration"), "{text}");
    assert!(text.contains("Weekly, Monday 00:00 UTC"), "{text}");
    let config = res.message.clone().expect("config panel");
    let modal = sim
        .press(w.guild, w.admin, w.raid, config.id, "Required points")
        .await;
    assert_eq!(modal.kind, ResponseKind::Modal);
    // A value with three decimals is refused with a reason; nothing changes.
    let bad = sim
        .submit_modal(w.admin, &modal, &[("points", "1.234")])
        .await;
    assert!(bad.ephemeral);
    assert!(
        bad.content
            .as_deref()
            .unwrap_or("")
            .contains("more than two decimals"),
        "{:?}",
        bad.content
    );
    let ok = sim.submit_modal(w.admin, &modal, &[("points", "2")]).await;
    assert!(
        res_text(&ok).contains("Required points set to **2**"),
        "{}",
        res_text(&ok)
    );

    // Per-dungeon override: category select (Exaltation Dungeons), dungeon select, modal.
    let cats = sim
        .select(
            w.guild,
            w.admin,
            w.raid,
            ok.message.as_ref().unwrap().id,
            &config_select_id(&ok),
            &["3"],
        )
        .await;
    assert!(cats.is_ok(), "{:?}", cats.kind);
    let dungeons_msg = cats.message.clone().expect("dungeon select");
    let select_id = dungeons_msg
        .all_components()
        .into_iter()
        .find(|c| c["type"] == 3)
        .and_then(|c| c["custom_id"].as_str().map(str::to_owned))
        .unwrap();
    let modal = sim
        .select(
            w.guild,
            w.admin,
            w.raid,
            dungeons_msg.id,
            &select_id,
            &["shatters"],
        )
        .await;
    assert_eq!(modal.kind, ResponseKind::Modal, "{:?}", modal.content);
    let saved = sim
        .submit_modal(w.admin, &modal, &[("points", "1.5")])
        .await;
    let text = res_text(&saved);
    assert!(text.contains("Shatters: **1.5**"), "{text}");

    // A raider may not configure quotas.
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.raiders[0],
            "configquota",
            vec![CommandOption::role("role", w.organizer_role)],
        )
        .await;
    assert_eq!(
        res.content.as_deref(),
        Some("You need the Moderator role (or higher) to do this.")
    );

    // The organizer runs Shatters with three raiders and ends it.
    let Posted {
        organizer: org_msg,
        panel,
    } = w.open_run("shatters").await;
    w.join(&panel, &w.raiders).await;
    sim.press(w.guild, w.organizer, w.raid, org_msg.id, "Start")
        .await;
    let res = sim
        .press(w.guild, w.organizer, w.raid, org_msg.id, "End run")
        .await;
    assert_eq!(res.content.as_deref(), Some("Run ended with 3 raiders."));
    let rows: Vec<(i64, String, i64)> =
        sqlx::query_as("SELECT member_id, kind, amount FROM point_event ORDER BY kind, member_id")
            .fetch_all(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(rows[3], (w.organizer.0 as i64, "run_organized".into(), 150));

    // The quota panel shows the organizer with 1.5 of 2 points, not met yet.
    let line = format!("<@{}> ▰▰▰▰▰▰▰▱▱▱ 1.5/2 ❌", w.organizer.0);
    let shown = sim
        .eventually(WAIT, || {
            sim.messages(quota)
                .into_iter()
                .find(|m| embed_text(m).contains(&line))
        })
        .await;
    assert!(
        shown.is_some(),
        "panel: {:?}",
        sim.messages(quota)
            .iter()
            .map(embed_text)
            .collect::<Vec<_>>()
    );

    // The bot restarts; stats and leaderboards answer from the database.
    w.restart_bot().await;
    let sim = w.sim.clone();
    let res = sim
        .run_command(w.guild, w.raid, w.organizer, "stats", vec![])
        .await;
    assert!(res.ephemeral);
    let text = res_text(&res);
    assert!(text.contains("**1.5** / 2 this period"), "{text}");
    assert!(text.contains("Runs organized: 1"), "{text}");
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.raiders[0],
            "stats",
            vec![
                CommandOption::user("member", w.raiders[1]),
                CommandOption::bool("share", true),
            ],
        )
        .await;
    assert!(!res.ephemeral);
    let text = res_text(&res);
    assert!(text.contains("Raider points: **1** (rank #1)"), "{text}");
    assert!(text.contains("Shatters: 1 completed"), "{text}");

    let res = sim
        .run_command(w.guild, w.raid, w.raiders[0], "leaderboard", vec![])
        .await;
    let text = res_text(&res);
    for r in &w.raiders {
        assert!(
            text.contains(&format!("`   1.` <@{}> — **1**", r.0)),
            "{text}"
        );
    }
    let board = res.message.clone().unwrap();
    let next = board
        .buttons()
        .into_iter()
        .find(|b| b.label.as_deref() == Some("Next ›"))
        .unwrap();
    assert!(next.disabled, "one page only");

    // An officer-level adjustment is refused for a raider, and logged when the admin does it.
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "addpoints",
            vec![
                CommandOption::user("member", w.raiders[2]),
                CommandOption::string("amount", "5"),
                CommandOption::string("reason", "event winner"),
            ],
        )
        .await;
    assert!(
        res.content
            .as_deref()
            .unwrap_or("")
            .contains("now have **6** raider points"),
        "{:?}",
        res.content
    );
    let logged = sim
        .eventually(WAIT, || {
            sim.messages(quota_log)
                .into_iter()
                .find(|m| embed_text(m).contains("event winner"))
        })
        .await
        .expect("quota_log entry");
    assert!(embed_text(&logged).contains(&format!("<@{}>", w.admin.0)));
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.raiders[0],
            "leaderboard",
            vec![
                CommandOption::string("category", "raider_points"),
                CommandOption::string("period", "all"),
            ],
        )
        .await;
    let text = res_text(&res);
    assert!(
        text.contains(&format!("`   1.` <@{}> — **6**", w.raiders[2].0)),
        "{text}"
    );
    assert!(text.contains("`   2.`"), "ties share rank 2: {text}");
    assert!(!text.contains("`   3.`"), "{text}");

    // /logrun by the organizer fills the quota: the panel flips to met.
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "logrun",
            vec![
                CommandOption::string("dungeon", "ancient_ruins"),
                CommandOption::int("amount", 1),
            ],
        )
        .await;
    assert!(
        res.content
            .as_deref()
            .unwrap_or("")
            .contains("+1 quota points"),
        "{:?}",
        res.content
    );
    let line = format!("<@{}> ▰▰▰▰▰▰▰▰▰▰ 2.5/2 ✅", w.organizer.0);
    let shown = sim
        .eventually(WAIT, || {
            sim.messages(quota)
                .into_iter()
                .find(|m| embed_text(m).contains(&line))
        })
        .await;
    assert!(
        shown.is_some(),
        "panel: {:?}",
        sim.messages(quota)
            .iter()
            .map(embed_text)
            .collect::<Vec<_>>()
    );
    // One panel message, edited in place.
    assert_eq!(sim.messages(quota).len(), 1);
}

fn config_select_id(res: &discord_sim::InteractionResult) -> String {
    res.message
        .as_ref()
        .unwrap()
        .all_components()
        .into_iter()
        .find(|c| c["type"] == 3)
        .and_then(|c| c["custom_id"].as_str().map(str::to_owned))
        .unwrap()
}

#[tokio::test]
async fn leaderboard_pages_with_buttons_and_the_panel_splits_for_many_members() {
    let w = World::new(0).await;
    w.configure().await;
    let (quota, _) = quota_channels(&w).await;
    let sim = &w.sim;
    // 60 members with raider points 60, 59, …; 60 organizers hold the quota role.
    let officer_pool = &w.db.pool;
    for i in 0..60i64 {
        let member = 900_000_000_000_000_000i64 + i;
        sqlx::query("INSERT INTO member_role (guild_id, user_id, role_id) VALUES ($1, $2, $3)")
            .bind(w.guild.0 as i64)
            .bind(member)
            .bind(w.organizer_role.0 as i64)
            .execute(officer_pool)
            .await
            .unwrap();
        let mut tx = officer_pool.begin().await.unwrap();
        store::point_events::insert_events(
            &mut tx,
            domain::Snowflake::new(w.guild.0).unwrap(),
            &[store::point_events::NewEvent {
                member_id: domain::Snowflake::new(member as u64).unwrap(),
                currency: domain::quota::Currency::Raider,
                kind: domain::quota::PointKind::Adjustment,
                amount: domain::quota::Points::whole(60 - i),
                units: 1,
                dungeon_code: None,
                source: format!("seed:{i}"),
            }],
            None,
            None,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let res = sim
        .run_command(w.guild, w.raid, w.organizer, "leaderboard", vec![])
        .await;
    let board = res.message.clone().unwrap();
    assert!(res_text(&res).contains("Page 1/3"));
    let res = sim
        .press(w.guild, w.organizer, w.raid, board.id, "Last »")
        .await;
    assert_eq!(res.kind, ResponseKind::UpdateMessage);
    let text = res_text(&res);
    assert!(text.contains("Page 3/3"), "{text}");
    assert!(text.contains("`  51.`"), "{text}");
    let res = sim
        .press(w.guild, w.organizer, w.raid, board.id, "‹ Prev")
        .await;
    assert!(res_text(&res).contains("Page 2/3"));
    assert!(res_text(&res).contains("`  26.`"));

    // The quota panel lists all 61 role members (60 + the organizer).
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "configquota",
            vec![CommandOption::role("role", w.organizer_role)],
        )
        .await;
    assert!(res.ephemeral);
    let panel = sim
        .eventually(WAIT, || {
            let msgs = sim.messages(quota);
            let lines: usize = msgs
                .iter()
                .map(|m| embed_text(m).matches("❌").count() + embed_text(m).matches("✅").count())
                .sum();
            (lines == 61).then_some(msgs)
        })
        .await;
    assert!(
        panel.is_some(),
        "{:?}",
        sim.messages(quota)
            .iter()
            .map(embed_text)
            .collect::<Vec<_>>()
    );
    let _ = field;
}

async fn roles_of(w: &World, user: discord_sim::UserId) -> Vec<i64> {
    sqlx::query_scalar("SELECT role_id FROM member_role WHERE user_id = $1 ORDER BY role_id")
        .bind(user.0 as i64)
        .fetch_all(&w.db.pool)
        .await
        .unwrap()
}

/// Quota panels learn who holds which role from the gateway, without anyone interacting.
#[tokio::test]
async fn member_roles_follow_guild_create_and_member_events() {
    let w = World::new(1).await;
    let raider = w.raiders[0];
    // GUILD_CREATE at start-up carried the member list.
    let deadline = std::time::Instant::now() + WAIT;
    while roles_of(&w, raider).await != vec![w.raider_role.0 as i64] {
        assert!(
            std::time::Instant::now() < deadline,
            "GUILD_CREATE members not recorded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // An admin gives the raider the organizer role (GUILD_MEMBER_UPDATE).
    w.sim
        .set_member_roles(w.guild, raider, &[w.raider_role, w.organizer_role]);
    let mut want = vec![w.raider_role.0 as i64, w.organizer_role.0 as i64];
    want.sort();
    while roles_of(&w, raider).await != want {
        assert!(
            std::time::Instant::now() < deadline,
            "GUILD_MEMBER_UPDATE not recorded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // A newcomer (GUILD_MEMBER_ADD), then the raider leaves (GUILD_MEMBER_REMOVE).
    let newcomer = w.sim.create_user("newcomer");
    w.sim.add_member(w.guild, newcomer, &[w.raider_role]);
    w.sim.remove_member(w.guild, raider);
    while !(roles_of(&w, raider).await.is_empty()
        && roles_of(&w, newcomer).await == vec![w.raider_role.0 as i64])
    {
        assert!(
            std::time::Instant::now() < deadline,
            "member add/remove not recorded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn logkey_without_an_amount_logs_one_key() {
    let w = World::new(1).await;
    w.configure().await;
    let raider = w.raiders[0];
    let res = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "logkey",
            vec![
                CommandOption::user("member", raider),
                CommandOption::string("dungeon", "shatters"),
            ],
        )
        .await;
    assert!(res.is_ok(), "{:?}", res.kind);
    let said = res.content.unwrap_or_default();
    assert!(
        said.contains(&format!("for <@{}> (1 × Shatters)", raider.0)),
        "{said}"
    );
    let (count, logged): (i32, i64) = sqlx::query_as(
        "SELECT count, (SELECT count(*) FROM key_pop) FROM key_pop WHERE user_id = $1",
    )
    .bind(i64::try_from(raider.0).unwrap())
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!((count, logged), (1, 1));
}

#[tokio::test]
async fn quota_log_says_how_many_met_the_quota_when_a_period_ends() {
    let w = World::new(1).await;
    w.configure().await;
    let (quota, quota_log) = quota_channels(&w).await;
    let sim = w.sim.clone();
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "configquota",
            vec![CommandOption::role("role", w.organizer_role)],
        )
        .await;
    let config = res.message.clone().expect("config panel");
    let modal = sim
        .press(w.guild, w.admin, w.raid, config.id, "Required points")
        .await;
    let ok = sim.submit_modal(w.admin, &modal, &[("points", "1")]).await;
    assert!(res_text(&ok).contains("Required points set to **1**"));
    // The organizer logs a run by hand and meets the quota.
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "logrun",
            vec![
                CommandOption::string("dungeon", "ancient_ruins"),
                CommandOption::int("amount", 1),
            ],
        )
        .await;
    assert!(res.is_ok(), "{:?}", res.kind);
    let line = format!("<@{}> ▰▰▰▰▰▰▰▰▰▰ 1/1 ✅", w.organizer.0);
    sim.eventually(WAIT, || {
        sim.messages(quota)
            .into_iter()
            .find(|m| embed_text(m).contains(&line))
    })
    .await
    .expect("the panel shows the quota met");

    // The period ends now: its end is brought to this moment and its timer falls due.
    let role = w.organizer_role.0 as i64;
    let end: chrono::DateTime<chrono::Utc> = sqlx::query_scalar(
        "UPDATE point_period SET ends_at = now()
         WHERE scope_id = $1 AND starts_at <= now() AND ends_at > now() RETURNING ends_at",
    )
    .bind(role)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE job SET due_at = now() WHERE kind = 'quota_rollover' AND state = 'pending'",
    )
    .execute(&w.db.pool)
    .await
    .unwrap();
    let entry = sim
        .eventually(WAIT, || {
            sim.messages(quota_log).into_iter().find(|m| {
                m.embeds.first().and_then(|e| e["title"].as_str()) == Some("Quota period ended")
            })
        })
        .await
        .unwrap_or_else(|| {
            panic!(
                "a period-end entry in quota_log; got {:?}",
                sim.messages(quota_log)
                    .iter()
                    .map(embed_text)
                    .collect::<Vec<_>>()
            )
        });
    assert_eq!(
        entry.embeds[0]["description"].as_str(),
        Some(
            format!(
                "<@&{role}>: **1/1** met the quota in the period that ended <t:{}:f>.",
                end.timestamp()
            )
            .as_str()
        )
    );
    // The new period starts from nothing: the panel shows the organizer at 0 again.
    let line = format!("<@{}> ▱▱▱▱▱▱▱▱▱▱ 0/1 ❌", w.organizer.0);
    sim.eventually(WAIT, || {
        sim.messages(quota)
            .into_iter()
            .find(|m| embed_text(m).contains(&line))
    })
    .await
    .unwrap_or_else(|| {
        panic!(
            "the panel rolls over; got {:?}",
            sim.messages(quota)
                .iter()
                .map(embed_text)
                .collect::<Vec<_>>()
        )
    });
}
