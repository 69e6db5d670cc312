//! The jobs use cases queue: Discord side effects and timers. The bot's dispatcher runs
//! them; adding a kind is one variant here plus its handler there.

use chrono::{DateTime, Utc};
use domain::{ChannelKey, Snowflake};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use store::jobs::{self, NewJob};
use store::{PgConnection, PgPool};

/// How long panel edits wait so that a burst of clicks becomes one edit.
pub const PANEL_COALESCE: Duration = Duration::from_millis(1000);

/// Which settings a [`LogEvent::SettingsChanged`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingsArea {
    Quota,
    QuotaDeleted,
    Points,
    Verification,
    RoleVerificationAdded,
    RoleVerificationRemoved,
    /// `/schedulesettings`: the server's time zone and the reminder's lead.
    Schedule,
    /// The dashboard's public leaderboard page.
    PublicLeaderboard,
}

/// Something that happened, for a log channel. Rendered by the bot from the latest rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LogEvent {
    RunCreated {
        run_id: i64,
    },
    RunStarted {
        run_id: i64,
    },
    RunClosed {
        run_id: i64,
    },
    HeadcountCreated {
        headcount_id: i64,
    },
    HeadcountConverted {
        headcount_id: i64,
        run_id: i64,
    },
    HeadcountEnded {
        headcount_id: i64,
    },
    RolesChanged {
        by: String,
        changes: Vec<(String, Option<String>)>,
    },
    ChannelsChanged {
        by: String,
        changes: Vec<(String, Option<String>)>,
    },
    /// A feature's settings changed (`/configquota`, `/configpoints`,
    /// `/configverification`, role verifications): which settings, and their new values.
    SettingsChanged {
        by: String,
        area: SettingsArea,
        /// The quota role or the role a role verification grants.
        role: Option<Snowflake>,
        /// The role verification's name.
        name: Option<String>,
        changes: Vec<(String, String)>,
    },
    /// A raidbot process started (one line per start in each `bot_log`).
    BotStarted {
        version: String,
    },
    /// The server's default run length changed (minutes).
    AutoEndChanged {
        by: String,
        before: i32,
        after: i32,
    },
    /// The organizer set or changed the location/party (raid_log, and a fresh notice in
    /// early_loc).
    LocationSet {
        run_id: i64,
    },
    /// The organizer attached the run's completion screenshot (/taken).
    ScreenshotTaken {
        run_id: i64,
    },
    /// A key was popped during a run.
    KeyPopped {
        run_id: i64,
        pop_id: i64,
    },
    /// A raider added or withdrew a key or perk reaction on a run (raid_log).
    ReactionChanged {
        run_id: i64,
        user_id: Snowflake,
        reaction: String,
        added: bool,
    },
    /// The organizer removed a raider from a run.
    RaiderRemoved {
        run_id: i64,
        user_id: Snowflake,
        reason: String,
    },
    /// A dungeon's ping role was mapped (`role` set) or unmapped.
    RolePingChanged {
        by: String,
        dungeon: String,
        role: Option<String>,
    },
    /// A punishment was given, expired, lifted early or removed (`punishment_log`),
    /// rendered from its row.
    Punishment {
        punishment_id: i64,
        what: PunishmentEvent,
    },
    /// A member was unbanned (`punishment_log`).
    Unbanned {
        user_id: Snowflake,
        by: String,
        reason: String,
    },
    /// A staff note was added or removed (`punishment_log`); never carries the note's text.
    NoteChanged {
        note_id: i64,
        user_id: Snowflake,
        by: String,
        removed: bool,
    },
    /// A modmail ticket was opened or closed (`punishment_log`), rendered from its row.
    ModmailTicket {
        ticket_id: i64,
        closed: bool,
    },
    /// A member was blacklisted from modmail (`reason` set; `until`: when a temporary one
    /// ends) or let back (`reason` unset: by staff, or `expired` when a temporary blacklist
    /// ran out) (`punishment_log`). Entries queued before `until` and `expired` existed
    /// read them as unset.
    ModmailBlacklist {
        user_id: Snowflake,
        by: String,
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        expired: bool,
    },
    /// The team role was given (`given`) or taken by team role sync (`staff_updates`).
    TeamRole {
        user_id: Snowflake,
        given: bool,
    },
    /// Points awarded by hand (/logrun, /logkey, /addquotapoints, /addpoints).
    PointsAwarded {
        by: String,
        member: String,
        currency: domain::quota::Currency,
        kind: String,
        amount: i64,
        units: i32,
        dungeon: Option<String>,
        reason: Option<String>,
        total: i64,
    },
    /// A quota role's period ended.
    QuotaPeriodEnded {
        role_id: String,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        met: usize,
        members: usize,
    },
    /// A verification step (a `veri_event` row), for veri_log.
    Verification {
        event_id: i64,
    },
    /// A Discord side effect could not be done; staff should know why.
    JobFailed {
        what: String,
        reason: String,
    },
    /// A running punishment's length or reason was changed (/editpunishment); the row has
    /// the new values, these are the old ones (None: unchanged).
    PunishmentEdited {
        punishment_id: i64,
        by: String,
        old_expires_at: Option<DateTime<Utc>>,
        old_reason: Option<String>,
    },
    /// An escalation rule fired on a member's punishment (`punishment_log`): the
    /// punishment it gave (`result_punishment_id`), or the code of the running one of the
    /// same kind that stood in its way (`already`).
    EscalationFired {
        rule_id: i64,
        user_id: Snowflake,
        trigger_punishment_id: i64,
        result_punishment_id: Option<i64>,
        already: Option<String>,
    },
    /// A member with punishments on record joined again (`punishment_log`): per kind,
    /// how many on record and how many still running.
    MemberRejoined {
        user_id: Snowflake,
        record: Vec<KindCount>,
    },
    /// An automatic promotion rule gave a member its role (`raid_log`).
    Promoted {
        rule_id: i64,
        user_id: Snowflake,
    },
}

