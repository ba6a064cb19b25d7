//! The example apps in examples/ (Flask, Express), each behind `ceh invoke --app`:
//! an S3 notification, SQS messages one by one, and an HTTP route.
//! (The axum example runs in process under the emulator: `in_process.rs`.)

use std::process::{Command, Stdio};

use serde_json::{json, Value};

use super::harness::{listening_port, python_app, root, tools, Process};

fn invoke(app: &str, config: &str, event: &[u8]) -> (i32, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("ceh.toml");
    std::fs::write(&config_path, config).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ceh"))
        .args(["invoke", "--app", app, "--config"])
        .arg(&config_path)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), event).unwrap();
    let output = child.wait_with_output().unwrap();
    let reply = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (
        output.status.code().unwrap_or(-1),
        reply,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The same three checks for any example app listening at `app`.
fn exercise(app: &str, name: &str) {
    let (code, reply, err) = invoke(app, "", &crate::fixtures::read("s3/put.json"));
    assert_eq!(code, 0, "{name}: {err}");
    assert_eq!(
        serde_json::from_str::<Value>(reply["body"].as_str().unwrap()).unwrap(),
        json!({"handled": "s3", "keys": ["Happy%20Face.jpg"]})
    );

    let batch = json!({"Records": [
        {"messageId": "m-1", "body": "fine", "eventSource": "aws:sqs"},
        {"messageId": "m-2", "body": "fail", "eventSource": "aws:sqs"}
    ]})
    .to_string();
    let (code, reply, err) = invoke(
        app,
        "[reply]\nreport_item_failures = true\n",
        batch.as_bytes(),
    );
    assert_eq!(code, 0, "{name}: {err}");
    assert_eq!(
        reply,
        json!({"batchItemFailures": [{"itemIdentifier": "m-2"}]}),
        "{name}"
    );
    // Without ReportBatchItemFailures declared, the whole batch fails and is retried.
    let (code, _, err) = invoke(app, "", batch.as_bytes());
    assert_eq!(code, 1, "{name}");
    assert!(
        err.contains("1 of 2 records failed (first: record 1 (id m-2)"),
        "{name}: {err}"
    );

    routes_the_app_lacks_are_failures(app, name);
    spoofs_never_reach_the_event_handler(app, name);

    let mut hello: Value =
        serde_json::from_slice(&crate::fixtures::read("function-url/request.json")).unwrap();
    hello["rawPath"] = json!("/hello");
    let (code, reply, err) = invoke(app, "", hello.to_string().as_bytes());
    assert_eq!(code, 0, "{name}: {err}");
    assert_eq!(reply["statusCode"], 200, "{name}");
    assert_eq!(reply["body"], format!("hello from {name}"));

    // docs/deploy.md's CEH_READINESS_PATH: a route the app has, not a 404 that passes for ready.
    let mut health = hello;
    health["rawPath"] = json!("/health");
    let (code, reply, err) = invoke(app, "", health.to_string().as_bytes());
    assert_eq!(code, 0, "{name}: {err}");
    assert_eq!(reply["statusCode"], 200, "{name}: {reply}");
}

/// The example apps have no EventBridge, Kinesis or DynamoDB route: their 404 is a failure the
/// source retries, never an acknowledgement (on 62c1fb7 `ceh invoke` exited 0 with
/// `status_code: 404`, and the streams replied `{"batchItemFailures": []}`, so Lambda
/// checkpointed past records nobody handled).
fn routes_the_app_lacks_are_failures(app: &str, name: &str) {
    let (code, reply, err) = invoke(app, "", &crate::fixtures::read("eventbridge/custom.json"));
    assert_eq!(code, 1, "{name}: {reply}");
    assert_eq!(
        err.lines().last().map(|l| l.starts_with("ceh: ")),
        Some(true),
        "{name}: {err}"
    );
    assert!(
        err.contains("the app answered 404 Not Found to POST /"),
        "{name}: {err}"
    );
    assert!(
        err.contains("does the app have a route for this method and path?"),
        "{name}: {err}"
    );

    for fixture in ["kinesis/stream.json", "dynamodb/stream.json"] {
        let event = crate::fixtures::read(fixture);
        let (code, reply, err) = invoke(app, "[reply]\nreport_item_failures = true\n", &event);
        assert_eq!(code, 0, "{name} {fixture}: {err}");
        let failures = reply["batchItemFailures"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            failures.len(),
            1,
            "{name} {fixture}: the first record is the checkpoint: {reply}"
        );
        let (code, _, err) = invoke(app, "", &event);
        assert_eq!(code, 1, "{name} {fixture}");
        assert!(
            err.contains("the app answered 404 Not Found"),
            "{name} {fixture}: {err}"
        );
    }
}

/// Paths a server or framework reads as `/aws.s3`: each is refused by ceh with a 404, so the
/// app's S3 handler never runs (it would answer `{"handled": "s3", …}`). Express routes without
/// regard to letter case, Flask merges nothing: ceh refuses them all for both.
const SPOOFS: [&str; 12] = [
    "/aws.s3",
    "//aws.s3",
    "///aws.s3",
    "/%61ws.s3",
    "/aws%2Es3",
    "/%2Faws.s3",
    "/x/../aws.s3",
    "/./aws.s3",
    "/x/%2e%2e/aws.s3",
    "/aws.s3;x",
    "/AWS.S3",
    "/aws.s3.eventbridge",
];

fn spoofs_never_reach_the_event_handler(app: &str, name: &str) {
    let s3 = String::from_utf8(crate::fixtures::read("s3/put.json")).unwrap();
    for spoof in SPOOFS {
        // A function URL (payload 2.0), and a REST API behind a stage (payload 1.0).
        let mut url: Value =
            serde_json::from_slice(&crate::fixtures::read("function-url/request.json")).unwrap();
        url["rawPath"] = json!(spoof);
        url["rawQueryString"] = json!("");
        url["requestContext"]["http"]["method"] = json!("POST");
        url["body"] = json!(s3);
        let mut rest: Value =
            serde_json::from_slice(&crate::fixtures::read("apigw-v1/proxy.json")).unwrap();
        rest["path"] = json!(spoof);
        rest["httpMethod"] = json!("POST");
        rest["requestContext"]["httpMethod"] = json!("POST");
        rest["body"] = json!(s3);
        rest["isBase64Encoded"] = json!(false);
        for event in [url, rest] {
            let (code, reply, err) = invoke(app, "", event.to_string().as_bytes());
            assert_eq!(code, 0, "{name} {spoof}: {err}");
            assert_eq!(reply["statusCode"], 404, "{name} {spoof}: {reply}");
            let body = reply["body"].as_str().unwrap_or_default();
            assert!(body.contains("is an event route"), "{name} {spoof}: {body}");
            assert!(
                !body.contains("handled"),
                "{name} {spoof}: the S3 handler ran"
            );
        }
    }
}

/// The Flask example on a free port, and its base URL.
pub(super) fn flask_example() -> (Process, String) {
    let (app, port) = python_app("examples/flask/app.py", 0);
    (app, format!("http://127.0.0.1:{port}"))
}

#[test]
fn the_flask_example() {
    let (_app, url) = flask_example();
    exercise(&url, "flask");
}

#[test]
fn the_express_example() {
    tools();
    let mut child = Command::new("node")
        .arg(root().join("examples/express/app.js"))
        .arg("0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node runs (Node.js 18 or later is needed for the Express example)");
    let port = listening_port(&mut child);
    let _app = Process(child);
    exercise(&format!("http://127.0.0.1:{port}"), "express");
}
