//! Budgets, not timings: how many SQL statements, transactions and Discord REST calls one
//! Join click, the panel refresh it causes and an award cause. A change that adds a query
//! or a Discord call to a hot path fails here, on any machine, however fast it is.
//!
//! The statements are counted by `store::testing::queries` (sqlx's statement events, per
//! interaction or job span); the Discord calls are the simulator's recorded calls.
//! Raising a budget is allowed when a feature needs it: say why in the commit.

use std::time::Duration;

use discord_sim::{CommandOption, RecordedCall};
use store::testing::queries::{self, Work};

use crate::harness::{WAIT, World};

/// One Join click by a raider who is not in the run yet (their roles already seen), the
/// first in the panel's coalescing window: the join's transaction (run gate with the
/// suspension, roster entry, upsert, panel refresh and run role jobs, commit), the
/// command log line, and (9 since issue 16's chaos tests) the `event_taken` row that keeps
/// an interaction the gateway replays after a crash from being handled twice.
/// 6 since the join's gate and roster entry are read together and its jobs go in one insert
/// (the batch's statements, also for a join that arrives alone).
const JOIN: Budget = Budget {
    statements: 6,
    transactions: 1,
    discord_calls: 1,
};
/// One coalesced panel refresh (any number of joins within the coalescing window): the
/// spacing check, the panel's read model, and the job's completion.
const PANEL_REFRESH: Budget = Budget {
    statements: 5,
    transactions: 1,
    discord_calls: 1,
};
/// Ending a live run with three raiders, the guild's first award (it opens the points
/// period): the transition, the award of points to the organizer and each raider, the
/// jobs, the answer's read of the run and the command log. Its Discord side effects
/// (panel, roles, logs) are jobs of their own. One more (25) for the `event_taken` row
/// every interaction records (see `JOIN`). 23 since the end of a run is audited
/// (who ended it: a member or an API key), one insert in the same transaction. A full run
/// on a loaded machine once counted 24, with one points-period query twice: opening the
/// period (`point_periods::ensure_period`) reads it again after creating it, and whether it
/// is already open when the award runs depends on timing; the budget is the larger figure.
/// 26 with automatic promotion roles: the award queues the promotion check of the members
/// it touched, one insert that writes nothing when the guild has no promotion rule.
/// 22 (21 counted, and one for the period read above) since the run comes back from the
/// statement that closes it instead of being read again, and the close's jobs (cleanup,
/// raid_log entry, panel refresh) go in one insert.
/// 20 (19 counted, and one for the period read above) since the end is one statement with
/// its checks (no lock-and-read of the run first) and the award's read tells whether the
/// guild has promotion rules, so the check job goes with the other jobs.
const END_WITH_AWARD: Budget = Budget {
    statements: 20,
    transactions: 1,
    discord_calls: 1,
};

#[derive(Debug, Clone, Copy)]
struct Budget {
    statements: usize,
    transactions: usize,
    discord_calls: usize,
}

fn check(what: &str, work: &Work, calls: &[RecordedCall], budget: Budget) {
    let routes: Vec<&str> = calls.iter().map(|c| c.route.as_str()).collect();
    println!("{what}: {work}\n  Discord calls: {routes:?}");
    assert!(
        work.statements <= budget.statements && work.transactions <= budget.transactions,
        "{what} is over its database budget ({} statements, {} transactions): {work}",
        budget.statements,
        budget.transactions
    );
    assert!(
        calls.len() <= budget.discord_calls,
        "{what} is over its Discord budget ({} calls): {routes:?}",
        budget.discord_calls
    );
}

/// Waits until the span `span` labelled `label` has finished on this test's thread (the
/// bot writes its command log after answering) and returns its work.
async fn unit(w: &World, span: &str, label: &str, nth: usize) -> Work {
    w.sim
        .eventually(WAIT, || queries::finished(span, label).get(nth).cloned())
        .await
        .unwrap_or_else(|| {
            panic!(
                "no finished {span} '{label}' #{nth}; seen: {:?}",
                queries::finished_here()
                    .iter()
                    .map(|u| format!("{} {}", u.span, u.label))
                    .collect::<Vec<_>>()
            )
        })
}

