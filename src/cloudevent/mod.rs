//! CloudEvents both ways: incoming events checked against the spec, and
//! every event request described by CloudEvents attributes (binary-mode
//! `ce-*` headers, or a structured-mode body).

use std::borrow::Cow;
use std::fmt::Write as _;

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::Value;

use crate::escape::ce_header_value;

pub(crate) mod binding;
mod google;
mod validate;

pub use validate::{validate, InvalidCloudEvent};

pub(crate) const CE_SPECVERSION: HeaderName = HeaderName::from_static("ce-specversion");
pub(crate) const CE_ID: HeaderName = HeaderName::from_static("ce-id");
pub(crate) const CE_SOURCE: HeaderName = HeaderName::from_static("ce-source");
pub(crate) const CE_TYPE: HeaderName = HeaderName::from_static("ce-type");
pub(crate) const CE_TIME: HeaderName = HeaderName::from_static("ce-time");
pub(crate) const CE_SUBJECT: HeaderName = HeaderName::from_static("ce-subject");

/// How a request carries its CloudEvent.
///
/// ```
/// use cloud_events_handler::{cloudevent::Mode, RuleTable};
///
/// let table = RuleTable::builtin();
/// let mode = |name: &str| table.get(name).map(|rule| rule.cloudevent().mode());
/// assert_eq!(mode("s3"), Some(Mode::Binary));
/// assert_eq!(mode("cloudevents"), Some(Mode::Forward), "a CloudEvent goes as it came");
/// ```
#[derive(Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Mode {
    /// `ce-*` headers, the event as the body (the default).
    #[default]
    Binary,
    /// The body is a CloudEvent envelope with the event as `data`.
    Structured,
    /// The event is a CloudEvent already: its bytes go as a structured-mode
    /// body (`application/cloudevents+json`), unchanged.
    Forward,
}

/// A documented mapping from a source's own format to CloudEvents
/// attributes, for what templates cannot say (`[rule.cloudevent] derive`).
///
/// ```
/// use cloud_events_handler::RuleTable;
///
/// let table = RuleTable::builtin();
/// let spec = table.get("gcf-background").ok_or("a built-in rule")?.cloudevent();
/// let event = serde_json::json!({"context": {"eventId": "1", "eventType": "google.storage.object.finalize",
///     "resource": {"service": "storage.googleapis.com", "name": "projects/_/buckets/b/objects/x.txt"}}, "data": {}});
/// let attributes = spec.attributes("gcf-background", &event, b"{}");
/// assert_eq!(attributes.kind, "google.cloud.storage.object.v1.finalized");
/// assert_eq!(attributes.source, "//storage.googleapis.com/projects/_/buckets/b");
/// assert_eq!(attributes.subject.as_deref(), Some("objects/x.txt"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Derivation {
    /// Google's mapping of Cloud Functions (1st gen) background events, in
    /// either form: the CloudEvent `type`, `source` and `subject` Google
    /// gives each legacy event type.
    GoogleBackground,
}

impl Derivation {
    /// The attributes this mapping gives `event`; none where it does not apply.
    pub(crate) fn apply(self, event: &Value) -> Mapped {
        match self {
            Self::GoogleBackground => {
                google::background(event).map_or_else(Mapped::default, |b| Mapped {
                    kind: Some(b.kind.to_owned()),
                    source: Some(b.source),
                    subject: b.subject,
                })
            }
        }
    }
}

/// The attributes a [`Derivation`] gives an event; the rule's templates and
/// defaults fill the rest.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Mapped {
    pub(crate) kind: Option<String>,
    pub(crate) source: Option<String>,
    pub(crate) subject: Option<String>,
}

/// The attributes of one request's CloudEvent.
///
/// ```
/// use cloud_events_handler::cloudevent::{validate, Attributes};
///
/// let attributes = Attributes {
///     id: "1".into(), source: "/orders".into(), kind: "order.placed".into(), time: None, subject: None,
/// };
/// let envelope = attributes.envelope(br#"{"order": 7}"#);
/// let json: serde_json::Value = serde_json::from_slice(&envelope)?;
/// assert!(validate(&json).is_ok());
/// assert_eq!(json["data"]["order"], 7);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attributes {
    /// `id`.
    pub id: String,
    /// `source`.
    pub source: String,
    /// `type`.
    pub kind: String,
    /// `time`, when known.
    pub time: Option<String>,
    /// `subject`, when known.
    pub subject: Option<String>,
}

