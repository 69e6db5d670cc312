//! `/find` panel tabs and pages: `find:<tab>:<user_id>:<page>`. They name the member
//! looked up and the page, never the rows shown, so an old panel shows current data.

use std::fmt;

use super::split;

/// Tabs of the `/find` panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindTab {
    Info,
    Punishments,
    Notes,
}

impl FindTab {
    pub fn as_str(self) -> &'static str {
        match self {
            FindTab::Info => "info",
            FindTab::Punishments => "pun",
            FindTab::Notes => "notes",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindComponent {
    pub tab: FindTab,
    pub user_id: i64,
    /// 0-based page of the tab's list.
    pub page: u32,
}

/// Pages past this are not offered (25 rows a page is far beyond any history).
pub const FIND_PAGE_MAX: u32 = 9999;

impl FindComponent {
    pub(super) fn parse(rest: &str) -> Option<FindComponent> {
        let (action, user_id, detail) = split(rest)?;
        let tab = match action {
            "info" => FindTab::Info,
            "pun" => FindTab::Punishments,
            "notes" => FindTab::Notes,
            _ => return None,
        };
        let page = match detail {
            None => 0,
            Some(d) if d.len() <= 4 && d.bytes().all(|b| b.is_ascii_digit()) => d.parse().ok()?,
            Some(_) => return None,
        };
        Some(FindComponent { tab, user_id, page })
    }
}

impl fmt::Display for FindComponent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.tab.as_str(), self.user_id, self.page)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CUSTOM_ID_MAX, CustomId};
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trips_and_fits_discord(id in 1i64..=i64::MAX, tab in 0u8..3, page in 0u32..=FIND_PAGE_MAX) {
            let tab = [FindTab::Info, FindTab::Punishments, FindTab::Notes][tab as usize];
            let c = CustomId::Find(FindComponent { tab, user_id: id, page });
            let text = c.to_string();
            prop_assert!(text.len() <= CUSTOM_ID_MAX);
            prop_assert_eq!(CustomId::parse(&text), Some(c));
        }
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "find",
            "find:pun",
            "find:pun:0:1",
            "find:x:1:1",
            "find:pun:1:12345",
            "find:pun:1:a",
        ] {
            assert_eq!(CustomId::parse(bad), None, "{bad}");
        }
    }
}
