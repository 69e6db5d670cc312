//! The web dashboard's reads and settings (run history, member search, the public
//! leaderboard), also reached through the REST API.

use service::dashboard::DashboardError;

use crate::Style;

/// Why a dashboard read or setting was refused.
pub fn refusal(e: &DashboardError, s: Style) -> String {
    match e {
        DashboardError::NoCategories => {
            "Choose at least one category to publish, or leave the public page off.".into()
        }
        DashboardError::NotACategory { metric } => {
            format!("{} is not a leaderboard category.", metric.label())
        }
        DashboardError::BadSearch => "Search by in-game name: 1 to 10 letters.".into(),
        DashboardError::UnknownDungeon { code } => format!("There is no dungeon {}.", s.code(code)),
        DashboardError::DatesReversed => "The first date must come before the last one.".into(),
        DashboardError::NotPublished => "This server does not publish that leaderboard.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_dungeon_reads_as_typed_in_both_styles() {
        let e = DashboardError::UnknownDungeon {
            code: "atlantis".into(),
        };
        assert_eq!(
            refusal(&e, Style::Discord),
            "There is no dungeon `atlantis`."
        );
        assert_eq!(refusal(&e, Style::Plain), "There is no dungeon atlantis.");
    }
}
