//! Replies: what each mode returns, and that no failure is ever reported as success.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lambda_events::event::sqs::SqsBatchResponse;
use aws_lambda_events::event::streams::KinesisEventResponse;
use bytes::Bytes;
use cloud_events_handler::{Config, Event, Handler};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};

type Reply = Result<Value, cloud_events_handler::HandleError>;

/// An app that answers 500 when the body contains `fail`, 200 otherwise, and
/// records the order of the bodies it saw.
#[derive(Clone, Default)]
struct Recorder {
    seen: Arc<Mutex<Vec<String>>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    delay: Duration,
}

impl tower::Service<Request<Full<Bytes>>> for Recorder {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Infallible>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Full<Bytes>>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let now = this.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            this.max_in_flight.fetch_max(now, Ordering::SeqCst);
            let body = request.into_body().collect().await.unwrap().to_bytes();
            let text = String::from_utf8_lossy(&body).into_owned();
            tokio::time::sleep(this.delay).await;
            this.seen.lock().unwrap().push(text.clone());
            this.in_flight.fetch_sub(1, Ordering::SeqCst);
            let status = if text.contains("fail") {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::OK
            };
            Ok(Response::builder()
                .status(status)
                .body(Full::new(Bytes::from(r#"{"ok":true}"#)))
                .unwrap())
        })
    }
}

fn run(config: Config, event: Value, app: Recorder) -> Reply {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let handler = Handler::new(config);
    runtime
        .block_on(handler.handle(&Event::from_json(event), app))
        .map(cloud_events_handler::Reply::into_json)
}

fn config(text: &str) -> Config {
    Config::parse("test.toml", text).unwrap()
}

fn sqs(bodies: &[&str], group: Option<&str>) -> Value {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let mut attributes = json!({"ApproximateReceiveCount": "1"});
            if let Some(group) = group {
                attributes["MessageGroupId"] = json!(group);
            }
            json!({"messageId": format!("m{i}"), "body": body, "eventSource": "aws:sqs", "attributes": attributes,
                   "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q"})
        })
        .collect();
    json!({ "Records": records })
}

fn ten_with_3_and_7_failing() -> Vec<&'static str> {
    (0..10)
        .map(|i| if i == 3 || i == 7 { "fail" } else { "ok" })
        .collect()
}

#[test]
fn dict_replies_and_failures() {
    let s3 = json!({"Records": [{"eventSource": "aws:s3", "s3": {}}]});
    let reply = run(Config::default(), s3.clone(), Recorder::default()).unwrap();
    assert_eq!(
        reply,
        json!({"status_code": 200, "body": "{\"ok\":true}", "headers": {}})
    );

    let failing = json!({"Records": [{"eventSource": "aws:s3", "s3": {"fail": true}}]});
    let err = run(Config::default(), failing.clone(), Recorder::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "rule `s3`: the app answered 500 Internal Server Error to POST /aws.s3 with \"{\\\"ok\\\":true}\", which counts as a failure; the event source will retry the event"
    );
    // The Python handler's always-success behaviour is an opt-in.
    let reply = run(
        config("[reply]\nalways_succeed = true\n"),
        failing.clone(),
        Recorder::default(),
    )
    .unwrap();
    assert_eq!(reply["status_code"], 500);
    // Which statuses fail is configurable.
    let reply = run(
        config("[reply]\nfailure_status = [503]\n"),
        failing,
        Recorder::default(),
    )
    .unwrap();
    assert_eq!(reply["status_code"], 500);
}

#[test]
fn sqs_reports_exactly_the_failed_records() {
    let event = sqs(&ten_with_3_and_7_failing(), None);
    let reply = run(
        config("[reply]\nreport_item_failures = true\n"),
        event,
        Recorder::default(),
    )
    .unwrap();
    let parsed: SqsBatchResponse = serde_json::from_value(reply.clone()).unwrap();
    let ids: Vec<&str> = parsed
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(ids, ["m3", "m7"]);
    assert_eq!(
        reply,
        json!({"batchItemFailures": [{"itemIdentifier": "m3"}, {"itemIdentifier": "m7"}]})
    );
}

