//! Why run use cases refuse a value.

use domain::limits::TextError;
use domain::run::TransitionError;
use domain::snowflake::InvalidSnowflake;

use crate::error::Refusal;

/// Why a run use case (or the bot's forms for one) refused; the adapters word it
/// (`messages::runs`). [`RunError::code`] is the stable code programs see, and
/// [`RunError::kind`] what sort of refusal it is (a missing run, someone else's, a state
/// that does not allow it, a bad value).
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

    /// No run with this id in this guild.
    NotFound { run_id: i64 },

    /// Someone put another member in or out of a run they do not manage.
    NotTheRaider,
    /// Someone who does not manage the run opened its organizer panel.
    NotManagerPanel,
    /// Someone who does not manage the run filled in a form of its organizer panel.
    NotManagerForm,
    /// Someone who does not manage the run tried to manage it.
    NotManager,

    /// The guild has no raid channel to post the run in.
    NoRaidChannel,
    /// The organizer already has an active run (`run_id`: which, when it could be read).
    ActiveRunExists { run_id: Option<i64> },
    /// The run was cancelled.
    Cancelled,
    /// The run has ended.
    Ended,
    /// The run is closed (ended or cancelled) and its organizer panel's forms are spent.
    Closed,
    /// Start, End or Cancel that the run's status does not allow.
    Transition(TransitionError),
    /// The organizer removed the member (`reason`: theirs) and did not allow them back.
    Removed { reason: Option<String> },
    /// A reaction by a member the organizer removed.
    RemovedReacting,
    /// The run has its raider cap of joined raiders.
    Full { cap: i32 },
    /// The organizer locked joining.
    JoinLocked,
    /// Removing a member who already is.
    AlreadyRemoved,
    /// Letting back a member who was not removed.
    NotRemoved,
    /// A live-only action (key popped, stages) on a run that has not started.
    NotLive,
    /// Oryx 3 stages out of order.
    O3StageOrder,
    /// A screenshot from an organizer with no active run.
    NoActiveRun,
    /// The run already has its completion screenshot.
    ScreenshotExists,
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
            E::NotFound { .. } => "not_found",
            E::NotTheRaider | E::NotManagerPanel | E::NotManagerForm | E::NotManager => "forbidden",
            E::NoRaidChannel => "raid_channel_not_configured",
            E::ActiveRunExists { .. } => "active_run_exists",
            E::Cancelled | E::Ended | E::Closed => "run_closed",
            E::Transition(_) => "invalid_transition",
            E::Removed { .. } | E::RemovedReacting => "removed_from_run",
            E::Full { .. } => "run_full",
            E::JoinLocked => "join_locked",
            E::AlreadyRemoved => "already_removed",
            E::NotRemoved => "not_removed",
            E::NotLive => "not_live",
            E::O3StageOrder => "o3_stage_order",
            E::NoActiveRun => "no_active_run",
            E::ScreenshotExists => "screenshot_exists",
        }
    }

    /// What kind of refusal this is.
    pub fn kind(&self) -> Refusal {
        use RunError as E;
        match self {
            E::NotFound { .. } => Refusal::NotFound,
            E::NotTheRaider | E::NotManagerPanel | E::NotManagerForm | E::NotManager => {
                Refusal::Forbidden
            }
            E::NoRaidChannel
            | E::ActiveRunExists { .. }
            | E::Cancelled
            | E::Ended
            | E::Closed
            | E::Transition(_)
            | E::Removed { .. }
            | E::RemovedReacting
            | E::Full { .. }
            | E::JoinLocked
            | E::AlreadyRemoved
            | E::NotRemoved
            | E::NotLive
            | E::O3StageOrder
            | E::NoActiveRun
            | E::ScreenshotExists => Refusal::Conflict,
            E::BadText(_)
            | E::OrganizerRequired
            | E::UnknownDungeon { .. }
            | E::BadCap
            | E::BadDuration
            | E::UnknownClass { .. }
            | E::BadRemoveReason
            | E::CannotRemoveOrganizer
            | E::BadChain
            | E::BadKeyCount
            | E::KeyCountRequired
            | E::BadKeyWindow
            | E::NotOryx3
            | E::UnknownMiniboss
            | E::BadScore
            | E::NotRealmDungeon
            | E::ScreenshotNeedsMember
            | E::NotAnImage
            | E::NoScreenshot
            | E::ReactionNeedsMember
            | E::UnknownReaction
            | E::MemberRequired
            | E::ClassRequired
            | E::NumberOutOfRange { .. }
            | E::NotANumber { .. }
            | E::BadId(_) => Refusal::Invalid,
        }
    }
}
