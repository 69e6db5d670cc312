//! Verification, one module per aggregate: the guild's settings, members' IGNs, the DM
//! sessions, screenshot reviews, custom roles and the event rows behind veri_log.

pub mod config;
pub mod custom_roles;
pub mod events;
pub mod names;
pub mod reviews;
pub mod sessions;
