//! Party finder: raiders post parties with a thread; owners extend and close them;
//! moderators close any; posts and threads go away when a party closes.

use discord_sim::{ChannelId, ChannelKind, CommandOption, Message, RoleId, UserId};

use crate::harness::{WAIT, World, field, footer};

const MODERATOR_PERMS: u64 = 0;

struct Party {
    channel: ChannelId,
    moderator: UserId,
}

/// The admin adds a moderator role and the party_finder channel.
async fn setup(w: &World) -> Party {
    let sim = &w.sim;
    let channel = sim.create_channel(w.guild, "party-finder", ChannelKind::Text);
    let mod_role: RoleId = sim.create_role(w.guild, "Moderator", MODERATOR_PERMS, 6);
    let moderator = sim.create_user("moderator");
    sim.add_member(w.guild, moderator, &[mod_role]);
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "setroles",
            vec![CommandOption::role("moderator", mod_role)],
        )
        .await;
    assert!(res.is_ok());
    let res = sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "setchannels",
            vec![CommandOption::channel("party_finder", channel)],
        )
        .await;
    assert!(res.is_ok());
    Party { channel, moderator }
}

async fn post_party(w: &World, who: UserId, name: &str) -> discord_sim::InteractionResult {
    w.sim
        .run_command(
            w.guild,
            w.raid,
            who,
            "party",
            vec![
                CommandOption::string("name", name),
                CommandOption::string("location", "USEast Left Bazaar"),
                CommandOption::string("description", "Doing several fungals, all welcome"),
            ],
        )
        .await
}

/// The party's post (found by its title) once its thread exists.
async fn post_with_thread(w: &World, channel: ChannelId, name: &str) -> Message {
    let sim = &w.sim;
    sim.eventually(WAIT, || {
        sim.messages(channel).into_iter().find(|m| {
            m.embeds.first().and_then(|e| e["title"].as_str()) == Some(name)
                && m.thread_id.is_some()
        })
    })
    .await
    .unwrap_or_else(|| panic!("the party {name} was posted with a thread"))
}

fn thread_exists(w: &World, thread: ChannelId) -> bool {
    w.sim.channels(w.guild).iter().any(|c| c.id == thread)
}

#[tokio::test]
async fn a_raider_posts_extends_and_closes_a_party_across_a_restart() {
    let mut w = World::new(2).await;
    w.configure().await;
    let (owner, other) = (w.raiders[0], w.raiders[1]);

    // Without a party_finder channel the raider is told what staff must do.
    let res = post_party(&w, owner, "Chill Fungal").await;
    assert!(res.ephemeral);
    assert!(
        res.content
            .as_deref()
            .unwrap_or_default()
            .contains("/setchannels"),
        "{:?}",
        res.content
    );

    let p = setup(&w).await;
    let res = post_party(&w, owner, "Chill Fungal").await;
    assert!(res.ephemeral);
    let text = res.content.clone().unwrap_or_default();
    assert!(text.contains("**Chill Fungal**"), "{text}");
    assert!(text.contains(&format!("<#{}>", p.channel.0)), "{text}");

    // The post shows the party and a thread is started on it.
    let post = post_with_thread(&w, p.channel, "Chill Fungal").await;
    let thread = post.thread_id.unwrap();
    assert!(thread_exists(&w, thread));
    assert!(footer(&post).unwrap().starts_with("Party #"));
    assert_eq!(
        field(&post, "Location").map(|f| f.1),
        Some("USEast Left Bazaar")
    );
    let description = post.embeds[0]["description"].as_str().unwrap();
    assert!(
        description.contains(&format!("<@{}>", owner.0)),
        "{description}"
    );
    let closes_before = field(&post, "Closes").unwrap().1.to_owned();
    assert!(closes_before.starts_with("<t:"), "{closes_before}");
    assert!(!post.ephemeral);

    // A second party by the same raider is refused.
    let res = post_party(&w, owner, "Second one").await;
    assert!(
        res.content
            .as_deref()
            .unwrap_or_default()
            .starts_with("You already have an open party, **Chill Fungal**"),
        "{:?}",
        res.content
    );

    // Another raider can neither close nor extend it.
    let res = w
        .sim
        .press(w.guild, other, p.channel, post.id, "Close")
        .await;
    assert!(res.ephemeral);
    assert_eq!(
        res.content.as_deref(),
        Some("Only the member who posted this party, or a moderator, can close it.")
    );
    let res = w
        .sim
        .press(w.guild, other, p.channel, post.id, "Extend 1 h")
        .await;
    assert_eq!(
        res.content.as_deref(),
        Some("Only the member who posted this party can extend it.")
    );

    // The bot restarts; the buttons of the old post still work.
    w.restart_bot().await;

    let res = w
        .sim
        .press(w.guild, owner, p.channel, post.id, "Extend 1 h")
        .await;
    assert!(res.ephemeral);
    assert!(
        res.content
            .as_deref()
            .unwrap_or_default()
            .starts_with("Extended: **Chill Fungal** now closes <t:"),
        "{:?}",
        res.content
    );
    let sim = &w.sim;
    let refreshed = sim
        .eventually(WAIT, || {
            sim.message(p.channel, post.id)
                .filter(|m| field(m, "Closes").is_some_and(|f| f.1 != closes_before))
        })
        .await
        .expect("the post shows the new closing time");
    let (before, after) = (
        closes_before[3..]
            .split(':')
            .next()
            .unwrap()
            .parse::<i64>()
            .unwrap(),
        field(&refreshed, "Closes").unwrap().1[3..]
            .split(':')
            .next()
            .unwrap()
            .parse::<i64>()
            .unwrap(),
    );
    assert_eq!(after - before, 3600);

    let res = sim.press(w.guild, owner, p.channel, post.id, "Close").await;
    assert_eq!(
        res.content.as_deref(),
        Some("Party **Chill Fungal** closed. Its post and thread are being removed.")
    );
    sim.eventually(WAIT, || {
        (sim.message(p.channel, post.id).is_none() && !thread_exists(&w, thread)).then_some(())
    })
    .await
    .expect("the post and its thread are deleted");

    let (status, closed_by, reason): (String, i64, String) = sqlx::query_as(
        "SELECT status, closed_by, close_reason FROM party WHERE name = 'Chill Fungal'",
    )
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert_eq!(
        (status.as_str(), closed_by, reason.as_str()),
        ("closed", owner.0 as i64, "owner")
    );

    // Closed, the owner may post again.
    let res = post_party(&w, owner, "Round two").await;
    assert!(
        res.content
            .as_deref()
            .unwrap_or_default()
            .contains("**Round two**"),
        "{:?}",
        res.content
    );
    post_with_thread(&w, p.channel, "Round two").await;
}