/// Waits until no job is due within the next minute (timers such as auto-end stay), so
/// every Discord side effect of what happened has been delivered.
async fn outbox_drained(w: &World) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let busy: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM job WHERE state IN ('pending', 'running')
               AND due_at < now() + interval '1 minute'",
        )
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
        if busy == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the outbox did not drain"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn calls_since(w: &World, before: usize) -> Vec<RecordedCall> {
    w.sim.calls().into_iter().skip(before).collect()
}

#[tokio::test]
async fn a_join_click_its_panel_refresh_and_an_award_stay_within_budget() {
    let w = World::new(3).await;
    assert!(
        queries::install(),
        "another tracing subscriber was installed first; statements cannot be counted"
    );
    let _counting = queries::counting();
    w.configure().await;
    let sim = &w.sim;
    let org = sim
        .run_command(
            w.guild,
            w.raid,
            w.organizer,
            "run",
            vec![CommandOption::string("dungeon", "shatters")],
        )
        .await;
    let panel = w.panel().await;
    let run_id: i64 = sqlx::query_scalar("SELECT run_id FROM run")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    // Each raider's roles are recorded on their first interaction (quota panels learn
    // who holds which role): let every raider be seen once, by a harmless click.
    for r in &w.raiders {
        sim.press(w.guild, *r, w.raid, panel.id, "Leave").await;
    }
    outbox_drained(&w).await;

    // One click: the interaction's own work, then every Discord call it leads to.
    let join = format!("run:join:{run_id}");
    let refreshes = queries::finished("job", "run_panel_refresh").len();
    let before = sim.calls().len();
    let res = sim
        .press(w.guild, w.raiders[0], w.raid, panel.id, "Join")
        .await;
    assert!(res.is_ok(), "{:?}", res.content);
    let work = unit(&w, "interaction", &join, 0).await;
    outbox_drained(&w).await;
    let calls = calls_since(&w, before);
    let (refresh_calls, click_calls): (Vec<_>, Vec<_>) = calls
        .into_iter()
        .partition(|c| c.route == "PATCH /channels/{channel_id}/messages/{message_id}");
    let role_calls = click_calls
        .iter()
        .filter(|c| c.route.contains("/roles/"))
        .count();
    let answer_calls: Vec<RecordedCall> = click_calls
        .into_iter()
        .filter(|c| !c.route.contains("/roles/"))
        .collect();
    check("a Join click", &work, &answer_calls, JOIN);
    assert!(
        role_calls <= 1,
        "a Join click gives the run role at most once"
    );
    let refresh = unit(&w, "job", "run_panel_refresh", refreshes).await;
    check("its panel refresh", &refresh, &refresh_calls, PANEL_REFRESH);

    // Two more joins within the coalescing window still make one refresh.
    let before = sim.calls().len();
    for r in &w.raiders[1..] {
        sim.press(w.guild, *r, w.raid, panel.id, "Join").await;
    }
    outbox_drained(&w).await;
    let edits = calls_since(&w, before)
        .iter()
        .filter(|c| c.route == "PATCH /channels/{channel_id}/messages/{message_id}")
        .count();
    assert!(
        edits <= 2,
        "two joins in a row edited the panel {edits} times"
    );

    // The organizer starts and ends the run: three raiders and the organizer get points.
    let org_msg = org.message.clone().unwrap();
    sim.press(w.guild, w.organizer, w.raid, org_msg.id, "Start")
        .await;
    outbox_drained(&w).await;
    let before = sim.calls().len();
    let res = sim
        .press(w.guild, w.organizer, w.raid, org_msg.id, "End run")
        .await;
    assert_eq!(res.content.as_deref(), Some("Run ended with 3 raiders."));
    let end = unit(&w, "interaction", &format!("run:end:{run_id}"), 0).await;
    let answer: Vec<RecordedCall> = calls_since(&w, before)
        .into_iter()
        .filter(|c| c.route.starts_with("POST /interactions"))
        .collect();
    check("ending a run with its award", &end, &answer, END_WITH_AWARD);
    let awarded: i64 = sqlx::query_scalar("SELECT count(*) FROM point_event")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(awarded, 4);
}
