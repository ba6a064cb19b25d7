//! The Lambda lifecycle as the platform runs it, with the real `ceh` under the
//! platform stand-in (platform.rs): init errors said and reported without
//! hanging, SIGTERM at shutdown, connections across a freeze, async init.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::harness::{exchange, exit_within, free_port, listening_port, root, tools, Process};
use super::platform::{freeze, thaw, Outcome, Platform};

const S3: &[u8] = br#"{"Records": [{"eventSource": "aws:s3", "s3": {"object": {"key": "k"}}}]}"#;
const CLOSE: &[u8] = br#"{"close": true}"#;
const HALF: &[u8] = br#"{"half": true}"#;
const NEXT: &str = "GET /2018-06-01/runtime/invocation/next";

/// `python lifecycle_app.py PORT ARGS…`, as a command for `ceh lambda -- …`.
fn app_command(port: u16, args: &[&str]) -> Vec<String> {
    let mut command = vec![
        tools().join("python").display().to_string(),
        root()
            .join("tests/apps/lifecycle_app.py")
            .display()
            .to_string(),
        port.to_string(),
    ];
    command.extend(args.iter().map(|a| (*a).to_owned()));
    command
}

/// The lifecycle app, started by the test; it and its port.
fn app(args: &[&str]) -> (Process, u16) {
    let command = app_command(0, args);
    let mut child = std::process::Command::new(&command[0])
        .args(&command[1..])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let port = listening_port(&mut child);
    (Process(child), port)
}

