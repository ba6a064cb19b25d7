//! HTTP events pass through as the request they describe; replies have their source's exact shape.

use aws_lambda_events::event::alb::AlbTargetGroupResponse;
use aws_lambda_events::event::apigw::{ApiGatewayProxyResponse, ApiGatewayV2httpResponse};
use aws_lambda_events::event::vpc_lattice::VpcLatticeResponse;
use bytes::Bytes;
use cloud_events_handler::passthrough::{reply, request, HttpOptions, ReplyShape};
use cloud_events_handler::rule::HttpFormat;
use cloud_events_handler::{Config, Echo, Event, Handler};
use http::Response;
use serde_json::{json, Value};

use crate::fixtures;

fn fixture(name: &str) -> Event {
    Event::from_slice(&fixtures::read(name)).unwrap()
}

fn pass(format: HttpFormat, name: &str) -> http::Request<Bytes> {
    request(format, &fixture(name), &HttpOptions::default())
        .unwrap()
        .request
}

fn header<'r>(request: &'r http::Request<Bytes>, name: &str) -> Vec<&'r str> {
    request
        .headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect()
}

#[test]
fn rest_api_v1() {
    let r = pass(HttpFormat::ApiGatewayV1, "apigw-v1/proxy.json");
    assert_eq!(r.method(), "POST");
    assert_eq!(
        r.uri(),
        "https://gy415nuibc.execute-api.us-east-1.amazonaws.com/hello/world?name=me"
    );
    assert_eq!(
        header(&r, "x-forwarded-for"),
        ["54.240.196.186, 54.182.214.83, 192.168.196.186"]
    );
    assert_eq!(header(&r, "x-forwarded-proto"), ["https"]);
    assert_eq!(header(&r, "headername"), ["headerValue"]);
    assert_eq!(r.body().as_ref(), b"{\r\n\t\"a\": 1\r\n}");
}

#[test]
fn rest_api_v1_keeps_query_order() {
    let event = Event::from_json(json!({
        "httpMethod": "GET", "path": "/search", "requestContext": {"stage": "prod"},
        "multiValueQueryStringParameters": {"z": ["1"], "a": ["2", "3 4"], "m": ["&="]}
    }));
    let r = request(HttpFormat::ApiGatewayV1, &event, &HttpOptions::default())
        .unwrap()
        .request;
    assert_eq!(
        r.uri().path_and_query().unwrap(),
        "/search?z=1&a=2&a=3%204&m=%26%3D"
    );
}

#[test]
fn http_api_v2_and_stages() {
    let r = pass(HttpFormat::ApiGatewayV2, "apigw-v2/stage-in-path.json");
    assert_eq!(r.uri(), "https://id.execute-api.us-east-1.amazonaws.com/my/path?parameter1=value1&parameter1=value2&parameter2=value");
    assert_eq!(header(&r, "cookie"), ["cookie1=value1; cookie2=value2"]);
    assert_eq!(r.body().as_ref(), b"Hello from Lambda");

    let keep = Config::parse("c.toml", "[http]\nkeep_stage = true\n").unwrap();
    let kept = request(
        HttpFormat::ApiGatewayV2,
        &fixture("apigw-v2/stage-in-path.json"),
        keep.http(),
    )
    .unwrap();
    assert_eq!(kept.request.uri().path(), "/Prod/my/path");

    let r = pass(HttpFormat::ApiGatewayV2, "apigw-v2/path-with-space.json");
    assert_eq!(r.uri().path(), "/my/path-with%20space");
}

#[test]
fn empty_cookies_add_no_cookie_header() {
    let event = Event::from_json(json!({
        "version": "2.0", "rawPath": "/", "rawQueryString": "", "cookies": [],
        "headers": {"host": "h.example"}, "requestContext": {"http": {"method": "GET"}, "stage": "$default"}
    }));
    let r = request(HttpFormat::ApiGatewayV2, &event, &HttpOptions::default())
        .unwrap()
        .request;
    assert!(r.headers().get("cookie").is_none());
    assert_eq!(r.uri(), "https://h.example/");
}

#[test]
fn function_url() {
    let r = pass(HttpFormat::FunctionUrl, "function-url/request.json");
    assert_eq!(r.method(), "GET");
    assert_eq!(r.uri(), "https://id.lambda-url.eu-west-2.on.aws/my/path?parameter1=value1&parameter1=value2&parameter2=value");
    assert_eq!(header(&r, "cookie"), ["test=hi"]);
    assert_eq!(header(&r, "x-forwarded-for"), ["65.78.31.245"]);
}

