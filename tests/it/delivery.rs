//! The delivery contract: an event is acknowledged only when the app took it (2xx), on every
//! reply mode; a failure's message carries the app's answer; `ceh-drop` drops a poison message
//! on purpose; Kafka batches report their failed records as Lambda documents; a CloudFormation
//! result goes only where a custom resource's result may go.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use cloud_events_handler::{headers::DROP_HEADER, Config, Event, HandleError, Handler, Invocation};
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};

/// An app that answers each request by what its body asks for: `missing` a 404 (a route the
/// app lacks), `moved` a 308 (a framework's trailing-slash redirect), `poison` a 422 with
/// `ceh-drop: true`, `broken` a 500, `headers-too-large` a 431 and `uri-too-long` a 414 (what an
/// app server says of a request it could not read); anything else 200. It records the bodies in order.
#[derive(Clone, Default)]
struct Answers {
    seen: Arc<Mutex<Vec<String>>>,
}

impl tower::Service<Request<Full<Bytes>>> for Answers {
    type Response = Response<Full<Bytes>>;
    type Error = std::convert::Infallible;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Full<Bytes>>) -> Self::Future {
        let seen = self.seen.clone();
        Box::pin(async move {
            let body = request.into_body().collect().await.unwrap().to_bytes();
            let text = String::from_utf8_lossy(&body).into_owned();
            seen.lock().unwrap().push(text.clone());
            let (status, drop, answer) = if text.contains("missing") {
                (404, false, "<h1>Not Found</h1>\n")
            } else if text.contains("moved") {
                (308, false, "")
            } else if text.contains("poison") {
                (422, true, "cannot parse it")
            } else if text.contains("broken") {
                (500, false, "boom")
            } else if text.contains("headers-too-large") {
                (431, false, "")
            } else if text.contains("uri-too-long") {
                (414, false, "")
            } else {
                (200, false, r#"{"ok": true}"#)
            };
            let mut response = Response::builder().status(status);
            if drop {
                response = response.header(DROP_HEADER, "true");
            }
            Ok(response.body(Full::new(Bytes::from(answer))).unwrap())
        })
    }
}

fn handle(config: &str, event: Value, app: Answers) -> Result<Value, HandleError> {
    let handler = Handler::new(Config::parse("test.toml", config).unwrap());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(handler.handle(&Event::from_json(event), app))
        .map(cloud_events_handler::Reply::into_json)
}

const REPORTED: &str = "[reply]\nreport_item_failures = true\n";

fn eventbridge(note: &str) -> Value {
    json!({"version": "0", "id": "e1", "source": "com.example.orders", "detail-type": "placed",
           "account": "111122223333", "time": "2026-12-07T10:00:00Z", "region": "eu-west-1",
           "resources": [], "detail": {"note": note}})
}

#[test]
fn an_apps_404_or_redirect_is_a_failure_never_an_acknowledgement() {
    let err = handle("", eventbridge("missing"), Answers::default()).unwrap_err();
    assert_eq!(err.app_status().map(|s| s.as_u16()), Some(404));
    assert_eq!(
        err.to_string(),
        "rule `eventbridge`: the app answered 404 Not Found to POST /com.example.orders with \
         \"<h1>Not Found</h1>\\n\", which counts as a failure; the event source will retry the event; \
         does the app have a route for this method and path?"
    );
    assert!(err.is_retryable());

    let err = handle("", eventbridge("moved"), Answers::default()).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "rule `eventbridge`: the app answered 308 Permanent Redirect to POST /com.example.orders with an empty body"
        ),
        "{err}"
    );
    assert!(err
        .to_string()
        .ends_with("ceh does not follow redirects: route the exact path the app serves"));
}

#[test]
fn a_body_reply_names_the_status_before_any_json_complaint() {
    // A Cognito trigger replies with the app's body: a 404 is a failure, said as one.
    let cognito = json!({"version": "1", "triggerSource": "PreSignUp_SignUp", "region": "eu-west-1",
        "userPoolId": "eu-west-1_abc", "userName": "missing", "callerContext": {}, "request": {}, "response": {}});
    let err = handle("", cognito.clone(), Answers::default()).unwrap_err();
    assert!(
        err.to_string()
            .contains("the app answered 404 Not Found to POST /"),
        "{err}"
    );
    // Loosened on purpose, the 404's HTML is still named with its status.
    let err = handle(
        "[reply]\nfailure_status = [\"5xx\"]\n",
        cognito,
        Answers::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("which must be JSON: the app answered 404 Not Found with a body that is not"),
        "{err}"
    );
}

