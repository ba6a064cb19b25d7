//! JSON descriptions of HTTP messages, shared by `ceh explain`, the echo app and replies.

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde::Deserialize;
use serde_json::{Map, Value};

/// A body as JSON text: itself when it is UTF-8, else its base64 (`true`).
fn body_text(body: &[u8]) -> (std::borrow::Cow<'_, str>, bool) {
    match std::str::from_utf8(body) {
        Ok(text) => (text.into(), false),
        Err(_) => (
            base64::engine::general_purpose::STANDARD
                .encode(body)
                .into(),
            true,
        ),
    }
}

/// A request as `{"method", "path", "query", "headers", "body"}`.
///
/// ```
/// use cloud_events_handler::describe::request_json;
///
/// let (parts, _) = http::Request::post("/aws.s3?x=1").body(()).unwrap().into_parts();
/// let json = request_json(&parts, b"{}");
/// assert_eq!(json["path"], "/aws.s3");
/// assert_eq!(json["query"], "x=1");
/// ```
pub fn request_json(parts: &http::request::Parts, body: &[u8]) -> Value {
    let description = RequestDescription {
        method: &parts.method,
        uri: &parts.uri,
        headers: &parts.headers,
        body,
    };
    // A map with string keys always becomes a `Value`.
    serde_json::to_value(description).unwrap_or(Value::Null)
}

/// A request described as [`request_json`] describes it, written straight to
/// a serializer without building a [`Value`] first: what `ceh explain
/// --ndjson` uses to describe many requests cheaply.
///
/// ```
/// use cloud_events_handler::describe::{request_json, RequestDescription};
///
/// let request = http::Request::post("/aws.s3?x=1").header("ce-id", "1").body(b"{}".to_vec())?;
/// let text = serde_json::to_string(&RequestDescription::new(&request))?;
/// assert_eq!(text, r#"{"method":"POST","path":"/aws.s3","query":"x=1","headers":{"ce-id":"1"},"body":"{}"}"#);
/// let (parts, body) = request.into_parts();
/// assert_eq!(serde_json::from_str::<serde_json::Value>(&text)?, request_json(&parts, &body));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RequestDescription<'a> {
    method: &'a http::Method,
    uri: &'a http::Uri,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

impl<'a> RequestDescription<'a> {
    /// Describes `request`, borrowing it.
    pub fn new<B: AsRef<[u8]>>(request: &'a http::Request<B>) -> Self {
        Self {
            method: request.method(),
            uri: request.uri(),
            headers: request.headers(),
            body: request.body().as_ref(),
        }
    }
}

impl Serialize for RequestDescription<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (body, encoded) = body_text(self.body);
        let mut map = serializer.serialize_map(Some(if encoded { 6 } else { 5 }))?;
        map.serialize_entry("method", self.method.as_str())?;
        map.serialize_entry("path", self.uri.path())?;
        map.serialize_entry("query", &self.uri.query())?;
        map.serialize_entry("headers", &HeadersDescription(self.headers))?;
        map.serialize_entry("body", &body)?;
        if encoded {
            map.serialize_entry("is_base64_encoded", &true)?;
        }
        map.end()
    }
}

/// A request as [`request_json`] describes it, the way back.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestJson {
    method: String,
    path: String,
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    headers: Map<String, Value>,
    #[serde(default)]
    body: String,
    #[serde(default)]
    is_base64_encoded: bool,
}

