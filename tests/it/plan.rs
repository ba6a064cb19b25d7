//! One plan for every front end: what `explain` shows is what the Lambda path sends.

use cloud_events_handler::{Config, Event, Handler, Reply};

use crate::corpus::{self, recorder, runtime, Received};
use crate::fixtures;

#[test]
fn explain_and_the_lambda_path_agree_on_every_fixture() {
    let compared = corpus::explain_and_the_lambda_path_agree(&fixtures::corpus());
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
/// that builds only that plans exactly what a handler reading all of the event's JSON plans.
#[test]
fn reading_only_what_the_rules_name_plans_what_reading_everything_plans() {
    let compared = corpus::pruned_reading_plans_what_whole_reading_plans(&fixtures::corpus());
    assert!(compared >= 580, "only {compared} compared");
}

/// Reading an event and its view in one pass refuses exactly what reading the event alone
/// refuses, with the same error.
#[test]
fn reading_in_one_pass_refuses_what_reading_alone_refuses() {
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
    // Each of 60 fixtures cut short, and with a stray byte in its middle.
    inputs.extend(corpus::broken_copies(&fixtures::corpus(), 60));
    corpus::one_pass_refuses_what_reading_alone_refuses(inputs);
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
