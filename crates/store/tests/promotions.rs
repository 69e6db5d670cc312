//! Promotion grants against a real PostgreSQL: totals read folded sums plus pending
//! deltas, dungeon rules count one dungeon, and each (rule, member) is granted once even
//! when two checks run at the same time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use domain::Snowflake;
use domain::quota::{Currency, PointKind, Points, PromotionKind};
use store::guild_config;
use store::point_events::{self, NewEvent};
use store::promotions::{self, NewRule};
use store::testing::TestDb;

fn sf(v: u64) -> Snowflake {
    Snowflake::new(v).unwrap()
}

fn completion(member: u64, dungeon: &str, source: &str) -> NewEvent {
    NewEvent {
        member_id: sf(member),
        currency: Currency::Raider,
        kind: PointKind::RunCompleted,
        amount: Points::ONE,
        units: 1,
        dungeon_code: Some(dungeon.into()),
        source: source.into(),
    }
}

#[tokio::test]
async fn grants_count_folded_and_pending_totals_once_per_member_and_rule() {
    let t = TestDb::new().await;
    let g = sf(1);
    let mut conn = t.pool.acquire().await.unwrap();
    guild_config::ensure_guild(&mut conn, g).await.unwrap();
    let shatters = promotions::add_rule(
        &mut conn,
        g,
        &NewRule {
            kind: PromotionKind::Completions,
            dungeon_code: Some("shatters".into()),
            threshold: 2,
            role_id: sf(500),
            remove_role_id: None,
        },
    )
    .await
    .unwrap();
    let any = promotions::add_rule(
        &mut conn,
        g,
        &NewRule {
            kind: PromotionKind::Completions,
            dungeon_code: None,
            threshold: 3,
            role_id: sf(501),
            remove_role_id: Some(sf(500)),
        },
    )
    .await
    .unwrap();
    // Member 10: one Shatters completion folded, one pending, one O3 pending.
    point_events::insert_events(
        &mut conn,
        g,
        &[completion(10, "shatters", "run:1")],
        None,
        None,
        Utc::now(),
    )
    .await
    .unwrap();
    point_events::fold_deltas(&mut conn, g).await.unwrap();
    assert!(
        promotions::grant_qualified(&mut conn, g, None, None)
            .await
            .unwrap()
            .is_empty()
    );
    point_events::insert_events(
        &mut conn,
        g,
        &[
            completion(10, "shatters", "run:2"),
            completion(11, "shatters", "run:2"),
        ],
        None,
        None,
        Utc::now(),
    )
    .await
    .unwrap();
    let granted = promotions::grant_qualified(&mut conn, g, None, Some(&[sf(10), sf(11)]))
        .await
        .unwrap();
    assert_eq!(granted.len(), 1, "{granted:?}");
    assert_eq!(
        (granted[0].rule_id, granted[0].member_id),
        (shatters, sf(10))
    );
    point_events::insert_events(
        &mut conn,
        g,
        &[completion(10, "o3", "run:3")],
        None,
        None,
        Utc::now(),
    )
    .await
    .unwrap();
    drop(conn);

    // Two checks at once (two awards' jobs): the "any dungeon" rule is granted once.
    let check = || async {
        let mut tx = t.pool.begin().await.unwrap();
        let g1 = promotions::grant_qualified(&mut tx, g, None, Some(&[sf(10)]))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        g1
    };
    let (a, b) = tokio::join!(check(), check());
    let all: Vec<_> = a.iter().chain(b.iter()).collect();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!((all[0].rule_id, all[0].member_id), (any, sf(10)));
    let mut conn = t.pool.acquire().await.unwrap();
    assert!(
        promotions::grant_qualified(&mut conn, g, None, None)
            .await
            .unwrap()
            .is_empty()
    );
}
