//! Trace context, checked by the app's own tracer: tests/apps/otel_flask.py is
//! instrumented with OpenTelemetry's Python SDK and its Flask instrumentation
//! (default propagator: W3C Trace Context, https://www.w3.org/TR/trace-context/),
//! and each test reads back the SERVER span the SDK exported for each request
//! ceh made, asserting that it continues the trace ceh was given: the same trace
//! id, the given parent span id as its (remote) parent, the sampled flag obeyed.
//!
//! Where the context comes from, best first: the record's own (an SQS record's
//! `traceparent` message attribute, else its `AWSTraceHeader`; a CloudEvent's
//! `traceparent`/`tracestate`), else the delivery's (`ceh serve`'s incoming
//! `traceparent`, Lambda's `Lambda-Runtime-Trace-Id`), else none at all.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::harness::{ceh_serve, exchange, python_app, Process};
use super::lambda_tenant::{ceh_lambda_on, runtime_api_handing_out};

/// An X-Ray trace header and the W3C `traceparent` it stands for: the root's
/// `1-` version dropped and its two parts joined into the 32-hex trace id, the
/// parent as the parent id, `Sampled=1` as flags `01`
/// (https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader).
const XRAY: (&str, &str) = (
    "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01",
);
/// The invocation's own X-Ray context, which a record with a context of its own must not take.
const INVOCATION: (&str, &str) = (
    "Root=1-6000c0de-0123456789abcdef01234567;Parent=1111222233334444;Sampled=1",
    "00-6000c0de0123456789abcdef01234567-1111222233334444-01",
);
/// The W3C specification's own examples of a `traceparent` and a `tracestate`.
const PARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const STATE: &str = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";

/// The OpenTelemetry app, killed on drop, and what it saw.
struct OtelApp {
    port: u16,
    _process: Process,
}

