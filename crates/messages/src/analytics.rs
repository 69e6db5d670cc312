//! Raid statistics (`/raidstats`, the analytics API).

use domain::analytics::MAX_WEEKS;
use service::analytics::AnalyticsError;

use crate::Style;

/// Why a statistics request was refused.
pub fn refusal(e: &AnalyticsError, s: Style) -> String {
    match e {
        AnalyticsError::EndBeforeStart => "The end of the period must come after its start.".into(),
        AnalyticsError::SpanTooLong => {
            format!("A report covers at most {MAX_WEEKS} weeks; choose a shorter period.")
        }
        AnalyticsError::UnknownDungeon { code } => crate::unknown_dungeon(s, code),
        AnalyticsError::UnknownPeriod => "Pick a period from the list.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_dungeon_is_quoted_as_typed() {
        let e = AnalyticsError::UnknownDungeon { code: "xyz".into() };
        assert_eq!(
            refusal(&e, Style::Discord),
            "`xyz` is not a dungeon raidbot knows; pick one from the list."
        );
        assert_eq!(
            refusal(&e, Style::Plain),
            "xyz is not a dungeon raidbot knows; pick one from the list."
        );
    }
}
