//! Automatic promotion roles (`/configpromotions`): administrators add rules such as
//! "10 Shatters completions → Shatters Veteran"; awards queue a check of the members they
//! touched, which grants each (rule, member) once and queues the Discord side (role,
//! lower role taken, log entry, DM) as jobs.
//!
//! The check runs as a job after the award committed, not inside it: two awards that
//! commit at the same time each see only their own uncommitted points, so a check inside
//! them could both stay below a threshold that together they cross. The job reads the
//! committed totals; the later of the two checks sees both, and the grant's primary key
//! makes a second grant of the same (rule, member) insert nothing.

use domain::catalog::catalog;
use domain::quota::PromotionKind;
use domain::{ChannelKey, RoleKey, Snowflake};
use serde_json::json;
use store::promotions::{self as store_promotions, Grant, NewRule};
use store::{PgConnection, PgPool, guild_config, logs};

pub use store::promotions::PromotionRule;

use crate::error::Refusal;
use crate::tasks::{self, LogEvent, Task};
use crate::{Actor, Result};

/// Why a promotion rule was refused; the adapters word it (`messages::promotions`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("promotion refused: {}", self.code())]
pub enum PromotionError {
    /// `/configpromotions remove` without the rule option.
    RuleRequired,
    /// `add` without (or with an unknown) kind.
    KindRequired,
    /// `add` without a threshold.
    ThresholdRequired,
    /// `add` without the role to give.
    RoleRequired,
    /// The bot cannot give or take this role (not below its highest role).
    RoleAboveBot { role: Snowflake },
    /// The threshold is not 1 to 1,000,000,000.
    BadThreshold,
    /// @everyone as the role given or taken.
    EveryoneRole,
    /// The role to remove is the role given.
    SameRole,
    /// A dungeon on a raider points rule (those count every dungeon).
    DungeonNotAllowed,
    /// A dungeon code raidbot does not know (as typed).
    UnknownDungeon { code: String },
    /// The guild has [`MAX_RULES`] rules already.
    TooManyRules,
    /// No rule with this id in this guild.
    NoSuchRule { rule_id: i64 },
}

impl PromotionError {
    /// A stable snake_case code for logs and the REST API.
    pub fn code(&self) -> &'static str {
        use PromotionError as E;
        match self {
            E::RuleRequired => "rule_required",
            E::KindRequired => "kind_required",
            E::ThresholdRequired => "threshold_required",
            E::RoleRequired => "role_required",
            E::RoleAboveBot { .. } => "role_above_bot",
            E::BadThreshold => "bad_threshold",
            E::EveryoneRole => "everyone_role",
            E::SameRole => "same_role",
            E::DungeonNotAllowed => "dungeon_not_allowed",
            E::UnknownDungeon { .. } => "unknown_dungeon",
            E::TooManyRules => "too_many_rules",
            E::NoSuchRule { .. } => "not_found",
        }
    }

    /// What kind of refusal this is.
    pub fn kind(&self) -> Refusal {
        match self {
            PromotionError::NoSuchRule { .. } => Refusal::NotFound,
            _ => Refusal::Invalid,
        }
    }
}

/// At most this many rules per guild (each award's check evaluates all of them).
pub const MAX_RULES: usize = 25;

/// A rule as an administrator asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRequest {
    pub kind: PromotionKind,
    pub dungeon: Option<String>,
    pub threshold: i64,
    pub role_id: Snowflake,
    pub remove_role_id: Option<Snowflake>,
}

/// What adding a rule did: its id and how many members already qualified (granted now).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    pub rule: PromotionRule,
    pub granted: usize,
}

pub async fn list(pool: &PgPool, guild: Snowflake, actor: &Actor) -> Result<Vec<PromotionRule>> {
    actor.require(RoleKey::Administrator)?;
    let mut conn = pool.acquire().await?;
    Ok(store_promotions::rules(&mut conn, guild).await?)
}

