//! Team role sync: anyone holding a staff role (organizer or above) holds `team`.

use domain::Snowflake;
use twilight_model::id::Id;

use super::JobError;
use crate::Ctx;
use crate::discord::{Failure, classify};

pub async fn team_sync(ctx: &Ctx, guild: Snowflake, user: Snowflake) -> Result<(), JobError> {
    let (g, u) = (Id::new(guild.get()), Id::new(user.get()));
    let member = match ctx.http.guild_member(g, u).await {
        Ok(r) => r.model().await?,
        Err(e) if matches!(classify(&e), Failure::Permanent { code: 10007, .. }) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let held: Vec<Snowflake> = member
        .roles
        .iter()
        .filter_map(|r| Snowflake::new(r.get()).ok())
        .collect();
    let mapping = service::config::roles(&ctx.pool, guild).await?;
    let Some((team, wanted)) = service::staff::wants_team(&mapping, &held) else {
        return Ok(());
    };
    let has = held.contains(&team);
    if wanted == has {
        return Ok(());
    }
    let r = Id::new(team.get());
    let result = if wanted {
        ctx.http.add_guild_member_role(g, u, r).await
    } else {
        ctx.http.remove_guild_member_role(g, u, r).await
    };
    match result {
        Ok(_) => {}
        Err(e) if matches!(classify(&e), Failure::Permanent { code: 10007, .. }) => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    service::staff::team_changed(&ctx.pool, guild, user, wanted).await?;
    Ok(())
}
