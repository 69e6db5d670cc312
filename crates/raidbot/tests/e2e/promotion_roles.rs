//! Automatic promotion roles: an administrator adds rules with `/configpromotions`; the
//! members who reach a rule's threshold get its role once (a lower role taken), a DM and a
//! raid_log entry, whether the award came from a run's end, from /addpoints (also two at
//! once) or was earned before the rule existed.

use discord_sim::{CommandOption, InteractionResult, RoleId, UserId};

use crate::harness::{World, organizer_panel};

/// How many times the bot gave `role` to `user` (PUT on the member's role).
fn role_adds(w: &World, user: UserId, role: RoleId) -> usize {
    let tail = format!("/members/{}/roles/{}", user.0, role.0);
    w.sim
        .calls()
        .iter()
        .filter(|c| c.method == "PUT" && c.path.ends_with(&tail))
        .count()
}

fn text(res: &InteractionResult) -> String {
    res.content.clone().unwrap_or_default()
}

async fn promotions(w: &World, user: UserId, options: Vec<CommandOption>) -> InteractionResult {
    w.sim
        .run_command(w.guild, w.raid, user, "configpromotions", options)
        .await
}

async fn run_shatters(w: &World) {
    let org_msg = organizer_panel(&w.post_run("shatters", vec![]).await);
    // The new run's public panel (an ended run's panel has no Join button left).
    let panel = w
        .panel_where("a Join button", |m| {
            format!("{:?}", m.components).contains("Join")
        })
        .await;
    w.join(&panel, &w.raiders).await;
    w.sim
        .press(w.guild, w.organizer, w.raid, org_msg.id, "Start")
        .await;
    let res = w
        .sim
        .press(w.guild, w.organizer, w.raid, org_msg.id, "End run")
        .await;
    assert!(text(&res).starts_with("Run ended"), "{:?}", res.content);
}

#[tokio::test]
async fn completing_runs_promotes_once_with_a_dm_and_a_log_entry() {
    // The scenario's future is large: on the heap, not the test thread's stack.
    Box::pin(completing_runs_scenario()).await;
}

