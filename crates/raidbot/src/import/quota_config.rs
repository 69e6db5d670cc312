//! Quota roles (`quota_role_config`, `quota_dungeon_override`) and raider-points values
//! (`raider_points_config`, `key_pop_points_config`).
//!
//! The original's quota period is one stretch from `period_start_at` to `reset_at`, set by
//! hand; raidbot's periods repeat. An imported role repeats every N whole days (the
//! original stretch, rounded up) counted from `reset_at`, and its current period starts
//! where the original's did, so the running period's figures are the same on both sides.
//! The original gives 0 raider points to dungeons without a value; raidbot's default is
//! 1, so a guild without raidbot points settings gets 0 defaults, as before.

use std::collections::BTreeMap;

use chrono::Utc;
use domain::Snowflake;
use domain::quota::{ModAction, Points, Schedule};
use store::PgConnection;
use store::{point_config, point_periods, quota_roles};

use super::source::{DungeonPointsRow, QuotaRoleRow, Source};
use super::{GuildReport, Keys, dungeon_code};

/// raidbot's largest point value (hundredths).
const VALUE_MAX: i64 = 999_900;

/// Imports the settings; returns the quota roles created, to arm after commit.
pub(super) async fn import(
    tx: &mut PgConnection,
    guild: Snowflake,
    source: &Source,
    report: &mut GuildReport,
) -> anyhow::Result<Vec<Snowflake>> {
    let created = quota_roles(tx, guild, source, report).await?;
    raider_points(tx, guild, source, report).await?;
    Ok(created)
}

fn value(field: &str, v: i64) -> Result<Points, String> {
    if (0..=VALUE_MAX).contains(&v) {
        Ok(Points(v))
    } else {
        Err(format!(
            "{field} is {}; raidbot keeps 0 to 9999.00",
            super::report::hundredths(v)
        ))
    }
}

async fn quota_roles(
    tx: &mut PgConnection,
    guild: Snowflake,
    source: &Source,
    report: &mut GuildReport,
) -> anyhow::Result<Vec<Snowflake>> {
    let mut keys = Keys::load(tx, guild, "quota_role_config").await?;
    let mut override_keys = Keys::load(tx, guild, "quota_dungeon_override").await?;
    let mut created = Vec::new();
    for row in source
        .quota_roles
        .iter()
        .filter(|r| r.guild_id == guild.db())
    {
        let id = row.discord_role_id.to_string();
        let overrides: Vec<&DungeonPointsRow> = source
            .dungeon_points_of(guild.db(), row.discord_role_id)
            .collect();
        report.table("quota_role_config").source += 1;
        report.table("quota_dungeon_override").source += overrides.len() as u64;
        if row.addnote_points != 0 {
            report.table("quota_role_config.addnote_points").source += 1;
            report.table("quota_role_config.addnote_points").refuse(
                &id,
                format!(
                    "{} points per note have no equivalent: raidbot gives no quota points for notes",
                    super::report::hundredths(row.addnote_points)
                ),
            );
        }
        let Ok(role) = Snowflake::from_db(row.discord_role_id) else {
            report
                .table("quota_role_config")
                .refuse(&id, "not a Discord role id");
            continue;
        };
        if keys.seen(&id) {
            report.table("quota_role_config").already += 1;
            set_overrides(tx, guild, role, &overrides, &mut override_keys, report).await?;
            continue;
        }
        let mapped = match map(row) {
            Ok(m) => m,
            Err(why) => {
                report.table("quota_role_config").refuse(&id, why);
                continue;
            }
        };
        let (mut q, new) = quota_roles::lock_quota_role(tx, guild, role, None).await?;
        if !new {
            report.table("quota_role_config").skip(
                &id,
                "raidbot configures this quota role already (kept raidbot's)",
            );
            keys.add(&id, None);
            for o in &overrides {
                report
                    .table("quota_dungeon_override")
                    .skip(format!("{id}:{}", o.dungeon_key), "its quota role was kept");
                override_keys.add(format!("{id}:{}", o.dungeon_key), None);
            }
            continue;
        }
        q.required = mapped.required;
        q.exalt_points = mapped.exalt;
        q.non_exalt_points = mapped.non_exalt;
        q.moderation = mapped.moderation;
        q.schedule = mapped.schedule;
        quota_roles::save_quota_role(tx, guild, &q).await?;
        let now = Utc::now();
        if row.period_start_at <= now && now - row.period_start_at <= chrono::Duration::days(366) {
            point_periods::set_current_start(
                tx,
                guild,
                role.db(),
                &q.schedule,
                row.period_start_at,
                now,
            )
            .await?;
        }
        set_overrides(tx, guild, role, &overrides, &mut override_keys, report).await?;
        keys.add(&id, None);
        report.table("quota_role_config").imported += 1;
        created.push(role);
    }
    keys.save(tx, guild).await?;
    override_keys.save(tx, guild).await?;
    Ok(created)
}