impl OtelApp {
    fn start() -> Self {
        let (process, port) = python_app("tests/apps/otel_flask.py", 0);
        Self {
            port,
            _process: process,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The request the app answered whose body contains `marker`, and the
    /// span the SDK exported for it (`None` when the span was not recorded,
    /// as for an unsampled parent). Waits up to 10 s for both.
    fn request(&self, marker: &str) -> (Value, Option<Value>) {
        let started = Instant::now();
        loop {
            let (status, _, body) = exchange(self.port, "GET", "/_otel", &[], b"");
            assert_eq!(status, 200, "{body}");
            let seen: Value = serde_json::from_str(&body).unwrap();
            let request = seen["requests"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["body"].as_str().unwrap().contains(marker))
                .cloned();
            if let Some(request) = request {
                let span_id = &request["span"]["span_id"];
                let span = seen["spans"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|s| &s["span_id"] == span_id)
                    .cloned();
                if span.is_some() || request["span"]["recording"] == false {
                    return (request, span);
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no request with {marker:?}, or no span exported for it, within 10 s: {seen:#}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Asserts that the app's server span for the request with `marker`
    /// continues `traceparent`: the same trace, its parent id as the span's
    /// remote parent, exported when sampled and not recorded when not.
    fn assert_continues(&self, marker: &str, traceparent: &str) -> (Value, Option<Value>) {
        let parts: Vec<&str> = traceparent.split('-').collect();
        let (trace_id, parent_id, sampled) = (parts[1], parts[2], parts[3] == "01");
        let (request, span) = self.request(marker);
        assert_eq!(request["span"]["trace_id"], trace_id, "{request:#}");
        assert_eq!(request["span"]["sampled"], sampled, "{request:#}");
        if !sampled {
            assert!(
                span.is_none(),
                "an unsampled parent's span was exported: {span:?}"
            );
            return (request, span);
        }
        let span = span.unwrap_or_else(|| panic!("no span exported for {request:#}"));
        assert_eq!(span["kind"], "SERVER", "{span:#}");
        assert_eq!(span["trace_id"], trace_id, "{span:#}");
        assert_eq!(span["parent_span_id"], parent_id, "{span:#}");
        assert_eq!(span["parent_is_remote"], true, "{span:#}");
        assert_eq!(span["sampled"], true, "{span:#}");
        (request, Some(span))
    }

    /// Asserts that the app's server span for the request with `marker` is
    /// the root of a new trace, none of the trace ids in `unlike`.
    fn assert_new_root(&self, marker: &str, unlike: &[&str]) {
        let (request, span) = self.request(marker);
        let span = span.unwrap_or_else(|| panic!("no span exported for {request:#}"));
        assert_eq!(span["kind"], "SERVER", "{span:#}");
        assert_eq!(span["parent_span_id"], Value::Null, "{span:#}");
        for trace_id in unlike {
            assert_ne!(span["trace_id"], *trace_id, "{span:#}");
        }
        let headers = &request["headers"];
        assert!(headers.get("traceparent").is_none(), "{headers}");
        assert!(headers.get("tracestate").is_none(), "{headers}");
    }
}

/// A runtime API (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html)
/// that hands out each payload in turn with its `Lambda-Runtime-Trace-Id`, if
/// any, and passes on each reply posted; then it stops.
fn runtime_api(invocations: Vec<(Option<&'static str>, Vec<u8>)>) -> (u16, mpsc::Receiver<Value>) {
    let invocations = invocations
        .into_iter()
        .map(|(trace_id, payload)| {
            let head = trace_id
                .map(|trace_id| format!("lambda-runtime-trace-id: {trace_id}\r\n"))
                .unwrap_or_default();
            (head, payload)
        })
        .collect();
    runtime_api_handing_out(invocations)
}

/// `ceh lambda` against `app`, served `invocations` by a runtime API stand-in;
/// returns once it has replied to each of them.
fn ceh_lambda(app: &OtelApp, invocations: Vec<(Option<&'static str>, Vec<u8>)>) -> Vec<Value> {
    let count = invocations.len();
    let (port, replies) = runtime_api(invocations);
    let _ceh = ceh_lambda_on(port, &[], &[("APP", &app.url())]);
    (0..count)
        .map(|_| replies.recv_timeout(Duration::from_secs(20)).unwrap())
        .collect()
}

/// An S3 notification for the object `key`
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
fn s3(key: &str) -> Vec<u8> {
    let event = json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2024-01-01T00:00:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": "b", "arn": "arn:aws:s3:::b"},
               "object": {"key": key, "size": 1, "sequencer": "0A1B2C3D4E5F678901"}}
    }]});
    serde_json::to_vec(&event).unwrap()
}

/// A structured-mode CloudEvent carrying the distributed tracing extension
/// (https://github.com/cloudevents/spec/blob/main/cloudevents/extensions/distributed-tracing.md).
fn traced_cloudevent(id: &str) -> Vec<u8> {
    let event = json!({
        "specversion": "1.0", "id": id, "source": "/orders", "type": "com.example.order",
        "traceparent": PARENT, "tracestate": STATE,
        "datacontenttype": "application/json", "data": {"order": id}
    });
    serde_json::to_vec(&event).unwrap()
}

/// An SQS batch of two records, each with its own context: one sent with
/// X-Ray tracing (the `AWSTraceHeader` system attribute), one with a
/// `traceparent` message attribute
/// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_Message.html),
/// in an invocation whose own X-Ray context is another trace: each record's
/// request continues its record's trace, not the invocation's.
#[test]
fn each_sqs_record_continues_its_own_trace_not_the_invocations() {
    let app = OtelApp::start();
    let record = |id: &str, attributes: Value, message_attributes: Value| {
        json!({
            "messageId": id, "receiptHandle": "h", "body": format!("body of {id}"),
            "md5OfBody": "0", "eventSource": "aws:sqs", "awsRegion": "us-east-1",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:orders",
            "attributes": attributes, "messageAttributes": message_attributes
        })
    };
    let batch = json!({"Records": [
        record(
            "xray-record",
            json!({"ApproximateReceiveCount": "1", "SentTimestamp": "1520621625029",
                   "AWSTraceHeader": XRAY.0}),
            json!({}),
        ),
        record(
            "w3c-record",
            json!({"ApproximateReceiveCount": "1", "SentTimestamp": "1520621625029"}),
            json!({"traceparent": {"stringValue": PARENT, "stringListValues": [],
                                   "binaryListValues": [], "dataType": "String"}}),
        ),
    ]});
    let replies = ceh_lambda(
        &app,
        vec![(Some(INVOCATION.0), serde_json::to_vec(&batch).unwrap())],
    );
    assert_eq!(replies[0], json!({"batchItemFailures": []}), "{replies:?}");
    app.assert_continues("body of xray-record", XRAY.1);
    app.assert_continues("body of w3c-record", PARENT);
}

/// A structured CloudEvent's `traceparent` and `tracestate` to `ceh serve`,
/// sent with a delivery `traceparent` header of another trace: the event's
/// own wins, and the app's tracer holds its tracestate.
#[test]
fn a_structured_cloudevents_trace_is_continued_through_ceh_serve() {
    let app = OtelApp::start();
    let (_ceh, port) = ceh_serve(&["--app", &app.url()], &[]);
    let (status, _, body) = exchange(
        port,
        "POST",
        "/",
        &[
            ("content-type", "application/cloudevents+json"),
            ("traceparent", INVOCATION.1),
        ],
        &traced_cloudevent("served-order"),
    );
    assert_eq!(status, 200, "{body}");
    assert_continues_the_cloudevents_trace(&app, "served-order");
}

/// Asserts that the app's span for the event with `marker` continues the
/// CloudEvent's own context, its `tracestate` included.
fn assert_continues_the_cloudevents_trace(app: &OtelApp, marker: &str) {
    let (request, span) = app.assert_continues(marker, PARENT);
    assert_eq!(
        request["headers"]["tracestate"],
        json!([STATE]),
        "{request:#}"
    );
    assert_eq!(span.unwrap()["trace_state"], STATE);
}

/// The same event as a Lambda payload, in an invocation with an X-Ray context
/// of its own: the event's context wins.
#[test]
fn a_structured_cloudevents_trace_is_continued_through_ceh_lambda() {
    let app = OtelApp::start();
    let replies = ceh_lambda(
        &app,
        vec![(Some(INVOCATION.0), traced_cloudevent("lambda-order"))],
    );
    assert_eq!(replies[0]["status_code"], 200, "{replies:?}");
    assert_continues_the_cloudevents_trace(&app, "lambda-order");
}

/// Events without a context of their own in invocations whose runtime API
/// sends `Lambda-Runtime-Trace-Id`
/// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html): the
/// app's span continues the converted X-Ray context; `Sampled=0` gives flags
/// `00`, which the app's tracer obeys by recording nothing; a header without
/// `Parent=` gives no context, and the app starts a trace of its own.
#[test]
fn lambdas_xray_trace_id_is_continued_by_an_event_without_its_own() {
    let app = OtelApp::start();
    let unsampled = (
        "Root=1-5759e988-bd862e3fe1be46a994272794;Parent=53995c3f42cd8ad9;Sampled=0",
        "00-5759e988bd862e3fe1be46a994272794-53995c3f42cd8ad9-00",
    );
    let orphan = "Root=1-5759e988-bd862e3fe1be46a994272795;Sampled=1";
    let replies = ceh_lambda(
        &app,
        vec![
            (Some(XRAY.0), s3("first-key")),
            (Some(unsampled.0), s3("second-key")),
            (Some(orphan), s3("third-key")),
        ],
    );
    assert_eq!(replies.len(), 3, "{replies:?}");
    app.assert_continues("first-key", XRAY.1);
    app.assert_continues("second-key", unsampled.1);
    app.assert_new_root("third-key", &["5759e988bd862e3fe1be46a994272795"]);
}

/// `ceh serve`'s incoming `traceparent` (https://www.w3.org/TR/trace-context/),
/// for an event without a context of its own (an S3 notification) and for a
/// binary-mode CloudEvent, whose `traceparent` header is its distributed
/// tracing extension: the app's span continues it, and obeys its flags.
#[test]
fn ceh_serves_incoming_traceparent_is_continued() {
    let app = OtelApp::start();
    let (_ceh, port) = ceh_serve(&["--app", &app.url()], &[]);
    let unsampled = "00-0af7651916cd43dd8448eb211c80319d-b7ad6b7169203332-00";
    let binary = "00-0af7651916cd43dd8448eb211c80319e-b7ad6b7169203333-01";
    for (traceparent, key) in [(PARENT, "served-key"), (unsampled, "second-key")] {
        let (status, _, body) = exchange(
            port,
            "POST",
            "/",
            &[
                ("content-type", "application/json"),
                ("traceparent", traceparent),
            ],
            &s3(key),
        );
        assert_eq!(status, 200, "{body}");
        app.assert_continues(key, traceparent);
    }
    let (status, _, body) = exchange(
        port,
        "POST",
        "/",
        &[
            ("ce-specversion", "1.0"),
            ("ce-id", "binary-1"),
            ("ce-source", "/orders"),
            ("ce-type", "com.example.order"),
            ("content-type", "application/json"),
            ("traceparent", binary),
        ],
        br#"{"order": "binary-order"}"#,
    );
    assert_eq!(status, 200, "{body}");
    app.assert_continues("binary-order", binary);
}

/// No context anywhere (`ceh invoke` of an S3 notification): ceh invents
/// none, and the app's span is the root of a trace of its own.
#[test]
fn without_any_context_the_apps_span_is_a_new_root() {
    let app = OtelApp::start();
    let output = crate::cli::ceh(
        &["invoke", "--app", &app.url(), "--timeout-ms", "10000", "-"],
        &s3("lonely-key"),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    app.assert_new_root("lonely-key", &[]);
}
