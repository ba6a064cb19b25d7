//! Replies have exactly the shape each source requires: checked as JSON, and
//! by deserializing them into `aws_lambda_events`' own response types.

use aws_lambda_events::alb::AlbTargetGroupResponse;
use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::lambda_function_urls::LambdaFunctionUrlResponse;
use aws_lambda_events::vpc_lattice::VpcLatticeResponse;
use bytes::Bytes;
use cloud_events_handler::passthrough::HttpFormat;
use cloud_events_handler::passthrough::{reply, HttpOptions, ReplyShape};
use http::{HeaderMap, Response};
use serde_json::{json, Value};

use super::requests::pass;

/// A JSON response with repeated headers, two cookies and a framing header.
fn response() -> Response<Bytes> {
    Response::builder()
        .status(201)
        .header("content-type", "application/json")
        .header("set-cookie", "a=1; Path=/")
        .header("vary", "accept")
        .header("transfer-encoding", "chunked")
        .header("set-cookie", "b=2")
        .header("vary", "origin")
        .header("x-one", "1")
        .body(Bytes::from_static(br#"{"ok":true}"#))
        .unwrap()
}

fn binary() -> Response<Bytes> {
    Response::builder()
        .header("content-type", "image/png")
        .body(Bytes::from_static(b"\x89PNG\r\n\x1a\n\0"))
        .unwrap()
}

fn reply_for(fixture: &str, response: &Response<Bytes>) -> Value {
    let (_, shape) = pass(fixture);
    reply(&shape, response, &HttpOptions::default())
}

fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    super::requests::pairs(expected)
}

#[test]
fn rest_api_v1_with_multi_value_headers() {
    let reply = reply_for("apigw-v1/proxy.json", &response());
    // Every value once, in multiValueHeaders: API Gateway merges `headers` into it.
    let expected = json!({
        "statusCode": 201,
        "headers": {},
        "multiValueHeaders": {
            "content-type": ["application/json"],
            "set-cookie": ["a=1; Path=/", "b=2"],
            "vary": ["accept", "origin"],
            "x-one": ["1"]
        },
        "body": "{\"ok\":true}",
        "isBase64Encoded": false
    });
    assert_eq!(reply.to_string(), expected.to_string());
    let typed: ApiGatewayProxyResponse = serde_json::from_value(reply).unwrap();
    assert_eq!(typed.status_code, 201);
    assert!(typed.headers.is_empty());
    assert_eq!(
        header_pairs(&typed.multi_value_headers),
        pairs(&[
            ("content-type", "application/json"),
            ("set-cookie", "a=1; Path=/"),
            ("set-cookie", "b=2"),
            ("vary", "accept"),
            ("vary", "origin"),
            ("x-one", "1"),
        ])
    );
    assert_eq!(typed.body, Some(Body::Text(r#"{"ok":true}"#.to_owned())));
    assert!(!typed.is_base64_encoded);
}

#[test]
fn rest_api_v1_without_multi_value_headers() {
    // API Gateway reads multiValueHeaders in any proxy reply (the console's test invoke sends
    // `"multiValueHeaders": null`): every Set-Cookie survives there, none is dropped, and a
    // repeated header is there alone, or the client would get its values twice.
    let reply = reply_for("apigw-v1/no-host.json", &response());
    let expected = json!({
        "statusCode": 201,
        "headers": {"content-type": "application/json", "x-one": "1"},
        "multiValueHeaders": {"set-cookie": ["a=1; Path=/", "b=2"], "vary": ["accept", "origin"]},
        "body": "{\"ok\":true}",
        "isBase64Encoded": false
    });
    assert_eq!(reply.to_string(), expected.to_string());
    let typed: ApiGatewayProxyResponse = serde_json::from_value(reply).unwrap();
    assert_eq!(
        typed
            .multi_value_headers
            .get_all("set-cookie")
            .iter()
            .collect::<Vec<_>>(),
        ["a=1; Path=/", "b=2"]
    );
    assert!(typed.headers.get("vary").is_none());
}

#[test]
fn websocket_replies_like_rest_apis() {
    let reply = reply_for("websocket/message.json", &binary());
    let expected = json!({
        "statusCode": 200,
        "headers": {},
        "multiValueHeaders": {"content-type": ["image/png"]},
        "body": "iVBORw0KGgoA",
        "isBase64Encoded": true
    });
    assert_eq!(reply.to_string(), expected.to_string());
    let typed: ApiGatewayProxyResponse = serde_json::from_value(reply).unwrap();
    assert_eq!(typed.body, Some(Body::Text("iVBORw0KGgoA".to_owned())));
    assert!(typed.is_base64_encoded);
}

#[test]
fn http_api_v2_moves_set_cookie_into_cookies() {
    let reply = reply_for("apigw-v2/proxy.json", &response());
    let expected = json!({
        "statusCode": 201,
        "headers": {"content-type": "application/json", "vary": "accept, origin", "x-one": "1"},
        "cookies": ["a=1; Path=/", "b=2"],
        "body": "{\"ok\":true}",
        "isBase64Encoded": false
    });
    assert_eq!(reply.to_string(), expected.to_string());
    let typed: ApiGatewayV2httpResponse = serde_json::from_value(reply).unwrap();
    assert_eq!(typed.status_code, 201);
    assert_eq!(typed.cookies, ["a=1; Path=/", "b=2"]);
    assert_eq!(
        header_pairs(&typed.headers),
        pairs(&[
            ("content-type", "application/json"),
            ("vary", "accept, origin"),
            ("x-one", "1"),
        ])
    );
    assert!(typed.multi_value_headers.is_empty());
    assert_eq!(typed.body, Some(Body::Text(r#"{"ok":true}"#.to_owned())));
}

#[test]
fn function_urls_reply_like_http_apis() {
    let reply = reply_for("function-url/request.json", &binary());
    let expected = json!({
        "statusCode": 200,
        "headers": {"content-type": "image/png"},
        "cookies": [],
        "body": "iVBORw0KGgoA",
        "isBase64Encoded": true
    });
    assert_eq!(reply.to_string(), expected.to_string());
    let typed: LambdaFunctionUrlResponse = serde_json::from_value(reply).unwrap();
    assert_eq!(typed.status_code, 200);
    assert!(typed.cookies.is_empty());
    assert_eq!(typed.body.as_deref(), Some("iVBORw0KGgoA"));
    assert!(typed.is_base64_encoded);
}

#[test]
fn alb_single_value_headers() {
    let reply = reply_for("alb/request.json", &response());
    let expected = json!({
        "statusCode": 201,
        "statusDescription": "201 Created",
        // One value a name: each Set-Cookie under a spelling of its own, so none is lost.
        "headers": {"content-type": "application/json", "vary": "accept, origin", "x-one": "1", "set-cookie": "a=1; Path=/", "Set-cookie": "b=2"},
        "body": "{\"ok\":true}",
        "isBase64Encoded": false
    });
    assert_eq!(reply.to_string(), expected.to_string());
    let cookies: Vec<&str> = reply["headers"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, value)| value.as_str())
        .collect();
    assert_eq!(cookies, ["a=1; Path=/", "b=2"]);
    let typed: AlbTargetGroupResponse = serde_json::from_value(reply).unwrap();
    assert_eq!(typed.status_code, 201);
    assert_eq!(typed.status_description.as_deref(), Some("201 Created"));
    assert!(typed.multi_value_headers.is_empty());
}

#[test]
fn alb_multi_value_headers_only_when_the_request_had_them() {
    let reply = reply_for("alb/multi-value-request.json", &response());
    let expected = json!({
        "statusCode": 201,
        "statusDescription": "201 Created",
        "multiValueHeaders": {
            "content-type": ["application/json"],
            "set-cookie": ["a=1; Path=/", "b=2"],
            "vary": ["accept", "origin"],
            "x-one": ["1"]
        },
        "body": "{\"ok\":true}",
        "isBase64Encoded": false
    });
    assert_eq!(reply.to_string(), expected.to_string());
    let typed: AlbTargetGroupResponse = serde_json::from_value(reply).unwrap();
    assert!(typed.headers.is_empty());
    assert_eq!(
        typed
            .multi_value_headers
            .get_all("set-cookie")
            .iter()
            .collect::<Vec<_>>(),
        ["a=1; Path=/", "b=2"]
    );
}

#[test]
fn vpc_lattice() {
    let reply = reply_for("vpc-lattice/v2.json", &binary());
    let expected = json!({
        "statusCode": 200,
        "statusDescription": "200 OK",
        "headers": {"content-type": "image/png"},
        "body": "iVBORw0KGgoA",
        "isBase64Encoded": true
    });
    assert_eq!(reply.to_string(), expected.to_string());
    let typed: VpcLatticeResponse = serde_json::from_value(reply).unwrap();
    assert_eq!(typed.status_code, 200);
    assert_eq!(typed.body, Some(Body::Text("iVBORw0KGgoA".to_owned())));
    assert!(typed.is_base64_encoded);
    assert_eq!(reply_for("vpc-lattice/v1.json", &binary()), expected);
}

#[test]
fn unknown_status_codes_have_a_bare_description() {
    let response = Response::builder().status(599).body(Bytes::new()).unwrap();
    let reply = reply(
        &ReplyShape::new(HttpFormat::Alb),
        &response,
        &HttpOptions::default(),
    );
    assert_eq!(
        reply,
        json!({"statusCode": 599, "statusDescription": "599", "headers": {}, "body": "", "isBase64Encoded": false})
    );
}

/// The header lines a client gets from `reply`, as each source documents reading a reply:
/// API Gateway (REST and WebSocket) merges `headers` and `multiValueHeaders`, a pair found in
/// both once ("Output format of a Lambda function for proxy integration", API Gateway Developer
/// Guide); ALB reads `multiValueHeaders` when the target group enables multi-value headers and
/// `headers` otherwise ("Lambda functions as targets", Elastic Load Balancing User Guide); HTTP
/// APIs and function URLs send each of `cookies` as a `Set-Cookie`; VPC Lattice reads `headers`.
/// Names in any case; a joined value counts as each of its values (`Set-Cookie` is never joined).
fn client_sees(reply: &Value, shape: ReplyShape) -> Vec<(String, String)> {
    let strings = |field: &str| -> Vec<(String, String)> {
        reply[field].as_object().map_or_else(Vec::new, |map| {
            map.iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap().to_owned()))
                .collect()
        })
    };
    let lists = |field: &str| -> Vec<(String, String)> {
        reply[field].as_object().map_or_else(Vec::new, |map| {
            map.iter()
                .flat_map(|(k, v)| {
                    v.as_array()
                        .unwrap()
                        .iter()
                        .map(move |v| (k.to_ascii_lowercase(), v.as_str().unwrap().to_owned()))
                })
                .collect()
        })
    };
    let lines = match shape.format() {
        HttpFormat::ApiGatewayV1 | HttpFormat::Websocket => {
            let mut lines = lists("multiValueHeaders");
            for pair in strings("headers") {
                if !lines.contains(&pair) {
                    lines.push(pair);
                }
            }
            lines
        }
        HttpFormat::Alb if shape.multi_value_headers() => {
            assert!(reply.get("headers").is_none(), "{reply}");
            lists("multiValueHeaders")
        }
        HttpFormat::ApiGatewayV2 | HttpFormat::FunctionUrl => {
            let mut lines = strings("headers");
            let cookies = reply["cookies"].as_array().unwrap();
            lines.extend(
                cookies
                    .iter()
                    .map(|c| ("set-cookie".to_owned(), c.as_str().unwrap().to_owned())),
            );
            lines
        }
        _ => {
            assert!(reply.get("multiValueHeaders").is_none(), "{reply}");
            strings("headers")
        }
    };
    let mut values: Vec<(String, String)> = lines
        .into_iter()
        .flat_map(|(name, value)| {
            let parts: Vec<String> = match name.as_str() {
                "set-cookie" => vec![value],
                _ => value.split(", ").map(str::to_owned).collect(),
            };
            parts.into_iter().map(move |part| (name.clone(), part))
        })
        .collect();
    values.sort();
    values
}

#[test]
fn each_header_value_reaches_the_client_once() {
    // Mangum's case: `key1: value1` and `key1: value2` from the app, and two cookies.
    let response = Response::builder()
        .header("content-type", "text/plain; charset=utf-8")
        .header("key1", "value1")
        .header("set-cookie", "a=1; Path=/")
        .header("key1", "value2")
        .header("set-cookie", "b=2")
        .header("x-one", "1")
        .body(Bytes::from_static(b"hi"))
        .unwrap();
    let expected = pairs(&[
        ("content-type", "text/plain; charset=utf-8"),
        ("key1", "value1"),
        ("key1", "value2"),
        ("set-cookie", "a=1; Path=/"),
        ("set-cookie", "b=2"),
        ("x-one", "1"),
    ]);
    for fixture in [
        "apigw-v1/proxy.json",
        "apigw-v1/no-host.json",
        "apigw-v1/null-request-context.json",
        "websocket/message.json",
        "alb/request.json",
        "alb/multi-value-request.json",
        "apigw-v2/proxy.json",
        "function-url/request.json",
        "vpc-lattice/v1.json",
        "vpc-lattice/v2.json",
    ] {
        let (_, shape) = pass(fixture);
        let reply = reply(&shape, &response, &HttpOptions::default());
        assert_eq!(client_sees(&reply, shape), expected, "{fixture}: {reply}");
    }
    // A request without multi-value headers: the repeated header in multiValueHeaders alone.
    let (_, shape) = pass("apigw-v1/no-host.json");
    let reply = reply(&shape, &response, &HttpOptions::default());
    assert_eq!(
        reply["headers"],
        json!({"content-type": "text/plain; charset=utf-8", "x-one": "1"})
    );
    assert_eq!(
        reply["multiValueHeaders"],
        json!({"key1": ["value1", "value2"], "set-cookie": ["a=1; Path=/", "b=2"]})
    );
}

type Headers = &'static [(&'static str, &'static str)];

#[test]
fn text_or_base64_by_content_type_and_encoding() {
    let options = HttpOptions::default();
    let shape = ReplyShape::new(HttpFormat::ApiGatewayV2);
    // (response headers, body) → (reply body, isBase64Encoded)
    let cases: [(Headers, &[u8], &str, bool); 7] = [
        (
            &[("content-type", "text/html; charset=utf-8")],
            b"<p>hi</p>",
            "<p>hi</p>",
            false,
        ),
        (
            &[("content-type", "application/vnd.api+json")],
            b"{}",
            "{}",
            false,
        ),
        (
            &[("content-type", "image/svg+xml")],
            b"<svg/>",
            "<svg/>",
            false,
        ),
        (
            &[("content-type", "application/octet-stream")],
            b"hi",
            "aGk=",
            true,
        ),
        (
            &[("content-type", "text/plain"), ("content-encoding", "gzip")],
            b"hi",
            "aGk=",
            true,
        ),
        (&[("content-type", "text/plain")], b"\xff", "/w==", true),
        (&[], b"plain", "plain", false),
    ];
    for (headers, body, text, base64) in cases {
        let mut builder = Response::builder();
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let response = builder.body(Bytes::copy_from_slice(body)).unwrap();
        let reply = reply(&shape, &response, &options);
        assert_eq!(reply["body"], text, "{headers:?}");
        assert_eq!(reply["isBase64Encoded"], base64, "{headers:?}");
    }
    let only_json = HttpOptions::default()
        .with_text_content_types(["application/json"])
        .unwrap();
    let html = Response::builder()
        .header("content-type", "text/html")
        .body(Bytes::from_static(b"hi"))
        .unwrap();
    assert_eq!(reply(&shape, &html, &only_json)["body"], "aGk=");
}
