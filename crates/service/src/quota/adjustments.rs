//! Manual awards: `/logrun`, `/logkey` and officers' adjustments.

use super::*;

/// What a manual award did, for the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Awarded {
    pub member: Snowflake,
    pub currency: Currency,
    pub amount: Points,
    pub units: i32,
    pub dungeon: Option<String>,
    /// The member's total in that currency afterwards (quota: current period).
    pub total: Points,
}

pub(super) async fn record_manual(
    tx: &mut PgConnection,
    guild: Snowflake,
    actor: &Actor,
    event: NewEvent,
    reason: Option<&str>,
) -> Result<Awarded> {
    let at = Utc::now();
    let written = point_events::insert_events(
        tx,
        guild,
        std::slice::from_ref(&event),
        actor.user_id,
        reason,
        at,
    )
    .await?;
    if !written.is_empty() {
        crate::promotions::queue_check(tx, guild, &[event.member_id]).await?;
    }
    let total = match event.currency {
        Currency::Raider => Points(
            leaderboard::member_sums(tx, guild, ALL_TIME, event.member_id)
                .await?
                .get(&Metric::RaiderPoints)
                .copied()
                .unwrap_or(0),
        ),
        Currency::Quota => {
            let period = member_period(tx, guild, event.member_id, at).await?.1;
            point_events::member_quota_between(tx, guild, event.member_id, &period).await?
        }
    };
    let awarded = Awarded {
        member: event.member_id,
        currency: event.currency,
        amount: event.amount,
        units: event.units,
        dungeon: event.dungeon_code.clone(),
        total,
    };
    logs::record_audit(
        tx,
        guild,
        &actor.audit(),
        event.kind.as_str(),
        serde_json::Value::Null,
        json!({"member": event.member_id.to_string(), "currency": event.currency.as_str(),
               "amount": event.amount.to_string(), "units": event.units,
               "dungeon": event.dungeon_code, "reason": reason}),
    )
    .await?;
    tasks::log(
        tx,
        guild,
        ChannelKey::QuotaLog,
        LogEvent::PointsAwarded {
            by: actor
                .user_id
                .map(|u| u.to_string())
                .unwrap_or_else(|| actor.label.clone()),
            member: event.member_id.to_string(),
            currency: event.currency,
            kind: event.kind.as_str().to_owned(),
            amount: event.amount.0,
            units: event.units,
            dungeon: event.dungeon_code,
            reason: reason.map(str::to_owned),
            total: total.0,
        },
    )
    .await?;
    Ok(awarded)
}

pub(super) fn check_count(amount: i64, what: &'static str) -> Result<i32> {
    if amount == 0 || amount.abs() > LOG_AMOUNT_MAX {
        return Err(QuotaError::BadCount { what }.into());
    }
    Ok(i32::try_from(amount).unwrap_or(0))
}

/// `/logrun`: runs organized outside the bot, worth the member's quota value each.
/// Organizers log for themselves; logging for someone else needs Officer.
pub async fn log_run(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    dungeon: &str,
    amount: i64,
    member: Option<Snowflake>,
) -> Result<Awarded> {
    actor.require(RoleKey::Organizer)?;
    let member = member.or(actor.user_id).ok_or(QuotaError::MemberRequired)?;
    if Some(member) != actor.user_id {
        actor
            .require(RoleKey::Officer)
            .map_err(|_| QuotaError::MayNotLogForOthers)?;
    }
    let dungeon = check_dungeon(dungeon)?;
    let units = check_count(amount, "runs")?;
    let mut tx = pool.begin().await?;
    let value = organizer_value(&mut tx, guild, member, &dungeon).await?;
    let source = point_events::adjustment_source(&mut tx).await?;
    let event = NewEvent {
        member_id: member,
        currency: Currency::Quota,
        kind: PointKind::RunLogged,
        amount: value.times(amount),
        units,
        dungeon_code: Some(dungeon),
        source,
    };
    let out = record_manual(&mut tx, guild, actor, event, None).await?;
    tx.commit().await?;
    Ok(out)
}

/// `/logkey`: keys popped outside a run, worth the dungeon's key-pop value each.
pub async fn log_key(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    member: Snowflake,
    dungeon: &str,
    amount: i64,
) -> Result<Awarded> {
    actor.require(RoleKey::Organizer)?;
    let dungeon = check_dungeon(dungeon)?;
    let units = check_count(amount, "keys")?;
    let mut tx = pool.begin().await?;
    let config = point_config::point_config(&mut tx, guild).await?;
    let pop =
        key_pops::insert_manual(&mut tx, guild, member, &dungeon, units, actor.user_id).await?;
    let event = NewEvent {
        member_id: member,
        currency: Currency::Raider,
        kind: PointKind::KeyLogged,
        amount: config.key_pop(&dungeon).times(amount),
        units,
        dungeon_code: Some(dungeon),
        source: format!("pop:{pop}"),
    };
    let out = record_manual(&mut tx, guild, actor, event, None).await?;
    tx.commit().await?;
    Ok(out)
}

/// `/addquotapoints` and `/addpoints`: an officer's adjustment, ±9999, not 0, with a reason.
pub async fn adjust(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    member: Snowflake,
    currency: Currency,
    amount: &str,
    reason: &str,
) -> Result<Awarded> {
    actor.require(RoleKey::Officer)?;
    let amount = Points::parse_adjustment(amount)
        .map_err(|why| QuotaError::BadPoints { label: None, why })?;
    let reason = domain::limits::optional_text("Reason", Some(reason), 200)
        .map_err(QuotaError::BadReason)?
        .ok_or(QuotaError::ReasonRequired)?;
    let mut tx = pool.begin().await?;
    let source = point_events::adjustment_source(&mut tx).await?;
    let event = NewEvent {
        member_id: member,
        currency,
        kind: PointKind::Adjustment,
        amount,
        units: 1,
        dungeon_code: None,
        source,
    };
    let out = record_manual(&mut tx, guild, actor, event, Some(&reason)).await?;
    tx.commit().await?;
    Ok(out)
}
