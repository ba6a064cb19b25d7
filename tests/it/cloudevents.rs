//! CloudEvents both ways: every event request described out, CloudEvents in. (The CloudEvents
//! conformance cases and Google's conformance pairs are in `tests/shared_events`.)

use cloud_events_handler::{Config, Event, Handler};
use cloudevents::AttributesReader;
use serde_json::{json, Value};

use crate::corpus::{self, data_json};
use crate::fixtures;

#[test]
fn aws_events_carry_binary_mode_attributes() {
    let handler = Handler::new(Config::default());
    let expectations = [
        (
            "s3/put.json",
            "C3D13FE58DE4C810",
            "arn:aws:s3:::sourcebucket",
            "aws.s3.ObjectCreated:Put",
            Some("Happy%20Face.jpg"),
        ),
        (
            "eventbridge/custom.json",
            "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "com.mycompany.orders",
            "Order Placed",
            None,
        ),
        (
            "sqs/basic.json",
            "MessageID_1",
            "arn:aws:sqs:us-west-2:123456789012:SQSQueue",
            "aws.sqs.message",
            None,
        ),
        (
            "sns/notification.json",
            "82833b5c-8d5d-56d0-b0e1-7511f8253eb8",
            "arn:aws:sns:us-east-1:246796806071:snsNetTest",
            "aws.sns.Notification",
            Some("Greetings"),
        ),
    ];
    for (file, id, source, kind, subject) in expectations {
        let event = Event::from_slice(&fixtures::read(file)).unwrap();
        let explained = handler.explain(&event).unwrap();
        let request = &explained.requests()[0];
        let parsed =
            cloudevents::binding::http::to_event(request.headers(), request.body().to_vec())
                .unwrap_or_else(|e| panic!("{file}: {e}"));
        // The HTTP binding percent-encodes header values (space, `%`, non-ASCII…); the Rust
        // SDK hands them over still encoded, so decode as the binding tells receivers to.
        let decoded = |v: &str| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8()
                .unwrap()
                .into_owned()
        };
        assert_eq!(decoded(parsed.id()), id, "{file}");
        assert_eq!(decoded(parsed.source().as_str()), source, "{file}");
        assert_eq!(decoded(parsed.ty()), kind, "{file}");
        assert_eq!(parsed.subject().map(decoded).as_deref(), subject, "{file}");
        // The data is the event (or the batch record) itself.
        let body: Value = serde_json::from_slice(request.body()).unwrap();
        assert_eq!(data_json(&parsed), body, "{file}");
    }
}

#[test]
fn every_event_request_is_a_cloudevent() {
    corpus::every_event_request_is_a_cloudevent(&fixtures::corpus());
}

#[test]
fn structured_mode_wraps_the_event_as_data() {
    let config = Config::parse(
        "c.toml",
        "[[rule]]\nname = \"orders\"\npath = \"/orders\"\n[rule.match]\n\"$.order\" = { exists = true }\n\
         [rule.cloudevent]\nmode = \"structured\"\ntype = \"com.example.order\"\nid = \"{$.order}\"\n",
    )
    .unwrap();
    let raw = br#"{ "order": "o-1",  "total": 1.50 }"#;
    let event = Event::from_slice(raw).unwrap();
    let handler = Handler::new(config);
    let explained = handler.explain(&event).unwrap();
    let request = &explained.requests()[0];
    assert_eq!(
        request.headers()["content-type"],
        "application/cloudevents+json"
    );
    assert!(request.headers().get("ce-id").is_none());
    let parsed =
        cloudevents::binding::http::to_event(request.headers(), request.body().to_vec()).unwrap();
    assert_eq!(parsed.id(), "o-1");
    assert_eq!(parsed.ty(), "com.example.order");
    assert_eq!(parsed.source().as_str(), "ceh:orders");
    // The original bytes are the envelope's data, number formatting and all.
    let body = String::from_utf8(request.body().to_vec()).unwrap();
    assert!(
        body.ends_with(r#","data":{ "order": "o-1",  "total": 1.50 }}"#),
        "{body}"
    );
}

#[test]
fn invalid_cloudevents_are_refused_naming_the_attribute() {
    let table = Config::default();
    let cases = [
        (json!({"specversion": "1.0", "source": "/s", "type": "t"}), "rule `cloudevents`: the event is not a valid CloudEvent: attribute `id` is missing"),
        (json!({"specversion": "1.0", "id": "1", "type": "t"}), "rule `cloudevents`: the event is not a valid CloudEvent: attribute `source` is missing"),
        (json!({"specversion": "2.0", "id": "1", "source": "/s", "type": "t"}), "rule `cloudevents`: the event is not a valid CloudEvent: specversion `2.0` is neither 1.0 nor 0.3"),
        (json!({"specversion": "1.0", "id": 7, "source": "/s", "type": "t"}), "rule `cloudevents`: the event is not a valid CloudEvent: attribute `id` is not a string"),
        (json!([{"specversion": "1.0", "id": "1", "source": "/s", "type": "t"}, {"specversion": "1.0", "id": "2", "source": "/s"}]),
         "rule `cloudevents-batch`: record 1 is not a valid CloudEvent: attribute `type` is missing"),
    ];
    for (json, message) in cases {
        let err = table
            .rules()
            .classify(&Event::from_json(json.clone()))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(message), "{json}: {err}");
        assert!(
            err.ends_with(
                "a CloudEvent has string attributes specversion (1.0 or 0.3), id, source and type"
            ),
            "{err}"
        );
    }
}

#[test]
fn a_batch_becomes_one_request_per_event_each_on_its_source() {
    let event = Event::from_slice(&fixtures::read("cloudevents/batch.json")).unwrap();
    let handler = Handler::new(Config::default());
    let explained = handler.explain(&event).unwrap();
    let paths: Vec<&str> = explained
        .requests()
        .iter()
        .map(|r| r.uri().path())
        .collect();
    assert_eq!(paths, ["/mycontext/subcontext", "/mycontext/other"]);
    for request in explained.requests() {
        let parsed =
            cloudevents::binding::http::to_event(request.headers(), request.body().to_vec())
                .unwrap();
        assert_eq!(parsed.ty(), "com.example.someevent");
    }
}
