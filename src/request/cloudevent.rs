//! The rule's CloudEvent mode applied to a request: `ce-*` headers beside
//! the body (binary), an envelope that is the body (structured), or a
//! CloudEvent forwarded as it came (forward).

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue};
use serde_json::Value;

use crate::cloudevent::{EnvelopeData, Mode};
use crate::rule::Rule;

use super::body::{Data, Payload};

/// The content type of a structured-mode CloudEvent (JSON event format §4).
const CLOUDEVENTS_JSON: HeaderValue = HeaderValue::from_static("application/cloudevents+json");

/// Puts the payload in the request as the rule's mode says: the body it
/// returns, and its `content-type` and `ce-*` headers in `headers`.
///
/// - binary: the body is the payload; `content-type` its own when the
///   rule's `body` selected it (else the environment's); the attributes as `ce-*`.
/// - structured: the body is an envelope, always `application/cloudevents+json`,
///   whose `datacontenttype` is the payload's and whose data is the payload
///   as its content type says (JSON as it is, text a JSON string, bytes base64).
/// - forward: the event's bytes as they came, `application/cloudevents+json`;
///   a CloudEvent that arrived in binary mode with its own `ce-*` headers and
///   content type; a node the rule's `body` selected with its own content type.
pub(super) fn carry(
    rule: &Rule,
    json: &Value,
    payload: Payload,
    binary: Option<&HeaderMap>,
    headers: &mut HeaderMap,
) -> Bytes {
    let spec = rule.cloudevent();
    match spec.mode() {
        Mode::Binary => {
            spec.add_headers(rule.name(), json, &payload.bytes, headers);
            if payload.selected {
                headers.insert(CONTENT_TYPE, payload.content_type);
            }
            payload.bytes
        }
        Mode::Structured => {
            let attributes = spec.attributes(rule.name(), json, &payload.bytes);
            let data = match (payload.data(), std::str::from_utf8(&payload.bytes)) {
                (Data::Json, _) => EnvelopeData::Json(&payload.bytes),
                (Data::Text, Ok(text)) => EnvelopeData::Text(text),
                (Data::Text, Err(_)) | (Data::Binary, _) => EnvelopeData::Binary(&payload.bytes),
            };
            let content_type = String::from_utf8_lossy(payload.content_type.as_bytes());
            headers.insert(CONTENT_TYPE, CLOUDEVENTS_JSON);
            attributes.envelope_of(&content_type, data)
        }
        Mode::Forward => {
            match binary.filter(|_| !payload.selected) {
                Some(attributes) => {
                    headers.remove(CONTENT_TYPE);
                    for (name, value) in attributes {
                        headers.append(name.clone(), value.clone());
                    }
                }
                None if payload.selected => {
                    headers.insert(CONTENT_TYPE, payload.content_type);
                }
                None => {
                    headers.insert(CONTENT_TYPE, CLOUDEVENTS_JSON);
                }
            }
            payload.bytes
        }
    }
}