#[test]
fn failure_status_loosens_the_contract_only_when_asked() {
    let reply = handle(
        "[reply]\nfailure_status = [\"5xx\"]\n",
        eventbridge("missing"),
        Answers::default(),
    )
    .unwrap();
    assert_eq!(reply["status_code"], 404);
}

fn records(source: &str, bodies: &[&str]) -> Value {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| match source {
            "aws:sqs" => json!({"eventSource": "aws:sqs", "messageId": format!("m{i}"), "body": body}),
            "aws:kinesis" => json!({"eventSource": "aws:kinesis", "kinesis": {"sequenceNumber": format!("{}", 100 + i), "data": body}}),
            _ => json!({"eventSource": "aws:dynamodb", "dynamodb": {"SequenceNumber": format!("{}", 100 + i), "NewImage": {"note": {"S": body}}}}),
        })
        .collect();
    json!({ "Records": records })
}

fn identifiers(reply: &Value) -> Vec<Value> {
    reply["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].clone())
        .collect()
}

#[test]
fn batch_records_the_app_has_no_route_for_are_retried() {
    let bodies = ["fine", "missing", "fine"];
    let reply = handle(REPORTED, records("aws:sqs", &bodies), Answers::default()).unwrap();
    assert_eq!(identifiers(&reply), [json!("m1")]);
    for source in ["aws:kinesis", "aws:dynamodb"] {
        let reply = handle(REPORTED, records(source, &bodies), Answers::default()).unwrap();
        assert_eq!(
            identifiers(&reply),
            [json!("101")],
            "{source}: the checkpoint"
        );
        let err = handle("", records(source, &bodies), Answers::default()).unwrap_err();
        assert!(
            err.to_string().contains(
                "(first: record 1 (id 101): the app answered 404 Not Found to POST /aws."
            ),
            "{source}: {err}"
        );
    }
}

#[test]
fn a_poison_message_is_dropped_on_the_apps_word_and_only_then() {
    let app = Answers::default();
    let reply = handle(
        REPORTED,
        records("aws:sqs", &["fine", "poison", "broken"]),
        app.clone(),
    )
    .unwrap();
    assert_eq!(
        identifiers(&reply),
        [json!("m2")],
        "the dropped message is deleted, the broken one retried"
    );
    assert_eq!(app.seen.lock().unwrap().len(), 3);
    // A single event: the reply is the app's own answer, a success for the source.
    let reply = handle("", eventbridge("poison"), Answers::default()).unwrap();
    assert_eq!(reply["status_code"], 422);
    assert_eq!(reply["headers"]["ceh-drop"], "true");
    // Firehose records the app drops come back `Dropped`, with their data as it was.
    let firehose = json!({"invocationId": "i1", "deliveryStreamArn": "arn:aws:firehose:eu-west-1:111122223333:deliverystream/s",
        "region": "eu-west-1", "records": [
            {"recordId": "r0", "approximateArrivalTimestamp": 1, "data": "cG9pc29u", "note": "poison"},
            {"recordId": "r1", "approximateArrivalTimestamp": 1, "data": "ZmluZQ=="}]});
    let reply = handle("", firehose, Answers::default()).unwrap();
    let results: Vec<&str> = reply["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["result"].as_str().unwrap())
        .collect();
    assert_eq!(results, ["Dropped", "Ok"]);
    assert_eq!(reply["records"][0]["data"], "cG9pc29u");
}

fn kafka(fails: &[(u64, u64)]) -> Value {
    let mut event: Value =
        serde_json::from_slice(&crate::fixtures::read("kafka/two-partitions.json")).unwrap();
    for partition in event["records"].as_object_mut().unwrap().values_mut() {
        for record in partition.as_array_mut().unwrap() {
            let at = (
                record["partition"].as_u64().unwrap(),
                record["offset"].as_u64().unwrap(),
            );
            if fails.contains(&at) {
                record["value"] = json!("broken");
            }
        }
    }
    event
}

/// Lambda's partial batch response for Kafka event source mappings ("Configuring error handling
/// controls for Kafka event sources", ReportBatchItemFailures): a failed record is named by its
/// topic-partition and offset, as Powertools for AWS Lambda writes it.
#[test]
fn kafka_batches_report_failed_records_by_topic_partition_and_offset() {
    let app = Answers::default();
    let reply = handle(REPORTED, kafka(&[(0, 42)]), app.clone()).unwrap();
    assert_eq!(
        identifiers(&reply),
        [
            json!({"topic-partition": "orders-0", "offset": 42}),
            json!({"topic-partition": "orders-0", "offset": 43}),
        ],
        "the failed record and the later one of its partition, held back so none overtakes it"
    );
    let seen = app.seen.lock().unwrap().clone();
    assert_eq!(
        seen.len(),
        3,
        "offset 43 is never sent ahead of 42: {seen:?}"
    );
    assert!(!seen
        .iter()
        .any(|body| body.contains("\"offset\":43") || body.contains("\"offset\": 43")));

    let reply = handle(REPORTED, kafka(&[]), Answers::default()).unwrap();
    assert_eq!(reply, json!({"batchItemFailures": []}));

    // Without ReportBatchItemFailures declared, the whole batch fails and is retried.
    let err = handle("", kafka(&[(1, 7)]), Answers::default()).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "rule `kafka`: 1 of 4 records failed (first: record 3 (id 7): the app answered 500"
        ),
        "{err}"
    );
}

