//! Component custom ids: `kind:action:row_id[:detail]`. They name rows, never state, so
//! panels keep working after a restart. Each feature's ids live in their own module; this
//! one only dispatches on the kind.

mod headcount;
mod moderation;
mod modmail;
mod party;
mod quota;
mod role_ping;
mod run;
mod schedule;
mod verification;

use std::fmt;

pub use headcount::{HeadcountButton, HeadcountComponent};
pub use moderation::{FIND_PAGE_MAX, FindComponent, FindTab};
pub use modmail::{ModmailAction, ModmailComponent};
pub use party::{PartyButton, PartyComponent};
pub use quota::{ConfigAction, Nav, QuotaComponent};
pub use role_ping::RolePingComponent;
pub use run::{RunButton, RunComponent};
pub use schedule::{ScheduleButton, ScheduleComponent};
pub use verification::{VeriAction, VeriComponent};

/// Discord's limit on a custom id's length.
pub const CUSTOM_ID_MAX: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomId {
    Run(RunComponent),
    Headcount(HeadcountComponent),
    Party(PartyComponent),
    RolePing(RolePingComponent),
    Find(FindComponent),
    Quota(QuotaComponent),
    Verification(VeriComponent),
    Modmail(ModmailComponent),
    Schedule(ScheduleComponent),
}

impl CustomId {
    pub fn parse(text: &str) -> Option<CustomId> {
        if text.len() > CUSTOM_ID_MAX {
            return None;
        }
        let (kind, rest) = text.split_once(':')?;
        match kind {
            "run" => RunComponent::parse(rest).map(CustomId::Run),
            "hc" => HeadcountComponent::parse(rest).map(CustomId::Headcount),
            "party" => PartyComponent::parse(rest).map(CustomId::Party),
            "rping" => RolePingComponent::parse(rest).map(CustomId::RolePing),
            "find" => FindComponent::parse(rest).map(CustomId::Find),
            "quota" => QuotaComponent::parse(rest).map(CustomId::Quota),
            "veri" => VeriComponent::parse(rest).map(CustomId::Verification),
            "mm" => ModmailComponent::parse(rest).map(CustomId::Modmail),
            "sched" => ScheduleComponent::parse(rest).map(CustomId::Schedule),
            _ => None,
        }
    }
}

impl fmt::Display for CustomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CustomId::Run(c) => write!(f, "run:{c}"),
            CustomId::Headcount(c) => write!(f, "hc:{c}"),
            CustomId::Party(c) => write!(f, "party:{c}"),
            CustomId::RolePing(c) => write!(f, "rping:{c}"),
            CustomId::Find(c) => write!(f, "find:{c}"),
            CustomId::Quota(c) => write!(f, "quota:{c}"),
            CustomId::Verification(c) => write!(f, "veri:{c}"),
            CustomId::Modmail(c) => write!(f, "mm:{c}"),
            CustomId::Schedule(c) => write!(f, "sched:{c}"),
        }
    }
}

/// `action:id[:detail]` split into its parts; the id must be a positive row id and the
/// detail, when present, a non-empty `[a-z0-9_]` code.
pub(crate) fn split(rest: &str) -> Option<(&str, i64, Option<&str>)> {
    let mut parts = rest.split(':');
    let action = parts.next()?;
    let id: i64 = parts.next()?.parse().ok()?;
    let detail = parts.next();
    if parts.next().is_some() || id <= 0 {
        return None;
    }
    if let Some(d) = detail
        && (d.is_empty()
            || !d
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'))
    {
        return None;
    }
    Some((action, id, detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "run",
            "run:join",
            "run:join:x",
            "run:join:0",
            "run:fly:1",
            "run:join:1:2:3",
            "run:key:1:",
            "run:key:1:Bad-Code",
            "nope:join:1",
        ] {
            assert_eq!(CustomId::parse(bad), None, "{bad}");
        }
        let long = format!("run:key:1:{}", "a".repeat(100));
        assert_eq!(CustomId::parse(&long), None);
    }
}