/// How many punishments of one kind a member has on record, and how many run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindCount {
    pub kind: String,
    pub total: i64,
    pub active: i64,
}

/// What happened to a punishment, for its log entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PunishmentEvent {
    /// Given (and applied on Discord, or why not).
    Issued,
    /// Its time ran out.
    Expired,
    /// Ended early (/unsuspend, /unmute).
    Lifted,
    /// Deactivated (/removepunishment); kept in history.
    Removed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum Task {
    /// Post the public panel of a new run in its channel.
    RunPanelPost { run_id: i64 },
    /// Edit the public panel to show the run's latest state (coalesced per run).
    RunPanelRefresh { run_id: i64 },
    /// Close the run when its time is up (a timer).
    RunAutoEnd { run_id: i64 },
    /// A key window closed: refresh the panel to drop its "portal open" line (a timer,
    /// separate from the coalesced refresh so joins are never held back by it).
    RunKeyWindowClosed { run_id: i64 },
    /// Post the public panel of a new headcount in its channel.
    HeadcountPanelPost { headcount_id: i64 },
    /// Edit the headcount panel to show its latest state (coalesced per headcount).
    HeadcountPanelRefresh { headcount_id: i64 },
    /// Close a forgotten headcount (a timer).
    HeadcountAutoEnd { headcount_id: i64 },
    /// Tell the raiders of a converted headcount that its run is up.
    HeadcountRunAnnounce { headcount_id: i64 },
    /// Post a party finder party and start its thread.
    PartyPost { party_id: i64 },
    /// Edit a party's post to show its latest closing time.
    PartyRefresh { party_id: i64 },
    /// Close a party when its time is up (a timer).
    PartyAutoClose { party_id: i64 },
    /// Delete a closed party's post and thread ("already gone" counts as done).
    PartyRemove { party_id: i64 },
    /// Post the self-service ping role panel (current mappings) in a channel.
    RolePingPanelPost { channel: Snowflake },
    /// Redraw every quota panel of the guild (coalesced).
    QuotaPanelsRefresh,
    /// The 10-minute quota panel timer.
    QuotaPanelsTick,
    /// A quota role's period boundary (a timer).
    QuotaRollover { role_id: Snowflake },
    /// Delete a quota panel's messages (reset or deleted configuration).
    QuotaPanelDelete {
        channel_id: Snowflake,
        message_ids: Vec<Snowflake>,
    },
    /// Post an event to a log channel, if the guild set one.
    LogPost {
        channel: ChannelKey,
        event: LogEvent,
    },
    /// Give or take the run role so its holders match the run's roster (joined or benched
    /// hold it): a slice of the difference per job, the next slice queued by this one.
    /// Coalesced per run: one pending job covers every join and leave before it runs.
    RunRoles { run_id: i64 },
    /// One member's run role, as versions before migration 0296 queued it (one job per
    /// member). A job of this kind left in the table at an upgrade runs as its run's
    /// [`Task::RunRoles`]; nothing queues it any more.
    RunRoleSync { run_id: i64, user_id: Snowflake },
    /// After a run closes: delete its ping messages and the run role raidbot created.
    RunCleanup { run_id: i64 },
    /// Tell one member something privately (DM).
    Notify { user_id: Snowflake, note: Note },
    /// Post an announcement about a run in its channel (mentions the run role).
    RunAnnounce {
        run_id: i64,
        announcement: Announcement,
    },
    /// Do Discord's side of a new punishment, in order: DM the member, then give the role,
    /// kick or ban, then log. Each step is recorded on the row, so a retry continues.
    PunishmentApply { punishment_id: i64 },
    /// A suspension's or mute's time is up (a timer).
    PunishmentExpire { punishment_id: i64 },
    /// Give (`give`) or take the punishment's role so Discord matches the row.
    PunishmentRole { punishment_id: i64, give: bool },
    /// Lift a ban on Discord.
    Unban { user_id: Snowflake, reason: String },
    /// Give or take the team role so it matches the member's staff roles.
    TeamRoleSync { user_id: Snowflake },
    /// Make Discord match a modmail ticket: its forum thread, messages not yet relayed
    /// (member's to the thread, staff's by DM), and the closing summary.
    ModmailSync { ticket_id: i64 },
    /// Tell a member something about their verification (DM).
    VeriDm { user_id: Snowflake, note: VeriNote },
    /// Make the member's roles and nickname match the database (coalesced per member).
    MemberSync { user_id: Snowflake },
    /// A verification session's 30 minutes are up (a timer).
    VeriSessionExpire { session_id: i64 },
    /// Post a screenshot review card in its review channel.
    VeriReviewPost { review_id: i64 },
    /// Show a review card's decision (who, when) and remove its buttons.
    VeriReviewRefresh { review_id: i64 },
    /// Post the get-verified panel (or a custom role's panel) in a channel.
    VeriPanelPost {
        channel: Snowflake,
        custom_role_id: Option<i64>,
    },
    /// Delete a removed custom role's panel ("already gone" counts as done).
    VeriPanelDelete {
        channel: Snowflake,
        message: Snowflake,
    },
    /// A muted role was created: queue one `MutedOverwrite` per channel of the guild.
    MutedOverwrites { role_id: Snowflake },
    /// Deny the muted role what it may not do in one channel (coalesced per channel and
    /// role). A channel that refuses queues one `MutedOverwriteReport`.
    MutedOverwrite {
        role_id: Snowflake,
        channel_id: Snowflake,
    },
    /// Tell `bot_log` once which channels the muted role could not be set up in (when the
    /// per-channel jobs are done).
    MutedOverwriteReport { role_id: Snowflake },
    /// Tell the member their punishment was changed (/editpunishment): its new end and
    /// reason, from the row (coalesced per punishment: the latest edit wins).
    PunishmentEditedDm { punishment_id: i64 },
    /// A modmail ticket's scheduled close (a timer; the ticket row says whether it still
    /// stands: the member's reply cancels it).
    ModmailScheduledClose { ticket_id: i64 },
    /// A temporary modmail blacklist ends (a timer): tell the member, drop the entry.
    ModmailBlacklistExpiry { user_id: Snowflake },
    /// Post a scheduled raid's announcement in the raid channel.
    SchedulePanelPost { schedule_id: i64 },
    /// Edit the announcement to show its latest counts and state (coalesced).
    SchedulePanelRefresh { schedule_id: i64 },
    /// Ping the signed-up members before the start (a timer).
    ScheduleRemind { schedule_id: i64 },
    /// Open the scheduled raid's run panel at its time (a timer).
    ScheduleOpen { schedule_id: i64 },
    /// Tell one signed-up member that the raid opened (with a Join button) or was called
    /// off (DM).
    ScheduleDm {
        schedule_id: i64,
        user_id: Snowflake,
        note: ScheduleNote,
    },
    /// After an award: grant the promotion rules these members now qualify for.
    PromotionCheck { members: Vec<Snowflake> },
    /// Give a member a promotion rule's role (taking its lower role) and tell them.
    Promote { rule_id: i64, user_id: Snowflake },
}

