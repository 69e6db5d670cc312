//! Who the logged-in person is in a server, decided now: Discord says whether they are a
//! member (and an administrator there), the bot's token reads their current roles, and
//! the server's role mapping turns them into a [`service::Actor`] — the same function the
//! bot uses for a slash command's member. Nothing the browser sends enters into it.

use domain::Snowflake;
use service::Actor;

use crate::auth::Session;
use crate::discord::{DiscordError, MyGuild};
use crate::{WebError, WebState};

/// The person acting in one server.
pub struct InGuild {
    pub guild: Snowflake,
    pub name: String,
    pub actor: Actor,
}

/// The servers the person is in that raidbot serves, in Discord's order.
pub async fn shared_guilds(state: &WebState, session: &Session) -> Result<Vec<MyGuild>, WebError> {
    let mine = state
        .discord
        .my_guilds(&session.data.access_token)
        .await
        .map_err(discord_error)?;
    let ids: Vec<Snowflake> = mine.iter().filter_map(MyGuild::snowflake).collect();
    let served = service::web_sessions::served_guilds(&state.pool, &ids).await?;
    Ok(mine
        .into_iter()
        .filter(|g| g.snowflake().is_some_and(|id| served.contains(&id)))
        .collect())
}

/// The person in `guild` with their current level; a 403 page when they are not a member
/// of it or raidbot does not serve it.
pub async fn in_guild(
    state: &WebState,
    session: &Session,
    guild: &str,
) -> Result<InGuild, WebError> {
    let guild =
        Snowflake::parse(guild).map_err(|_| WebError::not_found("There is no such server."))?;
    let shared = shared_guilds(state, session).await?;
    let not_member = || {
        WebError::forbidden("You are not a member of this server, or raidbot does not serve it.")
    };
    let entry = shared
        .into_iter()
        .find(|g| g.snowflake() == Some(guild))
        .ok_or_else(not_member)?;
    let user = session.user_id();
    let roles = state
        .discord
        .member_roles(guild, user)
        .await
        .map_err(WebError::discord)?
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

fn discord_error(e: DiscordError) -> WebError {
    match e {
        DiscordError::Unauthorized => {
            WebError::login_required("Discord no longer accepts this login; please log in again.")
        }
        other => WebError::discord(other),
    }
}
