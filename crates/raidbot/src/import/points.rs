//! Quota events (`quota_event`): each row's raider points (`points`) and quota points
//! (`quota_points`) become raidbot point events at the row's own time, so they count in
//! the period that contained it. Amounts are integer hundredths read exactly from the
//! original's `DECIMAL(10,2)`: a member's totals after the import equal the original's
//! `SUM(points)` and `SUM(quota_points)` to the hundredth.

use domain::Snowflake;
use domain::quota::{Currency, ModAction, PointKind, Points};
use store::PgConnection;
use store::import::{CONSOLE, ImportedEvent};

use super::progress::Progress;
use super::source::{QuotaEventRow, Source, SourceDb};
use super::{GuildReport, dungeon_code};

/// The prefix of every imported event's source (`console:qe:<id>:<r|q>`).
pub const SOURCE_PREFIX: &str = "console:qe:";

pub(super) async fn import(
    tx: &mut PgConnection,
    guild: Snowflake,
    src: &mut SourceDb,
    source: &Source,
    report: &mut GuildReport,
    progress: &Progress,
) -> anyhow::Result<()> {
    let total = src.quota_event_count(guild.db()).await?;
    let mut bar = progress.bar(guild.db(), "quota_event", total);
    report.table("quota_event");
    src.open_quota_events(guild.db()).await?;
    loop {
        let rows = src.next_quota_events().await?;
        if rows.is_empty() {
            break;
        }
        batch(tx, guild, &rows, report).await?;
        bar.advance(rows.len() as u64);
    }
    // Fold now, so leaderboards read the imported sums straight away.
    store::point_events::fold_deltas(tx, guild).await?;
    let (imported_raider, imported_quota) =
        store::import::imported_point_totals(tx, guild, SOURCE_PREFIX).await?;
    let (source_raider, source_quota) = source
        .point_totals
        .iter()
        .find(|(g, _, _)| *g == guild.db())
        .map_or((0, 0), |(_, r, q)| (*r, *q));
    report.points = super::PointCheck {
        source_raider,
        source_quota,
        imported_raider,
        imported_quota,
        ..report.points
    };
    Ok(())
}

/// One batch of quota events read from the cursor: which were imported before is asked
/// for this batch only, so nothing grows with the table's size.
async fn batch(
    tx: &mut PgConnection,
    guild: Snowflake,
    rows: &[QuotaEventRow],
    report: &mut GuildReport,
) -> anyhow::Result<()> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
    let done = store::import::imported_among(tx, guild, CONSOLE, "quota_event", &ids).await?;
    let mut events = Vec::with_capacity(rows.len() * 2);
    let mut new = Vec::with_capacity(rows.len());
    let t = report.table("quota_event");
    for (row, id) in rows.iter().zip(ids) {
        t.source += 1;
        if done.contains(&id) {
            t.already += 1;
            continue;
        }
        let Ok(member) = Snowflake::from_db(row.actor_user_id) else {
            t.refuse(
                &id,
                format!("`{}` is not a Discord user id", row.actor_user_id),
            );
            continue;
        };
        events.extend(events_of(row, member));
        new.push((id, None));
        t.imported += 1;
    }
    store::import::insert_events(tx, guild, &mut events).await?;
    store::import::record(tx, guild, CONSOLE, "quota_event", &new).await?;
    Ok(())
}

/// The field of a `manual_log_run:<time>:<user>:<count>` or `key_pop:<time>:<user>:<count>`
/// subject holding how many runs or keys the row stands for.
fn logged_count(subject: &str) -> Option<i32> {
    subject.split(':').nth(3)?.parse().ok()
}

fn sign(v: i64) -> i32 {
    match v {
        v if v < 0 => -1,
        _ => 1,
    }
}

/// The raidbot events of one source row: a raider-points event when `points` is not zero,
/// a quota-points event when `quota_points` is not zero or the row is a verification (a
/// verification counts even at 0 points, as the original counts rows).
pub fn events_of(row: &QuotaEventRow, member: Snowflake) -> Vec<ImportedEvent> {
    let subject = row.subject_id.as_deref().unwrap_or_default();
    let dungeon = row.dungeon_key.as_deref().and_then(dungeon_code);
    let mut out = Vec::new();
    if row.points != 0 {
        let (kind, units) = if subject.starts_with("raider:") {
            (PointKind::RunCompleted, sign(row.points))
        } else if subject.starts_with("key_pop:") {
            (PointKind::KeyLogged, logged_count(subject).unwrap_or(1))
        } else {
            (PointKind::Adjustment, 1)
        };
        out.push(ImportedEvent {
            member_id: member,
            currency: Currency::Raider,
            kind,
            amount: Points(row.points),
            units,
            dungeon_code: dungeon.clone(),
            source: format!("{SOURCE_PREFIX}{}:r", row.id),
            at: row.created_at,
        });
    }
    let verification = row.action_type == "verify_member";
    if row.quota_points != 0 || verification {
        let (kind, units) = if verification {
            (PointKind::Moderation(ModAction::Verify), 1)
        } else if subject.starts_with("manual_log_run:") {
            (
                PointKind::RunLogged,
                logged_count(subject).unwrap_or(1) * sign(row.quota_points),
            )
        } else if subject.starts_with("run:") {
            (PointKind::RunOrganized, sign(row.quota_points))
        } else {
            (PointKind::Adjustment, 1)
        };
        out.push(ImportedEvent {
            member_id: member,
            currency: Currency::Quota,
            kind,
            amount: Points(row.quota_points),
            units,
            dungeon_code: dungeon,
            source: format!("{SOURCE_PREFIX}{}:q", row.id),
            at: row.created_at,
        });
    }
    out
}
