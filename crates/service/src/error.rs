//! Errors of use cases. Every refusal of a use case is a typed reason (an enum per area,
//! e.g. [`crate::verification::VerificationError`], or one of the few reasons every area
//! shares) with a stable code; the adapters word it (`messages` for people and API
//! clients). The untyped variants (a code and a sentence) are for the adapters' own
//! refusals, worded by the adapter itself (a Discord option missing, a file Discord did
//! not send): `service` never builds one.

use chrono::{DateTime, Utc};
use domain::{RoleKey, Snowflake};
use store::StoreError;

use crate::analytics::AnalyticsError;
use crate::api_keys::ApiKeyError;
use crate::config::SettingsError;
use crate::dashboard::DashboardError;
use crate::headcounts::HeadcountError;
use crate::moderation::ModerationError;
use crate::modmail::ModmailError;
use crate::party::PartyError;
use crate::promotions::PromotionError;
use crate::quota::QuotaError;
use crate::role_pings::RolePingError;
use crate::runs::RunError;
use crate::schedule::ScheduleError;
use crate::staff::StaffError;
use crate::verification::VerificationError;

/// What kind of refusal a typed reason is (adapters map it, e.g. to an HTTP status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The thing asked for does not exist (any more) in this guild.
    NotFound,
    /// It is someone else's, or the actor may not do this.
    Forbidden,
    /// The request is fine but the current state does not allow it.
    Conflict,
    /// A value is not acceptable.
    Invalid,
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// An adapter's own refusal: the thing asked for does not exist (any more).
    #[error("{0}")]
    NotFound(String),
    /// An adapter's own refusal: the actor may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// An adapter's own refusal: the current state does not allow it.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// An adapter's own refusal: a value is not acceptable.
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// The actor's level is below `0`'s (every area checks levels the same way).
    #[error("needs the {} role", .0.label())]
    MissingRole(RoleKey),
    /// Text with a NUL character, which PostgreSQL cannot store (the transaction is rolled
    /// back: nothing half-applies).
    #[error("text with a NUL character")]
    UnstorableText,
    /// The member is suspended and may not raid (join, bench, react, answer a headcount,
    /// post a party) until `until`. Adapters word it for their reader.
    #[error("member {user} is suspended until {until}")]
    Suspended {
        user: Snowflake,
        until: DateTime<Utc>,
    },
    /// A verification use case refused (settings, the DM session, reviews, names).
    #[error(transparent)]
    Verification(#[from] VerificationError),
    /// A party finder use case refused.
    #[error(transparent)]
    Party(#[from] PartyError),
    /// A moderation use case refused (punishments, notes, mass actions, escalation).
    #[error(transparent)]
    Moderation(#[from] ModerationError),
    /// A modmail use case refused.
    #[error(transparent)]
    Modmail(#[from] ModmailError),
    /// A quota or points use case refused.
    #[error(transparent)]
    Quota(#[from] QuotaError),
    /// A settings use case refused.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// A statistics request refused (period, dungeon).
    #[error(transparent)]
    Analytics(#[from] AnalyticsError),
    /// A promotion rule refused.
    #[error(transparent)]
    Promotion(#[from] PromotionError),
    /// A staff command refused (/purge, /addrole, /createrole).
    #[error(transparent)]
    Staff(#[from] StaffError),
    /// A role ping setting refused.
    #[error(transparent)]
    RolePing(#[from] RolePingError),
    /// A scheduled raid or the schedule settings refused.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    /// A run use case refused a value.
    #[error(transparent)]
    Run(#[from] RunError),
    /// A headcount use case refused a value.
    #[error(transparent)]
    Headcount(#[from] HeadcountError),
    /// A dashboard read or setting refused a value.
    #[error(transparent)]
    Dashboard(#[from] DashboardError),
    /// An API key or audit log request refused a value.
    #[error(transparent)]
    ApiKey(#[from] ApiKeyError),
    #[error("the database is unavailable")]
    Unavailable,
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Invalid {
            code,
            message: message.into(),
        }
    }

    /// The kind of refusal, for errors that are refusals (not outages or bugs).
    pub fn refusal(&self) -> Option<Refusal> {
        match self {
            ServiceError::NotFound(_) => Some(Refusal::NotFound),
            ServiceError::Forbidden(_)
            | ServiceError::MissingRole(_)
            | ServiceError::Suspended { .. } => Some(Refusal::Forbidden),
            ServiceError::Conflict { .. } => Some(Refusal::Conflict),
            ServiceError::Invalid { .. } | ServiceError::UnstorableText => Some(Refusal::Invalid),
            ServiceError::Verification(e) => Some(e.kind()),
            ServiceError::Party(e) => Some(e.kind()),
            ServiceError::Moderation(e) => Some(e.kind()),
            ServiceError::Modmail(e) => Some(e.kind()),
            ServiceError::Quota(e) => Some(e.kind()),
            ServiceError::Settings(e) => Some(e.kind()),
            ServiceError::Analytics(e) => Some(e.kind()),
            ServiceError::Promotion(e) => Some(e.kind()),
            ServiceError::Staff(e) => Some(e.kind()),
            ServiceError::RolePing(e) => Some(e.kind()),
            ServiceError::Schedule(e) => Some(e.kind()),
            ServiceError::Run(e) => Some(e.kind()),
            ServiceError::Headcount(e) => Some(e.kind()),
            ServiceError::Dashboard(e) => Some(e.kind()),
            ServiceError::ApiKey(e) => Some(e.kind()),
            ServiceError::Unavailable | ServiceError::Internal(_) => None,
        }
    }

    /// A stable snake_case code for logs and the REST API.
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::NotFound(_) => "not_found",
            ServiceError::Forbidden(_) | ServiceError::MissingRole(_) => "forbidden",
            ServiceError::UnstorableText => "invalid_text",
            ServiceError::Conflict { code, .. } | ServiceError::Invalid { code, .. } => code,
            ServiceError::Suspended { .. } => "suspended",
            ServiceError::Verification(e) => e.code(),
            ServiceError::Party(e) => e.code(),
            ServiceError::Moderation(e) => e.code(),
            ServiceError::Modmail(e) => e.code(),
            ServiceError::Quota(e) => e.code(),
            ServiceError::Settings(e) => e.code(),
            ServiceError::Analytics(e) => e.code(),
            ServiceError::Promotion(e) => e.code(),
            ServiceError::Staff(e) => e.code(),
            ServiceError::RolePing(e) => e.code(),
            ServiceError::Schedule(e) => e.code(),
            ServiceError::Run(e) => e.code(),
            ServiceError::Headcount(e) => e.code(),
            ServiceError::Dashboard(e) => e.code(),
            ServiceError::ApiKey(e) => e.code(),
            ServiceError::Unavailable => "database_unavailable",
            ServiceError::Internal(_) => "internal",
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            ServiceError::Unavailable
        } else if e.is_unstorable_text() {
            ServiceError::UnstorableText
        } else {
            tracing::error!(error = %e, "store error");
            ServiceError::Internal(e.to_string())
        }
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::from(e).into()
    }
}
