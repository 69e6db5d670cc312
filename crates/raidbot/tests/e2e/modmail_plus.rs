//! Modmail, issue 21: `/modmail open` in a server and the server menu in DMs, snippets,
//! anonymous replies, scheduled and silent closes, temporary blacklists, ticket figures,
//! and the transcript link.

use discord_sim::{CommandOption, Message, UserId};

use crate::harness::{WAIT, World};
use crate::moderation::answer;
use crate::modmail::{
    guild_of, second_guild_with_modmail, staff, thread_with, ticket_code, with_modmail,
};

/// The bot's DMs to `user` holding `text`, counted.
fn dms_with(w: &World, user: UserId, text: &str) -> usize {
    w.sim
        .dms(user)
        .iter()
        .filter(|m| m.author_id != user && m.content.contains(text))
        .count()
}

/// The current state of a DM message (after the bot edited it).
async fn dm_now(w: &World, user: UserId, m: &Message, what: &str) -> Message {
    w.sim
        .eventually(WAIT, || {
            w.sim
                .dms(user)
                .into_iter()
                .find(|d| d.id == m.id && d.content.contains(what))
        })
        .await
        .unwrap_or_else(|| panic!("the DM now says {what:?}"))
}

/// A member opens a ticket with `/modmail open` and gets the ticket id.
async fn open_in_server(w: &World, user: UserId, text: &str) -> String {
    let said = staff(
        w,
        user,
        "modmail",
        vec![CommandOption::sub(
            "open",
            vec![CommandOption::string("message", text)],
        )],
    )
    .await;
    assert!(said.contains("is open"), "{said}");
    ticket_code(&said)
}

#[tokio::test]
async fn a_member_picks_the_server_from_a_menu_and_opens_with_a_button() {
    let w = World::new(1).await;
    let (_m, forum) = with_modmail(&w).await;
    let raider = w.raiders[0];
    second_guild_with_modmail(&w, raider).await;

    w.sim.send_dm(raider, "my loot vanished", vec![]);
    let menu = w.dm_containing(raider, "Which server").await;
    let custom_id = format!("mm:guild:{}", raider.0);
    let res = w
        .sim
        .select(
            w.guild,
            raider,
            menu.channel_id,
            menu.id,
            &custom_id,
            &[&w.guild.0.to_string()],
        )
        .await;
    let confirm = answer(&res).await;
    assert!(
        confirm.contains("Raid Community") && confirm.contains("Open ticket"),
        "{confirm}"
    );
    let menu = dm_now(&w, raider, &menu, "Open ticket").await;
    let res = w
        .sim
        .press(w.guild, raider, menu.channel_id, menu.id, "Open ticket")
        .await;
    let opened = answer(&res).await;
    assert!(opened.contains("is open"), "{opened}");
    let code = ticket_code(&opened);
    thread_with(&w, forum, "my loot vanished").await;

    // The button has gone from the message; a second press that raced the first (a double
    // click) finds the conversation over and opens nothing more.
    let after = dm_now(&w, raider, &menu, "is open").await;
    assert!(after.buttons().is_empty(), "no buttons left");
    let again = service::modmail::confirm(
        &w.db.pool,
        domain::Snowflake::new(raider.0).unwrap(),
        "raider",
        true,
    )
    .await
    .unwrap();
    assert_eq!(again, service::modmail::DmOutcome::Expired);
    w.settle().await;
    let tickets: i64 = sqlx::query_scalar("SELECT count(*) FROM modmail_ticket")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(tickets, 1);
    let (t, messages) = transcript(&w, &code).await;
    assert_eq!(t.guild_id, guild_of(&w));
    assert_eq!(messages.len(), 1);
}

#[tokio::test]
async fn a_member_opens_a_ticket_with_the_command_in_the_server() {
    let w = World::new(1).await;
    let (m, forum) = with_modmail(&w).await;
    let raider = w.raiders[0];
    let code = open_in_server(&w, raider, "someone is scamming in trade").await;
    thread_with(&w, forum, "someone is scamming in trade").await;
    // A second /modmail open adds to the same ticket.
    let said = staff(
        &w,
        raider,
        "modmail",
        vec![CommandOption::sub(
            "open",
            vec![CommandOption::string("message", "their IGN is Scammer")],
        )],
    )
    .await;
    assert!(
        said.contains(&code) && said.contains("Sent to the staff"),
        "{said}"
    );
    thread_with(&w, forum, "their IGN is Scammer").await;
    // Members may open, not close.
    let refused = staff(
        &w,
        raider,
        "modmail",
        vec![CommandOption::sub(
            "close",
            vec![CommandOption::string("ticket", &code)],
        )],
    )
    .await;
    assert!(refused.contains("Security"), "{refused}");
    let _ = m;
}

