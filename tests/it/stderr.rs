//! Every failing command says its failure once: one line on stderr, `ceh:`
//! and what is at fault, as the README promises, whatever `CEH_LOG` lets
//! through; the exit code says which kind of failure it was.

use std::process::{Command, Stdio};

use crate::cli::check;

const S3: &str = r#"{"Records":[{"eventSource":"aws:s3","s3":{"object":{"key":"a"}}}]}"#;

/// A configuration that rejects what no rule matches, in `dir`.
fn rejecting(dir: &std::path::Path) -> String {
    let path = dir.join("reject.toml");
    std::fs::write(&path, "[fallback]\nreject = true\n").unwrap();
    path.to_string_lossy().into_owned()
}

const NO_RULE: &str = "no rule matches this event and the fallback rejects unmatched events; add a rule for it or remove `reject = true` from [fallback]";

#[test]
fn a_failing_invoke_says_one_line() {
    // A port nothing listens on: bound, then let go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = format!("http://127.0.0.1:{port}");
    check(
        &["invoke", "--app", &app, "-"],
        S3.as_bytes(),
        1,
        "",
        &format!("ceh: <stdin>: the app failed: the app at {app}/aws.s3 did not answer: connection refused\n"),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = rejecting(dir.path());
    check(
        &["invoke", "-c", &config, "-"],
        b"{}",
        1,
        "",
        &format!("ceh: <stdin>: {NO_RULE}\n"),
    );
}

#[test]
fn a_failing_invoke_says_one_line_at_any_log_level() {
    let dir = tempfile::tempdir().unwrap();
    let config = rejecting(dir.path());
    let event = dir.path().join("event.json");
    std::fs::write(&event, "{}").unwrap();
    let event = event.to_string_lossy().into_owned();
    for filter in ["trace", "warn", "off"] {
        let output = Command::new(env!("CARGO_BIN_EXE_ceh"))
            .args(["invoke", "-c", &config, &event])
            .env("CEH_LOG", filter)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            format!("ceh: {event}: {NO_RULE}\n"),
            "CEH_LOG={filter}"
        );
        assert_eq!(output.status.code(), Some(1));
    }
}

#[test]
fn a_failing_explain_says_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = rejecting(dir.path());
    check(
        &["explain", "-c", &config, "-"],
        b"{}",
        1,
        "",
        &format!("ceh: <stdin>: {NO_RULE}\n"),
    );
}

#[test]
fn a_failing_rules_check_says_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ceh.toml");
    std::fs::write(&path, "[[rule]]\nname = \"a\"\nreply = \"dcit\"\n").unwrap();
    let config = path.to_string_lossy().into_owned();
    check(
        &["rules", "check", &config],
        b"",
        2,
        "",
        &format!("ceh: {config}:3: rule `a`: key `rule[0].reply`: unknown variant `dcit`, expected one of `dict`, `body`, `batch`, `cloudformation`, `ignore`, `answer`, `http`\n"),
    );
}

#[test]
fn a_failing_sample_says_one_line() {
    check(
        &["sample", "s4"],
        b"",
        2,
        "",
        "ceh: no sample named s4; ceh sample lists them all\n",
    );
}

#[test]
fn a_config_error_at_start_says_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ceh.toml");
    std::fs::write(&path, "[reply]\nmax_records = 5\nretry = true\n").unwrap();
    let config = path.to_string_lossy().into_owned();
    let line = format!("ceh: {config}:3: reply.retry: unknown key; use failure_status, always_succeed, report_item_failures, concurrency, max_records or response_url_hosts\n");
    for command in ["invoke", "explain"] {
        check(&[command, "-c", &config, "-"], S3.as_bytes(), 2, "", &line);
    }
}

#[test]
fn a_usage_error_says_one_line() {
    check(
        &["invoke", "--bogus"],
        b"",
        2,
        "",
        "ceh: unexpected argument '--bogus' found tip: to pass '--bogus' as a value, use '-- --bogus' (see ceh --help)\n",
    );
}
