//! W3C Trace Context on every request to the app (https://www.w3.org/TR/trace-context/):
//! a record's own context first, in the order its rule's `[[rule.trace]]` gives, then the
//! delivery's, never a malformed one, never one invented.

use cloud_events_handler::{Config, Event, Handler, Invocation};
use http::HeaderMap;
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::invocation::{recorder, Seen};

/// AWS X-Ray's header and the traceparent it stands for
/// (https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader).
const XRAY: (&str, &str) = (
    "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01",
);
/// Lambda's own trace id for the invocation, and its traceparent.
const LAMBDA: (&str, &str) = (
    "Root=1-6000c0de-0123456789abcdef01234567;Parent=1111222233334444;Sampled=0",
    "00-6000c0de0123456789abcdef01234567-1111222233334444-00",
);
const PARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

fn event(json: &Value) -> Event {
    Event::from_slice(json.to_string().as_bytes()).unwrap()
}

/// The headers of each request the app gets for `json` in an invocation with `invocation`.
fn received(json: &Value, invocation: &Invocation) -> Vec<HeaderMap> {
    let handler = Handler::new(Config::default());
    let seen = Seen::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(handler.handle_invocation(&event(json), recorder(seen.clone()), invocation))
        .unwrap();
    let seen = seen.lock().unwrap();
    seen.clone()
}

fn text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).map(|v| v.to_str().unwrap().to_owned())
}

/// An SQS message as Lambda delivers it
/// (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html), with `attributes` and
/// `messageAttributes` of the test's.
fn sqs_record(id: &str, attributes: Value, message_attributes: Value) -> Value {
    json!({"messageId": id, "eventSource": "aws:sqs", "body": id,
        "eventSourceARN": "arn:aws:sqs:eu-west-1:111122223333:orders",
        "attributes": attributes, "messageAttributes": message_attributes})
}

#[test]
fn each_record_has_its_own_context_and_one_without_gets_the_invocations() {
    let batch = json!({"Records": [
        sqs_record("xray", json!({"AWSTraceHeader": XRAY.0}), json!({})),
        sqs_record("w3c", json!({"AWSTraceHeader": XRAY.0}), json!({
            "traceparent": {"stringValue": PARENT, "dataType": "String"},
            "tracestate": {"stringValue": "rojo=00f067aa0ba902b7", "dataType": "String"}})),
        sqs_record("none", json!({}), json!({})),
        sqs_record("malformed", json!({"AWSTraceHeader": "Root=1-5759e988"}), json!({
            "traceparent": {"stringValue": "00-xyz", "dataType": "String"},
            "tracestate": {"stringValue": "rojo=1", "dataType": "String"}})),
    ]});
    let invocation = Invocation::default().with_trace_id(LAMBDA.0);
    let seen = received(&batch, &invocation);
    let contexts: Vec<_> = seen
        .iter()
        .map(|h| (text(h, "traceparent"), text(h, "tracestate")))
        .collect();
    let lambda = (Some(LAMBDA.1.to_owned()), None);
    assert_eq!(
        contexts,
        [
            (Some(XRAY.1.to_owned()), None),
            (
                Some(PARENT.to_owned()),
                Some("rojo=00f067aa0ba902b7".to_owned())
            ),
            lambda.clone(),
            lambda,
        ]
    );
    // X-Ray's own header stays as it came, the invocation's.
    for headers in &seen {
        assert_eq!(text(headers, "x-amzn-trace-id").as_deref(), Some(LAMBDA.0));
    }
}

#[test]
fn nothing_is_invented_where_there_is_no_context() {
    let s3 = json!({"Records": [{"eventSource": "aws:s3", "s3": {}}]});
    for invocation in [
        Invocation::default(),
        // Lambda's header for a caller that is not traced can lack the parent.
        Invocation::default().with_trace_id("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0"),
    ] {
        let seen = received(&s3, &invocation);
        assert_eq!(text(&seen[0], "traceparent"), None, "{invocation:?}");
        assert_eq!(text(&seen[0], "tracestate"), None, "{invocation:?}");
    }
}

#[test]
fn a_cloudevents_own_context_and_an_http_requests_own_stay() {
    // The CloudEvents distributed tracing extension:
    // https://github.com/cloudevents/spec/blob/main/cloudevents/extensions/distributed-tracing.md
    let cloudevent = json!({"specversion": "1.0", "id": "1", "source": "shop", "type": "order",
        "traceparent": PARENT, "tracestate": "congo=t61rcWkgMzE"});
    let invocation = Invocation::default().with_trace_id(LAMBDA.0);
    let seen = received(&cloudevent, &invocation);
    assert_eq!(text(&seen[0], "traceparent").as_deref(), Some(PARENT));
    assert_eq!(
        text(&seen[0], "tracestate").as_deref(),
        Some("congo=t61rcWkgMzE")
    );
    // An HTTP API request (payload 2.0) keeps the client's well-formed context; a malformed one
    // gives way to the invocation's, its state with it.
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    let http = |parent: &str| {
        json!({"version": "2.0", "routeKey": "$default", "rawPath": "/orders", "rawQueryString": "",
        "headers": {"host": "api.example.com", "traceparent": parent, "tracestate": "a=1"},
        "requestContext": {"http": {"method": "GET", "path": "/orders"}, "requestId": "r"},
        "isBase64Encoded": false})
    };
    let kept = received(&http(PARENT), &invocation);
    assert_eq!(text(&kept[0], "traceparent").as_deref(), Some(PARENT));
    assert_eq!(text(&kept[0], "tracestate").as_deref(), Some("a=1"));
    let replaced = received(&http("00-bad"), &invocation);
    assert_eq!(text(&replaced[0], "traceparent").as_deref(), Some(LAMBDA.1));
    assert_eq!(text(&replaced[0], "tracestate"), None);
}

