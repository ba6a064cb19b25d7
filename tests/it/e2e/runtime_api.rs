//! ceh's own loop over the runtime API, which serves one invocation at a time:
//! payloads `cargo lambda invoke` would not send, sent as they are.

use serde_json::json;

use super::harness::{ceh_lambda, inner, Emulator};

#[test]
fn a_payload_that_is_not_an_event_is_reported_and_the_loop_goes_on() {
    let emulator = Emulator::start();
    let _ceh = ceh_lambda(&emulator, &[], &["--echo"]);
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let cases: [(&[u8], &str); 4] = [
        (
            b"not json",
            "the event is not valid JSON: expected ident at line 1 column 2",
        ),
        (b"", "the event is empty: expected one JSON value"),
        (
            b"[1, 2",
            "the event is not valid JSON: EOF while parsing a list at line 1 column 5",
        ),
        (
            deep.as_bytes(),
            "the event nests deeper than 128 levels at line 1 column 128",
        ),
    ];
    for (payload, message) in cases {
        let (status, body) = emulator.invoke_raw(payload);
        let shown = String::from_utf8_lossy(&payload[..payload.len().min(20)]);
        assert_eq!(status, 500, "{shown:?}: {body}");
        let report: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            report,
            json!({"errorType": "Ceh.InvalidEvent", "errorMessage": message}),
            "{shown:?}"
        );
        // Each failure is that invocation's alone.
        let (status, body) = emulator.invoke_raw(br#"{"ok": true}"#);
        assert_eq!(status, 200, "after {shown:?}: {body}");
    }
}

#[test]
fn the_app_sees_the_event_without_the_whitespace_around_it() {
    let emulator = Emulator::start();
    let _ceh = ceh_lambda(&emulator, &[], &["--echo"]);
    let (status, body) = emulator.invoke_raw(b" \r\n {\"a\": \"  b  \"}\n\n");
    assert_eq!(status, 200, "{body}");
    let reply: serde_json::Value = serde_json::from_str(&body).unwrap();
    let seen = inner(&reply, "body");
    assert_eq!(seen["body"], r#"{"a": "  b  "}"#);
    assert_eq!(seen["headers"]["content-length"], "14");
    assert!(seen["headers"]["x-amzn-trace-id"]
        .as_str()
        .is_some_and(|t| t.starts_with("Root=1-")));
}
