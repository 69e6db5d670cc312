//! Scheduled raids: an organizer announces a raid for later, raiders sign up, the reminder
//! pings them, the run panel opens by itself (with a bot restart in between), signed-up
//! raiders are told by DM and join with one press, and after the run the ones who never
//! joined are no-shows in `/stats`.
//!
//! The clock: the raid is scheduled hours ahead like a real one; the test then moves the
//! row's time and its timer's due time to now (what the passing of time would do) and wakes
//! the dispatcher. The bot re-reads the row when a timer fires, so this is the path a real
//! timer takes.

use discord_sim::{CommandOption, Message, ResponseKind, UserId};

use crate::harness::{WAIT, World, field, footer};

/// The announcement in the raid channel that satisfies `f`.
async fn announcement_where(w: &World, what: &str, f: impl Fn(&Message) -> bool) -> Message {
    let sim = &w.sim;
    let found = sim
        .eventually(WAIT, || {
            sim.messages(w.raid)
                .into_iter()
                .find(|m| footer(m).is_some_and(|t| t.starts_with("Scheduled raid #")) && f(m))
        })
        .await;
    match found {
        Some(m) => m,
        None => panic!(
            "the announcement never showed {what}; raid channel: {:#?}",
            sim.messages(w.raid)
                .iter()
                .map(|m| (&m.content, &m.embeds))
                .collect::<Vec<_>>()
        ),
    }
}

fn text(res: &discord_sim::InteractionResult) -> String {
    res.content.clone().unwrap_or_default()
}

async fn schedule(w: &World, when: &str) -> discord_sim::InteractionResult {
    w.sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "schedule",
            vec![
                CommandOption::string("dungeon", "shatters"),
                CommandOption::string("when", when),
                CommandOption::string("description", "Bring a priest"),
            ],
        )
        .await
}

/// Time passes until `column` of every scheduled raid (`remind_at` or `starts_at`): the
/// row's time and its pending timer are set to now, and the dispatcher is woken.
async fn time_passes_until(w: &World, column: &str) {
    let pool = &w.db.pool;
    let (update, kind) = match column {
        "remind_at" => (
            "UPDATE scheduled_run SET remind_at = now() WHERE status = 'scheduled'",
            "schedule_remind",
        ),
        "starts_at" => (
            "UPDATE scheduled_run SET starts_at = now(), remind_at = LEAST(remind_at, now())
             WHERE status = 'scheduled'",
            "schedule_open",
        ),
        other => panic!("unknown column {other}"),
    };
    sqlx::query(update).execute(pool).await.unwrap();
    let moved = sqlx::query("UPDATE job SET due_at = now() WHERE kind = $1 AND state = 'pending'")
        .bind(kind)
        .execute(pool)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(moved, 1, "one pending {kind} timer");
    sqlx::query("SELECT pg_notify('raidbot_jobs', '')")
        .execute(pool)
        .await
        .unwrap();
}

fn reminders(w: &World) -> Vec<Message> {
    w.sim
        .messages(w.raid)
        .into_iter()
        .filter(|m| m.content.starts_with("**Reminder:**"))
        .collect()
}

fn dms_containing(w: &World, user: UserId, needle: &str) -> usize {
    w.sim
        .dms(user)
        .iter()
        .filter(|m| m.author_id != user && m.content.contains(needle))
        .count()
}

