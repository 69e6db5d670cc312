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

/// Appends command log lines, in one statement however many.
pub async fn record_commands(conn: &mut PgConnection, entries: &[CommandLogEntry]) -> Result<()> {
    let guilds: Vec<i64> = entries.iter().map(|e| e.guild_id.db()).collect();
    let users: Vec<i64> = entries.iter().map(|e| e.user_id.db()).collect();
    let commands: Vec<&str> = entries.iter().map(|e| e.command.as_str()).collect();
    let options: Vec<String> = entries.iter().map(|e| e.options.to_string()).collect();
    let outcomes: Vec<&str> = entries.iter().map(|e| e.outcome).collect();
    let codes: Vec<Option<&str>> = entries.iter().map(|e| e.error_code.as_deref()).collect();
    let latencies: Vec<i32> = entries.iter().map(|e| e.latency_ms).collect();
    sqlx::query(
        "INSERT INTO command_log (guild_id, user_id, command, options, outcome, error_code, latency_ms)
         SELECT g, u, c, o::jsonb, oc, e, l
         FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::int[]) AS t(g, u, c, o, oc, e, l)",
    )
    .bind(&guilds)
    .bind(&users)
    .bind(&commands)
    .bind(&options)
    .bind(&outcomes)
    .bind(&codes)
    .bind(&latencies)
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

/// An audit row to write with [`record_audits`].
#[derive(Debug, Clone)]
pub struct NewAudit {
    pub guild: Snowflake,
    pub actor: AuditActor,
    pub action: &'static str,
    pub before: Value,
    pub after: Value,
}

/// [`record_audit`] for several rows in one statement (a batch of run changes).
pub async fn record_audits(conn: &mut PgConnection, rows: &[NewAudit]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO audit_log (guild_id, actor_id, actor, action, before, after)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[],
                              $5::jsonb[], $6::jsonb[])",
    )
    .bind(rows.iter().map(|r| r.guild.db()).collect::<Vec<_>>())
    .bind(
        rows.iter()
            .map(|r| r.actor.user_id.map(Snowflake::db))
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|r| r.actor.label.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(rows.iter().map(|r| r.action).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| &r.before).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| &r.after).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AuditEntry {
    pub audit_id: i64,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub actor_id: Option<Snowflake>,
    pub actor: String,
    pub action: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The guild's audit entries, newest first (by id, which only grows), below `before` when
/// given, of one `action` when given; `limit` at most.
pub async fn audit_page(
    conn: &mut PgConnection,
    guild: Snowflake,
    action: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEntry>> {
    Ok(sqlx::query_as::<_, AuditEntry>(
        "SELECT audit_id, actor_id, actor, action, before, after, created_at FROM audit_log
         WHERE guild_id = $1 AND ($2::text IS NULL OR action = $2)
           AND ($3::bigint IS NULL OR audit_id < $3)
         ORDER BY audit_id DESC LIMIT $4",
    )
    .bind(guild.db())
    .bind(action)
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
