//! The one error type of the API: every failure becomes
//! `{"error":{"code":"snake_case","message":"human sentence"}}` with the right status.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use service::ServiceError;
use service::error::Refusal;
use service::party::PartyError;
use service::verification::VerificationError;
use utoipa::ToSchema;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds, for 429 and 503 answers.
    pub retry_after: Option<u64>,
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code for programs (`unknown_dungeon`, `active_run_exists`, ...).
    #[schema(example = "not_found")]
    pub code: String,
    /// A sentence for people.
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn unavailable() -> Self {
        let mut e = Self::from(ServiceError::Unavailable);
        e.retry_after = Some(5);
        e
    }

    /// A bug on our side; the details go to the log, not to the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error in the API");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side; it has been logged.",
        )
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let status = match (&e, e.refusal()) {
            (_, Some(Refusal::NotFound)) => StatusCode::NOT_FOUND,
            (_, Some(Refusal::Forbidden)) => StatusCode::FORBIDDEN,
            (_, Some(Refusal::Conflict)) => StatusCode::CONFLICT,
            (_, Some(Refusal::Invalid)) => StatusCode::UNPROCESSABLE_ENTITY,
            (ServiceError::Unavailable, None) => StatusCode::SERVICE_UNAVAILABLE,
            (detail, None) => {
                tracing::error!(error = %detail, "service error behind an API request");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        ApiError {
            status,
            code: e.code(),
            message: refusal_message(&e),
            retry_after: matches!(e, ServiceError::Unavailable).then_some(5),
        }
    }
}

/// What went wrong, in plain words for an API client or a dashboard page (the dashboard
/// shows the same sentences: one wording for the HTTP side).
pub fn refusal_message(e: &ServiceError) -> String {
    match e {
        ServiceError::Verification(v) => verification_message(v),
        ServiceError::Party(p) => party_message(p),
        ServiceError::Moderation(m) => crate::refusals::moderation(m),
        ServiceError::Modmail(m) => crate::refusals::modmail(m),
        ServiceError::Quota(q) => crate::refusals::quota(q),
        ServiceError::Settings(s) => crate::refusals::settings(s),
        other => other.to_string(),
    }
}

/// A verification refusal, worded for an API client (plain text, members by id).
fn verification_message(e: &VerificationError) -> String {
    use VerificationError as E;
    match e {
        E::IgnTaken { ign } => {
            format!("The name {ign} is already registered to another member of this server.")
        }
        E::BadIgn(why) => why.to_string(),
        E::NoMethod => {
            "At least one verification method (RealmEye or screenshot) must stay enabled.".into()
        }
        E::BadImageUrl => "The image must be an https:// link.".into(),
        E::GetverifiedNotConfigured => {
            "There is no getverified channel yet: set one first (channels settings).".into()
        }
        E::BadRoleName => "The role verification needs a name of 1 to 80 characters.".into(),
        E::RoleVerificationGone => "This role verification no longer exists.".into(),
        E::NoSuchRoleVerification { id } => format!("There is no role verification {id}."),
        E::VerifyFirst => "The member must be verified before asking for this role.".into(),
        E::AlreadyVerified { .. } => "The member is already verified.".into(),
        E::SessionGone => "This verification no longer exists.".into(),
        E::SessionClosed { step } => format!("This verification is closed ({step})."),
        E::NotYourSession => "This verification is someone else's.".into(),
        E::ReviewChannelMissing => "There is no review channel for screenshots.".into(),
        E::ScreenshotDisabled => "This server does not review screenshots.".into(),
        E::NoCodeYet => "No code was issued yet: the in-game name comes first.".into(),
        E::CheckCooldown { seconds } => {
            format!("Wait {seconds} more seconds before checking again.")
        }
        E::ReviewGone => "This review no longer exists.".into(),
        E::ReviewWithdrawn => {
            "This role verification was removed, so this request can no longer be decided.".into()
        }
        E::ReviewDecided { state, .. } => format!("This screenshot was already {state}."),
        E::IgnRequired => "The member's in-game name is needed to approve.".into(),
        E::ReasonRequired => "Give the member a reason (1 to 1000 characters).".into(),
        E::NotVerified { user } => format!("Member {user} is not verified."),
        E::NoMain { user } => format!("Member {user} has no main name yet: verify them first."),
        E::AltExists { user, ign } => format!("Member {user} already has the name {ign}."),
        E::NoSuchAlt { user, ign } => format!("Member {user} has no alt named {ign}."),
        E::EmptyImport => "There are no lines to import.".into(),
        E::ImportTooBig { lines } => format!(
            "At most {} lines per import; this has {lines}.",
            service::verification::SYNC_MAX_LINES
        ),
        E::BadUserId(why) => why.to_string(),
    }
}

/// A party refusal, worded for an API client.
fn party_message(e: &PartyError) -> String {
    match e {
        PartyError::NotFound { party_id } => format!("There is no party {party_id}."),
        PartyError::AlreadyClosed { .. } => "This party is closed already.".into(),
        PartyError::OwnerRequired => "A party belongs to a member; act as one.".into(),
        PartyError::ChannelNotConfigured => "There is no party finder channel.".into(),
        PartyError::OpenExists { .. } => "The member has an open party already.".into(),
        PartyError::RateLimited { again } => {
            format!("Too many parties this hour; the next is possible at {again}.")
        }
        PartyError::NotOwner => "Only the member who posted this party can extend it.".into(),
        PartyError::MayNotClose => {
            "Only the member who posted this party, or a moderator, can close it.".into()
        }
        PartyError::MaxLifetime { closes_at } => {
            format!("The party already closes at its latest, {closes_at}.")
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.code == "database_unavailable" {
            response
                .extensions_mut()
                .insert(crate::outage::DatabaseUnreachable);
        }
        response
    }
}
