//! RealmEye player profiles: a pure HTML parser ([`parse_player_page`]) and a polite
//! client ([`Client`]): configurable base URL, 10 s timeout, a descriptive User-Agent, at
//! most one request per second per process, and retries (with backoff) only when RealmEye
//! says it is overloaded (5xx, 429).

mod parse;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub use parse::{Page, Profile, age_days, leading_number, parse_player_page};

/// What a profile lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found {
        name: String,
        description_lines: Vec<String>,
        profile: Profile,
    },
    NotFound,
    Private,
    /// RealmEye could not be asked (timeout, 5xx, 429, network): try again later.
    Unavailable(String),
    Unparseable,
}

impl From<Page> for Lookup {
    fn from(p: Page) -> Self {
        match p {
            Page::Found {
                name,
                description_lines,
                profile,
            } => Lookup::Found {
                name,
                description_lines,
                profile,
            },
            Page::NotFound => Lookup::NotFound,
            Page::Private => Lookup::Private,
            Page::Unparseable => Lookup::Unparseable,
        }
    }
}

/// How the client behaves; `Default` is what production uses.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `https://www.realmeye.com` (no trailing slash needed).
    pub base_url: String,
    pub timeout: Duration,
    /// The least time between two requests of this process.
    pub min_interval: Duration,
    /// Extra attempts after a 5xx or 429.
    pub retries: u32,
    /// The first backoff; doubled each retry (a 429's Retry-After wins when longer).
    pub backoff: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            base_url: "https://www.realmeye.com".to_owned(),
            timeout: Duration::from_secs(10),
            min_interval: Duration::from_secs(1),
            retries: 2,
            backoff: Duration::from_millis(500),
        }
    }
}

impl ClientConfig {
    pub fn with_base_url(base_url: impl Into<String>) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            ..Default::default()
        }
    }
}

pub const USER_AGENT: &str = concat!(
    "raidbot/",
    env!("CARGO_PKG_VERSION"),
    " (Discord raid bot; verification lookups, at most 1 request/s)"
);

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot build the RealmEye HTTP client: {0}")]
    Build(String),
}

/// The last request time of this process: every client shares it.
fn last_request() -> &'static tokio::sync::Mutex<Option<Instant>> {
    static LAST: OnceLock<tokio::sync::Mutex<Option<Instant>>> = OnceLock::new();
    LAST.get_or_init(|| tokio::sync::Mutex::new(None))
}

#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    config: ClientConfig,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client, ClientError> {
        // reqwest uses rustls without a provider of its own: ring, as the bot does.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| ClientError::Build(e.to_string()))?;
        Ok(Client { http, config })
    }

    pub fn base_url(&self) -> &str {
        &self.config.base_url
    }

    /// The public profile URL of `ign` (for messages to members).
    pub fn player_url(&self, ign: &str) -> String {
        format!(
            "{}/player/{ign}",
            self.config.base_url.trim_end_matches('/')
        )
    }

    async fn wait_turn(&self) {
        let mut last = last_request().lock().await;
        if let Some(t) = *last {
            let since = t.elapsed();
            if since < self.config.min_interval {
                tokio::time::sleep(self.config.min_interval - since).await;
            }
        }
        *last = Some(Instant::now());
    }

    /// Looks the player up. Never fails: problems are `Unavailable`.
    pub async fn player(&self, ign: &str) -> Lookup {
        if ign.is_empty() || !ign.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Lookup::NotFound;
        }
        let url = self.player_url(ign);
        let mut backoff = self.config.backoff;
        let mut attempt = 0;
        loop {
            self.wait_turn().await;
            let outcome = self.http.get(&url).send().await;
            let response = match outcome {
                Ok(r) => r,
                Err(e) if e.is_timeout() => {
                    return Lookup::Unavailable("RealmEye did not answer in time".to_owned());
                }
                Err(e) => {
                    tracing::warn!(error = %e, "RealmEye request failed");
                    return Lookup::Unavailable("RealmEye cannot be reached".to_owned());
                }
            };
            let status = response.status();
            if status.is_server_error() || status.as_u16() == 429 {
                if attempt >= self.config.retries {
                    return Lookup::Unavailable(format!("RealmEye answered {}", status.as_u16()));
                }
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs)
                    .unwrap_or_default()
                    .min(Duration::from_secs(10));
                tokio::time::sleep(backoff.max(retry_after)).await;
                backoff = backoff.saturating_mul(2);
                attempt += 1;
                continue;
            }
            let body = match response.text().await {
                Ok(b) => b,
                Err(e) if e.is_timeout() => {
                    return Lookup::Unavailable("RealmEye did not answer in time".to_owned());
                }
                Err(_) => return Lookup::Unavailable("RealmEye's answer was cut off".to_owned()),
            };
            let page = parse_player_page(&body);
            return match (status.as_u16(), page) {
                (200, page) => page.into(),
                (404, Page::Private) => Lookup::Private,
                (404, _) => Lookup::NotFound,
                (code, _) => Lookup::Unavailable(format!("RealmEye answered {code}")),
            };
        }
    }
}