#[tokio::test]
async fn a_moderator_closes_a_party_whose_post_is_already_gone() {
    let w = World::new(1).await;
    w.configure().await;
    let p = setup(&w).await;
    let owner = w.raiders[0];
    let res = post_party(&w, owner, "Void carry").await;
    assert!(res.is_ok());
    let post = post_with_thread(&w, p.channel, "Void carry").await;
    let thread = post.thread_id.unwrap();
    let sim = &w.sim;

    // Someone deleted the thread by hand; the moderator's Close still finishes cleanly.
    sim.delete_channel_behind_bot(thread);
    let res = sim
        .press(w.guild, p.moderator, p.channel, post.id, "Close")
        .await;
    assert_eq!(
        res.content.as_deref(),
        Some("Party **Void carry** closed by a moderator. Its post and thread are being removed.")
    );
    sim.eventually(WAIT, || {
        sim.message(p.channel, post.id).is_none().then_some(())
    })
    .await
    .expect("the post is deleted");
    let pool = &w.db.pool;
    let mut state = String::new();
    for _ in 0..500 {
        state = sqlx::query_scalar("SELECT state FROM job WHERE kind = 'party_remove'")
            .fetch_one(pool)
            .await
            .unwrap();
        if state == "done" || state == "failed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(state, "done", "an already deleted thread counts as done");
    let (reason, by): (String, i64) = sqlx::query_as("SELECT close_reason, closed_by FROM party")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!((reason.as_str(), by), ("moderator", p.moderator.0 as i64));
}

#[tokio::test]
async fn a_party_closes_by_itself_after_two_hours() {
    let w = World::new(1).await;
    w.configure().await;
    let p = setup(&w).await;
    let sim = &w.sim;
    let owner = w.raiders[0];
    let res = post_party(&w, owner, "Late night Nests").await;
    assert!(res.is_ok(), "{:?}", res.kind);
    let post = post_with_thread(&w, p.channel, "Late night Nests").await;
    let thread = post.thread_id.unwrap();
    let lifetime: f64 =
        sqlx::query_scalar("SELECT extract(epoch FROM closes_at - created_at)::float8 FROM party")
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(lifetime, 7200.0, "a party lives two hours");

    // Two hours pass: the party's time is up and its timer falls due.
    sqlx::query(
        "UPDATE party SET created_at = now() - interval '2 hours 1 minute',
                closes_at = now() - interval '1 minute'",
    )
    .execute(&w.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE job SET due_at = now() WHERE kind = 'party_auto_close' AND state = 'pending'",
    )
    .execute(&w.db.pool)
    .await
    .unwrap();
    sim.eventually(WAIT, || {
        (sim.message(p.channel, post.id).is_none() && !thread_exists(&w, thread)).then_some(())
    })
    .await
    .expect("the post and its thread are deleted when the party's time is up");
    let (status, closed_by, reason): (String, Option<i64>, String) =
        sqlx::query_as("SELECT status, closed_by, close_reason FROM party")
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
    assert_eq!(
        (status.as_str(), closed_by, reason.as_str()),
        ("closed", None, "auto")
    );
    // The owner may post a new one.
    let res = post_party(&w, owner, "Morning Nests").await;
    assert!(
        res.content
            .as_deref()
            .unwrap_or_default()
            .contains("**Morning Nests**"),
        "{:?}",
        res.content
    );
}
