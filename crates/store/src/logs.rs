//! The command log and the audit log: append-only.

use domain::Snowflake;
use serde_json::Value;

use crate::{PgConnection, Result};

#[derive(Debug, Clone)]
pub struct CommandLogEntry {
    pub guild_id: Snowflake,
    pub user_id: Snowflake,
    /// Command name ("/run") or component custom id ("run:join:12").
    pub command: String,
    /// Options as given, secrets already redacted by the caller.
    pub options: Value,
    /// `ok`, `refused` or `error`.
    pub outcome: &'static str,
    pub error_code: Option<String>,
    pub latency_ms: i32,
}

pub async fn record_command(conn: &mut PgConnection, e: &CommandLogEntry) -> Result<()> {
    sqlx::query(
        "INSERT INTO command_log (guild_id, user_id, command, options, outcome, error_code, latency_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(e.guild_id.db())
    .bind(e.user_id.db())
    .bind(&e.command)
    .bind(&e.options)
    .bind(e.outcome)
    .bind(&e.error_code)
    .bind(e.latency_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// Who changed something: a Discord user, an API key, or the bot itself.
#[derive(Debug, Clone)]
pub struct AuditActor {
    pub user_id: Option<Snowflake>,
    pub label: String,
}

pub async fn record_audit(
    conn: &mut PgConnection,
    guild: Snowflake,
    actor: &AuditActor,
    action: &str,
    before: Value,
    after: Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (guild_id, actor_id, actor, action, before, after)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(guild.db())
    .bind(actor.user_id.map(Snowflake::db))
    .bind(&actor.label)
    .bind(action)
    .bind(before)
    .bind(after)
    .execute(conn)
    .await?;
    Ok(())
}
