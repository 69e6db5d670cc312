//! The one pager every paged Discord view uses: the row of page buttons (which are greyed
//! out, which page each leads to) and the "Page X of Y" line. Each view picks its labels
//! and its custom ids; the pager does the counting.

use twilight_model::channel::message::Component;
use twilight_model::channel::message::component::ButtonStyle;

use super::components::{button_with_state, row};

/// One of a pager's buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    First,
    Prev,
    Next,
    Last,
}

/// What a pager's buttons and its position line say.
#[derive(Debug, Clone, Copy)]
pub struct Labels {
    /// The First and Last buttons' labels; None: only Previous and Next.
    pub ends: Option<(&'static str, &'static str)>,
    pub prev: &'static str,
    pub next: &'static str,
    /// Between the page and the page count: " of " gives "Page 2 of 5", "/" "Page 2/5".
    pub of: &'static str,
}

/// Where a list stands: the page shown (0-based) and how many pages there are (at least
/// one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    index: u32,
    count: u32,
}

impl Page {
    pub fn new(index: u32, count: u32) -> Page {
        Page {
            index,
            count: count.max(1),
        }
    }

    /// How many pages of `size` items `total` items take (at least one).
    pub fn count_for(total: i64, size: i64) -> u32 {
        let size = size.max(1);
        u32::try_from(((total.max(0) + size - 1) / size).max(1)).unwrap_or(u32::MAX)
    }

    pub fn index(self) -> u32 {
        self.index
    }

    pub fn count(self) -> u32 {
        self.count
    }

    /// The 0-based page a button leads to (always one that exists).
    pub fn target(self, step: Step) -> u32 {
        let last = self.count - 1;
        match step {
            Step::First => 0,
            Step::Prev => self.index.saturating_sub(1).min(last),
            Step::Next => (self.index + 1).min(last),
            Step::Last => last,
        }
    }

    /// A button that would not move is greyed out.
    fn disabled(self, step: Step) -> bool {
        match step {
            Step::First | Step::Prev => self.index == 0,
            Step::Next | Step::Last => self.index + 1 >= self.count,
        }
    }

    /// "Page 2 of 5" (1-based, with the labels' `of`).
    pub fn position(self, labels: &Labels) -> String {
        format!("Page {}{}{}", self.index + 1, labels.of, self.count)
    }
}

/// The row of page buttons; `id` gives a button's custom id from its step and the 0-based
/// page it leads to.
pub fn buttons(page: Page, labels: &Labels, id: impl Fn(Step, u32) -> String) -> Component {
    let mut steps = vec![(Step::Prev, labels.prev), (Step::Next, labels.next)];
    if let Some((first, last)) = labels.ends {
        steps.insert(0, (Step::First, first));
        steps.push((Step::Last, last));
    }
    row(steps
        .into_iter()
        .map(|(step, label)| {
            button_with_state(
                id(step, page.target(step)),
                label,
                ButtonStyle::Secondary,
                page.disabled(step),
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LABELS: Labels = Labels {
        ends: Some(("«", "»")),
        prev: "‹",
        next: "›",
        of: " of ",
    };

    fn shown(c: &Component) -> Vec<(String, String, bool)> {
        let Component::ActionRow(r) = c else {
            panic!("not a row")
        };
        r.components
            .iter()
            .map(|b| match b {
                Component::Button(b) => (
                    b.label.clone().unwrap_or_default(),
                    b.custom_id.clone().unwrap_or_default(),
                    b.disabled,
                ),
                _ => panic!("not a button"),
            })
            .collect()
    }

    #[test]
    fn the_first_page_greys_out_going_back() {
        let row = buttons(Page::new(0, 3), &LABELS, |s, p| format!("{s:?}:{p}"));
        assert_eq!(
            shown(&row),
            vec![
                ("«".into(), "First:0".into(), true),
                ("‹".into(), "Prev:0".into(), true),
                ("›".into(), "Next:1".into(), false),
                ("»".into(), "Last:2".into(), false),
            ]
        );
    }

    #[test]
    fn the_last_page_greys_out_going_on_and_has_no_ends_without_labels() {
        let labels = Labels {
            ends: None,
            ..LABELS
        };
        let row = buttons(Page::new(2, 3), &labels, |s, p| format!("{s:?}:{p}"));
        assert_eq!(
            shown(&row),
            vec![
                ("‹".into(), "Prev:1".into(), false),
                ("›".into(), "Next:2".into(), true),
            ]
        );
    }

    #[test]
    fn counts_and_positions() {
        assert_eq!(Page::count_for(0, 10), 1);
        assert_eq!(Page::count_for(10, 10), 1);
        assert_eq!(Page::count_for(11, 10), 2);
        assert_eq!(Page::new(1, 0).count(), 1);
        assert_eq!(Page::new(1, 5).position(&LABELS), "Page 2 of 5");
        assert_eq!(
            Page::new(1, 5).position(&Labels { of: "/", ..LABELS }),
            "Page 2/5"
        );
    }
}
