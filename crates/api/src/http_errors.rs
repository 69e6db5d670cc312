//! JSON bodies for the errors hyper answers by itself.
//!
//! A request hyper cannot parse — a header holding a byte HTTP forbids (NUL), a head over
//! its size or header-count limit, an overlong URI — never reaches axum: hyper writes
//! `400`, `431` or `414` with an empty body and closes the connection, and no router,
//! middleware or serve option can change that answer. So each connection is wrapped: the
//! one response hyper writes on its own (a bare head with `content-length: 0` and one of
//! those statuses — our handlers never send such a thing) is rewritten on its way out into
//! the API's usual `{"error":{"code","message"}}` answer. Everything else passes through
//! untouched.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::error::{ErrorBody, ErrorDetail};

/// A TCP listener whose connections answer hyper's own parse errors in JSON.
pub struct JsonErrorListener(TcpListener);

impl JsonErrorListener {
    pub fn new(listener: TcpListener) -> Self {
        JsonErrorListener(listener)
    }
}

impl axum::serve::Listener for JsonErrorListener {
    type Io = JsonErrors<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = axum::serve::Listener::accept(&mut self.0).await;
        (JsonErrors::new(io), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// One connection: reads pass through; the writes of hyper's automatic error answer are
/// replaced by a JSON one.
pub struct JsonErrors<T> {
    inner: T,
    /// A replacement answer not yet fully written to `inner`.
    pending: Vec<u8>,
    sent: usize,
}

impl<T> JsonErrors<T> {
    pub fn new(inner: T) -> Self {
        JsonErrors {
            inner,
            pending: Vec::new(),
            sent: 0,
        }
    }
}

impl<T: AsyncWrite + Unpin> JsonErrors<T> {
    /// Writes out what is left of a replacement answer.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.pending.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        self.pending.clear();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for JsonErrors<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for JsonErrors<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.poll_pending(cx))?;
        if let Some(answer) = json_answer(buf) {
            this.pending = answer;
            // Whatever is not written now goes out on the flush hyper always does next.
            if let Poll::Ready(Err(e)) = this.poll_pending(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    /// Not vectored, so hyper hands each response head over as one buffer.
    fn is_write_vectored(&self) -> bool {
        false
    }
}

/// The JSON answer replacing `buf` when `buf` is exactly one of hyper's automatic error
/// answers: a status line with 400, 414 or 431, headers with `content-length: 0`, no body.
fn json_answer(buf: &[u8]) -> Option<Vec<u8>> {
    let rest = buf
        .strip_prefix(b"HTTP/1.1 ")
        .or_else(|| buf.strip_prefix(b"HTTP/1.0 "))?;
    let (code, message) = match rest.get(..4)? {
        b"400 " => (
            "malformed_request",
            "The request could not be read: its request line or a header is malformed \
             (for example a header holding a NUL or another control character).",
        ),
        b"414 " => ("uri_too_long", "The request's address is too long."),
        b"431 " => (
            "headers_too_large",
            "The request's headers are too large or too many; send fewer or shorter headers.",
        ),
        _ => return None,
    };
    let head = std::str::from_utf8(buf).ok()?.strip_suffix("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let mut kept = Vec::new();
    let mut empty_body = false;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        if name.eq_ignore_ascii_case("content-length") {
            empty_body = value.trim() == "0";
        } else if !name.eq_ignore_ascii_case("connection") {
            kept.push(line);
        }
    }
    if !empty_body {
        return None;
    }
    let body = serde_json::to_vec(&ErrorBody {
        error: ErrorDetail {
            code: code.to_owned(),
            message: message.to_owned(),
        },
    })
    .ok()?;
    let mut answer = Vec::with_capacity(head.len() + body.len() + 96);
    answer.extend_from_slice(status_line.as_bytes());
    answer.extend_from_slice(b"\r\n");
    for line in kept {
        answer.extend_from_slice(line.as_bytes());
        answer.extend_from_slice(b"\r\n");
    }
    answer.extend_from_slice(b"content-type: application/json\r\n");
    answer.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    // hyper closes the connection after these answers; say so.
    answer.extend_from_slice(b"connection: close\r\n\r\n");
    answer.extend_from_slice(&body);
    Some(answer)
}

#[cfg(test)]
mod tests {
    use super::json_answer;

    #[test]
    fn hypers_bare_error_heads_become_json() {
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Sat, 05 Dec 2026 23:59:00 GMT\r\n\r\n";
        let answer = String::from_utf8(json_answer(head).unwrap_or_default()).unwrap_or_default();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or_default();
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(head.contains("\r\ndate: Sat, 05 Dec 2026 23:59:00 GMT"));
        assert!(head.contains("\r\ncontent-type: application/json"));
        assert!(head.contains(&format!("\r\ncontent-length: {}", body.len())));
        let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        assert_eq!(json["error"]["code"], "headers_too_large");
    }

    #[test]
    fn answers_with_a_body_or_another_status_pass_through() {
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}";
        assert!(json_answer(with_body).is_none());
        let head_only = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 17\r\n\r\n";
        assert!(json_answer(head_only).is_none());
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert!(json_answer(ok).is_none());
        let no_length = b"HTTP/1.1 400 Bad Request\r\ntransfer-encoding: chunked\r\n\r\n";
        assert!(json_answer(no_length).is_none());
    }
}
