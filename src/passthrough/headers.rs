//! Request headers read from the event's JSON, in the event's order.
//!
//! Read from the JSON rather than from the `aws_lambda_events` types so that
//! errors name the exact key, values are never split on commas (VPC Lattice
//! v1's deserializer splits `Date` values), and `multiValueHeaders` is never
//! overwritten by `headers` (lambda_http keeps only the single value).

use http::header::COOKIE;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use super::error::PassThroughError;
use super::format::HttpFormat;

/// The headers of a REST-style event (API Gateway v1, WebSocket, ALB):
/// `multiValueHeaders` when the event has them, plus any name only in
/// `headers`; otherwise `headers`. The flag tells whether `multiValueHeaders` was there.
pub(super) fn rest_style(
    json: &Value,
    format: HttpFormat,
) -> Result<(HeaderMap, bool), PassThroughError> {
    let mut headers = HeaderMap::new();
    let multi = json.get("multiValueHeaders").filter(|v| !v.is_null());
    if let Some(multi) = multi {
        append(&mut headers, multi, "multiValueHeaders", format, false)?;
    }
    if let Some(single) = json.get("headers") {
        append(&mut headers, single, "headers", format, multi.is_some())?;
    }
    Ok((headers, multi.is_some()))
}

/// The headers of the object at `field` (`"name": "value"` or `"name": ["v1", "v2"]`).
pub(super) fn object(
    json: &Value,
    field: &str,
    format: HttpFormat,
) -> Result<HeaderMap, PassThroughError> {
    let mut headers = HeaderMap::new();
    if let Some(object) = json.get(field) {
        append(&mut headers, object, field, format, false)?;
    }
    Ok(headers)
}

/// Sets the `Cookie` header from the `cookies` of an HTTP API event, joined
/// with `; `, after the cookies of a `Cookie` header the event also carries
/// (a cookie in both is sent once); an empty or missing list changes nothing
/// (lambda_http adds an empty header).
pub(super) fn set_cookies(
    headers: &mut HeaderMap,
    cookies: Option<&[String]>,
    format: HttpFormat,
) -> Result<(), PassThroughError> {
    let cookies = cookies.unwrap_or_default();
    for (i, cookie) in cookies.iter().enumerate() {
        value(cookie, format, || format!("cookies[{i}]"))?;
    }
    if !cookies.is_empty() {
        let mut all: Vec<String> = headers
            .get_all(COOKIE)
            .iter()
            .flat_map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split(';')
                    .map(|c| c.trim().to_owned())
                    .collect::<Vec<_>>()
            })
            .filter(|c| !c.is_empty())
            .collect();
        for cookie in cookies {
            if !all.iter().any(|c| c == cookie.trim()) {
                all.push(cookie.trim().to_owned());
            }
        }
        let joined = all.join("; ");
        headers.insert(COOKIE, value(&joined, format, || "cookies".to_owned())?);
    }
    Ok(())
}

/// The headers whose names `keep` accepts, in their order (`HeaderMap::remove`
/// moves the last header into the gap).
pub(super) fn retain(headers: &HeaderMap, keep: impl Fn(&HeaderName) -> bool) -> HeaderMap {
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if keep(name) {
            out.append(name, value.clone());
        }
    }
    out
}

fn append(
    headers: &mut HeaderMap,
    object: &Value,
    field: &str,
    format: HttpFormat,
    only_new: bool,
) -> Result<(), PassThroughError> {
    let object = match object {
        Value::Null => return Ok(()),
        Value::Object(object) => object,
        _ => {
            return Err(PassThroughError::field(
                format,
                field.to_owned(),
                "an object of header names and values",
            ))
        }
    };
    for (key, values) in object {
        let name =
            HeaderName::from_bytes(key.as_bytes()).map_err(|_| PassThroughError::Header {
                format,
                field: format!("{field}.{key}"),
                part: "name",
                value: key.clone(),
            })?;
        if only_new && headers.contains_key(&name) {
            continue;
        }
        match values {
            Value::Null => {}
            Value::String(text) => {
                headers.append(&name, value(text, format, || format!("{field}.{key}"))?);
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let at = || format!("{field}.{key}[{i}]");
                    let text = item
                        .as_str()
                        .ok_or_else(|| PassThroughError::field(format, at(), "a string"))?;
                    headers.append(&name, value(text, format, at)?);
                }
            }
            _ => {
                return Err(PassThroughError::field(
                    format,
                    format!("{field}.{key}"),
                    "a string or an array of strings",
                ))
            }
        }
    }
    Ok(())
}

