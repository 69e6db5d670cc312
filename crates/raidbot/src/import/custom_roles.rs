//! Custom role verifications (`custom_role_verification`): roles members request with a
//! screenshot, reviewed in a channel. The original's have no name (its panels show the
//! Discord role), which raidbot's panels and lists need; there is no title column, so each
//! is named from its source id: "Role verification <id>" (staff rename it by adding the
//! same role again with `/configverification`). raidbot's description is the original's
//! role description followed by its instructions and example image link, so members still
//! read what to submit. The old bot's panel messages are not taken over: staff post
//! raidbot's panel.

use domain::Snowflake;
use store::PgConnection;

use super::source::{CustomRoleRow, Source};
use super::{GuildReport, Keys};

/// raidbot keeps descriptions up to this many characters.
const DESCRIPTION_MAX: usize = 1_500;

/// The name raidbot gives an imported custom role verification.
pub fn name(row: &CustomRoleRow) -> String {
    format!("Role verification {}", row.id)
}

/// The description: what the role is, then what to submit.
pub fn description(row: &CustomRoleRow) -> String {
    let mut parts: Vec<String> = Vec::new();
    for text in [
        row.role_description.as_deref(),
        Some(row.instructions.as_str()),
    ]
    .into_iter()
    .flatten()
    .map(str::trim)
    .filter(|t| !t.is_empty())
    {
        parts.push(text.to_owned());
    }
    if let Some(url) = row
        .example_image_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        parts.push(format!("Example: {url}"));
    }
    parts.join("\n\n")
}

pub(super) async fn import(
    tx: &mut PgConnection,
    guild: Snowflake,
    source: &Source,
    report: &mut GuildReport,
) -> anyhow::Result<()> {
    let mut keys = Keys::load(tx, guild, "custom_role_verification").await?;
    let t = report.table("custom_role_verification");
    for row in source
        .custom_roles
        .iter()
        .filter(|r| r.guild_id == guild.db())
    {
        t.source += 1;
        let id = row.id.to_string();
        if keys.seen(&id) {
            t.already += 1;
            continue;
        }
        let (Ok(role), Ok(channel)) = (
            Snowflake::from_db(row.role_id),
            Snowflake::from_db(row.verification_channel_id),
        ) else {
            t.refuse(&id, "the role or the review channel is not a Discord id");
            continue;
        };
        let description = description(row);
        let chars = description.chars().count();
        if chars > DESCRIPTION_MAX {
            t.refuse(
                &id,
                format!(
                    "the description and instructions have {chars} characters; raidbot keeps \
                     up to {DESCRIPTION_MAX}"
                ),
            );
            continue;
        }
        let description = (!description.is_empty()).then_some(description.as_str());
        match store::import::insert_custom_role(
            tx,
            guild,
            &name(row),
            role,
            description,
            channel,
            row.created_at,
        )
        .await?
        {
            Some(custom_role_id) => {
                keys.add(&id, Some(custom_role_id.to_string()));
                t.imported += 1;
            }
            None => t.skip(
                &id,
                "raidbot already verifies this role (its own settings are kept)",
            ),
        }
    }
    keys.save(tx, guild).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_custom_role_is_named_by_its_source_id_and_described_by_its_texts() {
        let row = CustomRoleRow {
            id: 7,
            guild_id: 1,
            role_id: 2,
            verification_channel_id: 3,
            instructions: "Post your O3 completions".into(),
            example_image_url: Some("https://example.com/o3.png".into()),
            role_description: Some("O3 carry".into()),
            created_at: chrono::Utc::now(),
        };
        assert_eq!(name(&row), "Role verification 7");
        assert_eq!(
            description(&row),
            "O3 carry\n\nPost your O3 completions\n\nExample: https://example.com/o3.png"
        );
        let bare = CustomRoleRow {
            role_description: None,
            example_image_url: None,
            ..row
        };
        assert_eq!(description(&bare), "Post your O3 completions");
    }
}
