//! Discord's HTTP rate limits held across processes. Every process that sends with the
//! bot's token shares one global limit (50 requests/s) and each route's bucket; twilight's
//! limiter only knows its own process's requests. So the HTTP client sends through this
//! local forwarder, which reserves each request's turn in PostgreSQL
//! ([`service::discord_limits`], one statement) before passing it on, and records what
//! Discord's `X-RateLimit-*` headers say about a bucket when it is new, empty or
//! exceeded. Interaction answers (`interactions/…`, `webhooks/…`) are not limited by
//! Discord's global limit and go straight through, so answering a click costs nothing more.
//!
//! If PostgreSQL does not answer in time the request goes on unpaced (twilight's own
//! limiter still holds this process's share): a database outage must not also stop the
//! bot's Discord side.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, Method, Request, Response, StatusCode};
use service::PgPool;
use service::discord_limits::{self, RouteTurn};
use tokio_util::sync::CancellationToken;

use crate::discord::{CHANNEL_WRITE_WINDOW, CHANNEL_WRITES};

/// Longest wait for PostgreSQL before a request goes on unpaced.
const RESERVE_TIMEOUT: Duration = Duration::from_secs(2);
/// The largest request body forwarded (Discord's upload limit is lower).
const MAX_BODY: usize = 64 * 1024 * 1024;

struct Forwarder {
    pool: PgPool,
    /// `http://host:port` (the simulator) or `https://discord.com`.
    upstream: String,
    client: reqwest::Client,
}

/// Starts the forwarder on a free local port, sending on to `api_proxy` (`host:port` of a
/// plain-HTTP Discord, the simulator) or discord.com; serves until `shutdown`.
pub async fn start(
    pool: PgPool,
    api_proxy: Option<String>,
    shutdown: CancellationToken,
) -> std::io::Result<SocketAddr> {
    let upstream = match api_proxy {
        Some(hp) => format!("http://{hp}"),
        None => "https://discord.com".to_owned(),
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(std::io::Error::other)?;
    let fwd = Arc::new(Forwarder {
        pool,
        upstream,
        client,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = axum::Router::new().fallback(move |req: Request<Body>| {
        let fwd = fwd.clone();
        async move { fwd.forward(req).await }
    });
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "the Discord rate limit forwarder stopped");
        }
    });
    Ok(addr)
}

/// A request's route bucket: message writes in a channel share one (Discord's 5 per 5 s,
/// known beforehand); any other route is its method and path with ids past the top-level
/// resource (`channels/ID`, `guilds/ID`, `webhooks/ID`) made generic, learnt from headers.
pub fn route_bucket(method: &str, path: &str) -> (String, Option<(u32, Duration)>) {
    let path = path.trim_start_matches('/');
    let path = path.strip_prefix("api/v10/").unwrap_or(path);
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segs.first() == Some(&"channels")
        && segs.get(2) == Some(&"messages")
        && ((method == "POST" && segs.len() == 3) || (method == "PATCH" && segs.len() == 4))
    {
        let known = (
            u32::try_from(CHANNEL_WRITES).unwrap_or(5),
            CHANNEL_WRITE_WINDOW,
        );
        return (format!("channel-messages/{}", segs[1]), Some(known));
    }
    let generic: Vec<&str> = segs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if i >= 2 && !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                s
            }
        })
        .collect();
    (format!("{method} {}", generic.join("/")), None)
}

/// Whether Discord's global limit leaves this path out (interaction answers and webhooks).
pub fn is_interaction(path: &str) -> bool {
    let path = path.trim_start_matches('/');
    let path = path.strip_prefix("api/v10/").unwrap_or(path);
    path.starts_with("interactions/") || path.starts_with("webhooks/")
}

fn header<T: std::str::FromStr>(h: &HeaderMap, name: &str) -> Option<T> {
    h.get(name)?.to_str().ok()?.trim().parse().ok()
}

