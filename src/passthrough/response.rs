//! The app's response becomes the reply JSON each source requires.

use base64::Engine as _;
use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE, SET_COOKIE, TRANSFER_ENCODING};
use http::{HeaderMap, Response};
use serde_json::{Map, Value};

use super::format::HttpFormat;
use super::format::ReplyShape;
use super::options::HttpOptions;

/// The reply for `shape`'s source; see [`reply`](super::reply).
pub(super) fn reply(
    shape: &ReplyShape,
    response: &Response<Bytes>,
    options: &HttpOptions,
) -> Value {
    // The body goes back whole, inside JSON: chunked framing means nothing there.
    let headers = super::headers::retain(response.headers(), |name| {
        name != TRANSFER_ENCODING && !options.excludes(name)
    });
    let status = response.status();
    let (body, base64) = body(&headers, response.body(), options);

    let mut out = Map::new();
    out.insert("statusCode".into(), status.as_u16().into());
    match shape.format() {
        // API Gateway reads both maps in any proxy reply and hands the client every value
        // of both: a value said in each would reach the client twice, so each is said once.
        HttpFormat::ApiGatewayV1 | HttpFormat::Websocket => {
            if shape.multi_value_headers() {
                out.insert("headers".into(), Value::Object(Map::new()));
                out.insert("multiValueHeaders".into(), multi(&headers));
            } else {
                // A repeated header (every Set-Cookie) survives in multiValueHeaders alone.
                out.insert("headers".into(), single_valued(&headers));
                if let Some(repeated) = repeated(&headers) {
                    out.insert("multiValueHeaders".into(), repeated);
                }
            }
        }
        HttpFormat::ApiGatewayV2 | HttpFormat::FunctionUrl => {
            out.insert("headers".into(), joined(&headers, false));
            let cookies = headers
                .get_all(SET_COOKIE)
                .iter()
                .map(|v| Value::String(text(v.as_bytes())))
                .collect();
            out.insert("cookies".into(), Value::Array(cookies));
        }
        HttpFormat::Alb | HttpFormat::VpcLattice => {
            let description = match status.canonical_reason() {
                Some(reason) => format!("{} {reason}", status.as_u16()),
                None => status.as_u16().to_string(),
            };
            out.insert("statusDescription".into(), description.into());
            if shape.multi_value_headers() {
                out.insert("multiValueHeaders".into(), multi(&headers));
            } else {
                out.insert("headers".into(), one_per_name(&headers));
            }
        }
        HttpFormat::AzureFunctions => {
            // The host's http output binding: statusCode, headers, body; no base64 flag.
            out.insert("headers".into(), joined(&headers, true));
            out.insert("body".into(), body.into());
            return Value::Object(out);
        }
    }
    out.insert("body".into(), body.into());
    out.insert("isBase64Encoded".into(), base64.into());
    Value::Object(out)
}

/// The body as text when its type is text and it is UTF-8, else base64.
///
/// A body with a `Content-Encoding` (gzip…) is binary whatever its type; a
/// body without a `Content-Type` is text when it is UTF-8.
fn body(headers: &HeaderMap, body: &Bytes, options: &HttpOptions) -> (String, bool) {
    if options.never_base64() {
        return (String::from_utf8_lossy(body).into_owned(), false);
    }
    let encoded = headers
        .get(CONTENT_ENCODING)
        .is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"));
    let text_type = headers
        .get(CONTENT_TYPE)
        .is_none_or(|v| v.to_str().is_ok_and(|t| options.is_text(t)));
    if !encoded && text_type {
        if let Ok(text) = std::str::from_utf8(body) {
            return (text.to_owned(), false);
        }
    }
    if body.is_empty() {
        return (String::new(), false);
    }
    (base64::engine::general_purpose::STANDARD.encode(body), true)
}

/// One string per name; repeated values joined with `, ` as RFC 9110 allows,
/// except `Set-Cookie`, which cannot be joined: its last value is kept (as
/// ALB does without multi-value headers), or it is left out (`set_cookie = false`).
fn joined(headers: &HeaderMap, set_cookie: bool) -> Value {
    let mut out = Map::new();
    for name in headers.keys() {
        let mut values = headers.get_all(name).iter().map(|v| text(v.as_bytes()));
        let value = if *name == SET_COOKIE {
            if !set_cookie {
                continue;
            }
            values.next_back().unwrap_or_default()
        } else {
            values.collect::<Vec<_>>().join(", ")
        };
        out.insert(name.as_str().to_owned(), value.into());
    }
    Value::Object(out)
}

