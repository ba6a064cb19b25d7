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
