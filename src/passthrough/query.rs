//! The request's query string, in the event's order.
//!
//! The `aws_lambda_events` types keep query parameters in a `HashMap`, which
//! loses their order; the event's JSON (read with `preserve_order`) keeps it.

use serde_json::Value;

use super::error::PassThroughError;
use super::format::HttpFormat;
use crate::escape;

/// Whether the source decoded the parameters (API Gateway) or passes them as sent (ALB, VPC Lattice).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Encoding {
    /// Decoded text: every reserved character is encoded again.
    Decoded,
    /// As sent: valid `%XX` escapes are kept, only impossible characters encoded.
    Raw,
}

/// REST-style events: `multiValueQueryStringParameters` when it has any, else `queryStringParameters`.
pub(super) fn rest_style(
    json: &Value,
    format: HttpFormat,
    encoding: Encoding,
) -> Result<String, PassThroughError> {
    let field = match json.get("multiValueQueryStringParameters") {
        Some(Value::Object(multi)) if !multi.is_empty() => "multiValueQueryStringParameters",
        _ => "queryStringParameters",
    };
    object(json, field, format, encoding)
}

/// The parameters of the object at `field` (`"k": "v"` or `"k": ["v1", "v2"]`).
pub(super) fn object(
    json: &Value,
    field: &str,
    format: HttpFormat,
    encoding: Encoding,
) -> Result<String, PassThroughError> {
    let object = match json.get(field) {
        None | Some(Value::Null) => return Ok(String::new()),
        Some(Value::Object(object)) => object,
        Some(_) => {
            return Err(PassThroughError::field(
                format,
                field.to_owned(),
                "an object of parameter names and values",
            ))
        }
    };
    let mut query = String::new();
    for (key, values) in object {
        let mut push = |value: &str| {
            if !query.is_empty() {
                query.push('&');
            }
            match encoding {
                Encoding::Decoded => {
                    query.push_str(&format!(
                        "{}={}",
                        escape::component(key),
                        escape::component(value)
                    ));
                }
                Encoding::Raw => {
                    query.push_str(&escape::raw(key, escape::QUERY_KEY));
                    query.push('=');
                    query.push_str(&escape::raw(value, escape::QUERY_VALUE));
                }
            }
        };
        match values {
            Value::Null => {}
            Value::String(value) => push(value),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let value = item.as_str().ok_or_else(|| {
                        PassThroughError::field(format, format!("{field}.{key}[{i}]"), "a string")
                    })?;
                    push(value);
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
    Ok(query)
}

/// An HTTP API's `rawQueryString`, as sent but safe for a URI.
pub(super) fn raw_string(text: &str) -> String {
    escape::raw(text, escape::QUERY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const V1: HttpFormat = HttpFormat::ApiGatewayV1;

    #[test]
    fn the_events_order_is_kept() {
        let event = json!({"queryStringParameters": {"z": "1", "a": "2", "m": "3"}});
        assert_eq!(
            object(&event, "queryStringParameters", V1, Encoding::Decoded).unwrap(),
            "z=1&a=2&m=3"
        );
    }

    #[test]
    fn multi_values_are_preferred_when_present() {
        let event = json!({
            "queryStringParameters": {"a": "2"},
            "multiValueQueryStringParameters": {"a": ["1", "2"], "b": ["x y"]}
        });
        assert_eq!(
            rest_style(&event, V1, Encoding::Decoded).unwrap(),
            "a=1&a=2&b=x%20y"
        );
        let event =
            json!({"queryStringParameters": {"a": "2"}, "multiValueQueryStringParameters": {}});
        assert_eq!(rest_style(&event, V1, Encoding::Decoded).unwrap(), "a=2");
    }

    #[test]
    fn decoded_values_are_encoded_and_raw_ones_kept() {
        let event = json!({"queryStringParameters": {"q": "a&b=c ü", "e": "%3F"}});
        assert_eq!(
            object(&event, "queryStringParameters", V1, Encoding::Decoded).unwrap(),
            "q=a%26b%3Dc%20%C3%BC&e=%253F"
        );
        assert_eq!(
            object(&event, "queryStringParameters", V1, Encoding::Raw).unwrap(),
            "q=a%26b=c%20%C3%BC&e=%3F"
        );
    }

    #[test]
    fn wrong_shapes_name_the_field() {
        let event = json!({"queryStringParameters": {"a": [1]}});
        assert_eq!(
            object(&event, "queryStringParameters", V1, Encoding::Decoded)
                .unwrap_err()
                .to_string(),
            "api-gateway-v1 event: `queryStringParameters.a[0]` must be a string"
        );
        let event = json!({"queryStringParameters": "a=1"});
        assert_eq!(
            object(&event, "queryStringParameters", V1, Encoding::Decoded).unwrap_err().to_string(),
            "api-gateway-v1 event: `queryStringParameters` must be an object of parameter names and values"
        );
    }

    #[test]
    fn raw_query_strings_stay_as_sent() {
        assert_eq!(raw_string("a=1&b=%20&c=d e#"), "a=1&b=%20&c=d%20e%23");
    }
}