pub(crate) async fn transcript(
    w: &World,
    code: &str,
) -> (
    service::modmail::Ticket,
    Vec<service::modmail::TicketMessage>,
) {
    let admin = service::Actor::member(
        domain::Snowflake::new(1).unwrap(),
        domain::Level::ADMINISTRATOR,
    );
    service::modmail::transcript(&w.db.pool, guild_of(w), &admin, code)
        .await
        .unwrap()
}

/// Time passes: the given statements move a row's time to now, then the timer `kind` is
/// due now and the dispatcher is woken.
async fn time_passes(w: &World, statements: &[&str], kind: &str) {
    for s in statements {
        sqlx::query(sqlx::AssertSqlSafe(s.to_string()))
            .execute(&w.db.pool)
            .await
            .unwrap();
    }
    sqlx::query("UPDATE job SET due_at = now() WHERE kind = $1 AND state = 'pending'")
        .bind(kind)
        .execute(&w.db.pool)
        .await
        .unwrap();
    sqlx::query("SELECT pg_notify('raidbot_jobs', '')")
        .execute(&w.db.pool)
        .await
        .unwrap();
}

async fn status(w: &World, code: &str) -> (String, bool) {
    sqlx::query_as("SELECT status, close_at IS NOT NULL FROM modmail_ticket WHERE code = $1")
        .bind(code)
        .fetch_one(&w.db.pool)
        .await
        .unwrap()
}

async fn timers_done(w: &World, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM job WHERE kind = $1 AND state = 'done'")
        .bind(kind)
        .fetch_one(&w.db.pool)
        .await
        .unwrap()
}

fn close(code: &str, extra: Vec<CommandOption>) -> Vec<CommandOption> {
    let mut options = vec![CommandOption::string("ticket", code)];
    options.extend(extra);
    vec![CommandOption::sub("close", options)]
}

