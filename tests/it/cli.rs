//! The `ceh` binary, driven as a user would, with exact output.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const S3: &str = r#"{"Records":[{"eventSource":"aws:s3","s3":{"object":{"key":"a b"}}}]}"#;

pub fn ceh(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ceh"))
        .args(args)
        .env_remove("CEH_CONFIG")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Written from a thread of its own, so that a command writing much
    // output before it has read all its input cannot block on a full pipe;
    // a command that does not read its input may close the pipe first.
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Runs and checks the exit code, stdout and stderr exactly.
pub fn check(args: &[&str], stdin: &[u8], code: i32, out: &str, err: &str) {
    let output = ceh(args, stdin);
    assert_eq!(stderr(&output), err, "stderr of ceh {args:?}");
    assert_eq!(stdout(&output), out, "stdout of ceh {args:?}");
    assert_eq!(
        output.status.code(),
        Some(code),
        "exit code of ceh {args:?}"
    );
}

fn write_temp(dir: &Path, name: &str, contents: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn explain_text() {
    let expected = "\
rule   s3 (rules/records.toml:LINE)
kind   event
reply  dict
trace  the delivery's (ceh serve's traceparent, Lambda's X-Ray trace id)

POST /aws.s3 HTTP/1.1
content-type: application/json
ce-specversion: 1.0
ce-id: ceh-29ef04df15e434ba
ce-source: ceh:s3
ce-type: ceh.s3
ce-subject: a%20b
host: localhost
content-length: 68
ceh-rule: s3

{\"Records\":[{\"eventSource\":\"aws:s3\",\"s3\":{\"object\":{\"key\":\"a b\"}}}]}
";
    let output = ceh(&["explain", "-"], S3.as_bytes());
    assert_eq!(stderr(&output), "");
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    let line = cloud_events_handler::RuleTable::builtin()
        .get("s3")
        .unwrap()
        .origin()
        .line;
    assert_eq!(text, expected.replace("LINE", &line.to_string()));
}

#[test]
fn explain_json() {
    let expected = r#"{
  "rule": "s3",
  "kind": "event",
  "reply": "dict",
  "requests": [
    {
      "method": "POST",
      "path": "/aws.s3",
      "query": null,
      "headers": {
        "content-type": "application/json",
        "ce-specversion": "1.0",
        "ce-id": "ceh-29ef04df15e434ba",
        "ce-source": "ceh:s3",
        "ce-type": "ceh.s3",
        "ce-subject": "a%20b",
        "host": "localhost",
        "content-length": "68",
        "ceh-rule": "s3"
      },
      "body": "{\"Records\":[{\"eventSource\":\"aws:s3\",\"s3\":{\"object\":{\"key\":\"a b\"}}}]}"
    }
  ]
}
"#;
    check(
        &["explain", "--format", "json", "-"],
        S3.as_bytes(),
        0,
        expected,
        "",
    );
}

#[test]
fn explain_ndjson_keeps_going_past_bad_lines() {
    let input = format!("{S3}\n\n{{\"source\": \"com.example\", \"detail-type\": \"t\", \"detail\": {{}}}}\nnot json\n");
    let output = ceh(&["explain", "--ndjson", "-"], input.as_bytes());
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["requests"][0]["path"], "/aws.s3");
    assert_eq!(lines[1]["rule"], "eventbridge");
    assert_eq!(lines[1]["requests"][0]["path"], "/com.example");
    assert_eq!(
        lines[2],
        serde_json::json!({"line": 4, "error": "the event is not valid JSON: expected ident at line 1 column 2"})
    );
    assert_eq!(
        stderr(&output),
        "ceh: <stdin>: 1 event(s) could not be explained\n"
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn explain_ndjson_keeps_input_order_across_workers() {
    // More lines than one round of workers takes, so several rounds run and
    // every line's output must still come out in its input position.
    let events = [
        S3.replace('\n', ""),
        r#"{"source": "com.example.orders", "detail-type": "t", "detail": {}}"#.to_owned(),
        "not json".to_owned(),
    ];
    let count = 10_000;
    let input: String = (0..count).map(|i| format!("{}\n", events[i % 3])).collect();
    let output = ceh(&["explain", "--ndjson", "-"], input.as_bytes());
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), count);
    for (i, line) in lines.iter().enumerate() {
        match i % 3 {
            0 => assert_eq!(line["requests"][0]["path"], "/aws.s3", "line {}", i + 1),
            1 => assert_eq!(
                line["requests"][0]["path"],
                "/com.example.orders",
                "line {}",
                i + 1
            ),
            _ => assert_eq!(line["line"], i + 1),
        }
    }
    assert_eq!(
        stderr(&output),
        format!(
            "ceh: <stdin>: {} event(s) could not be explained\n",
            count / 3
        )
    );
}

#[test]
fn invoke_answers_with_the_echo_app() {
    let output = ceh(&["invoke", "fixtures/s3/put.json"], b"");
    assert_eq!(stderr(&output), "");
    assert_eq!(output.status.code(), Some(0));
    let reply: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(reply["status_code"], 200);
    assert_eq!(
        reply["headers"],
        serde_json::json!({"content-type": "application/json"})
    );
    let seen: serde_json::Value = serde_json::from_str(reply["body"].as_str().unwrap()).unwrap();
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["path"], "/aws.s3");
    assert_eq!(seen["headers"]["ceh-rule"], "s3");
    let original =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/s3/put.json"))
            .unwrap();
    assert_eq!(seen["body"], original.as_str());
}

