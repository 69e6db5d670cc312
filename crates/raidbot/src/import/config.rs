//! Guild settings with an equivalent in raidbot: role and channel mappings, dungeon ping
//! roles, the verification panel's text and image. A key raidbot has set itself since the switch (`/setroles`, `/setchannels`,
//! `/configrolepings`) is newer than the source's and is kept.

use domain::{ChannelKey, RoleKey, Snowflake};
use store::PgConnection;

use super::source::Source;
use super::{GuildReport, Keys, dungeon_code};

pub(super) async fn import(
    tx: &mut PgConnection,
    guild: Snowflake,
    source: &Source,
    report: &mut GuildReport,
) -> anyhow::Result<()> {
    roles(tx, guild, source, report).await?;
    channels(tx, guild, source, report).await?;
    role_pings(tx, guild, source, report).await?;
    verification(tx, guild, source, report).await?;
    Ok(())
}

async fn roles(
    tx: &mut PgConnection,
    guild: Snowflake,
    source: &Source,
    report: &mut GuildReport,
) -> anyhow::Result<()> {
    let mut keys = Keys::load(tx, guild, "guild_role").await?;
    let current = store::guild_config::roles(tx, guild).await?;
    let t = report.table("guild_role");
    for r in source.roles.iter().filter(|r| r.guild_id == guild.db()) {
        t.source += 1;
        if keys.seen(&r.role_key) {
            t.already += 1;
            continue;
        }
        let Some(key) = RoleKey::parse(&r.role_key) else {
            t.refuse(&r.role_key, "raidbot has no such role key");
            continue;
        };
        let Ok(role) = Snowflake::from_db(r.discord_role_id) else {
            t.refuse(
                &r.role_key,
                format!("`{}` is not a Discord role id", r.discord_role_id),
            );
            continue;
        };
        if current.contains_key(&key) {
            t.skip(
                &r.role_key,
                "raidbot maps this role already (kept raidbot's)",
            );
            keys.add(&r.role_key, None);
            continue;
        }
        store::guild_config::set_role(tx, guild, key, Some(role)).await?;
        keys.add(&r.role_key, Some(role.to_string()));
        t.imported += 1;
    }
    keys.save(tx, guild).await
}

async fn channels(
    tx: &mut PgConnection,
    guild: Snowflake,
    source: &Source,
    report: &mut GuildReport,
) -> anyhow::Result<()> {
    let mut keys = Keys::load(tx, guild, "guild_channel").await?;
    let current = store::guild_config::channels(tx, guild).await?;
    let t = report.table("guild_channel");
    for c in source.channels.iter().filter(|c| c.guild_id == guild.db()) {
        t.source += 1;
        if keys.seen(&c.channel_key) {
            t.already += 1;
            continue;
        }
        let Some(key) = ChannelKey::parse(&c.channel_key) else {
            t.refuse(&c.channel_key, "raidbot has no such channel key");
            continue;
        };
        let Ok(channel) = Snowflake::from_db(c.discord_channel_id) else {
            t.refuse(
                &c.channel_key,
                format!("`{}` is not a Discord channel id", c.discord_channel_id),
            );
            continue;
        };
        if current.contains_key(&key) {
            t.skip(
                &c.channel_key,
                "raidbot maps this channel already (kept raidbot's)",
            );
            keys.add(&c.channel_key, None);
            continue;
        }
        store::guild_config::set_channel(tx, guild, key, Some(channel)).await?;
        keys.add(&c.channel_key, Some(channel.to_string()));
        t.imported += 1;
    }
    keys.save(tx, guild).await
}

async fn role_pings(
    tx: &mut PgConnection,
    guild: Snowflake,
    source: &Source,
    report: &mut GuildReport,
) -> anyhow::Result<()> {
    let mut keys = Keys::load(tx, guild, "dungeon_role_ping").await?;
    let t = report.table("dungeon_role_ping");
    for p in source
        .role_pings
        .iter()
        .filter(|p| p.guild_id == guild.db())
    {
        t.source += 1;
        if keys.seen(&p.dungeon_key) {
            t.already += 1;
            continue;
        }
        let Some(code) = dungeon_code(&p.dungeon_key) else {
            t.refuse(
                &p.dungeon_key,
                "raidbot's dungeon catalog has no such dungeon",
            );
            continue;
        };
        let Ok(role) = Snowflake::from_db(p.discord_role_id) else {
            t.refuse(
                &p.dungeon_key,
                format!("`{}` is not a Discord role id", p.discord_role_id),
            );
            continue;
        };
        if store::role_pings::ping_role(tx, guild, &code)
            .await?
            .is_some()
        {
            t.skip(
                &p.dungeon_key,
                "raidbot maps this dungeon already (kept raidbot's)",
            );
            keys.add(&p.dungeon_key, None);
            continue;
        }
        store::role_pings::set(tx, guild, &code, role).await?;
        keys.add(&p.dungeon_key, Some(code));
        t.imported += 1;
    }
    keys.save(tx, guild).await
}

/// raidbot's limits on the verification panel's text and image address.
const PANEL_MESSAGE_MAX: usize = 1500;
const IMAGE_URL_MAX: usize = 500;

async fn verification(
    tx: &mut PgConnection,
    guild: Snowflake,
    source: &Source,
    report: &mut GuildReport,
) -> anyhow::Result<()> {
    let mut keys = Keys::load(tx, guild, "guild_verification_config").await?;
    let t = report.table("guild_verification_config");
    for v in source
        .veri_configs
        .iter()
        .filter(|v| v.guild_id == guild.db())
    {
        t.source += 1;
        let id = v.guild_id.to_string();
        if keys.seen(&id) {
            t.already += 1;
            continue;
        }
        let text = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let (message, image) = (
            text(&v.panel_custom_message),
            text(&v.panel_custom_message_image),
        );
        if message
            .as_ref()
            .is_some_and(|m| m.chars().count() > PANEL_MESSAGE_MAX)
        {
            t.refuse(
                &id,
                format!("the panel message is longer than {PANEL_MESSAGE_MAX} characters"),
            );
            continue;
        }
        if image
            .as_ref()
            .is_some_and(|m| m.chars().count() > IMAGE_URL_MAX)
        {
            t.refuse(
                &id,
                format!("the panel image address is longer than {IMAGE_URL_MAX} characters"),
            );
            continue;
        }
        if store::import::has_veri_config(tx, guild).await? {
            t.skip(
                &id,
                "raidbot has verification settings already (kept raidbot's)",
            );
            keys.add(&id, None);
            continue;
        }
        let config = store::verification::config::VeriConfig {
            panel_message: message,
            image_url: image,
            ..store::verification::config::VeriConfig::default()
        };
        store::verification::config::set_config(tx, guild, &config).await?;
        keys.add(&id, None);
        t.imported += 1;
    }
    keys.save(tx, guild).await
}
