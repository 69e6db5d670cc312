//! Quota components: `quota:<action>:<id>[:detail]`.
//!
//! - Quota role configuration: `quota:r_<action>:<role_id>[:<dungeon>]`.
//! - Raider points configuration: `quota:p_<action>:<guild_id>[:<dungeon>]`.
//! - Leaderboard pages: `quota:lb_<first|prev|next|last>:<page>:<metric>_<period>`; the
//!   page is the target page (1-based), never state the database owns.

use std::fmt;

use super::split;
use crate::quota::{Metric, PeriodChoice};

/// What a configuration component does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigAction {
    Required,
    Schedule,
    Start,
    Base,
    Moderation,
    /// The dungeon category select.
    Category,
    /// The dungeon select (of one category).
    Dungeon,
    /// The per-dungeon value modal (detail: dungeon code).
    Override,
    Defaults,
    Refresh,
    Reset,
    Delete,
    DeleteConfirm,
}

impl ConfigAction {
    const ALL: [ConfigAction; 13] = [
        ConfigAction::Required,
        ConfigAction::Schedule,
        ConfigAction::Start,
        ConfigAction::Base,
        ConfigAction::Moderation,
        ConfigAction::Category,
        ConfigAction::Dungeon,
        ConfigAction::Override,
        ConfigAction::Defaults,
        ConfigAction::Refresh,
        ConfigAction::Reset,
        ConfigAction::Delete,
        ConfigAction::DeleteConfirm,
    ];

    fn as_str(self) -> &'static str {
        match self {
            ConfigAction::Required => "required",
            ConfigAction::Schedule => "schedule",
            ConfigAction::Start => "start",
            ConfigAction::Base => "base",
            ConfigAction::Moderation => "mod",
            ConfigAction::Category => "cat",
            ConfigAction::Dungeon => "dungeon",
            ConfigAction::Override => "over",
            ConfigAction::Defaults => "defaults",
            ConfigAction::Refresh => "refresh",
            ConfigAction::Reset => "reset",
            ConfigAction::Delete => "delete",
            ConfigAction::DeleteConfirm => "delete_yes",
        }
    }

    fn parse(text: &str) -> Option<ConfigAction> {
        ConfigAction::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// Leaderboard navigation buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    First,
    Prev,
    Next,
    Last,
}

impl Nav {
    pub const ALL: [Nav; 4] = [Nav::First, Nav::Prev, Nav::Next, Nav::Last];
    fn as_str(self) -> &'static str {
        match self {
            Nav::First => "first",
            Nav::Prev => "prev",
            Nav::Next => "next",
            Nav::Last => "last",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuotaComponent {
    /// `/configquota role` panel of `role_id`.
    Role {
        role_id: i64,
        action: ConfigAction,
        dungeon: Option<String>,
    },
    /// `/configpoints` panel of `guild_id`.
    Points {
        guild_id: i64,
        action: ConfigAction,
        dungeon: Option<String>,
    },
    /// A leaderboard page button.
    Leaderboard {
        nav: Nav,
        page: i64,
        metric: Metric,
        period: PeriodChoice,
    },
}

impl QuotaComponent {
    pub(super) fn parse(rest: &str) -> Option<QuotaComponent> {
        let (action, id, detail) = split(rest)?;
        if let Some(nav) = action.strip_prefix("lb_") {
            let nav = Nav::ALL.into_iter().find(|n| n.as_str() == nav)?;
            let (metric, period) = detail?.rsplit_once('_')?;
            return Some(QuotaComponent::Leaderboard {
                nav,
                page: id,
                metric: Metric::parse(metric).filter(|m| Metric::CATEGORIES.contains(m))?,
                period: PeriodChoice::parse(period)?,
            });
        }
        let dungeon = detail.map(str::to_owned);
        if let Some(a) = action.strip_prefix("r_") {
            return Some(QuotaComponent::Role {
                role_id: id,
                action: ConfigAction::parse(a)?,
                dungeon,
            });
        }
        if let Some(a) = action.strip_prefix("p_") {
            return Some(QuotaComponent::Points {
                guild_id: id,
                action: ConfigAction::parse(a)?,
                dungeon,
            });
        }
        None
    }
}

impl fmt::Display for QuotaComponent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuotaComponent::Role {
                role_id,
                action,
                dungeon,
            } => {
                write!(f, "r_{}:{role_id}", action.as_str())?;
                if let Some(d) = dungeon {
                    write!(f, ":{d}")?;
                }
                Ok(())
            }
            QuotaComponent::Points {
                guild_id,
                action,
                dungeon,
            } => {
                write!(f, "p_{}:{guild_id}", action.as_str())?;
                if let Some(d) = dungeon {
                    write!(f, ":{d}")?;
                }
                Ok(())
            }
            QuotaComponent::Leaderboard {
                nav,
                page,
                metric,
                period,
            } => write!(
                f,
                "lb_{}:{page}:{}_{}",
                nav.as_str(),
                metric.as_str(),
                period.as_str()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CUSTOM_ID_MAX, CustomId};
    use super::*;
    use crate::catalog::catalog;
    use proptest::prelude::*;

    fn component() -> impl Strategy<Value = QuotaComponent> {
        let dungeons: Vec<String> = catalog().dungeons.iter().map(|d| d.code.clone()).collect();
        prop_oneof![
            (
                1i64..=i64::MAX,
                0..ConfigAction::ALL.len(),
                proptest::option::of(proptest::sample::select(dungeons.clone()))
            )
                .prop_map(|(role_id, a, dungeon)| QuotaComponent::Role {
                    role_id,
                    action: ConfigAction::ALL[a],
                    dungeon,
                }),
            (
                1i64..=i64::MAX,
                0..ConfigAction::ALL.len(),
                proptest::option::of(proptest::sample::select(dungeons))
            )
                .prop_map(|(guild_id, a, dungeon)| QuotaComponent::Points {
                    guild_id,
                    action: ConfigAction::ALL[a],
                    dungeon,
                }),
            (
                0..Nav::ALL.len(),
                1i64..100_000,
                0..Metric::CATEGORIES.len(),
                0..PeriodChoice::ALL.len(),
            )
                .prop_map(|(n, page, m, p)| {
                    QuotaComponent::Leaderboard {
                        nav: Nav::ALL[n],
                        page,
                        metric: Metric::CATEGORIES[m],
                        period: PeriodChoice::ALL[p],
                    }
                }),
        ]
    }

    proptest! {
        #[test]
        fn round_trips_and_fits_discord(c in component()) {
            let id = CustomId::Quota(c);
            let text = id.to_string();
            prop_assert!(text.len() <= CUSTOM_ID_MAX, "{}", text);
            prop_assert_eq!(CustomId::parse(&text), Some(id));
        }
    }

    #[test]
    fn rejects_unknown_parts() {
        for bad in [
            "quota:lb_up:1:raider_points_current",
            "quota:lb_next:1:verifications_current",
            "quota:lb_next:1:raider_points_tomorrow",
            "quota:r_fly:5",
            "quota:x_required:5",
        ] {
            assert_eq!(CustomId::parse(bad), None, "{bad}");
        }
    }
}