#[test]
fn invoke_with_a_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_temp(
        dir.path(),
        "ceh.toml",
        b"[environment]\nSCRIPT_NAME = \"/hooks\"\nHTTP_X_TENANT = \"acme\"\n",
    );
    let output = ceh(&["invoke", "--config", &config, "-"], S3.as_bytes());
    let reply: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let seen: serde_json::Value = serde_json::from_str(reply["body"].as_str().unwrap()).unwrap();
    assert_eq!(seen["path"], "/hooks/aws.s3");
    assert_eq!(seen["headers"]["x-tenant"], "acme");
}

#[test]
fn bad_events_fail_with_one_line_and_exit_1() {
    let deep = "[".repeat(300);
    let six_mb = format!("{{\"pad\": \"{}\"}}", "x".repeat(6 * 1024 * 1024));
    let cases: Vec<(&[u8], String)> = vec![
        (b"", "ceh: <stdin>: the event is empty: expected one JSON value\n".into()),
        (b"{\"a\": ", "ceh: <stdin>: the event is not valid JSON: EOF while parsing a value at line 1 column 6\n".into()),
        (b"\xff\xfe", "ceh: <stdin>: the event is not valid JSON: expected value at line 1 column 1\n".into()),
        (deep.as_bytes(), "ceh: <stdin>: the event nests deeper than 128 levels at line 1 column 128\n".into()),
        (six_mb.as_bytes(), "ceh: <stdin>: the event is 6291467 bytes, over the limit of 6291456 bytes\n".into()),
    ];
    for (input, err) in cases {
        for command in ["explain", "invoke"] {
            check(&[command, "-"], input, 1, "", &err);
        }
    }
}

#[test]
fn arrays_and_strings_go_to_the_fallback() {
    for input in ["[1, 2]", "\"hello\"", "{}"] {
        let output = ceh(&["explain", "--format", "json", "-"], input.as_bytes());
        assert_eq!(output.status.code(), Some(0), "{input}");
        let explained: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        assert_eq!(explained["rule"], "fallback");
        assert_eq!(explained["requests"][0]["path"], "/");
        assert_eq!(explained["requests"][0]["body"], input);
    }
}

#[test]
fn rejected_events_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_temp(dir.path(), "ceh.toml", b"[fallback]\nreject = true\n");
    check(
        &["explain", "-c", &config, "-"],
        b"{}",
        1,
        "",
        "ceh: <stdin>: no rule matches this event and the fallback rejects unmatched events; add a rule for it or remove `reject = true` from [fallback]\n",
    );
}

#[test]
fn usage_and_config_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write_temp(dir.path(), "bad.toml", b"[[rule]]\nname = \"x\"\n");
    check(
        &["explain"],
        b"",
        2,
        "",
        "ceh: the following required arguments were not provided: <FILE> (see ceh --help)\n",
    );
    check(
        &["frobnicate"],
        b"",
        2,
        "",
        "ceh: unrecognized subcommand 'frobnicate' (see ceh --help)\n",
    );
    check(
        &["explain", "/no/such.json"],
        b"",
        2,
        "",
        "ceh: /no/such.json: cannot read the event: no such file or directory\n",
    );
    let err = format!("ceh: {bad}:1: rule `x`: key `rule[0].path` is missing: an event rule needs a path such as \"/aws.s3\" or \"/{{$.source}}\"\n");
    check(&["explain", "--config", &bad, "-"], b"{}", 2, "", &err);
    check(&["rules", "check", &bad], b"", 2, "", &err);
    check(&["rules", "list", "--config", &bad], b"", 2, "", &err);
}

#[test]
fn the_config_can_come_from_ceh_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_temp(dir.path(), "ceh.toml", b"[fallback]\npath = \"/other\"\n");
    let output = Command::new(env!("CARGO_BIN_EXE_ceh"))
        .args(["explain", "--format", "json", "/dev/stdin"])
        .env("CEH_CONFIG", &config)
        .stdin(Stdio::from(
            std::fs::File::open(write_temp(dir.path(), "e.json", b"{}")).unwrap(),
        ))
        .output()
        .unwrap();
    let explained: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(explained["requests"][0]["path"], "/other");
}

