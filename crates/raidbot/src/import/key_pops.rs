//! Keys popped (`key_pop`). The original keeps a running total per member, dungeon and key
//! type (what `/logkey` adds to), not one row per pop, and its stats and leaderboards count
//! keys as `SUM(count)`. raidbot counts a member's keys from key events (`units` of
//! `key_logged` and `key_popped` events). The `/logkey` rows that earned points are
//! imported already as `quota_event` key events with their counts; a key logged at 0
//! points left no event there. So per (member, dungeon) the import adds one `key_logged`
//! event at 0 points (`console:kp:…`) for the difference between the source's total and
//! what raidbot counts from the imported events: afterwards each member's key count per
//! dungeon equals the original's. A later run adds only a new difference.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::Snowflake;
use domain::quota::{Currency, PointKind, Points};
use store::PgConnection;
use store::import::ImportedEvent;

use super::points::SOURCE_PREFIX as QUOTA_EVENT_PREFIX;
use super::source::Source;
use super::{GuildReport, dungeon_code};

/// Every imported event's source starts with this (quota events and key totals).
const CONSOLE_PREFIX: &str = "console:";

#[derive(Default)]
struct Group {
    /// The source's total.
    count: i64,
    last_at: Option<DateTime<Utc>>,
    rows: u64,
}

pub(super) async fn import(
    tx: &mut PgConnection,
    guild: Snowflake,
    source: &Source,
    report: &mut GuildReport,
) -> anyhow::Result<()> {
    debug_assert!(QUOTA_EVENT_PREFIX.starts_with(CONSOLE_PREFIX));
    let t = report.table("key_pop");
    let mut groups: BTreeMap<(i64, Option<String>), Group> = BTreeMap::new();
    let mut source_total = 0i64;
    for row in source.key_pops.iter().filter(|k| k.guild_id == guild.db()) {
        t.source += 1;
        source_total += i64::from(row.count);
        let id = format!("{}:{}:{}", row.user_id, row.dungeon_key, row.key_type);
        if Snowflake::from_db(row.user_id).is_err() {
            t.refuse(id, format!("`{}` is not a Discord user id", row.user_id));
            continue;
        }
        // A dungeon raidbot does not know keeps its keys, without a dungeon (as its
        // quota events do).
        let g = groups
            .entry((row.user_id, dungeon_code(&row.dungeon_key)))
            .or_default();
        g.count += i64::from(row.count);
        g.last_at = g.last_at.max(row.last_popped_at);
        g.rows += 1;
    }
    let mut have: BTreeMap<(i64, Option<String>), i64> =
        store::import::imported_key_counts(tx, guild, CONSOLE_PREFIX)
            .await?
            .into_iter()
            .map(|(m, d, n)| ((m, d), n))
            .collect();
    let now = Utc::now();
    let stamp = now.timestamp_millis();
    let mut events = Vec::new();
    let mut correction = |member: i64, dungeon: Option<String>, diff: i64, at| {
        let (Ok(member_id), Ok(units)) = (Snowflake::from_db(member), i32::try_from(diff)) else {
            return false;
        };
        events.push(ImportedEvent {
            member_id,
            currency: Currency::Raider,
            kind: PointKind::KeyLogged,
            amount: Points(0),
            units,
            source: format!(
                "{CONSOLE_PREFIX}kp:{}:{stamp}",
                dungeon.as_deref().unwrap_or("-")
            ),
            dungeon_code: dungeon,
            at,
        });
        true
    };
    for ((member, dungeon), g) in groups {
        let had = have.remove(&(member, dungeon.clone())).unwrap_or(0);
        let t = report.table("key_pop");
        if g.count != had && correction(member, dungeon, g.count - had, g.last_at.unwrap_or(now)) {
            t.imported += g.rows;
        } else {
            // raidbot counts these keys already (imported before, or as the key events
            // of the quota events).
            t.already += g.rows;
        }
    }
    // Keys raidbot counts from imported quota events whose totals the source no longer
    // has (its member rows were deleted): the original counts 0 for them.
    for ((member, dungeon), had) in have {
        if had != 0 {
            correction(member, dungeon, -had, now);
        }
    }
    store::import::insert_events(tx, guild, &mut events).await?;
    store::point_events::fold_deltas(tx, guild).await?;
    let imported_keys = store::import::imported_key_counts(tx, guild, CONSOLE_PREFIX)
        .await?
        .iter()
        .map(|(_, _, n)| n)
        .sum();
    report.points.source_keys = source_total;
    report.points.imported_keys = imported_keys;
    Ok(())
}