/// EventBridge Pipes hands a Lambda the bare array of SQS, Kinesis or DynamoDB records: each
/// goes where its source's own rule sends it, and only the failed ones are reported.
#[test]
fn pipes_batches_report_exactly_the_failed_records_by_their_sources_id() {
    let cases = [
        (
            sqs(&ten_with_3_and_7_failing(), None)["Records"].clone(),
            "/aws.sqs",
            vec!["m3", "m7"],
        ),
        (
            json!([
                {"eventSource": "aws:kinesis", "sequenceNumber": "s1", "partitionKey": "p", "data": "b2s="},
                {"eventSource": "aws:kinesis", "sequenceNumber": "s2", "partitionKey": "p", "data": "fail"},
                {"eventSource": "aws:kinesis", "sequenceNumber": "s3", "partitionKey": "p", "data": "b2s="}
            ]),
            "/aws.kinesis",
            vec!["s2"],
        ),
        (
            json!([
                {"eventSource": "aws:dynamodb", "eventName": "INSERT", "dynamodb": {"SequenceNumber": "d1", "note": "fail"}},
                {"eventSource": "aws:dynamodb", "eventName": "INSERT", "dynamodb": {"SequenceNumber": "d2"}}
            ]),
            "/aws.dynamodb",
            vec!["d1"],
        ),
    ];
    let config = || config("[reply]\nreport_item_failures = true\n");
    for (event, path, failed) in cases {
        let handler = Handler::new(config());
        let parsed = Event::from_json(event.clone());
        let explained = handler.explain(&parsed).unwrap();
        assert!(
            explained.requests().iter().all(|r| r.uri().path() == path),
            "{path}"
        );
        let reply = run(config(), event, Recorder::default()).unwrap();
        let ids: Vec<&str> = reply["batchItemFailures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["itemIdentifier"].as_str().unwrap())
            .collect();
        assert_eq!(ids, failed, "{path}");
    }
}

#[test]
fn without_report_batch_item_failures_the_whole_batch_fails() {
    let event = sqs(&ten_with_3_and_7_failing(), None);
    let err = run(Config::default(), event, Recorder::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "rule `sqs`: 2 of 10 records failed (first: record 3 (id m3): the app answered 500 Internal Server Error \
         to POST /aws.sqs with \"{\\\"ok\\\":true}\"); \
         the whole batch fails so that it is retried and nothing is lost; to retry only the failed records, turn on \
         ReportBatchItemFailures on the event source mapping and set `report_item_failures = true` in [reply]"
    );
}

#[test]
fn an_empty_failure_list_only_when_every_record_succeeded() {
    let app = Recorder::default();
    let reply = run(
        config("[reply]\nreport_item_failures = true\n"),
        sqs(&["a", "b", "c"], None),
        app.clone(),
    )
    .unwrap();
    assert_eq!(reply, json!({"batchItemFailures": []}));
    let mut seen = app.seen.lock().unwrap().clone();
    seen.sort();
    assert_eq!(seen.len(), 3, "every record reached the app once");
}

#[test]
fn fifo_groups_keep_order_and_hold_back_after_a_failure() {
    let app = Recorder::default();
    let event = sqs(&["first", "fail", "third", "fourth"], Some("g1"));
    let reply = run(
        config("[reply]\nreport_item_failures = true\n"),
        event,
        app.clone(),
    )
    .unwrap();
    // The failed message and every later one of its group are reported, so none is deleted out of order.
    assert_eq!(
        reply,
        json!({"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}]})
    );
    let seen: Vec<String> = app.seen.lock().unwrap().clone();
    let bodies: Vec<String> = seen
        .iter()
        .map(|s| {
            serde_json::from_str::<Value>(s).unwrap()["body"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        bodies,
        ["first", "fail"],
        "nothing after the failure was sent"
    );
}

#[test]
fn a_stream_stops_at_its_first_failure_and_reports_it() {
    let records: Vec<Value> = (0..6)
        .map(|i| {
            let data = if i == 2 || i == 4 { "fail" } else { "ok" };
            json!({"eventSource": "aws:kinesis", "eventID": format!("shardId-000:{i}"),
                   "kinesis": {"sequenceNumber": format!("4959{i}"), "data": data, "partitionKey": "p"}})
        })
        .collect();
    let app = Recorder::default();
    let reply = run(
        config("[reply]\nreport_item_failures = true\n"),
        json!({"Records": records}),
        app.clone(),
    )
    .unwrap();
    let parsed: KinesisEventResponse = serde_json::from_value(reply.clone()).unwrap();
    assert_eq!(parsed.batch_item_failures.len(), 1);
    assert_eq!(
        reply,
        json!({"batchItemFailures": [{"itemIdentifier": "49592"}]})
    );
    assert_eq!(
        app.seen.lock().unwrap().len(),
        3,
        "records after the failure are left for the retry"
    );
}

#[test]
fn concurrency_is_bounded() {
    let app = Recorder {
        delay: Duration::from_millis(20),
        ..Recorder::default()
    };
    let bodies: Vec<&str> = vec!["ok"; 12];
    let reply = run(
        config("[reply]\nconcurrency = 3\n"),
        sqs(&bodies, None),
        app.clone(),
    )
    .unwrap();
    assert_eq!(reply, json!({"batchItemFailures": []}));
    assert_eq!(app.max_in_flight.load(Ordering::SeqCst), 3);
}

#[test]
fn explain_shows_one_request_per_record() {
    let handler = Handler::new(Config::default());
    let event = Event::from_json(sqs(&["a", "b"], Some("g")));
    let explained = handler.explain(&event).unwrap();
    assert_eq!(explained.rule().name(), "sqs");
    let requests = explained.requests();
    assert_eq!(requests.len(), 2);
    for (i, request) in requests.iter().enumerate() {
        assert_eq!(request.uri().path(), "/aws.sqs");
        assert_eq!(
            request.headers()["ceh-record-index"],
            i.to_string().as_str()
        );
        assert_eq!(request.headers()["ceh-record-id"], format!("m{i}").as_str());
        assert_eq!(request.headers()["ceh-record-group"], "g");
        let body: Value = serde_json::from_slice(request.body()).unwrap();
        assert_eq!(body["messageId"], format!("m{i}"));
    }
}

#[test]
fn body_replies_must_be_json() {
    let cfg = config(
        "builtin_rules = false\n[[rule]]\nname = \"trigger\"\npath = \"/t\"\nreply = \"body\"\n[rule.match]\n\"$.trigger\" = true\n",
    );
    let reply = run(cfg, json!({"trigger": true}), Recorder::default()).unwrap();
    assert_eq!(reply, json!({"ok": true}));
}

#[test]
fn reply_config_errors() {
    for (text, expected) in [
        ("[reply]\nconcurrency = 0\n", "test.toml:2: reply.concurrency: a whole number from 1 to 1000"),
        ("[reply]\nfailure_status = [\"6xx\"]\n", "test.toml:2: reply.failure_status: \"6xx\" is neither a status code (100-599) nor a class such as \"5xx\""),
        ("[reply]\nretry = true\n", "test.toml:2: reply.retry: unknown key; use failure_status, always_succeed, report_item_failures, concurrency, max_records or response_url_hosts"),
    ] {
        assert_eq!(Config::parse("test.toml", text).unwrap_err().to_string(), expected);
    }
}

#[test]
fn event_grid_validation_is_answered_by_ceh_itself() {
    let app = Recorder::default();
    let event: Value = serde_json::from_slice(&crate::fixtures::read(
        "eventgrid/subscription-validation.json",
    ))
    .unwrap();
    let reply = run(Config::default(), event.clone(), app.clone()).unwrap();
    assert_eq!(
        reply,
        json!({"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"})
    );
    assert!(app.seen.lock().unwrap().is_empty(), "the app is not called");

    // With events after it, answering the handshake would acknowledge them unseen: the whole
    // delivery is refused, on every front end (on 62c1fb7 the events were dropped).
    let blob: Value =
        serde_json::from_slice(&crate::fixtures::read("eventgrid/blob-created.json")).unwrap();
    let mut mixed = event.as_array().unwrap().clone();
    mixed.extend(blob.as_array().unwrap().iter().cloned());
    let err = run(Config::default(), Value::Array(mixed), app.clone()).unwrap_err();
    assert_eq!(err.kind(), cloud_events_handler::ErrorKind::InvalidEvent);
    assert!(
        err.to_string().starts_with("rule `eventgrid-validation`: a subscription handshake comes alone, and this delivery has "),
        "{err}"
    );
    assert!(app.seen.lock().unwrap().is_empty());
}

#[test]
fn warmup_pings_never_reach_the_app() {
    let app = Recorder::default();
    let reply = run(
        Config::default(),
        json!({"source": "serverless-plugin-warmup"}),
        app.clone(),
    )
    .unwrap();
    assert_eq!(reply, json!({"ignored": true, "rule": "warmup"}));
    assert!(app.seen.lock().unwrap().is_empty());
    // Turned off, the ping is an event like any other.
    let reply = run(
        config("disable_rules = [\"warmup\"]\n"),
        json!({"source": "serverless-plugin-warmup"}),
        app.clone(),
    )
    .unwrap();
    assert_eq!(reply["status_code"], 200);
    assert_eq!(app.seen.lock().unwrap().len(), 1);
}

/// A one-shot HTTP server standing in for CloudFormation's pre-signed ResponseURL:
/// it answers 200 and hands back the request it got.
fn response_url() -> (String, std::thread::JoinHandle<String>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/cfn-response?X-Amz-Signature=abc",
        listener.local_addr().unwrap()
    );
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).unwrap();
            seen.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&seen);
            if let Some(end) = text.find("\r\n\r\n") {
                let length: usize = text
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                if seen.len() >= end + 4 + length {
                    break;
                }
            }
            if n == 0 {
                break;
            }
        }
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .unwrap();
        String::from_utf8(seen).unwrap()
    });
    (url, handle)
}

