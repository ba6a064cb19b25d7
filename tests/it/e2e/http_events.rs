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
