//! Party finder: the public post, its buttons and the answers members get.

use domain::{CustomId, PartyButton, PartyComponent};
use service::party::Extended;
use service::party::{CloseReason, Party, PartyStatus};
use twilight_model::channel::message::component::{ButtonStyle, Component};
use twilight_model::channel::message::embed::Embed;
use twilight_util::builder::embed::{EmbedBuilder, EmbedFieldBuilder, EmbedFooterBuilder};

use super::components::{button, row};
use super::{COLOR_OK, relative_time};

fn full_time(t: chrono::DateTime<chrono::Utc>) -> String {
    format!("<t:{}:f>", t.timestamp())
}

/// The post's embed: what the party is, who runs it, where, and when it closes.
pub fn post_embed(p: &Party) -> Embed {
    let mut description = format!("Posted by <@{}>", p.owner_id);
    if let Some(text) = &p.description {
        description.push_str("\n\n");
        description.push_str(text);
    }
    let mut embed = EmbedBuilder::new()
        .title(p.name.clone())
        .description(description)
        .color(COLOR_OK);
    if let Some(location) = &p.location {
        embed = embed.field(EmbedFieldBuilder::new("Location", location.clone()).inline());
    }
    let closes = match p.status {
        PartyStatus::Open => format!(
            "{} ({})",
            relative_time(p.closes_at),
            full_time(p.closes_at)
        ),
        PartyStatus::Closed => "Closed".to_owned(),
    };
    embed
        .field(EmbedFieldBuilder::new("Closes", closes).inline())
        .field(EmbedFieldBuilder::new(
            "How it works",
            "Talk in this post's thread. The owner can extend the party by an hour or close it.",
        ))
        .footer(EmbedFooterBuilder::new(format!("Party #{}", p.party_id)))
        .build()
}

fn id(party_id: i64, button: PartyButton) -> String {
    CustomId::Party(PartyComponent::new(party_id, button)).to_string()
}

/// Extend and Close while open; nothing once closed.
pub fn post_components(p: &Party) -> Vec<Component> {
    if p.status == PartyStatus::Closed {
        return Vec::new();
    }
    vec![row(vec![
        button(
            id(p.party_id, PartyButton::Extend),
            "Extend 1 h",
            ButtonStyle::Secondary,
        ),
        button(
            id(p.party_id, PartyButton::Close),
            "Close",
            ButtonStyle::Danger,
        ),
    ])]
}

/// The coordination thread's name (Discord allows 1–100 characters; names are ≤ 60).
pub fn thread_name(p: &Party) -> String {
    p.name.chars().take(100).collect()
}

pub fn created(p: &Party) -> String {
    format!(
        "Your party **{}** is being posted in <#{}> with a thread to coordinate in. It closes {} unless you extend it (up to {} hours in all).",
        p.name,
        p.channel_id,
        relative_time(p.closes_at),
        domain::party::MAX_LIFETIME_MINUTES / 60
    )
}

pub fn extended(e: &Extended) -> String {
    if e.changed {
        format!(
            "Extended: **{}** now closes {}.",
            e.party.name,
            relative_time(e.party.closes_at)
        )
    } else {
        format!(
            "**{}** was just extended; it closes {}.",
            e.party.name,
            relative_time(e.party.closes_at)
        )
    }
}

pub fn closed(p: &Party) -> String {
    let by = match p.close_reason {
        Some(CloseReason::Moderator) => " by a moderator",
        _ => "",
    };
    format!(
        "Party **{}** closed{by}. Its post and thread are being removed.",
        p.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use domain::Snowflake;

    fn party(status: PartyStatus) -> Party {
        let now = Utc::now();
        Party {
            guild_id: Snowflake::new(1).unwrap(),
            party_id: 9,
            owner_id: Snowflake::new(42).unwrap(),
            name: "n".repeat(60),
            location: Some("l".repeat(100)),
            description: Some("d".repeat(500)),
            channel_id: Snowflake::new(5).unwrap(),
            message_id: None,
            thread_id: None,
            status,
            created_at: now,
            closes_at: now,
            extended_at: None,
            closed_at: None,
            closed_by: None,
            close_reason: None,
        }
    }

    #[test]
    fn the_post_fits_and_loses_its_buttons_when_closed() {
        let open = party(PartyStatus::Open);
        let e = post_embed(&open);
        assert!(e.title.as_deref().unwrap().len() <= 256);
        assert!(e.fields.iter().all(|f| f.value.len() <= 1024));
        assert_eq!(post_components(&open).len(), 1);
        assert!(post_components(&party(PartyStatus::Closed)).is_empty());
        assert_eq!(thread_name(&open).chars().count(), 60);
    }
}
