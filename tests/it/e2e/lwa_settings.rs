//! Lambda Web Adapter's settings that ceh does not do are refused at start,
//! each with one line saying what ceh does instead; those it does are read
//! with the adapter's meaning (the adapter's configuration table:
//! <https://awslabs.github.io/aws-lambda-web-adapter/configuration/environment-variables.html>).

use std::time::Duration;

use cloud_events_handler::lambda::LWA_SETTINGS;

use super::harness::{exit_within, flask, free_port, Process};
use super::platform::{Outcome, Platform};

/// A value of each refused setting that ceh refuses, and one the adapter
/// means as ceh behaves anyway (so ceh takes it); `None` when every value is refused.
const SAMPLES: [(&str, &str, Option<&str>); 2] = [
    ("AWS_LWA_ENABLE_COMPRESSION", "true", Some("false")),
    ("AWS_LWA_PASS_THROUGH_PATH", "/events", None),
];

/// Every refused setting fails the start as a bad setting of ceh's does: exit
/// status 2, one line naming it, its value and what ceh does instead; the
/// value the adapter means as ceh behaves starts.
#[test]
fn refused_lwa_settings_fail_the_start() {
    let refused: Vec<&str> = LWA_SETTINGS
        .iter()
        .filter(|s| s.is_refused())
        .map(|s| s.name())
        .collect();
    let sampled: Vec<&str> = SAMPLES.iter().map(|(name, _, _)| *name).collect();
    assert_eq!(refused, sampled, "each refused setting has a sample here");
    for setting in LWA_SETTINGS.iter().filter(|s| s.is_refused()) {
        let (name, refused_value, taken) = SAMPLES
            .into_iter()
            .find(|(name, _, _)| *name == setting.name())
            .unwrap();
        let (_, says) = setting
            .ceh()
            .split_once(": ")
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .unwrap();
        let platform = Platform::start();
        let settings = [
            (name, refused_value.to_owned()),
            ("APP", "http://127.0.0.1:9".to_owned()),
        ];
        let mut ceh = platform.ceh_lambda(&settings, &[]);
        let (status, stderr) = exit_within(&mut ceh, 15, name);
        assert_eq!(status.code(), Some(2), "{stderr}");
        assert_eq!(
            stderr,
            format!("ceh: {name}={refused_value:?} is refused: {says}\n")
        );
        if let Some(taken) = taken {
            let platform = Platform::start();
            let _ceh = platform.ceh_lambda(&[(name, taken.to_owned())], &["--echo"]);
            let outcome = platform.invoke(br#"{"Records": []}"#);
            assert!(
                matches!(outcome, Outcome::Response(_)),
                "{name}={taken}: {outcome:?}"
            );
        }
    }
}

/// A value ceh cannot read as the adapter means it fails the start too: a
/// part of `AWS_LWA_ERROR_STATUS_CODES` or of the healthy statuses that is
/// not a status (the adapter skips it, with a warning), an
/// `AWS_LWA_AUTHORIZATION_SOURCE` that is not a header name, a protocol that
/// is neither (the adapter takes it as `http`).
#[test]
fn unreadable_lwa_settings_fail_the_start() {
    let cases = [
        (
            "AWS_LWA_ERROR_STATUS_CODES",
            "500,5O2",
            r#"AWS_LWA_ERROR_STATUS_CODES="500,5O2": "5O2" is not a status; write a code (500), a class ("5xx") or a range ("502-504")"#,
        ),
        (
            "AWS_LWA_AUTHORIZATION_SOURCE",
            "x token",
            r#"AWS_LWA_AUTHORIZATION_SOURCE="x token": "x token" is not a header name; write e.g. "server""#,
        ),
        (
            "AWS_LWA_READINESS_CHECK_HEALTHY_STATUS",
            "200-399,ok",
            r#"AWS_LWA_READINESS_CHECK_HEALTHY_STATUS="200-399,ok": "ok" is not a status; write a code (500), a class ("5xx") or a range ("502-504")"#,
        ),
        (
            "AWS_LWA_READINESS_CHECK_MIN_UNHEALTHY_STATUS",
            "5xx",
            r#"AWS_LWA_READINESS_CHECK_MIN_UNHEALTHY_STATUS="5xx" is not a status from 101 to 600"#,
        ),
        (
            "AWS_LWA_READINESS_CHECK_PROTOCOL",
            "udp",
            r#"AWS_LWA_READINESS_CHECK_PROTOCOL="udp" is neither http nor tcp"#,
        ),
        (
            "READINESS_CHECK_PROTOCOL",
            "udp",
            r#"READINESS_CHECK_PROTOCOL="udp" is neither http nor tcp"#,
        ),
    ];
    for (name, value, message) in cases {
        let platform = Platform::start();
        let settings = [
            (name, value.to_owned()),
            ("APP", "http://127.0.0.1:9".to_owned()),
        ];
        let mut ceh = platform.ceh_lambda(&settings, &[]);
        let (status, stderr) = exit_within(&mut ceh, 15, name);
        assert_eq!(status.code(), Some(2), "{stderr}");
        assert_eq!(stderr, format!("ceh: {message}\n"));
    }
}

/// The readiness check is the adapter's: an app whose readiness path
/// answers 200 is not ready when the healthy statuses leave 200 out
/// (`AWS_LWA_READINESS_CHECK_HEALTHY_STATUS`, or the older
/// `…_MIN_UNHEALTHY_STATUS`), and is when the check is a TCP connection,
/// which reads no status.
#[test]
fn the_readiness_check_is_the_adapters() {
    let (_app, port) = flask(0);
    let start = |extra: &[(&'static str, &str)]| {
        let platform = Platform::start();
        let mut settings = vec![
            ("AWS_LWA_PORT", port.to_string()),
            ("AWS_LWA_READINESS_CHECK_PATH", "/health".to_owned()),
            ("CEH_READINESS_TIMEOUT_MS", "300".to_owned()),
        ];
        settings.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let ceh = platform.ceh_lambda(&settings, &[]);
        (platform, ceh)
    };
    for unready in [
        [("AWS_LWA_READINESS_CHECK_HEALTHY_STATUS", "201-299")],
        [("AWS_LWA_READINESS_CHECK_MIN_UNHEALTHY_STATUS", "200")],
    ] {
        let (_platform, mut ceh) = start(&unready);
        let (status, stderr) = exit_within(&mut ceh, 15, "ceh did not fail its start");
        assert!(!status.success(), "{unready:?}: {stderr}");
        assert!(stderr.contains("/health"), "{unready:?}: {stderr}");
    }
    for ready in [
        [("AWS_LWA_READINESS_CHECK_HEALTHY_STATUS", "200")],
        [("AWS_LWA_READINESS_CHECK_PROTOCOL", "TCP")],
    ] {
        let (platform, _ceh) = start(&[
            ready[0],
            ("AWS_LWA_READINESS_CHECK_MIN_UNHEALTHY_STATUS", "200"),
        ]);
        let Outcome::Response(reply) = platform.invoke(br#"{"source": "orders"}"#) else {
            panic!("{ready:?}: the event failed");
        };
        assert!(reply.contains(r#""status_code":200"#), "{ready:?}: {reply}");
    }
}

/// `AWS_LWA_LAMBDA_RUNTIME_API_PROXY`: ceh takes its invocations from the
/// proxy, not from `AWS_LAMBDA_RUNTIME_API`.
#[test]
fn the_runtime_api_proxy_is_where_invocations_come_from() {
    let platform = Platform::start();
    let settings = [
        (
            "AWS_LAMBDA_RUNTIME_API",
            format!("127.0.0.1:{}", free_port()),
        ),
        (
            "AWS_LWA_LAMBDA_RUNTIME_API_PROXY",
            format!("127.0.0.1:{}", platform.port),
        ),
    ];
    let _ceh: Process = platform.ceh_lambda(&settings, &["--echo"]);
    let outcome = platform.invoke(br#"{"source": "orders"}"#);
    assert!(matches!(outcome, Outcome::Response(_)), "{outcome:?}");
}

/// `AWS_LWA_HOST` and `AWS_LWA_READINESS_CHECK_PORT`: the app at that host,
/// its readiness checked on the other port (here another app, since ceh only
/// needs an answer there); nothing answering there, the start fails though
/// the app is up.
#[test]
fn the_host_and_the_readiness_port_are_read() {
    let (_app, port) = flask(0);
    let closed = free_port();
    let platform = Platform::start();
    let settings = [
        ("AWS_LWA_PORT", port.to_string()),
        ("AWS_LWA_READINESS_CHECK_PORT", closed.to_string()),
        ("AWS_LWA_READINESS_CHECK_PATH", "/health".to_owned()),
        ("CEH_READINESS_TIMEOUT_MS", "300".to_owned()),
    ];
    let mut ceh = platform.ceh_lambda(&settings, &[]);
    let (status, stderr) = exit_within(&mut ceh, 15, "ceh did not fail its start");
    assert!(!status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("127.0.0.1:{closed}/health")),
        "{stderr}"
    );

    let (_health, health_port) = flask(0);
    let platform = Platform::start();
    platform.set_timeout(Duration::from_secs(20));
    let settings = [
        ("AWS_LWA_HOST", "127.0.0.1".to_owned()),
        ("PORT", port.to_string()),
        ("AWS_LWA_READINESS_CHECK_PORT", health_port.to_string()),
        ("READINESS_CHECK_PATH", "/health".to_owned()),
    ];
    let _ceh = platform.ceh_lambda(&settings, &[]);
    let Outcome::Response(reply) = platform.invoke(br#"{"source": "orders"}"#) else {
        panic!("the event failed");
    };
    let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(reply["status_code"], 200, "{reply}");
}
