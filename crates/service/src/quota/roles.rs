//! Quota roles: their configuration panel and its changes, panel buttons.

use super::*;

/// "Every N days" counts from the end of the current period (the next boundary).
pub(super) fn anchored(s: Schedule, next_boundary: DateTime<Utc>) -> Schedule {
    match s {
        Schedule::EveryDays { days, .. } => Schedule::EveryDays {
            days,
            anchor: next_boundary,
        },
        other => other,
    }
}

/// A quota role's settings with its current period, for the configuration panel.
#[derive(Debug, Clone)]
pub struct QuotaRoleView {
    pub role: QuotaRole,
    pub configured: bool,
    pub period: Period,
}

/// The configuration of a quota role as it is (defaults when not configured yet).
pub async fn quota_role_view(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    role: Snowflake,
) -> Result<QuotaRoleView> {
    actor.require(RoleKey::Moderator)?;
    let mut conn = pool.acquire().await?;
    match quota_roles::quota_role(&mut conn, guild, role).await? {
        Some(q) => {
            let p =
                point_periods::ensure_period(&mut conn, guild, role.db(), &q.schedule, Utc::now())
                    .await?;
            Ok(QuotaRoleView {
                role: q,
                configured: true,
                period: p.period,
            })
        }
        None => {
            let q = QuotaRole::new(role);
            let period = q.schedule.period_containing(Utc::now());
            Ok(QuotaRoleView {
                role: q,
                configured: false,
                period,
            })
        }
    }
}

/// A schedule as the audit log and `bot_log` record it (its JSON form).
pub(super) fn schedule_text(s: &Schedule) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// One change to a quota role.
#[derive(Debug, Clone, PartialEq)]
pub enum QuotaChange {
    /// Only records the role (and its Discord position) with defaults.
    Touch,
    Required(Points),
    /// Applies from the next boundary.
    Schedule(Schedule),
    /// The current period starts here (by hand); it runs to the next boundary after now.
    CurrentStart(DateTime<Utc>),
    BasePoints {
        exalt: Points,
        non_exalt: Points,
    },
    Moderation(BTreeMap<String, Points>),
    Override {
        dungeon: String,
        points: Option<Points>,
    },
}

/// Applies a change to a quota role (created with defaults if new). Moderator or above.
pub async fn configure_quota_role(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    role: Snowflake,
    position: Option<i32>,
    change: QuotaChange,
) -> Result<QuotaRoleView> {
    actor.require(RoleKey::Moderator)?;
    let mut tx = pool.begin().await?;
    let (mut q, _created) = quota_roles::lock_quota_role(&mut tx, guild, role, position).await?;
    let mut settings = SettingsChange::new("configure_quota_role", SettingsArea::Quota);
    settings.role = Some(role);
    match &change {
        QuotaChange::Touch => {}
        QuotaChange::Required(p) => {
            settings.field("required", q.required, p);
            q.required = *p;
        }
        QuotaChange::Schedule(s) => {
            let s = s.validate().map_err(QuotaError::BadSchedule)?;
            // The current period keeps its end; the new schedule counts from there.
            let current =
                point_periods::ensure_period(&mut tx, guild, role.db(), &q.schedule, Utc::now())
                    .await?;
            let before = schedule_text(&q.schedule);
            q.schedule = anchored(s, current.period.end);
            settings.field("schedule", before, schedule_text(&q.schedule));
        }
        QuotaChange::CurrentStart(start) => {
            let now = Utc::now();
            if *start > now {
                return Err(QuotaError::StartInFuture.into());
            }
            if now - *start > chrono::Duration::days(366) {
                return Err(QuotaError::StartTooEarly.into());
            }
            point_periods::set_current_start(&mut tx, guild, role.db(), &q.schedule, *start, now)
                .await?;
            settings.set("current_period_start", start.to_rfc3339());
        }
        QuotaChange::BasePoints { exalt, non_exalt } => {
            settings.field("exalt_points", q.exalt_points, exalt);
            settings.field("non_exalt_points", q.non_exalt_points, non_exalt);
            q.exalt_points = *exalt;
            q.non_exalt_points = *non_exalt;
        }
        QuotaChange::Moderation(m) => {
            for (action, points) in m {
                let before = q.moderation.get(action).map(Points::to_string);
                settings.field(
                    &format!("moderation.{action}"),
                    before.unwrap_or_default(),
                    points,
                );
            }
            q.moderation = m.clone();
        }
        QuotaChange::Override { dungeon, points } => {
            let code = check_dungeon(dungeon)?;
            quota_roles::set_quota_override(&mut tx, guild, role, &code, *points).await?;
            settings.set(
                &format!("dungeon.{code}"),
                points.map_or_else(|| "default".to_owned(), |p| p.to_string()),
            );
        }
    }
    quota_roles::save_quota_role(&mut tx, guild, &q).await?;
    let q = quota_roles::quota_role(&mut tx, guild, role)
        .await?
        .ok_or_else(|| ServiceError::Internal("quota role vanished".into()))?;
    let period = arm_role(&mut tx, guild, &q).await?;
    record_settings_change(&mut tx, guild, actor, settings).await?;
    tx.commit().await?;
    Ok(QuotaRoleView {
        role: q,
        configured: true,
        period,
    })
}

/// What a panel button asks of a quota role's panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PanelAction {
    Refresh,
    /// Delete the posted panel and post it anew.
    Reset,
    /// Delete the configuration (events stay).
    Delete,
}

pub async fn panel_action(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    role: Snowflake,
    action: PanelAction,
) -> Result<()> {
    actor.require(RoleKey::Moderator)?;
    let mut tx = pool.begin().await?;
    let Some(q) = quota_roles::quota_role(&mut tx, guild, role).await? else {
        return Err(QuotaError::NoQuotaRole.into());
    };
    if matches!(action, PanelAction::Reset | PanelAction::Delete)
        && let Some(channel) = q.panel_channel_id
        && !q.panel_message_ids.is_empty()
    {
        tasks::queue(
            &mut tx,
            guild,
            Task::QuotaPanelDelete {
                channel_id: channel,
                message_ids: q.panel_message_ids.clone(),
            },
            None,
        )
        .await?;
        quota_roles::set_panel_messages(&mut tx, guild, role, None, &[]).await?;
    }
    if action == PanelAction::Delete {
        quota_roles::delete_quota_role(&mut tx, guild, role).await?;
        let mut settings = SettingsChange::new("delete_quota_role", SettingsArea::QuotaDeleted);
        settings.role = Some(role);
        settings.field("required", q.required, "");
        settings.field("schedule", schedule_text(&q.schedule), "");
        record_settings_change(&mut tx, guild, actor, settings).await?;
    }
    refresh_panels(&mut tx, guild).await?;
    tx.commit().await?;
    Ok(())
}
