//! One plan for every front end: what `explain` shows is what the Lambda path sends.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use cloud_events_handler::{Config, Event, Handler, Reply};
use http::{Request, Response};
use http_body_util::{BodyExt, Full};

use crate::fixtures;

/// Every request the app received, as it received it.
type Received = Arc<Mutex<Vec<Request<Bytes>>>>;

/// An app that records each request and answers `200 {}` (JSON, so every reply mode takes it).
fn recorder(
    received: Received,
) -> impl tower::Service<
    Request<Full<Bytes>>,
    Response = Response<Full<Bytes>>,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone {
    tower::service_fn(move |request: Request<Full<Bytes>>| {
        let received = received.clone();
        async move {
            let (parts, body) = request.into_parts();
            let body = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            received
                .lock()
                .unwrap()
                .push(Request::from_parts(parts, body));
            Ok(Response::new(Full::new(Bytes::from_static(b"{}"))))
        }
    })
}

/// A runtime for one test's calls.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A request's method, URI, headers and body, to compare two requests whole.
fn described(request: &Request<Bytes>) -> String {
    let mut text = format!(
        "{} {} {:?}\n",
        request.method(),
        request.uri(),
        request.version()
    );
    for (name, value) in request.headers() {
        text.push_str(&format!("{name}: {value:?}\n"));
    }
    text.push_str(&String::from_utf8_lossy(request.body()));
    text
}

/// A batch's requests may reach the app in any order across groups: put them in record order.
fn record_order(requests: &mut [Request<Bytes>]) {
    requests.sort_by_key(|request| {
        request
            .headers()
            .get("ceh-record-index")
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
            .unwrap_or(0)
    });
}

#[test]
fn explain_and_the_lambda_path_agree_on_every_fixture() {
    let handler = Handler::new(Config::default());
    let runtime = runtime();
    let mut compared = 0;
    for file in fixtures::all() {
        let mut json: serde_json::Value = serde_json::from_slice(&fixtures::read(&file)).unwrap();
        if json.get("ResponseURL").is_some() {
            // A custom resource's result goes to its ResponseURL: never off this machine.
            json["ResponseURL"] = "http://127.0.0.1:9/cloudformation".into();
        }
        let event = Event::from_json(json);
        let plan = handler.explain(&event);
        let received = Received::default();
        let outcome = runtime.block_on(handler.handle(&event, recorder(received.clone())));
        let mut sent = std::mem::take(&mut *received.lock().unwrap());
        record_order(&mut sent);
        let plan = match plan {
            Ok(plan) => plan,
            Err(refused) => {
                // The same refusal on both roads, and nothing sent to the app.
                let err = outcome.expect_err(&file);
                assert_eq!(err.to_string(), refused.to_string(), "{file}");
                assert_eq!(err.kind(), refused.kind(), "{file}");
                assert!(sent.is_empty(), "{file}");
                continue;
            }
        };
        let planned: Vec<String> = plan.requests().iter().map(described).collect();
        let delivered: Vec<String> = sent.iter().map(described).collect();
        assert_eq!(planned, delivered, "{file}: rule {}", plan.rule().name());
        if let Some(refusal) = plan.refusal() {
            match outcome {
                Ok(Reply::Http { response, .. }) => {
                    assert_eq!(response.status(), refusal.status(), "{file}");
                    assert_eq!(response.body(), refusal.body(), "{file}");
                }
                other => panic!("{file}: a refused HTTP event got {other:?}"),
            }
        }
        compared += 1;
    }
    assert!(compared >= 100, "only {compared} fixtures compared");
}