/// Why a member gets a DM about a scheduled raid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleNote {
    Opened,
    Cancelled,
}

/// A direct message about verification; the bot renders the words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "note", rename_all = "snake_case")]
pub enum VeriNote {
    /// The session started: which methods there are, or what to send first.
    Started {
        session_id: i64,
    },
    /// A RealmEye code to put in the description, with Done and Cancel buttons.
    CodeIssued {
        session_id: i64,
    },
    /// Upload a screenshot now.
    AskScreenshot {
        session_id: i64,
    },
    /// A text the member sent could not be used (jobs queued before [`VeriNote::Retry`]
    /// existed carry the reason worded).
    Refused {
        session_id: i64,
        reason: String,
    },
    /// What the member sent could not be used; the bot words why and what to send.
    Retry {
        session_id: i64,
        why: RetryReason,
    },
    /// The screenshot went to staff.
    UnderReview {
        session_id: i64,
    },
    Verified {
        ign: String,
    },
    Denied {
        reason: String,
    },
    /// A custom role was granted.
    RoleGranted {
        role_name: String,
    },
    /// Staff removed the custom role verification this request was for.
    RoleWithdrawn {
        role_name: String,
    },
    Expired,
    Cancelled,
}

/// Why a member's DM to their verification session could not be used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum RetryReason {
    /// The name is empty.
    IgnEmpty,
    /// The name is longer than 10 letters (`shown`: what they sent, cut to 40 characters).
    IgnTooLong { shown: String },
    /// The name has characters other than letters.
    IgnNotLetters { shown: String },
    /// Another member of the server holds the name.
    IgnTaken { ign: String },
    /// The file is not an image.
    NotAnImage,
    /// A screenshot was asked for but the message has no file.
    NoAttachment,
    /// A code was issued: the member is to press Done, not write.
    AwaitingDone,
}

