//! Escalation rules, their firings, and the guild's warning expiry.

use chrono::{DateTime, Utc};
use domain::Snowflake;
use domain::moderation::PunishmentKind;

use crate::{PgConnection, Result};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Rule {
    pub rule_id: i64,
    #[sqlx(try_from = "crate::columns::Text")]
    pub trigger_kind: PunishmentKind,
    pub threshold: i16,
    pub within_days: i16,
    /// `suspend`, `mute` or `notify`.
    pub action: String,
    pub action_minutes: Option<i32>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "rule_id, trigger_kind, threshold, within_days, action, action_minutes,
    created_by, created_at";

pub struct NewRule<'a> {
    pub trigger_kind: PunishmentKind,
    pub threshold: i16,
    pub within_days: i16,
    pub action: &'a str,
    pub action_minutes: Option<i32>,
    pub created_by: &'a str,
}

pub async fn add(conn: &mut PgConnection, guild: Snowflake, new: &NewRule<'_>) -> Result<Rule> {
    let sql = format!(
        "INSERT INTO escalation_rule (guild_id, trigger_kind, threshold, within_days, action,
             action_minutes, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as::<_, Rule>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(new.trigger_kind.as_str())
        .bind(new.threshold)
        .bind(new.within_days)
        .bind(new.action)
        .bind(new.action_minutes)
        .bind(new.created_by)
        .fetch_one(conn)
        .await?)
}

/// Retires a rule (kept for the firings that name it). Returns whether it was in force.
pub async fn remove(conn: &mut PgConnection, guild: Snowflake, rule_id: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE escalation_rule SET removed_at = now()
         WHERE guild_id = $1 AND rule_id = $2 AND removed_at IS NULL",
    )
    .bind(guild.db())
    .bind(rule_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The rules in force, oldest first; only those triggered by `kind` when given.
pub async fn rules(
    conn: &mut PgConnection,
    guild: Snowflake,
    kind: Option<PunishmentKind>,
) -> Result<Vec<Rule>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM escalation_rule
         WHERE guild_id = $1 AND removed_at IS NULL AND ($2::text IS NULL OR trigger_kind = $2)
         ORDER BY rule_id"
    );
    Ok(sqlx::query_as::<_, Rule>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(kind.map(PunishmentKind::as_str))
        .fetch_all(conn)
        .await?)
}

/// Any rule, retired or not (for a log entry naming it).
pub async fn rule(conn: &mut PgConnection, guild: Snowflake, rule_id: i64) -> Result<Option<Rule>> {
    let sql = format!("SELECT {COLUMNS} FROM escalation_rule WHERE guild_id = $1 AND rule_id = $2");
    Ok(sqlx::query_as::<_, Rule>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(rule_id)
        .fetch_optional(conn)
        .await?)
}

/// How many of the member's punishments of `kind` count for `rule` now: given within its
/// window (and, for warnings, not older than the expiry), after the rule last fired for
/// them, and not removed as issued in error.
pub async fn counting(
    conn: &mut PgConnection,
    guild: Snowflake,
    rule: &Rule,
    user: Snowflake,
    warn_expiry_days: Option<i16>,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM punishment p
         WHERE p.guild_id = $1 AND p.user_id = $2 AND p.kind = $3 AND p.status <> 'removed'
           AND p.created_at > now() - make_interval(days => $4::int)
           AND ($5::int IS NULL OR p.kind <> 'warn'
                OR p.created_at > now() - make_interval(days => $5::int))
           AND p.created_at > COALESCE(
                (SELECT max(f.fired_at) FROM escalation_fire f
                 WHERE f.guild_id = $1 AND f.rule_id = $6 AND f.user_id = $2),
                '-infinity')",
    )
    .bind(guild.db())
    .bind(user.db())
    .bind(rule.trigger_kind.as_str())
    .bind(i32::from(rule.within_days))
    .bind(warn_expiry_days.map(i32::from))
    .bind(rule.rule_id)
    .fetch_one(conn)
    .await?)
}

/// Records a firing; false if this punishment already fired this rule.
pub async fn fire(
    conn: &mut PgConnection,
    guild: Snowflake,
    rule_id: i64,
    user: Snowflake,
    trigger: i64,
    result: Option<i64>,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO escalation_fire (guild_id, rule_id, user_id, trigger_punishment_id,
             result_punishment_id)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(guild.db())
    .bind(rule_id)
    .bind(user.db())
    .bind(trigger)
    .bind(result)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn warn_expiry_days(conn: &mut PgConnection, guild: Snowflake) -> Result<Option<i16>> {
    Ok(
        sqlx::query_scalar("SELECT warn_expiry_days FROM punishment_config WHERE guild_id = $1")
            .bind(guild.db())
            .fetch_optional(conn)
            .await?
            .flatten(),
    )
}

pub async fn set_warn_expiry_days(
    conn: &mut PgConnection,
    guild: Snowflake,
    days: Option<i16>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO punishment_config (guild_id, warn_expiry_days) VALUES ($1, $2)
         ON CONFLICT (guild_id) DO UPDATE SET warn_expiry_days = EXCLUDED.warn_expiry_days",
    )
    .bind(guild.db())
    .bind(days)
    .execute(conn)
    .await?;
    Ok(())
}
