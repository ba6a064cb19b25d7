//! A UTF-8 byte-order mark before the JSON the user hands the CLI (as .NET
//! tools and some editors save files) is left out, the event's bytes kept as
//! they are; events delivered by Lambda or over HTTP still refuse one.
//! RFC 8259 §8.1: a parser may ignore a byte-order mark rather than treat it
//! as an error (<https://www.rfc-editor.org/rfc/rfc8259#section-8.1>).

use bytes::Bytes;
use cloud_events_handler::{Config, Handler, DEFAULT_MAX_EVENT_BYTES};

use crate::cli::{ceh, check, stderr, stdout};

const BOM: &[u8] = b"\xEF\xBB\xBF";
const EVENT: &str = r#"{"Step": "CreateSecret", "SecretId": "s", "ClientRequestToken": "t"}"#;

fn with_bom(json: &str) -> Vec<u8> {
    [BOM, json.as_bytes()].concat()
}

/// A temporary file holding `contents`, and its path.
fn file(contents: &[u8]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("event.json");
    std::fs::write(&path, contents).unwrap();
    let path = path.to_str().unwrap().to_owned();
    (dir, path)
}

#[test]
fn explain_leaves_out_a_byte_order_mark_before_a_file_or_stdin() {
    let expected = format!(
        r#"{{
  "rule": "secretsmanager-rotation",
  "kind": "event",
  "reply": "body",
  "requests": [
    {{
      "method": "POST",
      "path": "/aws.secretsmanager",
      "query": null,
      "headers": {{
        "content-type": "application/json",
        "ce-specversion": "1.0",
        "ce-id": "ceh-ID",
        "ce-source": "ceh:secretsmanager-rotation",
        "ce-type": "ceh.secretsmanager-rotation",
        "host": "localhost",
        "content-length": "{}",
        "ceh-rule": "secretsmanager-rotation"
      }},
      "body": {}
    }}
  ]
}}
"#,
        EVENT.len(),
        serde_json::Value::from(EVENT)
    );
    // The id is derived from the event's bytes: the same with and without the mark.
    let plain = ceh(&["explain", "--format", "json", "-"], EVENT.as_bytes());
    let id = serde_json::from_slice::<serde_json::Value>(&plain.stdout).unwrap()["requests"][0]
        ["headers"]["ce-id"]
        .as_str()
        .unwrap()
        .to_owned();
    let expected = expected.replace("ceh-ID", &id);
    assert_eq!(stdout(&plain), expected);
    let (_dir, path) = file(&with_bom(EVENT));
    check(
        &["explain", "--format", "json", &path],
        b"",
        0,
        &expected,
        "",
    );
    check(
        &["explain", "--format", "json", "-"],
        &with_bom(EVENT),
        0,
        &expected,
        "",
    );
}

#[test]
fn invoke_sends_the_app_the_event_without_the_mark() {
    let (_dir, path) = file(&with_bom(EVENT));
    for (input, stdin) in [(path.as_str(), Vec::new()), ("-", with_bom(EVENT))] {
        let output = ceh(&["invoke", input], &stdin);
        assert_eq!(stderr(&output), "", "{input}");
        assert_eq!(output.status.code(), Some(0), "{input}");
        let reply: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        assert_eq!(reply["path"], "/aws.secretsmanager", "{input}");
        assert_eq!(reply["body"], EVENT, "{input}");
        assert_eq!(
            reply["headers"]["content-length"],
            EVENT.len().to_string(),
            "{input}"
        );
    }
}

#[test]
fn only_one_mark_and_only_at_the_start_is_left_out() {
    let not_json = "ceh: <stdin>: the event is not valid JSON: expected value at line 1 column 1\n";
    check(
        &["explain", "-"],
        &[BOM, &with_bom(EVENT)].concat(),
        1,
        "",
        not_json,
    );
    check(
        &["explain", "-"],
        &[b" ", BOM, EVENT.as_bytes()].concat(),
        1,
        "",
        "ceh: <stdin>: the event is not valid JSON: expected value at line 1 column 2\n",
    );
    check(
        &["explain", "-"],
        BOM,
        1,
        "",
        "ceh: <stdin>: the event is empty: expected one JSON value\n",
    );
    // Two bytes of a mark are not one: they stay, and are refused.
    check(
        &["explain", "-"],
        &[&BOM[..2], b"{}"].concat(),
        1,
        "",
        not_json,
    );
}

#[test]
fn ndjson_leaves_out_a_mark_at_the_start_of_the_input_only() {
    let input = [&with_bom(EVENT)[..], b"\n", &with_bom(EVENT), b"\n"].concat();
    let output = ceh(&["explain", "--ndjson", "-"], &input);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "ceh: <stdin>: 1 event(s) could not be explained\n"
    );
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(first["rule"], "secretsmanager-rotation");
    assert_eq!(first["requests"][0]["body"], EVENT);
    assert_eq!(
        lines[1],
        r#"{"line":2,"error":"the event is not valid JSON: expected value at line 1 column 1"}"#
    );
    let (_dir, path) = file(&input[..input.len() / 2]);
    let output = ceh(&["explain", "--ndjson", &path], b"");
    assert_eq!(stderr(&output), "");
    assert_eq!(stdout(&output), format!("{}\n", lines[0]));
}

/// Lambda, `ceh serve` and `ceh functions` read every event with
/// `Handler::read_event`: no sender puts a mark before a payload it
/// delivers, so one there is refused as the invalid JSON it is.
#[test]
fn delivered_events_still_refuse_a_mark() {
    let handler = Handler::new(Config::default());
    let err = handler
        .read_event(Bytes::from(with_bom(EVENT)), DEFAULT_MAX_EVENT_BYTES)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the event is not valid JSON: expected value at line 1 column 1"
    );
}
