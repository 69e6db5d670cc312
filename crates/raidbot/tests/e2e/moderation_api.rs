//! Punishments given through the REST API, which cannot see Discord's roles: the bot's
//! apply job re-checks Discord's hierarchy before acting, and refuses (and logs) when the
//! target outranks the key.

use domain::Snowflake;
use domain::moderation::{PunishmentKind, TargetFacts};
use service::Actor;
use service::moderation::{PunishRequest, Target};

use crate::harness::{WAIT, World};
use crate::moderation::setup;

fn api_key(level: u8) -> Actor {
    Actor {
        user_id: None,
        level: domain::Level(level),
        label: "api key 'dashboard'".into(),
    }
}

/// What the API passes: the target's id only.
fn api_target(user: u64) -> Target {
    Target {
        facts: TargetFacts {
            user_id: Snowflake::new(user).unwrap(),
            level: domain::Level::NONE,
            is_owner: false,
            top_position: None,
        },
        bot_top_position: None,
    }
}

fn mute(reason: &str) -> PunishRequest {
    PunishRequest {
        kind: PunishmentKind::Mute,
        reason: reason.into(),
        duration: Some("2h".into()),
        delete_days: None,
    }
}

#[tokio::test]
async fn an_api_mute_of_someone_who_outranks_the_key_is_refused_by_the_job_and_logged() {
    let w = World::new(1).await;
    let m = setup(&w).await;
    let guild = Snowflake::new(w.guild.0).unwrap();
    let raider = w.raiders[0];

    // A security-level key mutes an officer: the API cannot tell, the job can.
    let refused = service::moderation::punish(
        &w.db.pool,
        guild,
        &api_key(4),
        &api_target(m.officer.0),
        mute("spam"),
    )
    .await
    .unwrap();
    // And mutes a raider, which is fine.
    let given = service::moderation::punish(
        &w.db.pool,
        guild,
        &api_key(4),
        &api_target(raider.0),
        mute("spam"),
    )
    .await
    .unwrap();

    let sim = &w.sim;
    let entry = sim
        .eventually(WAIT, || {
            sim.messages(m.log).into_iter().find(|msg| {
                msg.embeds
                    .first()
                    .and_then(|e| e["title"].as_str())
                    .is_some_and(|t| t.ends_with(&refused.code))
            })
        })
        .await
        .expect("a log entry for the refused mute");
    let embed = entry.embeds[0].to_string();
    assert!(embed.contains("Not applied on Discord"), "{embed}");
    assert!(embed.contains("only act on members below"), "{embed}");

    // The raider's mute went through: role given.
    let muted = sim
        .eventually(WAIT, || {
            sim.member(w.guild, raider)
                .filter(|mem| mem.roles.contains(&m.muted))
                .map(|_| ())
        })
        .await;
    assert!(muted.is_some(), "the raider is muted");
    // The officer was not muted, not DMed, and the row says why.
    assert!(
        !sim.member(w.guild, m.officer)
            .unwrap()
            .roles
            .contains(&m.muted)
    );
    assert!(sim.dms(m.officer).is_empty());
    let row = service::moderation::get(&w.db.pool, guild, refused.punishment_id)
        .await
        .unwrap();
    assert_eq!(row.status, store::punishments::PunishmentStatus::Removed);
    assert!(row.apply_error.unwrap().starts_with("refused:"));
    let ok = service::moderation::get(&w.db.pool, guild, given.punishment_id)
        .await
        .unwrap();
    assert_eq!(ok.status, store::punishments::PunishmentStatus::Active);
}
