//! Headcount components: `hc:<action>:<row_id>[:detail]`.
//!
//! On the public panel and the organizer panel the row is the headcount
//! (`hc:interest:12:shatters`, `hc:key:12:shatters_key`, `hc:manage:12`,
//! `hc:convert:12:shatters`, `hc:end:12`); on the `/headcount` picker it is the picker's
//! draft row (`hc:category:5`, `hc:pick:5`, `hc:post:5`).

use std::fmt;

use super::split;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadcountButton {
    /// Toggle interest in one of the headcount's dungeons.
    Interest(String),
    /// Toggle holding a key (a reaction code).
    Key(String),
    /// Open the organizer panel (organizer or higher staff).
    Manage,
    /// Make a run of one of the headcount's dungeons.
    Convert(String),
    End,
    /// Picker: the category select (row = draft).
    Category,
    /// Picker: the dungeon multi-select of the shown category (row = draft).
    Pick,
    /// Picker: post the headcount (row = draft).
    Post,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadcountComponent {
    /// The headcount, or the picker draft for `Category`, `Pick` and `Post`.
    pub id: i64,
    pub button: HeadcountButton,
}

impl HeadcountComponent {
    pub fn new(id: i64, button: HeadcountButton) -> Self {
        HeadcountComponent { id, button }
    }

    pub(super) fn parse(rest: &str) -> Option<HeadcountComponent> {
        let (action, id, detail) = split(rest)?;
        let button = match (action, detail) {
            ("interest", Some(d)) => HeadcountButton::Interest(d.to_owned()),
            ("key", Some(d)) => HeadcountButton::Key(d.to_owned()),
            ("manage", None) => HeadcountButton::Manage,
            ("convert", Some(d)) => HeadcountButton::Convert(d.to_owned()),
            ("end", None) => HeadcountButton::End,
            ("category", None) => HeadcountButton::Category,
            ("pick", None) => HeadcountButton::Pick,
            ("post", None) => HeadcountButton::Post,
            _ => return None,
        };
        Some(HeadcountComponent { id, button })
    }

    fn action(&self) -> (&'static str, Option<&str>) {
        match &self.button {
            HeadcountButton::Interest(d) => ("interest", Some(d)),
            HeadcountButton::Key(d) => ("key", Some(d)),
            HeadcountButton::Manage => ("manage", None),
            HeadcountButton::Convert(d) => ("convert", Some(d)),
            HeadcountButton::End => ("end", None),
            HeadcountButton::Category => ("category", None),
            HeadcountButton::Pick => ("pick", None),
            HeadcountButton::Post => ("post", None),
        }
    }
}

impl fmt::Display for HeadcountComponent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (action, detail) = self.action();
        write!(f, "{action}:{}", self.id)?;
        if let Some(d) = detail {
            write!(f, ":{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CUSTOM_ID_MAX, CustomId};
    use super::*;
    use crate::catalog::catalog;
    use proptest::prelude::*;

    /// The variant after `b` in declaration order, made with `code`; `None` after the last.
    /// No wildcard arm: a new variant does not compile until it joins the chain, and then
    /// the property test draws it.
    fn after(b: &HeadcountButton, code: &str) -> Option<HeadcountButton> {
        use HeadcountButton as B;
        Some(match b {
            B::Interest(_) => B::Key(code.to_owned()),
            B::Key(_) => B::Manage,
            B::Manage => B::Convert(code.to_owned()),
            B::Convert(_) => B::End,
            B::End => B::Category,
            B::Category => B::Pick,
            B::Pick => B::Post,
            B::Post => return None,
        })
    }

    fn every_variant(code: &str) -> Vec<HeadcountButton> {
        let mut all = vec![HeadcountButton::Interest(code.to_owned())];
        while let Some(next) = all.last().and_then(|b| after(b, code)) {
            assert!(!all.contains(&next), "the chain comes back to {next:?}");
            all.push(next);
        }
        all
    }

    fn button() -> impl Strategy<Value = HeadcountButton> {
        let count = every_variant("x").len();
        (0..count, "[a-z0-9_]{1,40}").prop_map(|(i, code)| every_variant(&code).swap_remove(i))
    }

    proptest! {
        #[test]
        fn round_trips_and_fits_discord(id in 1i64..=i64::MAX, b in button()) {
            let c = CustomId::Headcount(HeadcountComponent::new(id, b));
            let text = c.to_string();
            prop_assert!(text.len() <= CUSTOM_ID_MAX);
            prop_assert_eq!(CustomId::parse(&text), Some(c));
        }
    }

    #[test]
    fn every_catalog_code_makes_a_valid_id() {
        let c = catalog();
        for d in &c.dungeons {
            let mut buttons = vec![
                HeadcountButton::Interest(d.code.clone()),
                HeadcountButton::Convert(d.code.clone()),
            ];
            buttons.extend(
                d.keys
                    .iter()
                    .map(|k| HeadcountButton::Key(k.reaction.clone())),
            );
            for b in buttons {
                let id = CustomId::Headcount(HeadcountComponent::new(i64::MAX, b));
                assert_eq!(CustomId::parse(&id.to_string()), Some(id.clone()));
            }
        }
        assert_eq!(
            CustomId::Headcount(HeadcountComponent::new(
                12,
                HeadcountButton::Interest("shatters".into())
            ))
            .to_string(),
            "hc:interest:12:shatters"
        );
        for bad in [
            "hc:interest:1",
            "hc:manage:1:x",
            "hc:key:1:Bad",
            "hc:post:0",
        ] {
            assert_eq!(CustomId::parse(bad), None, "{bad}");
        }
    }
}