#[tokio::test]
async fn staff_save_snippets_and_reply_with_one_anonymously() {
    let w = World::new(1).await;
    let (m, forum) = with_modmail(&w).await;
    let raider = w.raiders[0];
    let code = open_in_server(&w, raider, "how do I appeal?").await;
    let (thread, _) = thread_with(&w, forum, "how do I appeal?").await;

    let add = |name: &str, text: &str| {
        vec![CommandOption::sub(
            "add",
            vec![
                CommandOption::string("name", name),
                CommandOption::string("text", text),
            ],
        )]
    };
    let refused = staff(&w, raider, "snippet", add("x", "y")).await;
    assert!(refused.contains("Security"), "{refused}");
    let saved = staff(
        &w,
        m.security,
        "snippet",
        add("Appeal-Info", "Appeals go to #appeals with your IGN."),
    )
    .await;
    assert!(saved.contains("`appeal-info` saved"), "{saved}");
    staff(&w, m.security, "snippet", add("rules", "Read #rules.")).await;
    let bad = staff(&w, m.security, "snippet", add("no spaces!", "x")).await;
    assert!(bad.contains("not a snippet name"), "{bad}");

    // Autocomplete offers the snippets matching what is typed.
    let choices = w
        .sim
        .autocomplete(
            w.guild,
            w.raid,
            m.security,
            "modmailreply",
            vec![
                CommandOption::string("ticket", &code),
                CommandOption::string("snippet", "app").focused(),
            ],
        )
        .await
        .unwrap();
    let values: Vec<String> = choices
        .iter()
        .map(|c| c.value.as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(values, vec!["appeal-info".to_owned()]);
    let listed = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            m.security,
            "snippet",
            vec![CommandOption::sub("list", vec![])],
        )
        .await;
    let shown = listed.embeds[0].to_string();
    assert!(
        shown.contains("appeal-info") && shown.contains("rules"),
        "{shown}"
    );

    // An anonymous reply with the snippet and a line of its own.
    let said = staff(
        &w,
        m.security,
        "modmailreply",
        vec![
            CommandOption::string("ticket", &code),
            CommandOption::string("snippet", "appeal-info"),
            CommandOption::string("text", "Mention this ticket id."),
            CommandOption::bool("anonymous", true),
        ],
    )
    .await;
    assert!(said.contains("as \"Staff\""), "{said}");
    let dm = w
        .dm_containing(raider, "Appeals go to #appeals")
        .await
        .content;
    assert!(dm.contains("Mention this ticket id."), "{dm}");
    assert!(dm.contains("**Staff** of Raid Community"), "{dm}");
    assert!(
        !dm.contains(&m.security.0.to_string()) && !dm.contains("security"),
        "the member does not see who wrote it: {dm}"
    );
    // A signed reply names its author.
    staff(
        &w,
        m.security,
        "modmailreply",
        vec![
            CommandOption::string("ticket", &code),
            CommandOption::string("text", "Anything else?"),
        ],
    )
    .await;
    let signed = w.dm_containing(raider, "Anything else?").await.content;
    assert!(signed.contains(&format!("<@{}>", m.security.0)), "{signed}");
    // Staff see who sent the anonymous one, in the thread and the transcript.
    let (_, texts) = thread_with(&w, forum, "(as Staff)").await;
    assert!(
        texts
            .iter()
            .any(|t| t.contains("(as Staff)") && t.contains(&m.security.0.to_string())),
        "{texts:?}"
    );
    let (_, messages) = crate::modmail_plus::transcript(&w, &code).await;
    assert!(messages[1].anonymous && !messages[2].anonymous);
    assert_eq!(messages[1].author_id.map(|a| a.get()), Some(m.security.0));
    assert_eq!(
        messages[1].body,
        "Appeals go to #appeals with your IGN.\n\nMention this ticket id."
    );
    // An unknown snippet is refused and nothing is sent.
    let missing = staff(
        &w,
        m.security,
        "modmailreply",
        vec![
            CommandOption::string("ticket", &code),
            CommandOption::string("snippet", "nope"),
        ],
    )
    .await;
    assert!(missing.contains("no snippet `nope`"), "{missing}");
    let removed = staff(
        &w,
        m.security,
        "snippet",
        vec![CommandOption::sub(
            "remove",
            vec![CommandOption::string("name", "rules")],
        )],
    )
    .await;
    assert!(removed.contains("removed"), "{removed}");
    w.settle().await;
    assert_eq!(dms_with(&w, raider, "Appeals go to #appeals"), 1);
    let _ = thread;
}

#[tokio::test]
async fn a_scheduled_close_is_cancelled_by_the_members_reply_and_a_silent_close_tells_nobody() {
    let w = World::new(2).await;
    let (m, forum) = with_modmail(&w).await;
    let raider = w.raiders[0];
    let code = open_in_server(&w, raider, "is my run counted?").await;
    thread_with(&w, forum, "is my run counted?").await;

    let said = staff(
        &w,
        m.security,
        "modmail",
        close(&code, vec![CommandOption::string("in", "2h")]),
    )
    .await;
    assert!(said.contains("will close"), "{said}");
    assert_eq!(status(&w, &code).await, ("open".to_owned(), true));
    // The member is told how to keep it open; staff see it in the thread.
    w.dm_containing(raider, "just reply here and it stays open")
        .await;
    thread_with(&w, forum, "scheduled this ticket to close").await;
    // The member writes again: the close is off, and staff are told.
    w.sim.send_dm(raider, "one more question", vec![]);
    w.dm_containing(raider, "Sent to the staff").await;
    thread_with(&w, forum, "one more question").await;
    thread_with(&w, forum, "Scheduled close cancelled: the member replied").await;
    assert_eq!(status(&w, &code).await, ("open".to_owned(), false));
    // The timer still fires (two hours later) and finds nothing to do.
    time_passes(&w, &[], "modmail_scheduled_close").await;
    w.settle().await;
    assert_eq!(timers_done(&w, "modmail_scheduled_close").await, 1);
    assert_eq!(status(&w, &code).await, ("open".to_owned(), false));
    assert_eq!(dms_with(&w, raider, "was closed"), 0);

    // Scheduled again, silently: it closes at its time and the member is not told.
    let said = staff(
        &w,
        m.security,
        "modmail",
        close(
            &code,
            vec![
                CommandOption::string("in", "30m"),
                CommandOption::bool("silent", true),
            ],
        ),
    )
    .await;
    assert!(said.contains("the member is not told"), "{said}");
    time_passes(
        &w,
        &["UPDATE modmail_ticket SET close_at = now()"],
        "modmail_scheduled_close",
    )
    .await;
    thread_with(&w, forum, "(scheduled)").await;
    w.settle().await;
    assert_eq!(status(&w, &code).await.0, "closed");
    assert_eq!(dms_with(&w, raider, "was closed"), 0, "a silent close");
    assert_eq!(
        dms_with(&w, raider, "stays open"),
        1,
        "told once of the first schedule, not of the silent one"
    );

    // Another member's ticket closed now, not silently: told once.
    let other = w.raiders[1];
    let code2 = open_in_server(&w, other, "hello").await;
    let said = staff(&w, m.security, "modmail", close(&code2, vec![])).await;
    assert!(said.contains("the member is told"), "{said}");
    w.dm_containing(other, "was closed").await;
    w.settle().await;
    assert_eq!(dms_with(&w, other, "was closed"), 1);
}

