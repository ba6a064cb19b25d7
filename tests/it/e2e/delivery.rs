//! The delivery contract at the front ends, with the real binary: what `ceh serve` answers a
//! sender when the app did not take every event, and what `ceh invoke` does for local use
//! (the app and its time from the environment, nothing sent off the machine unless asked).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::examples::flask_example;
use super::harness::{ceh_serve, exchange, exit_within, flask, Process};

/// An Event Grid delivery is a batch with no partial answer: when the app has no route for its
/// events (the Flask example has none), the sender must get a status it retries. Event Grid
/// retries 5xx and drops or dead-letters 400, 401, 403 and 413 ("Event Grid message delivery and
/// retry"); on 62c1fb7 `ceh serve` answered 200, and Event Grid dropped the events.
#[test]
fn serve_never_acknowledges_events_the_app_did_not_take() {
    let (_app, url) = flask_example();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ceh.toml");
    std::fs::write(&config, "[reply]\nreport_item_failures = true\n").unwrap();
    let (_ceh, port) = ceh_serve(&["--app", &url, "--config", config.to_str().unwrap()], &[]);

    let grid = crate::fixtures::read("eventgrid/blob-created.json");
    let (status, _, body) = exchange(
        port,
        "POST",
        "/",
        &[("content-type", "application/json")],
        &grid,
    );
    assert_eq!(status, 502, "{body}");
    assert!(
        body.contains("the app answered 404 Not Found to POST /"),
        "{body}"
    );

    // An SQS batch posted by hand: the app takes /aws.sqs, fails the record that says so; the
    // partial answer a Lambda would give cannot be spoken over HTTP, so the delivery fails.
    let batch = json!({"Records": [
        {"messageId": "m-1", "body": "fine", "eventSource": "aws:sqs"},
        {"messageId": "m-2", "body": "fail", "eventSource": "aws:sqs"}
    ]});
    let (status, _, body) = exchange(
        port,
        "POST",
        "/",
        &[("content-type", "application/json")],
        batch.to_string().as_bytes(),
    );
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("1 records of the event failed"), "{body}");

    // A single event the app has no route for: a 5xx every sender retries, not the app's 404.
    let custom = crate::fixtures::read("eventbridge/custom.json");
    let (status, _, body) = exchange(
        port,
        "POST",
        "/",
        &[("content-type", "application/json")],
        &custom,
    );
    assert_eq!(status, 502, "{body}");
}

/// A poison message the app drops on purpose (`ceh-drop: true` on its 422) is acknowledged to
/// the sender with a 2xx, which Pub/Sub, Event Grid and Knative all take as done; a message the
/// app fails is not.
#[test]
fn serve_acknowledges_a_message_the_app_drops_on_purpose() {
    let (_app, app_port) = flask(0);
    let (_ceh, port) = ceh_serve(&["--app", &format!("http://127.0.0.1:{app_port}")], &[]);
    let event = |note: &str| {
        json!({"Records": [{"eventSource": "aws:s3", "s3": {"object": {"key": note}}}]}).to_string()
    };
    let (status, headers, _) = exchange(port, "POST", "/", &[], event("poison").as_bytes());
    assert_eq!(status, 202);
    assert!(
        headers.iter().any(|(k, v)| k == "ceh-drop" && v == "true"),
        "{headers:?}"
    );
    let (status, _, body) = exchange(port, "POST", "/", &[], event("fail").as_bytes());
    assert_eq!(status, 500, "{body}");
}

fn invoke(args: &[&str], env: &[(&str, &str)], event: &[u8]) -> Process {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ceh"))
        .arg("invoke")
        .args(args)
        .arg("-")
        .env_remove("APP")
        .env_remove("CEH_APP_TIMEOUT_MS")
        .env_remove("CEH_CONFIG")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(event).unwrap();
    Process(child)
}

fn stdout(process: &mut Process) -> String {
    let mut out = String::new();
    process
        .0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    out
}

