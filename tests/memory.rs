//! Memory per event: handling a 6 MiB event as the Lambda front end does
//! (classifying it, building each request the app gets, sending it to an
//! in-process app, building the reply; for an HTTP event, reading it whole
//! and passing its request through) allocates at most 3× its size,
//! measured by the allocator itself, with the built-in rules alone and with
//! user rules of every form a query can take (wildcards, filters, slices,
//! unions). And what loading the built-in configuration keeps and peaks at,
//! as a Lambda cold start loads it. Its own test binary, each test counting
//! alone (they take turns on [`COUNTING`]), so nothing else allocates while
//! one counts.

use std::convert::Infallible;
use std::sync::Mutex;

use bytes::Bytes;
use cloud_events_handler::app::App;
use cloud_events_handler::{Config, Event, Handler};
use http::{Request, Response};
use http_body_util::Full;
use peak_alloc::PeakAlloc;
use serde_json::json;

#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

const SIZE: usize = 6 * 1024 * 1024;

/// What the built-in configuration may keep, peak at while loading, and add
/// for the event routes: about 1.25× what each took on 2026-12-07 (222,299,
/// 232,424 and 12,796 bytes).
const KEPT_BOUND: usize = 280_000;
const PEAK_BOUND: usize = 290_000;
const ROUTES_BOUND: usize = 16_000;

/// Held while a test counts, so that the tests of this binary count in turn.
static COUNTING: Mutex<()> = Mutex::new(());

/// `[1,1,…]`: every element is a `Value` of 32 bytes or more for 2 bytes of text.
fn small_numbers() -> Vec<u8> {
    let mut text = String::with_capacity(SIZE);
    text.push('[');
    while text.len() < SIZE - 4 {
        text.push_str("1,");
    }
    text.push_str("1]");
    text.into_bytes()
}

/// 10,000 SQS messages, each a request of its own.
fn sqs_records() -> Vec<u8> {
    let records: Vec<_> = (0..10_000)
        .map(|i| {
            json!({
                "messageId": format!("{i:08}-6a0f-4b3c-9d4e-1f2a3b4c5d6e"),
                "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a".repeat(4),
                "body": format!("{{\"order\": {i}, \"items\": [1, 2, 3], \"note\": \"{}\"}}", "x".repeat(5)),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183",
                               "SenderId": "AIDAIENQZJOLO23YVJ4VO", "ApproximateFirstReceiveTimestamp": "1545082649185"},
                "messageAttributes": {},
                "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue",
                "awsRegion": "us-east-2"
            })
        })
        .collect();
    serde_json::to_vec(&json!({ "Records": records })).unwrap()
}

/// Objects nested 100 deep (the parser allows 128), side by side until 6 MiB.
fn deep_nesting() -> Vec<u8> {
    let one = format!("{}1{}", "{\"a\":[".repeat(50), "]}".repeat(50));
    let mut text = String::from("[");
    while text.len() + 2 * one.len() + 2 < SIZE {
        text.push_str(&one);
        text.push(',');
    }
    text.push_str(&one);
    text.push(']');
    text.into_bytes()
}

/// An API Gateway REST request whose body is 6 MiB of text: passed through whole.
fn http_request() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "resource": "/{proxy+}", "path": "/upload", "httpMethod": "POST",
        "headers": {"content-type": "text/plain", "host": "api.example.com"},
        "multiValueHeaders": {"content-type": ["text/plain"], "host": ["api.example.com"]},
        "queryStringParameters": null, "multiValueQueryStringParameters": null,
        "pathParameters": {"proxy": "upload"}, "stageVariables": null,
        "requestContext": {"resourcePath": "/{proxy+}", "httpMethod": "POST", "stage": "prod",
                           "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
                           "identity": {"sourceIp": "192.0.2.1"}},
        "body": "x".repeat(SIZE - 1024), "isBase64Encoded": false
    }))
    .unwrap()
}

/// An app that takes every request and answers 200 with `size` bytes.
fn app_answering(
    size: usize,
) -> impl tower::Service<
    Request<Full<Bytes>>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Send,
> + Clone
       + Send
       + 'static {
    tower::service_fn(move |_: Request<Full<Bytes>>| async move {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(vec![b'o'; size]))))
    })
}

/// User rules of each form a query can take, tried before the built-ins
/// (none matches these events, so each is evaluated on all of them).
const RULE_FORMS: [(&str, &str); 5] = [
    ("built-in rules alone", ""),
    (
        "wildcards `[*]`",
        r#"
        [[rule]]
        name = "wildcards"
        path = "/w/{$.Records[*].nothing}"
        [rule.match]
        "$.Records[*].eventSource" = "aws:none"
        "$[*].type" = "none"
        "$.*.kind" = { exists = true }
        "#,
    ),
    (
        "filters",
        r#"
        [[rule]]
        name = "filters"
        path = "/f"
        [rule.match]
        "$.Records[?@.eventSource == 'aws:none' && match(@.body, 'x.*')].messageId" = { exists = true }
        "$[?@.type == 'none' || length(@.items) > 99]" = { exists = true }
        "$[?search(@.a[0], 'z')]" = { exists = true }
        "#,
    ),
    (
        "slices",
        r#"
        [[rule]]
        name = "slices"
        path = "/s"
        [rule.match]
        "$.Records[0:3].eventSource" = "aws:none"
        "$[1:5]" = 7
        "$[0:1000:100].a" = { exists = true }
        "#,
    ),
    (
        "unions",
        r#"
        [[rule]]
        name = "unions"
        path = "/u"
        [rule.match]
        "$['Records','records'][0,1]['eventSource','source']" = "aws:none"
        "$[0,1,3].a" = "none"
        "#,
    ),
];

