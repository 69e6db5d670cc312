//! Automatic awards: ended runs, moderation actions (and taking them back).

use super::*;

/// Awards an ended run, in the caller's transaction (the one that ended it). The organizer
/// gets the quota value of each dungeon completed; each raider present at a completion gets
/// the completion value, and whoever popped a key the key-pop value. Completions are the
/// run's key pops (each with its roster snapshot); a run without key pops completes one
/// dungeon for the raiders joined at the end. Cancelled runs award nothing. Calling this
/// twice for one run writes nothing the second time (unique source keys).
pub async fn on_run_ended(tx: &mut PgConnection, run: &Run) -> Result<usize> {
    let mut jobs = crate::runs::Jobs::new();
    let written = award_run(tx, run, &mut jobs).await?;
    crate::tasks::queue_many(tx, &jobs).await?;
    Ok(written)
}

/// [`on_run_ended`] with the promotion check it queues (when the guild has promotion rules)
/// added to `jobs`, for the caller to queue with its own.
pub(crate) async fn award_run(
    tx: &mut PgConnection,
    run: &Run,
    jobs: &mut crate::runs::Jobs,
) -> Result<usize> {
    award_runs(tx, &[(run.guild_id, run.run_id)], jobs).await
}

/// [`award_run`] for several ended runs: what they need is read with one statement, and
/// the events of a guild's runs ended at the same time (those a batch ended together) are
/// written with one more. Returns how many events were written.
pub(crate) async fn award_runs(
    tx: &mut PgConnection,
    runs: &[(Snowflake, i64)],
    jobs: &mut crate::runs::Jobs,
) -> Result<usize> {
    if runs.is_empty() {
        return Ok(0);
    }
    let mut awards = run_awards::run_awards(tx, runs).await?;
    awards.retain(|a| a.ended);
    awards.sort_by_key(|a| (a.guild_id, a.ended_at, a.run_id));
    let mut written = 0;
    for group in awards.chunk_by(|a, b| (a.guild_id, a.ended_at) == (b.guild_id, b.ended_at)) {
        let Some(first) = group.first() else {
            continue;
        };
        let guild = first.guild_id;
        let events: Vec<(NewEvent, Option<Snowflake>)> = group
            .iter()
            .flat_map(|award| run_events(award).into_iter().map(|e| (e, award.closed_by)))
            .collect();
        let at = first.ended_at.unwrap_or_else(Utc::now);
        let awarded = point_events::insert_caused_events_in(
            tx,
            guild,
            &first.config.schedule,
            &events,
            None,
            at,
        )
        .await?;
        // The promotion check (only in a guild with promotion rules, which the award's read
        // tells) is queued with the caller's jobs: no statement of its own.
        if first.promotion_rules {
            let members: Vec<Snowflake> = awarded.iter().map(|w| w.member_id).collect();
            if let Some(task) = crate::promotions::check_task(members) {
                jobs.push((guild, task, None));
            }
        }
        written += awarded.len();
    }
    Ok(written)
}

