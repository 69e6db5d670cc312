//! Sharding in the simulator, with real twilight shards: `GET /gateway/bot`, events routed
//! to the shard holding their guild, identify pacing per bucket (4008), RESUME from a saved
//! session on a new connection, and invalid sessions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use discord_sim::*;
use twilight_gateway::{
    CloseFrame, ConfigBuilder, Event, EventTypeFlags, Intents, Session, Shard, ShardId, StreamExt,
};
use twilight_http::Client;

fn crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

async fn sim_with(config: SimConfig) -> DiscordSim {
    crypto();
    DiscordSim::start_with(SimConfig {
        heartbeat_interval_ms: 300,
        ..config
    })
    .await
}

/// Each shard gets its own twilight queue, as shards of two processes would.
fn shard(sim: &DiscordSim, id: u32, total: u32) -> Shard {
    let config = ConfigBuilder::new(sim.bot_token().to_owned(), Intents::all())
        .proxy_url(sim.gateway_url())
        .build();
    Shard::with_config(ShardId::new(id, total), config)
}

/// The next dispatch, or `None` when nothing arrives within `wait`.
async fn next_within(shard: &mut Shard, wait: Duration) -> Option<Event> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let ev = tokio::time::timeout_at(deadline, shard.next_event(EventTypeFlags::all()))
            .await
            .ok()?
            .expect("stream open");
        match ev {
            Ok(Event::GatewayHeartbeatAck)
            | Ok(Event::GatewayHello(_))
            | Ok(Event::GatewayHeartbeat)
            | Ok(Event::GatewayReconnect)
            | Ok(Event::GatewayInvalidateSession(_)) => continue,
            Ok(e) => return Some(e),
            Err(e) => panic!("gateway error: {e:?}"),
        }
    }
}

async fn next(shard: &mut Shard) -> Event {
    loop {
        match next_within(shard, Duration::from_secs(10)).await {
            Some(Event::GatewayClose(_)) => continue,
            Some(e) => return e,
            None => panic!("no event in time"),
        }
    }
}

/// Reads READY and the GUILD_CREATEs that follow; returns the guild ids of READY.
async fn ready(shard: &mut Shard) -> Vec<u64> {
    let Event::Ready(r) = next(shard).await else {
        panic!("expected READY")
    };
    let ids: Vec<u64> = r.guilds.iter().map(|g| g.id.get()).collect();
    for _ in &ids {
        assert!(matches!(next(shard).await, Event::GuildCreate(_)));
    }
    ids
}

#[tokio::test]
async fn gateway_bot_reports_recommended_shards_and_the_session_start_limit() {
    let sim = sim_with(SimConfig {
        recommended_shards: 4,
        max_concurrency: 2,
        ..SimConfig::default()
    })
    .await;
    let http = Client::builder()
        .token(sim.bot_token().to_owned())
        .proxy(sim.http_proxy_addr(), true)
        .build();
    let info = http
        .gateway()
        .authed()
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    assert_eq!(info.shards, 4);
    assert_eq!(info.session_start_limit.total, 1000);
    assert_eq!(info.session_start_limit.remaining, 1000);
    assert_eq!(info.session_start_limit.max_concurrency, 2);
    assert!(info.session_start_limit.reset_after > 0);

    let mut s = shard(&sim, 0, 4);
    ready(&mut s).await;
    let info = http
        .gateway()
        .authed()
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    assert_eq!(
        info.session_start_limit.remaining, 999,
        "one identify spent"
    );
}

#[tokio::test]
async fn each_guild_is_served_by_one_shard_and_dms_by_shard_zero() {
    let sim = sim_with(SimConfig {
        max_concurrency: 2,
        ..SimConfig::default()
    })
    .await;
    let owner = sim.create_user("owner");
    let g0 = sim.create_guild_on_shard("Zero", owner, 0, 2);
    let g1 = sim.create_guild_on_shard("One", owner, 1, 2);
    assert_eq!(DiscordSim::shard_for_guild(g0, 2), 0);
    assert_eq!(DiscordSim::shard_for_guild(g1, 2), 1);
    let mut s0 = shard(&sim, 0, 2);
    let mut s1 = shard(&sim, 1, 2);
    assert_eq!(ready(&mut s0).await, vec![g0.get()]);
    assert_eq!(ready(&mut s1).await, vec![g1.get()]);
    assert_eq!(sim.connected_shards(), vec![[0, 2], [1, 2]]);

    let role = sim.create_role(g1, "Veteran", 0, 3);
    match next(&mut s1).await {
        Event::RoleCreate(r) => assert_eq!(r.role.id.get(), role.get()),
        other => panic!("expected the role on shard 1, got {other:?}"),
    }
    let role0 = sim.create_role(g0, "Rusher", 0, 3);
    match next(&mut s0).await {
        Event::RoleCreate(r) => assert_eq!(
            r.role.id.get(),
            role0.get(),
            "shard 0 never saw guild 1's role"
        ),
        other => panic!("expected the role on shard 0, got {other:?}"),
    }
    let member = sim.create_user("member");
    sim.send_dm(member, "hello", Vec::new());
    match next(&mut s0).await {
        Event::MessageCreate(m) => assert_eq!(m.content, "hello"),
        other => panic!("expected the DM on shard 0, got {other:?}"),
    }
    assert!(
        next_within(&mut s1, Duration::from_millis(500))
            .await
            .is_none(),
        "shard 1 receives neither guild 0's events nor DMs"
    );
}

