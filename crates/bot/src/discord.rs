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

tokio::task_local! {
    /// The job being done, so that the messages it posts carry nonces that stay the same
    /// when the job runs again.
    static JOB_POSTS: JobPosts;
}

struct JobPosts {
    job_id: i64,
    /// What the job is working on now, when it works through a list (see [`job_item`]).
    item: std::sync::Mutex<Option<String>>,
    /// How many times this attempt posted each (item, channel, body).
    seen: std::sync::Mutex<std::collections::HashMap<u64, u32>>,
}

/// Runs one attempt of job `job_id`, so that [`create_message_once`] can tell its posts
/// apart from a retry's.
pub(crate) async fn in_job<F: std::future::Future>(job_id: i64, attempt: F) -> F::Output {
    let posts = JobPosts {
        job_id,
        item: std::sync::Mutex::new(None),
        seen: std::sync::Mutex::new(std::collections::HashMap::new()),
    };
    JOB_POSTS.scope(posts, attempt).await
}

/// Names the item of a list a job is working on (e.g. the modmail message it relays): two
/// items with the same text are two posts, even when a retry skips the ones already done,
/// and one item is one post whichever job posts it (the key must be unique, like a row id).
pub(crate) fn job_item(key: impl std::fmt::Display) {
    let _ = JOB_POSTS.try_with(|j| {
        *j.item.lock().unwrap_or_else(|e| e.into_inner()) = Some(key.to_string());
    });
}

fn hash_of(parts: &[&[u8]]) -> u64 {
    use std::hash::{Hash, Hasher};
    // SipHash with fixed keys: the same parts give the same value in every process.
    let mut h = std::hash::DefaultHasher::new();
    for p in parts {
        p.hash(&mut h);
    }
    h.finish()
}

/// Message writes (creates and edits) allowed per channel per [`CHANNEL_WRITE_WINDOW`]:
/// Discord limits them to about 5 per 5 seconds in one channel, in a bucket that message
/// creates and edits share. twilight learns that bucket per message from the answers, so
/// the first edit of a new message could still go over it; this pacer keeps every write of
/// this process within it.
pub const CHANNEL_WRITES: usize = 5;
pub const CHANNEL_WRITE_WINDOW: std::time::Duration = std::time::Duration::from_millis(5_200);

type ChannelId = twilight_model::id::Id<twilight_model::id::marker::ChannelMarker>;

/// When each channel's latest writes were sent (at most [`CHANNEL_WRITES`] per channel).
static CHANNEL_WRITES_SENT: std::sync::LazyLock<
    std::sync::Mutex<
        std::collections::HashMap<ChannelId, std::collections::VecDeque<std::time::Instant>>,
    >,
> = std::sync::LazyLock::new(Default::default);

/// Waits until one more message write in `channel` stays within the channel's limit, and
/// counts it: call right before creating or editing a message.
pub(crate) async fn pace_channel_write(channel: ChannelId) {
    loop {
        let wait = {
            let mut all = CHANNEL_WRITES_SENT
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let now = std::time::Instant::now();
            all.retain(|_, sent| {
                sent.back()
                    .is_some_and(|t| now.duration_since(*t) < CHANNEL_WRITE_WINDOW)
            });
            let sent = all.entry(channel).or_default();
            while sent
                .front()
                .is_some_and(|t| now.duration_since(*t) >= CHANNEL_WRITE_WINDOW)
            {
                sent.pop_front();
            }
            if sent.len() < CHANNEL_WRITES {
                sent.push_back(now);
                return;
            }
            sent.front()
                .map(|t| CHANNEL_WRITE_WINDOW.saturating_sub(now.duration_since(*t)))
                .unwrap_or_default()
        };
        tokio::time::sleep(wait).await;
    }
}

/// Sends a message create built with twilight's builder. Inside a job it carries a nonce
/// with `enforce_nonce`: when a job runs again after Discord accepted its message but before
/// the job was marked done (the process was killed, the answer was lost), Discord answers
/// with the message it already has instead of posting it twice. The nonce is made of the
/// job, its current item, the channel, the body and how many times this attempt posted
/// that same body, so a retry finds the first attempt's posts and distinct posts stay
/// distinct. twilight has no `enforce_nonce`, so the JSON body is completed here; a
/// message with files goes as it is.
pub(crate) async fn create_message_once(
    http: &Client,
    channel: twilight_model::id::Id<twilight_model::id::marker::ChannelMarker>,
    message: twilight_http::request::channel::message::CreateMessage<'_>,
) -> Result<twilight_http::Response<twilight_model::channel::Message>, twilight_http::Error> {
    use twilight_http::request::TryIntoRequest;
    pace_channel_write(channel).await;
    if JOB_POSTS.try_with(|_| ()).is_err() {
        return message.await;
    }
    let request = message.try_into_request()?;
    let body = request
        .body()
        .filter(|_| request.form().is_none())
        .filter(|b| b.first() == Some(&b'{'));
    let nonce = body.and_then(|body| {
        JOB_POSTS
            .try_with(|j| {
                let item = j.item.lock().unwrap_or_else(|e| e.into_inner()).clone();
                // A named item (a row's id) is the same post whichever job delivers it: a
                // later job retrying what a killed one posted gets the same nonce.
                let owner = match &item {
                    Some(_) => 0i64,
                    None => j.job_id,
                };
                let base = hash_of(&[
                    &owner.to_le_bytes(),
                    item.as_deref().unwrap_or("").as_bytes(),
                    &channel.get().to_le_bytes(),
                    body,
                ]);
                let mut seen = j.seen.lock().unwrap_or_else(|e| e.into_inner());
                let n = seen.entry(base).or_insert(0);
                let nonce = hash_of(&[&base.to_le_bytes(), &n.to_le_bytes()]);
                *n += 1;
                format!("{nonce:016x}")
            })
            .ok()
    });
    let fields = body.and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok());
    let (Some(nonce), Some(mut fields)) = (nonce, fields) else {
        return http.request(request).await;
    };
    fields["nonce"] = serde_json::Value::String(nonce);
    fields["enforce_nonce"] = serde_json::Value::Bool(true);
    let request =
        twilight_http::request::Request::builder(&twilight_http::routing::Route::CreateMessage {
            channel_id: channel.get(),
        })
        .json(&fields)
        .build()?;
    http.request(request).await
}
