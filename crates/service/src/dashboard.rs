//! Use cases of the web dashboard beyond the commands': the public leaderboard page
//! (administrators choose whether and what it shows), the names and member search the
//! leaderboard pages need, and the run history with filters.

use std::collections::HashMap;

use domain::Snowflake;
use domain::quota::{Metric, PeriodChoice};
use domain::roles::{Level, RoleKey};
use serde_json::json;
use store::public_board::{self, PublicBoardRow};
pub use store::runs::RunFilter;
use store::{PgPool, guild_config, logs};
use store::{runs as store_runs, verification::names as store_names};

use crate::error::Refusal;
use crate::quota::LeaderboardPage;
use crate::tasks::{self, LogEvent, SettingsArea};
use crate::{Actor, Result};
use domain::ChannelKey;

/// Why a dashboard read or setting (run history, member search, the public leaderboard)
/// was refused; the adapters word it (`messages::dashboard`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("dashboard refused: {}", self.code())]
pub enum DashboardError {
    /// The public leaderboard is on with no category to show.
    NoCategories,
    /// A metric that is not a leaderboard category.
    NotACategory { metric: Metric },
    /// A member search that is not 1 to 10 letters.
    BadSearch,
    /// A dungeon code raidbot does not know (as typed).
    UnknownDungeon { code: String },
    /// A date range whose first date is not before its last.
    DatesReversed,
    /// A public leaderboard the server does not publish.
    NotPublished,
}

impl DashboardError {
    /// A stable snake_case code for logs and the REST API.
    pub fn code(&self) -> &'static str {
        match self {
            DashboardError::NoCategories => "no_categories",
            DashboardError::NotACategory { .. } => "invalid_category",
            DashboardError::BadSearch => "invalid_search",
            DashboardError::UnknownDungeon { .. } => "invalid_dungeon",
            DashboardError::DatesReversed => "invalid_dates",
            DashboardError::NotPublished => "not_found",
        }
    }

    /// What kind of refusal this is: each is a value that is not acceptable.
    pub fn kind(&self) -> Refusal {
        match self {
            DashboardError::NotPublished => Refusal::NotFound,
            _ => Refusal::Invalid,
        }
    }
}

/// What a server's public leaderboard page shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PublicBoard {
    pub enabled: bool,
    /// The categories published, in menu order.
    pub metrics: Vec<Metric>,
    /// Whether members' in-game names are shown (otherwise only ranks and values).
    pub show_names: bool,
}

impl PublicBoard {
    fn from_row(row: PublicBoardRow) -> PublicBoard {
        PublicBoard {
            enabled: row.enabled,
            metrics: Metric::CATEGORIES
                .into_iter()
                .filter(|m| row.metrics.iter().any(|s| s == m.as_str()))
                .collect(),
            show_names: row.show_names,
        }
    }

    fn to_json(&self) -> serde_json::Value {
        json!({
            "enabled": self.enabled,
            "metrics": self.metrics.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
            "show_names": self.show_names,
        })
    }

    /// Whether `metric` may be read without logging in.
    pub fn publishes(&self, metric: Metric) -> bool {
        self.enabled && self.metrics.contains(&metric)
    }
}

/// The public leaderboard setting, as an administrator edits it.
pub async fn public_board_settings(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
) -> Result<PublicBoard> {
    actor.require(RoleKey::Administrator)?;
    public_board(pool, guild).await
}

/// The public leaderboard setting (anyone: it says what is public).
pub async fn public_board(pool: &PgPool, guild: Snowflake) -> Result<PublicBoard> {
    let mut conn = pool.acquire().await?;
    Ok(PublicBoard::from_row(
        public_board::public_board(&mut conn, guild).await?,
    ))
}