impl From<domain::verification::IgnError> for RetryReason {
    fn from(e: domain::verification::IgnError) -> Self {
        use domain::verification::IgnError;
        match e {
            IgnError::Empty => RetryReason::IgnEmpty,
            IgnError::TooLong(shown) => RetryReason::IgnTooLong { shown },
            IgnError::NotLetters(shown) => RetryReason::IgnNotLetters { shown },
        }
    }
}

/// A private message to a member about a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "note", rename_all = "snake_case")]
pub enum Note {
    /// A place opened up and they moved from the bench into the run.
    PromotedFromBench { run_id: i64 },
    /// The organizer removed them from the run.
    RemovedFromRun { run_id: i64, reason: String },
    /// They are among the first key/perk reactors: here are the location and party.
    EarlyLocation { run_id: i64 },
}

/// A public announcement in a run's channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "announcement", rename_all = "snake_case")]
pub enum Announcement {
    /// The organizer pings everyone in the run.
    PingRaiders,
    /// A key was popped: join within the window.
    KeyPopped { pop_id: i64 },
    /// Oryx 3 progress (realm closed, miniboss, third room); replaces the previous one.
    O3Stage,
    /// A realm dungeon's realm score.
    RealmScore,
}

impl Task {
    pub fn kind(&self) -> &'static str {
        match self {
            Task::RunPanelPost { .. } => "run_panel_post",
            Task::RunPanelRefresh { .. } => "run_panel_refresh",
            Task::RunAutoEnd { .. } => "run_auto_end",
            Task::RunKeyWindowClosed { .. } => "run_key_window_closed",
            Task::HeadcountPanelPost { .. } => "headcount_panel_post",
            Task::HeadcountPanelRefresh { .. } => "headcount_panel_refresh",
            Task::HeadcountAutoEnd { .. } => "headcount_auto_end",
            Task::HeadcountRunAnnounce { .. } => "headcount_run_announce",
            Task::PartyPost { .. } => "party_post",
            Task::PartyRefresh { .. } => "party_refresh",
            Task::PartyAutoClose { .. } => "party_auto_close",
            Task::PartyRemove { .. } => "party_remove",
            Task::RolePingPanelPost { .. } => "role_ping_panel_post",
            Task::LogPost { .. } => "log_post",
            Task::RunRoles { .. } => "run_roles",
            Task::RunRoleSync { .. } => "run_role_sync",
            Task::RunCleanup { .. } => "run_cleanup",
            Task::Notify { .. } => "notify",
            Task::RunAnnounce { .. } => "run_announce",
            Task::PunishmentApply { .. } => "punishment_apply",
            Task::PunishmentExpire { .. } => "punishment_expire",
            Task::PunishmentRole { .. } => "punishment_role",
            Task::Unban { .. } => "unban",
            Task::TeamRoleSync { .. } => "team_role_sync",
            Task::QuotaPanelsRefresh => "quota_panels_refresh",
            Task::QuotaPanelsTick => "quota_panels_tick",
            Task::QuotaRollover { .. } => "quota_rollover",
            Task::QuotaPanelDelete { .. } => "quota_panel_delete",
            Task::VeriDm { .. } => "veri_dm",
            Task::MemberSync { .. } => "member_sync",
            Task::VeriSessionExpire { .. } => "veri_session_expire",
            Task::VeriReviewPost { .. } => "veri_review_post",
            Task::VeriReviewRefresh { .. } => "veri_review_refresh",
            Task::VeriPanelPost { .. } => "veri_panel_post",
            Task::VeriPanelDelete { .. } => "veri_panel_delete",
            Task::ModmailSync { .. } => "modmail_sync",
            Task::MutedOverwrites { .. } => "muted_overwrites",
            Task::MutedOverwrite { .. } => "muted_overwrite",
            Task::MutedOverwriteReport { .. } => "muted_overwrite_report",
            Task::PunishmentEditedDm { .. } => "punishment_edited_dm",
            Task::ModmailScheduledClose { .. } => "modmail_scheduled_close",
            Task::ModmailBlacklistExpiry { .. } => "modmail_blacklist_expiry",
            Task::SchedulePanelPost { .. } => "schedule_panel_post",
            Task::SchedulePanelRefresh { .. } => "schedule_panel_refresh",
            Task::ScheduleRemind { .. } => "schedule_remind",
            Task::ScheduleOpen { .. } => "schedule_open",
            Task::ScheduleDm { .. } => "schedule_dm",
            Task::PromotionCheck { .. } => "promotion_check",
            Task::Promote { .. } => "promote",
        }
    }

    fn dedupe_key(&self) -> Option<String> {
        match self {
            Task::RunPanelPost { run_id }
            | Task::RunPanelRefresh { run_id }
            | Task::RunAutoEnd { run_id }
            | Task::RunKeyWindowClosed { run_id }
            | Task::RunCleanup { run_id } => Some(format!("run:{run_id}")),
            // Not the panel's key: a role change never waits for a panel edit.
            Task::RunRoles { run_id } => Some(format!("run:{run_id}:roles")),
            Task::RunRoleSync { run_id, user_id } => Some(format!("run:{run_id}:user:{user_id}")),
            Task::HeadcountPanelPost { headcount_id }
            | Task::HeadcountPanelRefresh { headcount_id }
            | Task::HeadcountAutoEnd { headcount_id }
            | Task::HeadcountRunAnnounce { headcount_id } => {
                Some(format!("headcount:{headcount_id}"))
            }
            Task::PartyPost { party_id }
            | Task::PartyRefresh { party_id }
            | Task::PartyAutoClose { party_id }
            | Task::PartyRemove { party_id } => Some(format!("party:{party_id}")),
            // Many jobs failing for one reason (a burst of role changes the bot may not
            // make) report it once while that report waits to be posted.
            Task::LogPost {
                event: LogEvent::JobFailed { reason, .. },
                ..
            } => Some(format!("failed:{reason}")),
            Task::PunishmentApply { punishment_id } | Task::PunishmentExpire { punishment_id } => {
                Some(format!("punishment:{punishment_id}"))
            }
            Task::PunishmentRole {
                punishment_id,
                give,
            } => Some(format!("punishment:{punishment_id}:{give}")),
            Task::Unban { user_id, .. } | Task::TeamRoleSync { user_id } => {
                Some(format!("user:{user_id}"))
            }
            Task::QuotaPanelsRefresh => Some("quota-panels".to_owned()),
            Task::QuotaPanelsTick => Some("quota-tick".to_owned()),
            Task::QuotaRollover { role_id } => Some(format!("rollover:{role_id}")),
            Task::MemberSync { user_id } => Some(format!("member:{user_id}")),
            Task::VeriSessionExpire { session_id } => Some(format!("veri_session:{session_id}")),
            Task::VeriReviewPost { review_id } | Task::VeriReviewRefresh { review_id } => {
                Some(format!("veri_review:{review_id}"))
            }
            Task::VeriDm { .. } | Task::VeriPanelPost { .. } => None,
            Task::VeriPanelDelete { message, .. } => Some(format!("veri_panel:{message}")),
            Task::ModmailSync { ticket_id } => Some(format!("modmail:{ticket_id}")),
            Task::MutedOverwrites { role_id } | Task::MutedOverwriteReport { role_id } => {
                Some(format!("role:{role_id}"))
            }
            Task::MutedOverwrite {
                role_id,
                channel_id,
            } => Some(format!("role:{role_id}:channel:{channel_id}")),
            Task::PunishmentEditedDm { punishment_id } => {
                Some(format!("punishment:{punishment_id}:edited"))
            }
            Task::LogPost { .. }
            | Task::Notify { .. }
            | Task::RunAnnounce { .. }
            | Task::RolePingPanelPost { .. }
            | Task::QuotaPanelDelete { .. } => None,
            Task::ModmailScheduledClose { ticket_id } => Some(format!("modmail_close:{ticket_id}")),
            Task::ModmailBlacklistExpiry { user_id } => {
                Some(format!("modmail_blacklist:{user_id}"))
            }
            Task::SchedulePanelPost { schedule_id }
            | Task::SchedulePanelRefresh { schedule_id }
            | Task::ScheduleRemind { schedule_id }
            | Task::ScheduleOpen { schedule_id } => Some(format!("schedule:{schedule_id}")),
            Task::ScheduleDm {
                schedule_id,
                user_id,
                note,
            } => Some(format!("schedule:{schedule_id}:user:{user_id}:{note:?}")),
            Task::PromotionCheck { .. } => None,
            Task::Promote { rule_id, user_id } => Some(format!("promote:{rule_id}:{user_id}")),
        }
    }

    /// Among due jobs, higher goes first: what people are looking at (panels) before
    /// messages and logs, and those before background role changes.
    fn priority(&self) -> i16 {
        match self {
            Task::RunPanelPost { .. }
            | Task::RunPanelRefresh { .. }
            | Task::RunKeyWindowClosed { .. }
            | Task::HeadcountPanelPost { .. }
            | Task::HeadcountPanelRefresh { .. }
            | Task::PartyPost { .. }
            | Task::PartyRefresh { .. } => 10,
            Task::RunAnnounce { .. }
            | Task::HeadcountRunAnnounce { .. }
            | Task::Notify { .. }
            | Task::RolePingPanelPost { .. }
            | Task::RunAutoEnd { .. }
            | Task::HeadcountAutoEnd { .. }
            | Task::PartyAutoClose { .. } => 5,
            Task::PunishmentApply { .. }
            | Task::PunishmentExpire { .. }
            | Task::PunishmentRole { .. }
            | Task::Unban { .. }
            | Task::ModmailSync { .. } => 5,
            Task::LogPost { .. } => 3,
            Task::RunRoles { .. }
            | Task::RunRoleSync { .. }
            | Task::RunCleanup { .. }
            | Task::PartyRemove { .. }
            | Task::TeamRoleSync { .. } => 0,
            Task::QuotaPanelsRefresh | Task::QuotaPanelDelete { .. } => 10,
            Task::VeriDm { .. }
            | Task::VeriReviewPost { .. }
            | Task::VeriReviewRefresh { .. }
            | Task::VeriPanelPost { .. }
            | Task::VeriPanelDelete { .. }
            | Task::MemberSync { .. } => 5,
            Task::VeriSessionExpire { .. } => 3,
            Task::QuotaRollover { .. } => 5,
            Task::QuotaPanelsTick => 3,
            Task::MutedOverwrites { .. } | Task::MutedOverwrite { .. } => 0,
            Task::MutedOverwriteReport { .. } => 3,
            Task::PunishmentEditedDm { .. } => 5,
            Task::ModmailScheduledClose { .. } | Task::ModmailBlacklistExpiry { .. } => 3,
            Task::SchedulePanelPost { .. } | Task::SchedulePanelRefresh { .. } => 10,
            Task::ScheduleRemind { .. } | Task::ScheduleOpen { .. } | Task::ScheduleDm { .. } => 5,
            Task::PromotionCheck { .. } => 3,
            Task::Promote { .. } => 0,
        }
    }

    /// Reads a claimed job back into a task.
    pub fn from_job(job: &jobs::Job) -> Result<Task, serde_json::Error> {
        serde_json::from_value(job.payload.clone())
    }
}