/// A configuration whose custom resources may answer the local stand-in (only
/// CloudFormation's own hosts by default).
fn local_response_url() -> Config {
    config("[reply]\nresponse_url_hosts = [\"127.0.0.1\"]\n")
}

fn custom_resource(url: &str, extra: Value) -> Value {
    let mut event = json!({
        "RequestType": "Create", "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "ResponseURL": url, "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
        "RequestId": "req-1", "ResourceType": "Custom::Thing", "LogicalResourceId": "Thing",
        "ResourceProperties": {"ServiceToken": "x"}
    });
    for (k, v) in extra.as_object().unwrap() {
        event[k] = v.clone();
    }
    event
}

#[test]
fn cloudformation_results_are_put_to_the_response_url() {
    let (url, server) = response_url();
    let reply = run(
        local_response_url(),
        custom_resource(&url, json!({})),
        Recorder::default(),
    )
    .unwrap();
    let request = server.join().unwrap();
    assert!(
        request.starts_with("PUT /cfn-response?X-Amz-Signature=abc HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(
        request
            .to_ascii_lowercase()
            .contains("\r\ncontent-type: \r\n"),
        "signed for an empty content type: {request}"
    );
    let body: Value = serde_json::from_str(request.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"Status": "SUCCESS", "PhysicalResourceId": "req-1", "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
               "RequestId": "req-1", "LogicalResourceId": "Thing", "Data": {"ok": true}})
    );
    assert_eq!(reply, body);
}