/// An ended run's events: the organizer's quota for each dungeon completed, each raider's
/// completions and each popper's key pops.
fn run_events(award: &run_awards::RunAward) -> Vec<NewEvent> {
    let run_id = award.run_id;
    let config = &award.config;
    let pops = &award.key_pops;
    let value_of = |dungeon: &str| match &award.organizer_role {
        Some(q) => q.run_value(dungeon, is_exalt(dungeon)),
        None => Points::ONE,
    };
    let run_source = format!("run:{run_id}");
    let mut events = Vec::new();
    let (organizer_amount, completed) = if pops.is_empty() {
        for raider in &award.joined {
            events.push(NewEvent {
                member_id: *raider,
                currency: Currency::Raider,
                kind: PointKind::RunCompleted,
                amount: config.completion(&award.dungeon_code),
                units: 1,
                dungeon_code: Some(award.dungeon_code.clone()),
                source: run_source.clone(),
            });
        }
        (value_of(&award.dungeon_code), 1)
    } else {
        let mut total = Points::ZERO;
        for (pop_id, popper, dungeon, count, raiders) in pops {
            total.0 += value_of(dungeon).0;
            let source = format!("pop:{pop_id}");
            events.push(NewEvent {
                member_id: *popper,
                currency: Currency::Raider,
                kind: PointKind::KeyPopped,
                amount: config.key_pop(dungeon).times(i64::from(*count)),
                units: *count,
                dungeon_code: Some(dungeon.clone()),
                source: source.clone(),
            });
            for raider in raiders {
                events.push(NewEvent {
                    member_id: *raider,
                    currency: Currency::Raider,
                    kind: PointKind::RunCompleted,
                    amount: config.completion(dungeon),
                    units: 1,
                    dungeon_code: Some(dungeon.clone()),
                    source: source.clone(),
                });
            }
        }
        (total, i32::try_from(pops.len()).unwrap_or(i32::MAX))
    };
    events.push(NewEvent {
        member_id: award.organizer_id,
        currency: Currency::Quota,
        kind: PointKind::RunOrganized,
        amount: organizer_amount,
        units: completed,
        dungeon_code: Some(award.dungeon_code.clone()),
        source: run_source,
    });
    events
}

/// Awards a moderation action's quota points to `moderator` (0 when their quota role gives
/// none), once per `reference` (e.g. `warn:<id>`). For the moderation features to call in
/// their own transactions.
pub async fn award_moderation(
    tx: &mut PgConnection,
    guild: Snowflake,
    moderator: Snowflake,
    action: ModAction,
    reference: &str,
) -> Result<bool> {
    let value = quota_roles::highest_quota_role(tx, guild, moderator)
        .await?
        .and_then(|q| q.moderation.get(action.as_str()).copied())
        .unwrap_or(Points::ZERO);
    if value == Points::ZERO && action != ModAction::Verify {
        return Ok(false);
    }
    let event = NewEvent {
        member_id: moderator,
        currency: Currency::Quota,
        kind: PointKind::Moderation(action),
        amount: value,
        units: 1,
        dungeon_code: None,
        source: format!("mod:{reference}"),
    };
    let written =
        point_events::insert_events(tx, guild, &[event], Some(moderator), None, Utc::now()).await?;
    Ok(!written.is_empty())
}

/// Takes back what [`award_moderation`] gave for `reference` (a punishment issued in
/// error): one reversing event per award, keyed `mod:<reference>:undo`, so a second call,
/// a retry or a second process takes nothing more. Returns whether points were taken.
pub async fn take_back_moderation(
    tx: &mut PgConnection,
    guild: Snowflake,
    reference: &str,
    by: Option<Snowflake>,
    reason: &str,
) -> Result<bool> {
    let awarded = point_events::by_source(tx, guild, &format!("mod:{reference}")).await?;
    let undo: Vec<NewEvent> = awarded
        .iter()
        .filter(|w| w.amount != Points::ZERO)
        .map(|w| NewEvent {
            member_id: w.member_id,
            currency: w.currency,
            kind: w.kind,
            amount: Points(-w.amount.0),
            units: -w.units,
            dungeon_code: None,
            source: format!("mod:{reference}:undo"),
        })
        .collect();
    if undo.is_empty() {
        return Ok(false);
    }
    let reason: String = reason.chars().take(200).collect();
    let written =
        point_events::insert_events(tx, guild, &undo, by, Some(&reason), Utc::now()).await?;
    Ok(!written.is_empty())
}

/// Queues a coalesced refresh of the guild's quota panels.
pub async fn refresh_panels(conn: &mut PgConnection, guild: Snowflake) -> store::Result<()> {
    let due = tasks::panel_refresh_due();
    tasks::queue(conn, guild, Task::QuotaPanelsRefresh, Some(due)).await?;
    Ok(())
}