async fn stats_line(w: &World, member: UserId) -> String {
    let res = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "stats",
            vec![CommandOption::user("member", member)],
        )
        .await;
    assert_eq!(res.kind, ResponseKind::Reply, "{:?}", res.content);
    let fields = res.embeds[0]["fields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    fields
        .iter()
        .find(|f| f["name"] == "Scheduled raids")
        .and_then(|f| f["value"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no Scheduled raids line in {fields:#?}"))
}

#[tokio::test]
async fn scheduled_raid_reminds_opens_after_a_restart_dms_joins_and_marks_no_shows() {
    let mut w = World::new(4).await;
    w.configure().await;
    let (r0, r1, r2) = (w.raiders[0], w.raiders[1], w.raiders[2]);
    // r3 signs up but does not accept DMs.
    let r3 = w.raiders[3];
    w.sim.set_dms_closed(r3, true);
    let pool = w.db.pool.clone();

    // The administrator sets the server's time zone once; a wrong name is refused.
    let res = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "schedulesettings",
            vec![CommandOption::string("time_zone", "Mars/Olympus")],
        )
        .await;
    assert!(
        text(&res).contains("not an IANA time zone"),
        "{:?}",
        res.content
    );
    let res = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "schedulesettings",
            vec![
                CommandOption::string("time_zone", "Europe/Berlin"),
                CommandOption::int("reminder_minutes", 30),
            ],
        )
        .await;
    assert!(
        text(&res).contains("**Europe/Berlin**") && text(&res).contains("**30 minutes**"),
        "{:?}",
        res.content
    );

    // Too far ahead and past times are refused; nothing is announced for them.
    let res = schedule(&w, "in 40d").await;
    assert!(res.ephemeral);
    assert!(text(&res).contains("at most 30 days"), "{:?}", res.content);
    let res = schedule(&w, "<t:1700000000:F>").await;
    assert!(text(&res).contains("already passed"), "{:?}", res.content);

    // A raider may not schedule.
    let res = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            r0,
            "schedule",
            vec![
                CommandOption::string("dungeon", "shatters"),
                CommandOption::string("when", "in 2h"),
            ],
        )
        .await;
    assert!(text(&res).contains("Organizer"), "{:?}", res.content);

    // The organizer schedules a Shatters raid in two hours.
    let res = schedule(&w, "in 2h").await;
    assert_eq!(res.kind, ResponseKind::Reply, "{:?}", res.content);
    assert!(text(&res).contains("is set for <t:"), "{:?}", res.content);
    let (schedule_id, starts_at): (i64, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("SELECT schedule_id, starts_at FROM scheduled_run")
            .fetch_one(&pool)
            .await
            .unwrap();
    let ahead = starts_at - chrono::Utc::now();
    assert!(
        ahead > chrono::Duration::minutes(119) && ahead <= chrono::Duration::minutes(120),
        "{ahead:?}"
    );
    let ts = starts_at.timestamp();

    // The announcement shows the time in every reader's own zone, and the buttons.
    let a = announcement_where(&w, "itself", |_| true).await;
    assert_eq!(a.embeds[0]["title"], "Scheduled raid: Shatters");
    let desc = a.embeds[0]["description"].as_str().unwrap_or_default();
    assert!(
        desc.contains(&format!("<t:{ts}:F>")) && desc.contains(&format!("<t:{ts}:R>")),
        "{desc}"
    );
    assert!(desc.contains("Bring a priest"), "{desc}");
    let going = format!("sched:going:{schedule_id}");
    let maybe = format!("sched:maybe:{schedule_id}");
    let key = format!("sched:key:{schedule_id}:shatters_key");

    // Two raiders sign up (one brings a key), one says maybe; a double press is one sign-up.
    for r in [r0, r1, r0, r3] {
        let res = w.sim.press(w.guild, r, w.raid, a.id, &going).await;
        assert!(text(&res).starts_with("You signed up"), "{:?}", res.content);
    }
    let res = w.sim.press(w.guild, r0, w.raid, a.id, &key).await;
    assert!(text(&res).contains("bringing a"), "{:?}", res.content);
    let res = w.sim.press(w.guild, r2, w.raid, a.id, &maybe).await;
    assert!(text(&res).contains("maybe"), "{:?}", res.content);
    let a = announcement_where(&w, "the answers", |m| {
        field(m, "Signed up (3)").is_some() && field(m, "Maybe (1)").is_some()
    })
    .await;
    assert!(
        a.buttons()
            .iter()
            .any(|b| b.label.as_deref() == Some("Sign up (3)")),
        "{:?}",
        a.buttons()
    );
    let (_, signed) = field(&a, "Signed up (3)").unwrap();
    assert!(signed.contains(&format!("<@{}>", r0.0)) && signed.contains(&format!("<@{}>", r1.0)));

    // The reminder pings the signed-up raiders (not the maybe), once.
    time_passes_until(&w, "remind_at").await;
    let sim = &w.sim;
    let reminder = sim
        .eventually(WAIT, || reminders(&w).into_iter().next())
        .await
        .expect("a reminder in the raid channel");
    assert!(reminder.content.contains(&format!("<@{}>", r0.0)));
    assert!(reminder.content.contains(&format!("<@{}>", r1.0)));
    assert!(!reminder.content.contains(&format!("<@{}>", r2.0)));
    assert!(reminder.content.contains(&format!("<t:{ts}:R>")));
    w.settle().await;

    // A restart between the reminder and the opening loses and doubles nothing.
    w.restart_bot().await;
    time_passes_until(&w, "starts_at").await;

    // The run panel opens by itself with the organizer as organizer.
    let panel = w.panel().await;
    let (run_id, organizer): (i64, i64) = sqlx::query_as("SELECT run_id, organizer_id FROM run")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(organizer as u64, w.organizer.0);
    announcement_where(&w, "the opening", |m| {
        field(m, "Status").is_some_and(|f| f.1.contains(&format!("run #{run_id}")))
            && m.buttons().is_empty()
    })
    .await;

    // The signed-up raiders are told by DM; r0 joins with one press.
    let dm = w.dm_containing(r0, "is open").await;
    w.dm_containing(r1, "is open").await;
    let res = w.sim.press(w.guild, r0, dm.channel_id, dm.id, "Join").await;
    assert!(text(&res).starts_with("You joined"), "{:?}", res.content);
    w.panel_where("r0 joined", |m| field(m, "Raiders (1)").is_some())
        .await;

    // Exactly once: one reminder, one run, one DM each, none for the maybe.
    w.settle().await;
    assert_eq!(reminders(&w).len(), 1);
    let runs: i64 = sqlx::query_scalar("SELECT count(*) FROM run")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(runs, 1);
    assert_eq!(dms_containing(&w, r0, "is open"), 1);
    assert_eq!(dms_containing(&w, r1, "is open"), 1);
    assert_eq!(dms_containing(&w, r2, "is open"), 0);
    // Closed DMs are respected: skipped, not retried, not a failure.
    assert_eq!(dms_containing(&w, r3, "is open"), 0);
    let unfinished: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM job WHERE kind = 'schedule_dm' AND state <> 'done'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(unfinished, 0);

    // The organizer starts and ends the run from its organizer panel.
    let res = w
        .sim
        .press(w.guild, w.organizer, w.raid, panel.id, "Organizer panel")
        .await;
    let org = res.message.clone().expect("the organizer panel");
    let res = w
        .sim
        .press(w.guild, w.organizer, w.raid, org.id, "Start")
        .await;
    assert_eq!(res.kind, ResponseKind::UpdateMessage, "{:?}", res.content);
    let res = w
        .sim
        .press(w.guild, w.organizer, w.raid, org.id, "End run")
        .await;
    assert!(text(&res).starts_with("Run ended"), "{:?}", res.content);

    // The announcement names who signed up and never came.
    let a = announcement_where(&w, "the no-shows", |m| field(m, "No-shows (2)").is_some()).await;
    let (_, missing) = field(&a, "No-shows (2)").unwrap();
    assert_eq!(missing, format!("<@{}>, <@{}>", r1.0, r3.0));

    // r1 signed up and never joined: a no-show. r2 only said maybe: nothing.
    assert_eq!(
        stats_line(&w, r0).await,
        "1 signed up, 1 attended, 0 no-shows"
    );
    assert_eq!(
        stats_line(&w, r1).await,
        "1 signed up, 0 attended, 1 no-show"
    );
    assert_eq!(
        stats_line(&w, r2).await,
        "0 signed up, 0 attended, 0 no-shows"
    );
    assert_eq!(
        stats_line(&w, r3).await,
        "1 signed up, 0 attended, 1 no-show"
    );
}

#[tokio::test]
async fn organizer_moves_cancels_and_starts_early_and_raiders_are_told() {
    let w = World::new(2).await;
    w.configure().await;
    let (r0, r1) = (w.raiders[0], w.raiders[1]);
    let pool = w.db.pool.clone();

    let res = schedule(&w, "sat 20:00").await;
    assert!(text(&res).contains("is set for"), "{:?}", res.content);
    let a = announcement_where(&w, "itself", |_| true).await;
    let res = w.sim.press(w.guild, r0, w.raid, a.id, "Sign up (0)").await;
    assert!(text(&res).starts_with("You signed up"), "{:?}", res.content);

    // Only the organizer (or staff above) manages it.
    let res = w
        .sim
        .press(w.guild, r1, w.raid, a.id, "Cancel raid (organizer)")
        .await;
    assert!(
        text(&res).contains("Only this raid's organizer"),
        "{:?}",
        res.content
    );

    // The organizer moves it; the announcement shows the new time.
    let id: i64 = sqlx::query_scalar("SELECT schedule_id FROM scheduled_run")
        .fetch_one(&pool)
        .await
        .unwrap();
    let res = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "reschedule",
            vec![
                CommandOption::int("id", id),
                CommandOption::string("when", "in 3h"),
            ],
        )
        .await;
    assert!(text(&res).contains("now starts"), "{:?}", res.content);
    let starts_at: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT starts_at FROM scheduled_run")
            .fetch_one(&pool)
            .await
            .unwrap();
    let moved = format!("<t:{}:F>", starts_at.timestamp());
    announcement_where(&w, "the new time", |m| {
        m.embeds[0]["description"]
            .as_str()
            .is_some_and(|d| d.contains(&moved))
    })
    .await;

    // Called off: the signed-up raider is told, the buttons go.
    let res = w
        .sim
        .press(
            w.guild,
            w.organizer,
            w.raid,
            a.id,
            "Cancel raid (organizer)",
        )
        .await;
    assert!(text(&res).contains("called off"), "{:?}", res.content);
    w.dm_containing(r0, "was called off").await;
    announcement_where(&w, "the cancellation", |m| {
        field(m, "Status").is_some_and(|f| f.1.starts_with("Called off")) && m.buttons().is_empty()
    })
    .await;

    // A second raid, started early by the organizer: it opens at once.
    schedule(&w, "in 5h").await;
    let b = announcement_where(&w, "the second raid", |m| {
        footer(m) != footer(&a) && !m.buttons().is_empty()
    })
    .await;
    w.sim.press(w.guild, r1, w.raid, b.id, "Sign up (0)").await;
    let res = w
        .sim
        .press(w.guild, w.organizer, w.raid, b.id, "Start now (organizer)")
        .await;
    assert!(text(&res).contains("is open as run #"), "{:?}", res.content);
    w.panel().await;
    w.dm_containing(r1, "is open").await;
    // The opening timer that later fires finds it opened and does nothing more.
    w.settle().await;
    let runs: i64 = sqlx::query_scalar("SELECT count(*) FROM run")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(runs, 1);
    assert_eq!(dms_containing(&w, r0, "was called off"), 1);
}
