//! The dashboard's calls to Discord: OAuth2 (token exchange and revocation), who the
//! person is and which servers they are in (their bearer token), and a member's current
//! roles (the bot's token). Discord or the simulator, by [`crate::WebConfig::api_base`].

use std::time::Duration;

use domain::Snowflake;
use serde::Deserialize;

use crate::WebConfig;

/// Discord's "Administrator" permission bit.
const ADMINISTRATOR: u64 = 1 << 3;

#[derive(Clone)]
pub struct Discord {
    http: reqwest::Client,
    /// Requests sent to Discord so far (tests and the benchmark read it).
    calls: std::sync::Arc<std::sync::atomic::AtomicU64>,
    api_base: String,
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    bot_token: String,
}

/// Why a Discord call failed.
#[derive(Debug, thiserror::Error)]
pub enum DiscordError {
    /// The person's token is no longer accepted (revoked or expired at Discord).
    #[error("Discord no longer accepts this login")]
    Unauthorized,
    /// Discord refused the request (e.g. an authorization code already used).
    #[error("Discord refused: {status} {body}")]
    Refused { status: u16, body: String },
    #[error("Discord could not be reached: {0}")]
    Transport(#[from] reqwest::Error),
}

/// Discord's answer to a token exchange.
#[derive(Debug, Clone, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// Seconds.
    pub expires_in: Option<i64>,
}

/// `users/@me`.
#[derive(Debug, Clone, Deserialize)]
pub struct Me {
    pub id: String,
    pub username: String,
    pub global_name: Option<String>,
}

impl Me {
    pub fn display_name(&self) -> &str {
        self.global_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or(&self.username)
    }
}

/// One entry of `users/@me/guilds`.
#[derive(Debug, Clone, Deserialize)]
pub struct MyGuild {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub owner: bool,
    #[serde(default)]
    pub permissions: Option<String>,
}

impl MyGuild {
    pub fn snowflake(&self) -> Option<Snowflake> {
        Snowflake::parse(&self.id).ok()
    }

    /// Whether Discord makes the person an administrator there (owner or the permission).
    pub fn discord_administrator(&self) -> bool {
        self.owner
            || self
                .permissions
                .as_deref()
                .and_then(|p| p.parse::<u64>().ok())
                .is_some_and(|p| p & ADMINISTRATOR != 0)
    }
}

/// A role or channel of a server, as a picker lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct Named {
    pub id: String,
    pub name: String,
    /// Channels: Discord's channel type (0 text, 2 voice, 4 category, 5 announcement…).
    #[serde(default, rename = "type")]
    pub kind: Option<u8>,
    /// Roles: their position (highest last in Discord's list order is not guaranteed).
    #[serde(default)]
    pub position: Option<i64>,
}

impl Named {
    pub fn snowflake(&self) -> Option<Snowflake> {
        Snowflake::parse(&self.id).ok()
    }
}

#[derive(Deserialize)]
struct Member {
    #[serde(default)]
    roles: Vec<String>,
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

async fn json<T: serde::de::DeserializeOwned>(res: reqwest::Response) -> Result<T, DiscordError> {
    let status = res.status();
    if status == reqwest::StatusCode::UNAUTHORIZED {
        return Err(DiscordError::Unauthorized);
    }
    if !status.is_success() {
        let body: String = res
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect();
        return Err(DiscordError::Refused {
            status: status.as_u16(),
            body,
        });
    }
    Ok(res.json().await?)
}

impl Discord {
    /// How many requests this client has sent to Discord.
    pub fn calls(&self) -> u64 {
        self.calls.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn count(&self) {
        self.calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Trades the refresh token for new tokens (Discord's refresh tokens are single use).
    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, DiscordError> {
        let body = form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", &self.client_id),
            ("client_secret", &self.client_secret),
        ]);
        self.count();
        let res = self
            .http
            .post(format!("{}/oauth2/token", self.api_base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await?;
        json(res).await
    }

    pub fn new(config: &WebConfig) -> Discord {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("raidbot-web (https://github.com/raidbot, 0.1)")
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Discord {
            http,
            calls: Default::default(),
            api_base: config.api_base.trim_end_matches('/').to_owned(),
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            redirect_uri: config.redirect_uri(),
            bot_token: config.bot_token.clone(),
        }
    }

    /// Trades an authorization code (and the PKCE verifier it was asked with) for tokens.
    pub async fn exchange_code(&self, code: &str, verifier: &str) -> Result<Tokens, DiscordError> {
        let body = form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.redirect_uri),
            ("code_verifier", verifier),
            ("client_id", &self.client_id),
            ("client_secret", &self.client_secret),
        ]);
        self.count();
        let res = self
            .http
            .post(format!("{}/oauth2/token", self.api_base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await?;
        json(res).await
    }

    /// Revokes a token at Discord (logging out); failures are only logged.
    pub async fn revoke(&self, token: &str) {
        let body = form(&[
            ("token", token),
            ("client_id", &self.client_id),
            ("client_secret", &self.client_secret),
        ]);
        self.count();
        let sent = self
            .http
            .post(format!("{}/oauth2/token/revoke", self.api_base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, "web: could not revoke a Discord token");
        }
    }

    pub async fn me(&self, access_token: &str) -> Result<Me, DiscordError> {
        self.count();
        let res = self
            .http
            .get(format!("{}/users/@me", self.api_base))
            .bearer_auth(access_token)
            .send()
            .await?;
        json(res).await
    }

    pub async fn my_guilds(&self, access_token: &str) -> Result<Vec<MyGuild>, DiscordError> {
        self.count();
        let res = self
            .http
            .get(format!("{}/users/@me/guilds", self.api_base))
            .bearer_auth(access_token)
            .send()
            .await?;
        json(res).await
    }

    /// The member's current role ids in `guild`, asked with the bot's token; `None` when
    /// they are not (or no longer) a member, or the bot is not in that server.
    pub async fn member_roles(
        &self,
        guild: Snowflake,
        user: Snowflake,
    ) -> Result<Option<Vec<Snowflake>>, DiscordError> {
        self.count();
        let res = self
            .http
            .get(format!("{}/guilds/{guild}/members/{user}", self.api_base))
            .header("authorization", format!("Bot {}", self.bot_token))
            .send()
            .await?;
        if matches!(res.status().as_u16(), 403 | 404) {
            return Ok(None);
        }
        let member: Member = json(res).await?;
        Ok(Some(
            member
                .roles
                .iter()
                .filter_map(|r| Snowflake::parse(r).ok())
                .collect(),
        ))
    }

    /// The server's roles, asked with the bot's token.
    pub async fn guild_roles(&self, guild: Snowflake) -> Result<Vec<Named>, DiscordError> {
        self.count();
        let res = self
            .http
            .get(format!("{}/guilds/{guild}/roles", self.api_base))
            .header("authorization", format!("Bot {}", self.bot_token))
            .send()
            .await?;
        json(res).await
    }

    /// The server's channels, asked with the bot's token.
    pub async fn guild_channels(&self, guild: Snowflake) -> Result<Vec<Named>, DiscordError> {
        self.count();
        let res = self
            .http
            .get(format!("{}/guilds/{guild}/channels", self.api_base))
            .header("authorization", format!("Bot {}", self.bot_token))
            .send()
            .await?;
        json(res).await
    }
}
