//! Malformed and hostile events are errors naming the field, never panics or
//! smuggled requests; whatever passes is a valid request that keeps its data.

use cloud_events_handler::passthrough::HttpFormat;
use cloud_events_handler::passthrough::{request, HttpOptions, PassThroughError};
use cloud_events_handler::Event;
use proptest::prelude::*;
use serde_json::{json, Value};

use super::upstream;

fn error(format: HttpFormat, event: Value) -> PassThroughError {
    request(format, &Event::from_json(event), &HttpOptions::default()).unwrap_err()
}

fn v1(extra: Value) -> Value {
    let mut event =
        json!({"httpMethod": "POST", "path": "/", "requestContext": {"httpMethod": "POST"}});
    if let (Some(event), Value::Object(extra)) = (event.as_object_mut(), extra) {
        event.extend(extra);
    }
    event
}

fn v2(extra: Value) -> Value {
    let mut event =
        json!({"version": "2.0", "rawPath": "/", "requestContext": {"http": {"method": "GET"}}});
    if let (Some(event), Value::Object(extra)) = (event.as_object_mut(), extra) {
        event.extend(extra);
    }
    event
}

#[test]
fn an_invalid_base64_body_is_a_bad_request() {
    let err = error(
        HttpFormat::ApiGatewayV1,
        v1(json!({"body": "aGVsbG8!d29ybGQ=", "isBase64Encoded": true})),
    );
    assert_eq!(
        err.to_string(),
        "api-gateway-v1 event: `body` is marked isBase64Encoded but is not valid base64: '!' at offset 7"
    );
    assert!(err.is_bad_request());
    let err = error(
        HttpFormat::ApiGatewayV2,
        v2(json!({"body": "%%%%", "isBase64Encoded": true})),
    );
    assert_eq!(
        err.to_string(),
        "api-gateway-v2 event: `body` is marked isBase64Encoded but is not valid base64: '%' at offset 0"
    );
}

#[test]
fn cr_lf_in_headers_is_refused_not_smuggled() {
    let err = error(
        HttpFormat::ApiGatewayV1,
        v1(json!({"headers": {"x-note": "ok\r\nx-admin: true"}})),
    );
    assert_eq!(
        err.to_string(),
        "api-gateway-v1 event: `headers.x-note` is not a valid header value: \"ok\\r\\nx-admin: true\""
    );
    assert!(err.is_bad_request());
    let err = error(
        HttpFormat::Alb,
        json!({"httpMethod": "GET", "path": "/", "requestContext": {"elb": {}},
               "multiValueHeaders": {"x-note": ["fine", "bad\n"]}}),
    );
    assert_eq!(
        err.to_string(),
        "alb event: `multiValueHeaders.x-note[1]` is not a valid header value: \"bad\\n\""
    );
    let err = error(
        HttpFormat::ApiGatewayV2,
        v2(json!({"cookies": ["a=1", "b=2\r\n"]})),
    );
    assert_eq!(
        err.to_string(),
        "api-gateway-v2 event: `cookies[1]` is not a valid header value: \"b=2\\r\\n\""
    );
    let err = error(
        HttpFormat::ApiGatewayV2,
        v2(json!({"headers": {"x y": "1"}})),
    );
    assert_eq!(
        err.to_string(),
        "api-gateway-v2 event: `headers.x y` is not a valid header name: \"x y\""
    );
}

#[test]
fn an_empty_cookies_list_adds_no_cookie_header() {
    for format in [HttpFormat::ApiGatewayV2, HttpFormat::FunctionUrl] {
        let event = json!({
            "version": "2.0", "rawPath": "/", "cookies": [], "isBase64Encoded": false,
            "requestContext": {"timeEpoch": 0, "http": {"method": "GET"}}
        });
        let passed = request(format, &Event::from_json(event), &HttpOptions::default()).unwrap();
        assert!(!passed.request.headers().contains_key("cookie"), "{format}");
    }
}

#[test]
fn a_bad_host_is_refused() {
    let err = error(
        HttpFormat::ApiGatewayV2,
        v2(json!({"headers": {"host": "evil.com/path?"}})),
    );
    assert_eq!(
        err.to_string(),
        "api-gateway-v2 event: `headers.host` is not a host name (with an optional port): \"evil.com/path?\""
    );
    let err = error(
        HttpFormat::ApiGatewayV2,
        v2(json!({"headers": {"host": "user@evil.com"}})),
    );
    assert!(matches!(err, PassThroughError::Host { .. }), "{err}");
    // A list, parameters, no host, no port or one out of range: an app building URLs from
    // them could be fooled (on 62c1fb7 each passed).
    for host in [
        "a.example,b.example",
        "a.example;x=1",
        ":8080",
        "a.example:99999",
        "a.example:0",
        "a.example:",
    ] {
        let err = error(
            HttpFormat::ApiGatewayV2,
            v2(json!({"headers": {"host": host}})),
        );
        assert!(
            matches!(err, PassThroughError::Host { .. }),
            "{host}: {err}"
        );
    }
}

