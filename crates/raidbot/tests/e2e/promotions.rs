//! Raid statistics: `/raidstats` attaches a chart with its figures as text, checked
//! against seeded runs; `/stats` gains a chart of the member's runs per week.

use std::time::Duration;

use discord_sim::{CommandOption, Message, UserId};

use crate::harness::World;

const SLOW: Duration = Duration::from_secs(20);

/// Seeds one ended or cancelled run created an hour ago, `minutes` long, with `joined`
/// raiders joined at the end and `left` who left.
async fn seed_run(
    w: &World,
    dungeon: &str,
    status: &str,
    reason: &str,
    minutes: i64,
    joined: &[UserId],
    left: &[UserId],
) {
    let pool = &w.db.pool;
    let guild = w.guild.0 as i64;
    sqlx::query("INSERT INTO guild (guild_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(guild)
        .execute(pool)
        .await
        .unwrap();
    let ended = status == "ended";
    let run_id: i64 = sqlx::query_scalar(
        "INSERT INTO run (guild_id, organizer_id, dungeon_code, status, auto_end_at, created_at,
                          started_at, ended_at, cancelled_at, close_reason)
         VALUES ($1, $2, $3, $4, now() + interval '1 hour', now() - interval '1 hour',
                 CASE WHEN $5 THEN now() - interval '1 hour' END,
                 CASE WHEN $5 THEN now() - interval '1 hour' + $6 * interval '1 minute' END,
                 CASE WHEN NOT $5 THEN now() END, $7)
         RETURNING run_id",
    )
    .bind(guild)
    .bind(w.organizer.0 as i64)
    .bind(dungeon)
    .bind(status)
    .bind(ended)
    .bind(minutes as f64)
    .bind(reason)
    .fetch_one(pool)
    .await
    .unwrap();
    for (users, state) in [(joined, "joined"), (left, "left")] {
        for u in users {
            sqlx::query(
                "INSERT INTO run_participant (guild_id, run_id, user_id, state)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(guild)
            .bind(run_id)
            .bind(u.0 as i64)
            .bind(state)
            .execute(pool)
            .await
            .unwrap();
        }
    }
    // What ending the run keeps on it.
    sqlx::query(
        "UPDATE run SET attendance = (SELECT count(*) FROM run_participant p
             WHERE p.guild_id = run.guild_id AND p.run_id = run.run_id AND p.state = 'joined')
         WHERE guild_id = $1 AND run_id = $2 AND status = 'ended'",
    )
    .bind(guild)
    .bind(run_id)
    .execute(pool)
    .await
    .unwrap();
}

/// The final answer (deferred or not) of a command.
async fn final_answer(res: &discord_sim::InteractionResult) -> Message {
    assert!(res.is_ok(), "{:?}", res.kind);
    res.wait_for_original_edit(SLOW).await.expect("an answer")
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

#[tokio::test]
async fn raidstats_attaches_a_chart_and_its_text_matches_the_seeded_runs() {
    let w = World::new(4).await;
    w.configure().await;
    let r = &w.raiders;
    // Shatters: two completed (30 and 50 min, 3 and 1 raiders at the end), one
    // auto-ended (40 min, 2 raiders), one cancelled; Nest: one completed (60 min, 2).
    seed_run(&w, "shatters", "ended", "organizer", 30, &r[..3], &r[3..]).await;
    seed_run(&w, "shatters", "ended", "staff", 50, &r[..1], &[]).await;
    seed_run(&w, "shatters", "ended", "auto", 40, &r[..2], &[]).await;
    seed_run(&w, "shatters", "cancelled", "organizer", 0, &r[..2], &[]).await;
    seed_run(&w, "nest", "ended", "organizer", 60, &r[1..3], &[]).await;

    // A raider may not see them.
    let res = w
        .sim
        .run_command(w.guild, w.raid, r[0], "raidstats", vec![])
        .await;
    let refused = final_answer(&res).await;
    assert!(refused.content.contains("Organizer"), "{}", refused.content);
    assert!(refused.attachments.is_empty());

    let res = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "raidstats",
            vec![CommandOption::string("period", "4w")],
        )
        .await;
    let answer = final_answer(&res).await;
    let text = &answer.content;
    assert!(
        text.starts_with("**Raid statistics** — All dungeons,"),
        "{text}"
    );
    assert!(text.contains("(4 weeks)"), "{text}");
    // 5 runs; of the 5 finished: 3 completed (60 %), 1 auto-ended, 1 cancelled (20 %).
    assert!(
        text.contains(
            "Runs: 5 · Completed 3 (60.0 %) · Auto-ended 1 (20.0 %) · Cancelled 1 (20.0 %)"
        ),
        "{text}"
    );
    // Ended runs: (30 + 50 + 40 + 60) / 4 = 45 min; raiders at the end (3 + 1 + 2 + 2) / 4.
    assert!(
        text.contains("Average length: 45 min · Average attendance: 2.0 raiders"),
        "{text}"
    );
    assert!(text.contains("By dungeon: Shatters 4, Nest 1"), "{text}");
    assert_eq!(answer.attachments.len(), 1);
    let att = &answer.attachments[0];
    assert_eq!(att.filename, "raidstats.png");
    let (_, bytes) = w.sim.uploaded(att.id).expect("the uploaded chart");
    assert_eq!(png_size(&bytes), (1000, 600));
    assert!(bytes.len() < 10 * 1024 * 1024, "{} bytes", bytes.len());

    // One dungeon: only its runs.
    let res = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "raidstats",
            vec![CommandOption::string("dungeon", "nest")],
        )
        .await;
    let answer = final_answer(&res).await;
    assert!(
        answer.content.contains(
            "Runs: 1 · Completed 1 (100.0 %) · Auto-ended 0 (0.0 %) · Cancelled 0 (0.0 %)"
        ),
        "{}",
        answer.content
    );
    assert!(
        answer.content.contains("Average length: 1 h 00 min"),
        "{}",
        answer.content
    );
    assert_eq!(answer.attachments.len(), 1);
}

