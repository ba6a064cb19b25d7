//! The front ends are bindings of one pipeline: each one's ingest, given the
//! same event, makes the same plan, and each renders every error kind as
//! docs/architecture.md's table says. (The CLI is the binary's: its ingest is
//! `Handler::read_event` on a file's bytes, checked against the same plan by
//! tests/it/front_ends.rs through `ceh explain`.)

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};

use crate::app::{AppError, FailedAnswer};
use crate::error::{ErrorKind, HandleError};
use crate::event::{Event, DEFAULT_MAX_EVENT_BYTES};
use crate::handler::Handler;
use crate::passthrough::{HttpFormat, PassThroughError};
use crate::reply::{BatchError, ReplyError};
use crate::request::SynthesizeError;
use crate::Config;

fn fixtures() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// A plan as the front ends would act on it: the rule, the requests in
/// their JSON form, ceh's answer or refusal; or the error's kind and text.
fn plan_of(handler: &Handler, event: &Event) -> Value {
    match handler.explain(event) {
        Ok(plan) => json!({
            "rule": plan.rule().name(),
            "requests": plan.requests().iter().map(|request| {
                let (parts, body) = request.clone().into_parts();
                crate::describe::request_json(&parts, &body)
            }).collect::<Vec<_>>(),
            "answer": plan.answer(),
            "refused": plan.refusal().map(|r| (r.status().as_u16(), String::from_utf8_lossy(r.body()).into_owned())),
        }),
        Err(err) => json!({"error": err.kind().error_type(), "message": err.to_string()}),
    }
}

#[test]
fn every_front_ends_ingest_makes_the_same_plan_of_every_fixture() {
    let handler = Handler::new(Config::default());
    let json = HeaderMap::from_iter([(CONTENT_TYPE, HeaderValue::from_static("application/json"))]);
    let mut compared = 0;
    for path in fixtures() {
        let bytes = Bytes::from(std::fs::read(&path).unwrap());
        let name = path.display();
        // The Lambda loop's: an invocation's payload.
        let lambda = crate::lambda::invoke::ingest(&handler, bytes.clone())
            .unwrap_or_else(|e| panic!("{name}: {}", e.error_message));
        let want = plan_of(&handler, &lambda);
        // `ceh serve`'s: a request whose body is the event.
        let served = crate::serve::ingest::events(&handler, &json, bytes.clone(), 6 << 20)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(served.len(), 1, "{name}: one event");
        assert_eq!(plan_of(&handler, &served[0]), want, "{name}: serve");
        assert_eq!(served[0].bytes(), &bytes, "{name}: serve's bytes");
        // `ceh functions`': an invocation payload read as sent (no binding to cut down to).
        let read = |bytes| handler.read_event(bytes, DEFAULT_MAX_EVENT_BYTES);
        let function = crate::functions::ingest::event(bytes.clone(), None, read)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(plan_of(&handler, &function), want, "{name}: functions");
        compared += 1;
    }
    assert!(compared > 250, "only {compared} fixtures");
}

#[test]
fn a_structured_cloudevent_makes_the_same_plan_whatever_its_content_type_says() {
    let handler = Handler::new(Config::default());
    let structured = HeaderMap::from_iter([(
        CONTENT_TYPE,
        HeaderValue::from_static("application/cloudevents+json; charset=utf-8"),
    )]);
    let mut compared = 0;
    for path in fixtures() {
        let bytes = Bytes::from(std::fs::read(&path).unwrap());
        // One CloudEvent, not a batch (an array is `application/cloudevents-batch+json`'s).
        let json: Value = serde_json::from_slice(&bytes).unwrap_or_default();
        if json.get("specversion").is_none() {
            continue;
        }
        let Ok(lambda) = crate::lambda::invoke::ingest(&handler, bytes.clone()) else {
            continue;
        };
        let served = crate::serve::ingest::events(&handler, &structured, bytes, 6 << 20);
        let served = served.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            plan_of(&handler, &served[0]),
            plan_of(&handler, &lambda),
            "{}",
            path.display()
        );
        compared += 1;
    }
    assert!(compared >= 4, "only {compared} CloudEvents fixtures");
}