#[test]
fn each_kafka_record_names_its_partition_and_offset_to_the_app() {
    let handler = Handler::new(Config::default());
    let event = Event::from_slice(&crate::fixtures::read("kafka/two-partitions.json")).unwrap();
    let explained = handler.explain(&event).unwrap();
    let named: Vec<(&str, &str)> = explained
        .requests()
        .iter()
        .map(|r| {
            (
                r.headers()["ceh-record-group"].to_str().unwrap(),
                r.headers()["ceh-record-id"].to_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            ("orders-0", "41"),
            ("orders-0", "42"),
            ("orders-0", "43"),
            ("orders-1", "7")
        ]
    );
}

fn custom_resource(url: &str) -> Value {
    json!({"RequestType": "Create", "ServiceToken": "arn:aws:lambda:eu-west-1:111122223333:function:f",
           "ResponseURL": url, "StackId": "arn:aws:cloudformation:eu-west-1:111122223333:stack/s/1",
           "RequestId": "req-1", "ResourceType": "Custom::Thing", "LogicalResourceId": "Thing",
           "ResourceProperties": {"ServiceToken": "x"}})
}

/// A listener that accepts connections and never answers: a tarpit, or a place that must not be
/// reached. It counts what connects.
fn tarpit() -> (String, Arc<Mutex<usize>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/internal-admin", listener.local_addr().unwrap());
    let connected = Arc::new(Mutex::new(0));
    let count = connected.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        // Bounded: the test process ends it, and a handful of connections at most arrive.
        for stream in listener.incoming().take(8).flatten() {
            *count.lock().unwrap() += 1;
            held.push(stream);
        }
    });
    (url, connected)
}

#[test]
fn a_response_url_off_its_hosts_is_never_contacted() {
    let (url, connected) = tarpit();
    let err = handle("", custom_resource(&url), Answers::default()).unwrap_err();
    assert!(
        err.to_string().contains("ResponseURL names host 127.0.0.1, which is not amazonaws.com or amazonaws.com.cn nor under it"),
        "{err}"
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(*connected.lock().unwrap(), 0);
}

#[test]
fn a_response_url_that_never_answers_is_given_up_within_the_invocation() {
    let (url, connected) = tarpit();
    let handler = Handler::new(
        Config::parse(
            "test.toml",
            "[reply]\nresponse_url_hosts = [\"127.0.0.1\"]\n",
        )
        .unwrap(),
    );
    let invocation = Invocation::default()
        .with_deadline(std::time::SystemTime::now() + Duration::from_millis(300));
    let err = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(handler.handle_invocation(
            &Event::from_json(custom_resource(&url)),
            Answers::default(),
            &invocation,
        ))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("the PUT to ResponseURL took longer than"),
        "{err}"
    );
    assert_eq!(*connected.lock().unwrap(), 1);
}