impl Attributes {
    /// Adds the binary-mode headers: `ce-specversion`, `ce-id`, `ce-source`,
    /// `ce-type`, and `ce-time`/`ce-subject` when known.
    ///
    /// ```
    /// use cloud_events_handler::cloudevent::Attributes;
    ///
    /// let attributes = Attributes {
    ///     id: "1".into(), source: "/my source".into(), kind: "t".into(), time: None, subject: Some("ü".into()),
    /// };
    /// let mut headers = http::HeaderMap::new();
    /// attributes.add_headers(&mut headers);
    /// assert_eq!(headers["ce-specversion"], "1.0");
    /// assert_eq!((headers["ce-source"].as_bytes(), headers["ce-subject"].as_bytes()), (&b"/my%20source"[..], &b"%C3%BC"[..]));
    /// assert!(headers.get("ce-time").is_none());
    /// ```
    pub fn add_headers(&self, headers: &mut HeaderMap) {
        let mut put = |name: HeaderName, value: &str| {
            headers.insert(name, ce_header_value(Cow::Borrowed(value)));
        };
        put(CE_SPECVERSION, "1.0");
        put(CE_ID, &self.id);
        put(CE_SOURCE, &self.source);
        put(CE_TYPE, &self.kind);
        if let Some(time) = &self.time {
            put(CE_TIME, time);
        }
        if let Some(subject) = &self.subject {
            put(CE_SUBJECT, subject);
        }
    }

    /// The structured-mode body: the attributes, and the event's original
    /// JSON bytes, unchanged, as `data`.
    ///
    /// ```
    /// use cloud_events_handler::cloudevent::Attributes;
    ///
    /// let attributes = Attributes { id: "1".into(), source: "/s".into(), kind: "t".into(), time: None, subject: None };
    /// let body = attributes.envelope(br#"{"n": 1.0}"#);
    /// assert_eq!(
    ///     body,
    ///     r#"{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"application/json","data":{"n": 1.0}}"#
    /// );
    /// ```
    pub fn envelope(&self, data: &[u8]) -> Bytes {
        self.envelope_of("application/json", EnvelopeData::Json(data))
    }

    /// The structured-mode body of data whose content type is
    /// `content_type` (its `datacontenttype`), carried as the JSON event
    /// format (§3.1) says: JSON as `data`, byte for byte; text as a JSON
    /// string in `data`; bytes as base64 in `data_base64`.
    pub(crate) fn envelope_of(&self, content_type: &str, data: EnvelopeData<'_>) -> Bytes {
        let mut head = serde_json::Map::new();
        head.insert("specversion".into(), "1.0".into());
        head.insert("id".into(), self.id.clone().into());
        head.insert("source".into(), self.source.clone().into());
        head.insert("type".into(), self.kind.clone().into());
        if let Some(time) = &self.time {
            head.insert("time".into(), time.clone().into());
        }
        if let Some(subject) = &self.subject {
            head.insert("subject".into(), subject.clone().into());
        }
        head.insert("datacontenttype".into(), content_type.into());
        let json = match data {
            EnvelopeData::Json(json) => json,
            EnvelopeData::Text(text) => {
                head.insert("data".into(), text.into());
                return Bytes::from(Value::Object(head).to_string());
            }
            EnvelopeData::Binary(bytes) => {
                let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
                head.insert("data_base64".into(), encoded.into());
                return Bytes::from(Value::Object(head).to_string());
            }
        };
        let head = Value::Object(head).to_string();
        // `{…}` without its closing brace, then `"data":` and the original bytes.
        let mut out = Vec::with_capacity(head.len() + json.len() + 10);
        out.extend_from_slice(&head.as_bytes()[..head.len() - 1]);
        out.extend_from_slice(b",\"data\":");
        out.extend_from_slice(json.trim_ascii());
        out.push(b'}');
        Bytes::from(out)
    }
}

