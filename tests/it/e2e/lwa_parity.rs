//! The same app behind Lambda Web Adapter and behind ceh, both started with
//! the same `AWS_LWA_*` settings, gives the same replies to the same HTTP
//! events (docs/migrating.md). The adapter is benches/lwa-harness (crate
//! `lambda_web_adapter`, run as its `lambda-adapter` binary runs it, minus the
//! extension registration cargo-lambda's emulator has no API for), the
//! binary the duel smoke of .ci/run builds; each runs under an emulator of
//! its own, in front of one Flask app.
//!
//! The settings' meanings are the adapter's README and
//! <https://awslabs.github.io/aws-lambda-web-adapter/configuration/environment-variables.html>;
//! the events' and replies' shapes are Lambda's
//! (<https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html>,
//! <https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html>).

use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use super::harness::{ceh_lambda, flask, inner, root, Emulator, Process};

/// A setting both get: a name and a value.
type Setting<'a> = (&'a str, String);

/// An invocation's reply, or the error text of a failed one.
type Outcome = Result<Value, String>;

/// The adapter's binary, built as the duel builds it when it is not there yet.
fn lwa_binary() -> PathBuf {
    let target = root().join("target/lwa");
    let binary = target.join("release/lwa-harness");
    if !binary.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--release", "--manifest-path"])
            .arg(root().join("benches/lwa-harness/Cargo.toml"))
            .env("CARGO_TARGET_DIR", &target)
            .status()
            .unwrap();
        assert!(status.success(), "building benches/lwa-harness failed");
    }
    binary
}

/// The adapter under `emulator`, with `settings`.
fn lwa(emulator: &Emulator, settings: &[(&str, String)]) -> Process {
    let mut command = Command::new(lwa_binary());
    command.env_remove("APP").env_remove("CEH_CONFIG");
    for (key, value) in emulator.runtime_env() {
        command.env(key, value);
    }
    for (key, value) in settings {
        command.env(key, value);
    }
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Process(child)
}

/// The HTTP events sent to both: one of each format, `POST` to `path` when given.
fn events(path: Option<&str>) -> Vec<(&'static str, Value)> {
    [
        "apigw-v1/proxy.json",
        "apigw-v2/proxy.json",
        "alb/request.json",
        "function-url/request.json",
    ]
    .into_iter()
    .map(|name| {
        let mut event: Value = serde_json::from_slice(&crate::fixtures::read(name)).unwrap();
        if let Some(path) = path {
            let key = if event.get("rawPath").is_some() {
                "rawPath"
            } else {
                "path"
            };
            event[key] = json!(path);
            match event["requestContext"]["http"].get("method") {
                Some(_) => event["requestContext"]["http"]["method"] = json!("POST"),
                None => event["httpMethod"] = json!("POST"),
            }
        }
        (name, event)
    })
    .collect()
}

/// Starts the app, the adapter and ceh with `settings`, sends every event to
/// both, and returns each event's two outcomes (the adapter's, ceh's): the
/// reply, or the invocation's error.
fn replies(settings: &[Setting], path: Option<&str>) -> Vec<(&'static str, Outcome, Outcome)> {
    let (_app, port) = flask(0);
    let mut settings = settings.to_vec();
    settings.push(("AWS_LWA_PORT", port.to_string()));
    let (lwa_emulator, ceh_emulator) = (Emulator::start(), Emulator::start());
    let _lwa = lwa(&lwa_emulator, &settings);
    let _ceh = ceh_lambda(&ceh_emulator, &settings, &[]);
    events(path)
        .into_iter()
        .map(|(name, event)| {
            let body = event.to_string();
            let by_lwa = lwa_emulator.invoke(body.as_bytes());
            let by_ceh = ceh_emulator.invoke(body.as_bytes());
            (name, by_lwa, by_ceh)
        })
        .collect()
}

