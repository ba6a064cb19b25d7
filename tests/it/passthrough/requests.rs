//! Each format's real fixtures become exactly the requests they describe.

use bytes::Bytes;
use cloud_events_handler::passthrough::HttpFormat;
use cloud_events_handler::passthrough::{request, HttpOptions, RawEvent, ReplyShape};
use serde_json::json;

use super::upstream;

/// The format a fixture's directory holds.
pub fn format_of(name: &str) -> HttpFormat {
    match name.split('/').next() {
        Some("apigw-v1") => HttpFormat::ApiGatewayV1,
        Some("apigw-v2") => HttpFormat::ApiGatewayV2,
        Some("alb") => HttpFormat::Alb,
        Some("function-url") => HttpFormat::FunctionUrl,
        Some("websocket") => HttpFormat::Websocket,
        Some("vpc-lattice") => HttpFormat::VpcLattice,
        _ => panic!("{name}: no HTTP format"),
    }
}

pub fn pass(name: &str) -> (http::Request<Bytes>, ReplyShape) {
    let event = upstream::event(name);
    let passed = request(format_of(name), &event, &HttpOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    (passed.request, passed.shape)
}

/// Every header, in order, as `(name, value)`.
pub fn headers(request: &http::Request<Bytes>) -> Vec<(String, String)> {
    request
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect()
}

pub fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The compact JSON of the fixture's field, as the context headers carry it.
fn compact(name: &str, field: &str) -> String {
    upstream::event(name).json()[field].to_string()
}

#[test]
fn every_fixture_passes_through_but_the_templated_console_sample() {
    for name in upstream::names() {
        let event = upstream::event(name);
        let result = request(format_of(name), &event, &HttpOptions::default());
        if name == "apigw-v1/console.json" {
            let err = result.unwrap_err();
            assert_eq!(
                err.to_string(),
                "api-gateway-v1 event: `headers.host` is not a host name (with an optional port): \"1234567890.execute-api.{dns_suffix}\""
            );
            assert!(err.is_bad_request());
            continue;
        }
        let passed = result.unwrap_or_else(|e| panic!("{name}: {e}"));
        let RawEvent(raw) = passed.request.extensions().get::<RawEvent>().unwrap();
        assert_eq!(raw.bytes(), event.bytes(), "{name}");
        assert_eq!(passed.shape.format(), format_of(name), "{name}");
        assert!(
            passed.request.uri().scheme().is_some(),
            "{name}: absolute URI"
        );
    }
}

#[test]
fn rest_api_v1() {
    let name = "apigw-v1/proxy.json";
    let (r, shape) = pass(name);
    assert_eq!(r.method(), "POST");
    assert_eq!(
        r.uri(),
        "https://gy415nuibc.execute-api.us-east-1.amazonaws.com/hello/world?name=me"
    );
    assert!(shape.multi_value_headers());
    let context = compact(name, "requestContext");
    let expected = pairs(&[
        ("accept", "*/*"),
        ("accept-encoding", "gzip, deflate"),
        ("cache-control", "no-cache"),
        ("cloudfront-forwarded-proto", "https"),
        ("cloudfront-is-desktop-viewer", "true"),
        ("cloudfront-is-mobile-viewer", "false"),
        ("cloudfront-is-smarttv-viewer", "false"),
        ("cloudfront-is-tablet-viewer", "false"),
        ("cloudfront-viewer-country", "US"),
        ("content-type", "application/json"),
        ("headername", "headerValue"),
        ("host", "gy415nuibc.execute-api.us-east-1.amazonaws.com"),
        ("postman-token", "9f583ef0-ed83-4a38-aef3-eb9ce3f7a57f"),
        ("user-agent", "PostmanRuntime/2.4.5"),
        (
            "via",
            "1.1 d98420743a69852491bbdea73f7680bd.cloudfront.net (CloudFront)",
        ),
        (
            "x-amz-cf-id",
            "pn-PWIJc6thYnZm5P0NMgOUglL1DYtl0gdeJky8tqsg8iS_sgsKD1A==",
        ),
        (
            "x-forwarded-for",
            "54.240.196.186, 54.182.214.83, 192.168.196.186",
        ),
        ("x-forwarded-port", "443"),
        ("x-forwarded-proto", "https"),
        ("content-length", "13"),
        ("ceh-request-context", &context),
        (
            "ceh-stage-variables",
            r#"{"stageVariableName":"stageVariableValue"}"#,
        ),
    ]);
    assert_eq!(headers(&r), expected);
    assert!(context.starts_with(r#"{"accountId":"12345678912","resourceId":"roq9wj","#));
    assert_eq!(r.body().as_ref(), b"{\r\n\t\"a\": 1\r\n}");
}

#[test]
fn rest_api_v1_keeps_the_query_order_and_multi_values() {
    let (r, _) = pass("apigw-v1/multi-value-proxy.json");
    assert_eq!(
        r.uri().query(),
        Some("name=me&multiValueName=you&multiValueName=me")
    );
    let event = cloud_events_handler::Event::from_json(json!({
        "httpMethod": "GET", "path": "/search",
        "requestContext": {"httpMethod": "GET", "stage": "prod"},
        "queryStringParameters": {"z": "1", "a": "3 4", "m": "&="},
        "multiValueQueryStringParameters": {"z": ["1"], "a": ["2", "3 4"], "m": ["&="]}
    }));
    let r = request(HttpFormat::ApiGatewayV1, &event, &HttpOptions::default())
        .unwrap()
        .request;
    assert_eq!(r.uri(), "https://localhost/search?z=1&a=2&a=3%204&m=%26%3D");
}

#[test]
fn rest_api_v1_without_multi_value_headers() {
    let (r, shape) = pass("apigw-v1/no-host.json");
    assert!(!shape.multi_value_headers());
    assert_eq!(r.method(), "GET");
    assert_eq!(r.uri(), "https://localhost/hello?name=me");
    assert_eq!(r.headers()["host"], "localhost");
}

#[test]
fn http_api_v2() {
    let name = "apigw-v2/proxy.json";
    let (r, shape) = pass(name);
    assert_eq!(r.method(), "POST");
    assert_eq!(
        r.uri(),
        "https://id.execute-api.us-east-1.amazonaws.com/my/path?parameter1=value1&parameter1=value2&parameter2=value"
    );
    assert!(!shape.multi_value_headers());
    let context = compact(name, "requestContext");
    let expected = pairs(&[
        ("header1", "value1"),
        ("header2", "value2"),
        ("cookie", "cookie1=value1; cookie2=value2"),
        ("content-length", "17"),
        ("host", "id.execute-api.us-east-1.amazonaws.com"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-port", "443"),
        ("ceh-request-context", &context),
        (
            "ceh-stage-variables",
            r#"{"stageVariable1":"value1","stageVariable2":"value2"}"#,
        ),
    ]);
    assert_eq!(headers(&r), expected);
    assert_eq!(r.body().as_ref(), b"Hello from Lambda");
}

#[test]
fn http_api_v2_paths_are_escaped() {
    let (r, _) = pass("apigw-v2/path-with-space.json");
    assert_eq!(r.uri().path(), "/my/path-with%20space");
    let (r, _) = pass("apigw-v2/sam-local.json");
    assert_eq!(r.uri(), "http://127.0.0.1:3000/dump?foo=bar");
    assert_eq!(r.headers()["x-forwarded-port"], "3000");
}

#[test]
fn function_url() {
    let name = "function-url/request.json";
    let (r, shape) = pass(name);
    assert_eq!(shape.format(), HttpFormat::FunctionUrl);
    assert_eq!(r.method(), "GET");
    assert_eq!(
        r.uri(),
        "https://id.lambda-url.eu-west-2.on.aws/my/path?parameter1=value1&parameter1=value2&parameter2=value"
    );
    let context = compact(name, "requestContext");
    // The event has both `cookies` and a `cookie` header: the list wins, once.
    let expected = pairs(&[
        ("x-amzn-tls-cipher-suite", "ECDHE-RSA-AES128-GCM-SHA256"),
        ("x-amzn-tls-version", "TLSv1.2"),
        (
            "x-amzn-trace-id",
            "Root=1-5eb33c07-de25b420912dee103a5db434",
        ),
        ("cookie", "test=hi"),
        ("x-forwarded-proto", "https"),
        ("host", "id.lambda-url.eu-west-2.on.aws"),
        ("x-forwarded-port", "443"),
        ("x-forwarded-for", "65.78.31.245"),
        ("accept", "*/*"),
        ("user-agent", "curl/7.68.0"),
        ("ceh-request-context", &context),
    ]);
    assert_eq!(headers(&r), expected);
    assert!(r.body().is_empty());
}

#[test]
fn alb_multi_value_headers() {
    let (r, shape) = pass("alb/multi-value-headers.json");
    assert!(shape.multi_value_headers());
    assert_eq!(r.method(), "GET");
    assert_eq!(
        r.uri(),
        "http://lambda-test-alb-1234567.us-east-1.elb.amazonaws.com/?key=hello"
    );
    let expected = pairs(&[
        ("accept", "*/*"),
        ("connection", "keep-alive"),
        (
            "host",
            "lambda-test-alb-1234567.us-east-1.elb.amazonaws.com",
        ),
        ("user-agent", "curl/7.54.0"),
        (
            "x-amzn-trace-id",
            "Root=1-5c34e7d4-00ca239424b68028d4c56d68",
        ),
        ("x-forwarded-for", "72.21.198.67"),
        ("x-forwarded-port", "80"),
        ("x-forwarded-proto", "http"),
        ("x-imforwards", "20"),
        ("x-myheader", "123"),
        ("content-length", "9"),
        (
            "ceh-request-context",
            r#"{"elb":{"targetGroupArn":"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambda-target/abcdefgh"}}"#,
        ),
    ]);
    assert_eq!(headers(&r), expected);
    assert_eq!(r.body().as_ref(), b"Some text");
}

#[test]
fn alb_query_strings_stay_as_sent() {
    // ALB does not decode parameters: `%3F` is the client's, kept once-encoded.
    let (r, shape) = pass("alb/encoded-query.json");
    assert!(!shape.multi_value_headers());
    assert_eq!(
        r.uri(),
        "https://lambda-846800462-us-east-2.elb.amazonaws.com/?myKey=%3FshowAll%3Dtrue"
    );
    let (r, shape) = pass("alb/multi-value-encoded-query.json");
    assert!(shape.multi_value_headers());
    assert_eq!(
        r.uri().query(),
        Some("myKey=%3FshowAll%3Dtrue&myKey=%3FshowAll%3Dfalse")
    );
    let (r, _) = pass("alb/multi-value-request.json");
    assert_eq!(
        r.uri().query(),
        Some("myKey=val1&myKey=val2&myOtherKey=val3&myOtherKey=val4")
    );
}

#[test]
fn alb_without_a_host() {
    let (r, _) = pass("alb/health-check.json");
    assert_eq!(r.uri(), "http://localhost/");
    assert_eq!(r.headers()["host"], "localhost");
    assert_eq!(r.headers()["x-forwarded-proto"], "http");
    assert!(!r.headers().contains_key("x-forwarded-port"));
}

#[test]
fn websocket() {
    let (r, shape) = pass("websocket/message.json");
    assert!(shape.multi_value_headers());
    assert_eq!(r.method(), "POST");
    // `multiValueHeaders` is the full set; its Host wins over `headers`'.
    assert_eq!(
        r.uri(),
        "https://*.execute-api.eu-central-1.amazonaws.com/hello/world?name=me"
    );
    assert_eq!(r.headers()["sec-websocket-version"], "13");
    assert_eq!(r.headers()["x-forwarded-for"], "*.*.*.*, 192.168.196.186");
    assert_eq!(r.body().as_ref(), b"{\r\n\t\"a\": 1\r\n}");

    let (r, _) = pass("websocket/disconnect.json");
    assert_eq!(r.method(), "GET");
    assert_eq!(
        r.uri(),
        "https://abcd1234.execute-api.us-east-1.amazonaws.com/"
    );
    let context = r.headers()["ceh-request-context"].to_str().unwrap();
    assert!(context.contains(r#""routeKey":"$disconnect""#), "{context}");
}

#[test]
fn vpc_lattice_v1_keeps_comma_joined_headers_whole() {
    let (r, shape) = pass("vpc-lattice/v1.json");
    assert_eq!(shape.format(), HttpFormat::VpcLattice);
    assert_eq!(r.method(), "POST");
    assert_eq!(
        r.uri(),
        "http://localhost/api/product?category=electronics&sort=price&limit=10&tags=tv"
    );
    let expected = pairs(&[
        ("accept", "*/*"),
        ("user-agent", "curl/7.68.0"),
        ("x-forwarded-for", "10.0.2.100"),
        ("authorization", "Bearer abc123def456"),
        ("multi", "abcd, DEF"),
        ("content-length", "30"),
        ("host", "localhost"),
        ("x-forwarded-proto", "http"),
    ]);
    assert_eq!(headers(&r), expected);
    assert_eq!(r.body().as_ref(), br#"{"id": 5, "description": "TV"}"#);
}

#[test]
fn vpc_lattice_v2() {
    let (r, _) = pass("vpc-lattice/v2.json");
    assert_eq!(r.method(), "GET");
    assert_eq!(
        r.uri(),
        "http://localhost/health?state=prod&multi=a&multi=DEF&multi=g"
    );
    assert_eq!(
        r.headers().get_all("multi").iter().collect::<Vec<_>>(),
        ["x", "y"]
    );
    let (r, _) = pass("vpc-lattice/v2-encoded-query.json");
    assert_eq!(
        r.uri(),
        "http://api.example.com/search?filter=%3FshowAll%3Dtrue&q=hello%20world"
    );
}

#[test]
fn vpc_lattice_v2_binary_body() {
    let (r, _) = pass("vpc-lattice/v2-base64.json");
    // base64 -d of the fixture's body, done independently.
    let expected: &[u8] = &[
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xed, 0xc1, 0x31, 0x01, 0x00,
        0x00, 0x00, 0xc2, 0xa0, 0xf5, 0x4f, 0x6d, 0x0c, 0x1f, 0xa0, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0xb7, 0x01, 0x86, 0xd2,
        0x54, 0xab, 0x00, 0x40, 0x00, 0x00,
    ];
    assert_eq!(r.body().as_ref(), expected);
    // The event's `content-length: 1024` described the client's body, not the decoded one.
    assert_eq!(r.headers()["content-length"], "51");
    assert_eq!(r.headers()["content-encoding"], "gzip");
}

/// A fixture's JSON with `change` applied, through the whole table: the rule it matches
/// and the request it becomes, or the error.
fn patched(name: &str, change: impl FnOnce(&mut serde_json::Value)) -> Result<String, String> {
    let mut json: serde_json::Value = serde_json::from_slice(&crate::fixtures::read(name)).unwrap();
    change(&mut json);
    let event = cloud_events_handler::Event::from_json(json);
    let handler = cloud_events_handler::Handler::new(cloud_events_handler::Config::default());
    let plan = handler.explain(&event).map_err(|e| e.to_string())?;
    let request = plan.requests().first().ok_or("no request")?;
    Ok(format!(
        "{} {} {}",
        plan.rule().name(),
        request.method(),
        request.uri().path()
    ))
}

/// A fixture, a change to it, and what it must become.
type Case = (
    &'static str,
    Box<dyn FnOnce(&mut serde_json::Value)>,
    &'static str,
);

#[test]
fn what_consoles_and_tools_send_passes_through() {
    let cases: Vec<Case> = vec![
        (
            "alb/request.json",
            Box::new(|j| {
                j["multiValueQueryStringParameters"] = json!(null);
                j["multiValueHeaders"] = json!(null);
            }),
            "alb GET /",
        ),
        (
            "apigw-v1/proxy.json",
            Box::new(|j| {
                j["requestContext"]
                    .as_object_mut()
                    .unwrap()
                    .remove("httpMethod");
            }),
            "apigateway-v1 POST /hello/world",
        ),
        (
            "apigw-v1/proxy.json",
            Box::new(|j| j["pathParameters"] = json!("proxy")),
            "apigateway-v1 POST /hello/world",
        ),
        (
            "apigw-v1/proxy.json",
            Box::new(|j| {
                j.as_object_mut().unwrap().remove("requestContext");
            }),
            "apigateway-v1 POST /hello/world",
        ),
        (
            "websocket/message.json",
            Box::new(|j| {
                j["requestContext"]
                    .as_object_mut()
                    .unwrap()
                    .remove("connectedAt");
            }),
            "apigateway-websocket POST /hello/world",
        ),
        (
            "apigw-v1/proxy.json",
            Box::new(|j| j["requestContext"] = json!(null)),
            "apigateway-v1 POST /hello/world",
        ),
        (
            "apigw-v1/proxy.json",
            Box::new(|j| j["requestContext"]["identity"] = json!(null)),
            "apigateway-v1 POST /hello/world",
        ),
        (
            "websocket/message.json",
            Box::new(|j| j["requestContext"]["identity"] = json!(null)),
            "apigateway-websocket POST /hello/world",
        ),
    ];
    for (name, change, expected) in cases {
        assert_eq!(patched(name, change).as_deref(), Ok(expected), "{name}");
    }
}

#[test]
fn a_shape_error_names_the_json_path_of_the_field_at_fault() {
    let err = patched("apigw-v1/proxy.json", |j| {
        j["requestContext"]["identity"] = json!(5)
    })
    .unwrap_err();
    assert!(
        err.contains("api-gateway-v1 event: does not have the api-gateway-v1 shape: `requestContext.identity`: invalid type: integer `5`"),
        "{err}"
    );
    let err = patched("alb/request.json", |j| {
        j["multiValueQueryStringParameters"] = json!(7)
    })
    .unwrap_err();
    assert!(
        err.contains(
            "`multiValueQueryStringParameters`: invalid type: integer `7`, expected an object"
        ),
        "{err}"
    );
    assert!(!err.contains("QueryMap"), "{err}");
    // Read leniently (a map that means "none", a context lent its method), the path is the same.
    let err = patched("apigw-v1/proxy.json", |j| {
        j["queryStringParameters"] = json!(null);
        j["requestContext"]
            .as_object_mut()
            .unwrap()
            .remove("httpMethod");
        j["requestContext"]["identity"] = json!(5)
    })
    .unwrap_err();
    assert!(
        err.contains("`requestContext.identity`: invalid type: integer `5`"),
        "{err}"
    );
    let err = patched("apigw-v1/proxy.json", |j| {
        j["multiValueHeaders"] = json!(null);
        j["isBase64Encoded"] = json!("no")
    })
    .unwrap_err();
    assert!(
        err.contains("`isBase64Encoded`: invalid type: string"),
        "{err}"
    );
}

#[test]
fn a_rest_request_with_a_null_context_passes_through_as_its_fields_say() {
    // apig-wsgi's tests send `"requestContext": null`; the request is in the other fields.
    let (r, shape) = pass("apigw-v1/null-request-context.json");
    assert_eq!(r.method(), "PUT");
    assert_eq!(r.uri(), "https://orders.example.org/orders/1207?notify=yes");
    assert_eq!(r.body().as_ref(), br#"{"qty":3}"#);
    assert_eq!(
        r.headers().get_all("x-tag").iter().collect::<Vec<_>>(),
        ["blue", "green"]
    );
    assert_eq!(r.headers()["content-length"], "9");
    // No context: nothing to carry, and no client address to forward.
    assert!(r.headers().get("ceh-request-context").is_none());
    assert!(r.headers().get("x-forwarded-for").is_none());
    assert!(shape.multi_value_headers());
}

#[test]
fn objects_a_request_is_made_of_stay_required() {
    // A WebSocket context says which connection and event; ALB's `elb` and Lattice's context are
    // always sent (the rules read them); the 2.0 formats' method is in `requestContext.http`.
    let cases = [
        (
            "websocket/message.json",
            "requestContext",
            "`requestContext`: invalid type: null",
        ),
        (
            "alb/request.json",
            "requestContext.elb",
            "`requestContext.elb`: invalid type: null",
        ),
        (
            "apigw-v2/proxy.json",
            "requestContext.http",
            "`requestContext.http`: invalid type: null",
        ),
        (
            "function-url/request.json",
            "requestContext.http",
            "`requestContext.http`: invalid type: null",
        ),
        (
            "vpc-lattice/v2.json",
            "requestContext",
            "`requestContext`: invalid type: null",
        ),
    ];
    for (name, field, reason) in cases {
        let mut json: serde_json::Value =
            serde_json::from_slice(&crate::fixtures::read(name)).unwrap();
        match field.split_once('.') {
            Some((outer, inner)) => json[outer][inner] = json!(null),
            None => json[field] = json!(null),
        }
        let event = cloud_events_handler::Event::from_json(json);
        let err = request(format_of(name), &event, &HttpOptions::default()).unwrap_err();
        assert!(err.to_string().contains(reason), "{name}: {err}");
    }
}