async fn completing_runs_scenario() {
    let w = World::new(2).await;
    w.configure().await;
    let sim = &w.sim;
    let veteran = sim.create_role(w.guild, "Shatters Veteran", 0, 3);
    let rookie = sim.create_role(w.guild, "Shatters Rookie", 0, 1);
    // Above the bot's own role (position 10): the bot could not give it.
    let too_high = sim.create_role(w.guild, "Council", 0, 20);
    let (a, b) = (w.raiders[0], w.raiders[1]);
    sim.set_member_roles(w.guild, a, &[w.raider_role, rookie]);

    let add = |role: RoleId, threshold: i64| {
        vec![
            CommandOption::string("action", "add"),
            CommandOption::string("kind", "completions"),
            CommandOption::int("threshold", threshold),
            CommandOption::role("role", role),
            CommandOption::string("dungeon", "shatters"),
            CommandOption::role("remove_role", rookie),
        ]
    };
    // Only administrators configure promotions.
    let res = promotions(&w, w.organizer, add(veteran, 1)).await;
    assert_eq!(
        res.content.as_deref(),
        Some("You need the Administrator role (or higher) to do this.")
    );
    // A role above the bot's is refused when the rule is made, not when it fires.
    let res = promotions(&w, w.admin, add(too_high, 1)).await;
    assert!(text(&res).contains("not below my highest role"), "{res:?}");

    let res = promotions(&w, w.admin, add(veteran, 1)).await;
    let answer = text(&res);
    assert!(answer.contains("Added promotion rule **#"), "{answer}");
    assert!(answer.contains("1 Shatters runs completed"), "{answer}");
    assert!(answer.contains("No member qualifies yet"), "{answer}");

    // The organizer runs Shatters with both raiders: both reach 1 completion.
    run_shatters(&w).await;
    w.settle().await;
    for r in [a, b] {
        assert!(w.has_role(r, veteran), "raider {r:?} was not promoted");
        assert_eq!(role_adds(&w, r, veteran), 1);
        w.dm_containing(r, "Congratulations! You reached 1 Shatters runs completed")
            .await;
    }
    assert!(!w.has_role(a, rookie), "the lower role was not taken");
    assert!(!w.has_role(w.organizer, veteran));
    assert_eq!(w.count_embeds(w.raid_log, "Member promoted"), 2);

    // A second run crosses the threshold again: nobody is promoted twice.
    run_shatters(&w).await;
    w.settle().await;
    for r in [a, b] {
        assert_eq!(role_adds(&w, r, veteran), 1);
        let dms = sim
            .dms(r)
            .iter()
            .filter(|m| m.content.contains("Congratulations"))
            .count();
        assert_eq!(dms, 1);
    }
    assert_eq!(w.count_embeds(w.raid_log, "Member promoted"), 2);

    // A rule added when members already qualify applies to them at once.
    let elite = sim.create_role(w.guild, "Runner", 0, 4);
    let res = promotions(
        &w,
        w.admin,
        vec![
            CommandOption::string("action", "add"),
            CommandOption::string("kind", "completions"),
            CommandOption::int("threshold", 2),
            CommandOption::role("role", elite),
        ],
    )
    .await;
    let answer = text(&res);
    assert!(
        answer.contains("2 members already qualify and are being promoted"),
        "{answer}"
    );
    w.settle().await;
    for r in [a, b] {
        assert!(w.has_role(r, elite));
        assert_eq!(role_adds(&w, r, elite), 1);
    }
    assert!(!w.has_role(w.organizer, elite));
    assert_eq!(w.count_embeds(w.raid_log, "Member promoted"), 4);

    // The list shows both rules; removing one keeps the roles it gave.
    let res = promotions(&w, w.admin, vec![CommandOption::string("action", "list")]).await;
    let listed = res
        .embeds
        .first()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        listed.contains("2 runs completed (any dungeon)"),
        "{listed}"
    );
    assert!(listed.contains("1 Shatters runs completed"), "{listed}");
}

#[tokio::test]
async fn two_awards_at_once_crossing_a_threshold_promote_once() {
    Box::pin(concurrent_awards_scenario()).await;
}

async fn concurrent_awards_scenario() {
    let w = World::new(3).await;
    w.configure().await;
    let sim = &w.sim;
    let popular = sim.create_role(w.guild, "Key Popper", 0, 3);
    let res = promotions(
        &w,
        w.admin,
        vec![
            CommandOption::string("action", "add"),
            CommandOption::string("kind", "raider_points"),
            CommandOption::int("threshold", 10),
            CommandOption::role("role", popular),
        ],
    )
    .await;
    assert!(text(&res).contains("No member qualifies yet"), "{res:?}");
    let award = |member: UserId| {
        sim.run_command(
            w.guild,
            w.raid,
            w.admin,
            "addpoints",
            vec![
                CommandOption::user("member", member),
                CommandOption::string("amount", "5"),
                CommandOption::string("reason", "event"),
            ],
        )
    };
    // Per raider, two awards of 5 at the same moment: 10 together, neither alone.
    for &r in &w.raiders {
        let (x, y) = tokio::join!(award(r), award(r));
        assert!(text(&x).contains("raider points"), "{x:?}");
        assert!(text(&y).contains("raider points"), "{y:?}");
    }
    w.settle().await;
    for &r in &w.raiders {
        assert!(w.has_role(r, popular), "{r:?} was not promoted");
        assert_eq!(role_adds(&w, r, popular), 1);
        let dms = sim
            .dms(r)
            .iter()
            .filter(|m| m.content.contains("Congratulations"))
            .count();
        assert_eq!(dms, 1);
    }
    assert_eq!(w.count_embeds(w.raid_log, "Member promoted"), 3);
    let grants: i64 = sqlx::query_scalar("SELECT count(*) FROM promotion_grant")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(grants, 3);
}
