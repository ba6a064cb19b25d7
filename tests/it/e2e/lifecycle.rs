//! Failing apps: each failure is a Lambda error naming the app and the cause, never a
//! success, and the next invocation works again.

use super::harness::{
    ceh_lambda, exchange, exit_within, flask, flask_command, free_port, inner, Emulator, Process,
};

const S3: &[u8] = br#"{"Records": [{"eventSource": "aws:s3", "s3": {"object": {"key": "k"}}}]}"#;
const SLOW: &[u8] = br#"{"Records": [{"eventSource": "aws:s3", "slow": true}]}"#;
const FAILING: &[u8] = br#"{"Records": [{"eventSource": "aws:s3", "fail": true}]}"#;

#[test]
fn app_down_failing_slow_and_killed() {
    let emulator = Emulator::start();
    let port = free_port();
    let _ceh = ceh_lambda(
        &emulator,
        &[
            ("APP", format!("http://127.0.0.1:{port}")),
            ("CEH_APP_TIMEOUT_MS", "1500".into()),
        ],
        &[],
    );

    // Down at start: unreachable, named.
    let err = emulator.invoke(S3).unwrap_err();
    assert!(err.contains("Ceh.AppUnreachable"), "{err}");
    assert!(
        err.contains(&format!(
            "the app at http://127.0.0.1:{port}/aws.s3 did not answer"
        )),
        "{err}"
    );

    // Up: the next invocation works.
    let (app, _) = flask(port);
    let reply = emulator.invoke(S3).unwrap();
    assert_eq!(inner(&reply, "body")["path"], "/aws.s3");

    // A 500 is a failure, so the source retries.
    let err = emulator.invoke(FAILING).unwrap_err();
    assert!(err.contains("Ceh.AppFailed"), "{err}");
    assert!(
        err.contains("the app answered 500 Internal Server Error"),
        "{err}"
    );

    // Slower than the time it has: a timeout.
    let err = emulator.invoke(SLOW).unwrap_err();
    assert!(err.contains("Ceh.AppTimeout"), "{err}");
    assert!(emulator.invoke(S3).is_ok());

    // Killed while it works on an event: the connection drops, the invocation fails.
    let killer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(500));
        drop::<Process>(app);
    });
    let err = emulator.invoke(SLOW).unwrap_err();
    killer.join().unwrap();
    assert!(err.contains("Ceh.AppUnreachable"), "{err}");

    // Back again on the same port: ceh carries on.
    let (_app, _) = flask(port);
    assert_eq!(
        inner(&emulator.invoke(S3).unwrap(), "body")["path"],
        "/aws.s3"
    );
}

