//! The driver API: set up guilds, act as users, observe, inject faults (one module each).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::DiscordSim;
use crate::ids::*;
use crate::model::*;

/// Errors of driver actions.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    #[error("the application did not respond within the interaction deadline")]
    TimedOut,
    #[error("the simulated client refused the action: {0}")]
    Rejected(String),
    #[error("the bot answered with an unexpected response type {0}")]
    UnexpectedResponse(u64),
}

mod faults;
mod gateway;
mod interactions;
mod messages;
mod observe;
mod options;
mod results;
mod setup;

pub use options::*;
pub use results::*;
