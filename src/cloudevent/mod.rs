//! CloudEvents both ways: incoming events checked against the spec, and
//! every event request described by CloudEvents attributes (binary-mode
//! `ce-*` headers, or a structured-mode body).

use std::borrow::Cow;
use std::fmt::Write as _;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde::Deserialize;
use serde_json::Value;

use crate::rule::Template;

mod validate;

pub use validate::{validate, InvalidCloudEvent};

/// Bytes percent-encoded in `ce-*` header values, as the CloudEvents HTTP
/// binding requires: everything outside printable ASCII, space, `"` and `%`.
const CE_HEADER: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'%');

const CE_SPECVERSION: HeaderName = HeaderName::from_static("ce-specversion");
const CE_ID: HeaderName = HeaderName::from_static("ce-id");
const CE_SOURCE: HeaderName = HeaderName::from_static("ce-source");
const CE_TYPE: HeaderName = HeaderName::from_static("ce-type");
const CE_TIME: HeaderName = HeaderName::from_static("ce-time");
const CE_SUBJECT: HeaderName = HeaderName::from_static("ce-subject");

/// How a rule describes its events as CloudEvents (`[rule.cloudevent]`).
///
/// Each attribute is a template read from the event (or, in a batch, from
/// the record). An attribute whose template does not resolve takes its
/// default: `id` a digest of the event's bytes, so a retried event keeps its
/// id; `source` `ceh:<rule>`; `type` `ceh.<rule>`; `time` and `subject` none.
///
/// ```
/// use cloud_events_handler::{cloudevent::Mode, RuleTable};
/// use serde_json::json;
///
/// let table = RuleTable::builtin();
/// let spec = table.get("sqs").ok_or("a built-in rule")?.cloudevent();
/// let record = json!({"messageId": "m1", "eventSourceARN": "arn:aws:sqs:eu-west-1:1:orders"});
/// let attributes = spec.attributes("sqs", &record, b"{}");
/// assert_eq!((attributes.id.as_str(), attributes.kind.as_str()), ("m1", "aws.sqs.message"));
/// assert_eq!(spec.mode(), Mode::Binary);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct CloudEventSpec {
    id: Option<Template>,
    source: Option<Template>,
    kind: Option<Template>,
    time: Option<Template>,
    subject: Option<Template>,
    mode: Mode,
    /// `ce-source` and `ce-type` when their templates do not resolve, built
    /// once when the rule loads rather than on every event.
    default_source: HeaderValue,
    default_kind: HeaderValue,
}

/// `[rule.cloudevent]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCloudEvent {
    id: Option<String>,
    source: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    time: Option<String>,
    subject: Option<String>,
    mode: Option<Mode>,
}

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

impl CloudEventSpec {
    /// Compiles `[rule.cloudevent]` for the rule named `rule` (whose name the
    /// defaults carry; rule names are always valid header values).
    pub(crate) fn compile(raw: RawCloudEvent, rule: &str) -> Result<Self, String> {
        let template = |key: &str, text: Option<String>| {
            text.map(|t| Template::parse(&t).map_err(|e| format!("key `cloudevent.{key}`: {e}")))
                .transpose()
        };
        Ok(Self {
            id: template("id", raw.id)?,
            source: template("source", raw.source)?,
            kind: template("type", raw.kind)?,
            time: template("time", raw.time)?,
            subject: template("subject", raw.subject)?,
            mode: raw.mode.unwrap_or_default(),
            default_source: ce_value(Cow::Owned(format!("ceh:{rule}"))),
            default_kind: ce_value(Cow::Owned(format!("ceh.{rule}"))),
        })
    }

