//! Escalation rules (/configescalation, administrators): "3 warnings within 30 days →
//! suspend 2 days", "2 suspensions within 90 days → tell officers". [`apply`] runs in the
//! transaction that records a punishment, after the member's punishments were serialized
//! (`store::punishments::lock_member`), so two concurrent warnings see each other and a
//! rule fires once. Warnings older than the guild's expiry stop counting.

use domain::moderation::{PunishDuration, PunishmentKind};
use domain::{ChannelKey, RoleKey, Snowflake};
use store::escalation::{self as store_e, NewRule};
use store::punishments::{self as store_p, NewPunishment, Punishment};
use store::{PgConnection, PgPool, guild_config};

pub use store::escalation::Rule;

use crate::moderation::ModerationError;
use crate::tasks::{self, LogEvent, Task};
use crate::{Actor, Result};

/// The most rules a guild keeps in force.
pub const RULES_MAX: usize = 20;

/// What a rule does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Suspend,
    Mute,
    /// Tell officers in the punishment log.
    Notify,
}

impl Action {
    pub fn parse(text: &str) -> Option<Action> {
        match text {
            "suspend" => Some(Action::Suspend),
            "mute" => Some(Action::Mute),
            "notify" => Some(Action::Notify),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Suspend => "suspend",
            Action::Mute => "mute",
            Action::Notify => "notify",
        }
    }

    fn kind(self) -> Option<PunishmentKind> {
        match self {
            Action::Suspend => Some(PunishmentKind::Suspend),
            Action::Mute => Some(PunishmentKind::Mute),
            Action::Notify => None,
        }
    }
}

/// A rule staff ask for.
#[derive(Debug, Clone)]
pub struct RuleRequest {
    /// `warn`, `suspend` or `mute`.
    pub when: String,
    pub count: i64,
    pub within_days: i64,
    pub then: String,
    /// For `suspend` and `mute`.
    pub duration: Option<String>,
}

/// The guild's rules and warning expiry, as /configescalation shows them.
#[derive(Debug, Clone)]
pub struct Settings {
    pub rules: Vec<Rule>,
    pub warn_expiry_days: Option<i16>,
}

pub async fn settings(pool: &PgPool, guild: Snowflake, actor: &Actor) -> Result<Settings> {
    actor.require(RoleKey::Administrator)?;
    let mut conn = pool.acquire().await?;
    Ok(Settings {
        rules: store_e::rules(&mut conn, guild, None).await?,
        warn_expiry_days: store_e::warn_expiry_days(&mut conn, guild).await?,
    })
}

