//! What brokers say in the headers of a delivery to `ceh serve` reaches the
//! app, on every request of the delivery, and nothing else of the client's does.

use serde_json::{json, Value};

use super::harness::{ceh_serve, exchange, flask, inner};

const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// The headers a broker sends with a binary-mode CloudEvent: W3C Trace Context
/// (https://www.w3.org/TR/trace-context/), Knative's `Prefer: reply`
/// (https://github.com/knative/specs/blob/main/specs/eventing/data-plane.md),
/// Event Grid's `aeg-*` (https://learn.microsoft.com/azure/event-grid/delivery-properties
/// and webhook-event-delivery), Pub/Sub's unwrapped push metadata
/// (https://cloud.google.com/pubsub/docs/payload-unwrapping), and what a client
/// must not get through: a hop-by-hop header and ceh's own names.
fn delivery(traceparent: &str) -> Vec<(&str, &str)> {
    let mut headers = PASSED.to_vec();
    headers[0] = ("traceparent", traceparent);
    headers.extend([
        ("keep-alive", "timeout=5"),
        ("ceh-request-id", "forged"),
        ("ceh-rule", "forged"),
    ]);
    headers
}

/// What the app must receive of [`delivery`], in its order.
const PASSED: [(&str, &str); 11] = [
    ("traceparent", PARENT),
    ("tracestate", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
    ("prefer", "reply"),
    ("aeg-event-type", "Notification"),
    ("aeg-subscription-name", "ORDERS-SUB"),
    ("aeg-delivery-count", "2"),
    ("aeg-data-version", "1.0"),
    ("aeg-metadata-version", "1"),
    (
        "x-goog-pubsub-subscription-name",
        "projects/p/subscriptions/orders",
    ),
    ("x-goog-pubsub-message-id", "2070443601311540"),
    ("x-goog-pubsub-publish-time", "2024-01-01T00:00:00.000Z"),
];

fn assert_passed_on(seen: &Value, trace: bool) {
    let headers = &seen["headers"];
    for (name, value) in PASSED {
        if trace || !name.starts_with("trace") {
            assert_eq!(headers[name], json!([value]), "{name}: {headers}");
        } else {
            assert!(headers.get(name).is_none(), "{name}: {headers}");
        }
    }
    assert!(headers.get("keep-alive").is_none(), "{headers}");
    assert!(headers.get("ceh-request-id").is_none(), "{headers}");
    assert_ne!(headers["ceh-rule"], json!(["forged"]), "{headers}");
}

#[test]
fn brokers_headers_reach_every_request_of_a_delivery() {
    let (_app, app_port) = flask(0);
    let (_ceh, port) = ceh_serve(&["--app", &format!("http://127.0.0.1:{app_port}")], &[]);

    let mut binary = delivery(PARENT);
    binary.extend([
        ("ce-specversion", "1.0"),
        ("ce-id", "1"),
        ("ce-source", "/orders"),
        ("ce-type", "com.example.order"),
        ("content-type", "application/json"),
    ]);
    let (status, _, body) = exchange(port, "POST", "/", &binary, br#"{"n": 1}"#);
    assert_eq!(status, 200, "{body}");
    assert_passed_on(&serde_json::from_str(&body).unwrap(), true);

    // A batch: each record's request carries them; a malformed traceparent
    // (an all-zero trace id) is dropped, and its tracestate with it.
    let zero = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";
    let mut batch = delivery(zero);
    batch.push(("content-type", "application/cloudevents-batch+json"));
    let (status, _, body) = exchange(
        port,
        "POST",
        "/",
        &batch,
        &crate::fixtures::read("cloudevents/batch.json"),
    );
    assert_eq!(status, 200, "{body}");
    let replies: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(replies.len(), 2, "{body}");
    for reply in &replies {
        assert_passed_on(&inner(reply, "body"), false);
    }
}