#[test]
fn rules_list_shows_precedence() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_temp(
        dir.path(),
        "mine.toml",
        b"[[rule]]\nname = \"mine\"\npath = \"/mine\"\n[rule.match]\n\"$.mine\" = true\n\n[fallback]\nreject = true\n",
    );
    let output = ceh(&["rules", "list", "--config", &config], b"");
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        ["#", "NAME", "KIND", "REPLY", "ROUTE", "DEFINED", "AT"]
    );
    let mine: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        mine,
        [
            "1",
            "mine",
            "event",
            "dict",
            "/mine",
            &format!("{config}:1")
        ]
    );
    let last: Vec<&str> = lines.last().unwrap().split_whitespace().collect();
    assert_eq!(last, ["-", "fallback", "-", "-", "(reject)"]);
    let table = cloud_events_handler::RuleTable::builtin();
    assert_eq!(lines.len(), 1 + 1 + table.rules().len() + 1);
    for (line, rule) in lines[2..].iter().zip(table.rules()) {
        assert_eq!(line.split_whitespace().nth(1), Some(rule.name()));
    }
}

#[test]
fn rules_check_summarises_a_good_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_temp(
        dir.path(),
        "mine.toml",
        b"[[rule]]\nname = \"mine\"\npath = \"/mine\"\n[rule.match]\n\"$.mine\" = true\n",
    );
    let builtin = cloud_events_handler::RuleTable::builtin().rules().len();
    let expected = format!(
        "{config}: ok, 1 rule(s) of its own, {} in all, fallback /\n",
        builtin + 1
    );
    check(&["rules", "check", &config], b"", 0, &expected, "");
}