#[tokio::test]
async fn a_temporary_blacklist_ends_and_the_member_is_told() {
    let w = World::new(1).await;
    let (m, _forum) = with_modmail(&w).await;
    let raider = w.raiders[0];
    let said = staff(
        &w,
        m.officer,
        "modmailblacklist",
        vec![
            CommandOption::user("user", raider),
            CommandOption::string("reason", "spamming tickets"),
            CommandOption::string("duration", "1d"),
        ],
    )
    .await;
    assert!(said.contains("until"), "{said}");
    let logged = crate::moderation::log_entry(&w, &m, "Modmail blacklist")
        .await
        .embeds[0]
        .to_string();
    assert!(logged.contains("spamming tickets"), "{logged}");
    // When it ends, as a Discord timestamp (each reader's own time zone).
    let ends: i64 = sqlx::query_scalar(
        "SELECT floor(extract(epoch FROM expires_at))::bigint FROM modmail_blacklist",
    )
    .fetch_one(&w.db.pool)
    .await
    .unwrap();
    assert!(
        logged.contains(&format!("<t:{ends}:F> (<t:{ends}:R>)")),
        "{logged}"
    );
    let bad = staff(
        &w,
        m.officer,
        "modmailunblacklist",
        vec![CommandOption::user("user", raider)],
    )
    .await;
    assert!(bad.contains("can open modmail tickets again"), "{bad}");
    // Blacklisted again for a day: the refusal says until when.
    staff(
        &w,
        m.officer,
        "modmailblacklist",
        vec![
            CommandOption::user("user", raider),
            CommandOption::string("reason", "spamming tickets"),
            CommandOption::string("duration", "1d"),
        ],
    )
    .await;
    w.sim.send_dm(raider, "let me in", vec![]);
    let refusal = w
        .dm_containing(raider, "not taking modmail from you until")
        .await;
    assert!(
        refusal.content.contains("Raid Community"),
        "{}",
        refusal.content
    );

    // The day passes: the member is told once, the entry is gone, the log says so.
    time_passes(
        &w,
        &["UPDATE modmail_blacklist SET expires_at = now()"],
        "modmail_blacklist_expiry",
    )
    .await;
    w.dm_containing(raider, "by modmail again").await;
    let ran_out = w
        .sim
        .eventually(WAIT, || {
            w.sim.messages(m.log).into_iter().find(|msg| {
                msg.embeds.first().is_some_and(|e| {
                    let e = e.to_string();
                    e.contains("Modmail blacklist lifted") && e.contains("its time ran out")
                })
            })
        })
        .await;
    assert!(
        ran_out.is_some(),
        "punishment_log says the blacklist ran out"
    );
    w.settle().await;
    assert_eq!(dms_with(&w, raider, "by modmail again"), 1);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM modmail_blacklist")
        .fetch_one(&w.db.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
    w.sim.send_dm(raider, "let me in now", vec![]);
    w.dm_containing(raider, "Open a modmail ticket").await;
}

#[tokio::test]
async fn modmailstats_shows_first_response_times_and_tickets_per_staff_member() {
    let w = World::new(2).await;
    let (m, _forum) = with_modmail(&w).await;
    let a = open_in_server(&w, w.raiders[0], "first ticket").await;
    let b = open_in_server(&w, w.raiders[1], "second ticket").await;
    for (who, code) in [(m.security, &a), (m.security, &b), (m.security2, &a)] {
        staff(
            &w,
            who,
            "modmailreply",
            vec![
                CommandOption::string("ticket", code),
                CommandOption::string("text", "on it"),
            ],
        )
        .await;
    }
    // Known times: each ticket opened 10 minutes before its first answer.
    sqlx::query("UPDATE modmail_ticket SET created_at = created_at - interval '10 minutes'")
        .execute(&w.db.pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE modmail_message SET created_at = created_at - interval '10 minutes'
         WHERE direction = 'member'",
    )
    .execute(&w.db.pool)
    .await
    .unwrap();
    let res = w
        .sim
        .run_command(
            w.guild,
            w.raid,
            m.security,
            "modmailstats",
            vec![CommandOption::int("days", 7)],
        )
        .await;
    assert!(res.ephemeral);
    let shown = res.embeds[0].to_string();
    assert!(shown.contains("Modmail, last 7 days"), "{shown}");
    assert!(shown.contains("average 10m"), "{shown}");
    assert!(
        shown.contains(&format!(
            "<@{}> — 2 tickets, 2 replies; first answer on 2",
            m.security.0
        )),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("<@{}> — 1 ticket, 1 reply", m.security2.0)),
        "{shown}"
    );
    let refused = staff(&w, w.raiders[0], "modmailstats", vec![]).await;
    assert!(refused.contains("Security"), "{refused}");
}

