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
    assert!(said.contains(&code) && said.contains("Sent to the staff"), "{said}");
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
) -> (service::modmail::Ticket, Vec<service::modmail::TicketMessage>) {
    let admin = service::Actor::member(
        domain::Snowflake::new(1).unwrap(),
        domain::Level::ADMINISTRATOR,
    );
    service::modmail::transcript(&w.db.pool, guild_of(w), &admin, code)
        .await
        .unwrap()
}
