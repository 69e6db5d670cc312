//! Leaderboard and member stats through the REST API.
#![allow(clippy::unwrap_used)]

mod common;

use common::{GUILD, spawn_app};
use domain::Snowflake;
use domain::quota::{Currency, PointKind, Points};
use reqwest::StatusCode;
use store::point_events::{NewEvent, insert_events};

async fn seed(app: &common::TestApp, values: &[(u64, i64)]) {
    let guild = Snowflake::parse(GUILD).unwrap();
    for (i, (member, hundredths)) in values.iter().enumerate() {
        let mut tx = app.pool.begin().await.unwrap();
        insert_events(
            &mut tx,
            guild,
            &[NewEvent {
                member_id: Snowflake::new(*member).unwrap(),
                currency: Currency::Raider,
                kind: PointKind::RunCompleted,
                amount: Points(*hundredths),
                units: 1,
                dungeon_code: Some("shatters".into()),
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
}

#[tokio::test]
async fn leaderboard_pages_with_a_cursor_and_ties_share_a_rank() {
    let app = spawn_app().await;
    seed(
        &app,
        &[
            (700000000000000001, 500),
            (700000000000000002, 250),
            (700000000000000003, 250),
            (700000000000000004, 125),
        ],
    )
    .await;
    let path = format!("/v1/guilds/{GUILD}/leaderboard?currency=raider&period=all&limit=3");
    let a = app.get(&path).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["total"], 4);
    let ranks: Vec<i64> = a.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rank"].as_i64().unwrap())
        .collect();
    assert_eq!(ranks, vec![1, 2, 2]);
    assert_eq!(a.body["entries"][0]["value"], "5");
    assert_eq!(a.body["entries"][1]["value"], "2.5");
    assert_eq!(a.body["next_cursor"], "3");
    let b = app.get(&format!("{path}&cursor=3")).await;
    assert_eq!(b.body["entries"][0]["rank"], 4);
    assert_eq!(b.body["entries"][0]["value"], "1.25");
    assert!(b.body["next_cursor"].is_null());
    // Current period: the same events; quota: nobody.
    let c = app.get(&format!("/v1/guilds/{GUILD}/leaderboard")).await;
    assert_eq!(c.body["total"], 4);
    assert!(c.body["period_end"].is_string());
    let q = app
        .get(&format!("/v1/guilds/{GUILD}/leaderboard?currency=quota"))
        .await;
    assert_eq!(q.body["total"], 0);
    for (query, code) in [
        ("currency=gold", "invalid_currency"),
        ("period=yesterday", "invalid_period"),
        ("limit=0", "invalid_limit"),
        ("cursor=x", "invalid_cursor"),
        ("category=verifications", "invalid_category"),
        // `category` overrides `currency`, but a bad `currency` is still refused.
        ("category=runs_organized&currency=gold", "invalid_currency"),
    ] {
        let bad = app
            .get(&format!("/v1/guilds/{GUILD}/leaderboard?{query}"))
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(bad.code(), code);
    }
}

#[tokio::test]
async fn member_stats_show_points_counts_and_dungeons() {
    let app = spawn_app().await;
    seed(
        &app,
        &[(700000000000000001, 150), (700000000000000001, 150)],
    )
    .await;
    let a = app
        .get(&format!(
            "/v1/guilds/{GUILD}/members/700000000000000001/stats"
        ))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["raider_points"], "3");
    assert_eq!(a.body["raider_rank"], 1);
    assert_eq!(a.body["runs_completed"], 2);
    assert_eq!(a.body["dungeons"][0]["dungeon"], "shatters");
    let nobody = app
        .get(&format!(
            "/v1/guilds/{GUILD}/members/700000000000000009/stats"
        ))
        .await;
    assert_eq!(nobody.body["raider_points"], "0");
    assert!(nobody.body["raider_rank"].is_null());
    let bad = app
        .get(&format!("/v1/guilds/{GUILD}/members/abc/stats"))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}