pub async fn add_rule(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    req: RuleRequest,
) -> Result<Rule> {
    actor.require(RoleKey::Administrator)?;
    let trigger = match PunishmentKind::parse(req.when.trim()) {
        Some(k @ (PunishmentKind::Warn | PunishmentKind::Suspend | PunishmentKind::Mute)) => k,
        _ => {
            return Err(ModerationError::BadTrigger.into());
        }
    };
    if !(1..=20).contains(&req.count) {
        return Err(ModerationError::BadCount.into());
    }
    if !(1..=365).contains(&req.within_days) {
        return Err(ModerationError::BadWindow.into());
    }
    let action = Action::parse(req.then.trim()).ok_or(ModerationError::BadAction)?;
    let minutes = match (action, req.duration.as_deref().map(str::trim)) {
        (Action::Notify, None) => None,
        (Action::Notify, Some(_)) => {
            return Err(ModerationError::RuleDurationNotAllowed.into());
        }
        (_, None | Some("")) => {
            return Err(ModerationError::RuleDurationRequired.into());
        }
        (_, Some(text)) => Some(
            PunishDuration::parse(text)
                .map_err(ModerationError::BadDuration)?
                .minutes(),
        ),
    };
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    if store_e::rules(&mut tx, guild, None).await?.len() >= RULES_MAX {
        return Err(ModerationError::TooManyRules.into());
    }
    let rule = store_e::add(
        &mut tx,
        guild,
        &NewRule {
            trigger_kind: trigger,
            threshold: req.count as i16,
            within_days: req.within_days as i16,
            action: action.as_str(),
            action_minutes: minutes.map(|m| m as i32),
            created_by: &actor.label,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(rule)
}

pub async fn remove_rule(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    rule_id: i64,
) -> Result<()> {
    actor.require(RoleKey::Administrator)?;
    let mut conn = pool.acquire().await?;
    if !store_e::remove(&mut conn, guild, rule_id).await? {
        return Err(ModerationError::NoSuchRule { rule_id }.into());
    }
    Ok(())
}

/// Warnings older than `days` stop counting towards rules (None: they always count).
pub async fn set_warn_expiry(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    days: Option<i64>,
) -> Result<()> {
    actor.require(RoleKey::Administrator)?;
    if let Some(d) = days
        && !(1..=365).contains(&d)
    {
        return Err(ModerationError::BadWarnExpiry.into());
    }
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    store_e::set_warn_expiry_days(&mut tx, guild, days.map(|d| d as i16)).await?;
    tx.commit().await?;
    Ok(())
}

/// A rule, retired or not, for its log entry.
pub async fn rule(pool: &PgPool, guild: Snowflake, rule_id: i64) -> Result<Option<Rule>> {
    let mut conn = pool.acquire().await?;
    Ok(store_e::rule(&mut conn, guild, rule_id).await?)
}

/// Applies the rules `trigger` may have reached, in its transaction (the member's
/// punishments are locked by the caller). Each rule that reaches its count fires once:
/// it gives its suspension or mute (unless one is already running), records the firing,
/// and logs it with the rule.
pub(crate) async fn apply(
    tx: &mut PgConnection,
    guild: Snowflake,
    trigger: &Punishment,
) -> Result<()> {
    let rules = store_e::rules(tx, guild, Some(trigger.kind)).await?;
    if rules.is_empty() {
        return Ok(());
    }
    let expiry = store_e::warn_expiry_days(tx, guild).await?;
    for rule in rules {
        let n = store_e::counting(tx, guild, &rule, trigger.user_id, expiry).await?;
        if n < i64::from(rule.threshold) {
            continue;
        }
        let action = Action::parse(&rule.action).unwrap_or(Action::Notify);
        let mut result = None;
        let mut already = None;
        if let (Some(kind), Some(minutes)) = (action.kind(), rule.action_minutes) {
            match store_p::lock_active_timed(tx, guild, trigger.user_id, kind).await? {
                Some(running) => already = Some(running.code),
                None => {
                    let p = store_p::insert(
                        tx,
                        &NewPunishment {
                            guild_id: guild,
                            kind,
                            user_id: trigger.user_id,
                            actor_id: None,
                            actor: format!("escalation rule #{}", rule.rule_id),
                            reason: format!(
                                "Escalation rule #{}: {} {} within {} days (last: {})",
                                rule.rule_id,
                                rule.threshold,
                                rule.trigger_kind.as_str(),
                                rule.within_days,
                                trigger.code
                            ),
                            delete_days: None,
                            minutes: Some(i64::from(minutes)),
                            actor_level: None,
                            batch_key: None,
                        },
                    )
                    .await?;
                    tasks::queue(
                        tx,
                        guild,
                        Task::PunishmentApply {
                            punishment_id: p.punishment_id,
                        },
                        None,
                    )
                    .await?;
                    if let Some(due) = p.expires_at {
                        tasks::queue(
                            tx,
                            guild,
                            Task::PunishmentExpire {
                                punishment_id: p.punishment_id,
                            },
                            Some(due),
                        )
                        .await?;
                    }
                    result = Some(p.punishment_id);
                }
            }
        }
        if !store_e::fire(
            tx,
            guild,
            rule.rule_id,
            trigger.user_id,
            trigger.punishment_id,
            result,
        )
        .await?
        {
            continue;
        }
        tasks::log(
            tx,
            guild,
            ChannelKey::PunishmentLog,
            LogEvent::EscalationFired {
                rule_id: rule.rule_id,
                user_id: trigger.user_id,
                trigger_punishment_id: trigger.punishment_id,
                result_punishment_id: result,
                already,
            },
        )
        .await?;
    }
    Ok(())
}