/// The headers that have several values, each with all of them; `None` when
/// no header repeats.
fn repeated(headers: &HeaderMap) -> Option<Value> {
    let mut out = Map::new();
    for name in headers.keys() {
        if headers.get_all(name).iter().nth(1).is_some() {
            out.insert(name.as_str().to_owned(), values(headers, name));
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// Headers for a target without multi-value headers (ALB, VPC Lattice): one
/// value a name, repeated values joined with `, `; every `Set-Cookie` is kept
/// under a spelling of its own (`set-cookie`, `Set-cookie`, `sEt-cookie`…),
/// since header names are read without regard to case and a cookie cannot be
/// joined. ALB hands each on to the client as a header of its own.
fn one_per_name(headers: &HeaderMap) -> Value {
    let Value::Object(mut out) = joined(headers, false) else {
        return Value::Object(Map::new());
    };
    for (i, cookie) in headers.get_all(SET_COOKIE).iter().enumerate() {
        out.insert(spelling("set-cookie", i), text(cookie.as_bytes()).into());
    }
    Value::Object(out)
}

/// The `n`th spelling of `name` that differs from the others only in letter
/// case: the bits of `n` say which letters are upper case.
fn spelling(name: &str, n: usize) -> String {
    let mut bit = 0;
    name.chars()
        .map(|c| {
            if !c.is_ascii_alphabetic() {
                return c;
            }
            let upper = n >> bit & 1 == 1;
            bit += 1;
            if upper {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

/// The names with exactly one value, as strings.
fn single_valued(headers: &HeaderMap) -> Value {
    let mut out = Map::new();
    for name in headers.keys() {
        let mut values = headers.get_all(name).iter();
        if let (Some(value), None) = (values.next(), values.next()) {
            out.insert(name.as_str().to_owned(), text(value.as_bytes()).into());
        }
    }
    Value::Object(out)
}

/// Every name with all its values, as arrays.
fn multi(headers: &HeaderMap) -> Value {
    let mut out = Map::new();
    for name in headers.keys() {
        out.insert(name.as_str().to_owned(), values(headers, name));
    }
    Value::Object(out)
}

/// Every value of `name`, as an array of strings.
fn values(headers: &HeaderMap, name: &http::HeaderName) -> Value {
    let values = headers
        .get_all(name)
        .iter()
        .map(|v| Value::String(text(v.as_bytes())))
        .collect();
    Value::Array(values)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn text_and_binary_bodies() {
        let o = HttpOptions::default();
        let json = headers(&[("content-type", "application/json")]);
        assert_eq!(
            body(&json, &Bytes::from_static(b"{}"), &o),
            ("{}".to_owned(), false)
        );
        let png = headers(&[("content-type", "image/png")]);
        assert_eq!(
            body(&png, &Bytes::from_static(b"\x89PNG"), &o),
            ("iVBORw==".to_owned(), true)
        );
        assert_eq!(body(&png, &Bytes::new(), &o), (String::new(), false));
        let gzip = headers(&[("content-type", "text/plain"), ("content-encoding", "gzip")]);
        assert_eq!(
            body(&gzip, &Bytes::from_static(b"hi"), &o),
            ("aGk=".to_owned(), true)
        );
        let latin1 = headers(&[("content-type", "text/plain")]);
        assert_eq!(
            body(&latin1, &Bytes::from_static(b"\xe9"), &o),
            ("6Q==".to_owned(), true)
        );
        assert_eq!(
            body(&HeaderMap::new(), &Bytes::from_static(b"hi"), &o),
            ("hi".to_owned(), false)
        );
    }

    #[test]
    fn header_shapes() {
        let h = headers(&[
            ("vary", "a"),
            ("vary", "b"),
            ("set-cookie", "x=1"),
            ("set-cookie", "y=2"),
            ("etag", "e"),
        ]);
        assert_eq!(
            joined(&h, true),
            serde_json::json!({"vary": "a, b", "set-cookie": "y=2", "etag": "e"})
        );
        assert_eq!(
            joined(&h, false),
            serde_json::json!({"vary": "a, b", "etag": "e"})
        );
        assert_eq!(single_valued(&h), serde_json::json!({"etag": "e"}));
        assert_eq!(
            repeated(&h),
            Some(serde_json::json!({"vary": ["a", "b"], "set-cookie": ["x=1", "y=2"]}))
        );
        assert_eq!(repeated(&headers(&[("etag", "e")])), None);
        assert_eq!(
            one_per_name(&h),
            serde_json::json!({"vary": "a, b", "etag": "e", "set-cookie": "x=1", "Set-cookie": "y=2"})
        );
        let spellings: std::collections::HashSet<String> =
            (0..512).map(|n| spelling("set-cookie", n)).collect();
        assert_eq!(spellings.len(), 512, "every cookie its own spelling");
        assert_eq!(
            multi(&h),
            serde_json::json!({"vary": ["a", "b"], "set-cookie": ["x=1", "y=2"], "etag": ["e"]})
        );
    }
}
