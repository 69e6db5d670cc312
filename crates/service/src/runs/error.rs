//! Why run use cases refuse a value.

use domain::limits::TextError;
use domain::snowflake::InvalidSnowflake;

use crate::error::Refusal;

/// Why a run use case (or the bot's forms for one) refused a value; the adapters word it
/// (`messages::runs`). [`RunError::code`] is the stable code programs see. Conflicts of
/// state (a closed run, a full roster) are not here yet: they are `ServiceError::Conflict`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("run refused: {}", self.code())]
pub enum RunError {
    /// Party, location, description or key name text that is empty or too long.
    BadText(TextError),
    /// A run created without an organizer (an API key must name one).
    OrganizerRequired,
    /// A dungeon code raidbot does not know (as typed).
    UnknownDungeon { code: String },
    /// The raider cap is not 1 to [`super::MAX_RAIDER_CAP`].
    BadCap,
    /// The run length is not 1 to [`super::MAX_DURATION_MINUTES`] minutes.
    BadDuration,
    /// A class name that is not a RotMG class (as typed).
    UnknownClass { text: String },
    /// A removal reason that is empty or longer than 200 characters.
    BadRemoveReason,
    /// The organizer named for removal from their own run.
    CannotRemoveOrganizer,
    /// A planned chain that is not 1 to [`super::CHAIN_MAX`] keys.
    BadChain,
    /// Logging fewer than 1 or more than 99 keys at once.
    BadKeyCount,
    /// The key form left the number of keys empty.
    KeyCountRequired,
    /// A key window that is not 1 to [`super::KEY_WINDOW_MAX_SECS`] seconds.
    BadKeyWindow,
    /// Oryx 3 stages on another dungeon's run.
    NotOryx3,
    /// A miniboss that is not one of Oryx 3's four.
    UnknownMiniboss,
    /// A realm score that is not 1 to 99 (or none was typed).
    BadScore,
    /// A realm score for a dungeon that is not a realm dungeon.
    NotRealmDungeon,
    /// A screenshot attached by an API key or the system.
    ScreenshotNeedsMember,
    /// The screenshot is not an image.
    NotAnImage,
    /// The screenshot command without its attachment.
    NoScreenshot,
    /// A reaction by an API key or the system.
    ReactionNeedsMember,
    /// A reaction the run's dungeon does not offer.
    UnknownReaction,
    /// A member menu answered with no member.
    MemberRequired,
    /// The class menu answered with no class.
    ClassRequired,
    /// A number option beyond what a run takes (`what`: the option's name).
    NumberOutOfRange { what: String },
    /// A form field that is not a whole number.
    NotANumber { what: String, text: String },
    /// A member id that is not a Discord id.
    BadId(InvalidSnowflake),
}

impl RunError {
    /// A stable snake_case code for logs and the REST API.
    pub fn code(&self) -> &'static str {
        use RunError as E;
        match self {
            E::BadText(_) => "invalid_text",
            E::OrganizerRequired => "organizer_required",
            E::UnknownDungeon { .. } => "unknown_dungeon",
            E::BadCap => "invalid_cap",
            E::BadDuration => "invalid_duration",
            E::UnknownClass { .. } => "unknown_class",
            E::BadRemoveReason => "invalid_reason",
            E::CannotRemoveOrganizer => "cannot_remove_organizer",
            E::BadChain => "invalid_chain",
            E::BadKeyCount | E::KeyCountRequired => "invalid_count",
            E::BadKeyWindow => "invalid_window",
            E::NotOryx3 => "not_oryx_3",
            E::UnknownMiniboss => "unknown_miniboss",
            E::BadScore => "invalid_score",
            E::NotRealmDungeon => "not_realm_dungeon",
            E::ScreenshotNeedsMember | E::ReactionNeedsMember => "user_required",
            E::NotAnImage => "not_an_image",
            E::NoScreenshot => "no_screenshot",
            E::UnknownReaction => "unknown_reaction",
            E::MemberRequired => "no_member",
            E::ClassRequired => "no_class",
            E::NumberOutOfRange { .. } | E::NotANumber { .. } => "invalid_number",
            E::BadId(_) => "invalid_id",
        }
    }

    /// What kind of refusal this is.
    pub fn kind(&self) -> Refusal {
        Refusal::Invalid
    }
}