/// Queues `task` in the caller's transaction, due now or at `due_at`.
pub async fn queue(
    conn: &mut PgConnection,
    guild: Snowflake,
    task: Task,
    due_at: Option<DateTime<Utc>>,
) -> store::Result<bool> {
    let job = job_of(guild, &task, due_at)?;
    jobs::enqueue(conn, &job).await
}

/// [`queue`] for many tasks in one round trip: jobs with shared keys are skipped when a
/// pending job already carries them, as [`queue`] does. Each task's kind and key at most
/// once.
pub async fn queue_many(
    conn: &mut PgConnection,
    tasks: &[(Snowflake, Task, Option<DateTime<Utc>>)],
) -> store::Result<()> {
    let mut all: Vec<NewJob> = Vec::with_capacity(tasks.len());
    let mut shared = Vec::with_capacity(tasks.len());
    for (guild, task, due) in tasks {
        let job = job_of(*guild, task, *due)?;
        // One statement cannot insert-or-update a row twice: a job with the key of one
        // already in this list is folded into it (due at the earlier time, as the insert's
        // ON CONFLICT would do).
        if job.dedupe_key.is_some()
            && let Some(earlier) = all.iter_mut().find(|j| {
                j.guild_id == job.guild_id && j.kind == job.kind && j.dedupe_key == job.dedupe_key
            })
        {
            earlier.due_at = match (earlier.due_at, job.due_at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                _ => None,
            };
            continue;
        }
        shared.push(job.dedupe_key.is_some());
        all.push(job);
    }
    jobs::enqueue_many(conn, &all, &shared).await
}

