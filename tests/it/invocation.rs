//! An invocation's facts and deadline reach every request to the app: an event's, each batch
//! record's and an HTTP event's alike (the handler wraps the app once, in layers), and the
//! deadline bounds the app's whole answer, its body included.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use cloud_events_handler::{Config, Event, Handler, Invocation};
use http::{HeaderMap, Request, Response};
use http_body_util::{Full, StreamBody};
use serde_json::{json, Value};

/// The headers of each request an app received, in order.
pub(crate) type Seen = Arc<Mutex<Vec<HeaderMap>>>;

/// An app that records each request's headers and answers 200.
pub(crate) fn recorder(seen: Seen) -> impl cloud_events_handler::app::SendApp {
    tower::service_fn(move |request: Request<Full<Bytes>>| {
        let seen = seen.clone();
        async move {
            seen.lock().unwrap().push(request.headers().clone());
            Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from_static(b"{}"))))
        }
    })
}

fn invocation(deadline: SystemTime) -> Invocation {
    Invocation::default()
        .with_request_id("req-7")
        .with_deadline(deadline)
        .with_function_arn("arn:aws:lambda:eu-west-1:1:function:f")
        .with_trace_id("Root=1-5759e988-bd862e3fe1be46a994272793")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn event(json: Value) -> Event {
    Event::from_slice(json.to_string().as_bytes()).unwrap()
}

#[test]
fn every_request_of_an_invocation_carries_its_facts() {
    let handler =
        Handler::new(Config::parse("ceh.toml", "[http]\nlwa_context_headers = true\n").unwrap());
    let deadline = UNIX_EPOCH + Duration::from_millis(4_102_444_800_000);
    let invocation = invocation(deadline);
    let s3 = event(json!({"Records": [{"eventSource": "aws:s3", "s3": {}}]}));
    let sqs = event(json!({"Records": [
        {"eventSource": "aws:sqs", "messageId": "m0", "body": "a"},
        {"eventSource": "aws:sqs", "messageId": "m1", "body": "b"},
        {"eventSource": "aws:sqs", "messageId": "m2", "body": "c"}
    ]}));
    // API Gateway's HTTP API payload 2.0:
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    let http = event(
        json!({"version": "2.0", "routeKey": "$default", "rawPath": "/orders", "rawQueryString": "",
        "headers": {"host": "api.example.com", "ceh-request-id": "forged"},
        "requestContext": {"http": {"method": "GET", "path": "/orders"}, "requestId": "r"}, "isBase64Encoded": false}),
    );
    let runtime = runtime();
    for (name, event, requests) in [("s3", s3, 1), ("sqs", sqs, 3), ("http", http, 1)] {
        let seen = Seen::default();
        runtime
            .block_on(handler.handle_invocation(&event, recorder(seen.clone()), &invocation))
            .unwrap();
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), requests, "{name}");
        for headers in seen.iter() {
            assert_eq!(headers["ceh-request-id"], "req-7", "{name}");
            assert_eq!(
                headers.get_all("ceh-request-id").iter().count(),
                1,
                "{name}"
            );
            assert_eq!(headers["ceh-deadline-ms"], "4102444800000", "{name}");
            assert_eq!(
                headers["ceh-function-arn"], "arn:aws:lambda:eu-west-1:1:function:f",
                "{name}"
            );
            // Lambda Web Adapter's context goes with HTTP events only.
            let context = headers.get("x-amzn-lambda-context").map(|v| {
                serde_json::from_slice::<Value>(v.as_bytes()).unwrap()["request_id"].clone()
            });
            let expected = (name == "http").then(|| json!("req-7"));
            assert_eq!(context, expected, "{name}");
        }
    }
}

/// An app that answers at once, then sends no body: only a bound on the body ends the call.
fn stalled_body() -> impl cloud_events_handler::app::SendApp {
    tower::service_fn(|_: Request<Full<Bytes>>| async {
        let frames = futures_util::stream::pending::<
            Result<http_body::Frame<Bytes>, std::convert::Infallible>,
        >();
        Ok::<_, std::convert::Infallible>(Response::new(StreamBody::new(frames)))
    })
}

#[test]
fn the_deadline_bounds_the_whole_answer_of_every_request() {
    let config = Config::parse("ceh.toml", "[reply]\nreport_item_failures = true\n").unwrap();
    let handler = Handler::new(config);
    let runtime = runtime();
    let s3 = event(json!({"Records": [{"eventSource": "aws:s3", "s3": {}}]}));
    let deadline = SystemTime::now() + Duration::from_millis(200);
    let err = runtime
        .block_on(handler.handle_invocation(&s3, stalled_body(), &invocation(deadline)))
        .unwrap_err();
    assert!(
        err.to_string().contains("the app did not answer within "),
        "{err}"
    );
    assert!(err.is_retryable(), "{err}");

    let sqs = event(json!({"Records": [
        {"eventSource": "aws:sqs", "messageId": "m0", "body": "a"},
        {"eventSource": "aws:sqs", "messageId": "m1", "body": "b"}
    ]}));
    let deadline = SystemTime::now() + Duration::from_millis(200);
    let reply = runtime
        .block_on(handler.handle_invocation(&sqs, stalled_body(), &invocation(deadline)))
        .unwrap()
        .into_json();
    assert_eq!(
        reply,
        json!({"batchItemFailures": [{"itemIdentifier": "m0"}, {"itemIdentifier": "m1"}]})
    );
}
