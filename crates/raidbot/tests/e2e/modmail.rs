//! Modmail: a member writes to staff by DM; the conversation survives restarts and a
//! thread deleted by hand; staff reply and close; blacklisted members are refused politely.

use discord_sim::{Attachment, ChannelId, ChannelKind, CommandOption, GuildId, UserId};
use domain::Snowflake;

use crate::harness::{WAIT, World};
use crate::moderation::{Mod, answer, log_entry, setup};

/// Maps a modmail forum in the world's guild.
pub(crate) async fn with_modmail(w: &World) -> (Mod, ChannelId) {
    let m = setup(w).await;
    let forum = w.sim.create_channel(w.guild, "modmail", ChannelKind::Forum);
    let res = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            w.admin,
            "setchannels",
            vec![CommandOption::channel("modmail", forum)],
        )
        .await;
    assert!(res.is_ok(), "{:?}", res.kind);
    (m, forum)
}

/// Sends a DM and waits for the bot's next answer (DMs of one member are answered in order).
pub(crate) async fn say(w: &World, user: UserId, text: &str) -> String {
    let sim = &w.sim;
    let before = sim.dms(user).iter().filter(|m| m.author_id != user).count();
    sim.send_dm(user, text, vec![]);
    sim.eventually(WAIT, || {
        let answers: Vec<String> = sim
            .dms(user)
            .into_iter()
            .filter(|m| m.author_id != user)
            .map(|m| m.content)
            .collect();
        (answers.len() > before).then(|| answers[0].clone())
    })
    .await
    .unwrap_or_else(|| panic!("an answer to {text:?}"))
}

pub(crate) fn ticket_code(text: &str) -> String {
    let start = text.find("MM-").expect("a ticket id");
    text[start..start + 7].to_owned()
}

/// The ticket's thread in the forum and its messages' text.
pub(crate) async fn thread_with(
    w: &World,
    forum: ChannelId,
    what: &str,
) -> (ChannelId, Vec<String>) {
    let sim = &w.sim;
    sim.eventually(WAIT, || {
        sim.channels(w.guild)
            .into_iter()
            .filter(|c| c.parent_id == Some(forum))
            .find_map(|c| {
                let texts: Vec<String> =
                    sim.messages(c.id).into_iter().map(|m| m.content).collect();
                texts
                    .iter()
                    .any(|t| t.contains(what))
                    .then_some((c.id, texts))
            })
    })
    .await
    .unwrap_or_else(|| panic!("a thread in the modmail forum containing {what:?}"))
}

pub(crate) async fn staff(
    w: &World,
    who: UserId,
    name: &str,
    options: Vec<CommandOption>,
) -> String {
    let res = w.sim.run_command(w.guild, w.raid, who, name, options).await;
    answer(&res).await
}

pub(crate) fn guild_of(w: &World) -> Snowflake {
    Snowflake::new(w.guild.0).unwrap()
}

