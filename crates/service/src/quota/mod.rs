//! Quota and raider points: automatic awards when runs end, manual awards, configuration,
//! periods that roll over by themselves, stats, leaderboards and quota panels.
//!
//! Every award is a `point_event` row written with its summary deltas in one transaction;
//! the unique key (guild, source, member, kind) makes automatic awards exactly-once.
//! [`fold_pending`] moves the deltas into the summary table in the background; reads count
//! both, so they never depend on when it last ran.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::catalog::catalog;
use domain::quota::{
    Currency, Metric, ModAction, Period, PeriodChoice, PointKind, Points, Schedule,
};
use domain::{ChannelKey, RoleKey, Snowflake};
use serde_json::json;
/// One dungeon's line of a member's stats.
pub use store::leaderboard::DungeonLine;
use store::leaderboard::{self, ALL_TIME, Ranked};
use store::point_events::{self, NewEvent};
use store::point_periods::{self, LEADERBOARD_SCOPE};
use store::{key_pops, member_roles, point_config, quota_roles, run_awards};

/// Points settings and quota roles: what `/configpoints`, `/configquota` and quota panels
/// show.
pub use store::point_config::PointConfig;
pub use store::quota_roles::QuotaRole;
use store::runs::Run;
use store::{PgConnection, PgPool, jobs, logs};

use crate::config::{SettingsChange, record_settings_change};
use crate::tasks::{self, LogEvent, SettingsArea, Task};
use crate::{Actor, Result, ServiceError};

mod adjustments;
mod awards;
mod error;
mod folding;
mod leaderboard_pages;
mod panels;
mod periods;
mod point_settings;
mod roles;
mod sightings;
mod stats;

pub use adjustments::*;
pub use awards::*;
pub use error::QuotaError;
pub use folding::*;
pub use leaderboard_pages::*;
pub use panels::*;
pub use periods::*;
pub use point_settings::*;
pub use roles::*;
pub use sightings::*;
pub use stats::*;

/// Leaderboard page size in Discord.
pub const PAGE_SIZE: i64 = 25;
/// How often quota panels are redrawn even when nothing is awarded.
pub const PANEL_TICK: chrono::Duration = chrono::Duration::minutes(10);
/// Most runs or keys one /logrun or /logkey may log.
pub const LOG_AMOUNT_MAX: i64 = 999;

fn is_exalt(dungeon: &str) -> bool {
    catalog()
        .dungeon(dungeon)
        .is_some_and(|d| d.category.starts_with("Exaltation"))
}

fn check_dungeon(code: &str) -> Result<String> {
    let code = code.trim();
    catalog()
        .dungeon(code)
        .map(|d| d.code.clone())
        .ok_or_else(|| {
            QuotaError::UnknownDungeon {
                code: code.to_owned(),
            }
            .into()
        })
}

/// What organizing one run of `dungeon` is worth to `organizer`: their highest quota
/// role's value, or 1 point when they hold no configured quota role.
async fn organizer_value(
    conn: &mut PgConnection,
    guild: Snowflake,
    organizer: Snowflake,
    dungeon: &str,
) -> Result<Points> {
    Ok(
        match quota_roles::highest_quota_role(conn, guild, organizer).await? {
            Some(q) => q.run_value(dungeon, is_exalt(dungeon)),
            None => Points::ONE,
        },
    )
}
