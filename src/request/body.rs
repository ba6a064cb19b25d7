//! The request's body: the whole event (or batch record), or the node the
//! rule's `body` selects, with its content type, which says how a
//! structured-mode envelope carries it.

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue};
use serde_json::Value;

use crate::rule::{Body, Rule};

use super::error::SynthesizeError;

/// What the app's request carries, before its CloudEvent mode is applied.
#[derive(Debug)]
pub(super) struct Payload {
    /// The bytes.
    pub(super) bytes: Bytes,
    /// Their content type: the selected node's, or for the whole event
    /// `application/json` (a CloudEvent that arrived in binary mode: its own).
    pub(super) content_type: HeaderValue,
    /// Whether the rule's `body` selected it. A whole event keeps the
    /// environment's `content-type` (and a binary-mode CloudEvent its own).
    pub(super) selected: bool,
}

/// How a body's bytes stand in a structured-mode envelope (CloudEvents
/// JSON format §3.1): JSON as it is, text as a JSON string, bytes in base64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Data {
    /// JSON, as `data`, byte for byte.
    Json,
    /// Text (UTF-8), as a JSON string in `data`.
    Text,
    /// Bytes, base64 in `data_base64`.
    Binary,
}

impl Payload {
    /// How its bytes stand in an envelope, read from its content type.
    pub(super) fn data(&self) -> Data {
        let content_type = self.content_type.as_bytes();
        let essence = content_type
            .split(|byte| *byte == b';')
            .next()
            .unwrap_or_default()
            .trim_ascii()
            .to_ascii_lowercase();
        let json = essence == b"application/json"
            || essence == b"text/json"
            || essence.ends_with(b"+json");
        if json {
            Data::Json
        } else if essence != b"application/octet-stream" && std::str::from_utf8(&self.bytes).is_ok()
        {
            Data::Text
        } else {
            Data::Binary
        }
    }
}

/// The body of a request for `json`, whose bytes are `bytes`: all of them,
/// or the node the rule's `body` selects; `binary` the headers of a
/// CloudEvent that arrived in binary mode, whose content type is its data's.
pub(super) fn select(
    rule: &Rule,
    json: &Value,
    bytes: &Bytes,
    binary: Option<&HeaderMap>,
) -> Result<Payload, SynthesizeError> {
    let Some(spec) = &rule.body else {
        let content_type = binary
            .and_then(|headers| headers.get(CONTENT_TYPE))
            .cloned()
            .unwrap_or(HeaderValue::from_static("application/json"));
        return Ok(Payload {
            bytes: bytes.clone(),
            content_type,
            selected: false,
        });
    };
    let body: Body = spec
        .extract(json, bytes)
        .ok_or_else(|| SynthesizeError::NoBody {
            rule: rule.name().to_owned(),
            path: rule.body().unwrap_or_default().to_owned(),
        })?;
    Ok(Payload {
        bytes: body.bytes,
        content_type: body.content_type,
        selected: true,
    })
}