/// Writes a quota role's overrides not imported before.
async fn set_overrides(
    tx: &mut PgConnection,
    guild: Snowflake,
    role: Snowflake,
    overrides: &[&DungeonPointsRow],
    keys: &mut Keys,
    report: &mut GuildReport,
) -> anyhow::Result<()> {
    let t = report.table("quota_dungeon_override");
    for o in overrides {
        let key = format!("{role}:{}", o.dungeon_key);
        if keys.seen(&key) {
            t.already += 1;
            continue;
        }
        let Some(code) = dungeon_code(&o.dungeon_key) else {
            t.refuse(&key, "raidbot's dungeon catalog has no such dungeon");
            continue;
        };
        let points = match value("the value", o.points) {
            Ok(p) => p,
            Err(why) => {
                t.refuse(&key, why);
                continue;
            }
        };
        quota_roles::set_quota_override(tx, guild, role, &code, Some(points)).await?;
        keys.add(&key, None);
        t.imported += 1;
    }
    Ok(())
}

struct Mapped {
    required: Points,
    exalt: Points,
    non_exalt: Points,
    moderation: BTreeMap<String, Points>,
    schedule: Schedule,
}

fn map(row: &QuotaRoleRow) -> Result<Mapped, String> {
    let mut moderation = BTreeMap::new();
    for (action, v) in [
        (ModAction::Verify, row.verify_points),
        (ModAction::Warn, row.warn_points),
        (ModAction::Suspend, row.suspend_points),
        (ModAction::ModmailReply, row.modmail_reply_points),
        (ModAction::Editname, row.editname_points),
    ] {
        let p = value(&format!("{} points", action.as_str()), v)?;
        if p != Points::ZERO {
            moderation.insert(action.as_str().to_owned(), p);
        }
    }
    let span = row.reset_at - row.period_start_at;
    let days = (span.num_seconds().max(1) + 86_399) / 86_400;
    let days = u16::try_from(days.clamp(1, 365)).unwrap_or(7);
    Ok(Mapped {
        required: value("required points", row.required_points)?,
        exalt: value("exalt dungeon points", row.base_exalt_points)?,
        non_exalt: value("non-exalt dungeon points", row.base_non_exalt_points)?,
        moderation,
        schedule: Schedule::EveryDays {
            days,
            anchor: row.reset_at,
        },
    })
}

async fn raider_points(
    tx: &mut PgConnection,
    guild: Snowflake,
    source: &Source,
    report: &mut GuildReport,
) -> anyhow::Result<()> {
    let mut keys = Keys::load(tx, guild, "raider_points_config").await?;
    let rows: Vec<&DungeonPointsRow> = source
        .dungeon_points
        .iter()
        .filter(|d| d.guild_id == guild.db() && d.role_id.is_none())
        .collect();
    // The original's default for a dungeon without a value is 0 raider points.
    if !keys.seen("defaults") {
        if !store::import::has_point_config(tx, guild).await? {
            let cfg = point_config::PointConfig {
                completion_points: Points::ZERO,
                key_pop_points: Points::ZERO,
                ..point_config::PointConfig::default()
            };
            point_config::save_point_config(tx, guild, &cfg).await?;
        }
        keys.add("defaults", None);
    }
    let t = report.table("raider_points_config");
    for d in rows {
        t.source += 1;
        let key = format!("{}:{}", d.kind, d.dungeon_key);
        if keys.seen(&key) {
            t.already += 1;
            continue;
        }
        let Some(code) = dungeon_code(&d.dungeon_key) else {
            t.refuse(&key, "raidbot's dungeon catalog has no such dungeon");
            continue;
        };
        let points = match value("the value", d.points) {
            Ok(p) => p,
            Err(why) => {
                t.refuse(&key, why);
                continue;
            }
        };
        let current = point_config::point_config(tx, guild).await?;
        let (mut completion, mut key_pop) =
            current.dungeons.get(&code).copied().unwrap_or((None, None));
        if d.kind == "key_pop" {
            key_pop = Some(points);
        } else {
            completion = Some(points);
        }
        point_config::set_point_dungeon(tx, guild, &code, completion, key_pop).await?;
        keys.add(&key, None);
        t.imported += 1;
    }
    keys.save(tx, guild).await
}
