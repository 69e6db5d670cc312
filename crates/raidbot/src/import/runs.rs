//! Finished runs (`run` with status `ended`) with their raiders (`reaction`: join, bench,
//! leave, with classes) and key reactions (`key_reaction`). Importing a run awards nothing:
//! what it earned is in the quota events, imported as they were recorded. The original
//! keeps no record of which key was popped in which run, only per-member totals
//! (`key_pop`): those are imported by `key_pops`.

use chrono::Duration;
use domain::{RaidClass, Snowflake};
use store::PgConnection;
use store::import::{ImportedParticipant, ImportedRun};

use super::source::{RunReactionRow, RunRow, Source};
use super::{GuildReport, Keys, dungeon_code};

pub(super) async fn import(
    tx: &mut PgConnection,
    guild: Snowflake,
    source: &Source,
    report: &mut GuildReport,
) -> anyhow::Result<()> {
    let mut keys = Keys::load(tx, guild, "run").await?;
    for row in source
        .ended_runs
        .iter()
        .filter(|r| r.guild_id == guild.db())
    {
        let id = row.id.to_string();
        let reactions: Vec<&RunReactionRow> = source
            .run_reactions
            .iter()
            .filter(|r| r.run_id == row.id)
            .collect();
        let keys_n = reactions.iter().filter(|r| r.state == "key").count() as u64;
        let people_n = reactions.len() as u64 - keys_n;
        report.table("run").source += 1;
        report.table("reaction").source += people_n;
        report.table("key_reaction").source += keys_n;
        if keys.seen(&id) {
            report.table("run").already += 1;
            report.table("reaction").already += people_n;
            // Keys refused the first time are refused again (the run is not re-read).
            for r in reactions.iter().filter(|r| r.state == "key") {
                match key_code(r) {
                    Ok(_) => report.table("key_reaction").already += 1,
                    Err(why) => report
                        .table("key_reaction")
                        .refuse(format!("{id}:{}:{}", r.user_id, key_of(r)), why),
                }
            }
            continue;
        }
        let run = match map(row) {
            Ok(r) => r,
            Err(why) => {
                report.table("run").refuse(&id, why);
                continue;
            }
        };
        let run_id = store::import::insert_ended_run(tx, guild, &run).await?;
        let mut people = Vec::new();
        let mut key_reactions = Vec::new();
        for r in reactions {
            let Ok(user) = Snowflake::from_db(r.user_id) else {
                continue;
            };
            let at = r.at.unwrap_or(run.created_at);
            if r.state == "key" {
                match key_code(r) {
                    Ok(code) => {
                        key_reactions.push((code, user, at));
                        report.table("key_reaction").imported += 1;
                    }
                    Err(why) => report
                        .table("key_reaction")
                        .refuse(format!("{id}:{}:{}", r.user_id, key_of(r)), why),
                }
                continue;
            }
            let state = match r.state.as_str() {
                "join" => "joined",
                "bench" => "benched",
                _ => "left",
            };
            people.push(ImportedParticipant {
                user_id: user,
                state,
                class: r
                    .value
                    .as_deref()
                    .and_then(RaidClass::parse)
                    .map(|c| c.as_str().to_owned()),
                at,
            });
            report.table("reaction").imported += 1;
        }
        store::import::insert_participants(tx, guild, run_id, &people).await?;
        store::import::insert_run_reactions(tx, guild, run_id, &key_reactions).await?;
        keys.add(&id, Some(run_id.to_string()));
        report.table("run").imported += 1;
    }
    keys.save(tx, guild).await
}

fn key_of(r: &RunReactionRow) -> &str {
    r.value.as_deref().unwrap_or_default()
}

/// raidbot's reaction code of an original key type (`SHIELD_RUNE` → `shield_rune`).
fn key_code(r: &RunReactionRow) -> Result<String, String> {
    let code = key_of(r).trim().to_ascii_lowercase();
    if domain::catalog::catalog().reactions.contains_key(&code) {
        Ok(code)
    } else {
        Err(format!("raidbot's catalog has no reaction `{}`", key_of(r)))
    }
}

/// Texts longer than raidbot keeps are refused, not cut.
fn text(field: &str, v: &Option<String>, max: usize) -> Result<Option<String>, String> {
    match v.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) if t.chars().count() > max => Err(format!(
            "the {field} has {} characters; raidbot keeps up to {max}",
            t.chars().count()
        )),
        t => Ok(t.map(str::to_owned)),
    }
}

fn map(row: &RunRow) -> Result<ImportedRun, String> {
    let organizer = row
        .organizer_id
        .and_then(|o| Snowflake::from_db(o).ok())
        .ok_or("the run has no organizer")?;
    let dungeon = dungeon_code(&row.dungeon_key).ok_or_else(|| {
        format!(
            "raidbot's dungeon catalog has no dungeon `{}`",
            row.dungeon_key
        )
    })?;
    let created_at = row
        .created_at
        .or(row.started_at)
        .ok_or("the run has no creation time")?;
    let started_at = row.started_at.unwrap_or(created_at);
    let ended_at = row.ended_at.unwrap_or(started_at).max(started_at);
    let chain_amount = match row.chain_amount {
        Some(c) if !(1..=100).contains(&c) => {
            return Err(format!("a chain of {c}; raidbot keeps 1 to 100"));
        }
        c => c,
    };
    Ok(ImportedRun {
        organizer_id: organizer,
        dungeon_code: dungeon,
        party: text("party", &row.party, 100)?,
        location: text("location", &row.location, 100)?,
        description: text("description", &row.description, 500)?,
        chain_amount,
        o3_stage: match row.o3_stage.as_deref() {
            Some("closed") => Some("realm_closed"),
            Some("miniboss") => Some("miniboss"),
            Some("third_room") => Some("third_room"),
            _ => None,
        },
        screenshot_url: row.screenshot_url.clone(),
        created_at,
        started_at,
        ended_at,
        auto_end_at: created_at + Duration::minutes(i64::from(row.auto_end_minutes.max(1))),
    })
}
