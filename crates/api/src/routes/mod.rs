//! The handlers, one module per resource. Each one authenticates, parses, calls one
//! `service` function and renders its answer.

pub mod analytics;
pub mod api_keys;
pub mod audit;
pub mod config;
pub mod headcounts;
pub mod health;
pub mod metrics;
pub mod moderation;
pub mod modmail;
pub mod parties;
pub mod points;
pub mod quota;
pub mod runs;
pub mod verification;
