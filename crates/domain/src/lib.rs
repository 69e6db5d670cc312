//! raidbot's rules as plain Rust: identifiers, role and channel keys, the dungeon catalog,
//! the run state machine, custom ids and the limits of user input.
//!
//! This crate does no I/O and has no async code, so every rule here can be unit- and
//! property-tested in isolation. The store maps rows to these types; the service layer
//! applies them; the Discord and REST adapters only translate.

pub mod analytics;
pub mod catalog;
pub mod channels;
pub mod command;
pub mod custom_id;
pub mod headcount;
pub mod limits;
pub mod moderation;
pub mod o3;
pub mod party;
pub mod quota;
pub mod roles;
pub mod run;
pub mod schedule;
pub mod snowflake;
pub mod verification;

pub use catalog::{Dungeon, PanelReaction, RaidClass, ReactionKind};
pub use channels::{ChannelKey, ChannelKind};
pub use custom_id::{
    CustomId, FindComponent, FindTab, HeadcountButton, HeadcountComponent, ModmailAction,
    ModmailComponent, PartyButton, PartyComponent, RolePingComponent, RunButton, RunComponent,
    ScheduleButton, ScheduleComponent, VeriAction, VeriComponent,
};
pub use roles::{Level, RoleKey};
pub use run::{RunAction, RunStatus};
pub use snowflake::Snowflake;
pub use verification::Ign;