/// Adds a rule and applies it to members who already qualify, in one transaction.
/// The caller (the bot) has checked that the roles sit below the bot's top role.
pub async fn add(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    req: RuleRequest,
) -> Result<Added> {
    actor.require(RoleKey::Administrator)?;
    if req.threshold < 1 || req.threshold > 1_000_000_000 {
        return Err(PromotionError::BadThreshold.into());
    }
    if req.role_id == guild || req.remove_role_id == Some(guild) {
        return Err(PromotionError::EveryoneRole.into());
    }
    if req.remove_role_id == Some(req.role_id) {
        return Err(PromotionError::SameRole.into());
    }
    let dungeon_code = match req.dungeon.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(_) if !req.kind.per_dungeon() => {
            return Err(PromotionError::DungeonNotAllowed.into());
        }
        Some(code) => Some(
            catalog()
                .dungeon(code)
                .ok_or_else(|| PromotionError::UnknownDungeon {
                    code: code.to_owned(),
                })?
                .code
                .clone(),
        ),
    };
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    if store_promotions::rules(&mut tx, guild).await?.len() >= MAX_RULES {
        return Err(PromotionError::TooManyRules.into());
    }
    let new = NewRule {
        kind: req.kind,
        dungeon_code,
        threshold: req.threshold,
        role_id: req.role_id,
        remove_role_id: req.remove_role_id,
    };
    let rule_id = store_promotions::add_rule(&mut tx, guild, &new).await?;
    let grants = store_promotions::grant_qualified(&mut tx, guild, Some(rule_id), None).await?;
    queue_grants(&mut tx, guild, &grants).await?;
    logs::record_audit(
        &mut tx,
        guild,
        &actor.audit(),
        "add_promotion_rule",
        json!(null),
        json!({ "rule_id": rule_id, "kind": new.kind.as_str(), "dungeon": new.dungeon_code,
                "threshold": new.threshold, "role": new.role_id,
                "remove_role": new.remove_role_id, "granted": grants.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(Added {
        rule: PromotionRule {
            rule_id,
            kind: new.kind,
            dungeon_code: new.dungeon_code,
            threshold: new.threshold,
            role_id: new.role_id,
            remove_role_id: new.remove_role_id,
        },
        granted: grants.len(),
    })
}

/// Removes a rule; roles already given stay. Its grants go with it.
pub async fn remove(pool: &PgPool, guild: Snowflake, actor: &Actor, rule_id: i64) -> Result<()> {
    actor.require(RoleKey::Administrator)?;
    let mut tx = pool.begin().await?;
    if !store_promotions::remove_rule(&mut tx, guild, rule_id).await? {
        return Err(PromotionError::NoSuchRule { rule_id }.into());
    }
    logs::record_audit(
        &mut tx,
        guild,
        &actor.audit(),
        "remove_promotion_rule",
        json!({ "rule_id": rule_id }),
        json!(null),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Queues, in an award's transaction, a check of the members it touched (only when the
/// guild has promotion rules: one statement either way).
pub async fn queue_check(
    conn: &mut PgConnection,
    guild: Snowflake,
    members: &[Snowflake],
) -> store::Result<()> {
    let Some(task) = check_task(members.to_vec()) else {
        return Ok(());
    };
    let job = tasks::job_of(guild, &task, None)?;
    store_promotions::enqueue_if_rules(conn, &job).await?;
    Ok(())
}

/// The promotion check of `members` (each once); `None` when there is no one to check.
pub(crate) fn check_task(mut members: Vec<Snowflake>) -> Option<Task> {
    members.sort_unstable();
    members.dedup();
    (!members.is_empty()).then_some(Task::PromotionCheck { members })
}

/// The check job: grants every rule the members now qualify for and queues the Discord
/// side of each new grant. Returns how many were granted.
pub async fn check(pool: &PgPool, guild: Snowflake, members: &[Snowflake]) -> Result<usize> {
    let mut tx = pool.begin().await?;
    let grants = store_promotions::grant_qualified(&mut tx, guild, None, Some(members)).await?;
    queue_grants(&mut tx, guild, &grants).await?;
    tx.commit().await?;
    Ok(grants.len())
}

async fn queue_grants(conn: &mut PgConnection, guild: Snowflake, grants: &[Grant]) -> Result<()> {
    for g in grants {
        tasks::queue(
            conn,
            guild,
            Task::Promote {
                rule_id: g.rule_id,
                user_id: g.member_id,
            },
            None,
        )
        .await?;
        tasks::log(
            conn,
            guild,
            ChannelKey::RaidLog,
            LogEvent::Promoted {
                rule_id: g.rule_id,
                user_id: g.member_id,
            },
        )
        .await?;
    }
    Ok(())
}

/// A rule, for the promotion job and its log entry (None: removed since).
pub async fn rule(pool: &PgPool, guild: Snowflake, rule_id: i64) -> Result<Option<PromotionRule>> {
    let mut conn = pool.acquire().await?;
    Ok(store_promotions::rule(&mut conn, guild, rule_id).await?)
}
