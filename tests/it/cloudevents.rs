//! CloudEvents both ways: the conformance cases in, every event request described out.

use cloud_events_handler::{Config, Event, Handler};
use cloudevents::AttributesReader;
use serde_json::{json, Value};

use crate::corpus::{self, data_json};
use crate::fixtures;

/// One HTTP case of the conformance feature file: the message, and the attributes and data it must give.
struct Case {
    headers: http::HeaderMap,
    body: Vec<u8>,
    attributes: Vec<(String, String)>,
    data: Value,
}

/// Reads the feature file's scenario outlines, one case per example content type.
fn conformance_cases() -> Vec<Case> {
    let text = String::from_utf8(fixtures::read(
        "cloudevents/conformance/http-protocol-binding.feature",
    ))
    .unwrap();
    let mut cases = Vec::new();
    for scenario in text.split("Scenario Outline:").skip(1) {
        let blocks: Vec<&str> = scenario.split("\"\"\"").collect();
        let message = blocks[1];
        let data: Value = serde_json::from_str(blocks[3]).unwrap();
        let table = blocks[2];
        let attributes: Vec<(String, String)> = table
            .lines()
            .filter_map(|line| {
                let cells: Vec<&str> = line
                    .split('|')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .collect();
                match cells.as_slice() {
                    [key, value] if *key != "key" => Some((key.to_string(), value.to_string())),
                    _ => None,
                }
            })
            .collect();
        let examples = blocks[4].split("Examples:").nth(1).unwrap();
        for content_type in examples
            .lines()
            .skip(2)
            .filter_map(|l| l.split('|').nth(1))
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            let message = message.replace("<contentType>", content_type);
            let (head, body) = message.trim().split_once("\n\n").unwrap();
            let mut headers = http::HeaderMap::new();
            for line in head.lines().skip(1) {
                let (name, value) = line.split_once(':').unwrap();
                headers.append(
                    http::HeaderName::from_bytes(name.trim().as_bytes()).unwrap(),
                    http::HeaderValue::from_str(value.trim()).unwrap(),
                );
            }
            let attributes = attributes
                .iter()
                .map(|(k, v)| (k.clone(), v.replace("<contentType>", content_type)))
                .collect();
            cases.push(Case {
                headers,
                body: body.trim().as_bytes().to_vec(),
                attributes,
                data: data.clone(),
            });
        }
    }
    cases
}

fn attribute(event: &cloudevents::Event, key: &str) -> String {
    match key {
        "id" => event.id().to_owned(),
        "specversion" => event.specversion().to_string(),
        "type" => event.ty().to_owned(),
        "source" => event.source().to_string(),
        "time" => event
            .time()
            .map(|t| t.to_rfc3339_opts(chrono_format(), true))
            .unwrap_or_default(),
        "datacontenttype" => event.datacontenttype().unwrap_or_default().to_owned(),
        other => event
            .extension(other)
            .map(|v| v.to_string())
            .unwrap_or_default(),
    }
}

fn chrono_format() -> chrono::SecondsFormat {
    chrono::SecondsFormat::AutoSi
}

#[test]
fn every_conformance_case_goes_through_in_and_out() {
    let cases = conformance_cases();
    assert_eq!(cases.len(), 4, "two binary and two structured cases");
    let handler = Handler::new(Config::default());
    for case in cases {
        // In: the HTTP message, parsed by the SDK, is the Lambda payload in structured JSON.
        let parsed =
            cloudevents::binding::http::to_event(&case.headers, case.body.clone()).unwrap();
        for (key, value) in &case.attributes {
            assert_eq!(&attribute(&parsed, key), value, "{key}");
        }
        let payload = serde_json::to_vec(&parsed).unwrap();
        let event = Event::from_slice(&payload).unwrap();
        let explained = handler.explain(&event).unwrap();
        assert_eq!(explained.rule().name(), "cloudevents");
        // Out: the app's request parses, with any CloudEvents SDK, to the same event.
        let request = &explained.requests()[0];
        assert_eq!(request.uri().path(), "/mycontext/subcontext");
        let delivered =
            cloudevents::binding::http::to_event(request.headers(), request.body().to_vec())
                .unwrap();
        for (key, value) in &case.attributes {
            assert_eq!(&attribute(&delivered, key), value, "{key} after ceh");
        }
        assert_eq!(data_json(&delivered), case.data);
    }
}

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

/// Google's conformance pairs: each legacy background event, in either form, gets the
/// CloudEvent attributes Google's own frameworks give it (`fixtures/gcf/conformance/`).
#[test]
fn google_background_events_carry_the_attributes_googles_mapping_gives() {
    let pairs = corpus::google_background_events_carry_googles_attributes(&fixtures::corpus());
    assert!(
        pairs >= 17,
        "the conformance pairs are all here: only {pairs}"
    );
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
