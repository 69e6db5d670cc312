//! End to end: the simulated Discord, the real bot and a fresh PostgreSQL database per
//! test. Each scenario reads like what users do and asserts what Discord would show.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod budget;
mod chaos;
mod chaos_flows;
mod failures;
mod harness;
mod headcount;
mod moderation;
mod moderation_api;
mod modmail;
mod modmail_plus;
mod outages;
mod party;
mod process;
mod promotion_roles;
mod promotions;
mod punishments_plus;
mod quota;
mod raid_tools;
mod role_pings;
mod runs;
mod sandbox;
mod scheduled;
mod setup;
mod verification;
