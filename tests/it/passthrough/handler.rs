//! HTTP events through the whole handler: classify, pass through, app, reply.

use cloud_events_handler::{Config, Echo, Event, Handler, Reply};
use serde_json::{json, Value};

use crate::fixtures;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

#[test]
fn every_http_fixture_reaches_the_echo_app_as_its_request() {
    let handler = Handler::new(Config::default());
    let runtime = runtime();
    let mut checked = 0;
    for (file, expected) in fixtures::expected() {
        if expected.kind != "http" {
            continue;
        }
        let event = Event::from_slice(&fixtures::read(&file)).unwrap();
        let reply: Value = runtime
            .block_on(handler.handle(&event, Echo))
            .map(Reply::into_json)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let explained = handler
            .explain(&event)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        if let Some(refusal) = explained.refusal() {
            // A console test template whose Host is a placeholder is the client's
            // fault: explain shows the refusal, and the Lambda replies 400 with the reason.
            assert_eq!(refusal.status(), 400, "{file}");
            assert_eq!(reply["statusCode"], 400, "{file}: {reply}");
            assert_eq!(
                reply["body"],
                String::from_utf8_lossy(refusal.body()).as_ref(),
                "{file}"
            );
            assert!(explained.requests().is_empty(), "{file}");
            continue;
        }
        assert_eq!(reply["statusCode"], 200, "{file}: {reply}");
        let seen: Value = serde_json::from_str(reply["body"].as_str().unwrap()).unwrap();
        assert_eq!(seen["path"], explained.requests()[0].uri().path(), "{file}");
        assert_eq!(
            seen["method"],
            explained.requests()[0].method().as_str(),
            "{file}"
        );
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} HTTP fixtures passed through");
}

#[test]
fn an_invalid_body_gets_a_400_reply_not_an_invocation_error() {
    let handler = Handler::new(Config::default());
    let event = Event::from_json(json!({
        "version": "2.0", "rawPath": "/", "rawQueryString": "", "body": "%%%", "isBase64Encoded": true,
        "headers": {}, "requestContext": {"http": {"method": "POST"}, "stage": "$default", "domainName": "x.execute-api.eu-west-1.amazonaws.com"}
    }));
    let reply = runtime()
        .block_on(handler.handle(&event, Echo))
        .unwrap()
        .into_json();
    assert_eq!(reply["statusCode"], 400);
    let body = reply["body"].as_str().unwrap();
    assert!(
        body.starts_with(
            "api-gateway-v2 event: `body` is marked isBase64Encoded but is not valid base64"
        ),
        "{body}"
    );
}
