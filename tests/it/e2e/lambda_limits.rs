//! `ceh lambda` when things go wrong around the loop: an app that exits after start-up, a
//! start that fails (reported to the runtime API's init/error), a bad payload with several
//! invocations at once, and SIGTERM with an invocation in flight.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use super::harness::{
    ceh_lambda, exit_within, flask_command, free_port, inner, root, tools, Emulator, Process,
};

const S3: &[u8] = br#"{"Records": [{"eventSource": "aws:s3", "s3": {"object": {"key": "k"}}}]}"#;
const SLOW: &[u8] = br#"{"Records": [{"eventSource": "aws:s3", "slow": true}]}"#;

#[test]
fn an_app_that_exits_after_start_up_stops_ceh_with_one_line() {
    let emulator = Emulator::start();
    let port = free_port();
    // The Flask app, run by a shell that stops it two seconds after it started.
    let flask = format!(
        "{} {} {port} & app=$!; sleep 2; kill $app; wait $app; exit 3",
        tools().join("python").display(),
        root().join("tests/apps/flask_app.py").display()
    );
    let mut ceh = ceh_lambda(
        &emulator,
        &[("APP", format!("http://127.0.0.1:{port}"))],
        &["--", "sh", "-c", &flask],
    );
    assert!(emulator.invoke(S3).is_ok(), "served while the app runs");
    let (status, stderr) = exit_within(&mut ceh, 15, "ceh went on after its app exited");
    assert_eq!(status.code(), Some(1), "{stderr}");
    // The app's own output shares the stream: ceh's is its one line, the last.
    let ours: Vec<&str> = stderr.lines().filter(|l| l.starts_with("ceh: ")).collect();
    assert_eq!(
        ours,
        ["ceh: the app `sh` exited (exit status: 3) after it was ready; ceh stops so that Lambda starts a new execution environment"],
        "{stderr}"
    );
    assert!(stderr.ends_with(&format!("{}\n", ours[0])), "{stderr}");
}

/// A stand-in for the runtime API that answers `202` to every request and hands each one
/// over as (request line, body). Lambda's own contract is all it has to follow here.
pub(super) fn runtime_api_stand_in() -> (u16, std::sync::mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (seen, requests) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4).flatten() {
            let (mut stream, line, body) = read_request(stream);
            let _ = stream.write_all(
                b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
            let _ = seen.send((
                line.trim().to_owned(),
                String::from_utf8_lossy(&body).into_owned(),
            ));
        }
    });
    (port, requests)
}

/// Reads one HTTP/1.1 request from a stand-in's connection (bounded by a
/// 10 s read timeout): the stream, to answer on, the request line and the
/// body its `content-length` announces.
pub(super) fn read_request(stream: TcpStream) -> (TcpStream, String, Vec<u8>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    let _ = reader.read_line(&mut line);
    let mut length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    (reader.into_inner(), line, body)
}

#[test]
fn a_failed_start_is_reported_to_the_runtime_api() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("ceh.toml");
    std::fs::write(&bad, "[reply]\nconcurrency = 0\n").unwrap();
    let cases = [
        (
            vec!["--echo".to_owned()],
            vec![("CEH_CONFIG", bad.display().to_string())],
            "Ceh.InvalidConfig",
            format!(
                "{}:2: reply.concurrency: a whole number from 1 to 1000",
                bad.display()
            ),
        ),
        (
            vec!["--".to_owned(), "false".to_owned()],
            vec![("APP", format!("http://127.0.0.1:{}", free_port()))],
            "Ceh.InitFailed",
            "the app `false` exited".to_owned(),
        ),
    ];
    for (args, settings, error_type, message) in cases {
        let (port, requests) = runtime_api_stand_in();
        let output = ceh_lambda_command(port)
            .args(&args)
            .envs(settings)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_ne!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with(&format!("ceh: {message}")),
            "{args:?}: {stderr}"
        );
        let (line, body) = requests.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(
            line, "POST /2018-06-01/runtime/init/error HTTP/1.1",
            "{args:?}"
        );
        let report: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(report["errorType"], error_type, "{args:?}");
        let reported = report["errorMessage"].as_str().unwrap();
        assert!(reported.starts_with(&message), "{args:?}: {reported}");
        assert!(
            requests.try_recv().is_err(),
            "nothing else was asked: no invocation loop"
        );
    }
}