#[test]
fn alb_single_and_multi_value() {
    let r = pass(HttpFormat::Alb, "alb/multi-value-request.json");
    assert_eq!(r.uri(), "https://lambda-846800462-us-east-2.elb.amazonaws.com/?myKey=val1&myKey=val2&myOtherKey=val3&myOtherKey=val4");
    assert_eq!(header(&r, "cookie"), ["name1=value1; name2=value2"]);
    assert_eq!(r.body().as_ref(), b"request_body");
    // ALB passes the query still encoded: it is not encoded twice.
    let r = pass(HttpFormat::Alb, "alb/encoded-query.json");
    let query = r.uri().query().unwrap();
    assert!(!query.contains("%25"), "{query}");
}

#[test]
fn base_path_is_stripped_by_segment() {
    let config = Config::parse("c.toml", "[http]\nbase_path = \"/hello\"\n").unwrap();
    let r = request(
        HttpFormat::ApiGatewayV1,
        &fixture("apigw-v1/proxy.json"),
        config.http(),
    )
    .unwrap()
    .request;
    assert_eq!(r.uri().path(), "/world");
    let config = Config::parse("c.toml", "[http]\nbase_path = \"/hel\"\n").unwrap();
    let r = request(
        HttpFormat::ApiGatewayV1,
        &fixture("apigw-v1/proxy.json"),
        config.http(),
    )
    .unwrap()
    .request;
    assert_eq!(r.uri().path(), "/hello/world");
}

#[test]
fn base64_bodies_decode_and_invalid_ones_are_errors() {
    let r = pass(HttpFormat::VpcLattice, "vpc-lattice/v2-base64.json");
    assert!(!r.body().is_empty());
    let event = Event::from_json(
        json!({"httpMethod": "POST", "path": "/", "requestContext": {}, "body": "***", "isBase64Encoded": true}),
    );
    let err = request(HttpFormat::ApiGatewayV1, &event, &HttpOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the api-gateway-v1 event's body is marked base64 but is not: Invalid symbol 42, offset 0."
    );
}

#[test]
fn hostile_headers_and_spoofed_ceh_headers() {
    let event = Event::from_json(json!({
        "httpMethod": "GET", "path": "/", "requestContext": {},
        "headers": {"ceh-rule": "s3", "x-ok": "1"}
    }));
    let r = request(HttpFormat::ApiGatewayV1, &event, &HttpOptions::default())
        .unwrap()
        .request;
    assert!(
        r.headers().get("ceh-rule").is_none(),
        "only ceh sets ceh-* headers"
    );
    let bad = Event::from_json(
        json!({"httpMethod": "GET", "path": "/", "requestContext": {}, "headers": {"x-bad": "a\r\nb"}}),
    );
    let err = request(HttpFormat::ApiGatewayV1, &bad, &HttpOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), "the api-gateway-v1 event's request is invalid: the `x-bad` header's value has characters HTTP cannot carry");
}

fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Response<Bytes> {
    let mut builder = Response::builder().status(status);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    builder.body(Bytes::copy_from_slice(body)).unwrap()
}