#[test]
fn a_refused_spoof_is_shown_by_explain_and_never_reaches_the_app() {
    let handler = Handler::new(Config::default());
    let event = Event::from_slice(
        br#"{"version": "2.0", "rawPath": "/aws.sqs", "rawQueryString": "", "headers": {},
            "requestContext": {"http": {"method": "POST"}}, "isBase64Encoded": false}"#,
    )
    .unwrap();
    let plan = handler.explain(&event).unwrap();
    assert!(plan.requests().is_empty());
    let refusal = plan.refusal().unwrap();
    assert_eq!(refusal.status(), 404);
    assert!(String::from_utf8_lossy(refusal.body()).starts_with("/aws.sqs is an event route"));
    let received = Received::default();
    let runtime = runtime();
    let reply = runtime
        .block_on(handler.handle(&event, recorder(received.clone())))
        .unwrap()
        .into_json();
    assert_eq!(reply["statusCode"], 404);
    assert!(received.lock().unwrap().is_empty());
}

#[test]
fn answers_are_ceh_s_own_and_match_what_explain_shows() {
    let handler = Handler::new(Config::default());
    let event =
        Event::from_slice(&fixtures::read("eventgrid/subscription-validation.json")).unwrap();
    let plan = handler.explain(&event).unwrap();
    assert_eq!(plan.rule().name(), "eventgrid-validation");
    assert!(plan.requests().is_empty());
    let expected =
        serde_json::json!({"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"});
    assert_eq!(plan.answer(), Some(&expected));
    let received = Received::default();
    let runtime = runtime();
    let reply = runtime
        .block_on(handler.handle(&event, recorder(received.clone())))
        .unwrap();
    assert!(matches!(&reply, Reply::Answer(answer) if *answer == expected));
    assert_eq!(reply.into_json(), expected);
    assert!(received.lock().unwrap().is_empty(), "the app is not called");
}

