//! `body = "<JSONPath>"`: the part of the event the app gets as its request body.
//!
//! Without the key an event route's body is the whole event (a batch
//! record's, the record). With it, the body is the one node the query
//! selects, as its bytes stand in the event, never written out again; a node
//! that is a JSON string is sent as the text it holds (`"hello"` → `hello`),
//! since a queue message or a blob is text the sender wrote, not JSON.

use bytes::Bytes;
use http::HeaderValue;
use serde_json::Value;

use super::query::Query;

/// Which node of the event is the request body (`body = "$.Data.*"`).
#[derive(Clone, Debug)]
pub(crate) struct BodySpec {
    query: Query,
}

/// A request body read from the event by a [`BodySpec`].
#[derive(Debug)]
pub(crate) struct Body {
    /// The bytes the app receives.
    pub(crate) bytes: Bytes,
    /// `text/plain` for a JSON string sent as its text, `application/json` otherwise.
    pub(crate) content_type: HeaderValue,
}

impl BodySpec {
    /// Compiles the `body` key.
    pub(crate) fn compile(text: &str) -> Result<Self, String> {
        Query::parse(text)
            .map(|query| Self { query })
            .map_err(|e| format!("key `body`: not a valid JSONPath ({e})"))
    }

    /// The query, as written.
    pub(crate) fn query(&self) -> &Query {
        &self.query
    }

    /// The body in `bytes` (whose parsed form is `json`): the first node the
    /// query selects; `None` when it selects none.
    pub(crate) fn extract(&self, json: &Value, bytes: &Bytes) -> Option<Body> {
        let raw = match self.query.select_raw(bytes) {
            Some(found) => found.into_iter().next()?,
            // A general query, or bytes that are not the JSON (a binary-mode
            // CloudEvent's data): the parsed node, written out.
            None => Bytes::from(serde_json::to_vec(self.query.select(json).first()?).ok()?),
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

    fn body(query: &str, text: &'static str) -> Option<(String, String)> {
        let spec = BodySpec::compile(query).ok()?;
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