#[test]
fn reply_shapes() {
    let options = HttpOptions::default();
    let app = response(
        201,
        &[
            ("content-type", "text/plain"),
            ("set-cookie", "a=1"),
            ("set-cookie", "b=2"),
            ("x-one", "1"),
        ],
        b"made",
    );

    let v1 = reply(
        &ReplyShape {
            format: HttpFormat::ApiGatewayV1,
            multi_value: false,
        },
        &app,
        &options,
    );
    assert_eq!(
        v1,
        json!({"statusCode": 201, "headers": {"content-type": "text/plain", "x-one": "1"},
                          "multiValueHeaders": {"set-cookie": ["a=1", "b=2"]}, "body": "made", "isBase64Encoded": false})
    );
    let parsed: ApiGatewayProxyResponse = serde_json::from_value(v1).unwrap();
    assert_eq!(parsed.status_code, 201);

    let v1_multi = reply(
        &ReplyShape {
            format: HttpFormat::ApiGatewayV1,
            multi_value: true,
        },
        &app,
        &options,
    );
    assert_eq!(
        v1_multi["multiValueHeaders"],
        json!({"content-type": ["text/plain"], "set-cookie": ["a=1", "b=2"], "x-one": ["1"]})
    );
    assert!(v1_multi.get("headers").is_none());

    let v2 = reply(
        &ReplyShape {
            format: HttpFormat::ApiGatewayV2,
            multi_value: false,
        },
        &app,
        &options,
    );
    assert_eq!(
        v2,
        json!({"statusCode": 201, "headers": {"content-type": "text/plain", "x-one": "1"},
                          "cookies": ["a=1", "b=2"], "body": "made", "isBase64Encoded": false})
    );
    let parsed: ApiGatewayV2httpResponse = serde_json::from_value(v2).unwrap();
    assert_eq!(parsed.cookies, ["a=1", "b=2"]);

    let alb = reply(
        &ReplyShape {
            format: HttpFormat::Alb,
            multi_value: false,
        },
        &app,
        &options,
    );
    assert_eq!(
        alb,
        json!({"statusCode": 201, "statusDescription": "201 Created",
                           "headers": {"content-type": "text/plain", "set-cookie": "a=1, b=2", "x-one": "1"}, "body": "made", "isBase64Encoded": false})
    );
    let parsed: AlbTargetGroupResponse = serde_json::from_value(alb).unwrap();
    assert_eq!(parsed.status_description.as_deref(), Some("201 Created"));
    let alb_multi = reply(
        &ReplyShape {
            format: HttpFormat::Alb,
            multi_value: true,
        },
        &app,
        &options,
    );
    assert_eq!(
        alb_multi["multiValueHeaders"]["set-cookie"],
        json!(["a=1", "b=2"])
    );
    assert!(alb_multi.get("headers").is_none());

    let lattice = reply(
        &ReplyShape {
            format: HttpFormat::VpcLattice,
            multi_value: false,
        },
        &app,
        &options,
    );
    let parsed: VpcLatticeResponse = serde_json::from_value(lattice).unwrap();
    assert_eq!(parsed.status_code, 201);
}

#[test]
fn binary_bodies_are_base64() {
    let options = HttpOptions::default();
    let shape = ReplyShape {
        format: HttpFormat::ApiGatewayV2,
        multi_value: false,
    };
    let png = response(
        200,
        &[("content-type", "image/png")],
        &[0x89, b'P', b'N', b'G'],
    );
    assert_eq!(reply(&shape, &png, &options)["body"], "iVBORw==");
    assert_eq!(reply(&shape, &png, &options)["isBase64Encoded"], true);
    let gzip = response(
        200,
        &[
            ("content-type", "application/json"),
            ("content-encoding", "gzip"),
        ],
        b"{}",
    );
    assert_eq!(reply(&shape, &gzip, &options)["isBase64Encoded"], true);
    for text in [
        "application/json; charset=utf-8",
        "text/html",
        "application/vnd.api+json",
        "image/svg+xml",
        "application/problem+xml",
    ] {
        let r = response(200, &[("content-type", text)], b"<x/>");
        assert_eq!(
            reply(&shape, &r, &options)["isBase64Encoded"],
            false,
            "{text}"
        );
    }
}

#[test]
fn every_http_fixture_passes_through_the_echo_app() {
    let handler = Handler::new(Config::default());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    for (file, expected) in fixtures::expected() {
        if expected.kind != "http" {
            continue;
        }
        let event = fixture(&file);
        let reply: Value = runtime
            .block_on(handler.handle(&event, Echo))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(reply["statusCode"], 200, "{file}: {reply}");
        let seen: Value = serde_json::from_str(reply["body"].as_str().unwrap()).unwrap();
        let explained = handler.explain(&event).unwrap();
        assert_eq!(seen["path"], explained.requests()[0].uri().path(), "{file}");
    }
}

#[test]
fn an_invalid_body_gets_a_400_reply_not_an_invocation_error() {
    let handler = Handler::new(Config::default());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let event = Event::from_json(
        json!({"version": "2.0", "rawPath": "/", "rawQueryString": "", "body": "%%%", "isBase64Encoded": true,
        "headers": {}, "requestContext": {"http": {"method": "POST"}, "stage": "$default", "domainName": "x.execute-api.eu-west-1.amazonaws.com"}}),
    );
    let reply = runtime.block_on(handler.handle(&event, Echo)).unwrap();
    assert_eq!(reply["statusCode"], 400);
    assert_eq!(reply["body"], "the api-gateway-v2 event's body is marked base64 but is not: Invalid symbol 37, offset 0.\n");
}
