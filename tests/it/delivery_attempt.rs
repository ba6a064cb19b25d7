//! `ceh-delivery-attempt`: how many times the source has delivered a record or event, from
//! what the source itself says, through the handler to an in-process app; absent where the
//! source says nothing, and a rule cannot set it to anything but a positive integer.

use cloud_events_handler::headers::DELIVERY_ATTEMPT_HEADER;
use cloud_events_handler::{Config, Event, Handler, Invocation};
use serde_json::{json, Value};

use crate::invocation::{recorder, Seen};

fn fixture(path: &str) -> Value {
    let file = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap()
}

/// The `ceh-delivery-attempt` value of each request the app got for `json`.
fn attempts(json: &Value) -> Vec<Option<String>> {
    let handler = Handler::new(Config::default());
    let event = Event::from_slice(json.to_string().as_bytes()).unwrap();
    let seen = Seen::default();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(handler.handle_invocation(&event, recorder(seen.clone()), &Invocation::default()))
        .unwrap();
    let seen = seen.lock().unwrap();
    seen.iter()
        .map(|headers| {
            assert!(headers.get_all(DELIVERY_ATTEMPT_HEADER).iter().count() <= 1);
            headers
                .get(DELIVERY_ATTEMPT_HEADER)
                .map(|v| v.to_str().unwrap().to_owned())
        })
        .collect()
}

fn some(values: &[&str]) -> Vec<Option<String>> {
    values.iter().map(|v| Some((*v).to_owned())).collect()
}

/// SQS sends `attributes.ApproximateReceiveCount` as a string, per message:
/// https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
#[test]
fn sqs_says_it_per_message() {
    let mut sqs = fixture("sqs/basic.json");
    let first = sqs["Records"][0].clone();
    let mut second = first.clone();
    let mut third = first.clone();
    sqs["Records"][0]["attributes"]["ApproximateReceiveCount"] = json!("1");
    second["messageId"] = json!("m-second");
    second["attributes"]["ApproximateReceiveCount"] = json!("5");
    third["messageId"] = json!("m-third");
    third["attributes"]
        .as_object_mut()
        .unwrap()
        .remove("ApproximateReceiveCount");
    sqs["Records"] = json!([sqs["Records"][0], second, third]);
    assert_eq!(attempts(&sqs), [some(&["1", "5"]), vec![None]].concat());

    // EventBridge Pipes passes SQS's records on as they are, without `Records`.
    let pipes = sqs["Records"].clone();
    assert_eq!(attempts(&pipes), [some(&["1", "5"]), vec![None]].concat());
}

/// A count that is no positive integer is no attempt: the header is left out.
#[test]
fn a_count_that_is_no_positive_integer_is_left_out() {
    for count in [
        json!("0"),
        json!("-1"),
        json!("+2"),
        json!("two"),
        json!(""),
        json!(2.5),
        json!(true),
    ] {
        let mut sqs = fixture("sqs/basic.json");
        sqs["Records"] = json!([sqs["Records"][0]]);
        sqs["Records"][0]["attributes"]["ApproximateReceiveCount"] = count.clone();
        assert_eq!(attempts(&sqs), vec![None], "{count}");
    }
}

/// Pub/Sub push sends `deliveryAttempt`, a number, only when the subscription has a
/// dead-letter policy:
/// https://cloud.google.com/pubsub/docs/push#receive_push
#[test]
fn pubsub_push_says_it_with_a_dead_letter_policy() {
    let mut push = fixture("pubsub/push.json");
    assert_eq!(attempts(&push), vec![None]);
    push["deliveryAttempt"] = json!(4);
    assert_eq!(attempts(&push), some(&["4"]));
}

/// The Functions host's Metadata for a Service Bus trigger holds `DeliveryCount`, and for a
/// Queue Storage trigger `DequeueCount`, numbers counting from 1:
/// https://learn.microsoft.com/azure/azure-functions/functions-bindings-service-bus-trigger#message-metadata
/// https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger#message-metadata
#[test]
fn azure_functions_metadata_says_it() {
    let mut servicebus = fixture("azure-functions/servicebus.json");
    servicebus["Metadata"]["DeliveryCount"] = json!(3);
    assert_eq!(attempts(&servicebus), some(&["3"]));
    let mut queue = fixture("azure-functions/queue.json");
    queue["Metadata"]["DequeueCount"] = json!(6);
    assert_eq!(attempts(&queue), some(&["6"]));
}