#[test]
fn with_several_invocations_at_once_a_bad_payload_is_an_invalid_event() {
    let emulator = Emulator::start();
    let _ceh = ceh_lambda(
        &emulator,
        &[("AWS_LAMBDA_MAX_CONCURRENCY", "4".into())],
        &["--echo"],
    );
    let (status, body) = emulator.invoke_raw(b"not json");
    assert_eq!(status, 500, "{body}");
    let report: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        report,
        json!({"errorType": "Ceh.InvalidEvent", "errorMessage": "the event is not valid JSON: expected ident at line 1 column 2"})
    );
    let (status, body) = emulator.invoke_raw(br#"{"ok": true}"#);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn sigterm_lets_the_invocation_in_flight_finish() {
    let emulator = Emulator::start();
    let port = free_port();
    let command = flask_command(port);
    let mut ceh = ceh_lambda(
        &emulator,
        &[("APP", format!("http://127.0.0.1:{port}"))],
        &command.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(emulator.invoke(S3).is_ok());
    let pid = ceh.0.id().to_string();
    // The Flask app takes 3 s over SLOW; SIGTERM arrives a second into it.
    let terminate = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(1));
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    });
    let reply = emulator
        .invoke(SLOW)
        .expect("the invocation in flight is answered");
    assert_eq!(inner(&reply, "body")["path"], "/aws.s3");
    assert!(terminate.join().unwrap());
    let (exit, _) = exit_within(&mut ceh, 10, "ceh did not stop on SIGTERM");
    assert_eq!(exit.code(), Some(0));
    drop::<Process>(ceh);
}

#[test]
fn an_lwa_app_keeps_its_settings() {
    let emulator = Emulator::start();
    let port = free_port();
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), "[http]\nlwa_context_headers = true\n").unwrap();
    let command = flask_command(port);
    let _ceh = ceh_lambda(
        &emulator,
        &[
            ("AWS_LWA_PORT", port.to_string()),
            ("AWS_LWA_READINESS_CHECK_PATH", "/health".into()),
            ("AWS_LWA_REMOVE_BASE_PATH", "/api".into()),
            ("CEH_CONFIG", config.path().display().to_string()),
        ],
        &command.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let mut event: Value =
        serde_json::from_slice(&crate::fixtures::read("function-url/request.json")).unwrap();
    event["rawPath"] = json!("/api/orders/7");
    let reply = emulator.invoke(event.to_string().as_bytes()).unwrap();
    assert_eq!(reply["statusCode"], 200, "{reply}");
    let seen = inner(&reply, "body");
    assert_eq!(seen["path"], "/orders/7", "AWS_LWA_REMOVE_BASE_PATH");
    assert_eq!(seen["headers"]["x-forwarded-prefix"], json!(["/api"]));
    let context: Value = serde_json::from_str(
        seen["headers"]["x-amzn-request-context"][0]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(context["http"]["method"], "GET");
    let lambda: Value = serde_json::from_str(
        seen["headers"]["x-amzn-lambda-context"][0]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert!(
        lambda["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{lambda}"
    );
    assert!(lambda["deadline"].as_u64().is_some(), "{lambda}");
}

#[test]
fn logs_follow_lambdas_logging_controls_and_carry_no_bodies() {
    let emulator = Emulator::start();
    let mut ceh = ceh_lambda(
        &emulator,
        &[
            ("AWS_LAMBDA_LOG_FORMAT", "JSON".into()),
            ("AWS_LAMBDA_LOG_LEVEL", "DEBUG".into()),
        ],
        &["--echo"],
    );
    assert!(emulator.invoke(S3).is_ok());
    // A CloudEvent without its id is refused: a failure, logged at warn with its cause.
    let refused = emulator.invoke(br#"{"specversion": "1.0", "source": "/s", "type": "t"}"#);
    assert!(refused.is_err());
    let pid = ceh.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let (_, stderr) = exit_within(&mut ceh, 10, "ceh did not stop on SIGTERM");
    let lines: Vec<Value> = stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    let handled = lines
        .iter()
        .find(|l| l["message"] == "event handled")
        .unwrap_or_else(|| panic!("no event handled in {stderr}"));
    assert_eq!(handled["level"], "DEBUG");
    assert!(
        handled["timestamp"]
            .as_str()
            .is_some_and(|t| t.starts_with("20")),
        "{handled}"
    );
    assert!(
        handled["requestId"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{handled}"
    );
    assert_eq!(
        (&handled["rule"], &handled["path"], &handled["status"]),
        (&json!("s3"), &json!("/aws.s3"), &json!(200))
    );
    let refused = lines
        .iter()
        .find(|l| l["message"] == "event refused")
        .unwrap_or_else(|| panic!("no event refused in {stderr}"));
    assert_eq!(refused["level"], "WARN");
    assert_eq!(refused["kind"], "Ceh.NoRule");
    assert!(refused["error"]
        .as_str()
        .is_some_and(|e| e.contains("attribute `id` is missing")));
    // The event's own data never reaches the log.
    assert!(
        !stderr.contains("\"key\": \"k\"") && !stderr.contains("eventSource"),
        "{stderr}"
    );
}

/// `ceh lambda` against the runtime API stand-in on `port`, with the
/// function's settings Lambda always sets and no `APP` or `CEH_CONFIG` of the
/// test's environment; the caller adds its arguments and settings.
pub(super) fn ceh_lambda_command(port: u16) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ceh"));
    command
        .arg("lambda")
        .env_remove("APP")
        .env_remove("CEH_CONFIG")
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", "f")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .stdin(Stdio::null());
    command
}