/// One error of each kind a handler returns, made as the handler makes it.
fn one_of_each_kind() -> Vec<HandleError> {
    let rule = || "orders".to_owned();
    let response = |status: u16| {
        Response::builder()
            .status(status)
            .body(Bytes::from_static(b"no such route"))
            .unwrap()
    };
    let request = Request::post("http://localhost/orders").body(()).unwrap();
    let failed = |status| HandleError::Failed {
        rule: rule(),
        answer: FailedAnswer::new(&request, &response(status)),
    };
    let rejecting = Handler::new(Config::parse("c.toml", "[fallback]\nreject = true\n").unwrap());
    let not_a_cloudevent =
        Event::from_slice(br#"{"specversion": "1.0", "id": 1, "source": "/s", "type": "t"}"#)
            .unwrap();
    let defaults = Handler::new(Config::default());
    let invalid_cloudevent = defaults
        .explain(&not_a_cloudevent)
        .map(|plan| plan.rule().name());
    vec![
        rejecting
            .explain(&Event::from_slice(b"{}").unwrap())
            .unwrap_err(),
        invalid_cloudevent.unwrap_err(),
        HandleError::PassThrough(PassThroughError::Field {
            format: HttpFormat::ApiGatewayV2,
            field: "headers.accept".to_owned(),
            expected: "a string",
        }),
        HandleError::TooManyRecords {
            rule: rule(),
            count: 3,
            limit: 2,
        },
        HandleError::Synthesize(SynthesizeError::DotSegment {
            rule: rule(),
            path: "/{$.id}".to_owned(),
            value: "..".to_owned(),
        }),
        HandleError::Synthesize(SynthesizeError::Unresolved {
            rule: rule(),
            index: 0,
            path: "/{$.id}".to_owned(),
        }),
        HandleError::App(AppError::Timeout {
            after: Duration::from_secs(3),
        }),
        HandleError::App(AppError::Call("connection refused".into())),
        failed(404),
        failed(503),
        HandleError::App(AppError::Body("reset".into())),
        HandleError::Batch(BatchError {
            rule: rule(),
            failed: 1,
            total: 2,
            hint: "",
            failures: vec!["record 1: the app answered 500".to_owned()],
        }),
        HandleError::Reply(ReplyError::BodyNotJson {
            rule: rule(),
            status: StatusCode::OK,
            reason: "expected value at line 1 column 1".to_owned(),
        }),
    ]
}

/// docs/architecture.md's table: kind → (Lambda's errorType, serve's status
/// for an app that answered nothing / 404 / 503, functions' status, the CLI's exit code).
fn documented() -> Vec<(String, Vec<String>)> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/architecture.md"))
            .unwrap();
    let table = text
        .split("<!-- error kinds -->")
        .nth(1)
        .expect("docs/architecture.md has the error kinds table");
    table
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<String> = line
                .trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().trim_matches('`').to_owned())
                .collect();
            (cells[0].clone(), cells[1..].to_vec())
        })
        .collect()
}

#[tokio::test]
async fn every_front_end_renders_every_error_kind_as_documented() {
    let documented = documented();
    let kinds: Vec<ErrorKind> = one_of_each_kind().iter().map(HandleError::kind).collect();
    for kind in ErrorKind::ALL {
        let listed = documented
            .iter()
            .any(|(name, _)| *name == format!("{kind:?}"));
        assert!(listed, "{kind:?} is in docs/architecture.md's table");
        let lambda_only = [
            ErrorKind::ReplyTooLarge,
            ErrorKind::InvalidConfig,
            ErrorKind::InitFailed,
        ];
        assert!(
            kinds.contains(&kind) || lambda_only.contains(&kind),
            "{kind:?} is made by one_of_each_kind"
        );
    }
    for err in one_of_each_kind() {
        let kind = err.kind();
        let row = documented
            .iter()
            .find(|(name, _)| *name == format!("{kind:?}"))
            .map(|(_, cells)| cells.clone())
            .unwrap_or_else(|| panic!("{kind:?}: no row"));
        let message = err.to_string();

        let lambda = crate::lambda::invoke::diagnostic(kind, &err);
        assert_eq!(lambda.error_type, row[0], "{kind:?} on Lambda");
        assert_eq!(lambda.error_message, message);

        let app_status = err.app_status();
        let serve = crate::serve::render::handled(Err(err)).unwrap_err();
        let documented_status = match app_status.map(|s| s.as_u16()) {
            Some(status) if status >= 500 => &row[3],
            Some(_) => &row[2],
            None => &row[1],
        };
        assert_eq!(
            serve.status().as_str(),
            documented_status.replace("the app's", "503"),
            "{kind:?} behind ceh serve"
        );
        let body = serve.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, format!("{message}\n"), "{kind:?}: serve says why");

        // `ceh functions`: the same error, rebuilt (it is not Clone), as the host's payload.
        let again = one_of_each_kind()
            .into_iter()
            .find(|e| e.to_string() == message)
            .unwrap();
        let functions = crate::functions::render::invocation("orders", None, Err(again));
        assert_eq!(functions.status().as_str(), row[4], "{kind:?} on functions");
        let body = functions.into_body().collect().await.unwrap().to_bytes();
        let payload: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            payload["Logs"][0],
            format!("function `orders`: {message}"),
            "{kind:?}: functions says why"
        );
        assert_eq!(row[5], "1", "{kind:?}: the CLI fails the event with exit 1");
    }
}