/// What the lifecycle app has seen: requests per path and idle closes.
fn app_stats(port: u16) -> Value {
    let (status, _, body) = exchange(port, "GET", "/stats", &[], b"");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// The path the app saw, from an S3 event's reply.
fn replied_path(outcome: &Outcome) -> String {
    let Outcome::Response(reply) = outcome else {
        panic!("the invocation failed: {outcome:?}")
    };
    let reply: Value = serde_json::from_str(reply).unwrap();
    let body: Value = serde_json::from_str(reply["body"].as_str().unwrap()).unwrap();
    body["path"].as_str().unwrap().to_owned()
}

fn config_file(dir: &Path, text: &str) -> String {
    let path = dir.join("ceh.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// `pyhton` for `python`, an `APP` without its scheme, a misspelt key: each
/// is said on stderr at once, reported to `/runtime/init/error`, and ceh
/// exits 2, even when the runtime API never answers the report (cargo lambda
/// watch with `AWS_LAMBDA_RUNTIME_API` as `host:port` does not).
#[test]
fn init_errors_are_said_then_reported_and_never_hang() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), "[[rule]]\nname = \"x\"\npaht = \"/x\"\n");
    // Settings, arguments, and the line ceh says.
    type Case<'a> = (&'a [(&'a str, String)], &'a [&'a str], String);
    let cases: [Case; 3] = [
        (
            &[],
            &["--", "pyhton", "app.py"],
            "cannot start the app `pyhton`: No such file or directory (os error 2)".into(),
        ),
        (
            &[("APP", "127.0.0.1:8080".into())],
            &[],
            r#"APP="127.0.0.1:8080" is not an app URL: the scheme must be http; write e.g. APP=http://127.0.0.1:8080"#.into(),
        ),
        (
            &[("CEH_CONFIG", config.clone()), ("APP", "http://127.0.0.1:9".into())],
            &[],
            format!("{config}:3: rule `x`: key `rule[0].paht`: unknown key `paht`, expected one of "),
        ),
    ];
    for (settings, args, message) in cases {
        let platform = Platform::start();
        platform.hold_init_errors();
        let mut ceh = platform.ceh_lambda(settings, args);
        let (status, stderr) = exit_within(&mut ceh, 15, &format!("ceh hung on: {message}"));
        assert_eq!(status.code(), Some(2), "{stderr}");
        assert!(
            stderr.starts_with(&format!("ceh: {message}")) && stderr.lines().count() == 1,
            "{stderr}"
        );
        let said = stderr.trim_end().strip_prefix("ceh: ").unwrap();
        let reports = platform.seen().init_errors;
        assert_eq!(reports.len(), 1, "{reports:?}");
        let report: Value = serde_json::from_str(&reports[0]).unwrap();
        assert_eq!(report["errorType"], "Ceh.InvalidConfig");
        assert_eq!(report["errorMessage"], said);
    }
}

/// A pool or async-init setting ceh cannot read fails the start, as every
/// setting does, naming it.
#[test]
fn unreadable_lifecycle_settings_fail_the_start() {
    let cases = [
        (
            "CEH_POOL_IDLE_TIMEOUT_MS",
            "soon",
            r#"CEH_POOL_IDLE_TIMEOUT_MS="soon" is not a number of milliseconds"#,
        ),
        (
            "AWS_LWA_POOL_IDLE_TIMEOUT_SECONDS",
            "4s",
            r#"AWS_LWA_POOL_IDLE_TIMEOUT_SECONDS="4s" is not a number of seconds"#,
        ),
        (
            "CEH_ASYNC_INIT",
            "yes",
            r#"CEH_ASYNC_INIT="yes" is neither true nor false"#,
        ),
        (
            "CEH_ASYNC_INIT_TIMEOUT_MS",
            "9.8s",
            r#"CEH_ASYNC_INIT_TIMEOUT_MS="9.8s" is not a number of milliseconds"#,
        ),
    ];
    for (var, value, message) in cases {
        let platform = Platform::start();
        let mut settings = vec![
            (var, value.to_owned()),
            ("APP", "http://127.0.0.1:9".to_owned()),
        ];
        if var == "CEH_ASYNC_INIT_TIMEOUT_MS" {
            settings.push(("CEH_ASYNC_INIT", "true".to_owned()));
        }
        let mut ceh = platform.ceh_lambda(&settings, &[]);
        let (status, stderr) = exit_within(&mut ceh, 15, message);
        assert_eq!(status.code(), Some(2), "{stderr}");
        assert_eq!(stderr, format!("ceh: {message}\n"));
    }
}

/// Lambda sends SIGTERM to the runtime at shutdown only when an extension is
/// registered: ceh registers one during init, before its first
/// `…/invocation/next`; on SIGTERM it stops the app it started with SIGTERM,
/// and exits 0 within the Shutdown phase's 500 ms.
#[test]
fn shutdown_reaches_the_app_ceh_started_as_sigterm() {
    let platform = Platform::start();
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("sigterm");
    let port = free_port();
    let mut command = vec!["--".to_owned()];
    command.extend(app_command(
        port,
        &["--sigterm-file", &record.display().to_string()],
    ));
    let mut ceh = platform.ceh_lambda(
        &[("APP", format!("http://127.0.0.1:{port}"))],
        &command.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(replied_path(&platform.invoke(S3)), "/aws.s3");

    let seen = platform.seen();
    assert_eq!(seen.extensions, ["ceh-shutdown"]);
    let registered = seen
        .requests
        .iter()
        .position(|r| r == "POST /2020-01-01/extension/register");
    let first_next = seen.requests.iter().position(|r| r == NEXT);
    assert!(registered < first_next, "{:?}", seen.requests);

    let shutdown = platform.shutdown(&mut ceh.0);
    assert!(shutdown.sigterm);
    assert!(!shutdown.killed, "ceh outlived the Shutdown phase");
    assert_eq!(shutdown.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&record).unwrap(), "SIGTERM\n");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the app was left running"
    );
}

/// An app ceh started that dies in the middle of an invocation: that invocation is reported
/// to Lambda as an error (`/error`, Ceh.AppUnreachable), and ceh then stops, so that Lambda
/// starts a new execution environment (on 62c1fb7 the invocation was dropped unanswered and
/// Lambda waited for it until the function's timeout).
#[test]
fn an_app_that_dies_mid_invocation_fails_that_invocation_then_ceh_stops() {
    let platform = Platform::start();
    let port = free_port();
    let mut command = vec!["--".to_owned()];
    command.extend(app_command(port, &[]));
    let mut ceh = platform.ceh_lambda(
        &[("APP", format!("http://127.0.0.1:{port}"))],
        &command.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(replied_path(&platform.invoke(S3)), "/aws.s3");
    let die = br#"{"version": "0", "id": "e1", "source": "die", "detail-type": "t", "detail": {}}"#;
    match platform.invoke(die) {
        Outcome::Error(report) => assert!(report.contains("Ceh.AppUnreachable"), "{report}"),
        other => panic!("the invocation the app died in was not reported as an error: {other:?}"),
    }
    let (status, stderr) =
        exit_within(&mut ceh, 10, "ceh stops once the app it started has exited");
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("exited (exit status: 3) after it was ready"),
        "{stderr}"
    );
}

/// With `CEH_ASYNC_INIT=true`, an app that is not ready when the (here
/// shortened) init budget is up no longer fails the Init phase: ceh asks for
/// its first invocation, which waits for the app's readiness, within its
/// deadline.
#[test]
fn async_init_lets_a_slow_app_finish_starting_during_the_first_invocation() {
    let platform = Platform::start();
    let dir = tempfile::tempdir().unwrap();
    let gate = dir.path().join("may-listen");
    let port = free_port();
    let mut command = vec!["--".to_owned()];
    command.extend(app_command(
        port,
        &["--listen-when", &gate.display().to_string()],
    ));
    let mut ceh = platform.ceh_lambda(
        &[
            ("APP", format!("http://127.0.0.1:{port}")),
            ("CEH_ASYNC_INIT", "true".into()),
            ("CEH_ASYNC_INIT_TIMEOUT_MS", "300".into()),
            // Without async init, the app would fail the Init phase after this.
            ("CEH_READINESS_TIMEOUT_MS", "300".into()),
        ],
        &command.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let asked = platform.wait_until(Duration::from_secs(20), |seen| {
        seen.requests.iter().any(|r| r == NEXT)
    });
    assert!(asked, "init did not end: {:?}", platform.seen());
    assert!(platform.seen().init_errors.is_empty());
    assert!(ceh.0.try_wait().unwrap().is_none(), "ceh exited");

    // The wait for the app is bounded by the invocation's deadline.
    platform.set_timeout(Duration::from_secs(2));
    let outcome = platform.invoke(S3);
    assert!(
        matches!(&outcome, Outcome::Error(e) if e.contains("Ceh.AppTimeout")),
        "{outcome:?}"
    );

    platform.set_timeout(Duration::from_secs(60));
    let id = platform.send(S3);
    std::fs::write(&gate, "").unwrap();
    let outcome = platform.outcome(&id, Duration::from_secs(60));
    assert_eq!(replied_path(&outcome.unwrap()), "/aws.s3");
}

/// `ceh lambda` for the app at `port`, with `settings`, under `platform`.
fn ceh_for(platform: &Platform, port: u16, settings: &[(&str, &str)]) -> Process {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(
        dir.path(),
        "[[rule]]\nname = \"close\"\npath = \"/close\"\n[rule.match]\n\"$.close\" = true\n\n\
         [[rule]]\nname = \"half\"\npath = \"/half\"\n[rule.match]\n\"$.half\" = true\n",
    );
    let mut all = vec![
        ("APP", format!("http://127.0.0.1:{port}")),
        ("CEH_CONFIG", config),
    ];
    all.extend(settings.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let ceh = platform.ceh_lambda_to(&all, &[], std::process::Stdio::null());
    // The configuration is read during init: the file may go once init is over.
    assert!(platform.wait_until(Duration::from_secs(20), |seen| {
        seen.requests.iter().any(|r| r == NEXT)
    }));
    ceh
}

/// Freezes ceh and the app for longer than the app's keep-alive, as Lambda
/// freezes the execution environment between invocations.
fn freeze_past_keep_alive(ceh: &Process, app: &Process) {
    let pids = [ceh.0.id(), app.0.id()];
    freeze(&pids);
    std::thread::sleep(Duration::from_millis(1500));
    thaw(&pids);
}

/// The app (keep-alive 1 s) closes, unanswered, the pooled connection ceh sends
/// the first request after a thaw on: ceh sends it again on a new connection,
/// once, and the invocation succeeds. The pool keeps connections for 60 s
/// here (Lambda Web Adapter's setting, which ceh honours), so only the resend
/// can save it. Before the resend existed, this invocation failed.
#[test]
fn a_request_on_a_connection_the_app_closed_during_a_freeze_is_sent_again() {
    let platform = Platform::start();
    let (app, port) = app(&["--keep-alive", "1"]);
    let ceh = ceh_for(
        &platform,
        port,
        &[("AWS_LWA_POOL_IDLE_TIMEOUT_SECONDS", "60")],
    );
    assert_eq!(replied_path(&platform.invoke(S3)), "/aws.s3");
    freeze_past_keep_alive(&ceh, &app);
    assert_eq!(replied_path(&platform.invoke(S3)), "/aws.s3");
    let stats = app_stats(port);
    assert_eq!(stats["idle_closes"], 1, "{stats}");
    assert_eq!(stats["requests"]["/aws.s3"], 2, "{stats}");
}

/// With the pool's idle timeout below the app's keep-alive, a connection idle
/// through a freeze is not offered again: no request meets a closed one.
#[test]
fn pooled_connections_idle_out_before_the_apps_keep_alive() {
    let platform = Platform::start();
    let (app, port) = app(&["--keep-alive", "1"]);
    let ceh = ceh_for(&platform, port, &[("CEH_POOL_IDLE_TIMEOUT_MS", "500")]);
    assert_eq!(replied_path(&platform.invoke(S3)), "/aws.s3");
    freeze_past_keep_alive(&ceh, &app);
    assert_eq!(replied_path(&platform.invoke(S3)), "/aws.s3");
    let stats = app_stats(port);
    assert_eq!(stats["idle_closes"], 0, "{stats}");
}

/// A request the app breaks off on a new connection is never sent again (the
/// app took it); on a reused connection it is sent again once, no more; an
/// answer that started is never sent again.
#[test]
fn only_a_reused_connection_is_sent_again_and_only_once() {
    let platform = Platform::start();
    let (_app, port) = app(&[]);
    let _fresh = ceh_for(&platform, port, &[("CEH_POOL_IDLE_TIMEOUT_MS", "0")]);
    let outcome = platform.invoke(CLOSE);
    assert!(
        matches!(&outcome, Outcome::Error(e) if e.contains("Ceh.AppUnreachable")),
        "{outcome:?}"
    );
    assert_eq!(app_stats(port)["requests"]["/close"], 1);

    let platform = Platform::start();
    let _pooled = ceh_for(&platform, port, &[("CEH_POOL_IDLE_TIMEOUT_MS", "60000")]);
    assert_eq!(replied_path(&platform.invoke(S3)), "/aws.s3");
    let outcome = platform.invoke(CLOSE);
    assert!(
        matches!(&outcome, Outcome::Error(e) if e.contains("Ceh.AppUnreachable")),
        "{outcome:?}"
    );
    assert_eq!(app_stats(port)["requests"]["/close"], 1 + 2);

    // An answer that started and broke off is never sent again, reused connection or not.
    assert_eq!(replied_path(&platform.invoke(S3)), "/aws.s3");
    let outcome = platform.invoke(HALF);
    assert!(
        matches!(&outcome, Outcome::Error(e) if e.contains("Ceh.AppFailed")),
        "{outcome:?}"
    );
    assert_eq!(app_stats(port)["requests"]["/half"], 1);
}
