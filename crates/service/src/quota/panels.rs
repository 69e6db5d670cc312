//! Quota panels: what they show, where they are posted, their redraw timer.

use super::*;

/// A quota panel's content.
#[derive(Debug, Clone)]
pub struct PanelData {
    pub role: QuotaRole,
    pub period: Period,
    /// Members of the role (highest quota role) with their points, best first.
    pub rows: Vec<(Snowflake, Points)>,
    /// The finished period just before: (period, members who met it, members).
    pub last: Option<(Period, usize, usize)>,
}

/// What the quota panels of the guild show, one per quota role, highest role first.
pub async fn panels(pool: &PgPool, guild: Snowflake) -> Result<Vec<PanelData>> {
    let mut conn = pool.acquire().await?;
    let roles = quota_roles::quota_roles(&mut conn, guild).await?;
    let mut out = Vec::with_capacity(roles.len());
    for q in roles {
        out.push(panel_for(&mut conn, guild, q, Utc::now()).await?);
    }
    Ok(out)
}

pub async fn panel_for(
    conn: &mut PgConnection,
    guild: Snowflake,
    q: QuotaRole,
    now: DateTime<Utc>,
) -> Result<PanelData> {
    let current =
        point_periods::ensure_period(conn, guild, q.role_id.db(), &q.schedule, now).await?;
    let members = quota_roles::panel_members(conn, guild, &q).await?;
    let points = point_events::quota_points_between(conn, guild, &members, &current.period).await?;
    let mut rows: Vec<(Snowflake, Points)> = members
        .iter()
        .map(|m| (*m, points.get(m).copied().unwrap_or_default()))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let last = match point_periods::period_before(conn, guild, q.role_id.db(), &current).await? {
        Some(last) => {
            let before =
                point_events::quota_points_between(conn, guild, &members, &last.period).await?;
            let met = members
                .iter()
                .filter(|m| before.get(m).copied().unwrap_or_default() >= q.required)
                .count();
            Some((last.period, met, members.len()))
        }
        None => None,
    };
    Ok(PanelData {
        role: q,
        period: current.period,
        rows,
        last,
    })
}

/// The bot posted or edited a role's panel messages: remember them.
pub async fn panel_posted(
    pool: &PgPool,
    guild: Snowflake,
    role: Snowflake,
    channel: Option<Snowflake>,
    messages: &[Snowflake],
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    quota_roles::set_panel_messages(&mut conn, guild, role, channel, messages).await?;
    Ok(())
}

/// The 10-minute panel timer: redraw and schedule the next one while quota roles exist.
pub async fn panel_tick(pool: &PgPool, guild: Snowflake) -> Result<()> {
    let mut tx = pool.begin().await?;
    if !quota_roles::quota_roles(&mut tx, guild).await?.is_empty() {
        tasks::queue(
            &mut tx,
            guild,
            Task::QuotaPanelsTick,
            Some(Utc::now() + PANEL_TICK),
        )
        .await?;
        refresh_panels(&mut tx, guild).await?;
    }
    tx.commit().await?;
    Ok(())
}
