//! Run statistics through the REST API: the figures /raidstats charts.
#![allow(clippy::unwrap_used)]

mod common;

use common::{GUILD, spawn_app};
use reqwest::StatusCode;

/// One run created at `created` (RFC 3339), `minutes` long if ended, with `joined`
/// raiders at the end.
async fn seed(
    app: &common::TestApp,
    dungeon: &str,
    created: &str,
    status: &str,
    reason: &str,
    minutes: i64,
    joined: i64,
) {
    let guild: i64 = GUILD.parse().unwrap();
    sqlx::query("INSERT INTO guild (guild_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(guild)
        .execute(&app.pool)
        .await
        .unwrap();
    let ended = status == "ended";
    let run_id: i64 = sqlx::query_scalar(
        "INSERT INTO run (guild_id, organizer_id, dungeon_code, status, auto_end_at, created_at,
                          started_at, ended_at, cancelled_at, close_reason)
         VALUES ($1, 42, $2, $3, $4::timestamptz + interval '2 hours', $4::timestamptz,
                 CASE WHEN $5 THEN $4::timestamptz END,
                 CASE WHEN $5 THEN $4::timestamptz + $6 * interval '1 minute' END,
                 CASE WHEN NOT $5 THEN $4::timestamptz END, $7)
         RETURNING run_id",
    )
    .bind(guild)
    .bind(dungeon)
    .bind(status)
    .bind(created)
    .bind(ended)
    .bind(minutes as f64)
    .bind(reason)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO run_participant (guild_id, run_id, user_id, state)
         SELECT $1, $2, 1000 + g, 'joined' FROM generate_series(1, $3) g",
    )
    .bind(guild)
    .bind(run_id)
    .bind(joined)
    .execute(&app.pool)
    .await
    .unwrap();
    // What ending the run keeps on it.
    sqlx::query(
        "UPDATE run SET attendance = $3 WHERE guild_id = $1 AND run_id = $2 AND status = 'ended'",
    )
    .bind(guild)
    .bind(run_id)
    .bind(joined as i32)
    .execute(&app.pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn run_analytics_count_weeks_dungeons_outcomes_length_and_attendance() {
    let app = spawn_app().await;
    // Week of Mar 2: two Shatters completed (20 and 40 min, 10 and 6 raiders), one
    // auto-ended Nest (60 min, 2 raiders). Week of Mar 9: one cancelled Shatters.
    // Mar 16 is outside the span.
    seed(
        &app,
        "shatters",
        "2026-03-02T10:00:00Z",
        "ended",
        "organizer",
        20,
        10,
    )
    .await;
    seed(
        &app,
        "shatters",
        "2026-03-04T10:00:00Z",
        "ended",
        "staff",
        40,
        6,
    )
    .await;
    seed(&app, "nest", "2026-03-08T23:00:00Z", "ended", "auto", 60, 2).await;
    seed(
        &app,
        "shatters",
        "2026-03-09T00:00:00Z",
        "cancelled",
        "organizer",
        0,
        3,
    )
    .await;
    seed(
        &app,
        "shatters",
        "2026-03-16T00:00:00Z",
        "ended",
        "organizer",
        10,
        1,
    )
    .await;

    let path = format!("/v1/guilds/{GUILD}/analytics/runs?from=2026-03-02&to=2026-03-16");
    let a = app.get(&path).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let b = &a.body;
    assert_eq!(b["total"], 4);
    assert_eq!(b["completed"], 2);
    assert_eq!(b["auto_ended"], 1);
    assert_eq!(b["cancelled"], 1);
    assert_eq!(b["active"], 0);
    assert_eq!(b["completion_rate"], 50.0);
    assert_eq!(b["auto_end_rate"], 25.0);
    assert_eq!(b["cancel_rate"], 25.0);
    assert_eq!(b["average_length_minutes"], 40.0);
    assert_eq!(b["average_attendance"], 6.0);
    let weeks: Vec<(String, i64)> = b["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["week_start"].as_str().unwrap().to_owned(),
                w["runs"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        weeks,
        vec![
            ("2026-03-02T00:00:00Z".to_owned(), 3),
            ("2026-03-09T00:00:00Z".to_owned(), 1)
        ]
    );
    assert_eq!(b["dungeons"][0]["dungeon"], "shatters");
    assert_eq!(b["dungeons"][0]["per_week"], serde_json::json!([2, 1]));
    assert_eq!(b["dungeons"][1]["dungeon"], "nest");
    assert_eq!(b["dungeons"][1]["total"], 1);

    let one = app.get(&format!("{path}&dungeon=nest")).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    assert_eq!(one.body["total"], 1);
    assert_eq!(one.body["auto_end_rate"], 100.0);

    for (query, code) in [
        ("from=yesterday", "invalid_time"),
        ("from=2026-03-16&to=2026-03-02", "invalid_span"),
        ("from=2020-01-01&to=2026-01-01", "span_too_long"),
        ("dungeon=atlantis", "unknown_dungeon"),
    ] {
        let e = app
            .get(&format!("/v1/guilds/{GUILD}/analytics/runs?{query}"))
            .await;
        assert_eq!(
            e.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            e.text
        );
        assert_eq!(e.code(), code, "{query}");
    }
}
