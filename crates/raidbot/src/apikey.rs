//! `raidbot apikey create|list|revoke`: the operator's side of per-guild REST API keys.
//! The rules (levels, labels, audit rows) are `service::api_keys`'; this module parses the
//! command line's words and prints the results.

use std::fmt::Write as _;

use anyhow::{Context, bail};
use domain::Snowflake;
use domain::roles::{Level, RoleKey};
use service::Actor;
use store::PgPool;

/// Who the CLI acts as: the operator, with an administrator's rights in every guild.
pub fn operator() -> Actor {
    Actor {
        user_id: None,
        level: Level::ADMINISTRATOR,
        label: "operator (raidbot apikey)".to_owned(),
    }
}

/// Reads `--guild` as a Discord server id.
pub fn parse_guild(text: &str) -> anyhow::Result<Snowflake> {
    Snowflake::parse(text.trim())
        .map_err(|_| anyhow::anyhow!("--guild must be a Discord server id (digits), not {text:?}"))
}

/// Reads `--level` as a role key that grants a level ("officer", "security", ...).
pub fn parse_level(text: &str) -> anyhow::Result<Level> {
    let key = RoleKey::parse(
        text.trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .as_str(),
    );
    match key.and_then(RoleKey::level) {
        Some(level) => Ok(level),
        None => {
            let valid: Vec<&str> = RoleKey::ALL
                .into_iter()
                .filter(|k| k.level().is_some())
                .map(RoleKey::as_str)
                .collect();
            bail!("--level must be one of {}, not {text:?}", valid.join(", "))
        }
    }
}

fn level_name(level: Level) -> &'static str {
    RoleKey::for_level(level).map_or("?", RoleKey::as_str)
}

/// Creates a key and returns what to print: a description, then the secret alone on the
/// last line (it is shown this once and only its hash is stored).
pub async fn create(
    pool: &PgPool,
    guild: &str,
    level: &str,
    label: &str,
) -> anyhow::Result<String> {
    let guild = parse_guild(guild)?;
    let level = parse_level(level)?;
    let new = api::keys::create(pool, guild, &operator(), label, level)
        .await
        .map_err(|e| anyhow::anyhow!("{}", api::error::refusal_message(&e)))?;
    Ok(format!(
        "created API key #{} '{}' for server {} at level {} ({}); store it now, it is not shown again:\n{}",
        new.key.key_id,
        new.key.label,
        guild,
        level_name(new.key.level),
        new.key.level.0,
        new.secret
    ))
}

/// The guild's keys, one a line, newest first, revoked ones marked.
pub async fn list(pool: &PgPool, guild: &str) -> anyhow::Result<String> {
    let guild = parse_guild(guild)?;
    let keys = service::api_keys::list(pool, guild, &operator())
        .await
        .map_err(|e| anyhow::anyhow!("{}", api::error::refusal_message(&e)))?;
    if keys.is_empty() {
        return Ok(format!("server {guild} has no API keys"));
    }
    let mut out = String::new();
    for k in keys {
        let state = match k.revoked_at {
            Some(at) => format!("revoked {}", at.format("%Y-%m-%d %H:%M UTC")),
            None => "active".to_owned(),
        };
        let _ = writeln!(
            out,
            "#{}\t{}\t{}\tcreated {}\t{}",
            k.key_id,
            k.label,
            level_name(k.level),
            k.created_at.format("%Y-%m-%d %H:%M UTC"),
            state
        );
    }
    Ok(out.trim_end().to_owned())
}

/// Revokes the one active key named by `label_or_id` (in `guild` when given).
pub async fn revoke(
    pool: &PgPool,
    guild: Option<&str>,
    label_or_id: &str,
) -> anyhow::Result<String> {
    let guild = guild.map(parse_guild).transpose()?;
    let actor = operator();
    let found = service::api_keys::resolve(pool, guild, &actor, label_or_id)
        .await
        .map_err(|e| anyhow::anyhow!("{}", api::error::refusal_message(&e)))?;
    let key = match found.as_slice() {
        [] => bail!("no active API key is labelled or numbered {label_or_id:?}"),
        [key] => key,
        many => {
            let ids: Vec<String> = many
                .iter()
                .map(|k| format!("#{} (server {})", k.key_id, k.guild_id))
                .collect();
            bail!(
                "{} active keys match {label_or_id:?}: {}; revoke one by its number",
                many.len(),
                ids.join(", ")
            )
        }
    };
    service::api_keys::revoke(pool, key.guild_id, &actor, key.key_id)
        .await
        .map_err(|e| anyhow::anyhow!("{}", api::error::refusal_message(&e)))
        .context("revoking")?;
    Ok(format!(
        "revoked API key #{} '{}' of server {}",
        key.key_id, key.label, key.guild_id
    ))
}
