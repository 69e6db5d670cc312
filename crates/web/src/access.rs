//! Who the logged-in person is in a server, decided now: Discord says whether they are a
//! member (and an administrator there), the bot's token reads their current roles, and
//! the server's role mapping turns them into a [`service::Actor`] — the same function the
//! bot uses for a slash command's member. Nothing the browser sends enters into it.
//!
//! Discord's answers are kept for [`crate::cache::TTL`] for pages any raider may read
//! ([`Freshness::Cached`]); staff pages and every change ask again ([`Freshness::Fresh`]),
//! so a role taken away on Discord is known by the very next such page.

use domain::Snowflake;
use service::Actor;

use crate::auth::Session;
use crate::discord::{DiscordError, MyGuild, Named};
use crate::{WebError, WebState};

/// Whether Discord's recent answers may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Answers up to [`crate::cache::TTL`] old: pages any verified raider may read.
    Cached,
    /// Ask Discord now: staff pages and every change.
    Fresh,
}

/// The person acting in one server.
pub struct InGuild {
    pub guild: Snowflake,
    pub name: String,
    pub actor: Actor,
}

/// The person's servers at Discord (their token), from the cache when allowed.
async fn my_guilds(
    state: &WebState,
    session: &Session,
    freshness: Freshness,
) -> Result<Vec<MyGuild>, WebError> {
    if freshness == Freshness::Cached
        && let Some(hit) = state.cache.my_guilds.get(&session.session_hash)
    {
        return Ok(hit);
    }
    let mine = state
        .discord
        .my_guilds(&session.data.access_token)
        .await
        .map_err(discord_error)?;
    state
        .cache
        .my_guilds
        .put(session.session_hash.clone(), mine.clone());
    Ok(mine)
}

/// The servers the person is in that raidbot serves, in Discord's order.
pub async fn shared_guilds(state: &WebState, session: &Session) -> Result<Vec<MyGuild>, WebError> {
    shared(state, session, Freshness::Cached).await
}

async fn shared(
    state: &WebState,
    session: &Session,
    freshness: Freshness,
) -> Result<Vec<MyGuild>, WebError> {
    let mine = my_guilds(state, session, freshness).await?;
    let ids: Vec<Snowflake> = mine.iter().filter_map(MyGuild::snowflake).collect();
    let served = service::web_sessions::served_guilds(&state.pool, &ids).await?;
    Ok(mine
        .into_iter()
        .filter(|g| g.snowflake().is_some_and(|id| served.contains(&id)))
        .collect())
}

/// The person in `guild` with their level, from Discord's recent answers (pages any
/// raider may read); a 403 page when they are not a member or raidbot does not serve it.
pub async fn in_guild(
    state: &WebState,
    session: &Session,
    guild: &str,
) -> Result<InGuild, WebError> {
    in_guild_as(state, session, guild, Freshness::Cached).await
}

/// [`in_guild`] with Discord asked now: staff pages and every change.
pub async fn in_guild_fresh(
    state: &WebState,
    session: &Session,
    guild: &str,
) -> Result<InGuild, WebError> {
    in_guild_as(state, session, guild, Freshness::Fresh).await
}

async fn in_guild_as(
    state: &WebState,
    session: &Session,
    guild: &str,
    freshness: Freshness,
) -> Result<InGuild, WebError> {
    let guild =
        Snowflake::parse(guild).map_err(|_| WebError::not_found("There is no such server."))?;
    let shared = shared(state, session, freshness).await?;
    let not_member = || {
        WebError::forbidden("You are not a member of this server, or raidbot does not serve it.")
    };
    let entry = shared
        .into_iter()
        .find(|g| g.snowflake() == Some(guild))
        .ok_or_else(not_member)?;
    let user = session.user_id();
    let key = (guild, user);
    let roles = match state.cache.member_roles.get(&key) {
        Some(hit) if freshness == Freshness::Cached => hit,
        _ => {
            let roles = state
                .discord
                .member_roles(guild, user)
                .await
                .map_err(WebError::discord)?;
            state.cache.member_roles.put(key, roles.clone());
            roles
        }
    }
    .ok_or_else(not_member)?;
    let mapping = service::config::roles(&state.pool, guild).await?;
    let actor =
        service::config::actor_for_member(&mapping, user, &roles, entry.discord_administrator());
    Ok(InGuild {
        guild,
        name: entry.name,
        actor,
    })
}

/// The server's roles (cached for [`crate::cache::TTL`]).
pub async fn guild_roles(state: &WebState, guild: Snowflake) -> Result<Vec<Named>, WebError> {
    if let Some(hit) = state.cache.guild_roles.get(&guild) {
        return Ok(hit);
    }
    let roles = state
        .discord
        .guild_roles(guild)
        .await
        .map_err(WebError::discord)?;
    state.cache.guild_roles.put(guild, roles.clone());
    Ok(roles)
}

/// The server's channels (cached for [`crate::cache::TTL`]).
pub async fn guild_channels(state: &WebState, guild: Snowflake) -> Result<Vec<Named>, WebError> {
    if let Some(hit) = state.cache.guild_channels.get(&guild) {
        return Ok(hit);
    }
    let channels = state
        .discord
        .guild_channels(guild)
        .await
        .map_err(WebError::discord)?;
    state.cache.guild_channels.put(guild, channels.clone());
    Ok(channels)
}

fn discord_error(e: DiscordError) -> WebError {
    match e {
        DiscordError::Unauthorized => {
            WebError::login_required("Discord no longer accepts this login; please log in again.")
        }
        other => WebError::discord(other),
    }
}