#[tokio::test]
async fn a_second_identify_in_a_bucket_within_five_seconds_is_closed_with_4008() {
    let sim = sim_with(SimConfig::default()).await; // max_concurrency 1: one bucket
    let mut s0 = shard(&sim, 0, 2);
    ready(&mut s0).await;
    let mut s1 = shard(&sim, 1, 2);
    let mut closed = None;
    while closed.is_none() {
        match next_within(&mut s1, Duration::from_secs(5)).await {
            Some(Event::GatewayClose(Some(frame))) => closed = Some(frame.code),
            Some(other) => panic!("expected a close, got {other:?}"),
            None => panic!("no close in time"),
        }
    }
    assert_eq!(closed, Some(4008));
    // twilight reconnects and identifies again once its own 5 s have passed.
    ready(&mut s1).await;
    let logins: Vec<GatewayLogin> = sim
        .gateway_logins()
        .into_iter()
        .filter(|l| l.kind == LoginKind::Identify)
        .collect();
    let shards: Vec<([u32; 2], bool)> = logins.iter().map(|l| (l.shard, l.accepted)).collect();
    assert_eq!(
        shards,
        vec![([0, 2], true), ([1, 2], false), ([1, 2], true)]
    );
    assert!(logins.iter().all(|l| l.bucket == 0));
    let gap = logins[2].at.duration_since(logins[0].at);
    assert!(
        gap >= Duration::from_secs(5),
        "accepted identifies {gap:?} apart"
    );
    assert_eq!(sim.identify_count(), 2);
}

#[tokio::test]
async fn shards_in_different_buckets_identify_at_once() {
    let sim = sim_with(SimConfig {
        max_concurrency: 2,
        ..SimConfig::default()
    })
    .await;
    let mut s0 = shard(&sim, 0, 2);
    let mut s1 = shard(&sim, 1, 2);
    let (a, b) = tokio::join!(ready(&mut s0), ready(&mut s1));
    assert!(a.is_empty() && b.is_empty());
    let logins = sim.gateway_logins();
    assert_eq!(logins.len(), 2);
    assert!(logins.iter().all(|l| l.accepted));
    let mut buckets: Vec<u32> = logins.iter().map(|l| l.bucket).collect();
    buckets.sort_unstable();
    assert_eq!(buckets, vec![0, 1]);
}

#[tokio::test]
async fn a_new_connection_resumes_a_saved_session_and_gets_what_it_missed() {
    let sim = sim_with(SimConfig::default()).await;
    let owner = sim.create_user("owner");
    let guild = sim.create_guild_on_shard("Hall", owner, 1, 2);
    let mut first = shard(&sim, 1, 2);
    ready(&mut first).await;
    let saved = first.session().cloned().expect("a session after READY");
    let resume_url = first.resume_url().map(str::to_owned).expect("resume url");
    // The process dies: the socket goes away without a normal close.
    drop(first);
    let role = sim.create_role(guild, "Missed", 0, 2);
    let user = sim.create_user("late");
    sim.add_member(guild, user, &[role]);

    let config = ConfigBuilder::new(sim.bot_token().to_owned(), Intents::all())
        .proxy_url(sim.gateway_url())
        .session(Session::new(saved.sequence(), saved.id().to_owned()))
        .resume_url(resume_url)
        .build();
    let mut second = Shard::with_config(ShardId::new(1, 2), config);
    let (mut got_role, mut got_member) = (false, false);
    loop {
        match next(&mut second).await {
            Event::RoleCreate(r) => got_role = r.role.id.get() == role.get(),
            Event::MemberAdd(m) => got_member = m.user.id.get() == user.get(),
            Event::Resumed => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(got_role && got_member, "missed dispatches replayed");
    let kinds: Vec<(LoginKind, bool)> = sim
        .gateway_logins()
        .iter()
        .map(|l| (l.kind, l.accepted))
        .collect();
    assert_eq!(
        kinds,
        vec![(LoginKind::Identify, true), (LoginKind::Resume, true)]
    );
    assert_eq!(sim.connected_shards(), vec![[1, 2]]);
}

#[tokio::test]
async fn an_unknown_or_normally_closed_session_forces_a_new_identify() {
    let sim = sim_with(SimConfig {
        identify_interval: Duration::ZERO,
        ..SimConfig::default()
    })
    .await;
    let mut first = shard(&sim, 0, 1);
    ready(&mut first).await;
    let saved = first.session().cloned().unwrap();
    // A normal close (1000) ends the session on Discord: it cannot be resumed.
    first.close(CloseFrame::NORMAL);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while sim.gateway_connected() {
        assert!(
            std::time::Instant::now() < deadline,
            "the close never arrived"
        );
        let _ = tokio::time::timeout(
            Duration::from_millis(50),
            first.next_event(EventTypeFlags::all()),
        )
        .await;
    }
    drop(first);
    let config = ConfigBuilder::new(sim.bot_token().to_owned(), Intents::all())
        .proxy_url(sim.gateway_url())
        .session(Session::new(saved.sequence(), saved.id().to_owned()))
        .build();
    let mut second = Shard::with_config(ShardId::ONE, config);
    assert!(matches!(next(&mut second).await, Event::Ready(_)));
    let kinds: Vec<(LoginKind, bool)> = sim
        .gateway_logins()
        .iter()
        .map(|l| (l.kind, l.accepted))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (LoginKind::Identify, true),
            (LoginKind::Resume, false),
            (LoginKind::Identify, true)
        ]
    );
}
