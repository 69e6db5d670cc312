//! What awarding an ended run reads, in one round trip: the run, the points settings, its
//! key pops and roster, and the organizer's quota role.

use chrono::{DateTime, Utc};
use domain::{RunStatus, Snowflake};
use sqlx::FromRow;

use crate::point_config::{CONFIG_DUNGEONS, ConfigRow, PointConfig};
use crate::quota_roles::{QuotaRole, QuotaRow, highest_quota_role_sql};
use crate::{PgConnection, Result, StoreError, snowflake};

/// A key pop of a run: id, popper, dungeon, keys, and the raiders present (its roster).
pub type KeyPop = (i64, Snowflake, String, i32, Vec<Snowflake>);

/// Everything awarding an ended run reads. The award runs inside the transaction that ends
/// the run, so this is one round trip rather than one per table.
#[derive(Debug, Clone)]
pub struct RunAward {
    pub guild_id: Snowflake,
    pub run_id: i64,
    pub ended: bool,
    pub ended_at: Option<DateTime<Utc>>,
    pub organizer_id: Snowflake,
    pub dungeon_code: String,
    pub closed_by: Option<Snowflake>,
    pub config: PointConfig,
    /// In the order they were popped.
    pub key_pops: Vec<KeyPop>,
    /// The raiders joined at the end, in join order.
    pub joined: Vec<Snowflake>,
    /// The organizer's highest quota role (see [`crate::quota_roles::highest_quota_role`]).
    pub organizer_role: Option<QuotaRole>,
    /// Whether the guild has a promotion rule (then an award queues a promotion check).
    pub promotion_rules: bool,
}

/// The run's columns of [`run_award`]'s row (the organizer's quota role, `qr.*`, is read
/// from the same row when `role_id` is set).
#[derive(sqlx::FromRow)]
struct AwardRow {
    #[sqlx(try_from = "crate::columns::Id")]
    run_guild_id: Snowflake,
    run_id: i64,
    run_ended: bool,
    run_ended_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "crate::columns::Id")]
    run_organizer_id: Snowflake,
    run_dungeon_code: String,
    #[sqlx(try_from = "crate::columns::OptId")]
    run_closed_by: Option<Snowflake>,
    #[sqlx(flatten)]
    config: ConfigRow,
    key_pops: serde_json::Value,
    #[sqlx(try_from = "crate::columns::Ids")]
    joined: Vec<Snowflake>,
    promotion_rules: bool,
    #[sqlx(rename = "role_id")]
    #[sqlx(try_from = "crate::columns::OptId")]
    organizer_role_id: Option<Snowflake>,
}

/// What awarding the run needs; `None` when the run does not exist.
pub async fn run_award(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
) -> Result<Option<RunAward>> {
    Ok(run_awards(conn, &[(guild, run_id)]).await?.pop())
}

/// [`run_award`] for several runs in one round trip, in no particular order; a run that
/// does not exist is missing.
pub async fn run_awards(
    conn: &mut PgConnection,
    runs: &[(Snowflake, i64)],
) -> Result<Vec<RunAward>> {
    let sql = format!(
        "SELECT r.guild_id AS run_guild_id, r.run_id,
                r.status = $3 AS run_ended, r.ended_at AS run_ended_at,
                r.organizer_id AS run_organizer_id, r.dungeon_code AS run_dungeon_code,
                r.closed_by AS run_closed_by,
                c.completion_points, c.key_pop_points, c.schedule AS leaderboard_schedule,
                {CONFIG_DUNGEONS},
                (SELECT coalesce(json_agg(json_build_array(k.pop_id, k.user_id, k.dungeon_code,
                                                           k.count, k.raiders)
                                          ORDER BY k.created_at, k.pop_id), '[]'::json)
                 FROM {KEY_POPS} k) AS key_pops,
                (SELECT coalesce(array_agg(p.user_id ORDER BY p.joined_at, p.user_id), '{{}}')
                 FROM run_participant p
                 WHERE p.guild_id = r.guild_id AND p.run_id = r.run_id
                   AND p.state = 'joined') AS joined,
                EXISTS (SELECT 1 FROM promotion_rule pr WHERE pr.guild_id = r.guild_id)
                    AS promotion_rules,
                qr.*
         FROM unnest($1::bigint[], $2::bigint[]) AS g(guild_id, run_id)
         JOIN run r ON r.guild_id = g.guild_id AND r.run_id = g.run_id
         LEFT JOIN point_config c ON c.guild_id = r.guild_id
         LEFT JOIN LATERAL ({organizer_role}) qr ON true",
        organizer_role = highest_quota_role_sql("r.guild_id", "r.organizer_id")
    );
    let guilds: Vec<i64> = runs.iter().map(|r| r.0.db()).collect();
    let ids: Vec<i64> = runs.iter().map(|r| r.1).collect();
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(guilds)
        .bind(ids)
        .bind(RunStatus::Ended.as_str())
        .fetch_all(conn)
        .await?;
    rows.iter().map(award_of).collect()
}

fn award_of(r: &sqlx::postgres::PgRow) -> Result<RunAward> {
    let award = AwardRow::from_row(r)?;
    let pops: Vec<(i64, i64, String, i32, Vec<i64>)> = serde_json::from_value(award.key_pops)
        .map_err(|e| StoreError::Corrupt(format!("key_pop: {e}")))?;
    let organizer_role = match award.organizer_role_id {
        Some(_) => Some(QuotaRow::from_row(r)?.try_into()?),
        None => None,
    };
    Ok(RunAward {
        guild_id: award.run_guild_id,
        run_id: award.run_id,
        ended: award.run_ended,
        ended_at: award.run_ended_at,
        organizer_id: award.run_organizer_id,
        dungeon_code: award.run_dungeon_code,
        closed_by: award.run_closed_by,
        config: award.config.try_into()?,
        key_pops: pops
            .into_iter()
            .map(|(id, popper, dungeon, count, raiders)| {
                Ok((
                    id,
                    snowflake(popper)?,
                    dungeon,
                    count,
                    raiders.into_iter().map(snowflake).collect::<Result<_>>()?,
                ))
            })
            .collect::<Result<_>>()?,
        joined: award.joined,
        organizer_role,
        promotion_rules: award.promotion_rules,
    })
}

/// A run's key pops (of the run `r`), each with its raiders: pop_id, user_id,
/// dungeon_code, count, created_at, raiders (ordered by id).
const KEY_POPS: &str = "(SELECT k.pop_id, k.user_id, k.dungeon_code, k.count, k.created_at,
                coalesce(array_agg(kr.user_id ORDER BY kr.user_id)
                         FILTER (WHERE kr.user_id IS NOT NULL), '{}') AS raiders
         FROM key_pop k
         LEFT JOIN key_pop_raider kr ON kr.guild_id = k.guild_id AND kr.pop_id = k.pop_id
         WHERE k.guild_id = r.guild_id AND k.run_id = r.run_id
         GROUP BY k.guild_id, k.pop_id)";