/// When a coalesced panel refresh of a run changed now is due.
pub fn panel_refresh_due() -> DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(PANEL_COALESCE).unwrap_or_default()
}

/// Queues a coalesced panel refresh for the run.
pub async fn refresh_panel(
    conn: &mut PgConnection,
    guild: Snowflake,
    run_id: i64,
) -> store::Result<()> {
    queue(
        conn,
        guild,
        Task::RunPanelRefresh { run_id },
        Some(panel_refresh_due()),
    )
    .await?;
    Ok(())
}

/// When a job of one of `tasks`' kinds with their dedupe key last finished, for spacing
/// out edits of one message. The tasks share one key (e.g. a run's panel post, refresh and
/// key-window refresh); kinds and key come from the typed tasks, never spelled again.
pub async fn last_finished(
    pool: &PgPool,
    guild: Snowflake,
    tasks: &[Task],
) -> crate::Result<Option<DateTime<Utc>>> {
    let Some(key) = tasks.first().and_then(Task::dedupe_key) else {
        return Ok(None);
    };
    debug_assert!(
        tasks
            .iter()
            .all(|t| t.dedupe_key().as_deref() == Some(key.as_str()))
    );
    let kinds: Vec<&str> = tasks.iter().map(Task::kind).collect();
    Ok(jobs::last_finished(pool, guild, &kinds, &key).await?)
}

