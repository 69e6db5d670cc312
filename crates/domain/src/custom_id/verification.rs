//! Verification components: `veri:<action>:<row_id>`.
//!
//! - `veri:start:<guild_id>` Get verified (panel); `veri:role:<custom_role_id>` (custom
//!   role panel)
//! - `veri:done:<session_id>`, `veri:cancel:<session_id>`, `veri:shot:<session_id>` (DM)
//! - `veri:approve:<review_id>`, `veri:deny:<review_id>` (review card; both open a form)
//! - `veri:approveform:<review_id>`, `veri:denyform:<review_id>` (the forms)

use std::fmt;

use super::split;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VeriAction {
    Start,
    CustomRole,
    Done,
    Cancel,
    Screenshot,
    Approve,
    Deny,
    ApproveForm,
    DenyForm,
}

impl VeriAction {
    const ALL: [(VeriAction, &'static str); 9] = [
        (VeriAction::Start, "start"),
        (VeriAction::CustomRole, "role"),
        (VeriAction::Done, "done"),
        (VeriAction::Cancel, "cancel"),
        (VeriAction::Screenshot, "shot"),
        (VeriAction::Approve, "approve"),
        (VeriAction::Deny, "deny"),
        (VeriAction::ApproveForm, "approveform"),
        (VeriAction::DenyForm, "denyform"),
    ];

    fn as_str(self) -> &'static str {
        VeriAction::ALL
            .iter()
            .find(|(a, _)| *a == self)
            .map_or("start", |(_, s)| s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VeriComponent {
    pub action: VeriAction,
    pub id: i64,
}

impl VeriComponent {
    pub fn new(action: VeriAction, id: i64) -> Self {
        VeriComponent { action, id }
    }

    pub(super) fn parse(rest: &str) -> Option<VeriComponent> {
        let (action, id, detail) = split(rest)?;
        if detail.is_some() {
            return None;
        }
        let action = VeriAction::ALL.iter().find(|(_, s)| *s == action)?.0;
        Some(VeriComponent { action, id })
    }
}

impl fmt::Display for VeriComponent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.action.as_str(), self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CUSTOM_ID_MAX, CustomId};
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trips_and_fits_discord(id in 1i64..=i64::MAX, i in 0usize..9) {
            let c = CustomId::Verification(VeriComponent::new(VeriAction::ALL[i].0, id));
            let text = c.to_string();
            prop_assert!(text.len() <= CUSTOM_ID_MAX);
            prop_assert_eq!(CustomId::parse(&text), Some(c));
        }
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["veri:start", "veri:fly:1", "veri:done:0", "veri:done:1:x"] {
            assert_eq!(CustomId::parse(bad), None, "{bad}");
        }
    }
}