pub(crate) async fn second_guild_with_modmail(w: &World, member: UserId) -> GuildId {
    let owner = w.sim.create_user("owner2");
    let g = w.sim.create_guild("Second Community", owner);
    w.sim.add_member(g, member, &[]);
    let forum = w.sim.create_channel(g, "modmail", ChannelKind::Forum);
    sqlx::query("INSERT INTO guild (guild_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(g.0 as i64)
        .execute(&w.db.pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO guild_channel (guild_id, channel_key, discord_channel_id) VALUES ($1, 'modmail', $2)",
    )
    .bind(g.0 as i64)
    .bind(forum.0 as i64)
    .execute(&w.db.pool)
    .await
    .unwrap();
    g
}

#[tokio::test]
async fn a_conversation_survives_a_restart_and_staff_reply_and_close() {
    let mut w = World::new(1).await;
    let (m, forum) = with_modmail(&w).await;
    let raider = w.raiders[0];
    second_guild_with_modmail(&w, raider).await;

    let shot = Attachment::new("proof.png", 2048);
    let url = shot.url.clone();
    w.sim
        .send_dm(raider, "I was removed from a run unfairly", vec![shot]);
    let choose = w.dm_containing(raider, "Which server").await.content;
    assert!(
        choose.contains("Raid Community") && choose.contains("Second Community"),
        "{choose}"
    );
    // Raid Community was created first, so it is number 1.
    w.sim.send_dm(raider, "1", vec![]);
    w.dm_containing(raider, "Press **Open ticket**").await;

    // The bot restarts between the guild choice and the confirmation.
    w.restart_bot().await;
    w.sim.send_dm(raider, "yes", vec![]);
    let opened = w.dm_containing(raider, "is open").await.content;
    let code = ticket_code(&opened);
    let (thread, texts) = thread_with(&w, forum, "removed from a run unfairly").await;
    assert!(
        texts.iter().any(|t| t.contains(&url)),
        "attachment URL in the thread: {texts:?}"
    );

    let said = staff(
        &w,
        m.security,
        "modmailreply",
        vec![
            CommandOption::string("ticket", &code),
            CommandOption::string("text", "We looked at the logs; you are back in."),
        ],
    )
    .await;
    assert!(said.contains("Reply sent"), "{said}");
    w.dm_containing(raider, "We looked at the logs").await;

    w.sim.send_dm(raider, "thank you!", vec![]);
    thread_with(&w, forum, "thank you!").await;

    let closed = staff(
        &w,
        m.security,
        "modmail",
        vec![CommandOption::sub(
            "close",
            vec![CommandOption::string("ticket", &code)],
        )],
    )
    .await;
    assert!(closed.contains("closed"), "{closed}");
    w.dm_containing(raider, "was closed").await;
    thread_with(&w, forum, "closed by").await;
    let locked = w
        .sim
        .eventually(WAIT, || {
            w.sim
                .channels(w.guild)
                .into_iter()
                .find(|c| c.id == thread && c.locked && c.archived)
        })
        .await;
    assert!(locked.is_some(), "the thread is locked and archived");
    // Staff see both ends in punishment_log.
    let opened = log_entry(&w, &m, &format!("Modmail ticket {code} opened")).await;
    assert!(
        opened.embeds[0]
            .to_string()
            .contains(&format!("<@{}>", raider.0)),
        "{:?}",
        opened.embeds
    );
    let closed = log_entry(&w, &m, &format!("Modmail ticket {code} closed")).await;
    let said = closed.embeds[0].to_string();
    assert!(
        said.contains("Closed by") && said.contains(&format!("<@{}>", m.security.0)),
        "{said}"
    );

    // The transcript holds every message both ways, with the attachment.
    let admin = service::Actor::member(Snowflake::new(1).unwrap(), domain::Level::ADMINISTRATOR);
    let (t, messages) = service::modmail::transcript(&w.db.pool, guild_of(&w), &admin, &code)
        .await
        .unwrap();
    assert_eq!(t.status, "closed");
    let bodies: Vec<(&str, &str)> = messages
        .iter()
        .map(|m| (m.direction.as_str(), m.body.as_str()))
        .collect();
    assert_eq!(
        bodies,
        vec![
            ("member", "I was removed from a run unfairly"),
            ("staff", "We looked at the logs; you are back in."),
            ("member", "thank you!"),
        ]
    );
    assert_eq!(messages[0].attachments, vec![url]);
    assert!(messages.iter().all(|m| m.relayed_at.is_some()));

    // Closing twice is refused; a new ticket waits for the cooldown.
    let again = staff(
        &w,
        m.security,
        "modmail",
        vec![CommandOption::sub(
            "close",
            vec![CommandOption::string("ticket", &code)],
        )],
    )
    .await;
    assert!(again.contains("already closed"), "{again}");
    let choose = say(&w, raider, "one more thing").await;
    assert!(choose.contains("Which server"), "{choose}");
    let wait = say(&w, raider, "1").await;
    assert!(wait.contains("can open a new one in"), "{wait}");
}

#[tokio::test]
async fn a_blacklisted_member_gets_a_polite_refusal_and_nothing_opens() {
    let w = World::new(1).await;
    let (m, _forum) = with_modmail(&w).await;
    let raider = w.raiders[0];
    let said = staff(
        &w,
        m.officer,
        "modmailblacklist",
        vec![
            CommandOption::user("user", raider),
            CommandOption::string("reason", "spam"),
        ],
    )
    .await;
    assert!(said.contains("can no longer open"), "{said}");
    let logged = log_entry(&w, &m, "Modmail blacklist").await.embeds[0].to_string();
    assert!(
        logged.contains("spam") && logged.contains(&format!("<@{}>", m.officer.0)),
        "{logged}"
    );
    // Security may not blacklist.
    let refused = staff(
        &w,
        m.security,
        "modmailunblacklist",
        vec![CommandOption::user("user", raider)],
    )
    .await;
    assert!(refused.contains("Officer"), "{refused}");

    w.sim.send_dm(raider, "let me in", vec![]);
    let text = w
        .dm_containing(raider, "not taking modmail from you")
        .await
        .content;
    assert!(
        text.contains("Raid Community") && text.starts_with("Sorry"),
        "{text}"
    );
    let tickets: i64 = sqlx::query_scalar("SELECT count(*) FROM modmail_ticket")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(tickets, 0);

    let said = staff(
        &w,
        m.officer,
        "modmailunblacklist",
        vec![CommandOption::user("user", raider)],
    )
    .await;
    assert!(said.contains("can open modmail tickets again"), "{said}");
    log_entry(&w, &m, "Modmail blacklist lifted").await;
    w.sim.send_dm(raider, "let me in", vec![]);
    w.dm_containing(raider, "Press **Open ticket**").await;
}

#[tokio::test]
async fn a_thread_deleted_by_hand_loses_nothing() {
    let w = World::new(1).await;
    let (_m, forum) = with_modmail(&w).await;
    let raider = w.raiders[0];
    w.sim.send_dm(raider, "first message", vec![]);
    w.dm_containing(raider, "Press **Open ticket**").await;
    w.sim.send_dm(raider, "yes", vec![]);
    let code = ticket_code(&w.dm_containing(raider, "is open").await.content);
    let (thread, _) = thread_with(&w, forum, "first message").await;
    w.sim.delete_channel_behind_bot(thread);

    w.sim.send_dm(raider, "second message", vec![]);
    w.dm_containing(raider, "Sent to the staff").await;
    let admin = service::Actor::member(Snowflake::new(1).unwrap(), domain::Level::ADMINISTRATOR);
    let g = guild_of(&w);
    let mut relayed = false;
    for _ in 0..100 {
        let (_, messages) = service::modmail::transcript(&w.db.pool, g, &admin, &code)
            .await
            .unwrap();
        if messages.len() == 2 && messages.iter().all(|m| m.relayed_at.is_some()) {
            assert_eq!(messages[0].body, "first message");
            assert_eq!(messages[1].body, "second message");
            assert!(
                messages[1]
                    .relay_error
                    .as_deref()
                    .unwrap_or("")
                    .contains("deleted")
            );
            relayed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(relayed, "both messages kept in the transcript");
}

#[tokio::test]
async fn staff_reply_by_typing_in_the_thread_with_the_prefix() {
    let w = World::new(1).await;
    let (m, forum) = with_modmail(&w).await;
    let raider = w.raiders[0];
    w.sim.send_dm(raider, "my key was not counted", vec![]);
    w.dm_containing(raider, "Press **Open ticket**").await;
    w.sim.send_dm(raider, "yes", vec![]);
    let code = ticket_code(&w.dm_containing(raider, "is open").await.content);
    let (thread, texts) = thread_with(&w, forum, "my key was not counted").await;
    assert!(
        texts.iter().any(|t| t.contains("`!r <your reply>`")),
        "the opening post says how to answer: {texts:?}"
    );

    // Without the prefix: staff talk among themselves, the member gets nothing.
    w.sim
        .send_message(m.security, thread, "checking the run log first");
    // With it: the member gets the reply by DM and the staff message gets a ✅.
    let typed = w
        .sim
        .send_message(m.security, thread, "!r Found it, your key is counted now.");
    w.dm_containing(raider, "your key is counted now").await;
    let confirmed = w
        .sim
        .eventually(WAIT, || {
            w.sim
                .message(thread, typed)
                .filter(|msg| msg.reactions.iter().any(|r| r == "✅"))
        })
        .await;
    assert!(confirmed.is_some(), "the reply is confirmed with ✅");
    // Once everything queued is delivered: the reply reached the member once, and the
    // message without the prefix not at all.
    w.settle().await;
    let dms = w.sim.dms(raider);
    let count = |text: &str| dms.iter().filter(|d| d.content.contains(text)).count();
    assert_eq!(
        count("your key is counted now"),
        1,
        "the reply is sent once"
    );
    assert_eq!(
        count("checking the run log"),
        0,
        "messages without the prefix stay among staff"
    );

    // The transcript holds it like a /modmailreply, once even if Discord delivers the
    // message again.
    let g = guild_of(&w);
    let admin = service::Actor::member(Snowflake::new(1).unwrap(), domain::Level::ADMINISTRATOR);
    let security = service::Actor::member(
        Snowflake::new(m.security.0).unwrap(),
        domain::RoleKey::Security.level().unwrap(),
    );
    let again = service::modmail::reply(
        &w.db.pool,
        g,
        &security,
        "<@security>",
        &code,
        "Found it, your key is counted now.",
        Some(Snowflake::new(typed.0).unwrap()),
    )
    .await
    .unwrap_err();
    assert_eq!(again.code(), "duplicate_reply");
    let (_, messages) = service::modmail::transcript(&w.db.pool, g, &admin, &code)
        .await
        .unwrap();
    let bodies: Vec<(&str, &str)> = messages
        .iter()
        .map(|m| (m.direction.as_str(), m.body.as_str()))
        .collect();
    assert_eq!(
        bodies,
        vec![
            ("member", "my key was not counted"),
            ("staff", "Found it, your key is counted now."),
        ]
    );
    assert_eq!(messages[1].author_id.map(|a| a.get()), Some(m.security.0));

    // An organizer is below the level /modmailreply needs: told so, nothing is sent.
    let denied = w.sim.send_message(w.organizer, thread, "!r hi there");
    let note = w
        .sim
        .eventually(WAIT, || {
            w.sim.messages(thread).into_iter().find(|msg| {
                msg.author_id != w.organizer && msg.content.contains("Not sent to the member")
            })
        })
        .await
        .expect("a refusal in the thread");
    // The refusal's sentence, as every other refusal reads (not the error's debug text).
    assert!(
        note.content
            .contains("Not sent to the member: You need the Security role (or higher)"),
        "{}",
        note.content
    );
    w.settle().await;
    assert!(w.sim.message(thread, denied).unwrap().reactions.is_empty());
    assert!(
        !w.sim
            .dms(raider)
            .iter()
            .any(|d| d.content.contains("hi there")),
        "a refused reply reaches nobody"
    );

    // Closed DMs: the staff member is told in the thread.
    w.sim.set_dms_closed(raider, true);
    w.sim.send_message(m.security, thread, "!r Anything else?");
    let warned = w
        .sim
        .eventually(WAIT, || {
            w.sim
                .messages(thread)
                .into_iter()
                .find(|msg| msg.content.contains("Not delivered to the member"))
        })
        .await
        .expect("a note that the DM failed");
    assert!(
        warned.content.contains("DMs are closed"),
        "{}",
        warned.content
    );
    let (_, messages) = service::modmail::transcript(&w.db.pool, g, &admin, &code)
        .await
        .unwrap();
    assert_eq!(messages.len(), 3, "kept in the transcript");
}

#[tokio::test]
async fn a_member_typing_close_in_the_dm_closes_their_ticket() {
    let w = World::new(1).await;
    let (m, forum) = with_modmail(&w).await;
    let raider = w.raiders[0];
    w.sim
        .send_dm(raider, "Who do I ask about key points?", vec![]);
    w.dm_containing(raider, "Press **Open ticket**").await;
    w.sim.send_dm(raider, "yes", vec![]);
    let opened = w.dm_containing(raider, "is open").await.content;
    let code = ticket_code(&opened);
    let (thread, _) = thread_with(&w, forum, "Who do I ask about key points?").await;

    // The member types "close" (any case): the ticket closes and they are thanked (the
    // closing job's own DM may come before or after the thanks).
    w.sim.send_dm(raider, "Close", vec![]);
    let thanks = format!("Your ticket `{code}` with **Raid Community** is closed. Thank you!");
    let said = w.dm_containing(raider, &thanks).await.content;
    assert_eq!(said, thanks);
    let t: String = sqlx::query_scalar("SELECT status FROM modmail_ticket WHERE code = $1")
        .bind(&code)
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(t, "closed");
    // Staff see it was the member who closed it: in the thread (locked and archived) and
    // in punishment_log; "close" is not relayed as a message.
    let (_, texts) = thread_with(&w, forum, "closed by").await;
    assert!(texts.iter().any(|t| t.contains("the member")), "{texts:?}");
    assert!(!texts.iter().any(|t| t.trim() == "Close"), "{texts:?}");
    w.sim
        .eventually(WAIT, || {
            w.sim
                .channels(w.guild)
                .into_iter()
                .find(|c| c.id == thread && c.locked && c.archived)
        })
        .await
        .expect("the thread is locked and archived");
    let closed = log_entry(&w, &m, &format!("Modmail ticket {code} closed")).await;
    assert!(
        closed.embeds[0].to_string().contains("the member"),
        "{:?}",
        closed.embeds
    );
    // A later DM does not reach the closed ticket: the cooldown before a new one applies.
    let next = say(&w, raider, "one more thing").await;
    assert!(
        next.starts_with("You closed a ticket with **Raid Community** a moment ago"),
        "{next}"
    );
}
