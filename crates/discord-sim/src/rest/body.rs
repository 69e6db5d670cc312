//! Request bodies: JSON, or multipart with `payload_json` and uploaded files.

use axum::http::HeaderMap;
use serde_json::Value;

use crate::DiscordSim;
use crate::limits::ApiError;
use crate::model::*;

/// Parsed request body.
pub(crate) struct Body {
    pub json: Value,
    pub files: Vec<Attachment>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn header_param(headers: &str, key: &str) -> Option<String> {
    let pat = format!("{key}=\"");
    let start = headers.find(&pat)? + pat.len();
    let end = headers[start..].find('"')? + start;
    Some(headers[start..end].to_owned())
}

/// Minimal multipart/form-data parser for `payload_json` + `files[n]`: the files come back
/// as (filename, content type, bytes) for the caller to store.
#[allow(clippy::type_complexity)]
fn parse_multipart(body: &[u8], boundary: &str) -> (Value, Vec<(String, Option<String>, Vec<u8>)>) {
    let mut json = Value::Null;
    let mut files = Vec::new();
    let delim = format!("--{boundary}");
    let mut rest = body;
    while let Some(pos) = find(rest, delim.as_bytes()) {
        rest = &rest[pos + delim.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let Some(hdr_end) = find(rest, b"\r\n\r\n") else {
            break;
        };
        let headers = String::from_utf8_lossy(&rest[..hdr_end]).to_string();
        let content_start = hdr_end + 4;
        let content_end = find(&rest[content_start..], delim.as_bytes())
            .map(|e| content_start + e)
            .unwrap_or(rest.len());
        let mut content = &rest[content_start..content_end];
        if content.ends_with(b"\r\n") {
            content = &content[..content.len() - 2];
        }
        let name = header_param(&headers, "name").unwrap_or_default();
        if name == "payload_json" {
            json = serde_json::from_slice(content).unwrap_or(Value::Null);
        } else if let Some(filename) = header_param(&headers, "filename") {
            let content_type = headers.lines().find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.trim().eq_ignore_ascii_case("content-type"))
                    .map(|(_, v)| v.trim().to_owned())
            });
            files.push((filename, content_type, content.to_vec()));
        }
        rest = &rest[content_end..];
    }
    (json, files)
}

/// Parses a request body; uploaded files are stored in the simulator (served under
/// `/attachments/...`) so the bot's own uploads can be downloaded and shown like Discord's CDN.
pub(super) fn parse_body(
    sim: &DiscordSim,
    headers: &HeaderMap,
    bytes: &[u8],
) -> Result<Body, ApiError> {
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.starts_with("multipart/form-data") {
        let boundary = ct
            .split("boundary=")
            .nth(1)
            .unwrap_or("")
            .trim_matches('"')
            .to_owned();
        let (json, files) = parse_multipart(bytes, &boundary);
        let files = files
            .into_iter()
            .map(|(name, ct, data)| sim.upload(&name, ct.as_deref(), data))
            .collect();
        return Ok(Body { json, files });
    }
    if bytes.is_empty() {
        return Ok(Body {
            json: Value::Null,
            files: Vec::new(),
        });
    }
    serde_json::from_slice(bytes)
        .map(|json| Body {
            json,
            files: Vec::new(),
        })
        .map_err(|_| ApiError::new(400, 50109, "The request body contains invalid JSON."))
}

/// A snowflake given as string or number.
pub(crate) fn json_u64(v: &Value) -> Option<u64> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}