#[test]
fn ceh_starts_the_app_and_waits_until_it_is_ready() {
    let emulator = Emulator::start();
    let port = free_port();
    let command = flask_command(port);
    let _ceh = ceh_lambda(
        &emulator,
        &[
            ("APP", format!("http://127.0.0.1:{port}")),
            ("CEH_READINESS_PATH", "/health".into()),
        ],
        &command.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let reply = emulator.invoke(S3).unwrap();
    assert_eq!(inner(&reply, "body")["path"], "/aws.s3");
}

#[test]
fn an_app_that_never_answers_fails_initialization() {
    let emulator = Emulator::start();
    let port = free_port();
    let mut ceh = ceh_lambda(
        &emulator,
        &[
            ("APP", format!("http://127.0.0.1:{port}")),
            ("CEH_READINESS_TIMEOUT_MS", "300".into()),
        ],
        &["--", "sleep", "30"],
    );
    let (status, stderr) = exit_within(
        &mut ceh,
        20,
        "ceh kept waiting for an app that never answers",
    );
    assert_eq!(status.code(), Some(1));
    assert_eq!(
        stderr,
        format!("ceh: the app `sleep` did not answer on http://127.0.0.1:{port}/ within 300 ms; check APP and the app's port, or raise CEH_READINESS_TIMEOUT_MS\n")
    );
}

#[test]
fn a_bad_configuration_fails_initialization_at_once_and_stops_the_app() {
    // The rule table loads while the app starts: a bad file must not wait for
    // the app's readiness, and must not leave the app running.
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ceh.toml");
    std::fs::write(&config, "[[rule]]\nname = \"x\"\n").unwrap();
    let pid_file = dir.path().join("app.pid");
    let app = format!("echo $$ > {}; exec sleep 30", pid_file.display());
    let mut ceh = ceh_lambda(
        &emulator,
        &[
            ("CEH_CONFIG", config.display().to_string()),
            ("CEH_READINESS_TIMEOUT_MS", "60000".into()),
        ],
        &["--", "sh", "-c", &app],
    );
    let (status, stderr) = exit_within(
        &mut ceh,
        20,
        "ceh waited for the app despite a bad configuration",
    );
    assert_eq!(status.code(), Some(2));
    assert_eq!(
        stderr,
        format!("ceh: {}:1: rule `x`: key `rule[0].path` is missing: an event rule needs a path such as \"/aws.s3\" or \"/{{$.source}}\"\n", config.display())
    );
    // The app may not have got as far as writing its pid; if it did, it is gone.
    if let Ok(pid) = std::fs::read_to_string(&pid_file) {
        let proc = std::path::Path::new("/proc").join(pid.trim());
        assert!(
            !proc.exists(),
            "the app (pid {}) is still running",
            pid.trim()
        );
    }
}

#[test]
fn an_init_error_under_the_emulator_is_said_and_ceh_exits_though_its_report_hangs() {
    // With AWS_LAMBDA_RUNTIME_API as Lambda sets it, host:port, cargo lambda
    // watch never answers `POST /2018-06-01/runtime/init/error`.
    let emulator = Emulator::start();
    let mut ceh = ceh_lambda(
        &emulator,
        &[
            (
                "AWS_LAMBDA_RUNTIME_API",
                format!("127.0.0.1:{}", emulator.port),
            ),
            ("APP", "127.0.0.1:8080".into()),
        ],
        &[],
    );
    let (status, stderr) = exit_within(&mut ceh, 15, "ceh hung reporting its init error");
    assert_eq!(status.code(), Some(2));
    assert_eq!(
        stderr,
        "ceh: APP=\"127.0.0.1:8080\" is not an app URL: the scheme must be http; write e.g. APP=http://127.0.0.1:8080\n"
    );
}

#[test]
fn an_app_started_elsewhere_is_waited_for_when_a_readiness_path_is_set() {
    let emulator = Emulator::start();
    let port = free_port();
    let settings = |timeout_ms: &str| {
        [
            ("APP", format!("http://127.0.0.1:{port}")),
            ("CEH_READINESS_PATH", "/health".to_owned()),
            ("CEH_READINESS_TIMEOUT_MS", timeout_ms.to_owned()),
        ]
    };
    // Nobody starts it: initialization fails, naming the URL.
    let mut ceh = ceh_lambda(&emulator, &settings("300"), &[]);
    let (status, stderr) = exit_within(&mut ceh, 20, "ceh kept waiting past its readiness timeout");
    assert_eq!(status.code(), Some(1));
    assert_eq!(
        stderr,
        format!("ceh: the app at http://127.0.0.1:{port}/health did not answer within 300 ms; check APP and the app's port, or raise CEH_READINESS_TIMEOUT_MS\n")
    );
    // Started after ceh: ceh waits for it, then serves.
    let _ceh = ceh_lambda(&emulator, &settings("20000"), &[]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (_app, _) = flask(port);
    let reply = emulator.invoke(S3).unwrap();
    assert_eq!(inner(&reply, "body")["path"], "/aws.s3");
}

#[test]
fn a_reply_over_six_megabytes_is_an_error_not_a_crash() {
    let emulator = Emulator::start();
    let (_app, port) = flask(0);
    let _ceh = ceh_lambda(
        &emulator,
        &[("APP", format!("http://127.0.0.1:{port}"))],
        &[],
    );
    // The echo app answers with the whole event, JSON-escaped inside the dict reply.
    let padding = "\\\"".repeat(1_600_000);
    let big = format!(r#"{{"Records": [{{"eventSource": "aws:s3", "pad": "{padding}"}}]}}"#);
    let err = emulator.invoke(big.as_bytes()).unwrap_err();
    assert!(
        err.contains("Ceh.ReplyTooLarge"),
        "{}",
        &err[..err.len().min(500)]
    );
    assert!(
        err.contains("over Lambda's limit of 6291456 bytes"),
        "{}",
        &err[..err.len().min(500)]
    );
    assert_eq!(
        inner(&emulator.invoke(S3).unwrap(), "body")["path"],
        "/aws.s3"
    );
}

/// Invokes `{"overlap": true}` three times at once and asks the app how many
/// requests it held at the same time.
fn overlap(concurrency: Option<&str>) -> u64 {
    let emulator = Emulator::start();
    let (_app, port) = flask(0);
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        config.path(),
        "[[rule]]\nname = \"overlap\"\npath = \"/overlap\"\n[rule.match]\n\"$.overlap\" = true\n",
    )
    .unwrap();
    let mut settings = vec![
        ("APP", format!("http://127.0.0.1:{port}")),
        ("CEH_CONFIG", config.path().display().to_string()),
    ];
    if let Some(n) = concurrency {
        settings.push(("AWS_LAMBDA_MAX_CONCURRENCY", n.to_owned()));
    }
    let _ceh = ceh_lambda(&emulator, &settings, &[]);
    std::thread::scope(|scope| {
        let calls: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| emulator.invoke(br#"{"overlap": true}"#)))
            .collect();
        for call in calls {
            assert_eq!(call.join().unwrap().unwrap()["status_code"], 200);
        }
    });
    let (status, _, body) = exchange(port, "GET", "/overlap", &[], b"");
    assert_eq!(status, 200, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    body["max"].as_u64().unwrap()
}

#[test]
fn managed_concurrency_serves_invocations_at_once() {
    assert_eq!(overlap(Some("3")), 3);
    assert_eq!(
        overlap(None),
        1,
        "without AWS_LAMBDA_MAX_CONCURRENCY one invocation at a time"
    );
}

#[test]
fn sigterm_stops_ceh_and_the_app_it_started() {
    let emulator = Emulator::start();
    let port = free_port();
    let command = flask_command(port);
    let mut ceh = ceh_lambda(
        &emulator,
        &[("APP", format!("http://127.0.0.1:{port}"))],
        &command.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(emulator.invoke(S3).is_ok());
    let status = std::process::Command::new("kill")
        .args(["-TERM", &ceh.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let (exit, _) = exit_within(&mut ceh, 10, "ceh did not stop on SIGTERM");
    assert_eq!(exit.code(), Some(0));
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the app was left running"
    );
}
