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