/// Queues a log post; the dispatcher drops it when the guild has no such channel.
pub async fn log(
    conn: &mut PgConnection,
    guild: Snowflake,
    channel: ChannelKey,
    event: LogEvent,
) -> store::Result<()> {
    queue(conn, guild, Task::LogPost { channel, event }, None).await?;
    Ok(())
}

/// Moves a pending timer to `due` (earlier or later), or queues it if none is pending.
pub async fn move_timer(
    conn: &mut PgConnection,
    guild: Snowflake,
    task: Task,
    due: DateTime<Utc>,
) -> store::Result<()> {
    let moved = match task.dedupe_key() {
        Some(key) => jobs::reschedule(conn, guild, task.kind(), &key, due).await?,
        None => false,
    };
    if !moved {
        queue(conn, guild, task, Some(due)).await?;
    }
    Ok(())
}

/// The job row of `task` (for stores that write the job themselves, e.g. conditionally).
pub(crate) fn job_of(
    guild: Snowflake,
    task: &Task,
    due_at: Option<DateTime<Utc>>,
) -> store::Result<NewJob> {
    let payload =
        serde_json::to_value(task).map_err(|e| store::StoreError::Corrupt(e.to_string()))?;
    Ok(NewJob {
        guild_id: guild,
        kind: task.kind().to_owned(),
        dedupe_key: task.dedupe_key(),
        payload,
        due_at,
        priority: task.priority(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blacklist_log_entry_queued_before_until_and_expired_existed_still_reads() {
        let old = serde_json::json!({
            "event": "modmail_blacklist",
            "user_id": "42",
            "by": "user 7",
            "reason": "spam (until 2026-12-07 20:00 UTC)",
        });
        let read: LogEvent = serde_json::from_value(old).unwrap_or_else(|e| panic!("{e}"));
        let LogEvent::ModmailBlacklist { until, expired, .. } = read else {
            panic!("not a blacklist entry: {read:?}");
        };
        assert_eq!((until, expired), (None, false));
    }
}