#[test]
fn a_failing_app_still_answers_cloudformation() {
    let (url, server) = response_url();
    let event = custom_resource(
        &url,
        json!({"RequestType": "Delete", "PhysicalResourceId": "thing-7", "fail": true}),
    );
    let reply = run(local_response_url(), event, Recorder::default()).unwrap();
    let request = server.join().unwrap();
    let body: Value = serde_json::from_str(request.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["Status"], "FAILED");
    assert_eq!(body["Reason"], "the app answered 500");
    assert_eq!(
        body["PhysicalResourceId"], "thing-7",
        "a Delete keeps the resource's id"
    );
    assert_eq!(reply, body);
}

#[test]
fn firehose_records_come_back_transformed() {
    let event: Value =
        serde_json::from_slice(&crate::fixtures::read("firehose/transformation.json")).unwrap();
    let reply = run(Config::default(), event, Recorder::default()).unwrap();
    let parsed: aws_lambda_events::event::firehose::KinesisFirehoseResponse =
        serde_json::from_value(reply.clone()).unwrap();
    assert_eq!(parsed.records.len(), 2);
    for record in reply["records"].as_array().unwrap() {
        assert_eq!(record["result"], "Ok");
        // The Recorder answers {"ok":true}: that is each record's new data.
        assert_eq!(record["data"], "eyJvayI6dHJ1ZX0=");
    }
}

#[test]
fn dynamodb_streams_reply_in_their_response_type() {
    let records: Vec<Value> = (0..4)
        .map(|i| {
            let flag = if i == 1 { "fail" } else { "ok" };
            json!({"eventSource": "aws:dynamodb", "eventName": "INSERT", "dynamodb": {"SequenceNumber": format!("10{i}"), "NewImage": {"s": {"S": flag}}}})
        })
        .collect();
    let reply = run(
        config("[reply]\nreport_item_failures = true\n"),
        json!({"Records": records}),
        Recorder::default(),
    )
    .unwrap();
    let parsed: aws_lambda_events::event::streams::DynamoDbEventResponse =
        serde_json::from_value(reply.clone()).unwrap();
    assert_eq!(parsed.batch_item_failures.len(), 1);
    assert_eq!(
        reply,
        json!({"batchItemFailures": [{"itemIdentifier": "101"}]})
    );
}

#[test]
fn a_user_rule_can_forward_a_whole_batch() {
    let cfg = config(
        "[[rule]]\nname = \"whole-sqs\"\npath = \"/queue\"\n[rule.match]\n\"$.Records[0].eventSource\" = \"aws:sqs\"\n",
    );
    let app = Recorder::default();
    let reply = run(cfg, sqs(&["a", "b", "c"], None), app.clone()).unwrap();
    assert_eq!(reply["status_code"], 200);
    assert_eq!(
        app.seen.lock().unwrap().len(),
        1,
        "one request for the whole batch"
    );
}
