//! Configuration from environment variables (and an optional `.env`). Every value is
//! checked at start-up; a bad one stops the process with one line naming the variable.

use std::net::SocketAddr;

use domain::Snowflake;

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/raidbot";
pub const DEFAULT_API_BIND: &str = "127.0.0.1:4000";

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("{name} is not set: {expected}")]
    Missing {
        name: &'static str,
        expected: &'static str,
    },
    #[error("{name} is invalid: {expected} (got `{value}`)")]
    Invalid {
        name: &'static str,
        expected: &'static str,
        value: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Everything raidbot reads from its environment.
#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    /// `DATABASE_READ_URL`: a streaming replica of `database_url`'s database that serves
    /// leaderboard and stats reads; `None` reads them from the primary too.
    pub database_read_url: Option<String>,
    pub discord_token: Option<String>,
    pub dev_guild_id: Option<Snowflake>,
    pub api_bind: SocketAddr,
    pub api_service_key: Option<String>,
    /// Per-guild keys' limit (`API_RATE_LIMIT`); `None` is `off`. The service key is never
    /// limited.
    pub api_rate_limit: Option<api::RateLimit>,
    pub realmeye_base_url: String,
    /// `host:port` of a plain-HTTP Discord API (the simulator).
    pub discord_api_proxy: Option<String>,
    pub discord_gateway_url: Option<String>,
    /// `DISCORD_SHARED_RATE_LIMIT` (default `on`): the bot's Discord requests are paced
    /// through PostgreSQL, so every process using the token stays within Discord's limits
    /// together; `off` leaves each process its own limits (one process per token).
    pub discord_shared_rate_limit: bool,
    /// `SHARD_TOTAL` and `SHARDS`: which gateway shards `raidbot bot`/`up` run.
    pub shards: bot::gateway::ShardConfig,
    pub log_format: LogFormat,
    /// The web dashboard's Discord application (`DISCORD_CLIENT_ID`,
    /// `DISCORD_CLIENT_SECRET`) and address (`PUBLIC_URL`); `None` leaves it off.
    pub dashboard: Option<Dashboard>,
}

/// What "Log in with Discord" needs.
#[derive(Clone, PartialEq)]
pub struct Dashboard {
    pub client_id: String,
    pub client_secret: String,
    /// Where people reach the dashboard, e.g. `https://raid.example.org` (default
    /// `http://API_BIND`).
    pub public_url: String,
}

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dashboard")
            .field("client_id", &self.client_id)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &store::db::describe(&self.database_url))
            .field(
                "database_read_url",
                &self.database_read_url.as_deref().map(store::db::describe),
            )
            .field(
                "discord_token",
                &self.discord_token.as_ref().map(|_| "<set>"),
            )
            .field("dev_guild_id", &self.dev_guild_id)
            .field("api_bind", &self.api_bind)
            .field(
                "api_service_key",
                &self.api_service_key.as_ref().map(|_| "<set>"),
            )
            .field("discord_api_proxy", &self.discord_api_proxy)
            .field("discord_gateway_url", &self.discord_gateway_url)
            .field("shards", &self.shards)
            .field("dashboard", &self.dashboard)
            .finish()
    }
}