#[test]
fn explain_shows_one_request_per_batch_record() {
    let output = ceh(
        &[
            "explain",
            "--format",
            "json",
            "fixtures/kinesis/stream.json",
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(0));
    let explained: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(explained["rule"], "kinesis");
    assert_eq!(explained["reply"], "batch");
    let requests = explained["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 2);
    for (i, request) in requests.iter().enumerate() {
        assert_eq!(request["path"], "/aws.kinesis");
        assert_eq!(request["headers"]["ceh-record-index"], i.to_string());
        let record: serde_json::Value =
            serde_json::from_str(request["body"].as_str().unwrap()).unwrap();
        assert_eq!(
            request["headers"]["ceh-record-id"],
            record["kinesis"]["sequenceNumber"]
        );
    }
}

#[test]
fn batch_records_reach_the_app_as_written() {
    // Numbers beyond an f64, `\u` escapes, `\/` and the spacing: a record
    // written out again from its parsed JSON would change every one of them.
    let file = "fixtures/cloudevents/batch-exact.json";
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
    let first = &text[text.find('{').unwrap()..text.find("\n  },").unwrap() + 4];
    let second = text
        .lines()
        .find(|line| line.starts_with("  {\"specversion\""))
        .unwrap()
        .trim();
    let output = ceh(&["explain", "--format", "json", file], b"");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let explained: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let bodies: Vec<&str> = explained["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|request| request["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, [first, second]);
    assert!(first.contains("12345678901234567890.10, \"ledger\": 98765432109876543210987"));
    assert!(second.ends_with(r#""data":{"amount":1e2}}"#));
}

#[test]
fn invoke_shows_each_reply_mode() {
    let reply = |file: &str| -> serde_json::Value {
        let output = ceh(&["invoke", file], b"");
        assert_eq!(output.status.code(), Some(0), "{file}: {}", stderr(&output));
        serde_json::from_str(&stdout(&output)).unwrap()
    };
    assert_eq!(reply("fixtures/sns/notification.json")["status_code"], 200);
    // body: the echo app's JSON description is the result.
    assert_eq!(
        reply("fixtures/cognito-userpools/presignup.json")["path"],
        "/aws.cognito"
    );
    assert_eq!(
        reply("fixtures/sqs/basic.json"),
        serde_json::json!({"batchItemFailures": []})
    );
    assert_eq!(reply("fixtures/apigw-v2/proxy.json")["statusCode"], 200);
    assert_eq!(
        reply("fixtures/warmup/serverless-plugin-warmup.json"),
        serde_json::json!({"ignored": true, "rule": "warmup"})
    );
}

#[test]
fn explain_shows_a_refused_spoof_as_the_app_would_never_see_it() {
    let spoof = br#"{"version": "2.0", "rawPath": "/aws.s3", "rawQueryString": "", "headers": {},
        "requestContext": {"http": {"method": "POST"}}, "isBase64Encoded": false}"#;
    let origin = "rules/http.toml";
    let output = ceh(&["explain", "-"], spoof);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(text.starts_with("rule   apigateway-v2 ("), "{text}");
    assert!(text.contains(origin), "{text}");
    assert!(
        text.ends_with("reply  http\n\nrefused 404 Not Found\n/aws.s3 is an event route, not reachable over HTTP; set allow_event_routes = true in [http] to allow it\n"),
        "{text}"
    );
    let output = ceh(&["explain", "--format", "json", "-"], spoof);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["requests"], serde_json::json!([]));
    assert_eq!(json["refused"]["status"], 404);
}

/// Runs `ceh ARGS` with its stdout sent to `stdout`; the exit code and stderr.
fn ceh_into(args: &[&str], stdout: Stdio) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ceh"))
        .args(args)
        .env_remove("CEH_CONFIG")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (output.status.code(), stderr(&output))
}

#[test]
fn a_closed_or_full_stdout_is_one_line_and_exit_1() {
    // --help and --version too: on 62c1fb7 they exited 0 with nothing written.
    let commands: [&[&str]; 6] = [
        &["invoke", "fixtures/s3/put.json"],
        &["explain", "fixtures/s3/put.json"],
        &["rules", "list"],
        &["explain", "--ndjson", "fixtures/s3/put.json"],
        &["--help"],
        &["--version"],
    ];
    for args in commands {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let (code, err) = ceh_into(args, Stdio::from(full));
        assert_eq!(code, Some(1), "{args:?} > /dev/full: {err}");
        assert!(
            err.starts_with("ceh: cannot write the output: "),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        // `ceh … | true`: the reader is gone before ceh writes.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let (code, err) = ceh_into(args, Stdio::from(writer));
        assert_eq!(code, Some(1), "{args:?} | true: {err}");
        assert!(
            err.starts_with("ceh: cannot write the output: "),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn an_endless_input_is_read_only_past_the_limit_and_refused() {
    let started = std::time::Instant::now();
    let (code, err) = ceh_into(&["explain", "/dev/zero"], Stdio::piped());
    assert_eq!(code, Some(1));
    assert_eq!(
        err,
        "ceh: /dev/zero: the event is more than 31457281 bytes, over the limit of 6291456 bytes\n"
    );
    let output = ceh(&["explain", "--ndjson", "/dev/zero"], b"");
    assert_eq!(output.status.code(), Some(1));
    let line: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        line,
        serde_json::json!({"line": 1, "error": "the event is more than 31457281 bytes, over the limit of 6291456 bytes"})
    );
    assert_eq!(
        stderr(&output),
        "ceh: /dev/zero: 1 event(s) could not be explained\n"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn version_names_the_rule_table_revision() {
    let output = ceh(&["--version"], b"");
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        text.starts_with(&format!("ceh {version} (rules ")),
        "{text}"
    );
    let revision = text
        .trim_end()
        .trim_end_matches(')')
        .rsplit(' ')
        .next()
        .unwrap();
    assert_eq!(revision.len(), 16, "{text}");
    assert!(revision.bytes().all(|b| b.is_ascii_hexdigit()), "{text}");
}

#[test]
fn rules_list_as_json_for_scripts() {
    let output = ceh(&["rules", "list", "--format", "json"], b"");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let rules: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules = rules.as_array().unwrap();
    let table = cloud_events_handler::RuleTable::builtin();
    assert_eq!(
        rules.len(),
        table.rules().len() + 1,
        "every rule and the fallback"
    );
    assert_eq!(rules[0]["position"], 1);
    assert_eq!(rules[0]["name"], table.rules()[0].name());
    assert_eq!(rules[0]["defined_at"], "rules/triggers.toml:6");
    let last = rules.last().unwrap();
    assert_eq!(
        (&last["name"], &last["position"], &last["route"]),
        (
            &serde_json::json!("fallback"),
            &serde_json::Value::Null,
            &serde_json::json!("/")
        )
    );
    let s3 = rules.iter().find(|r| r["name"] == "s3").unwrap();
    assert_eq!(
        (&s3["kind"], &s3["reply"], &s3["route"]),
        (
            &serde_json::json!("event"),
            &serde_json::json!("dict"),
            &serde_json::json!("/aws.s3")
        )
    );
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = ceh(&["completions", shell], b"");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{shell}: {}",
            stderr(&output)
        );
        let script = stdout(&output);
        assert!(script.len() > 500, "{shell}: {script}");
        for word in ["explain", "invoke", "serve", "rules"] {
            assert!(script.contains(word), "{shell} completes no `{word}`");
        }
    }
    let output = ceh(&["completions", "tcsh"], b"");
    assert_eq!(output.status.code(), Some(2));
}
