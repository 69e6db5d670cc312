//! `raidbot healthcheck`: asks the running API's `/v1/health` whether it and its database
//! are up, so container images need no curl or wget. Plain HTTP/1.0 over a socket.

use std::io::{Read as _, Write as _};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(5);

/// Where to reach an API bound to `bind`: an unspecified address (0.0.0.0, ::) is
/// reached over loopback.
pub fn target(bind: SocketAddr) -> SocketAddr {
    match bind.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), bind.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), bind.port())
        }
        _ => bind,
    }
}

/// `Ok(body)` when `/v1/health` answers 200, else the one-line reason.
pub fn check(bind: SocketAddr) -> Result<String, String> {
    let addr = target(bind);
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT)
        .map_err(|e| format!("cannot reach the API at {addr}: {e}"))?;
    let io = |e: std::io::Error| format!("the API at {addr} did not answer: {e}");
    stream.set_read_timeout(Some(TIMEOUT)).map_err(io)?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(io)?;
    stream
        .write_all(
            format!("GET /v1/health HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .map_err(io)?;
    let mut response = Vec::new();
    stream
        .take(64 * 1024)
        .read_to_end(&mut response)
        .map_err(io)?;
    let response = String::from_utf8_lossy(&response);
    let status_line = response.lines().next().unwrap_or("");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.trim())
        .unwrap_or("");
    let code = status_line.split_whitespace().nth(1).unwrap_or("");
    if code == "200" {
        Ok(body.to_owned())
    } else if code.is_empty() {
        Err(format!("the API at {addr} gave no HTTP answer"))
    } else {
        Err(format!(
            "unhealthy: /v1/health at {addr} answered {code}: {body}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_binds_are_reached_over_loopback() {
        assert_eq!(
            target("0.0.0.0:4000".parse().unwrap()).to_string(),
            "127.0.0.1:4000"
        );
        assert_eq!(
            target("[::]:4000".parse().unwrap()).to_string(),
            "[::1]:4000"
        );
        assert_eq!(
            target("10.0.0.5:4000".parse().unwrap()).to_string(),
            "10.0.0.5:4000"
        );
    }

    #[test]
    fn nothing_listening_is_one_line() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let e = check(addr).unwrap_err();
        assert!(e.starts_with("cannot reach the API at 127.0.0.1:"), "{e}");
        assert!(!e.contains('\n'));
    }
}
