//! /party and the party post's Close and Extend buttons.

use domain::{PartyButton, PartyComponent};
use service::party::{self, PartyRequest};
use twilight_model::application::interaction::application_command::CommandData;

use super::string_option;
use crate::router::{HandlerResult, Invocation, Reply};
use crate::{Ctx, views};

pub async fn create(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let request = PartyRequest {
        name: string_option(data, "name").unwrap_or_default().to_owned(),
        location: string_option(data, "location").map(str::to_owned),
        description: string_option(data, "description").map(str::to_owned),
    };
    let p = party::create(&ctx.pool, inv.guild, &inv.actor, request).await?;
    Ok(Reply::Message(views::ephemeral(views::party::created(&p))))
}

pub async fn component(ctx: &Ctx, inv: &Invocation, c: PartyComponent) -> HandlerResult {
    match c.button {
        PartyButton::Close => {
            let p = party::close(&ctx.pool, inv.guild, c.party_id, &inv.actor).await?;
            Ok(Reply::Message(views::ephemeral(views::party::closed(&p))))
        }
        PartyButton::Extend => {
            let e = party::extend(&ctx.pool, inv.guild, c.party_id, &inv.actor).await?;
            Ok(Reply::Message(views::ephemeral(views::party::extended(&e))))
        }
    }
}