/// Lambda's Kinesis and DynamoDB Streams records say nothing of retries, nor does S3:
/// https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
#[test]
fn sources_that_do_not_say_send_none() {
    let kinesis = fixture("kinesis/stream.json");
    let requests = attempts(&kinesis);
    assert!(!requests.is_empty());
    assert!(requests.iter().all(Option::is_none), "{requests:?}");
    let s3 = json!({"Records": [{"eventSource": "aws:s3", "s3": {}}]});
    assert_eq!(attempts(&s3), vec![None]);
}

/// A rule sets the header to one placeholder or a literal positive integer, nothing else.
#[test]
fn a_rule_sets_it_to_a_positive_integer_only() {
    let rule = |value: &str| {
        format!(
            "[[rule]]\nname = \"orders\"\npath = \"/orders\"\n[rule.match]\n\"$.kind\" = \"order\"\n\
             [rule.headers]\n\"ceh-delivery-attempt\" = {value:?}\n"
        )
    };
    for accepted in ["{$.tries}", "1", "12"] {
        Config::parse("ceh.toml", &rule(accepted)).unwrap();
    }
    for refused in ["try {$.tries}", "{$.a}{$.b}", "0", "one", ""] {
        let error = Config::parse("ceh.toml", &rule(refused))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("`ceh-delivery-attempt` is a positive integer"),
            "{refused:?}: {error}"
        );
    }
}

/// The environment's headers go on every event alike, so they cannot hold a count.
#[test]
fn the_environment_cannot_set_it() {
    let error = Config::parse(
        "ceh.toml",
        "[environment.headers]\n\"ceh-delivery-attempt\" = \"1\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("`ceh-delivery-attempt` is what each event's source says"),
        "{error}"
    );
}

/// What the app gets from `ceh serve` (the library's server, in-process) for `body` sent
/// with `headers`: one header map a request, and ceh's own status line.
fn served(headers: &str, body: &str) -> (Vec<Option<String>>, String) {
    use cloud_events_handler::serve::{serve, ServeOptions};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let seen = Seen::default();
    let mut answer = String::new();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            // The server stops once this client has read its answer.
            let client = async {
                let request = format!(
                    "POST / HTTP/1.1\r\nhost: ceh\r\ncontent-type: application/json\r\n{headers}\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
                stream.write_all(request.as_bytes()).await.unwrap();
                stream.read_to_string(&mut answer).await.unwrap();
            };
            let handler = Handler::new(Config::default());
            serve(
                listener,
                handler,
                recorder(seen.clone()),
                ServeOptions::default(),
                client,
            )
            .await
            .unwrap();
        });
    let seen = seen.lock().unwrap();
    let attempts = seen
        .iter()
        .map(|headers| {
            headers
                .get(DELIVERY_ATTEMPT_HEADER)
                .map(|v| v.to_str().unwrap().to_owned())
        })
        .collect();
    (
        attempts,
        answer.lines().next().unwrap_or_default().to_owned(),
    )
}

/// Event Grid's push says how many times it delivered before in `aeg-delivery-count`, 0 the
/// first time; `ceh serve` passes it on as the attempt, one more:
/// https://learn.microsoft.com/azure/event-grid/delivery-and-retry
#[test]
fn event_grid_says_it_to_ceh_serve() {
    let events = fixture("eventgrid/blob-created.json").to_string();
    let count = events.matches("\"eventType\"").count();
    for (header, expected) in [
        ("aeg-delivery-count: 0\r\n", Some("1")),
        ("aeg-delivery-count: 7\r\n", Some("8")),
        ("aeg-delivery-count: seven\r\n", None),
        ("aeg-delivery-count: -1\r\n", None),
        ("", None),
    ] {
        let (attempts, status) = served(header, &events);
        assert_eq!(status, "HTTP/1.1 200 OK", "{header:?}");
        assert_eq!(
            attempts,
            vec![expected.map(str::to_owned); count],
            "{header:?}"
        );
    }
}

/// A delivery that says nothing leaves a rule's per-record count in place.
#[test]
fn ceh_serve_keeps_a_records_own_count() {
    let mut push = fixture("pubsub/push.json");
    push["deliveryAttempt"] = json!(2);
    let (attempts, status) = served("", &push.to_string());
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(attempts, some(&["2"]));
}