#[tokio::test]
async fn closing_posts_the_transcript_as_a_file_or_a_dashboard_link() {
    let mut w = World::new(2).await;
    let (m, forum) = with_modmail(&w).await;
    let raider = w.raiders[0];
    let code = open_in_server(&w, raider, "my <b>key</b> was eaten").await;
    thread_with(&w, forum, "was eaten").await;
    staff(
        &w,
        m.security,
        "modmailreply",
        vec![
            CommandOption::string("ticket", &code),
            CommandOption::string("text", "Refunded."),
            CommandOption::bool("anonymous", true),
        ],
    )
    .await;
    staff(&w, m.security, "modmail", close(&code, vec![])).await;
    // No dashboard: the transcript is attached to the log entry.
    let entry =
        crate::moderation::log_entry(&w, &m, &format!("Modmail ticket {code} closed")).await;
    assert!(
        entry.embeds[0]
            .to_string()
            .contains(&format!("transcript-{code}.txt")),
        "{:?}",
        entry.embeds
    );
    let file = entry
        .attachments
        .iter()
        .find(|a| a.filename == format!("transcript-{code}.txt"))
        .expect("the transcript file");
    let (_, bytes) = w.sim.uploaded(file.id).expect("uploaded bytes");
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("my <b>key</b> was eaten"), "{text}");
    assert!(
        text.contains("Refunded.") && text.contains("sent as \"Staff\""),
        "{text}"
    );
    assert!(text.contains(&format!("<@{}>", m.security.0)), "{text}");

    // With the dashboard served, the entry links to the ticket's page instead.
    w.bot_public_url = Some("https://raid.example/".to_owned());
    w.restart_bot().await;
    let other = w.raiders[1];
    let code2 = open_in_server(&w, other, "second").await;
    staff(&w, m.security, "modmail", close(&code2, vec![])).await;
    let entry =
        crate::moderation::log_entry(&w, &m, &format!("Modmail ticket {code2} closed")).await;
    let shown = entry.embeds[0].to_string();
    assert!(
        shown.contains(&format!(
            "https://raid.example/g/{}/modmail/{code2}",
            w.guild.0
        )),
        "{shown}"
    );
    assert!(entry.attachments.is_empty());
    w.settle().await;
    let closed_entries = w
        .titles(m.log)
        .iter()
        .filter(|t| t.contains("closed"))
        .count();
    assert_eq!(closed_entries, 2, "one entry per closed ticket");
}