fn value(
    text: &str,
    format: HttpFormat,
    field: impl Fn() -> String,
) -> Result<HeaderValue, PassThroughError> {
    HeaderValue::from_str(text).map_err(|_| PassThroughError::Header {
        format,
        field: field(),
        part: "value",
        value: text.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const V1: HttpFormat = HttpFormat::ApiGatewayV1;

    fn pairs(headers: &HeaderMap) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("?").to_owned()))
            .collect()
    }

    #[test]
    fn multi_value_headers_win_and_single_ones_fill_in() {
        let event = json!({
            "headers": {"Accept": "b", "X-Only-Single": "s"},
            "multiValueHeaders": {"Accept": ["a", "b"], "X-Date": ["Wed, 21 Oct 2015 07:28:00 GMT"]}
        });
        let (headers, multi) = rest_style(&event, V1).unwrap();
        assert!(multi);
        let expected = [
            ("accept", "a"),
            ("accept", "b"),
            ("x-date", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("x-only-single", "s"),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(pairs(&headers), expected);
    }

    #[test]
    fn retain_keeps_the_order() {
        let event = json!({"headers": {"a": "1", "b": "2", "c": "3", "d": "4"}});
        let headers = object(&event, "headers", V1).unwrap();
        let kept = retain(&headers, |n| n != "b");
        let names: Vec<_> = kept.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["a", "c", "d"]);
    }

    #[test]
    fn null_maps_and_values_are_nothing() {
        let event = json!({"headers": null, "multiValueHeaders": null});
        let (headers, multi) = rest_style(&event, V1).unwrap();
        assert!(headers.is_empty() && !multi);
        let event = json!({"headers": {"a": null}});
        assert!(object(&event, "headers", V1).unwrap().is_empty());
    }

    #[test]
    fn hostile_headers_are_errors_naming_the_field() {
        let event = json!({"headers": {"x-evil": "a\r\nSet-Cookie: x=1"}});
        assert_eq!(
            object(&event, "headers", V1).unwrap_err().to_string(),
            "api-gateway-v1 event: `headers.x-evil` is not a valid header value: \"a\\r\\nSet-Cookie: x=1\""
        );
        let event = json!({"multiValueHeaders": {"bad name": ["x"]}});
        assert_eq!(
            rest_style(&event, V1).unwrap_err().to_string(),
            "api-gateway-v1 event: `multiValueHeaders.bad name` is not a valid header name: \"bad name\""
        );
        let event = json!({"multiValueHeaders": {"x": ["ok", 1]}});
        assert_eq!(
            rest_style(&event, V1).unwrap_err().to_string(),
            "api-gateway-v1 event: `multiValueHeaders.x[1]` must be a string"
        );
    }

    #[test]
    fn cookies_join_into_one_header_and_none_change_nothing() {
        let mut headers = HeaderMap::new();
        set_cookies(&mut headers, Some(&[]), V1).unwrap();
        set_cookies(&mut headers, None, V1).unwrap();
        assert!(headers.is_empty());
        headers.insert(COOKIE, HeaderValue::from_static("a=1"));
        set_cookies(&mut headers, Some(&[]), V1).unwrap();
        assert_eq!(pairs(&headers), [("cookie".to_owned(), "a=1".to_owned())]);
        let cookies = ["b=2".to_owned(), "c=3".to_owned()];
        set_cookies(&mut headers, Some(&cookies), V1).unwrap();
        // The event's Cookie header and its cookies list together, each cookie once.
        assert_eq!(
            pairs(&headers),
            [("cookie".to_owned(), "a=1; b=2; c=3".to_owned())]
        );
        set_cookies(&mut headers, Some(&cookies), V1).unwrap();
        assert_eq!(
            pairs(&headers),
            [("cookie".to_owned(), "a=1; b=2; c=3".to_owned())]
        );
        let err = set_cookies(&mut headers, Some(&["d=\n".to_owned()]), V1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "api-gateway-v1 event: `cookies[0]` is not a valid header value: \"d=\\n\""
        );
    }
}