impl Config {
    /// Reads the configuration through `get` (the process environment in `main`).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let var = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let database_url = var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(ConfigError::Invalid {
                name: "DATABASE_URL",
                expected: "a postgres:// URL",
                value: store::db::describe(&database_url),
            });
        }
        let database_read_url = match var("DATABASE_READ_URL") {
            None => None,
            Some(v) if v.starts_with("postgres://") || v.starts_with("postgresql://") => Some(v),
            Some(v) => {
                return Err(ConfigError::Invalid {
                    name: "DATABASE_READ_URL",
                    expected: "a postgres:// URL of a read replica",
                    value: store::db::describe(&v),
                });
            }
        };
        let dev_guild_id = match var("DISCORD_DEV_GUILD_ID") {
            None => None,
            Some(v) => Some(Snowflake::parse(&v).map_err(|_| ConfigError::Invalid {
                name: "DISCORD_DEV_GUILD_ID",
                expected: "a Discord server id (a number)",
                value: v.clone(),
            })?),
        };
        let bind = var("API_BIND").unwrap_or_else(|| DEFAULT_API_BIND.to_owned());
        let api_bind = bind.parse().map_err(|_| ConfigError::Invalid {
            name: "API_BIND",
            expected: "an address such as 127.0.0.1:4000",
            value: bind.clone(),
        })?;
        let discord_api_proxy = match var("DISCORD_API_BASE") {
            None => None,
            Some(v) => Some(http_host_port(&v).ok_or(ConfigError::Invalid {
                name: "DISCORD_API_BASE",
                expected: "a plain http://host:port address (the simulated Discord)",
                value: v.clone(),
            })?),
        };
        let discord_gateway_url = match var("DISCORD_GATEWAY_URL") {
            None => None,
            Some(v) if v.starts_with("ws://") || v.starts_with("wss://") => Some(v),
            Some(v) => {
                return Err(ConfigError::Invalid {
                    name: "DISCORD_GATEWAY_URL",
                    expected: "a ws:// or wss:// URL",
                    value: v,
                });
            }
        };
        let api_rate_limit = match var("API_RATE_LIMIT") {
            None => Some(api::RateLimit::default()),
            Some(v) if v.eq_ignore_ascii_case("off") => None,
            Some(v) => Some(v.parse().map_err(|_| ConfigError::Invalid {
                name: "API_RATE_LIMIT",
                expected: "BURST/PER_SECOND such as 200/20, or off",
                value: v.clone(),
            })?),
        };
        let shards = shard_config(var("SHARD_TOTAL"), var("SHARDS"))?;
        let discord_shared_rate_limit = match var("DISCORD_SHARED_RATE_LIMIT").as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(v) => {
                return Err(ConfigError::Invalid {
                    name: "DISCORD_SHARED_RATE_LIMIT",
                    expected: "`on` or `off`",
                    value: v.to_owned(),
                });
            }
        };
        let log_format = match var("LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "LOG_FORMAT",
                    expected: "`pretty` or `json`",
                    value: other.to_owned(),
                });
            }
        };
        let dashboard = match (var("DISCORD_CLIENT_ID"), var("DISCORD_CLIENT_SECRET")) {
            (None, None) => None,
            (Some(client_id), Some(client_secret)) => {
                if client_id.parse::<u64>().is_err() {
                    return Err(ConfigError::Invalid {
                        name: "DISCORD_CLIENT_ID",
                        expected: "the application id from the Discord developer portal (a number)",
                        value: client_id,
                    });
                }
                let public_url = var("PUBLIC_URL")
                    .unwrap_or_else(|| format!("http://{api_bind}"))
                    .trim_end_matches('/')
                    .to_owned();
                if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
                    return Err(ConfigError::Invalid {
                        name: "PUBLIC_URL",
                        expected: "the dashboard's http:// or https:// address",
                        value: public_url,
                    });
                }
                Some(Dashboard {
                    client_id,
                    client_secret,
                    public_url,
                })
            }
            (Some(_), None) => {
                return Err(ConfigError::Missing {
                    name: "DISCORD_CLIENT_SECRET",
                    expected: "the OAuth2 client secret, with DISCORD_CLIENT_ID, for the web dashboard",
                });
            }
            (None, Some(_)) => {
                return Err(ConfigError::Missing {
                    name: "DISCORD_CLIENT_ID",
                    expected: "the application id, with DISCORD_CLIENT_SECRET, for the web dashboard",
                });
            }
        };
        Ok(Config {
            dashboard,
            database_url,
            database_read_url,
            discord_token: var("DISCORD_TOKEN"),
            dev_guild_id,
            api_bind,
            api_service_key: var("API_SERVICE_KEY"),
            api_rate_limit,
            realmeye_base_url: var("REALMEYE_BASE_URL")
                .unwrap_or_else(|| "https://www.realmeye.com".to_owned()),
            discord_api_proxy,
            discord_gateway_url,
            discord_shared_rate_limit,
            shards,
            log_format,
        })
    }

    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn require_token(&self) -> Result<&str, ConfigError> {
        self.discord_token.as_deref().ok_or(ConfigError::Missing {
            name: "DISCORD_TOKEN",
            expected: "the bot token from the Discord developer portal",
        })
    }
}

/// `SHARD_TOTAL` (a count, or `auto`/unset: Discord's recommendation) and `SHARDS` (`a-b`,
/// `a`, or unset: all).
fn shard_config(
    total: Option<String>,
    range: Option<String>,
) -> Result<bot::gateway::ShardConfig, ConfigError> {
    let total =
        match total {
            None => None,
            Some(v) if v.eq_ignore_ascii_case("auto") => None,
            Some(v) => Some(v.parse::<u32>().ok().filter(|n| *n >= 1).ok_or(
                ConfigError::Invalid {
                    name: "SHARD_TOTAL",
                    expected: "a number of shards (1 or more) or `auto`",
                    value: v.clone(),
                },
            )?),
        };
    let range = match range {
        None => None,
        Some(v) => {
            let invalid = || ConfigError::Invalid {
                name: "SHARDS",
                expected: "the shard ids this process runs, such as 0-3 or 2 (within SHARD_TOTAL)",
                value: v.clone(),
            };
            let (first, last) = v.split_once('-').unwrap_or((&v, &v));
            let first: u32 = first.trim().parse().map_err(|_| invalid())?;
            let last: u32 = last.trim().parse().map_err(|_| invalid())?;
            if first > last || total.is_some_and(|t| last >= t) {
                return Err(invalid());
            }
            Some(first..=last)
        }
    };
    Ok(bot::gateway::ShardConfig { total, range })
}

