//! /raidstats: the guild's run statistics as a chart, with the same figures as text.

use chrono::Utc;
use domain::analytics::StatsPeriod;
use service::ServiceError;
use service::analytics::AnalyticsError;
use twilight_model::application::interaction::application_command::CommandData;
use twilight_model::http::attachment::Attachment;

use super::string_option;
use crate::Ctx;
use crate::router::{HandlerResult, Invocation, Reply};
use crate::views::{self, analytics as v};

/// Draws a chart off the async threads (it is CPU work); a failure is reported as an
/// internal error (a bug or a broken font, never the member's input).
pub(crate) async fn render(
    draw: impl FnOnce() -> Result<Vec<u8>, charts::ChartError> + Send + 'static,
) -> Result<Vec<u8>, ServiceError> {
    tokio::task::spawn_blocking(draw)
        .await
        .map_err(|e| ServiceError::Internal(format!("chart task: {e}")))?
        .map_err(|e| ServiceError::Internal(e.to_string()))
}

pub async fn raid_stats(ctx: &Ctx, inv: &Invocation, data: &CommandData) -> HandlerResult {
    let period = match string_option(data, "period") {
        None => StatsPeriod::Weeks12,
        Some(p) => StatsPeriod::parse(p).ok_or(AnalyticsError::UnknownPeriod)?,
    };
    let dungeon = string_option(data, "dungeon").map(super::runs::dungeon_code);
    let (from, to) = period.span(Utc::now());
    let summary = service::analytics::runs(
        &ctx.pool,
        inv.guild,
        &inv.actor,
        from,
        to,
        dungeon.as_deref(),
    )
    .await?;
    let text = v::summary_text(&summary);
    let alt = v::alt_text(&summary);
    let png = {
        let s = summary.clone();
        render(move || charts::raidstats_png(&s)).await?
    };
    let mut file = Attachment::from_bytes(v::RAIDSTATS_FILE.to_owned(), png, 0);
    file.description = Some(alt);
    let mut data = views::ephemeral(text);
    data.attachments = Some(vec![file]);
    Ok(Reply::Message(data))
}
