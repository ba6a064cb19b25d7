//! JSON descriptions of HTTP messages, shared by `ceh explain`, the echo app and replies.

use base64::Engine as _;
use http::HeaderMap;
use serde_json::{Map, Value};

/// Headers as a JSON object: a string per name, or an array of strings when
/// the name repeats (nothing is lost to first-wins). Values that are not
/// UTF-8 are decoded lossily.
///
/// ```
/// use cloud_events_handler::describe::headers_json;
///
/// let mut headers = http::HeaderMap::new();
/// headers.append("set-cookie", "a=1".parse().unwrap());
/// headers.append("set-cookie", "b=2".parse().unwrap());
/// assert_eq!(serde_json::Value::Object(headers_json(&headers)), serde_json::json!({"set-cookie": ["a=1", "b=2"]}));
/// ```
pub fn headers_json(headers: &HeaderMap) -> Map<String, Value> {
    let mut out = Map::new();
    for name in headers.keys() {
        let mut values: Vec<Value> = headers
            .get_all(name)
            .iter()
            .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let value = match values.len() {
            0 => continue,
            1 => values.remove(0),
            _ => Value::Array(values),
        };
        out.insert(name.as_str().to_owned(), value);
    }
    out
}

/// Inserts `"body"` as text, or as base64 with `"is_base64_encoded": true`
/// when the bytes are not UTF-8.
///
/// ```
/// use cloud_events_handler::describe::insert_body;
///
/// let mut object = serde_json::Map::new();
/// insert_body(&mut object, b"text");
/// assert_eq!(object["body"], "text");
/// ```
pub fn insert_body(object: &mut Map<String, Value>, body: &[u8]) {
    match std::str::from_utf8(body) {
        Ok(text) => {
            object.insert("body".into(), Value::String(text.to_owned()));
        }
        Err(_) => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(body);
            object.insert("body".into(), Value::String(encoded));
            object.insert("is_base64_encoded".into(), Value::Bool(true));
        }
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
    let mut object = Map::new();
    object.insert("method".into(), parts.method.as_str().into());
    object.insert("path".into(), parts.uri.path().into());
    object.insert(
        "query".into(),
        parts.uri.query().map_or(Value::Null, Value::from),
    );
    object.insert(
        "headers".into(),
        Value::Object(headers_json(&parts.headers)),
    );
    insert_body(&mut object, body);
    Value::Object(object)
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
        let json = Value::Object(headers_json(&headers));
        assert_eq!(
            json,
            serde_json::json!({"set-cookie": ["a=1", "b=2"], "x-one": "1"})
        );
    }

    #[test]
    fn binary_bodies_are_base64() {
        let mut object = Map::new();
        insert_body(&mut object, &[0xff, 0x00]);
        assert_eq!(
            Value::Object(object),
            serde_json::json!({"body": "/wA=", "is_base64_encoded": true})
        );
    }
}
