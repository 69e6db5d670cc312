//! Real twilight clients against the simulator.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use discord_sim::*;
use twilight_gateway::{ConfigBuilder, Event, EventTypeFlags, Intents, Shard, ShardId, StreamExt};
use twilight_http::Client;
use twilight_http::request::Request;
use twilight_http::routing::Route;
use twilight_model::application::interaction::InteractionData;
use twilight_model::http::interaction::{
    InteractionResponse, InteractionResponseData, InteractionResponseType,
};
use twilight_model::id::Id;

fn crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

async fn sim_fast() -> DiscordSim {
    crypto();
    DiscordSim::start_with(SimConfig {
        heartbeat_interval_ms: 300,
        ..SimConfig::default()
    })
    .await
}

fn http(sim: &DiscordSim) -> Client {
    Client::builder()
        .token(sim.bot_token().to_owned())
        .proxy(sim.http_proxy_addr(), true)
        .timeout(Duration::from_secs(5))
        .build()
}

fn shard(sim: &DiscordSim) -> Shard {
    let config = ConfigBuilder::new(sim.bot_token().to_owned(), Intents::all())
        .proxy_url(sim.gateway_url())
        .build();
    Shard::with_config(ShardId::ONE, config)
}

async fn next(shard: &mut Shard) -> Event {
    loop {
        let ev = tokio::time::timeout(
            Duration::from_secs(5),
            shard.next_event(EventTypeFlags::all()),
        )
        .await
        .expect("event in time")
        .expect("stream open");
        match ev {
            Ok(Event::GatewayHeartbeatAck)
            | Ok(Event::GatewayHello(_))
            | Ok(Event::GatewayClose(_)) => continue,
            Ok(e) => return e,
            Err(e) => panic!("gateway error (payload did not deserialize?): {e:?}"),
        }
    }
}

fn api_code(e: &twilight_http::Error) -> (u16, u64) {
    match e.kind() {
        twilight_http::error::ErrorType::Response { body, status, .. } => {
            let v: serde_json::Value = serde_json::from_slice(body).unwrap();
            (status.get(), v["code"].as_u64().unwrap())
        }
        other => panic!("not a response error: {other:?}"),
    }
}

struct World {
    sim: DiscordSim,
    owner: UserId,
    guild: GuildId,
    channel: ChannelId,
}

async fn world() -> World {
    let sim = sim_fast().await;
    let owner = sim.create_user("owner");
    let guild = sim.create_guild("Raid Hall", owner);
    let channel = sim.create_channel(guild, "raids", ChannelKind::Text);
    World {
        sim,
        owner,
        guild,
        channel,
    }
}

async fn register_run(w: &World, http: &Client) {
    let app = Id::new(w.sim.application_id());
    let cmd = twilight_model::application::command::Command {
        application_id: None,
        contexts: None,
        default_member_permissions: None,
        #[allow(deprecated)]
        dm_permission: None,
        description: "Start a raid".to_owned(),
        description_localizations: None,
        guild_id: None,
        id: None,
        integration_types: None,
        kind: twilight_model::application::command::CommandType::ChatInput,
        name: "run".to_owned(),
        name_localizations: None,
        nsfw: None,
        options: vec![twilight_model::application::command::CommandOption {
            autocomplete: Some(true),
            channel_types: None,
            choices: None,
            description: "Dungeon".to_owned(),
            file_types: None,
            description_localizations: None,
            kind: twilight_model::application::command::CommandOptionType::String,
            max_length: None,
            max_value: None,
            min_length: None,
            min_value: None,
            name: "dungeon".to_owned(),
            name_localizations: None,
            options: None,
            required: Some(true),
        }],
        version: Id::new(1),
    };
    let set = http
        .interaction(app)
        .set_guild_commands(Id::new(w.guild.0), &[cmd])
        .await
        .unwrap()
        .models()
        .await
        .unwrap();
    assert_eq!(set.len(), 1);
}

#[tokio::test]
async fn shard_gets_ready_guild_create_and_heartbeat_ack() {
    let w = world().await;
    let mut shard = shard(&w.sim);
    match next(&mut shard).await {
        Event::Ready(r) => {
            assert_eq!(r.user.id.get(), w.sim.bot_user_id());
            assert_eq!(r.application.id.get(), w.sim.application_id());
            assert_eq!(r.guilds.len(), 1);
        }
        other => panic!("expected READY, got {other:?}"),
    }
    match next(&mut shard).await {
        Event::GuildCreate(g) => {
            let twilight_model::gateway::payload::incoming::GuildCreate::Available(g) = *g else {
                panic!("unavailable")
            };
            assert_eq!(g.id.get(), w.guild.0);
            assert_eq!(g.owner_id.get(), w.owner.0);
            assert_eq!(g.channels.len(), 1);
            assert!(
                g.members
                    .iter()
                    .any(|m| m.user.id.get() == w.sim.bot_user_id())
            );
            assert!(g.roles.iter().any(|r| r.managed));
        }
        other => panic!("expected GUILD_CREATE, got {other:?}"),
    }
    assert!(w.sim.gateway_connected());
    assert_eq!(w.sim.identify_count(), 1);
    // heartbeats get acked (interval 300 ms, first one jittered)
    let start = std::time::Instant::now();
    while shard.latency().recent().is_empty() {
        assert!(start.elapsed() < Duration::from_secs(3), "no heartbeat ack");
        let _ = tokio::time::timeout(
            Duration::from_millis(100),
            shard.next_event(EventTypeFlags::all()),
        )
        .await;
    }
    // events for later set-up arrive live
    let role = w.sim.create_role(w.guild, "Veteran", 0, 3);
    match next(&mut shard).await {
        Event::RoleCreate(r) => assert_eq!(r.role.id.get(), role.0),
        other => panic!("expected GUILD_ROLE_CREATE, got {other:?}"),
    }
}

