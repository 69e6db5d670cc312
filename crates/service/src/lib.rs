//! Use cases: one function per user action, each one transaction over `store`, applying
//! the rules in `domain`, and queueing the Discord side effects it needs as jobs in that
//! same transaction. The bot and the REST API both call these; neither holds rules.

pub mod actor;
pub mod analytics;
pub mod api_keys;
pub mod audit;
pub mod batching;
mod closing;
pub mod command_log;
pub mod config;
pub mod dashboard;
pub mod discord_limits;
pub mod error;
pub mod escalation;
pub mod gateway;
pub mod headcounts;
pub mod health;
pub mod jobs;
pub mod moderation;
pub mod modmail;
pub mod party;
pub mod promotions;
pub mod quota;
pub mod read_pool;
pub mod role_pings;
pub mod runs;
pub mod schedule;
pub mod staff;
pub mod tasks;
pub mod verification;
pub mod web_sessions;

pub use actor::Actor;
pub use error::ServiceError;
pub use read_pool::ReadPool;
/// The database handle every use case takes: the adapters hold one and pass it on, without
/// depending on the store or its driver.
pub use store::PgPool;

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;