/// Turns the public page on or off and chooses what it shows (administrators), with an
/// audit entry. Turning it on needs at least one category.
pub async fn set_public_board(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    board: &PublicBoard,
) -> Result<PublicBoard> {
    actor.require(RoleKey::Administrator)?;
    if board.enabled && board.metrics.is_empty() {
        return Err(DashboardError::NoCategories.into());
    }
    if let Some(m) = board
        .metrics
        .iter()
        .find(|m| !Metric::CATEGORIES.contains(m))
    {
        return Err(DashboardError::NotACategory { metric: *m }.into());
    }
    let new = PublicBoard {
        enabled: board.enabled,
        metrics: Metric::CATEGORIES
            .into_iter()
            .filter(|m| board.metrics.contains(m))
            .collect(),
        show_names: board.show_names,
    };
    let mut tx = pool.begin().await?;
    guild_config::ensure_guild(&mut tx, guild).await?;
    let before = PublicBoard::from_row(public_board::public_board(&mut tx, guild).await?);
    let row = PublicBoardRow {
        enabled: new.enabled,
        metrics: new.metrics.iter().map(|m| m.as_str().to_owned()).collect(),
        show_names: new.show_names,
    };
    public_board::set_public_board(&mut tx, guild, &row).await?;
    if before != new {
        logs::record_audit(
            &mut tx,
            guild,
            &actor.audit(),
            "public_leaderboard",
            before.to_json(),
            new.to_json(),
        )
        .await?;
        let metrics = |b: &PublicBoard| {
            b.metrics
                .iter()
                .map(|m| m.label())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let on_off = |on: bool| if on { "on" } else { "off" };
        let mut changes = Vec::new();
        for (key, b, a) in [
            (
                "published",
                on_off(before.enabled).to_owned(),
                on_off(new.enabled).to_owned(),
            ),
            ("categories", metrics(&before), metrics(&new)),
            (
                "names shown",
                on_off(before.show_names).to_owned(),
                on_off(new.show_names).to_owned(),
            ),
        ] {
            if b != a {
                changes.push((key.to_owned(), a));
            }
        }
        let event = LogEvent::SettingsChanged {
            by: actor.label.clone(),
            area: SettingsArea::PublicLeaderboard,
            role: None,
            name: None,
            changes,
        };
        tasks::log(&mut tx, guild, ChannelKey::BotLog, event).await?;
    }
    tx.commit().await?;
    Ok(new)
}

/// A page of a published leaderboard, for anyone (no login). Not found unless the server
/// publishes that category.
pub async fn public_leaderboard(
    pool: &PgPool,
    guild: Snowflake,
    metric: Metric,
    choice: PeriodChoice,
    offset: i64,
) -> Result<(PublicBoard, LeaderboardPage)> {
    let board = public_board(pool, guild).await?;
    if !board.publishes(metric) {
        return Err(DashboardError::NotPublished.into());
    }
    let reader = Actor {
        user_id: None,
        level: RoleKey::VerifiedRaider.level().unwrap_or(Level(1)),
        label: "public leaderboard page".to_owned(),
    };
    let page = crate::quota::leaderboard(
        pool,
        guild,
        &reader,
        metric,
        choice,
        offset,
        crate::quota::PAGE_SIZE,
    )
    .await?;
    Ok((board, page))
}

/// The main in-game names of a page's members (those who have one).
pub async fn main_names(
    pool: &PgPool,
    guild: Snowflake,
    members: &[Snowflake],
) -> Result<HashMap<Snowflake, String>> {
    let mut conn = pool.acquire().await?;
    Ok(store_names::main_names(&mut conn, guild, members).await?)
}

/// The most members a search lists.
pub const SEARCH_LIMIT: i64 = 20;

/// Members whose in-game name starts with `text` (verified raiders and up, as the
/// leaderboard). In-game names are letters only, so other text finds no one.
pub async fn search_members(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    text: &str,
) -> Result<Vec<(Snowflake, String)>> {
    actor.require(RoleKey::VerifiedRaider)?;
    let text = text.trim();
    if text.is_empty() || text.len() > 10 || !text.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(DashboardError::BadSearch.into());
    }
    let mut conn = pool.acquire().await?;
    Ok(store_names::search_members(&mut conn, guild, text, SEARCH_LIMIT).await?)
}

/// The most runs one history request returns.
pub const RUN_PAGE_MAX: i64 = 500;

/// Runs matching `filter`, newest first, `limit` at most ([`RUN_PAGE_MAX`]); `before` is
/// the last run id of the previous page. Verified raiders and up (runs are posted in the
/// server's channels for them to see).
pub async fn run_history(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    filter: &RunFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<crate::runs::Run>> {
    actor.require(RoleKey::VerifiedRaider)?;
    if let Some(d) = filter.dungeon.as_deref()
        && domain::catalog::catalog().dungeon(d).is_none()
    {
        return Err(DashboardError::UnknownDungeon { code: d.to_owned() }.into());
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from >= to
    {
        return Err(DashboardError::DatesReversed.into());
    }
    let mut conn = pool.acquire().await?;
    Ok(store_runs::run_history(
        &mut conn,
        guild,
        filter,
        before,
        limit.clamp(1, RUN_PAGE_MAX),
    )
    .await?)
}

/// The server overview: what is under way now and the server's recent figures.
#[derive(Debug, Clone)]
pub struct Overview {
    /// Runs open or live, newest first.
    pub runs: Vec<crate::runs::Run>,
    /// Headcounts still open, newest first.
    pub headcounts: Vec<OpenHeadcount>,
    /// Since midnight UTC today.
    pub today: Figures,
    /// Since Monday 00:00 UTC this week.
    pub week: Figures,
}

pub use store::overview::{Figures, OpenHeadcount, RunPop};

/// Midnight UTC of `now`'s day, and of the Monday of its week.
pub fn day_and_week_start(
    now: chrono::DateTime<chrono::Utc>,
) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    use chrono::Datelike;
    let day = now.date_naive();
    let monday = day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday()));
    let midnight = |d: chrono::NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
    (midnight(day), midnight(monday))
}

