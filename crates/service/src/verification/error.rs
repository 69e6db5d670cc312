//! Why verification use cases refuse.

use chrono::{DateTime, Utc};
use domain::Snowflake;
use domain::snowflake::InvalidSnowflake;
use domain::verification::{self as rules, Step};

use crate::error::Refusal;

/// Why a verification use case refused. The adapters word it for their reader: the bot in
/// `views::verification`, the API in its error mapping. [`VerificationError::code`] is
/// the stable code programs see.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("verification refused: {}", self.code())]
pub enum VerificationError {
    /// Another member of the guild holds this IGN (as main or alt).
    IgnTaken { ign: String },
    /// The text is not an in-game name.
    BadIgn(rules::IgnError),
    /// The settings would leave neither RealmEye nor screenshots enabled.
    NoMethod,
    /// The panel image is not an https:// link.
    BadImageUrl,
    /// Posting the panel was asked for, but there is no `getverified` channel.
    GetverifiedNotConfigured,
    /// A custom role verification's name is empty or longer than 80 characters.
    BadRoleName,
    /// The custom role verification was removed (or never existed).
    RoleVerificationGone,
    /// `/removeroleverification` named an id that is not there.
    NoSuchRoleVerification { id: i64 },
    /// A custom role needs the member to be verified first.
    VerifyFirst,
    /// The member pressed Get verified but is verified already.
    AlreadyVerified { ign: Option<String> },
    /// The session is not there.
    SessionGone,
    /// The session is over (verified, with staff, denied, expired or cancelled).
    SessionClosed { step: Step },
    /// The session's button was pressed by another member.
    NotYourSession,
    /// Neither the custom role nor the guild has a channel for screenshot reviews.
    ReviewChannelMissing,
    /// The guild does not review screenshots.
    ScreenshotDisabled,
    /// Done was pressed before an IGN (and so a code) was given.
    NoCodeYet,
    /// Done was pressed again within the cooldown.
    CheckCooldown { seconds: i64 },
    /// The review is not there.
    ReviewGone,
    /// The review's custom role was removed.
    ReviewWithdrawn,
    /// The review was decided already.
    ReviewDecided {
        state: String,
        by: Option<Snowflake>,
        at: Option<DateTime<Utc>>,
    },
    /// Approving a screenshot for the server's verification needs the IGN.
    IgnRequired,
    /// Denying needs a reason of 1 to 1000 characters.
    ReasonRequired,
    /// `/unverify` of a member who is not verified.
    NotVerified { user: Snowflake },
    /// `/addalt` for a member without a main name.
    NoMain { user: Snowflake },
    /// `/addalt` of a name the member has already.
    AltExists { user: Snowflake, ign: String },
    /// `/removealt` of a name the member does not have.
    NoSuchAlt { user: Snowflake, ign: String },
    /// `/syncteam` with no lines.
    EmptyImport,
    /// `/syncteam` with more than [`super::SYNC_MAX_LINES`] lines.
    ImportTooBig { lines: usize },
    /// A `/syncteam` line's user id is not a Discord id.
    BadUserId(InvalidSnowflake),
    /// A text setting longer than `max` characters.
    SettingTooLong { setting: Setting, max: usize },
    /// A number setting above `max` (`None`: above what can be stored).
    SettingOutOfRange { setting: Setting, max: Option<u32> },
}

/// A verification setting a limit applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    PanelMessage,
    ImageUrl,
    MinRank,
    MinCharacters,
    MinAccountAgeDays,
    MinAliveFame,
}

impl VerificationError {
    /// A stable snake_case code for logs and the REST API.
    pub fn code(&self) -> &'static str {
        use VerificationError as E;
        match self {
            E::IgnTaken { .. } => "ign_taken",
            E::BadIgn(_) => "invalid_ign",
            E::NoMethod => "no_method",
            E::BadImageUrl => "bad_image_url",
            E::GetverifiedNotConfigured => "getverified_not_configured",
            E::BadRoleName => "bad_name",
            E::RoleVerificationGone
            | E::NoSuchRoleVerification { .. }
            | E::SessionGone
            | E::ReviewGone
            | E::NoSuchAlt { .. } => "not_found",
            E::VerifyFirst | E::NotVerified { .. } => "not_verified",
            E::AlreadyVerified { .. } => "already_verified",
            E::SessionClosed { .. } => "session_closed",
            E::NotYourSession => "forbidden",
            E::ReviewChannelMissing => "review_channel_missing",
            E::ScreenshotDisabled => "screenshot_disabled",
            E::NoCodeYet => "no_code_yet",
            E::CheckCooldown { .. } => "check_cooldown",
            E::ReviewWithdrawn => "review_withdrawn",
            E::ReviewDecided { .. } => "review_decided",
            E::IgnRequired => "ign_required",
            E::ReasonRequired => "reason_required",
            E::NoMain { .. } => "no_main",
            E::AltExists { .. } => "alt_exists",
            E::EmptyImport => "empty_import",
            E::ImportTooBig { .. } => "import_too_big",
            E::BadUserId(_) => "bad_user",
            E::SettingTooLong { .. } => "too_long",
            E::SettingOutOfRange { .. } => "out_of_range",
        }
    }

    /// What kind of refusal this is.
    pub fn kind(&self) -> Refusal {
        use VerificationError as E;
        match self {
            E::RoleVerificationGone
            | E::NoSuchRoleVerification { .. }
            | E::SessionGone
            | E::ReviewGone
            | E::NoSuchAlt { .. } => Refusal::NotFound,
            E::NotYourSession => Refusal::Forbidden,
            E::BadIgn(_)
            | E::SettingTooLong { .. }
            | E::SettingOutOfRange { .. }
            | E::NoMethod
            | E::BadImageUrl
            | E::BadRoleName
            | E::IgnRequired
            | E::ReasonRequired
            | E::EmptyImport
            | E::ImportTooBig { .. }
            | E::BadUserId(_) => Refusal::Invalid,
            E::IgnTaken { .. }
            | E::GetverifiedNotConfigured
            | E::VerifyFirst
            | E::AlreadyVerified { .. }
            | E::SessionClosed { .. }
            | E::ReviewChannelMissing
            | E::ScreenshotDisabled
            | E::NoCodeYet
            | E::CheckCooldown { .. }
            | E::ReviewWithdrawn
            | E::ReviewDecided { .. }
            | E::NotVerified { .. }
            | E::NoMain { .. }
            | E::AltExists { .. } => Refusal::Conflict,
        }
    }
}