/// The built-in rules as a cold start loads them: the table kept, and the
/// peak while compiling it. The event routes are worked out on the first HTTP
/// event, not at start, and cost that event little.
#[test]
fn the_built_in_configuration_loads_in_little_memory() {
    let _counting = COUNTING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let baseline = ALLOCATOR.current_usage();
    ALLOCATOR.reset_peak_usage();
    let config = Config::default();
    let peak = ALLOCATOR.peak_usage() - baseline;
    let kept = ALLOCATOR.current_usage() - baseline;
    assert!(config.is_event_route("/aws.s3"));
    let with_routes = ALLOCATOR.current_usage() - baseline;
    println!("the built-in configuration: {kept} bytes kept, {peak} at the peak of loading it, {} more once the event routes are asked for", with_routes - kept);
    assert!(kept <= KEPT_BOUND, "{kept} bytes kept, over {KEPT_BOUND}");
    assert!(
        peak <= PEAK_BOUND,
        "{peak} bytes at the peak, over {PEAK_BOUND}"
    );
    assert!(
        with_routes - kept <= ROUTES_BOUND,
        "the event routes: {} bytes, over {ROUTES_BOUND}",
        with_routes - kept
    );
}

#[test]
fn handling_a_6_mib_event_allocates_at_most_3x_its_size() {
    let _counting = COUNTING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let runtime = current_thread();
    let events = [
        ("an array of small numbers", small_numbers()),
        ("10,000 SQS records", sqs_records()),
        ("deep nesting", deep_nesting()),
        ("an API Gateway request with a 6 MiB body", http_request()),
    ];
    for (form, rules) in RULE_FORMS {
        let config = format!("{rules}\n[reply]\nreport_item_failures = true\n");
        let handler = Handler::new(Config::parse("ceh.toml", &config).unwrap());
        // Warm up whatever is built once per process.
        let warm =
            Event::from_slice(br#"{"source": "warm", "detail-type": "up", "detail": {}}"#).unwrap();
        runtime
            .block_on(handler.handle(&warm, app_answering(0)))
            .unwrap();
        for (name, bytes) in &events {
            handled_within_3x(
                &runtime,
                &handler,
                bytes,
                app_answering(0),
                &format!("{form}, {name}"),
            );
        }
    }
    // A descendant segment, whose cost grows with the event's nesting, is refused when the rules load.
    let descendants =
        "[[rule]]\nname = \"d\"\npath = \"/d\"\n[rule.match]\n\"$..eventSource\" = \"aws:none\"\n";
    let refused = Config::parse("ceh.toml", descendants)
        .map(drop)
        .unwrap_err();
    assert!(
        refused.to_string().contains("a descendant segment `..`"),
        "{refused}"
    );
}

/// What the app answers for each record of a batch is read (to keep the
/// connection) and dropped, unless the reply carries it (Firehose): an SQS
/// batch's reply names only the failed records, so 10,000 answers of 2 KiB,
/// 20 MB in all, are never held together.
#[test]
fn a_batch_holds_no_answer_its_reply_does_not_carry() {
    let _counting = COUNTING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let runtime = current_thread();
    let config = "[reply]\nreport_item_failures = true\n";
    let handler = Handler::new(Config::parse("ceh.toml", config).unwrap());
    handled_within_3x(
        &runtime,
        &handler,
        &sqs_records(),
        app_answering(2048),
        "10,000 SQS records, 2 KiB answered for each",
    );
}

/// The runtime a Lambda function serves one invocation at a time on.
fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Handles `bytes` with `app`, counting what it allocates at its peak
/// beyond what was allocated before, and holds that to 3× the event's size.
fn handled_within_3x<S: App + Clone>(
    runtime: &tokio::runtime::Runtime,
    handler: &Handler,
    bytes: &[u8],
    app: S,
    what: &str,
) {
    let size = bytes.len();
    let event = Event::from_bytes(Bytes::copy_from_slice(bytes)).unwrap();
    let baseline = ALLOCATOR.current_usage();
    ALLOCATOR.reset_peak_usage();
    let reply = runtime.block_on(handler.handle(&event, app));
    let peak = ALLOCATOR.peak_usage() - baseline;
    assert!(reply.is_ok(), "{what}: {reply:?}");
    drop(reply);
    let ratio = peak as f64 / size as f64;
    println!("{what}: {size} bytes, handling it peaked at {peak} bytes more ({ratio:.2}×)");
    assert!(
        peak <= 3 * size,
        "{what}: handling a {size}-byte event peaked at {peak} bytes more ({ratio:.2}×, over 3×)"
    );
}
