//! Google's and Azure's own delivery formats through `ceh serve` to the Flask app: what the
//! broker gets back is what it acts on (2xx acks, anything else is retried).

use serde_json::{json, Value};

use super::harness::{ceh_serve, exchange, flask, Process};

fn serve(app_port: u16) -> (Process, u16) {
    ceh_serve(&["--app", &format!("http://127.0.0.1:{app_port}")], &[])
}

#[test]
fn pubsub_push_messages_are_acked_by_the_apps_2xx_and_nacked_otherwise() {
    let (_app, app_port) = flask(0);
    let (_ceh, port) = serve(app_port);
    let push = crate::fixtures::read("pubsub/push.json");
    let (status, _, body) = exchange(
        port,
        "POST",
        "/",
        &[("content-type", "application/json")],
        &push,
    );
    assert_eq!(status, 200, "{body}");
    let seen: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(seen["path"], "/google.pubsub");
    assert_eq!(
        seen["headers"]["ce-type"],
        json!(["google.cloud.pubsub.topic.v1.messagePublished"])
    );
    assert_eq!(seen["headers"]["ce-id"], json!(["2070443601311540"]));
    assert_eq!(
        seen["body"],
        String::from_utf8(push).unwrap(),
        "the message as it was pushed"
    );
    // The app fails it: Pub/Sub sees a 5xx and redelivers.
    let mut failing: Value =
        serde_json::from_slice(&crate::fixtures::read("pubsub/push.json")).unwrap();
    failing["message"]["attributes"]["mode"] = json!("fail");
    let (status, _, body) = exchange(port, "POST", "/", &[], failing.to_string().as_bytes());
    assert_eq!(status, 500, "{body}");
}

#[test]
fn event_grid_validation_is_answered_and_a_batch_with_a_failed_event_is_retried() {
    let (_app, app_port) = flask(0);
    let (_ceh, port) = serve(app_port);
    let validation = crate::fixtures::read("eventgrid/subscription-validation.json");
    let (status, headers, body) = exchange(
        port,
        "POST",
        "/",
        &[("aeg-event-type", "SubscriptionValidation")],
        &validation,
    );
    assert_eq!(status, 200, "{body}");
    assert!(headers.contains(&("content-type".to_owned(), "application/json".to_owned())));
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"})
    );
    // Every event taken: 200, one reply per event.
    let batch = crate::fixtures::read("eventgrid/blob-created.json");
    let (status, _, body) = exchange(
        port,
        "POST",
        "/",
        &[("aeg-event-type", "Notification")],
        &batch,
    );
    assert_eq!(status, 200, "{body}");
    // One event the app fails: the delivery is not acknowledged, so Event Grid retries it.
    let mut events: Value = serde_json::from_slice(&batch).unwrap();
    events[1]["data"]["api"] = json!("fail");
    let (status, _, body) = exchange(port, "POST", "/", &[], events.to_string().as_bytes());
    // 502: the app behind ceh failed one of them; Event Grid retries any 5xx.
    assert_eq!(status, 502, "{body}");
    assert!(body.starts_with("rule `eventgrid`: 1 of 2 records failed (first: record 1 (id 931e1650-001e-001b-66ab-eeb76e069632)"), "{body}");
}

#[test]
fn a_binary_mode_cloudevent_reaches_the_app_in_binary_mode_byte_for_byte() {
    let (_app, app_port) = flask(0);
    let (_ceh, port) = serve(app_port);
    let data = br#"{"amount": 123456789012345678901234567890, "note": "caf\u00e9"}"#;
    let headers = [
        ("ce-specversion", "1.0"),
        ("ce-id", "order-7"),
        (
            "ce-source",
            "//pubsub.googleapis.com/projects/p/topics/orders",
        ),
        ("ce-type", "google.cloud.pubsub.topic.v1.messagePublished"),
        ("ce-subject", "orders"),
        ("ce-time", "2026-12-01T10:00:00Z"),
        ("content-type", "application/json; charset=utf-8"),
    ];
    let (status, _, body) = exchange(port, "POST", "/", &headers, data);
    assert_eq!(status, 200, "{body}");
    let seen: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        seen["path"],
        "/pubsub.googleapis.com/projects/p/topics/orders"
    );
    assert_eq!(
        seen["body"],
        std::str::from_utf8(data).unwrap(),
        "the data, byte for byte"
    );
    assert_eq!(
        seen["headers"]["content-type"],
        json!(["application/json; charset=utf-8"])
    );
    for (name, value) in &headers[..6] {
        assert_eq!(seen["headers"][*name], json!([value]), "{name}");
    }
    // Structured stays structured.
    let structured = crate::fixtures::read("cloudevents/structured-1.0.json");
    let (status, _, body) = exchange(
        port,
        "POST",
        "/",
        &[("content-type", "application/cloudevents+json")],
        &structured,
    );
    assert_eq!(status, 200, "{body}");
    let seen: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        seen["headers"]["content-type"],
        json!(["application/cloudevents+json"])
    );
    assert_eq!(seen["body"], String::from_utf8(structured).unwrap());
}

/// A rule of the user's own, with `body = { from, decode = "base64" }`, gives the app a Pub/Sub
/// message's data itself, its attributes in `ceh-metadata`, and acks or nacks as the app answers.
#[test]
fn a_decoding_rule_gives_the_app_a_pubsub_messages_data_itself() {
    let (_app, app_port) = flask(0);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ceh.toml");
    std::fs::write(
        &config,
        r#"
[[rule]]
name = "pubsub-data"
path = "/google.pubsub"
body = { from = "$.message.data", decode = "base64" }
metadata = "$.message.attributes"
[rule.match]
"$.message.data" = { exists = true }
"$.subscription" = { prefix = "projects/" }
[rule.cloudevent]
id = "{$.message.messageId}"
source = "//pubsub.googleapis.com/{$.subscription}"
type = "google.cloud.pubsub.topic.v1.messagePublished"
time = "{$.message.publishTime}"
"#,
    )
    .unwrap();
    let (_ceh, port) = ceh_serve(
        &[
            "--app",
            &format!("http://127.0.0.1:{app_port}"),
            "--config",
            config.to_str().unwrap(),
        ],
        &[],
    );
    let push = crate::fixtures::read("pubsub/push.json");
    let (status, _, body) = exchange(port, "POST", "/", &[], &push);
    assert_eq!(status, 200, "{body}");
    let seen: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(seen["path"], "/google.pubsub");
    assert_eq!(
        seen["body"], r#"{"order": 7}"#,
        "the message's data, decoded"
    );
    assert_eq!(
        seen["headers"]["content-type"],
        json!(["application/octet-stream"])
    );
    assert_eq!(
        seen["headers"]["ceh-metadata"],
        json!([r#"{"origin":"orders-service"}"#])
    );
    assert_eq!(seen["headers"]["ce-id"], json!(["2070443601311540"]));
    // Data that is not base64 is the sender's fault: a 4xx, so Pub/Sub does not retry it forever.
    let mut bad: Value = serde_json::from_slice(&push).unwrap();
    bad["message"]["data"] = json!("not base64!");
    let (status, _, body) = exchange(port, "POST", "/", &[], bad.to_string().as_bytes());
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("rule `pubsub-data`"), "{body}");
}
