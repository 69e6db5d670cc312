//! Modmail tickets and their transcripts over REST (read-only). Security or above.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use domain::Snowflake;
use serde::{Deserialize, Serialize};
use service::modmail::{Ticket, TicketMessage};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AtLeast, GuildAuth, gate};
use crate::error::ErrorBody;
use crate::params::{ApiQuery, PathParams};
use crate::{ApiError, ApiState};

/// The most tickets one answer holds.
pub const LIST_MAX: i64 = 100;

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketBody {
    #[schema(example = "MM-7KQ2")]
    pub id: String,
    #[schema(value_type = String, example = "323456789012345678")]
    pub user_id: Snowflake,
    /// `open` or `closed`.
    pub status: String,
    /// The forum thread, if it was made (it may since have been deleted).
    #[schema(value_type = Option<String>)]
    pub thread_id: Option<Snowflake>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
}

impl From<Ticket> for TicketBody {
    fn from(t: Ticket) -> Self {
        TicketBody {
            id: t.code,
            user_id: t.user_id,
            status: t.status,
            thread_id: t.thread_id,
            created_at: t.created_at,
            closed_at: t.closed_at,
            closed_by: t.closed_by,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TranscriptMessage {
    /// `member` or `staff`.
    pub direction: String,
    #[schema(value_type = Option<String>)]
    pub author_id: Option<Snowflake>,
    pub author: String,
    pub text: String,
    /// URLs of the attachments.
    pub attachments: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// When it reached the thread (member) or the member's DMs (staff).
    pub relayed_at: Option<DateTime<Utc>>,
    pub relay_error: Option<String>,
    /// A staff reply the member got as from "Staff", without the author's name.
    pub anonymous: bool,
}

impl From<TicketMessage> for TranscriptMessage {
    fn from(m: TicketMessage) -> Self {
        TranscriptMessage {
            direction: m.direction,
            author_id: m.author_id,
            author: m.author,
            text: m.body,
            attachments: m.attachments,
            created_at: m.created_at,
            relayed_at: m.relayed_at,
            relay_error: m.relay_error,
            anonymous: m.anonymous,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketList {
    /// Newest first.
    pub items: Vec<TicketBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDetail {
    #[serde(flatten)]
    pub ticket: TicketBody,
    /// Every message both ways, oldest first.
    pub transcript: Vec<TranscriptMessage>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketQuery {
    /// `open` or `closed`; all when absent.
    pub status: Option<String>,
}

/// The guild's modmail tickets, newest first (at most 100).
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/modmail/tickets",
    tag = "modmail",
    params(("guild_id" = String, Path, description = "Discord server id"), TicketQuery),
    responses(
        (status = 200, description = "The tickets.", body = TicketList),
        (status = 400, description = "Malformed query or path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Security, or another guild's key.", body = ErrorBody),
        (status = 422, description = "Bad status.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_tickets(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Security>,
    ApiQuery(query): ApiQuery<TicketQuery>,
) -> Result<Json<TicketList>, ApiError> {
    let tickets = service::modmail::tickets(
        &state.pool,
        auth.guild,
        &auth.actor,
        query.status.as_deref(),
        LIST_MAX,
    )
    .await?;
    Ok(Json(TicketList {
        items: tickets.into_iter().map(Into::into).collect(),
    }))
}

/// One ticket with its transcript.
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/modmail/tickets/{id}",
    tag = "modmail",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("id" = String, Path, description = "Ticket id, e.g. MM-7KQ2"),
    ),
    responses(
        (status = 200, description = "The ticket and its transcript.", body = TicketDetail),
        (status = 400, description = "Malformed path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Security, or another guild's key.", body = ErrorBody),
        (status = 404, description = "No such ticket in this guild.", body = ErrorBody),
        (status = 422, description = "Not a ticket id.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_ticket(
    State(state): State<ApiState>,
    auth: GuildAuth,
    params: PathParams,
) -> Result<Json<TicketDetail>, ApiError> {
    let code = params.text("id")?;
    let (t, messages) =
        service::modmail::transcript(&state.pool, auth.guild, &auth.actor, code).await?;
    Ok(Json(TicketDetail {
        ticket: t.into(),
        transcript: messages.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// The period, in days back from now (1–365, default 7).
    pub days: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffFigures {
    #[schema(value_type = String, example = "323456789012345678")]
    pub user_id: Snowflake,
    /// Tickets they answered at least once in the period.
    pub tickets: i64,
    /// Their replies in the period.
    pub replies: i64,
    /// Tickets opened in the period whose first answer was theirs.
    pub first_responses: i64,
    /// Their average first-response time in seconds, over those tickets.
    pub avg_first_response_seconds: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModmailStats {
    pub days: i64,
    /// Tickets opened in the period.
    pub opened: i64,
    /// Tickets closed in the period.
    pub closed: i64,
    /// Tickets opened in the period that have had a staff answer.
    pub answered: i64,
    /// Seconds from opening to the first staff answer, over the answered tickets.
    pub avg_first_response_seconds: Option<f64>,
    pub median_first_response_seconds: Option<f64>,
    /// Tickets handled per staff member, most first (at most 25).
    pub staff: Vec<StaffFigures>,
}

/// Ticket figures for a period: first-response times and tickets handled per staff member.
#[utoipa::path(
    get,
    path = "/v1/guilds/{guild_id}/modmail/stats",
    tag = "modmail",
    params(("guild_id" = String, Path, description = "Discord server id"), StatsQuery),
    responses(
        (status = 200, description = "The figures.", body = ModmailStats),
        (status = 400, description = "Malformed query or path.", body = ErrorBody),
        (status = 401, description = "Missing or invalid key.", body = ErrorBody),
        (status = 403, description = "Below Security, or another guild's key.", body = ErrorBody),
        (status = 422, description = "Bad days.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn stats(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Security>,
    ApiQuery(query): ApiQuery<StatsQuery>,
) -> Result<Json<ModmailStats>, ApiError> {
    let f = service::modmail::stats(
        &state.pool,
        auth.guild,
        &auth.actor,
        query.days.unwrap_or(7),
    )
    .await?;
    Ok(Json(ModmailStats {
        days: f.days,
        opened: f.totals.opened,
        closed: f.totals.closed,
        answered: f.totals.answered,
        avg_first_response_seconds: f.totals.avg_first_response_secs,
        median_first_response_seconds: f.totals.median_first_response_secs,
        staff: f
            .staff
            .into_iter()
            .map(|s| StaffFigures {
                user_id: s.user_id,
                tickets: s.tickets,
                replies: s.replies,
                first_responses: s.first_responses,
                avg_first_response_seconds: s.avg_first_response_secs,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ModmailReply {
    /// What to send the member, up to 2000 characters; may be left out with a snippet.
    pub text: Option<String>,
    /// A saved snippet's name, sent before `text`.
    pub snippet: Option<String>,
    /// The member sees it as from "Staff", without the author's name.
    #[serde(default)]
    pub anonymous: bool,
}

/// Replies to a ticket's member (`/modmailreply`): stored in the transcript, then DMed to
/// the member. Security or above.
#[utoipa::path(
    post,
    path = "/v1/guilds/{guild_id}/modmail/tickets/{id}/replies",
    tag = "modmail",
    params(
        ("guild_id" = String, Path, description = "Discord server id"),
        ("id" = String, Path, description = "Ticket id, e.g. MM-7KQ2"),
    ),
    request_body = ModmailReply,
    responses(
        (status = 201, description = "The ticket and its transcript with the reply.", body = TicketDetail),
        (status = 403, description = "Below Security, or another guild's key.", body = ErrorBody),
        (status = 404, description = "No such ticket or snippet in this guild.", body = ErrorBody),
        (status = 409, description = "The ticket is closed.", body = ErrorBody),
        (status = 422, description = "Not a ticket id; no text nor snippet; text too long.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn reply(
    State(state): State<ApiState>,
    AtLeast(auth, _): AtLeast<gate::Security>,
    params: PathParams,
    crate::json::ApiJson(body): crate::json::ApiJson<ModmailReply>,
) -> Result<(axum::http::StatusCode, Json<TicketDetail>), ApiError> {
    let code = params.text("id")?;
    let author = match auth.actor.user_id {
        Some(user) => format!("<@{user}>"),
        None => auth.actor.label.clone(),
    };
    let input = service::modmail::ReplyInput {
        text: body.text.as_deref(),
        snippet: body.snippet.as_deref(),
        anonymous: body.anonymous,
    };
    let t = service::modmail::reply_with(
        &state.pool,
        auth.guild,
        &auth.actor,
        &author,
        code,
        &input,
        None,
    )
    .await?;
    let (t, messages) =
        service::modmail::transcript(&state.pool, auth.guild, &auth.actor, &t.code).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(TicketDetail {
            ticket: t.into(),
            transcript: messages.into_iter().map(Into::into).collect(),
        }),
    ))
}
