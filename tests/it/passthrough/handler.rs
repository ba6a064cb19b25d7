//! HTTP events through the whole handler: classify, pass through, app, reply.

use cloud_events_handler::{Config, Echo, Event, Handler};
use serde_json::json;

use crate::{corpus, fixtures};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

#[test]
fn every_http_fixture_reaches_the_echo_app_as_its_request() {
    let checked = corpus::every_http_event_reaches_the_echo_app(&fixtures::corpus());
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