#[test]
fn the_format_is_the_rules_never_a_guess() {
    // A TOKEN authorizer event is not a proxy request, whatever format a rule names.
    let token = upstream::event("apigw-authorizer/token.json");
    let err = request(HttpFormat::ApiGatewayV1, &token, &HttpOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "api-gateway-v1 event: does not have the api-gateway-v1 shape: `httpMethod` is missing; check that the rule matching it names the right `format`"
    );
    assert!(!err.is_bad_request());
    // An HTTP API event read as a REST one, and the other way round.
    let v2_event = upstream::event("apigw-v2/proxy.json");
    let err = request(HttpFormat::ApiGatewayV1, &v2_event, &HttpOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            PassThroughError::Shape {
                format: HttpFormat::ApiGatewayV1,
                ..
            }
        ),
        "{err}"
    );
    let v1_event = upstream::event("apigw-v1/proxy.json");
    let err = request(HttpFormat::ApiGatewayV2, &v1_event, &HttpOptions::default()).unwrap_err();
    assert_eq!(err.format(), HttpFormat::ApiGatewayV2);
}

#[test]
fn vpc_lattice_versions_and_methods_are_checked() {
    let err = error(
        HttpFormat::VpcLattice,
        json!({"version": "3.0", "method": "GET"}),
    );
    assert_eq!(
        err.to_string(),
        "vpc-lattice event: `version` is \"3.0\"; expected \"2.0\", or no `version` for the v1 payload"
    );
    let err = error(HttpFormat::VpcLattice, json!({"raw_path": "/"}));
    assert_eq!(
        err.to_string(),
        "vpc-lattice event: `method` is not an HTTP method: \"\""
    );
    let err = error(
        HttpFormat::FunctionUrl,
        json!({"rawPath": "/", "isBase64Encoded": false,
               "requestContext": {"timeEpoch": 0, "http": {"method": "GE T"}}}),
    );
    assert_eq!(
        err.to_string(),
        "function-url event: `requestContext.http.method` is not an HTTP method: \"GE T\""
    );
}

#[test]
fn wrongly_typed_maps_name_the_field() {
    let err = error(
        HttpFormat::ApiGatewayV1,
        v1(json!({"multiValueHeaders": ["a"]})),
    );
    assert_eq!(
        err.to_string(),
        "api-gateway-v1 event: `multiValueHeaders` must be an object of header names and values"
    );
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    /// A decoded HTTP API path (no `%`) reaches the app whole, as one path.
    #[test]
    fn any_path_stays_one_path(raw in "[^%]*") {
        let event = v2(json!({"rawPath": raw}));
        let passed = request(HttpFormat::ApiGatewayV2, &Event::from_json(event), &HttpOptions::default()).unwrap();
        let uri = passed.request.uri();
        let expected = if raw.starts_with('/') { raw.clone() } else { format!("/{raw}") };
        prop_assert_eq!(decode(uri.path()), expected);
        prop_assert_eq!(uri.query(), None);
    }

    /// Decoded query parameters come back as the same pairs, in order.
    #[test]
    fn any_parameters_round_trip(params in proptest::collection::vec((any::<String>(), any::<String>()), 0..5)) {
        let mut object = serde_json::Map::new();
        for (k, v) in &params {
            object.insert(k.clone(), Value::from(v.clone()));
        }
        let expected: Vec<(String, String)> = object.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect();
        let event = v1(json!({"queryStringParameters": object}));
        let passed = request(HttpFormat::ApiGatewayV1, &Event::from_json(event), &HttpOptions::default()).unwrap();
        let query = passed.request.uri().query().unwrap_or("");
        let got: Vec<(String, String)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap();
                (decode(k), decode(v))
            })
            .collect();
        prop_assert_eq!(got, expected);
    }

    /// Any header, raw query or cookie is a request or an error, never a panic.
    #[test]
    fn anything_else_is_a_request_or_an_error(name in any::<String>(), value in any::<String>(), query in any::<String>(), cookie in any::<String>()) {
        let event = v2(json!({"rawQueryString": query, "cookies": [cookie], "headers": {name: value}}));
        if let Ok(passed) = request(HttpFormat::ApiGatewayV2, &Event::from_json(event), &HttpOptions::default()) {
            let uri = passed.request.uri().to_string();
            prop_assert!(uri.parse::<http::Uri>().is_ok());
            prop_assert!(!uri.contains('#'));
        }
    }
}
