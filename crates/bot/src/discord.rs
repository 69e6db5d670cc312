//! Building the Discord clients and classifying Discord's errors.

use std::time::Duration;

use twilight_http::Client;
use twilight_http::api_error::ApiError;
use twilight_http::error::ErrorType;

use crate::{BotConfig, BotError};

/// twilight needs a rustls crypto provider even for plain HTTP; ring, installed once.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn http_client(config: &BotConfig) -> Client {
    let mut builder = Client::builder()
        .token(config.token.clone())
        .timeout(Duration::from_secs(10));
    if let Some(proxy) = &config.api_proxy {
        builder = builder.proxy(proxy.clone(), true);
    }
    builder.build()
}

pub fn startup_error(e: twilight_http::Error) -> BotError {
    match e.kind() {
        ErrorType::Unauthorized => BotError::Unauthorized,
        _ => BotError::Discord(e.to_string()),
    }
}

/// What a failed Discord call means for the job that made it.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The target is gone or the bot may not touch it: retrying cannot help.
    Permanent { code: u64, reason: String },
    /// Rate limited: try again after this long.
    RateLimited(Duration),
    /// A network problem or a 5xx: try again with backoff.
    Transient(String),
}

impl Failure {
    pub fn reason(&self) -> String {
        match self {
            Failure::Permanent { reason, .. } | Failure::Transient(reason) => reason.clone(),
            Failure::RateLimited(d) => format!("rate limited for {:.1}s", d.as_secs_f64()),
        }
    }
}

/// A readable reason for the Discord error codes a job can meet.
fn code_reason(code: u64) -> Option<&'static str> {
    Some(match code {
        10003 => "the channel no longer exists",
        10007 => "the member is no longer in the server",
        10008 => "the message was deleted",
        10011 => "the role no longer exists",
        50001 => "the bot cannot see that channel",
        50007 => "the member does not accept direct messages",
        50013 => "the bot lacks the permission (or its role is too low)",
        50035 => "Discord refused the content as invalid",
        _ => return None,
    })
}

pub fn classify(e: &twilight_http::Error) -> Failure {
    match e.kind() {
        ErrorType::Response { error, status, .. } => {
            let status = status.get();
            match error {
                ApiError::Ratelimited(r) => {
                    Failure::RateLimited(Duration::from_secs_f64(r.retry_after.max(0.0)))
                }
                ApiError::General(g) => {
                    if let Some(reason) = code_reason(g.code) {
                        Failure::Permanent {
                            code: g.code,
                            reason: reason.to_owned(),
                        }
                    } else if status >= 500 {
                        Failure::Transient(format!("Discord answered {status}"))
                    } else if status == 404 || status == 403 || status == 400 {
                        Failure::Permanent {
                            code: g.code,
                            reason: g.message.clone(),
                        }
                    } else {
                        Failure::Transient(format!("Discord answered {status}: {}", g.message))
                    }
                }
                ApiError::Message(m) => Failure::Permanent {
                    code: 50035,
                    reason: format!("{m}"),
                },
                other => Failure::Transient(format!("Discord answered {status}: {other}")),
            }
        }
        ErrorType::Validation | ErrorType::BuildingRequest | ErrorType::Json => {
            Failure::Permanent {
                code: 0,
                reason: format!("the request was invalid: {e}"),
            }
        }
        _ => Failure::Transient(e.to_string()),
    }
}