#[test]
fn pubsub_and_sns_attributes_carry_a_context() {
    // Pub/Sub push: https://cloud.google.com/pubsub/docs/push#receive_push
    let pubsub = |attributes: Value| {
        json!({"message": {"data": "aGk=", "messageId": "1", "publishTime": "2026-12-01T10:00:00Z",
            "attributes": attributes}, "subscription": "projects/p/subscriptions/s"})
    };
    for attributes in [
        json!({"traceparent": PARENT}),
        json!({"googclient_traceparent": PARENT}),
    ] {
        assert_eq!(planned_parent(&pubsub(attributes)).as_deref(), Some(PARENT));
    }
    // SNS message attributes: https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html
    let sns = json!({"Records": [{"EventSource": "aws:sns", "Sns": {"MessageId": "1",
        "TopicArn": "arn:aws:sns:eu-west-1:111122223333:t", "Type": "Notification",
        "Message": "hi", "MessageAttributes": {"traceparent": {"Type": "String", "Value": PARENT}}}}]});
    assert_eq!(planned_parent(&sns).as_deref(), Some(PARENT));
}

#[test]
fn a_rule_may_not_set_trace_headers_by_hand() {
    for header in ["traceparent", "tracestate"] {
        let text = format!(
            "[[rule]]\nname = \"orders\"\npath = \"/o\"\nheaders = {{ \"{header}\" = \"{{$.tp}}\" }}\n"
        );
        let err = Config::parse("ceh.toml", &text).unwrap_err().to_string();
        assert!(err.contains("[[rule.trace]]"), "{err}");
    }
    let http = "[[rule]]\nname = \"web\"\nkind = \"http\"\nformat = \"api-gateway-v2\"\n[[rule.trace]]\ntraceparent = \"$.tp\"\n";
    let err = Config::parse("ceh.toml", http).unwrap_err().to_string();
    assert!(err.contains("trace` applies to event rules"), "{err}");
}

/// The `traceparent` of the first request the built-in rules make of `json`.
fn planned_parent(json: &Value) -> Option<String> {
    let handler = Handler::new(Config::default());
    let event = event(json);
    let plan = handler.explain(&event).unwrap();
    text(plan.requests()[0].headers(), "traceparent")
}

/// Whether `value` is a W3C traceparent: `00`-style version (not `ff`), 32-hex trace id not all
/// zeros, 16-hex parent id not all zeros, 2-hex flags, lowercase.
fn well_formed(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let hex = |p: &str| p.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let zero = |p: &str| p.bytes().all(|b| b == b'0');
    parts.iter().map(|p| p.len()).eq([2, 32, 16, 2])
        && parts.iter().all(|p| hex(p))
        && parts[0] != "ff"
        && !zero(parts[1])
        && !zero(parts[2])
}

/// Strings near a traceparent or an X-Ray header, and anything at all.
fn near_context() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}",
        "[0-9a-fA-F0]{2}-[0-9a-f0]{32}-[0-9a-fA-F0]{16}-[0-9a-z]{2}-?",
        "Root=1-[0-9a-fA-F0]{8}-[0-9a-fA-F0]{24};Parent=[0-9a-fA-F0]{16};Sampled=[01?]",
        "(Root|Parent|Sampled|Self)=[0-9a-f1-]{0,40}(;(Root|Parent|Sampled)=[0-9a-f1-]{0,40}){0,3}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    /// No traceparent ceh sends is malformed, whatever the event and the invocation carry.
    #[test]
    fn no_traceparent_ceh_sends_is_malformed(
        parent in near_context(),
        state in any::<String>(),
        xray in near_context(),
        lambda in near_context(),
    ) {
        let events = [
            json!({"Records": [sqs_record("1", json!({"AWSTraceHeader": xray}), json!({
                "traceparent": {"stringValue": parent, "dataType": "String"},
                "tracestate": {"stringValue": state, "dataType": "String"}}))]}),
            json!({"specversion": "1.0", "id": "1", "source": "shop", "type": "order",
                "traceparent": parent, "tracestate": state}),
            json!({"message": {"data": "aGk=", "messageId": "1", "attributes": {
                "traceparent": parent, "googclient_traceparent": xray}},
                "subscription": "projects/p/subscriptions/s"}),
        ];
        let invocation = Invocation::default().with_trace_id(lambda);
        for event in &events {
            for headers in received(event, &invocation) {
                let parents: Vec<_> = headers.get_all("traceparent").iter().collect();
                prop_assert!(parents.len() <= 1);
                for parent in parents {
                    let parent = parent.to_str().unwrap();
                    prop_assert!(well_formed(parent), "{parent:?}");
                }
                if headers.contains_key("tracestate") {
                    prop_assert!(headers.contains_key("traceparent"));
                }
            }
        }
    }
}

#[test]
fn the_plan_shows_each_records_context() {
    let batch =
        json!({"Records": [sqs_record("xray", json!({"AWSTraceHeader": XRAY.0}), json!({}))]});
    assert_eq!(planned_parent(&batch).as_deref(), Some(XRAY.1));
}