/// Routing reads only what the rules name: on every fixture, as the bytes arrived, a handler
/// that builds only that (its own view of the event) plans exactly what a handler reading all
/// of the event's JSON plans — the same rule, the same requests byte for byte, the same refusal.
#[test]
fn reading_only_what_the_rules_name_plans_what_reading_everything_plans() {
    let pruning = Handler::new(Config::default());
    // Another table: the event's views were built for the first, so this one reads all of it.
    let whole = Handler::new(Config::default());
    let mut compared = 0;
    for file in fixtures::all() {
        let bytes = Bytes::from(fixtures::read(&file));
        for event in [
            pruning
                .read_event(bytes.clone(), cloud_events_handler::DEFAULT_MAX_EVENT_BYTES)
                .unwrap(),
            Event::from_bytes(bytes.clone()).unwrap(),
        ] {
            let pruned = pruning.explain(&event);
            let full = whole.explain(&event);
            match (pruned, full) {
                (Ok(pruned), Ok(full)) => {
                    assert_eq!(pruned.rule().name(), full.rule().name(), "{file}");
                    let a: Vec<String> = pruned.requests().iter().map(described).collect();
                    let b: Vec<String> = full.requests().iter().map(described).collect();
                    assert_eq!(a, b, "{file}");
                    assert_eq!(pruned.answer(), full.answer(), "{file}");
                    assert_eq!(
                        pruned.refusal().map(|r| (r.status(), r.body().clone())),
                        full.refusal().map(|r| (r.status(), r.body().clone())),
                        "{file}"
                    );
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{file}"),
                (a, b) => panic!("{file}: {:?} against {:?}", a.err(), b.err()),
            }
            compared += 1;
        }
    }
    assert!(compared >= 800, "only {compared} compared");
}

/// Reading an event and its view in one pass refuses exactly what reading the event alone
/// refuses, with the same error.
#[test]
fn reading_in_one_pass_refuses_what_reading_alone_refuses() {
    let handler = Handler::new(Config::default());
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let mut inputs: Vec<Vec<u8>> = vec![
        b"{".to_vec(),
        b"{\"Records\": [{\"eventSource\": \"aws:s3\"}]".to_vec(),
        b"{\"source\": \"x\"} trailing".to_vec(),
        b"{\"source\": \"\\ud800\"}".to_vec(),
        b"{\"n\": 1e400}".to_vec(),
        b"{\"s\": \"\xff\"}".to_vec(),
        b"{\"a\": [1, 2,]}".to_vec(),
        b"   ".to_vec(),
        deep.into_bytes(),
        b"{\"Records\": [{\"eventSource\": \"aws:sqs\", \"x\": [[[[[[[[[[tru]]]]]]]]]]}]}".to_vec(),
    ];
    for file in fixtures::all().into_iter().take(60) {
        let bytes = fixtures::read(&file);
        // Each fixture cut short, and with a stray byte in its middle.
        inputs.push(bytes[..bytes.len() / 2].to_vec());
        let mut stray = bytes.clone();
        let middle = stray.len() / 2;
        stray.insert(middle, b'#');
        inputs.push(stray);
    }
    for input in inputs {
        let bytes = Bytes::from(input);
        let alone = Event::from_bytes(bytes.clone()).map(|_| ());
        let one_pass = handler
            .read_event(bytes.clone(), cloud_events_handler::DEFAULT_MAX_EVENT_BYTES)
            .map(|_| ());
        assert_eq!(one_pass, alone, "{:?}", String::from_utf8_lossy(&bytes));
    }
}

/// A batch record no request can be made for (its path's value missing, or one that would
/// leave the path, or no `body`) refuses the whole event before the app hears of any record:
/// the records are checked when the plan is made, though each request is built only to be sent.
#[test]
fn a_record_no_request_can_be_made_for_refuses_the_batch_before_the_app_is_called() {
    let config = Config::parse(
        "ceh.toml",
        r#"
[[rule]]
name = "orders"
path = "/orders/{$.kind}"
reply = "batch"
[rule.match]
"$.orders[0].kind" = { exists = true }
[rule.batch]
records = "$.orders[*]"

[[rule]]
name = "parcels"
path = "/parcels"
reply = "batch"
body = "$.contents"
[rule.match]
"$.parcels[0].contents" = { exists = true }
[rule.batch]
records = "$.parcels[*]"
"#,
    )
    .unwrap();
    let handler = Handler::new(config);
    let runtime = runtime();
    for (json, refusal) in [
        (
            r#"{"orders": [{"kind": "book"}, {"kind": 7}]}"#,
            "rule `orders`: record 1 has no usable value for the path /orders/{$.kind}",
        ),
        (
            r#"{"orders": [{"kind": "book"}, {"kind": "../admin"}]}"#,
            "rule `orders`: the value \"../admin\" for the path /orders/{$.kind} has a `.` or `..` segment",
        ),
        (
            r#"{"parcels": [{"contents": "socks"}, {"label": "empty"}]}"#,
            "rule `parcels`: the event has nothing at $.contents, the rule's `body`",
        ),
    ] {
        let event = Event::from_slice(json.as_bytes()).unwrap();
        let explained = handler.explain(&event).map(|plan| plan.requests().len());
        assert!(
            explained.as_ref().is_err_and(|e| e.to_string().starts_with(refusal)),
            "{json}: {explained:?}"
        );
        let received = Received::default();
        let handled = runtime.block_on(handler.handle(&event, recorder(received.clone())));
        assert!(
            handled.as_ref().is_err_and(|e| e.to_string().starts_with(refusal)),
            "{json}: {:?}",
            handled.map(Reply::into_json)
        );
        assert!(received.lock().unwrap().is_empty(), "{json}: the app was called");
    }
    // The same records, all good, are each sent once.
    let event = Event::from_slice(br#"{"orders": [{"kind": "book"}, {"kind": "pen"}]}"#).unwrap();
    let received = Received::default();
    runtime
        .block_on(handler.handle(&event, recorder(received.clone())))
        .unwrap();
    let paths: Vec<String> = received
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.uri().path().to_owned())
        .collect();
    assert_eq!(paths.len(), 2);
    assert!(
        paths.contains(&"/orders/book".to_owned()) && paths.contains(&"/orders/pen".to_owned()),
        "{paths:?}"
    );
}
