//! Posting the self-service ping role panel.

use domain::Snowflake;

use super::{JobError, channel_id};
use crate::{Ctx, views};

/// Posts the panel with the mappings as they are now. Its buttons name dungeon codes, so
/// it stays usable when mappings change later.
pub async fn post_panel(ctx: &Ctx, guild: Snowflake, channel: Snowflake) -> Result<(), JobError> {
    let mappings = service::role_pings::mappings(&ctx.pool, guild).await?;
    if mappings.is_empty() {
        return Ok(());
    }
    let embeds = [views::role_pings::panel_embed(&mappings)];
    let components = views::role_pings::panel_components(&mappings);
    crate::discord::create_message_once(
        &ctx.http,
        channel_id(channel),
        ctx.http
            .create_message(channel_id(channel))
            .embeds(&embeds)
            .components(&components),
    )
    .await?;
    Ok(())
}
