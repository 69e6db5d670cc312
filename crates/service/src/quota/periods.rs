//! Quota periods: the member's current one, rollovers and their timers.

use super::*;

/// [`member_period`] without writing (for reads that may run on a read-only replica): a
/// period not stored yet is computed from the schedule as the rollover would store it.
pub(super) async fn member_period_seen(
    conn: &mut PgConnection,
    guild: Snowflake,
    member: Snowflake,
    at: DateTime<Utc>,
) -> Result<(Option<QuotaRole>, Period)> {
    let role = quota_roles::highest_quota_role(conn, guild, member).await?;
    let (scope, schedule) = match &role {
        Some(q) => (q.role_id.db(), q.schedule),
        None => (
            LEADERBOARD_SCOPE,
            point_config::leaderboard_schedule(conn, guild).await?,
        ),
    };
    let (current, _) = point_periods::current_and_last(conn, guild, scope, &schedule, at).await?;
    Ok((role, current.period))
}

/// The member's quota role (highest held) and its current period; the leaderboard period
/// when they hold none.
pub(super) async fn member_period(
    conn: &mut PgConnection,
    guild: Snowflake,
    member: Snowflake,
    at: DateTime<Utc>,
) -> Result<(Option<QuotaRole>, Period)> {
    match quota_roles::highest_quota_role(conn, guild, member).await? {
        Some(q) => {
            let p =
                point_periods::ensure_period(conn, guild, q.role_id.db(), &q.schedule, at).await?;
            Ok((Some(q), p.period))
        }
        None => {
            let schedule = point_config::leaderboard_schedule(conn, guild).await?;
            let p =
                point_periods::ensure_period(conn, guild, LEADERBOARD_SCOPE, &schedule, at).await?;
            Ok((None, p.period))
        }
    }
}

/// The rollover timer of a quota role fired: materialize the new period, schedule the next
/// boundary, redraw the panels and log how the finished period ended. Running it twice (or
/// early) changes nothing but the timer.
pub async fn rollover(pool: &PgPool, guild: Snowflake, role: Snowflake) -> Result<()> {
    let mut tx = pool.begin().await?;
    let Some(q) = quota_roles::quota_role(&mut tx, guild, role).await? else {
        return Ok(());
    };
    let now = Utc::now();
    let current = point_periods::ensure_period(&mut tx, guild, role.db(), &q.schedule, now).await?;
    let queued = tasks::queue(
        &mut tx,
        guild,
        Task::QuotaRollover { role_id: role },
        Some(current.period.end),
    )
    .await?;
    if !queued {
        jobs::reschedule(
            &mut tx,
            guild,
            "quota_rollover",
            &format!("rollover:{role}"),
            current.period.end,
        )
        .await?;
    }
    if let Some(last) = point_periods::period_before(&mut tx, guild, role.db(), &current).await?
        && last.period.end > now - chrono::Duration::hours(1)
    {
        let members = quota_roles::panel_members(&mut tx, guild, &q).await?;
        let points =
            point_events::quota_points_between(&mut tx, guild, &members, &last.period).await?;
        let met = members
            .iter()
            .filter(|m| points.get(m).copied().unwrap_or_default() >= q.required)
            .count();
        tasks::log(
            &mut tx,
            guild,
            ChannelKey::QuotaLog,
            LogEvent::QuotaPeriodEnded {
                role_id: role.to_string(),
                start: last.period.start,
                end: last.period.end,
                met,
                members: members.len(),
            },
        )
        .await?;
    }
    refresh_panels(&mut tx, guild).await?;
    tx.commit().await?;
    Ok(())
}

/// Makes sure the role's current period exists and its boundary timer is queued.
pub(super) async fn arm_role(
    tx: &mut PgConnection,
    guild: Snowflake,
    q: &QuotaRole,
) -> Result<Period> {
    let current =
        point_periods::ensure_period(tx, guild, q.role_id.db(), &q.schedule, Utc::now()).await?;
    let key = format!("rollover:{}", q.role_id);
    if !jobs::reschedule(tx, guild, "quota_rollover", &key, current.period.end).await? {
        tasks::queue(
            tx,
            guild,
            Task::QuotaRollover { role_id: q.role_id },
            Some(current.period.end),
        )
        .await?;
    }
    tasks::queue(
        tx,
        guild,
        Task::QuotaPanelsTick,
        Some(Utc::now() + PANEL_TICK),
    )
    .await?;
    refresh_panels(tx, guild).await?;
    Ok(current.period)
}
