//! Giving a promotion: the rule's role, the lower role taken, and a DM to the member
//! (closed DMs are respected). Role changes are idempotent on Discord; the DM is posted
//! once across retries (`create_message_once`).

use domain::Snowflake;
use twilight_model::id::Id;

use super::{Failure, JobError, classify};
use crate::{Ctx, views};

pub async fn promote(
    ctx: &Ctx,
    guild: Snowflake,
    rule_id: i64,
    user: Snowflake,
) -> Result<(), JobError> {
    let Some(rule) = service::promotions::rule(&ctx.pool, guild, rule_id).await? else {
        return Ok(()); // removed since: nothing to give
    };
    let (g, u) = (Id::new(guild.get()), Id::new(user.get()));
    match ctx
        .http
        .add_guild_member_role(g, u, Id::new(rule.role_id.get()))
        .await
    {
        Ok(_) => {}
        // The member left the server: nothing to give.
        Err(e) if matches!(classify(&e), Failure::Permanent { code: 10007, .. }) => {
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    }
    if let Some(lower) = rule.remove_role_id {
        match ctx
            .http
            .remove_guild_member_role(g, u, Id::new(lower.get()))
            .await
        {
            Ok(_) => {}
            Err(e) if matches!(classify(&e), Failure::Permanent { code: 10007, .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let role_name = match ctx.http.roles(g).await {
        Ok(r) => r
            .model()
            .await
            .ok()
            .and_then(|roles| roles.into_iter().find(|r| r.id.get() == rule.role_id.get()))
            .map(|r| r.name),
        Err(_) => None,
    };
    let guild_name = match ctx.http.guild(g).await {
        Ok(r) => r.model().await.ok().map(|g| g.name),
        Err(_) => None,
    };
    let text = views::promotions::dm(&rule, role_name.as_deref(), guild_name.as_deref());
    let channel = ctx.http.create_private_channel(u).await?.model().await?;
    let sent = crate::discord::create_message_once(
        &ctx.http,
        channel.id,
        ctx.http.create_message(channel.id).content(&text),
    )
    .await;
    match sent {
        Ok(_) => Ok(()),
        Err(e) => match classify(&e) {
            Failure::Permanent { code: 50007, .. } => {
                tracing::info!(%user, rule = rule_id, "the member does not accept DMs; skipped");
                Ok(())
            }
            other => Err(JobError::Discord(other)),
        },
    }
}