/// The request `json` describes as [`request_json`] does (`method` and
/// `path` required; `query`, `headers` and `body` optional); the error
/// names the member at fault.
pub fn request_from_json(json: &[u8]) -> Result<http::Request<Bytes>, String> {
    let described: RequestJson = serde_json::from_slice(json).map_err(|e| e.to_string())?;
    let target = match &described.query {
        Some(query) => format!("{}?{query}", described.path),
        None => described.path.clone(),
    };
    let body = match described.is_base64_encoded {
        true => base64::engine::general_purpose::STANDARD
            .decode(&described.body)
            .map_err(|_| "`body` is not standard, padded base64".to_owned())?,
        false => described.body.into_bytes(),
    };
    let mut request = http::Request::new(Bytes::from(body));
    *request.method_mut() = described
        .method
        .parse()
        .map_err(|_| format!("`method` {:?} is not an HTTP method", described.method))?;
    *request.uri_mut() = target
        .parse()
        .map_err(|_| format!("`path` and `query` {target:?} are not a request target"))?;
    for (name, value) in &described.headers {
        let header = HeaderName::try_from(name.as_str())
            .map_err(|_| format!("header {name:?} is not a header name"))?;
        let values = match value {
            Value::Array(values) => values.iter().collect(),
            one => vec![one],
        };
        for value in values {
            let value = value
                .as_str()
                .and_then(|text| HeaderValue::from_str(text).ok())
                .ok_or_else(|| format!("header {name:?}: a value must be a string (or an array of strings) a header can carry"))?;
            request.headers_mut().append(header.clone(), value);
        }
    }
    Ok(request)
}

/// A response as the `dict` reply describes it: `{"status_code", "body",
/// "headers"}`, with `"is_base64_encoded": true` after a body that is not
/// UTF-8, written straight to a serializer.
pub(crate) struct ResponseDescription<'a>(pub(crate) &'a http::Response<bytes::Bytes>);

impl Serialize for ResponseDescription<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (body, encoded) = body_text(self.0.body());
        let mut map = serializer.serialize_map(Some(if encoded { 4 } else { 3 }))?;
        map.serialize_entry("status_code", &self.0.status().as_u16())?;
        map.serialize_entry("body", &body)?;
        if encoded {
            map.serialize_entry("is_base64_encoded", &true)?;
        }
        map.serialize_entry("headers", &HeadersDescription(self.0.headers()))?;
        map.end()
    }
}

/// Headers as JSON: each name once, a repeated header's values as an
/// array, values as text (lossy where they are not UTF-8); serialized directly.
struct HeadersDescription<'a>(&'a HeaderMap);

impl<'a> Serialize for HeadersDescription<'a> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = |value: &'a http::HeaderValue| String::from_utf8_lossy(value.as_bytes());
        let mut map = serializer.serialize_map(Some(self.0.keys_len()))?;
        for name in self.0.keys() {
            let mut values = self.0.get_all(name).iter();
            match (values.next(), values.next()) {
                (None, _) => continue,
                (Some(one), None) => map.serialize_entry(name.as_str(), &*text(one))?,
                (Some(_), Some(_)) => {
                    let all: Vec<_> = self.0.get_all(name).iter().map(text).collect();
                    map.serialize_entry(name.as_str(), &all)?
                }
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn repeated_headers_become_arrays() {
        let mut headers = HeaderMap::new();
        headers.append("set-cookie", HeaderValue::from_static("a=1"));
        headers.append("set-cookie", HeaderValue::from_static("b=2"));
        headers.append("x-one", HeaderValue::from_static("1"));
        let json = serde_json::to_value(HeadersDescription(&headers)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"set-cookie": ["a=1", "b=2"], "x-one": "1"})
        );
    }

    #[test]
    fn a_request_description_reads_back() {
        let request = http::Request::post("/api/orders?id=7")
            .header("set-cookie", "a=1")
            .header("set-cookie", "b=2")
            .body(Bytes::from_static(&[0xff, 0x00]))
            .unwrap();
        let text = serde_json::to_vec(&RequestDescription::new(&request)).unwrap();
        let back = request_from_json(&text).unwrap();
        assert_eq!(back.method(), "POST");
        assert_eq!(back.uri(), "/api/orders?id=7");
        assert_eq!(back.headers(), request.headers());
        assert_eq!(back.body(), request.body());
        let err = request_from_json(br#"{"method": "GET", "path": "/", "headers": {"a": 1}}"#);
        assert!(err
            .unwrap_err()
            .starts_with("header \"a\": a value must be a string"));
        assert!(
            request_from_json(br#"{"path": "/"}"#).is_err(),
            "a method is required"
        );
    }

    #[test]
    fn binary_bodies_are_base64() {
        let (parts, _) = http::Request::post("/").body(()).unwrap().into_parts();
        let json = request_json(&parts, &[0xff, 0x00]);
        assert_eq!(json["body"], "/wA=");
        assert_eq!(json["is_base64_encoded"], true);
    }
}
