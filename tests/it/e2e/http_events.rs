//! HTTP events through the emulator, `ceh lambda` and the Flask app: the request the
//! event describes goes through, and the reply has the exact shape its source requires.

use aws_lambda_events::event::alb::AlbTargetGroupResponse;
use aws_lambda_events::event::apigw::{ApiGatewayProxyResponse, ApiGatewayV2httpResponse};

use super::harness::{ceh_lambda, flask, inner, Emulator};

#[test]
fn api_gateway_alb_and_function_urls() {
    let emulator = Emulator::start();
    let (_app, port) = flask(0);
    let _ceh = ceh_lambda(
        &emulator,
        &[("APP", format!("http://127.0.0.1:{port}"))],
        &[],
    );

    let reply = emulator.invoke_fixture("apigw-v1/proxy.json").unwrap();
    let parsed: ApiGatewayProxyResponse = serde_json::from_value(reply.clone()).unwrap();
    assert_eq!(parsed.status_code, 200);
    // The event had multiValueHeaders, so the reply has them, both cookies included.
    assert_eq!(
        reply["multiValueHeaders"]["set-cookie"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "{reply}"
    );
    let seen = inner(&reply, "body");
    assert_eq!(seen["path"], "/hello/world");
    assert_eq!(seen["query"], "name=me");
    assert_eq!(
        seen["headers"]["x-forwarded-proto"],
        serde_json::json!(["https"])
    );

    let reply = emulator.invoke_fixture("apigw-v2/proxy.json").unwrap();
    let parsed: ApiGatewayV2httpResponse = serde_json::from_value(reply.clone()).unwrap();
    assert_eq!(parsed.status_code, 200);
    assert_eq!(parsed.cookies, ["seen=1; Path=/", "path=my/path; Path=/"]);
    let seen = inner(&reply, "body");
    assert_eq!(seen["path"], "/my/path");
    assert_eq!(seen["body"], "Hello from Lambda");

    let reply = emulator
        .invoke_fixture("function-url/request.json")
        .unwrap();
    let parsed: ApiGatewayV2httpResponse = serde_json::from_value(reply.clone()).unwrap();
    assert_eq!(parsed.status_code, 200);
    assert_eq!(inner(&reply, "body")["method"], "GET");

    let reply = emulator.invoke_fixture("alb/request.json").unwrap();
    let parsed: AlbTargetGroupResponse = serde_json::from_value(reply.clone()).unwrap();
    assert_eq!(parsed.status_description.as_deref(), Some("200 OK"));
    assert!(reply.get("multiValueHeaders").is_none(), "{reply}");
    let reply = emulator
        .invoke_fixture("alb/multi-value-request.json")
        .unwrap();
    assert!(reply.get("headers").is_none(), "{reply}");
    assert_eq!(
        inner(&reply, "body")["query"],
        "myKey=val1&myKey=val2&myOtherKey=val3&myOtherKey=val4"
    );

    // An app's 500 to an HTTP event is an HTTP answer, not an invocation error.
    let reply = emulator.invoke(br#"{"version": "2.0", "rawPath": "/fail", "rawQueryString": "", "headers": {"host": "h"},
        "requestContext": {"http": {"method": "POST", "sourceIp": "127.0.0.1"}, "stage": "$default"}}"#).unwrap();
    assert_eq!(reply["statusCode"], 500);
}

#[test]
fn no_cookie_is_lost_on_the_way_in_or_out() {
    let emulator = Emulator::start();
    let (_app, port) = flask(0);
    let _ceh = ceh_lambda(
        &emulator,
        &[("APP", format!("http://127.0.0.1:{port}"))],
        &[],
    );
    // The console's test invoke: `"multiValueHeaders": null`. Both of Flask's cookies survive.
    let mut rest: serde_json::Value =
        serde_json::from_slice(&crate::fixtures::read("apigw-v1/proxy.json")).unwrap();
    rest["multiValueHeaders"] = serde_json::Value::Null;
    rest["multiValueQueryStringParameters"] = serde_json::Value::Null;
    let reply = emulator.invoke(rest.to_string().as_bytes()).unwrap();
    let parsed: ApiGatewayProxyResponse = serde_json::from_value(reply.clone()).unwrap();
    assert_eq!(parsed.status_code, 200);
    assert_eq!(
        parsed
            .multi_value_headers
            .get_all("set-cookie")
            .iter()
            .count(),
        2,
        "{reply}"
    );
    // ALB without multi-value headers: one value a name, each cookie under a spelling of its own.
    let reply = emulator.invoke_fixture("alb/request.json").unwrap();
    let cookies = reply["headers"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .count();
    assert_eq!(cookies, 2, "{reply}");
    let _: AlbTargetGroupResponse = serde_json::from_value(reply).unwrap();
    // A v2 event with a Cookie header and a cookies list: the app gets all of them.
    let mut v2: serde_json::Value =
        serde_json::from_slice(&crate::fixtures::read("apigw-v2/proxy.json")).unwrap();
    v2["headers"]["cookie"] = serde_json::json!("from-header=1");
    v2["cookies"] = serde_json::json!(["from-list=2"]);
    let reply = emulator.invoke(v2.to_string().as_bytes()).unwrap();
    let seen = inner(&reply, "body");
    assert_eq!(
        seen["headers"]["cookie"],
        serde_json::json!(["from-header=1; from-list=2"])
    );
}

#[test]
fn http_options_shape_what_the_app_sees_and_what_the_client_gets() {
    let emulator = Emulator::start();
    let (_app, port) = flask(0);
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        config.path(),
        "[http]\nbase_path = \"/api\"\nexclude_headers = [\"Server\"]\ntext_content_types = [\"application/vnd.custom\"]\nbase64 = \"never\"\n",
    )
    .unwrap();
    let _ceh = ceh_lambda(
        &emulator,
        &[
            ("APP", format!("http://127.0.0.1:{port}")),
            ("CEH_CONFIG", config.path().display().to_string()),
        ],
        &[],
    );
    let mut v2: serde_json::Value =
        serde_json::from_slice(&crate::fixtures::read("apigw-v2/proxy.json")).unwrap();
    v2["rawPath"] = serde_json::json!("/api/orders");
    let reply = emulator.invoke(v2.to_string().as_bytes()).unwrap();
    let parsed: ApiGatewayV2httpResponse = serde_json::from_value(reply.clone()).unwrap();
    assert_eq!(parsed.status_code, 200);
    // Werkzeug's `Server` header is left out; the JSON body, not a text type here, is still
    // text because base64 = "never".
    assert!(reply["headers"].get("server").is_none(), "{reply}");
    assert_eq!(reply["isBase64Encoded"], false);
    let seen = inner(&reply, "body");
    assert_eq!(seen["path"], "/orders");
    assert_eq!(
        seen["headers"]["x-forwarded-prefix"],
        serde_json::json!(["/api"])
    );
}
