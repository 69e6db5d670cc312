//! Automatic promotion rules and the grants they made (`/configpromotions`).
//!
//! A grant row per (rule, member) makes each promotion happen once: [`grant_qualified`]
//! inserts the rows of members whose all-time total (folded sums plus pending deltas, as
//! the leaderboards read them) reached a rule's threshold, skipping existing rows.

use domain::Snowflake;
use domain::quota::PromotionKind;

use crate::jobs::{NOTIFY_CHANNEL, NewJob};
use crate::leaderboard::ALL_TIME;
use crate::{PgConnection, Result};

crate::columns::text_codes! {
    PromotionKind => "promotion kind",
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PromotionRule {
    pub rule_id: i64,
    #[sqlx(try_from = "crate::columns::Text")]
    pub kind: PromotionKind,
    pub dungeon_code: Option<String>,
    pub threshold: i64,
    #[sqlx(try_from = "crate::columns::Id")]
    pub role_id: Snowflake,
    #[sqlx(try_from = "crate::columns::OptId")]
    pub remove_role_id: Option<Snowflake>,
}

/// A rule to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRule {
    pub kind: PromotionKind,
    pub dungeon_code: Option<String>,
    pub threshold: i64,
    pub role_id: Snowflake,
    pub remove_role_id: Option<Snowflake>,
}

/// A grant just made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Grant {
    pub rule_id: i64,
    #[sqlx(try_from = "crate::columns::Id")]
    pub member_id: Snowflake,
}

pub async fn add_rule(conn: &mut PgConnection, guild: Snowflake, rule: &NewRule) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO promotion_rule (guild_id, kind, dungeon_code, threshold, role_id,
                                     remove_role_id)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING rule_id",
    )
    .bind(guild.db())
    .bind(rule.kind.as_str())
    .bind(rule.dungeon_code.as_deref())
    .bind(rule.threshold)
    .bind(rule.role_id.db())
    .bind(rule.remove_role_id.map(Snowflake::db))
    .fetch_one(conn)
    .await?)
}

/// Deletes a rule (and its grants); whether it existed.
pub async fn remove_rule(conn: &mut PgConnection, guild: Snowflake, rule_id: i64) -> Result<bool> {
    let done = sqlx::query("DELETE FROM promotion_rule WHERE guild_id = $1 AND rule_id = $2")
        .bind(guild.db())
        .bind(rule_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn rules(conn: &mut PgConnection, guild: Snowflake) -> Result<Vec<PromotionRule>> {
    Ok(sqlx::query_as::<_, PromotionRule>(
        "SELECT rule_id, kind, dungeon_code, threshold, role_id, remove_role_id
         FROM promotion_rule WHERE guild_id = $1 ORDER BY rule_id",
    )
    .bind(guild.db())
    .fetch_all(conn)
    .await?)
}

pub async fn rule(
    conn: &mut PgConnection,
    guild: Snowflake,
    rule_id: i64,
) -> Result<Option<PromotionRule>> {
    Ok(sqlx::query_as::<_, PromotionRule>(
        "SELECT rule_id, kind, dungeon_code, threshold, role_id, remove_role_id
         FROM promotion_rule WHERE guild_id = $1 AND rule_id = $2",
    )
    .bind(guild.db())
    .bind(rule_id)
    .fetch_optional(conn)
    .await?)
}

/// Records a grant for every member who qualifies for a rule and has none yet, in one
/// statement; returns the new grants. `rule`: one rule (None: all of the guild's);
/// `members`: only these members (None: everyone with a total). A concurrent grant of the
/// same (rule, member) waits on the primary key and then inserts nothing.
pub async fn grant_qualified(
    conn: &mut PgConnection,
    guild: Snowflake,
    rule: Option<i64>,
    members: Option<&[Snowflake]>,
) -> Result<Vec<Grant>> {
    let members: Option<Vec<i64>> = members.map(|m| m.iter().map(|s| s.db()).collect());
    let kinds: Vec<&str> = PromotionKind::ALL.iter().map(|k| k.as_str()).collect();
    let metrics: Vec<i16> = PromotionKind::ALL
        .iter()
        .map(|k| k.metric().code())
        .collect();
    Ok(sqlx::query_as::<_, Grant>(
        "WITH r AS (
            SELECT pr.rule_id, km.metric, pr.dungeon_code, pr.threshold
            FROM promotion_rule pr
            JOIN unnest($4::text[], $5::smallint[]) AS km(kind, metric) ON km.kind = pr.kind
            WHERE pr.guild_id = $1 AND ($2::bigint IS NULL OR pr.rule_id = $2)),
         v AS (
            SELECT r.rule_id, s.member_id
            FROM r CROSS JOIN LATERAL (
                SELECT member_id, value FROM point_sum
                WHERE guild_id = $1 AND scope = $6 AND metric = r.metric
                  AND r.dungeon_code IS NULL
                  AND ($3::bigint[] IS NULL OR member_id = ANY($3))
                UNION ALL
                SELECT member_id, value FROM point_dungeon_sum
                WHERE guild_id = $1 AND metric = r.metric AND dungeon_code = r.dungeon_code
                  AND ($3::bigint[] IS NULL OR member_id = ANY($3))
                UNION ALL
                SELECT member_id, delta FROM point_sum_delta
                WHERE guild_id = $1 AND scope = $6 AND metric = r.metric
                  AND (r.dungeon_code IS NULL OR dungeon_code = r.dungeon_code)
                  AND ($3::bigint[] IS NULL OR member_id = ANY($3))) s
            GROUP BY r.rule_id, s.member_id, r.threshold
            HAVING sum(s.value) >= r.threshold)
         INSERT INTO promotion_grant (guild_id, rule_id, member_id)
         SELECT $1, rule_id, member_id FROM v
         ON CONFLICT (guild_id, rule_id, member_id) DO NOTHING
         RETURNING rule_id, member_id",
    )
    .bind(guild.db())
    .bind(rule)
    .bind(members)
    .bind(&kinds)
    .bind(&metrics)
    .bind(ALL_TIME)
    .fetch_all(conn)
    .await?)
}

/// Queues `job` (a promotion check after an award) only when the guild has a promotion
/// rule: one statement either way, so awards in guilds without rules queue nothing.
pub async fn enqueue_if_rules(conn: &mut PgConnection, job: &NewJob) -> Result<bool> {
    let inserted: Option<bool> = sqlx::query_scalar(
        "WITH ins AS (
            INSERT INTO job (guild_id, kind, dedupe_key, payload, due_at, priority)
            SELECT $1, $2, $3, $4, COALESCE($5, now()), $6
            WHERE EXISTS (SELECT 1 FROM promotion_rule WHERE guild_id = $1)
            RETURNING true AS fresh)
         SELECT fresh FROM ins WHERE pg_notify($7, '') IS NOT NULL",
    )
    .bind(job.guild_id.db())
    .bind(&job.kind)
    .bind(&job.dedupe_key)
    .bind(&job.payload)
    .bind(job.due_at)
    .bind(job.priority)
    .bind(NOTIFY_CHANNEL)
    .fetch_optional(conn)
    .await?;
    Ok(inserted == Some(true))
}
