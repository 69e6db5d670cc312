//! Why quota and points use cases refuse.

use domain::limits::TextError;
use domain::quota::{PointsError, ScheduleError};
use domain::snowflake::InvalidSnowflake;

use crate::error::Refusal;

/// Why a quota or points use case refused; the adapters word it (the bot in
/// `views::quota`, the API in its error mapping). [`QuotaError::code`] is the stable code
/// programs see.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("quota refused: {}", self.code())]
pub enum QuotaError {
    /// A dungeon code raidbot does not know (as typed).
    UnknownDungeon { code: String },
    /// A number of runs or keys (`what`) that is 0 or too large.
    BadCount { what: &'static str },
    /// Logging runs with no member and no acting member.
    MemberRequired,
    /// Logging runs for another member needs Officer.
    MayNotLogForOthers,
    /// An amount of points that is not one (`label`: the field, when a form names it).
    BadPoints {
        label: Option<String>,
        why: PointsError,
    },
    /// An adjustment's reason is too long or unstorable.
    BadReason(TextError),
    /// An adjustment without a reason.
    ReasonRequired,
    /// A schedule that does not hold.
    BadSchedule(ScheduleError),
    /// A schedule's time is not HH:MM.
    BadTime { text: String },
    /// A schedule's day is not `what` (a weekday, a number of days, a day of the month).
    BadDay { text: String, what: &'static str },
    /// A schedule kind other than weekly, days or monthly.
    BadScheduleKind { text: String },
    /// The current period's start is in the future.
    StartInFuture,
    /// The current period's start is more than a year ago.
    StartTooEarly,
    /// A period start that is not a date.
    BadStart { text: String },
    /// The role has no quota configuration.
    NoQuotaRole,
    /// A command option left empty (`option`: its name).
    MissingOption { option: String },
    /// The role option is empty.
    RoleRequired,
    /// A Discord id that is not one.
    BadId(InvalidSnowflake),
    /// A leaderboard category not in the list (`menu`: picked from the menu).
    UnknownCategory { menu: bool },
    /// A leaderboard period not in the list.
    UnknownPeriod,
    /// A dungeon not in the menu.
    UnknownDungeonChoice,
    /// A button this version does not know.
    UnknownButton,
    /// A form this version does not know.
    UnknownForm,
}

impl QuotaError {
    /// A stable snake_case code for logs and the REST API.
    pub fn code(&self) -> &'static str {
        use QuotaError as E;
        match self {
            E::UnknownDungeon { .. } | E::UnknownDungeonChoice => "unknown_dungeon",
            E::BadCount { .. } => "invalid_amount",
            E::MemberRequired => "member_required",
            E::MayNotLogForOthers => "forbidden",
            E::BadPoints { .. } => "invalid_points",
            E::BadReason(_) => "invalid_reason",
            E::ReasonRequired => "reason_required",
            E::BadSchedule(_)
            | E::BadTime { .. }
            | E::BadDay { .. }
            | E::BadScheduleKind { .. } => "invalid_schedule",
            E::StartInFuture | E::StartTooEarly | E::BadStart { .. } => "invalid_period_start",
            E::NoQuotaRole => "not_found",
            E::MissingOption { .. } | E::RoleRequired => "missing_option",
            E::BadId(_) => "invalid_value",
            E::UnknownCategory { .. } => "unknown_category",
            E::UnknownPeriod => "unknown_period",
            E::UnknownButton | E::UnknownForm => "unknown_interaction",
        }
    }

    /// What kind of refusal this is.
    pub fn kind(&self) -> Refusal {
        match self {
            QuotaError::NoQuotaRole => Refusal::NotFound,
            QuotaError::MayNotLogForOthers => Refusal::Forbidden,
            _ => Refusal::Invalid,
        }
    }
}