/// `http://127.0.0.1:3000/` → `127.0.0.1:3000`; anything but plain http is refused, as
/// twilight's proxy option speaks plain HTTP only.
fn http_host_port(url: &str) -> Option<String> {
    let rest = url.strip_prefix("http://")?;
    let host_port = rest.split('/').next()?.to_owned();
    let (host, port) = host_port.rsplit_once(':')?;
    (!host.is_empty() && port.parse::<u16>().is_ok()).then_some(host_port)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.api_bind.to_string(), DEFAULT_API_BIND);
        assert_eq!(c.log_format, LogFormat::Pretty);
        assert_eq!(
            c.require_token().unwrap_err().to_string(),
            "DISCORD_TOKEN is not set: the bot token from the Discord developer portal"
        );
    }

    #[test]
    fn shards_default_to_all_recommended_and_parse_ranges() {
        let c = config(&[]).unwrap();
        assert_eq!(c.shards, bot::gateway::ShardConfig::default());
        let c = config(&[("SHARD_TOTAL", "4"), ("SHARDS", "2-3")]).unwrap();
        assert_eq!(c.shards.total, Some(4));
        assert_eq!(c.shards.range, Some(2..=3));
        let c = config(&[("SHARD_TOTAL", "auto"), ("SHARDS", "1")]).unwrap();
        assert_eq!(c.shards.total, None);
        assert_eq!(c.shards.range, Some(1..=1));
        for (total, range) in [
            ("0", "0"),
            ("x", "0"),
            ("4", "3-2"),
            ("4", "2-4"),
            ("4", "a-b"),
        ] {
            let err = config(&[("SHARD_TOTAL", total), ("SHARDS", range)])
                .err()
                .unwrap()
                .to_string();
            assert!(
                err.starts_with("SHARD_TOTAL is invalid") || err.starts_with("SHARDS is invalid"),
                "{err}"
            );
        }
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = config(&[("API_BIND", "localhost")]).unwrap_err();
        assert!(e.to_string().starts_with("API_BIND is invalid"), "{e}");
        let e = config(&[("DISCORD_DEV_GUILD_ID", "abc")]).unwrap_err();
        assert!(
            e.to_string().starts_with("DISCORD_DEV_GUILD_ID is invalid"),
            "{e}"
        );
        let e = config(&[("DISCORD_API_BASE", "https://discord.com")]).unwrap_err();
        assert!(
            e.to_string().starts_with("DISCORD_API_BASE is invalid"),
            "{e}"
        );
        let e = config(&[("API_RATE_LIMIT", "fast")]).unwrap_err();
        assert!(
            e.to_string().starts_with("API_RATE_LIMIT is invalid"),
            "{e}"
        );
        let c = config(&[("API_RATE_LIMIT", "50/2.5")]).unwrap();
        assert_eq!(
            c.api_rate_limit,
            Some(api::RateLimit {
                burst: 50,
                per_second: 2.5
            })
        );
        assert_eq!(
            config(&[("API_RATE_LIMIT", "off")]).unwrap().api_rate_limit,
            None
        );
        let e = config(&[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert!(e.to_string().starts_with("DATABASE_URL is invalid"), "{e}");
        let e = config(&[("DATABASE_READ_URL", "replica:5432")]).unwrap_err();
        assert!(
            e.to_string().starts_with("DATABASE_READ_URL is invalid"),
            "{e}"
        );
        assert_eq!(config(&[]).unwrap().database_read_url, None);
        let c = config(&[(
            "DATABASE_READ_URL",
            "postgres://postgres@replica:5432/raidbot",
        )]);
        assert_eq!(
            c.unwrap().database_read_url.as_deref(),
            Some("postgres://postgres@replica:5432/raidbot")
        );
        let c = config(&[("DISCORD_API_BASE", "http://127.0.0.1:3999/")]).unwrap();
        assert_eq!(c.discord_api_proxy.as_deref(), Some("127.0.0.1:3999"));
    }
}
