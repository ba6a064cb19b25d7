//! Event routes through the emulator, `ceh lambda` and the Flask app.

use aws_lambda_events::event::sqs::SqsBatchResponse;
use serde_json::json;

use super::harness::{ceh_lambda, flask, inner, Emulator};

#[test]
fn events_reach_flask_on_their_routes() {
    let emulator = Emulator::start();
    let (_app, port) = flask(0);
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), "[reply]\nreport_item_failures = true\n").unwrap();
    let _ceh = ceh_lambda(
        &emulator,
        &[
            ("APP", format!("http://127.0.0.1:{port}")),
            ("CEH_CONFIG", config.path().display().to_string()),
        ],
        &[],
    );

    // S3: the dict reply, the event's bytes as body, the invocation's facts as headers.
    let reply = emulator.invoke_fixture("s3/put.json").unwrap();
    assert_eq!(reply["status_code"], 200, "{reply}");
    let seen = inner(&reply, "body");
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["path"], "/aws.s3");
    assert_eq!(seen["headers"]["ceh-rule"], json!(["s3"]));
    assert_eq!(seen["headers"]["ceh-function-arn"], json!(["function-arn"]));
    assert!(seen["headers"]["ceh-request-id"][0]
        .as_str()
        .is_some_and(|id| !id.is_empty()));
    assert!(seen["headers"]["x-amzn-trace-id"][0]
        .as_str()
        .is_some_and(|t| t.starts_with("Root=")));
    let original = String::from_utf8(crate::fixtures::read("s3/put.json")).unwrap();
    assert_eq!(seen["body"], original.trim_end());
    // Repeated response headers are kept.
    assert_eq!(
        reply["headers"]["set-cookie"].as_array().map(Vec::len),
        Some(2),
        "{reply}"
    );

    // SQS: one request per message, and the batch reply.
    let reply = emulator.invoke_fixture("sqs/basic.json").unwrap();
    let parsed: SqsBatchResponse = serde_json::from_value(reply.clone()).unwrap();
    assert!(parsed.batch_item_failures.is_empty(), "{reply}");

    // A failing message is reported by its id, and only it.
    let batch = json!({"Records": [
        {"messageId": "ok-1", "body": "fine", "eventSource": "aws:sqs"},
        {"messageId": "bad-2", "body": "fail", "eventSource": "aws:sqs"},
        {"messageId": "ok-3", "body": "fine", "eventSource": "aws:sqs"}
    ]});
    let reply = emulator.invoke(batch.to_string().as_bytes()).unwrap();
    assert_eq!(
        reply,
        json!({"batchItemFailures": [{"itemIdentifier": "bad-2"}]})
    );

    // EventBridge: the path is the event's source.
    let reply = emulator.invoke_fixture("eventbridge/custom.json").unwrap();
    assert_eq!(inner(&reply, "body")["path"], "/com.mycompany.orders");
    let reply = emulator
        .invoke_fixture("eventbridge/s3-object-created.json")
        .unwrap();
    assert_eq!(inner(&reply, "body")["path"], "/aws.s3.eventbridge");
}
