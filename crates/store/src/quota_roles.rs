//! Quota roles: each role's required points, schedule, values and panel messages.

use std::collections::BTreeMap;

use domain::Snowflake;
use domain::quota::{Points, Schedule};

use crate::{PgConnection, Result, StoreError, snowflake};

/// A quota role's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaRole {
    pub role_id: Snowflake,
    pub required: Points,
    pub schedule: Schedule,
    pub exalt_points: Points,
    pub non_exalt_points: Points,
    pub moderation: BTreeMap<String, Points>,
    pub position: i32,
    pub panel_channel_id: Option<Snowflake>,
    pub panel_message_ids: Vec<Snowflake>,
    pub overrides: BTreeMap<String, Points>,
}

impl QuotaRole {
    /// Defaults of a role nobody configured yet: 0 required, weekly Monday 00:00 UTC, one
    /// point per run of any dungeon.
    pub fn new(role_id: Snowflake) -> QuotaRole {
        QuotaRole {
            role_id,
            required: Points::ZERO,
            schedule: Schedule::default(),
            exalt_points: Points::ONE,
            non_exalt_points: Points::ONE,
            moderation: BTreeMap::new(),
            position: 0,
            panel_channel_id: None,
            panel_message_ids: Vec::new(),
            overrides: BTreeMap::new(),
        }
    }

    /// What organizing one run of `dungeon` is worth for this role.
    pub fn run_value(&self, dungeon: &str, exalt: bool) -> Points {
        self.overrides.get(dungeon).copied().unwrap_or(if exalt {
            self.exalt_points
        } else {
            self.non_exalt_points
        })
    }
}

const QUOTA_COLUMNS: &str = "q.role_id, q.required_points, q.schedule, q.exalt_points,
    q.non_exalt_points, q.moderation_points, q.position, q.panel_channel_id, q.panel_message_ids,
    (SELECT coalesce(json_object_agg(d.dungeon_code, d.points), '{}'::json) FROM quota_dungeon d
     WHERE d.guild_id = q.guild_id AND d.role_id = q.role_id) AS overrides";

/// A row of [`QUOTA_COLUMNS`] as stored.
#[derive(sqlx::FromRow)]
pub(crate) struct QuotaRow {
    #[sqlx(try_from = "crate::columns::Id")]
    role_id: Snowflake,
    required_points: i64,
    schedule: serde_json::Value,
    exalt_points: i64,
    non_exalt_points: i64,
    moderation_points: serde_json::Value,
    position: i32,
    #[sqlx(try_from = "crate::columns::OptId")]
    panel_channel_id: Option<Snowflake>,
    #[sqlx(try_from = "crate::columns::Ids")]
    panel_message_ids: Vec<Snowflake>,
    overrides: serde_json::Value,
}

impl TryFrom<QuotaRow> for QuotaRole {
    type Error = StoreError;
    fn try_from(r: QuotaRow) -> Result<QuotaRole> {
        let moderation: BTreeMap<String, i64> = serde_json::from_value(r.moderation_points)
            .map_err(|e| StoreError::Corrupt(format!("moderation_points: {e}")))?;
        let overrides: BTreeMap<String, i64> = serde_json::from_value(r.overrides)
            .map_err(|e| StoreError::Corrupt(format!("quota_dungeon: {e}")))?;
        Ok(QuotaRole {
            role_id: r.role_id,
            required: Points(r.required_points),
            schedule: crate::schedule_from(r.schedule)?,
            exalt_points: Points(r.exalt_points),
            non_exalt_points: Points(r.non_exalt_points),
            moderation: moderation
                .into_iter()
                .map(|(k, v)| (k, Points(v)))
                .collect(),
            position: r.position,
            panel_channel_id: r.panel_channel_id,
            panel_message_ids: r.panel_message_ids,
            overrides: overrides.into_iter().map(|(k, v)| (k, Points(v))).collect(),
        })
    }
}

pub async fn quota_role(
    conn: &mut PgConnection,
    guild: Snowflake,
    role: Snowflake,
) -> Result<Option<QuotaRole>> {
    let sql = format!(
        "SELECT {QUOTA_COLUMNS} FROM quota_role q WHERE q.guild_id = $1 AND q.role_id = $2"
    );
    let row = sqlx::query_as::<_, QuotaRow>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .bind(role.db())
        .fetch_optional(conn)
        .await?;
    row.map(QuotaRole::try_from).transpose()
}

/// Every quota role of the guild, highest position first.
pub async fn quota_roles(conn: &mut PgConnection, guild: Snowflake) -> Result<Vec<QuotaRole>> {
    let sql = format!(
        "SELECT {QUOTA_COLUMNS} FROM quota_role q WHERE q.guild_id = $1
         ORDER BY q.position DESC, q.role_id DESC"
    );
    let rows = sqlx::query_as::<_, QuotaRow>(sqlx::AssertSqlSafe(sql))
        .bind(guild.db())
        .fetch_all(conn)
        .await?;
    rows.into_iter().map(QuotaRole::try_from).collect()
}

/// The highest quota role (by Discord position) among those held in the guild and by the
/// member that SQL expressions `guild` and `member` name: one row of [`QUOTA_COLUMNS`] or
/// none.
pub(crate) fn highest_quota_role_sql(guild: &str, member: &str) -> String {
    format!(
        "SELECT {QUOTA_COLUMNS} FROM quota_role q
         JOIN member_role m ON m.guild_id = q.guild_id AND m.role_id = q.role_id
         WHERE q.guild_id = {guild} AND m.user_id = {member}
         ORDER BY q.position DESC, q.role_id DESC LIMIT 1"
    )
}