/// What a structured-mode envelope carries, and so how it carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EnvelopeData<'a> {
    /// JSON, as `data`, byte for byte.
    Json(&'a [u8]),
    /// Text, as a JSON string in `data`.
    Text(&'a str),
    /// Bytes that are neither, base64 in `data_base64`.
    Binary(&'a [u8]),
}

/// A stable id for an event without one: a 64-bit FNV-style hash of the rule
/// and the bytes, eight bytes at a time (it runs on every such event, so it
/// must cost little next to parsing them).
pub(crate) fn digest(rule: &str, body: &[u8]) -> String {
    let mut id = String::with_capacity(20);
    let _ = write!(id, "ceh-{:016x}", digest_hash(rule, body));
    id
}

/// [`digest`] as a header value, its hex digits written without `fmt`.
pub(crate) fn digest_value(rule: &str, body: &[u8]) -> HeaderValue {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hash = digest_hash(rule, body);
    let mut id = *b"ceh-0000000000000000";
    for (i, slot) in id[4..].iter_mut().enumerate() {
        *slot = HEX[((hash >> (60 - 4 * i)) & 0xf) as usize];
    }
    HeaderValue::from_maybe_shared(Bytes::copy_from_slice(&id))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn digest_hash(rule: &str, body: &[u8]) -> u64 {
    const PRIME: u64 = 0x0100_0000_01b3;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |word: u64| hash = (hash ^ word).wrapping_mul(PRIME).rotate_left(23);
    for byte in rule.as_bytes() {
        mix(u64::from(*byte));
    }
    let mut chunks = body.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        mix(u64::from_le_bytes(word));
    }
    for byte in chunks.remainder() {
        mix(u64::from(*byte) | 0x100);
    }
    mix(body.len() as u64);
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        assert_eq!(digest("s3", b"{}"), digest("s3", b"{}"));
        assert_ne!(digest("s3", b"{}"), digest("sqs", b"{}"));
        assert_eq!(digest("s3", b"{}").len(), 20);
        assert_eq!(digest_value("s3", b"{}"), digest("s3", b"{}").as_str());
    }

    #[test]
    fn headers_are_percent_encoded_as_the_binding_says() {
        let attributes = Attributes {
            id: "1".into(),
            source: "/my source".into(),
            kind: "Object Created".into(),
            time: None,
            subject: Some("ü\r\n\"%".into()),
        };
        let mut headers = HeaderMap::new();
        attributes.add_headers(&mut headers);
        assert_eq!(headers["ce-source"], "/my%20source");
        assert_eq!(headers["ce-type"], "Object%20Created");
        assert_eq!(headers["ce-subject"], "%C3%BC%0D%0A%22%25");
        assert!(headers.get("ce-time").is_none());
    }

    /// Attributes with the required three only.
    fn plain() -> Attributes {
        Attributes {
            id: "1".into(),
            source: "/s".into(),
            kind: "t".into(),
            time: None,
            subject: None,
        }
    }

    #[test]
    fn text_and_bytes_are_carried_as_the_json_format_says() {
        let attributes = plain();
        let text = "he said \"hi\"\n}";
        let body = attributes.envelope_of("text/plain", EnvelopeData::Text(text));
        let parsed: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(parsed["data"], text);
        assert_eq!(parsed["datacontenttype"], "text/plain");
        let body = attributes.envelope_of("image/png", EnvelopeData::Binary(b"\x89PNG"));
        let parsed: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(parsed["data_base64"], "iVBORw==");
        assert!(parsed.get("data").is_none());
        assert!(validate(&parsed).is_ok());
    }

    #[test]
    fn the_envelope_keeps_the_original_bytes() {
        let attributes = plain();
        let body = attributes.envelope(b" {\"n\": 1.0e0} \n");
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            r#"{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"application/json","data":{"n": 1.0e0}}"#
        );
        let parsed: Value = serde_json::from_slice(&body).unwrap();
        assert!(validate(&parsed).is_ok());
    }
}
