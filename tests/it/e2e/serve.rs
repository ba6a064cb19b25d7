//! `ceh serve` on 127.0.0.1:0 in front of the Flask app: every way an event arrives over HTTP.

use std::net::TcpStream;
use std::process::Command;

use serde_json::{json, Value};

use super::harness::{ceh_serve, exchange, flask, inner, Process};

struct Server {
    process: Process,
    port: u16,
}

fn start(args: &[&str]) -> Server {
    start_with(args, &[])
}

fn start_with(args: &[&str], env: &[(&str, &str)]) -> Server {
    let (process, port) = ceh_serve(args, env);
    Server { process, port }
}

/// One HTTP/1.1 exchange with the server's root path.
fn send(
    port: u16,
    method: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, String) {
    exchange(port, method, "/", headers, body)
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn events_over_http_reach_the_app() {
    let (_app, app_port) = flask(0);
    let server = start(&["--app", &format!("http://127.0.0.1:{app_port}")]);
    let port = server.port;

    // Raw AWS event JSON, as with `curl --data @fixtures/s3/put.json`.
    // The sender gets the app's own response, not the Lambda dict.
    let (status, headers, body) = send(
        port,
        "POST",
        &[("content-type", "application/json")],
        &crate::fixtures::read("s3/put.json"),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, "content-type"), Some("application/json"));
    let seen: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(seen["path"], "/aws.s3");

    // A binary-mode CloudEvent, as Knative and Eventarc deliver them.
    let binary = [
        ("ce-specversion", "1.0"),
        ("ce-id", "1234-1234-1234"),
        ("ce-source", "/mycontext/subcontext"),
        ("ce-type", "com.example.someevent"),
        ("ce-time", "2018-04-05T03:56:24Z"),
        ("content-type", "application/json"),
    ];
    let (status, _, body) = send(port, "POST", &binary, br#"{"world": "hello"}"#);
    assert_eq!(status, 200, "{body}");
    let seen: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(seen["path"], "/mycontext/subcontext");
    // It reaches the app in binary mode too: the attributes as ce-* headers, the data as the body.
    assert_eq!(seen["headers"]["content-type"], json!(["application/json"]));
    assert_eq!(seen["headers"]["ce-id"], json!(["1234-1234-1234"]));
    assert_eq!(seen["headers"]["ce-time"], json!(["2018-04-05T03:56:24Z"]));
    assert_eq!(seen["body"], r#"{"world": "hello"}"#);

    // Structured mode.
    let structured = crate::fixtures::read("cloudevents/structured-1.0.json");
    let (status, _, body) = send(
        port,
        "POST",
        &[("content-type", "application/cloudevents+json")],
        &structured,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["path"],
        "/mycontext/subcontext"
    );

    // A batch: one request per event, one reply per event.
    let batch = crate::fixtures::read("cloudevents/batch.json");
    let (status, _, body) = send(
        port,
        "POST",
        &[("content-type", "application/cloudevents-batch+json")],
        &batch,
    );
    assert_eq!(status, 200, "{body}");
    let replies: Value = serde_json::from_str(&body).unwrap();
    let paths: Vec<Value> = replies
        .as_array()
        .unwrap()
        .iter()
        .map(|r| inner(r, "body")["path"].clone())
        .collect();
    assert_eq!(
        paths,
        [json!("/mycontext/subcontext"), json!("/mycontext/other")]
    );

    // The app's 500 asks the sender to retry.
    let (status, _, body) = send(
        port,
        "POST",
        &[],
        br#"{"Records": [{"eventSource": "aws:s3", "fail": true}]}"#,
    );
    assert_eq!(status, 500, "{body}");
    assert!(
        body.starts_with(
            "rule `s3`: the app answered 500 Internal Server Error to POST /aws.s3 with \""
        ),
        "{body}"
    );
    assert!(
        body.ends_with(", which counts as a failure; the event source will retry the event\n"),
        "{body}"
    );

    // Events that cannot be parsed are the sender's fault.
    let (status, _, body) = send(port, "POST", &[], b"{not json");
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            "the event is not valid JSON: key must be a string at line 1 column 2\n"
        )
    );
    let (status, _, body) = send(
        port,
        "POST",
        &[("content-type", "application/cloudevents+json")],
        br#"{"specversion": "1.0", "source": "/s", "type": "t"}"#,
    );
    assert_eq!(status, 400);
    assert!(
        body.starts_with(
            "rule `cloudevents`: the event is not a valid CloudEvent: attribute `id` is missing"
        ),
        "{body}"
    );
    let (status, _, _) = send(port, "GET", &[], b"");
    assert_eq!(status, 405);
}

#[test]
fn event_grid_validation_answers_only_allowed_origins() {
    let server = start(&["--echo"]);
    let (status, headers, _) = send(
        server.port,
        "OPTIONS",
        &[("webhook-request-origin", "eventgrid.azure.net")],
        b"",
    );
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "webhook-allowed-origin"),
        Some("eventgrid.azure.net")
    );
    assert_eq!(header(&headers, "webhook-allowed-rate"), Some("*"));
    let (status, headers, _) = send(
        server.port,
        "OPTIONS",
        &[("webhook-request-origin", "evil.example.com")],
        b"",
    );
    assert_eq!(status, 403);
    assert_eq!(header(&headers, "webhook-allowed-origin"), None);
}

#[test]
fn an_unreachable_app_is_a_bad_gateway_and_bodies_are_limited() {
    let port = super::harness::free_port();
    let server = start(&[
        "--app",
        &format!("http://127.0.0.1:{port}"),
        "--max-body",
        "1000",
    ]);
    let (status, _, body) = send(
        server.port,
        "POST",
        &[],
        br#"{"Records": [{"eventSource": "aws:s3"}]}"#,
    );
    assert_eq!(status, 502);
    assert!(
        body.contains(&format!(
            "the app at http://127.0.0.1:{port}/aws.s3 did not answer"
        )),
        "{body}"
    );
    let (status, _, body) = send(server.port, "POST", &[], &vec![b' '; 2000]);
    assert_eq!(
        (status, body.as_str()),
        (
            413,
            "the request body is over the limit of 1000 bytes, or broke off\n"
        )
    );
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut server = start(&["--echo"]);
    assert_eq!(send(server.port, "POST", &[], b"{}").0, 200);
    let pid = server.process.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = server.process.0.try_wait().unwrap() {
            assert_eq!(status.code(), Some(0));
            break;
        }
        assert!(
            started.elapsed().as_secs() < 10,
            "ceh serve did not stop on SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(TcpStream::connect(("127.0.0.1", server.port)).is_err());
}

#[test]
fn a_token_keeps_strangers_out() {
    let server = start_with(
        &["--echo", "--max-headers", "20"],
        &[("CEH_SERVE_TOKEN", "s3cret")],
    );
    let port = server.port;
    let (status, headers, body) = send(port, "POST", &[], b"{}");
    assert_eq!(
        (status, body.as_str()),
        (
            401,
            "this endpoint takes events with its token: Authorization: Bearer <token>\n"
        )
    );
    assert_eq!(header(&headers, "www-authenticate"), Some("Bearer"));
    assert_eq!(
        send(port, "POST", &[("authorization", "Bearer wrong!")], b"{}").0,
        401
    );
    assert_eq!(
        send(port, "POST", &[("authorization", "Bearer s3cret")], b"{}").0,
        200
    );
    // Too many headers: refused by the HTTP layer, before any event is read.
    let many: Vec<(String, String)> = (0..30)
        .map(|i| (format!("x-h{i}"), "v".to_owned()))
        .collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(send(port, "POST", &many, b"{}").0, 431);
}