/// The member's highest quota role (by Discord position) among the roles they hold.
pub async fn highest_quota_role(
    conn: &mut PgConnection,
    guild: Snowflake,
    member: Snowflake,
) -> Result<Option<QuotaRole>> {
    let row =
        sqlx::query_as::<_, QuotaRow>(sqlx::AssertSqlSafe(highest_quota_role_sql("$1", "$2")))
            .bind(guild.db())
            .bind(member.db())
            .fetch_optional(conn)
            .await?;
    row.map(QuotaRole::try_from).transpose()
}

/// Locks (creating with defaults) a quota role's row for a configuration change.
pub async fn lock_quota_role(
    conn: &mut PgConnection,
    guild: Snowflake,
    role: Snowflake,
    position: Option<i32>,
) -> Result<(QuotaRole, bool)> {
    crate::guild_config::ensure_guild(conn, guild).await?;
    let created = sqlx::query(
        "INSERT INTO quota_role (guild_id, role_id, position) VALUES ($1, $2, COALESCE($3, 0))
         ON CONFLICT (guild_id, role_id) DO NOTHING",
    )
    .bind(guild.db())
    .bind(role.db())
    .bind(position)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if let Some(p) = position {
        sqlx::query("UPDATE quota_role SET position = $3 WHERE guild_id = $1 AND role_id = $2")
            .bind(guild.db())
            .bind(role.db())
            .bind(p)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("SELECT 1 FROM quota_role WHERE guild_id = $1 AND role_id = $2 FOR UPDATE")
        .bind(guild.db())
        .bind(role.db())
        .execute(&mut *conn)
        .await?;
    let q = quota_role(conn, guild, role)
        .await?
        .ok_or_else(|| StoreError::Corrupt("quota role vanished".into()))?;
    Ok((q, created))
}

/// Saves a quota role's settings (not its overrides or panel).
pub async fn save_quota_role(
    conn: &mut PgConnection,
    guild: Snowflake,
    q: &QuotaRole,
) -> Result<()> {
    let moderation: BTreeMap<&str, i64> = q
        .moderation
        .iter()
        .map(|(k, v)| (k.as_str(), v.0))
        .collect();
    sqlx::query(
        "UPDATE quota_role SET required_points = $3, schedule = $4, exalt_points = $5,
            non_exalt_points = $6, moderation_points = $7, updated_at = now()
         WHERE guild_id = $1 AND role_id = $2",
    )
    .bind(guild.db())
    .bind(q.role_id.db())
    .bind(q.required.0)
    .bind(crate::schedule_json(&q.schedule)?)
    .bind(q.exalt_points.0)
    .bind(q.non_exalt_points.0)
    .bind(serde_json::to_value(moderation).map_err(|e| StoreError::Corrupt(e.to_string()))?)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_quota_override(
    conn: &mut PgConnection,
    guild: Snowflake,
    role: Snowflake,
    dungeon: &str,
    points: Option<Points>,
) -> Result<()> {
    match points {
        Some(p) => sqlx::query(
            "INSERT INTO quota_dungeon (guild_id, role_id, dungeon_code, points) VALUES ($1, $2, $3, $4)
             ON CONFLICT (guild_id, role_id, dungeon_code) DO UPDATE SET points = EXCLUDED.points",
        )
        .bind(guild.db())
        .bind(role.db())
        .bind(dungeon)
        .bind(p.0),
        None => sqlx::query(
            "DELETE FROM quota_dungeon WHERE guild_id = $1 AND role_id = $2 AND dungeon_code = $3",
        )
        .bind(guild.db())
        .bind(role.db())
        .bind(dungeon),
    }
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_quota_role(
    conn: &mut PgConnection,
    guild: Snowflake,
    role: Snowflake,
) -> Result<bool> {
    let done = sqlx::query("DELETE FROM quota_role WHERE guild_id = $1 AND role_id = $2")
        .bind(guild.db())
        .bind(role.db())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_panel_messages(
    conn: &mut PgConnection,
    guild: Snowflake,
    role: Snowflake,
    channel: Option<Snowflake>,
    messages: &[Snowflake],
) -> Result<()> {
    let ids: Vec<i64> = messages.iter().map(|m| m.db()).collect();
    sqlx::query(
        "UPDATE quota_role SET panel_channel_id = $3, panel_message_ids = $4
         WHERE guild_id = $1 AND role_id = $2",
    )
    .bind(guild.db())
    .bind(role.db())
    .bind(channel.map(Snowflake::db))
    .bind(&ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// A role's new Discord position (GUILD_ROLE_UPDATE / GUILD_CREATE).
pub async fn set_role_position(
    conn: &mut PgConnection,
    guild: Snowflake,
    role: Snowflake,
    position: i32,
) -> Result<()> {
    sqlx::query(
        "UPDATE quota_role SET position = $3 WHERE guild_id = $1 AND role_id = $2 AND position <> $3",
    )
    .bind(guild.db())
    .bind(role.db())
    .bind(position)
    .execute(conn)
    .await?;
    Ok(())
}

/// Members whose highest quota role is `role`.
pub async fn panel_members(
    conn: &mut PgConnection,
    guild: Snowflake,
    role: &QuotaRole,
) -> Result<Vec<Snowflake>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT mr.user_id FROM member_role mr
         WHERE mr.guild_id = $1 AND mr.role_id = $2
           AND NOT EXISTS (
               SELECT 1 FROM member_role o
               JOIN quota_role q ON q.guild_id = o.guild_id AND q.role_id = o.role_id
               WHERE o.guild_id = mr.guild_id AND o.user_id = mr.user_id
                 AND (q.position > $3 OR (q.position = $3 AND q.role_id > $2)))",
    )
    .bind(guild.db())
    .bind(role.role_id.db())
    .bind(role.position)
    .fetch_all(conn)
    .await?;
    ids.into_iter().map(snowflake).collect()
}
