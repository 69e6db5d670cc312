//! A member's `/stats`.

use super::*;

/// What `/stats` shows.
#[derive(Debug, Clone)]
pub struct MemberStats {
    pub member: Snowflake,
    pub raider_points: Points,
    pub raider_rank: Option<i64>,
    pub quota_all_time: Points,
    pub quota_current: Points,
    pub quota_role: Option<(Snowflake, Points)>,
    pub period: Period,
    pub runs_organized: i64,
    pub runs_completed: i64,
    pub keys_popped: i64,
    pub verifications: i64,
    pub dungeons: Vec<DungeonLine>,
}

pub async fn stats(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    member: Snowflake,
) -> Result<MemberStats> {
    actor.require(RoleKey::VerifiedRaider)?;
    let mut conn = pool.acquire().await?;
    let sums = leaderboard::member_sums(&mut conn, guild, ALL_TIME, member).await?;
    let get = |m: Metric| sums.get(&m).copied().unwrap_or(0);
    let (role, period) = member_period_seen(&mut conn, guild, member, Utc::now()).await?;
    let quota_current =
        point_events::member_quota_between(&mut conn, guild, member, &period).await?;
    let raider = get(Metric::RaiderPoints);
    let raider_rank = if raider != 0 {
        Some(leaderboard::rank_of(&mut conn, guild, ALL_TIME, Metric::RaiderPoints, raider).await?)
    } else {
        None
    };
    let dungeons = leaderboard::member_dungeons(&mut conn, guild, member).await?;
    Ok(MemberStats {
        member,
        raider_points: Points(raider),
        raider_rank,
        quota_all_time: Points(get(Metric::QuotaPoints)),
        quota_current,
        quota_role: role.map(|q| (q.role_id, q.required)),
        period,
        runs_organized: get(Metric::RunsOrganized),
        runs_completed: get(Metric::RunsCompleted),
        keys_popped: get(Metric::KeysPopped),
        verifications: get(Metric::Verifications),
        dungeons,
    })
}