#[tokio::test]
async fn stats_shows_a_chart_of_the_members_runs_per_week() {
    let w = World::new(2).await;
    w.configure().await;
    let r = &w.raiders;
    seed_run(&w, "shatters", "ended", "organizer", 30, &r[..1], &[]).await;
    seed_run(&w, "shatters", "ended", "auto", 30, &r[..2], &[]).await;
    // Left before the end, and a cancelled run: neither counts.
    seed_run(&w, "nest", "ended", "organizer", 30, &r[1..], &r[..1]).await;
    seed_run(&w, "nest", "cancelled", "organizer", 0, &r[..1], &[]).await;

    let res = w
        .sim
        .run_command(w.guild, w.raid, r[0], "stats", vec![])
        .await;
    let answer = final_answer(&res).await;
    let embed = &answer.embeds[0];
    assert_eq!(
        embed["image"]["url"].as_str(),
        Some("attachment://runs-per-week.png")
    );
    let field = embed["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Runs per week (last 12 weeks)")
        .expect("the runs-per-week field");
    // The two runs count in the week they were made (an hour ago: last week in the
    // first hour of a Monday, UTC), the other weeks are empty.
    let weeks_ago: i32 = sqlx::query_scalar(
        "SELECT (extract(epoch FROM date_trunc('week', now() AT TIME ZONE 'UTC')
                 - date_trunc('week', min(created_at) AT TIME ZONE 'UTC')) / 604800)::int
           FROM run WHERE guild_id = $1",
    )
    .bind(w.guild.0 as i64)
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    let value = field["value"].as_str().unwrap();
    let (weeks, total) = value.split_once(" — ").expect("weeks and a total");
    assert_eq!(total, "2 in all", "{value}");
    let mut expected = vec!["0"; 12];
    expected[11 - weeks_ago as usize] = "2";
    assert_eq!(weeks.split(" · ").collect::<Vec<_>>(), expected, "{value}");
    assert_eq!(answer.attachments.len(), 1);
    let att = &answer.attachments[0];
    assert_eq!(att.filename, "runs-per-week.png");
    let (_, bytes) = w.sim.uploaded(att.id).expect("the uploaded chart");
    assert_eq!(png_size(&bytes), (600, 220));
}

#[tokio::test]
async fn a_run_ended_through_discord_counts_the_raiders_present_at_the_end() {
    let w = World::new(4).await;
    w.configure().await;
    let posted = w.open_run("shatters").await;
    w.join(&posted.panel, &w.raiders[..3]).await;
    let start = w.press(w.organizer, &posted.organizer, "Start").await;
    assert!(start.is_ok(), "{:?}", start.kind);
    let end = w.press(w.organizer, &posted.organizer, "End run").await;
    assert_eq!(end.content.as_deref(), Some("Run ended with 3 raiders."));
    w.settle().await;
    let res = w
        .sim
        .run_command(w.guild, w.raid, w.organizer, "raidstats", vec![])
        .await;
    let answer = final_answer(&res).await;
    assert!(
        answer.content.contains(
            "Runs: 1 · Completed 1 (100.0 %) · Auto-ended 0 (0.0 %) · Cancelled 0 (0.0 %)"
        ),
        "{}",
        answer.content
    );
    assert!(
        answer.content.contains("Average attendance: 3.0 raiders"),
        "{}",
        answer.content
    );
}