/// The overview of a server (verified raiders and up: runs are posted for them).
pub async fn overview(pool: &PgPool, guild: Snowflake, actor: &Actor) -> Result<Overview> {
    actor.require(RoleKey::VerifiedRaider)?;
    let (today, week) = day_and_week_start(chrono::Utc::now());
    let mut conn = pool.acquire().await?;
    Ok(Overview {
        runs: store::overview::active_runs(&mut conn, guild).await?,
        headcounts: store::overview::open_headcounts(&mut conn, guild).await?,
        today: store::overview::figures(&mut conn, guild, today).await?,
        week: store::overview::figures(&mut conn, guild, week).await?,
    })
}

/// One run's page: everyone in it and its key pops.
#[derive(Debug, Clone)]
pub struct RunPage {
    pub detail: crate::runs::RunDetail,
    /// Key pops in the order they were logged.
    pub pops: Vec<RunPop>,
    /// Main in-game names of the people the page names.
    pub names: HashMap<Snowflake, String>,
}

/// A run with its roster, classes and key pops (verified raiders and up, as the history).
pub async fn run_page(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
    run_id: i64,
) -> Result<RunPage> {
    actor.require(RoleKey::VerifiedRaider)?;
    let detail = crate::runs::get(pool, guild, run_id).await?;
    let mut conn = pool.acquire().await?;
    let pops = store::overview::run_pops(&mut conn, guild, run_id).await?;
    let mut people: Vec<Snowflake> = detail.roster.iter().map(|e| e.user_id).collect();
    people.extend(pops.iter().map(|p| p.user_id));
    people.push(detail.run.organizer_id);
    people.extend(detail.run.closed_by);
    people.sort_unstable();
    people.dedup();
    let names = store_names::main_names(&mut conn, guild, &people).await?;
    Ok(RunPage {
        detail,
        pops,
        names,
    })
}

/// How many past periods the quota page shows per role.
pub const QUOTA_PAST_PERIODS: i64 = 6;

/// A quota role on the quota page.
#[derive(Debug, Clone)]
pub struct QuotaBoard {
    /// The current period, its members and their points (best first).
    pub panel: crate::quota::PanelData,
    /// Finished periods, newest first: (period, members who met the quota, members).
    pub past: Vec<(domain::quota::Period, usize, usize)>,
    /// Main in-game names of the role's members.
    pub names: HashMap<Snowflake, String>,
}

/// Every quota role with its members' progress this period and how past periods went
/// (organizers and up: quotas are staff's).
pub async fn quota_boards(
    pool: &PgPool,
    guild: Snowflake,
    actor: &Actor,
) -> Result<Vec<QuotaBoard>> {
    actor.require(RoleKey::Organizer)?;
    let mut conn = pool.acquire().await?;
    let roles = store::quota_roles::quota_roles(&mut conn, guild).await?;
    let now = chrono::Utc::now();
    let mut out = Vec::with_capacity(roles.len());
    for q in roles {
        let role = q.role_id;
        let required = q.required;
        let panel = crate::quota::panel_for(&mut conn, guild, q, now).await?;
        let members: Vec<Snowflake> = panel.rows.iter().map(|(m, _)| *m).collect();
        let finished = store::point_periods::periods(
            &mut conn,
            guild,
            role.db(),
            panel.period.start,
            QUOTA_PAST_PERIODS,
        )
        .await?;
        let mut past = Vec::with_capacity(finished.len());
        for p in finished {
            let points =
                store::point_events::quota_points_between(&mut conn, guild, &members, &p.period)
                    .await?;
            let met = members
                .iter()
                .filter(|m| points.get(m).copied().unwrap_or_default() >= required)
                .count();
            past.push((p.period, met, members.len()));
        }
        let names = store_names::main_names(&mut conn, guild, &members).await?;
        out.push(QuotaBoard { panel, past, names });
    }
    Ok(out)
}