    /// How requests carry the CloudEvent.
    ///
    /// ```
    /// use cloud_events_handler::{cloudevent::Mode, RuleTable};
    ///
    /// let table = RuleTable::builtin();
    /// assert_eq!(table.get("eventbridge").ok_or("a built-in rule")?.cloudevent().mode(), Mode::Binary);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The attributes for an event (or record) `json` whose bytes are `body`.
    ///
    /// ```
    /// use cloud_events_handler::RuleTable;
    /// use serde_json::json;
    ///
    /// let table = RuleTable::builtin();
    /// let spec = table.get("s3").ok_or("a built-in rule")?.cloudevent();
    /// // Nothing in this event resolves the s3 rule's templates: every attribute takes its default.
    /// let attributes = spec.attributes("s3", &json!({}), b"{}");
    /// assert_eq!((attributes.source.as_str(), attributes.kind.as_str()), ("ceh:s3", "ceh.s3"));
    /// assert!(attributes.id.starts_with("ceh-"));
    /// assert_eq!(attributes.id, spec.attributes("s3", &json!({}), b"{}").id, "stable across retries");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn attributes(&self, rule: &str, json: &Value, body: &[u8]) -> Attributes {
        let render = |t: &Option<Template>| {
            t.as_ref()
                .and_then(|t| t.render_raw(json))
                .filter(|v| !v.is_empty())
        };
        Attributes {
            id: render(&self.id).unwrap_or_else(|| digest(rule, body)),
            source: render(&self.source).unwrap_or_else(|| format!("ceh:{rule}")),
            kind: render(&self.kind).unwrap_or_else(|| format!("ceh.{rule}")),
            // `time` is optional, and must be RFC 3339: a source's other formats are left out.
            time: render(&self.time).filter(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok()),
            subject: render(&self.subject),
        }
    }

    /// Adds the binary-mode headers straight from the event, as
    /// `self.attributes(…).add_headers(…)` would, without building the
    /// attributes first: defaults are cloned, not formatted, and values
    /// borrowed from the event are copied once.
    pub(crate) fn add_headers(
        &self,
        rule: &str,
        json: &Value,
        body: &[u8],
        headers: &mut HeaderMap,
    ) {
        let render = |t: &Option<Template>| {
            t.as_ref()
                .and_then(|t| t.render(json))
                .filter(|v| !v.is_empty())
        };
        headers.insert(CE_SPECVERSION, HeaderValue::from_static("1.0"));
        let id = render(&self.id).map_or_else(|| digest_value(rule, body), ce_value);
        headers.insert(CE_ID, id);
        let source = render(&self.source).map_or_else(|| self.default_source.clone(), ce_value);
        headers.insert(CE_SOURCE, source);
        let kind = render(&self.kind).map_or_else(|| self.default_kind.clone(), ce_value);
        headers.insert(CE_TYPE, kind);
        if let Some(time) =
            render(&self.time).filter(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok())
        {
            headers.insert(CE_TIME, ce_value(time));
        }
        if let Some(subject) = render(&self.subject) {
            headers.insert(CE_SUBJECT, ce_value(subject));
        }
    }
}

/// A `ce-*` header value, percent-encoded as the binding says. After
/// encoding only visible ASCII remains, which `http` always accepts.
fn ce_value(text: Cow<'_, str>) -> HeaderValue {
    let encoded = match Cow::from(utf8_percent_encode(&text, CE_HEADER)) {
        Cow::Borrowed(_) => text.into_owned(),
        Cow::Owned(encoded) => encoded,
    };
    HeaderValue::from_maybe_shared(Bytes::from(encoded))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
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
            headers.insert(name, ce_value(Cow::Borrowed(value)));
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
        head.insert("datacontenttype".into(), "application/json".into());
        let head = Value::Object(head).to_string();
        // `{…}` without its closing brace, then `"data":` and the original bytes.
        let mut out = Vec::with_capacity(head.len() + data.len() + 10);
        out.extend_from_slice(&head.as_bytes()[..head.len() - 1]);
        out.extend_from_slice(b",\"data\":");
        out.extend_from_slice(data.trim_ascii());
        out.push(b'}');
        Bytes::from(out)
    }
}

/// A stable id for an event without one: a 64-bit FNV-style hash of the rule
/// and the bytes, eight bytes at a time (it runs on every such event, so it
/// must cost little next to parsing them).
fn digest(rule: &str, body: &[u8]) -> String {
    let mut id = String::with_capacity(20);
    let _ = write!(id, "ceh-{:016x}", digest_hash(rule, body));
    id
}

/// [`digest`] as a header value, its hex digits written without `fmt`.
fn digest_value(rule: &str, body: &[u8]) -> HeaderValue {
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

    #[test]
    fn the_envelope_keeps_the_original_bytes() {
        let attributes = Attributes {
            id: "1".into(),
            source: "/s".into(),
            kind: "t".into(),
            time: None,
            subject: None,
        };
        let body = attributes.envelope(b" {\"n\": 1.0e0} \n");
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            r#"{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"application/json","data":{"n": 1.0e0}}"#
        );
        let parsed: Value = serde_json::from_slice(&body).unwrap();
        assert!(validate(&parsed).is_ok());
    }
}