#[test]
fn invoke_takes_the_app_and_its_time_from_the_environment() {
    let (_app, url) = flask_example();
    let s3 = crate::fixtures::read("s3/put.json");
    let mut ceh = invoke(&[], &[("APP", &url)], &s3);
    let (status, err) = exit_within(&mut ceh, 30, "ceh invoke with APP");
    assert!(status.success(), "{err}");
    let reply: Value = serde_json::from_str(&stdout(&mut ceh)).unwrap();
    assert!(
        reply["body"]
            .as_str()
            .unwrap()
            .contains("\"handled\":\"s3\""),
        "{reply}"
    );

    // An app that takes the connection and never answers: CEH_APP_TIMEOUT_MS bounds the wait,
    // and so does --timeout-ms (on 62c1fb7 ceh invoke waited forever).
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    for (args, env) in [
        (
            vec![],
            vec![("APP", silent_url.as_str()), ("CEH_APP_TIMEOUT_MS", "300")],
        ),
        (
            vec!["--app", silent_url.as_str(), "--timeout-ms", "300"],
            vec![],
        ),
    ] {
        let mut ceh = invoke(&args, &env, &s3);
        let (status, err) =
            exit_within(&mut ceh, 20, "ceh invoke against an app that never answers");
        assert_eq!(status.code(), Some(1), "{err}");
        assert!(err.contains("the app did not answer within "), "{err}");
    }
}

/// A stand-in for a ResponseURL: answers 200 to every request, and records them.
fn response_url() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/cfn-response?X-Amz-Signature=abc",
        listener.local_addr().unwrap()
    );
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().take(4).flatten() {
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            let mut buf = vec![0; 65536];
            let n = stream.read(&mut buf).unwrap_or(0);
            record
                .lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (url, seen)
}

#[test]
fn invoke_shows_a_custom_resources_result_and_sends_it_only_when_asked() {
    let (url, seen) = response_url();
    let mut event: Value =
        serde_json::from_slice(&crate::fixtures::read("cloudformation/create.json")).unwrap();
    event["ResponseURL"] = json!(url);
    let event = event.to_string();

    let mut ceh = invoke(&[], &[], event.as_bytes());
    let (status, err) = exit_within(&mut ceh, 30, "ceh invoke of a custom resource");
    assert!(status.success(), "{err}");
    assert_eq!(
        err,
        "ceh: the result was not sent to the event's ResponseURL; pass --send-response to send it\n"
    );
    let shown: Value = serde_json::from_str(&stdout(&mut ceh)).unwrap();
    assert_eq!(shown["Status"], "SUCCESS");
    assert!(seen.lock().unwrap().is_empty(), "nothing was sent");

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ceh.toml");
    std::fs::write(&config, "[reply]\nresponse_url_hosts = [\"127.0.0.1\"]\n").unwrap();
    let mut ceh = invoke(
        &["--send-response", "--config", config.to_str().unwrap()],
        &[],
        event.as_bytes(),
    );
    let (status, err) = exit_within(&mut ceh, 30, "ceh invoke --send-response");
    assert!(status.success(), "{err}");
    let sent = seen.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].starts_with("PUT /cfn-response?X-Amz-Signature=abc HTTP/1.1\r\n"),
        "{}",
        sent[0]
    );
}

/// `ceh serve` holds an app's answer within its `--max-body`, the bound it holds the senders'
/// bodies to, not the 16 MiB of the Lambda path (on 62c1fb7 each answer could take 16 MiB, beyond
/// the documented memory bound).
#[test]
fn serve_holds_the_apps_answer_within_its_body_limit() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let app = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().take(2).flatten() {
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            let mut buf = vec![0; 65536];
            let _ = stream.read(&mut buf);
            let mut answer =
                b"HTTP/1.1 200 OK\r\ncontent-length: 5000\r\nconnection: close\r\n\r\n".to_vec();
            answer.resize(answer.len() + 5000, b'x');
            let _ = stream.write_all(&answer);
        }
    });
    let (_ceh, port) = ceh_serve(&["--app", &app, "--max-body", "4096"], &[]);
    let s3 = br#"{"Records": [{"eventSource": "aws:s3", "s3": {}}]}"#;
    let (status, _, body) = exchange(port, "POST", "/", &[], s3);
    assert_eq!(status, 502, "{body}");
    assert!(
        body.contains("the app's response body is over the limit of 4096 bytes"),
        "{body}"
    );
}
