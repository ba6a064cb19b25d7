//! The app's response in the shape each HTTP event source requires.

use base64::Engine as _;
use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE, SET_COOKIE};
use http::{HeaderMap, Response};
use serde_json::{json, Map, Value};

use super::{HttpOptions, ReplyShape};
use crate::rule::HttpFormat;

/// The reply for an HTTP event: API Gateway REST and WebSocket, HTTP API and
/// function URL, ALB or VPC Lattice shape, with a base64 body unless the
/// response is uncompressed text.
///
/// - REST/WebSocket: `headers`; `multiValueHeaders` when the event had them
///   (and for a repeated header, which `headers` cannot hold).
/// - HTTP API / function URL: `headers` (repeats joined with `, `) and
///   `cookies` from `Set-Cookie`.
/// - ALB: `statusDescription`, and `multiValueHeaders` exactly when the
///   request used them (the target group's setting), `headers` otherwise.
pub fn reply(shape: &ReplyShape, response: &Response<Bytes>, options: &HttpOptions) -> Value {
    let status = response.status();
    let headers = response.headers();
    let (body, base64) = body(response, options);
    let mut out = Map::new();
    out.insert("statusCode".into(), status.as_u16().into());
    match shape.format {
        HttpFormat::ApiGatewayV1 | HttpFormat::Websocket => {
            let repeats = |name: &http::HeaderName| headers.get_all(name).iter().count() > 1;
            if shape.multi_value {
                out.insert("multiValueHeaders".into(), multi(headers, |_| true));
            } else {
                // `headers` holds one value a name; a repeated one (Set-Cookie) needs the list.
                out.insert("headers".into(), single(headers, |n| !repeats(n)));
                if headers.keys().any(repeats) {
                    out.insert("multiValueHeaders".into(), multi(headers, repeats));
                }
            }
        }
        HttpFormat::ApiGatewayV2 | HttpFormat::FunctionUrl => {
            out.insert("headers".into(), single(headers, |name| name != SET_COOKIE));
            let cookies: Vec<Value> = headers
                .get_all(SET_COOKIE)
                .iter()
                .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect();
            if !cookies.is_empty() {
                out.insert("cookies".into(), Value::Array(cookies));
            }
        }
        HttpFormat::Alb => {
            let reason = status.canonical_reason().unwrap_or("");
            out.insert(
                "statusDescription".into(),
                format!("{} {reason}", status.as_u16()).trim_end().into(),
            );
            if shape.multi_value {
                out.insert("multiValueHeaders".into(), multi(headers, |_| true));
            } else {
                out.insert("headers".into(), single(headers, |_| true));
            }
        }
        HttpFormat::VpcLattice => {
            let reason = status.canonical_reason().unwrap_or("");
            out.insert(
                "statusDescription".into(),
                format!("{} {reason}", status.as_u16()).trim_end().into(),
            );
            out.insert("headers".into(), single(headers, |_| true));
        }
    }
    out.insert("body".into(), Value::String(body));
    out.insert("isBase64Encoded".into(), base64.into());
    Value::Object(out)
}

fn body(response: &Response<Bytes>, options: &HttpOptions) -> (String, bool) {
    let headers = response.headers();
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let compressed = headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|e| !e.eq_ignore_ascii_case("identity"));
    let bytes = response.body();
    if bytes.is_empty() {
        return (String::new(), false);
    }
    let text_type = content_type.is_empty() || options.is_text(content_type);
    match std::str::from_utf8(bytes) {
        Ok(text) if text_type && !compressed => (text.to_owned(), false),
        _ => (
            base64::engine::general_purpose::STANDARD.encode(bytes),
            true,
        ),
    }
}

/// One value per name; repeats joined with `, `.
fn single(headers: &HeaderMap, keep: impl Fn(&http::HeaderName) -> bool) -> Value {
    let mut out = Map::new();
    for name in headers.keys().filter(|n| keep(n)) {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        out.insert(name.as_str().to_owned(), values.join(", ").into());
    }
    Value::Object(out)
}

/// Every value of every name, as lists.
fn multi(headers: &HeaderMap, keep: impl Fn(&http::HeaderName) -> bool) -> Value {
    let mut out = Map::new();
    for name in headers.keys().filter(|n| keep(n)) {
        let values: Vec<Value> = headers
            .get_all(name)
            .iter()
            .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        out.insert(name.as_str().to_owned(), json!(values));
    }
    Value::Object(out)
}
