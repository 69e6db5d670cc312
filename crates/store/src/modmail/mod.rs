//! Modmail, one module per aggregate: tickets with their transcript, the blacklist, and
//! members' DM sessions.

pub mod blacklist;
pub mod sessions;
pub mod snippets;
pub mod stats;
pub mod tickets;