#[tokio::test]
async fn drop_gateway_then_resume_replays_missed_events() {
    let w = world().await;
    let mut shard = shard(&w.sim);
    assert!(matches!(next(&mut shard).await, Event::Ready(_)));
    assert!(matches!(next(&mut shard).await, Event::GuildCreate(_)));
    w.sim.drop_gateway();
    let role = w.sim.create_role(w.guild, "Missed", 0, 2);
    let user = w.sim.create_user("late");
    w.sim.add_member(w.guild, user, &[role]);
    let mut got_role = false;
    let mut got_member = false;
    loop {
        match next(&mut shard).await {
            Event::RoleCreate(r) => got_role = r.role.id.get() == role.0,
            Event::MemberAdd(m) => got_member = m.user.id.get() == user.0,
            Event::Resumed => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        got_role && got_member,
        "missed dispatches replayed before RESUMED"
    );
    assert_eq!(w.sim.resume_count(), 1);
    assert_eq!(w.sim.identify_count(), 1);
    assert!(w.sim.gateway_connected());
}

#[tokio::test]
async fn wrong_gateway_token_is_closed_with_4004() {
    let w = world().await;
    let config = ConfigBuilder::new("nope".to_owned(), Intents::empty())
        .proxy_url(w.sim.gateway_url())
        .build();
    let mut shard = Shard::with_config(ShardId::ONE, config);
    let mut closed = None;
    while let Some(ev) = tokio::time::timeout(
        Duration::from_secs(5),
        shard.next_event(EventTypeFlags::all()),
    )
    .await
    .unwrap()
    {
        if let Ok(Event::GatewayClose(Some(frame))) = ev {
            closed = Some(frame.code);
        }
    }
    assert_eq!(closed, Some(4004));
    let bad = Client::builder()
        .token("nope".to_owned())
        .proxy(w.sim.http_proxy_addr(), true)
        .build();
    let err = bad.current_user().await.unwrap_err();
    assert_eq!(api_code(&err).0, 401);
}

/// A fake bot: answers `/run` with an ephemeral reply, autocomplete with choices,
/// button "join" with a modal, and the modal with an update.
async fn fake_bot(sim: DiscordSim, answer_delay: Duration) {
    let http = http(&sim);
    let mut shard = shard(&sim);
    let app = Id::new(sim.application_id());
    while let Some(ev) = shard.next_event(EventTypeFlags::all()).await {
        let Ok(Event::InteractionCreate(i)) = ev else {
            continue;
        };
        tokio::time::sleep(answer_delay).await;
        let response = match &i.data {
            Some(InteractionData::ApplicationCommand(cmd)) if i.kind == twilight_model::application::interaction::InteractionType::ApplicationCommandAutocomplete => {
                assert_eq!(cmd.name, "run");
                InteractionResponse {
                    kind: InteractionResponseType::ApplicationCommandAutocompleteResult,
                    data: Some(InteractionResponseData {
                        choices: Some(vec![twilight_model::application::command::CommandOptionChoice {
                            name: "Shatters".to_owned(),
                            name_localizations: None,
                            value: twilight_model::application::command::CommandOptionChoiceValue::String("shatters".to_owned()),
                        }]),
                        ..Default::default()
                    }),
                }
            }
            Some(InteractionData::ApplicationCommand(cmd)) => {
                let dungeon = match &cmd.options[0].value {
                    twilight_model::application::interaction::application_command::CommandOptionValue::String(s) => s.clone(),
                    _ => String::new(),
                };
                if dungeon == "public" {
                    // a public panel with a button
                    InteractionResponse {
                        kind: InteractionResponseType::ChannelMessageWithSource,
                        data: Some(InteractionResponseData {
                            content: Some("Raid panel".to_owned()),
                            components: Some(vec![twilight_model::channel::message::Component::ActionRow(
                                twilight_model::channel::message::component::ActionRow {
                                    id: None,
                                    components: vec![twilight_model::channel::message::Component::Button(
                                        twilight_model::channel::message::component::Button {
                                            id: None,
                                            custom_id: Some("join".to_owned()),
                                            disabled: false,
                                            emoji: None,
                                            label: Some("Join".to_owned()),
                                            style: twilight_model::channel::message::component::ButtonStyle::Primary,
                                            url: None,
                                            sku_id: None,
                                        },
                                    )],
                                },
                            )]),
                            ..Default::default()
                        }),
                    }
                } else {
                    InteractionResponse {
                        kind: InteractionResponseType::ChannelMessageWithSource,
                        data: Some(InteractionResponseData {
                            content: Some(format!("Started {dungeon}")),
                            flags: Some(twilight_model::channel::message::MessageFlags::EPHEMERAL),
                            ..Default::default()
                        }),
                    }
                }
            }
            Some(InteractionData::MessageComponent(c)) => {
                assert_eq!(c.custom_id, "join");
                let modal = serde_json::json!({
                    "type": 9,
                    "data": {"custom_id": "join-modal", "title": "Join", "components": [
                        {"type": 1, "components": [{"type": 4, "custom_id": "ign", "label": "IGN", "style": 1, "max_length": 20, "required": true}]}
                    ]}
                });
                serde_json::from_value(modal).unwrap()
            }
            Some(InteractionData::ModalSubmit(m)) => {
                let v = serde_json::to_value(&m.components).unwrap();
                let ign = v[0]["components"][0]["value"].as_str().unwrap_or("").to_owned();
                InteractionResponse {
                    kind: InteractionResponseType::UpdateMessage,
                    data: Some(InteractionResponseData { content: Some(format!("Raid panel: {ign} joined")), ..Default::default() }),
                }
            }
            _ => continue,
        };
        let res = http
            .interaction(app)
            .create_response(i.id, &i.token, &response)
            .await;
        if let Err(e) = res {
            tracing::warn!("fake bot: response failed: {e}");
        }
    }
}

#[tokio::test]
async fn command_reply_is_ephemeral_and_flows_work() {
    let w = world().await;
    let http = http(&w.sim);
    register_run(&w, &http).await;
    tokio::spawn(fake_bot(w.sim.clone(), Duration::ZERO));
    w.sim
        .eventually(Duration::from_secs(3), || {
            w.sim.gateway_connected().then_some(())
        })
        .await
        .unwrap();

    let res = w
        .sim
        .run_command(
            w.guild,
            w.channel,
            w.owner,
            "run",
            vec![CommandOption::string("dungeon", "shatters")],
        )
        .await;
    assert_eq!(res.kind, ResponseKind::Reply);
    assert!(res.ephemeral);
    assert_eq!(res.content.as_deref(), Some("Started shatters"));
    assert_eq!(w.sim.ephemerals(w.owner).len(), 1);
    assert!(
        w.sim.messages(w.channel).is_empty(),
        "ephemeral replies are not in the channel"
    );

    // option validation by the simulated client
    let res = w
        .sim
        .run_command(w.guild, w.channel, w.owner, "run", vec![])
        .await;
    assert!(matches!(res.kind, ResponseKind::Rejected(_)));

    // autocomplete
    let choices = w
        .sim
        .autocomplete(
            w.guild,
            w.channel,
            w.owner,
            "run",
            vec![CommandOption::string("dungeon", "sha").focused()],
        )
        .await
        .unwrap();
    assert_eq!(choices[0].name, "Shatters");

    // public panel -> button -> modal -> update
    let res = w
        .sim
        .run_command(
            w.guild,
            w.channel,
            w.owner,
            "run",
            vec![CommandOption::string("dungeon", "public")],
        )
        .await;
    assert_eq!(res.kind, ResponseKind::Reply);
    let panel = w.sim.messages(w.channel)[0].clone();
    assert_eq!(panel.buttons()[0].label.as_deref(), Some("Join"));
    let opened = w
        .sim
        .press(w.guild, w.owner, w.channel, panel.id, "Join")
        .await;
    assert_eq!(opened.kind, ResponseKind::Modal);
    assert_eq!(opened.modal.as_ref().unwrap().inputs[0].custom_id, "ign");
    let submitted = w
        .sim
        .submit_modal(w.owner, &opened, &[("ign", "Bob")])
        .await;
    assert_eq!(submitted.kind, ResponseKind::UpdateMessage);
    assert_eq!(
        w.sim.message(w.channel, panel.id).unwrap().content,
        "Raid panel: Bob joined"
    );
    // too long for max_length 20: the client refuses
    let refused = w
        .sim
        .submit_modal(w.owner, &opened, &[("ign", &"x".repeat(21))])
        .await;
    assert!(matches!(refused.kind, ResponseKind::Rejected(_)));
}

#[tokio::test]
async fn late_answer_gets_10062() {
    crypto();
    let sim = DiscordSim::start_with(SimConfig {
        heartbeat_interval_ms: 300,
        interaction_deadline: Duration::from_millis(300),
        ..SimConfig::default()
    })
    .await;
    let owner = sim.create_user("owner");
    let guild = sim.create_guild("g", owner);
    let channel = sim.create_channel(guild, "c", ChannelKind::Text);
    let w = World {
        sim: sim.clone(),
        owner,
        guild,
        channel,
    };
    let http = http(&sim);
    register_run(&w, &http).await;
    // a shard that never answers
    let mut s = shard(&sim);
    assert!(matches!(next(&mut s).await, Event::Ready(_)));
    tokio::spawn(async move { while s.next_event(EventTypeFlags::all()).await.is_some() {} });
    let res = sim
        .run_command(
            guild,
            channel,
            owner,
            "run",
            vec![CommandOption::string("dungeon", "x")],
        )
        .await;
    assert_eq!(res.kind, ResponseKind::TimedOut);
    let response = InteractionResponse {
        kind: InteractionResponseType::DeferredChannelMessageWithSource,
        data: None,
    };
    let app = Id::new(sim.application_id());
    let err = http
        .interaction(app)
        .create_response(Id::new(res.interaction_id), &res.token, &response)
        .await
        .unwrap_err();
    assert_eq!(api_code(&err), (404, 10062));
}

#[tokio::test]
async fn deferred_reply_double_ack_40060_edit_original_and_followup() {
    let w = world().await;
    let http = http(&w.sim);
    register_run(&w, &http).await;
    let sim = w.sim.clone();
    tokio::spawn(async move {
        let http = http_client(&sim);
        let mut shard = shard(&sim);
        let app = Id::new(sim.application_id());
        while let Some(ev) = shard.next_event(EventTypeFlags::all()).await {
            let Ok(Event::InteractionCreate(i)) = ev else {
                continue;
            };
            let client = http.interaction(app);
            client
                .create_response(
                    i.id,
                    &i.token,
                    &InteractionResponse {
                        kind: InteractionResponseType::DeferredChannelMessageWithSource,
                        data: None,
                    },
                )
                .await
                .unwrap();
            // answering twice is refused
            let again = client
                .create_response(
                    i.id,
                    &i.token,
                    &InteractionResponse {
                        kind: InteractionResponseType::DeferredChannelMessageWithSource,
                        data: None,
                    },
                )
                .await
                .unwrap_err();
            assert_eq!(api_code(&again), (400, 40060));
            tokio::time::sleep(Duration::from_millis(100)).await;
            client
                .update_response(&i.token)
                .content(Some("done"))
                .await
                .unwrap();
            client
                .create_followup(&i.token)
                .content("psst")
                .flags(twilight_model::channel::message::MessageFlags::EPHEMERAL)
                .await
                .unwrap();
        }
    });
    w.sim
        .eventually(Duration::from_secs(3), || {
            w.sim.gateway_connected().then_some(())
        })
        .await
        .unwrap();
    let res = w
        .sim
        .run_command(
            w.guild,
            w.channel,
            w.owner,
            "run",
            vec![CommandOption::string("dungeon", "x")],
        )
        .await;
    assert_eq!(res.kind, ResponseKind::DeferredReply);
    let edited = res
        .wait_for_original_edit(Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(edited.content, "done");
    let f = res
        .wait_for_followup(1, Duration::from_secs(2))
        .await
        .unwrap();
    assert!(f.ephemeral);
    assert_eq!(w.sim.ephemerals(w.owner)[0].content, "psst");
}

fn http_client(sim: &DiscordSim) -> Client {
    http(sim)
}

#[tokio::test]
async fn limits_are_enforced_with_50035() {
    let w = world().await;
    let http = http(&w.sim);
    // twilight validates client-side, so send raw bodies through the same client
    let body = serde_json::to_vec(&serde_json::json!({"content": "x".repeat(2001)})).unwrap();
    let req = Request::builder(&Route::CreateMessage {
        channel_id: w.channel.0,
    })
    .body(body)
    .build()
    .unwrap();
    let err = http
        .request::<twilight_model::channel::Message>(req)
        .await
        .unwrap_err();
    assert_eq!(api_code(&err), (400, 50035));

    let embeds: Vec<_> = (0..2)
        .map(|_| serde_json::json!({"description": "y".repeat(3500)}))
        .collect();
    let body = serde_json::to_vec(&serde_json::json!({"embeds": embeds})).unwrap();
    let req = Request::builder(&Route::CreateMessage {
        channel_id: w.channel.0,
    })
    .body(body)
    .build()
    .unwrap();
    assert_eq!(
        api_code(
            &http
                .request::<twilight_model::channel::Message>(req)
                .await
                .unwrap_err()
        ),
        (400, 50035)
    );

    let buttons: Vec<_> = (0..6).map(|i| serde_json::json!({"type": 2, "style": 1, "custom_id": format!("b{i}"), "label": "b"})).collect();
    let body = serde_json::to_vec(
        &serde_json::json!({"content": "x", "components": [{"type": 1, "components": buttons}]}),
    )
    .unwrap();
    let req = Request::builder(&Route::CreateMessage {
        channel_id: w.channel.0,
    })
    .body(body)
    .build()
    .unwrap();
    assert_eq!(
        api_code(
            &http
                .request::<twilight_model::channel::Message>(req)
                .await
                .unwrap_err()
        ),
        (400, 50035)
    );

    // a valid message goes through twilight's typed API and round-trips
    let m = http
        .create_message(Id::new(w.channel.0))
        .content("hello")
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    assert_eq!(
        w.sim
            .message(w.channel, MessageId(m.id.get()))
            .unwrap()
            .content,
        "hello"
    );

    // nickname of 33 chars
    let user = w.sim.create_user("raider");
    w.sim.add_member(w.guild, user, &[]);
    let body = serde_json::to_vec(&serde_json::json!({"nick": "n".repeat(33)})).unwrap();
    let req = Request::builder(&Route::UpdateMember {
        guild_id: w.guild.0,
        user_id: user.0,
    })
    .body(body)
    .build()
    .unwrap();
    assert_eq!(
        api_code(
            &http
                .request::<twilight_model::guild::Member>(req)
                .await
                .unwrap_err()
        ),
        (400, 50035)
    );
    let ok = http
        .update_guild_member(Id::new(w.guild.0), Id::new(user.0))
        .nick(Some("RaidLeader"))
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    assert_eq!(ok.nick.as_deref(), Some("RaidLeader"));
    assert_eq!(
        w.sim.member(w.guild, user).unwrap().nick.as_deref(),
        Some("RaidLeader")
    );
}

#[tokio::test]
async fn hierarchy_and_owner_are_protected_with_50013() {
    let w = world().await;
    let http = http(&w.sim);
    let high = w.sim.create_role(w.guild, "Admin", 0, 20);
    let low = w.sim.create_role(w.guild, "Raider", 0, 2);
    let boss = w.sim.create_user("boss");
    w.sim.add_member(w.guild, boss, &[high]);
    let err = http
        .add_guild_member_role(Id::new(w.guild.0), Id::new(boss.0), Id::new(low.0))
        .await
        .unwrap_err();
    assert_eq!(api_code(&err), (403, 50013));
    let err = http
        .update_guild_member(Id::new(w.guild.0), Id::new(w.owner.0))
        .nick(Some("x"))
        .await
        .unwrap_err();
    assert_eq!(api_code(&err), (403, 50013));
    // a normal member is fine
    let raider = w.sim.create_user("raider");
    w.sim.add_member(w.guild, raider, &[]);
    http.add_guild_member_role(Id::new(w.guild.0), Id::new(raider.0), Id::new(low.0))
        .await
        .unwrap();
    assert_eq!(w.sim.member(w.guild, raider).unwrap().roles, vec![low]);
    // role above the bot cannot be granted
    let err = http
        .add_guild_member_role(Id::new(w.guild.0), Id::new(raider.0), Id::new(high.0))
        .await
        .unwrap_err();
    assert_eq!(api_code(&err), (403, 50013));
    // unknown role / member
    let err = http
        .add_guild_member_role(Id::new(w.guild.0), Id::new(raider.0), Id::new(42))
        .await
        .unwrap_err();
    assert_eq!(api_code(&err), (404, 10011));
    let roles = http
        .roles(Id::new(w.guild.0))
        .await
        .unwrap()
        .models()
        .await
        .unwrap();
    assert_eq!(roles.len(), 4);
    let err = http
        .guild_member(Id::new(w.guild.0), Id::new(4242))
        .await
        .unwrap_err();
    assert_eq!(api_code(&err), (404, 10007));
}

#[tokio::test]
async fn burst_of_edits_hits_429_and_twilight_waits() {
    crypto();
    let sim = DiscordSim::start_with(SimConfig {
        channel_message_window: Duration::from_millis(1000),
        ..SimConfig::default()
    })
    .await;
    let owner = sim.create_user("o");
    let guild = sim.create_guild("g", owner);
    let channel = sim.create_channel(guild, "c", ChannelKind::Text);
    let http = std::sync::Arc::new(http(&sim));
    let mut ids = Vec::new();
    for i in 0..5 {
        let m = http
            .create_message(Id::new(channel.0))
            .content(&format!("m{i}"))
            .await
            .unwrap()
            .model()
            .await
            .unwrap();
        ids.push(m.id);
    }
    let mut ids10 = ids.clone();
    ids10.extend(ids.clone());
    let start = std::time::Instant::now();
    let tasks: Vec<_> = ids10
        .into_iter()
        .enumerate()
        .map(|(i, id)| {
            let http = http.clone();
            tokio::spawn(async move {
                http.update_message(Id::new(channel.0), id)
                    .content(Some(&format!("e{i}")))
                    .await
                    .map(|_| ())
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert!(start.elapsed() < Duration::from_secs(8));
    let calls = sim.calls();
    let edits: Vec<_> = calls
        .iter()
        .filter(|c| c.route == "PATCH /channels/{channel_id}/messages/{message_id}")
        .collect();
    assert_eq!(edits.iter().filter(|c| c.status == 200).count(), 10);
    assert!(edits.len() < 40, "no retry storm: {} calls", edits.len());
    assert!(
        calls.iter().any(|c| c.status == 429),
        "the per-channel limit answered 429"
    );
}

#[tokio::test]
async fn fail_next_injects_failures() {
    let w = world().await;
    let http = http(&w.sim);
    w.sim.fail_next(
        "POST /channels/{channel_id}/messages",
        1,
        Failure::Status(500),
    );
    let err = http
        .create_message(Id::new(w.channel.0))
        .content("a")
        .await
        .unwrap_err();
    assert_eq!(api_code(&err).0, 500);
    // next one works
    http.create_message(Id::new(w.channel.0))
        .content("b")
        .await
        .unwrap();
    // an injected 429 is waited out by twilight
    w.sim.fail_next(
        "POST /channels/{channel_id}/messages",
        1,
        Failure::RateLimited(0.2),
    );
    http.create_message(Id::new(w.channel.0))
        .content("c")
        .await
        .unwrap();
    assert_eq!(w.sim.messages(w.channel).len(), 2);
    let statuses: Vec<u16> = w.sim.calls().iter().map(|c| c.status).collect();
    assert_eq!(statuses, vec![500, 200, 429, 200]);
    // deleted behind the bot's back
    let m = w.sim.messages(w.channel)[0].id;
    w.sim.delete_message_behind_bot(w.channel, m);
    let err = http
        .update_message(Id::new(w.channel.0), Id::new(m.0))
        .content(Some("x"))
        .await
        .unwrap_err();
    assert_eq!(api_code(&err), (404, 10008));
    // unknown route: 404 code 0, never 401
    let req = Request::builder(&Route::GetGuildWebhooks {
        guild_id: w.guild.0,
    })
    .build()
    .unwrap();
    let err = http.request::<serde_json::Value>(req).await.unwrap_err();
    assert_eq!(api_code(&err), (404, 0));
}

#[tokio::test]
async fn rest_basics_deserialize_in_twilight() {
    let w = world().await;
    let http = http(&w.sim);
    let me = http.current_user().await.unwrap().model().await.unwrap();
    assert_eq!(me.id.get(), w.sim.bot_user_id());
    let app = http
        .current_user_application()
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    assert_eq!(app.id.get(), w.sim.application_id());
    let gw = http
        .gateway()
        .authed()
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    assert_eq!(gw.shards, 1);
    let g = http
        .guild(Id::new(w.guild.0))
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    assert_eq!(g.name, "Raid Hall");
    let chans = http
        .guild_channels(Id::new(w.guild.0))
        .await
        .unwrap()
        .models()
        .await
        .unwrap();
    assert_eq!(chans.len(), 1);
    let ch = http
        .channel(Id::new(w.channel.0))
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    assert_eq!(ch.id.get(), w.channel.0);
    let user = w.sim.create_user("dm-me");
    let dm = http
        .create_private_channel(Id::new(user.0))
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    http.create_message(dm.id).content("hi").await.unwrap();
    assert_eq!(w.sim.dms(user)[0].content, "hi");
    w.sim.set_dms_closed(user, true);
    let err = http
        .create_message(dm.id)
        .content("hi again")
        .await
        .unwrap_err();
    assert_eq!(api_code(&err), (403, 50007));
    let m = http
        .create_message(Id::new(w.channel.0))
        .content("start")
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    let t = http
        .create_thread_from_message(Id::new(w.channel.0), m.id, "Raid thread")
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    assert_eq!(t.id.get(), m.id.get());
    assert!(w.sim.channels(w.guild).iter().any(|c| c.id.0 == t.id.get()));
    // Deleting the thread removes it; deleting it again is 10003 Unknown Channel.
    http.delete_channel(t.id).await.unwrap();
    assert!(!w.sim.channels(w.guild).iter().any(|c| c.id.0 == t.id.get()));
    let err = http.delete_channel(t.id).await.unwrap_err();
    assert_eq!(api_code(&err), (404, 10003));
    let msgs = http
        .channel_messages(Id::new(w.channel.0))
        .limit(10)
        .await
        .unwrap()
        .models()
        .await
        .unwrap();
    assert_eq!(msgs.len(), 1);
    let role = http
        .create_role(Id::new(w.guild.0))
        .name("Raider")
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    http.update_role(Id::new(w.guild.0), role.id)
        .name(Some("Raiders"))
        .await
        .unwrap();
    http.delete_role(Id::new(w.guild.0), role.id).await.unwrap();
    let a = w.sim.send_message(w.owner, w.channel, "one");
    let b = w.sim.send_message(w.owner, w.channel, "two");
    http.delete_messages(Id::new(w.channel.0), &[Id::new(a.0), Id::new(b.0)])
        .await
        .unwrap();
    let old1 = w.sim.send_message_aged(
        w.owner,
        w.channel,
        "old",
        Duration::from_secs(15 * 24 * 3600),
    );
    let new1 = w.sim.send_message(w.owner, w.channel, "new");
    let err = http
        .delete_messages(Id::new(w.channel.0), &[Id::new(old1.0), Id::new(new1.0)])
        .await
        .unwrap_err();
    assert_eq!(api_code(&err).1, 50034);
    let unknown: Vec<_> = w
        .sim
        .calls()
        .into_iter()
        .filter(|c| c.route.contains("UNKNOWN"))
        .collect();
    assert!(unknown.is_empty(), "{unknown:?}");
}

#[tokio::test]
async fn a_pinned_message_shows_as_pinned_and_survives_bulk_delete_listing() {
    let sim = sim_fast().await;
    let owner = sim.create_user("owner");
    let guild = sim.create_guild("g", owner);
    let channel = sim.create_channel(guild, "general", ChannelKind::Text);
    let a = sim.send_message(owner, channel, "keep me");
    let _b = sim.send_message(owner, channel, "hello");
    sim.pin_message(channel, a);
    let msgs = http(&sim)
        .channel_messages(Id::new(channel.0))
        .limit(10)
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    let pinned: Vec<_> = msgs
        .iter()
        .filter(|m| m.pinned)
        .map(|m| m.id.get())
        .collect();
    assert_eq!(pinned, vec![a.0]);
}

#[tokio::test]
async fn a_forum_thread_can_be_archived_and_locked() {
    let sim = sim_fast().await;
    let owner = sim.create_user("owner");
    let guild = sim.create_guild("G", owner);
    let forum = sim.create_channel(guild, "modmail", ChannelKind::Forum);
    let http = http(&sim);
    let created = http
        .create_forum_thread(Id::new(forum.0), "MM-2345 — member")
        .message()
        .content("opening")
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    let thread = created.channel.id;
    let updated = http
        .update_thread(thread)
        .locked(true)
        .archived(true)
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    let meta = updated.thread_metadata.unwrap();
    assert!(meta.locked && meta.archived);
    let c = sim
        .channels(guild)
        .into_iter()
        .find(|c| c.id.0 == thread.get())
        .unwrap();
    assert!(c.locked && c.archived && c.parent_id == Some(forum));
}

#[tokio::test]
async fn permission_overwrites_are_set_shown_checked_and_deleted() {
    use twilight_model::guild::Permissions;
    use twilight_model::http::permission_overwrite::{
        PermissionOverwrite, PermissionOverwriteType,
    };
    let w = world().await;
    let sim = &w.sim;
    let http = http(sim);
    let muted = sim.create_role(w.guild, "Muted", 0, 1);
    let deny = Permissions::SEND_MESSAGES | Permissions::ADD_REACTIONS;
    let overwrite = PermissionOverwrite {
        allow: None,
        deny: Some(deny),
        id: Id::new(muted.0),
        kind: PermissionOverwriteType::Role,
    };
    let res = http
        .update_channel_permission(Id::new(w.channel.0), &overwrite)
        .await
        .unwrap();
    assert_eq!(res.status().get(), 204);
    assert_eq!(
        sim.overwrites(w.channel),
        vec![Overwrite {
            id: muted.0,
            kind: 0,
            allow: 0,
            deny: deny.bits(),
        }]
    );
    // GET channel and the guild's channel list show it, as twilight reads it.
    let ch = http
        .channel(Id::new(w.channel.0))
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    let shown = ch.permission_overwrites.unwrap();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].deny, deny);
    let listed = http
        .guild_channels(Id::new(w.guild.0))
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    assert!(listed.iter().any(|c| {
        c.permission_overwrites
            .as_ref()
            .is_some_and(|o| o.len() == 1)
    }));

    // The bot may not deny what it does not have (Administrator), nor act where an
    // overwrite takes Manage Roles from it.
    let too_much = PermissionOverwrite {
        deny: Some(Permissions::ADMINISTRATOR),
        ..overwrite.clone()
    };
    let e = http
        .update_channel_permission(Id::new(w.channel.0), &too_much)
        .await
        .unwrap_err();
    assert_eq!(api_code(&e), (403, 50013));
    let locked = sim.create_channel(w.guild, "staff-only", ChannelKind::Text);
    let bot_role = sim.bot_role(w.guild).unwrap();
    sim.set_overwrite(locked, bot_role.0, 0, 0, perms::MANAGE_ROLES);
    let e = http
        .update_channel_permission(Id::new(locked.0), &overwrite)
        .await
        .unwrap_err();
    assert_eq!(api_code(&e), (403, 50013));

    let res = http
        .delete_channel_permission(Id::new(w.channel.0))
        .role(Id::new(muted.0))
        .await
        .unwrap();
    assert_eq!(res.status().get(), 204);
    assert!(sim.overwrites(w.channel).is_empty());
    let e = http
        .delete_channel_permission(Id::new(w.channel.0))
        .role(Id::new(muted.0))
        .await
        .unwrap_err();
    assert_eq!(api_code(&e), (404, 10009));
}

#[tokio::test]
async fn a_restored_simulator_has_the_same_world_and_the_bot_keeps_its_identity() {
    let sim = sim_fast().await;
    let owner = sim.create_user("owner");
    let guild = sim.create_guild("Saved", owner);
    let role = sim.create_role(guild, "Raider", 0, 2);
    let channel = sim.create_channel(guild, "raids", ChannelKind::Text);
    let member = sim.create_user("member");
    sim.add_member(guild, member, &[role]);
    sim.set_nick(guild, member, Some("Nicky"));
    sim.set_dms_closed(member, true);
    let said = sim.send_message(member, channel, "hello there");
    let upload = sim.upload("shot.png", Some("image/png"), vec![1, 2, 3, 0, 255]);
    let dm = sim.send_dm(owner, "a dm", vec![upload.clone()]);
    let http = http(&sim);
    http.create_message(Id::new(channel.0))
        .content("from the bot")
        .await
        .unwrap();

    // Through JSON, as the sandbox stores it.
    let json = sim.snapshot().to_json();
    let restored = DiscordSim::start_restored(
        SimConfig {
            attachment_base_url: Some("http://127.0.0.1:4100".to_owned()),
            ..SimConfig::default()
        },
        Snapshot::from_json(json.clone()).unwrap(),
    )
    .await;
    // Uploaded files keep their bytes; new ones are served from the stable base URL.
    let (kept, bytes) = restored.uploaded(upload.id).expect("the upload was kept");
    assert_eq!(bytes, vec![1, 2, 3, 0, 255]);
    assert_eq!(kept.filename, "shot.png");
    let later = restored.upload("later.txt", None, b"hi".to_vec());
    assert!(
        later.url.starts_with("http://127.0.0.1:4100/attachments/"),
        "{}",
        later.url
    );
    assert_eq!(restored.bot_user_id(), sim.bot_user_id());
    assert_eq!(restored.application_id(), sim.application_id());
    let texts = |s: &DiscordSim| {
        s.messages(channel)
            .iter()
            .map(|m| (m.id, m.author_id, m.content.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(texts(&restored), texts(&sim));
    assert!(
        restored
            .messages(channel)
            .iter()
            .any(|m| m.id == said && m.content == "hello there")
    );
    assert!(restored.dms(owner).iter().any(|m| m.id == dm));
    let m = restored.member(guild, member).unwrap();
    assert_eq!(m.nick.as_deref(), Some("Nicky"));
    assert_eq!(m.roles, vec![role]);
    assert_eq!(restored.roles(guild).len(), sim.roles(guild).len());
    // Saving the restored world gives the same snapshot (plus the later upload).
    let mut again = restored.snapshot().to_json();
    again["uploads"]
        .as_array_mut()
        .unwrap()
        .retain(|u| u[0]["id"] != serde_json::json!(later.id));
    assert_eq!(again, json);

    // The bot can talk to the restored simulator as before.
    let http = self::http(&restored);
    let sent = http
        .create_message(Id::new(channel.0))
        .content("after the restart")
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    assert_eq!(sent.author.id.get(), restored.bot_user_id());
    // The member's DMs stay closed.
    let dm_channel = http
        .create_private_channel(Id::new(member.0))
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    assert!(
        http.create_message(dm_channel.id)
            .content("hi")
            .await
            .is_err()
    );

    let mut bad = json;
    bad["version"] = serde_json::json!(99);
    assert!(Snapshot::from_json(bad).is_err());
}

/// A message created again with the same `nonce` and `enforce_nonce` (a retried job) is the
/// first message, not a second one; without `enforce_nonce`, or with another nonce, it is
/// a new message.
#[tokio::test]
async fn enforce_nonce_answers_a_repeated_create_with_the_first_message() {
    let w = world().await;
    let http = http(&w.sim);
    let create = |body: serde_json::Value| {
        let http = &http;
        let channel = w.channel.0;
        async move {
            let req = Request::builder(&Route::CreateMessage {
                channel_id: channel,
            })
            .body(serde_json::to_vec(&body).unwrap())
            .build()
            .unwrap();
            http.request::<twilight_model::channel::Message>(req)
                .await
                .unwrap()
                .model()
                .await
                .unwrap()
        }
    };
    let first = create(
        serde_json::json!({"content": "Run #7 ended", "nonce": "job-41", "enforce_nonce": true}),
    )
    .await;
    let again = create(
        serde_json::json!({"content": "Run #7 ended", "nonce": "job-41", "enforce_nonce": true}),
    )
    .await;
    assert_eq!(again.id, first.id);
    assert_eq!(w.sim.messages(w.channel).len(), 1);

    create(
        serde_json::json!({"content": "Run #7 ended", "nonce": "job-42", "enforce_nonce": true}),
    )
    .await;
    create(serde_json::json!({"content": "Run #7 ended", "nonce": "job-42"})).await;
    assert_eq!(w.sim.messages(w.channel).len(), 3);

    // The nonce is at most 25 characters, as on Discord.
    let req = Request::builder(&Route::CreateMessage {
        channel_id: w.channel.0,
    })
    .body(
        serde_json::to_vec(
            &serde_json::json!({"content": "x", "nonce": "n".repeat(26), "enforce_nonce": true}),
        )
        .unwrap(),
    )
    .build()
    .unwrap();
    let err = http
        .request::<twilight_model::channel::Message>(req)
        .await
        .unwrap_err();
    assert_eq!(api_code(&err), (400, 50035));
}