impl Forwarder {
    /// Waits for the request's turn (nothing for interaction answers).
    async fn take_turn(&self, route: &str, known: Option<(u32, Duration)>) -> Option<RouteTurn> {
        loop {
            let reserved = tokio::time::timeout(
                RESERVE_TIMEOUT,
                discord_limits::reserve(&self.pool, Some(route), known),
            )
            .await;
            let r = match reserved {
                Ok(Ok(r)) => r,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, route, "cannot reserve a Discord request; sending unpaced");
                    return None;
                }
                Err(_) => {
                    tracing::warn!(
                        route,
                        "reserving a Discord request timed out; sending unpaced"
                    );
                    return None;
                }
            };
            match r.route {
                RouteTurn::Full(wait) => {
                    metrics::counter!("raidbot_discord_rest_waits_total", "why" => "route")
                        .increment(1);
                    tokio::time::sleep(wait.max(Duration::from_millis(5))).await;
                }
                turn => {
                    if !r.global_wait.is_zero() {
                        metrics::counter!("raidbot_discord_rest_waits_total", "why" => "global")
                            .increment(1);
                        tokio::time::sleep(r.global_wait).await;
                    }
                    return Some(turn);
                }
            }
        }
    }

    async fn forward(&self, req: Request<Body>) -> Response<Body> {
        let (parts, body) = req.into_parts();
        let path_and_query = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        let path = parts.uri.path().to_owned();
        let body = match axum::body::to_bytes(body, MAX_BODY).await {
            Ok(b) => b,
            Err(e) => return plain(StatusCode::BAD_REQUEST, format!("unreadable body: {e}")),
        };
        let limited = !is_interaction(&path);
        let (route, known) = route_bucket(parts.method.as_str(), &path);
        let turn = if limited {
            self.take_turn(&route, known).await
        } else {
            None
        };
        let answer = self
            .send(&parts.method, &path_and_query, &parts.headers, body)
            .await;
        let (status, headers, bytes) = match answer {
            Ok(a) => a,
            Err(e) => {
                return plain(
                    StatusCode::BAD_GATEWAY,
                    format!("Discord could not be reached: {e}"),
                );
            }
        };
        if limited {
            self.learn(&route, turn, status, &headers).await;
        }
        let mut resp = Response::new(Body::from(bytes));
        *resp.status_mut() = status;
        for (k, v) in &headers {
            if !matches!(
                k.as_str(),
                "content-length" | "transfer-encoding" | "connection"
            ) {
                resp.headers_mut().append(k.clone(), v.clone());
            }
        }
        resp
    }

    async fn send(
        &self,
        method: &Method,
        path_and_query: &str,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<(StatusCode, HeaderMap, Bytes), reqwest::Error> {
        let method =
            reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut out = reqwest::header::HeaderMap::new();
        for (k, v) in headers {
            if matches!(
                k.as_str(),
                "host" | "content-length" | "connection" | "transfer-encoding"
            ) {
                continue;
            }
            if let (Ok(k), Ok(v)) = (
                reqwest::header::HeaderName::from_bytes(k.as_str().as_bytes()),
                reqwest::header::HeaderValue::from_bytes(v.as_bytes()),
            ) {
                out.append(k, v);
            }
        }
        let resp = self
            .client
            .request(method, format!("{}{path_and_query}", self.upstream))
            .headers(out)
            .body(body)
            .send()
            .await?;
        let status = StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::OK);
        let mut back = HeaderMap::new();
        for (k, v) in resp.headers() {
            if let (Ok(k), Ok(v)) = (
                HeaderName::from_bytes(k.as_str().as_bytes()),
                axum::http::HeaderValue::from_bytes(v.as_bytes()),
            ) {
                back.append(k, v);
            }
        }
        let bytes = resp.bytes().await?;
        Ok((status, back, bytes))
    }

    /// Records the bucket when it was unknown, is now empty, or was exceeded; a global 429
    /// holds every process back.
    async fn learn(&self, route: &str, turn: Option<RouteTurn>, status: StatusCode, h: &HeaderMap) {
        let limited = status == StatusCode::TOO_MANY_REQUESTS;
        if limited {
            metrics::counter!("raidbot_discord_rest_429_total").increment(1);
        }
        if limited && h.get("x-ratelimit-global").is_some() {
            let retry: f64 = header(h, "retry-after").unwrap_or(1.0);
            if let Err(e) =
                discord_limits::hold_global(&self.pool, Duration::from_secs_f64(retry.max(0.0)))
                    .await
            {
                tracing::warn!(error = %e, "cannot record Discord's global 429");
            }
            return;
        }
        let (Some(limit), Some(remaining), Some(reset_after)) = (
            header::<u32>(h, "x-ratelimit-limit"),
            header::<u32>(h, "x-ratelimit-remaining"),
            header::<f64>(h, "x-ratelimit-reset-after"),
        ) else {
            return;
        };
        if !(limited || remaining == 0 || turn == Some(RouteTurn::Unknown)) {
            return;
        }
        let reset_after = Duration::from_secs_f64(reset_after.max(0.0));
        if let Err(e) =
            discord_limits::learn(&self.pool, route, limit, remaining, reset_after).await
        {
            tracing::warn!(error = %e, route, "cannot record a Discord rate limit bucket");
        }
    }
}

fn plain(status: StatusCode, text: String) -> Response<Body> {
    let mut resp = Response::new(Body::from(text));
    *resp.status_mut() = status;
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_share_buckets_like_discord() {
        let (k, known) = route_bucket("POST", "/api/v10/channels/7/messages");
        assert_eq!(k, "channel-messages/7");
        assert!(known.is_some());
        let (k2, _) = route_bucket("PATCH", "/api/v10/channels/7/messages/99");
        assert_eq!(k2, k);
        let (k, known) = route_bucket("PUT", "/api/v10/guilds/1/members/2/roles/3");
        assert_eq!(k, "PUT guilds/1/members/{id}/roles/{id}");
        assert!(known.is_none());
        assert_eq!(
            route_bucket("DELETE", "/api/v10/channels/7/messages/9").0,
            "DELETE channels/7/messages/{id}"
        );
        assert!(is_interaction("/api/v10/interactions/1/tok/callback"));
        assert!(is_interaction("/api/v10/webhooks/1/tok/messages/@original"));
        assert!(!is_interaction("/api/v10/channels/1/messages"));
    }
}
