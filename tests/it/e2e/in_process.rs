//! A Rust function with its axum app in process (`examples/lambda_axum.rs`),
//! driven through the emulator like any Lambda.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::json;

use super::harness::{Emulator, Process};

fn example() -> PathBuf {
    // `cargo test` builds the examples beside the binaries.
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_ceh"));
    bin.parent().unwrap().join("examples/lambda_axum")
}

#[test]
fn an_axum_router_serves_events_and_http() {
    let emulator = Emulator::start();
    let mut command = Command::new(example());
    for (key, value) in emulator.runtime_env() {
        command.env(key, value);
    }
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), "[reply]\nreport_item_failures = true\n").unwrap();
    command
        .env("CEH_CONFIG", config.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _function = Process(command.spawn().unwrap());

    let reply = emulator.invoke_fixture("s3/put.json").unwrap();
    assert_eq!(reply["status_code"], 200);
    assert_eq!(
        super::harness::inner(&reply, "body"),
        json!({"handled": "s3", "keys": ["Happy%20Face.jpg"]})
    );

    let batch = json!({"Records": [
        {"messageId": "a", "body": "fine", "eventSource": "aws:sqs"},
        {"messageId": "b", "body": "fail", "eventSource": "aws:sqs"}
    ]});
    let reply = emulator.invoke(batch.to_string().as_bytes()).unwrap();
    assert_eq!(
        reply,
        json!({"batchItemFailures": [{"itemIdentifier": "b"}]})
    );

    let mut hello: serde_json::Value =
        serde_json::from_slice(&crate::fixtures::read("function-url/request.json")).unwrap();
    hello["rawPath"] = json!("/hello");
    let reply = emulator.invoke(hello.to_string().as_bytes()).unwrap();
    assert_eq!(reply["statusCode"], 200);
    assert_eq!(reply["body"], "hello from axum");
}

/// A Rust function that calls `lambda::run` gets the start the `ceh` binary
/// has: a bad configuration is posted to `/runtime/init/error` as
/// `Ceh.InvalidConfig` (the custom-runtime contract,
/// <https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>), and the
/// function exits without asking for an invocation. On 591d633 it only
/// returned the error from `main`, and Lambda heard nothing of why.
#[test]
fn a_rust_functions_failed_start_is_reported_as_cehs_is() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("ceh.toml");
    std::fs::write(&bad, "[reply]\nconcurrency = 0\n").unwrap();
    let (port, requests) = super::lambda_limits::runtime_api_stand_in();
    let output = Command::new(example())
        .env_remove("APP")
        .env("CEH_CONFIG", &bad)
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", "f")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let (line, body) = requests
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    assert_eq!(line, "POST /2018-06-01/runtime/init/error HTTP/1.1");
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(report["errorType"], "Ceh.InvalidConfig");
    let message = format!(
        "{}:2: reply.concurrency: a whole number from 1 to 1000",
        bad.display()
    );
    assert!(
        report["errorMessage"]
            .as_str()
            .unwrap()
            .starts_with(&message),
        "{report}"
    );
    assert!(
        requests.try_recv().is_err(),
        "nothing else was asked: no invocation loop"
    );
}

/// A Rust function that calls `lambda::run` registers for the Shutdown phase
/// as `ceh` does, before its first `…/invocation/next`, so Lambda sends it
/// SIGTERM, and it then exits 0 within the 500 ms Lambda gives it ("Shutdown
/// phase", <https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html>;
/// Extensions API, <https://docs.aws.amazon.com/lambda/latest/dg/runtimes-extensions-api.html>).
/// On 591d633 it registered nothing, so the platform could only kill it.
#[test]
fn a_rust_function_is_told_of_shutdown_as_ceh_is() {
    let platform = super::platform::Platform::start();
    let mut command = Command::new(example());
    command
        .env_remove("CEH_CONFIG")
        .envs(platform.runtime_env())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut function = Process(command.spawn().unwrap());

    let s3 = crate::fixtures::read("s3/put.json");
    let super::platform::Outcome::Response(reply) = platform.invoke(&s3) else {
        panic!("the invocation failed");
    };
    let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(reply["status_code"], 200);

    let seen = platform.seen();
    assert_eq!(seen.extensions, ["ceh-shutdown"]);
    let registered = seen
        .requests
        .iter()
        .position(|r| r == "POST /2020-01-01/extension/register");
    let first_next = seen
        .requests
        .iter()
        .position(|r| r == "GET /2018-06-01/runtime/invocation/next");
    assert!(
        registered.is_some() && registered < first_next,
        "{:?}",
        seen.requests
    );

    let shutdown = platform.shutdown(&mut function.0);
    assert!(shutdown.sigterm);
    assert!(!shutdown.killed, "the function outlived the Shutdown phase");
    assert_eq!(shutdown.status.code(), Some(0));
}