/// Every `Set-Cookie` of a reply, however its format says them: `cookies`
/// (v2), `multiValueHeaders`, or `headers` under case variants (ALB, v1).
fn set_cookies(reply: &Value) -> Vec<String> {
    let mut all: Vec<String> = reply["cookies"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(
            reply["multiValueHeaders"]
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
                .flat_map(|(_, values)| values.as_array().into_iter().flatten()),
        )
        .chain(
            reply["headers"]
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
                .map(|(_, value)| value),
        )
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    all.sort();
    all.dedup();
    all
}

/// Asserts the two replies are the same where both adapters mean the same.
///
/// Left out on purpose, each a difference ceh makes deliberately:
/// - `date` (a second apart) and `content-length` (the echo holds each
///   adapter's own request headers, so the bodies' lengths differ);
/// - the app's `connection: close`, which the adapter passes on and ceh
///   drops as a hop-by-hop header;
/// - the adapter's `multiValueHeaders` (empty in a v2 reply, a copy of
///   `headers` in an ALB one); the `Set-Cookie` values are compared whatever
///   field says them;
/// - request headers each adapter adds (`x-amzn-request-context`,
///   `x-amzn-lambda-context` against `ceh-*`: docs/migrating.md), the trace
///   id (new per invocation), `x-forwarded-for` (ceh appends the event's
///   source IP when the list lacks it, docs/http.md), and, for v2 events, `cookie` (the adapter joins
///   `cookies` with `;`, ceh with `; ` as RFC 6265 writes it) and `host` (the
///   adapter sends the app's own address, ceh the domain the client used).
fn assert_same(name: &str, by_lwa: &Value, by_ceh: &Value) {
    for field in ["statusCode", "statusDescription", "isBase64Encoded"] {
        assert_eq!(
            by_lwa[field], by_ceh[field],
            "{name}: {field}\nLWA {by_lwa}\nceh {by_ceh}"
        );
    }
    assert_eq!(
        set_cookies(by_lwa),
        set_cookies(by_ceh),
        "{name}: Set-Cookie"
    );
    let skipped = ["date", "content-length", "connection", "set-cookie"];
    let headers = |reply: &Value| -> Vec<(String, Value)> {
        let mut headers: Vec<(String, Value)> = reply["headers"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(name, _)| !skipped.iter().any(|s| name.eq_ignore_ascii_case(s)))
            .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
            .collect();
        headers.sort_by(|a, b| a.0.cmp(&b.0));
        headers
    };
    assert_eq!(headers(by_lwa), headers(by_ceh), "{name}: headers");
    // What the app saw: the Flask app echoes the request.
    let (seen_lwa, seen_ceh) = (inner(by_lwa, "body"), inner(by_ceh, "body"));
    for field in ["method", "path", "query", "body"] {
        assert_eq!(
            seen_lwa[field], seen_ceh[field],
            "{name}: the request's {field}"
        );
    }
    let v2 = by_lwa.get("cookies").is_some();
    let mut compared = 0;
    for (header, values) in seen_lwa["headers"].as_object().unwrap() {
        let own = header.starts_with("x-amzn-") || header == "x-forwarded-for";
        if own || (v2 && (header == "cookie" || header == "host")) {
            continue;
        }
        if let Some(theirs) = seen_ceh["headers"].get(header) {
            assert_eq!(values, theirs, "{name}: the request's {header}");
            compared += 1;
        }
    }
    assert!(compared > 0, "{name}: no request header in common");
}

/// The settings an app written for the adapter has, in combinations: a
/// readiness path with the defaults written out (which ceh takes as its own
/// behaviour), a base path, the same with the deprecated names, and an
/// authorization source with error status codes.
#[test]
fn the_replies_are_the_same() {
    let defaults = [
        ("AWS_LWA_READINESS_CHECK_PATH", "/health".to_owned()),
        ("AWS_LWA_READINESS_CHECK_PROTOCOL", "http".to_owned()),
        (
            "AWS_LWA_READINESS_CHECK_HEALTHY_STATUS",
            "100-499".to_owned(),
        ),
        ("AWS_LWA_INVOKE_MODE", "buffered".to_owned()),
        ("AWS_LWA_ENABLE_COMPRESSION", "false".to_owned()),
    ];
    let base_path = [
        ("AWS_LWA_READINESS_CHECK_PATH", "/health".to_owned()),
        ("AWS_LWA_REMOVE_BASE_PATH", "/api".to_owned()),
    ];
    let deprecated = [
        ("READINESS_CHECK_PATH", "/health".to_owned()),
        ("REMOVE_BASE_PATH", "/api".to_owned()),
    ];
    let errors = [
        ("AWS_LWA_AUTHORIZATION_SOURCE", "headername".to_owned()),
        ("AWS_LWA_ERROR_STATUS_CODES", "404,500-599".to_owned()),
    ];
    let cases: [(&[Setting], Option<&str>); 5] = [
        (&defaults, None),
        (&base_path, Some("/api/orders/7")),
        (&deprecated, Some("/api/orders/7")),
        (&errors, None),
        (&errors, Some("/fail")),
    ];
    for (settings, path) in cases {
        for (name, by_lwa, by_ceh) in replies(settings, path) {
            let what = format!("{name} with {settings:?} on {path:?}");
            if path == Some("/fail") {
                // The app's 500 fails the invocation in both. The error's type
                // and message differ: the adapter's is its own error text,
                // ceh's `Ceh.AppFailed` with the request and the status.
                let (lwa_error, ceh_error) = (by_lwa.unwrap_err(), by_ceh.unwrap_err());
                assert!(
                    ceh_error.contains("Ceh.AppFailed")
                        && ceh_error.contains("500 Internal Server Error")
                        && ceh_error.contains("the app failed on purpose"),
                    "{what}: {ceh_error}"
                );
                assert!(lwa_error.contains("500"), "{what}: {lwa_error}");
                continue;
            }
            let (by_lwa, by_ceh) = (by_lwa.unwrap(), by_ceh.unwrap());
            assert_same(&what, &by_lwa, &by_ceh);
            if path.is_some() {
                assert_eq!(inner(&by_ceh, "body")["path"], "/orders/7", "{what}");
            }
            if name == "apigw-v1/proxy.json" && settings == errors {
                // The event's `headerName` goes as `Authorization`, and not as itself.
                for seen in [inner(&by_lwa, "body"), inner(&by_ceh, "body")] {
                    assert_eq!(
                        seen["headers"]["authorization"],
                        json!(["headerValue"]),
                        "{what}"
                    );
                    assert!(seen["headers"].get("headername").is_none(), "{what}");
                }
            }
        }
    }
}
