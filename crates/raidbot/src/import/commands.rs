//! The command log (`command_log`): every slash command the original ran, into raidbot's
//! command log with its own time. Shapes: the original logs the command and subcommand
//! apart; raidbot logs `/name` with the options, so the subcommand goes into the options
//! (`{"subcommand": …}`). Outcome: success → `ok`; the original's failures of the bot or
//! its backend (`BACKEND_ERROR`, `UNKNOWN_ERROR`, `TIMEOUT`, `INTERNAL_ERROR`) → `error`;
//! any other code (e.g. `MISSING_PERMISSIONS`) → `refused`, with the code kept. Commands
//! run in DMs have no server and are not read. Read a batch at a time through a cursor:
//! logs can be the largest table.

use domain::Snowflake;
use serde_json::{Map, Value, json};
use store::PgConnection;
use store::import::{CONSOLE, ImportedCommand};

use super::GuildReport;
use super::progress::Progress;
use super::source::{CommandRow, SourceDb};

pub(super) async fn import(
    tx: &mut PgConnection,
    guild: Snowflake,
    src: &mut SourceDb,
    report: &mut GuildReport,
    progress: &Progress,
) -> anyhow::Result<()> {
    let total = src.command_count(guild.db()).await?;
    let mut bar = progress.bar(guild.db(), "command_log", total);
    report.table("command_log");
    src.open_commands(guild.db()).await?;
    loop {
        let rows = src.next_commands().await?;
        if rows.is_empty() {
            break;
        }
        let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
        let done = store::import::imported_among(tx, guild, CONSOLE, "command_log", &ids).await?;
        let t = report.table("command_log");
        let mut entries = Vec::with_capacity(rows.len());
        let mut new = Vec::with_capacity(rows.len());
        for (row, id) in rows.iter().zip(ids) {
            t.source += 1;
            if done.contains(&id) {
                t.already += 1;
                continue;
            }
            match entry(row) {
                Ok(e) => {
                    entries.push(e);
                    new.push((id, None));
                    t.imported += 1;
                }
                Err(why) => t.refuse(id, why),
            }
        }
        store::import::insert_commands(tx, guild, &entries).await?;
        store::import::record(tx, guild, CONSOLE, "command_log", &new).await?;
        bar.advance(rows.len() as u64);
    }
    Ok(())
}

/// raidbot's log entry for one source row.
pub fn entry(row: &CommandRow) -> Result<ImportedCommand, String> {
    let user = row
        .user_id
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|u| Snowflake::from_db(u).ok())
        .ok_or_else(|| format!("`{}` is not a Discord user id", row.user_id))?;
    let name = row.command_name.trim().trim_start_matches('/');
    if name.is_empty() {
        return Err("the command has no name".to_owned());
    }
    let mut options = row.options.clone().unwrap_or_else(|| json!({}));
    if let Some(sub) = row.subcommand.as_deref().filter(|s| !s.trim().is_empty()) {
        options = match options {
            Value::Object(mut map) => {
                map.insert("subcommand".to_owned(), json!(sub));
                Value::Object(map)
            }
            Value::Null => json!({ "subcommand": sub }),
            other => {
                let mut map = Map::new();
                map.insert("subcommand".to_owned(), json!(sub));
                map.insert("options".to_owned(), other);
                Value::Object(map)
            }
        };
    } else if options.is_null() {
        options = json!({});
    }
    let outcome = match (row.success, row.error_code.as_deref()) {
        (true, _) => "ok",
        (false, Some("BACKEND_ERROR" | "UNKNOWN_ERROR" | "TIMEOUT" | "INTERNAL_ERROR")) => "error",
        (false, _) => "refused",
    };
    Ok(ImportedCommand {
        user_id: user,
        command: format!("/{name}"),
        options,
        outcome,
        error_code: if row.success {
            None
        } else {
            row.error_code.clone()
        },
        latency_ms: row.latency_ms.unwrap_or(0).max(0),
        created_at: row.created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> CommandRow {
        CommandRow {
            id: 1,
            user_id: "300000000000000001".into(),
            command_name: "modmail".into(),
            subcommand: Some("open".into()),
            options: Some(json!({"user": "3"})),
            success: false,
            error_code: Some("MISSING_PERMISSIONS".into()),
            latency_ms: None,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn a_logged_command_maps_to_raidbots_shape() {
        let e = entry(&row()).expect("maps");
        assert_eq!(e.command, "/modmail");
        assert_eq!(e.options, json!({"user": "3", "subcommand": "open"}));
        assert_eq!(e.outcome, "refused");
        assert_eq!(e.error_code.as_deref(), Some("MISSING_PERMISSIONS"));
        assert_eq!(e.latency_ms, 0);
        let failed = CommandRow {
            error_code: Some("BACKEND_ERROR".into()),
            options: None,
            subcommand: None,
            ..row()
        };
        let e = entry(&failed).expect("maps");
        assert_eq!((e.outcome, e.options), ("error", json!({})));
        let bad = CommandRow {
            user_id: "someone".into(),
            ..row()
        };
        assert!(entry(&bad).unwrap_err().contains("not a Discord user id"));
    }
}
