//! `body = "<JSONPath>"`: the part of the event the app gets as its request body.
//!
//! Without the key an event route's body is the whole event (a batch
//! record's, the record). With it, the body is the one node the query
//! selects, as its bytes stand in the event, never written out again; a node
//! that is a JSON string is sent as the text it holds (`"hello"` → `hello`),
//! since a queue message or a blob is text the sender wrote, not JSON.
//! `body = { from = "<JSONPath>", decode = "base64" }` sends the bytes a
//! base64 string stands for (a Pub/Sub message's `data`).

use base64::Engine as _;
use bytes::Bytes;
use http::HeaderValue;
use serde::Deserialize;
use serde_json::Value;

use super::query::Query;
use super::reads::Reads;
use crate::read::Need;

/// Which node of the event is the request body (`body = "$.Data.*"`), and
/// how it is decoded.
#[derive(Clone, Debug)]
pub(crate) struct BodySpec {
    query: Query,
    decode: Option<Decode>,
}

/// `body` as written: a JSONPath, or a table that also says how to decode it.
pub(crate) enum RawBody {
    Path(String),
    Table(RawBodyTable),
}

impl<'de> Deserialize<'de> for RawBody {
    fn deserialize<D: serde::Deserializer<'de>>(toml: D) -> Result<Self, D::Error> {
        struct Either;
        impl<'de> serde::de::Visitor<'de> for Either {
            type Value = RawBody;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSONPath, or a table { from = \"<JSONPath>\", decode = \"base64\" }")
            }
            fn visit_str<E>(self, text: &str) -> Result<RawBody, E> {
                Ok(RawBody::Path(text.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawBody, A::Error> {
                RawBodyTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawBody::Table)
            }
        }
        toml.deserialize_any(Either)
    }
}

/// `body = { from = "…", decode = "…" }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBodyTable {
    from: String,
    decode: Option<Decode>,
}

/// How a body's string is decoded.
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Decode {
    /// Standard base64 with padding (RFC 4648 §4), as Pub/Sub's `data` is.
    Base64,
}

/// A request body read from the event by a [`BodySpec`].
#[derive(Debug)]
pub(crate) struct Body {
    /// The bytes the app receives.
    pub(crate) bytes: Bytes,
    /// `text/plain` for a JSON string sent as its text, `application/json` otherwise.
    pub(crate) content_type: HeaderValue,
}

impl Reads for BodySpec {
    fn reads(&self, add: &mut dyn FnMut(Need)) {
        let BodySpec {
            query: _,
            decode: _,
        } = self;
        // What it selects goes to the app whole: found in the bytes for a
        // plain query, else in the JSON (a record's, or all of the event's).
        add(Need::All);
    }
}

impl BodySpec {
    /// Compiles the `body` key.
    pub(crate) fn compile(raw: RawBody) -> Result<Self, String> {
        let (text, decode) = match raw {
            RawBody::Path(text) => (text, None),
            RawBody::Table(table) => (table.from, table.decode),
        };
        Query::parse(&text)
            .map(|query| Self { query, decode })
            .map_err(|e| format!("key `body`: not a valid JSONPath ({e})"))
    }

    /// The query, as written.
    pub(crate) fn query(&self) -> &Query {
        &self.query
    }

    /// The body in `bytes` (whose parsed form is `json`): the first node the
    /// query selects; `None` when it selects none, or when it is to be
    /// decoded and is not a string of that encoding.
    pub(crate) fn extract(&self, json: &Value, bytes: &Bytes) -> Option<Body> {
        if let Some(Decode::Base64) = self.decode {
            let text = self.query.single(json)?.as_str()?;
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(text)
                .ok()?;
            return Some(Body {
                bytes: Bytes::from(decoded),
                content_type: HeaderValue::from_static("application/octet-stream"),
            });
        }
        let raw = match self.query.select_raw(bytes) {
            Some(found) => found.into_iter().next()?,
            // A general query, or bytes that are not the JSON (a binary-mode
            // CloudEvent's data): the parsed node, written out.
            None => Bytes::from(serde_json::to_vec(self.query.first(json)?).ok()?),
        };
        Some(from_node(raw))
    }
}

/// A node's bytes as a body: a string's text, anything else as it stands.
fn from_node(raw: Bytes) -> Body {
    if raw.first() != Some(&b'"') {
        return Body {
            bytes: raw,
            content_type: HeaderValue::from_static("application/json"),
        };
    }
    let text = if raw.contains(&b'\\') {
        // Escapes to undo: the only copy made.
        match serde_json::from_slice::<String>(&raw) {
            Ok(text) => Bytes::from(text),
            Err(_) => raw,
        }
    } else {
        raw.slice(1..raw.len().saturating_sub(1).max(1))
    };
    Body {
        bytes: text,
        content_type: HeaderValue::from_static("text/plain; charset=utf-8"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base64_body_is_the_bytes_it_stands_for() {
        let spec = BodySpec::compile(RawBody::Table(RawBodyTable {
            from: "$.message.data".into(),
            decode: Some(Decode::Base64),
        }))
        .unwrap();
        let text = br#"{"message": {"data": "eyJvcmRlciI6IDd9/w=="}}"#;
        let json: Value = serde_json::from_slice(text).unwrap();
        let body = spec.extract(&json, &Bytes::from_static(text)).unwrap();
        assert_eq!(&body.bytes[..], b"{\"order\": 7}\xff");
        assert_eq!(body.content_type, "application/octet-stream");
        let bad: Value = serde_json::json!({"message": {"data": "not base64!"}});
        assert!(spec.extract(&bad, &Bytes::new()).is_none());
        let number: Value = serde_json::json!({"message": {"data": 7}});
        assert!(spec.extract(&number, &Bytes::new()).is_none());
    }

    fn body(query: &str, text: &'static str) -> Option<(String, String)> {
        let spec = BodySpec::compile(RawBody::Path(query.into())).ok()?;
        let bytes = Bytes::from_static(text.as_bytes());
        let json: Value = serde_json::from_slice(&bytes).ok()?;
        let body = spec.extract(&json, &bytes)?;
        Some((
            String::from_utf8_lossy(&body.bytes).into_owned(),
            body.content_type.to_str().ok()?.to_owned(),
        ))
    }

    #[test]
    fn strings_are_their_text_and_the_rest_their_bytes() {
        let text = "plain";
        assert_eq!(
            body("$.Data.*", r#"{"Data": {"msg": "hello"}}"#),
            Some(("hello".into(), "text/plain; charset=utf-8".into()))
        );
        assert_eq!(
            body(
                "$.Data.msg",
                r#"{"Data": {"msg": "{\"a\": \"caf\u00e9\"}"}}"#
            )
            .map(|b| b.0),
            Some(r#"{"a": "café"}"#.into())
        );
        assert_eq!(
            body(
                "$.Data.*",
                r#"{"Data": {"doc": {"n": 1.50, "big": 123456789012345678901234}}}"#
            ),
            Some((
                r#"{"n": 1.50, "big": 123456789012345678901234}"#.into(),
                "application/json".into()
            ))
        );
        assert_eq!(
            body("$.Data.*", r#"{"Data": {"msg": ""}}"#).map(|b| b.0),
            Some(String::new())
        );
        assert_eq!(body("$.Data.*", r#"{"Data": {}}"#), None, "{text}");
    }
}
