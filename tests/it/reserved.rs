//! Event routes are reserved by what they are, not by spelling: no value of a
//! templated route (an EventBridge `source`, a CloudEvent's `source`, an
//! Event Grid `eventType`…) makes another rule's route, in any case, slash,
//! percent-encoding, dot-segment or parameter form a server reads alike.

use cloud_events_handler::{
    request::SynthesizeError, Config, Event, HandleError, Handler, RuleTable,
};
use proptest::prelude::*;
use serde_json::{json, Value};

/// An event each built-in templated rule matches, with `value` where its path reads.
fn events(value: &str) -> Vec<(&'static str, Value)> {
    let grid = json!({"id": "1", "topic": "/t", "subject": "s", "eventType": value,
                      "eventTime": "2026-01-01T00:00:00Z", "dataVersion": "1", "metadataVersion": "1", "data": {}});
    vec![
        // https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html
        (
            "eventbridge",
            json!({"version": "0", "id": "1", "detail-type": "Thing Happened", "source": value,
                   "account": "1", "time": "2026-01-01T00:00:00Z", "region": "us-east-1", "resources": [], "detail": {}}),
        ),
        // https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md
        (
            "cloudevents",
            json!({"specversion": "1.0", "id": "1", "source": value, "type": "t"}),
        ),
        (
            "cloudevents-batch",
            json!([{"specversion": "1.0", "id": "1", "source": value, "type": "t"}]),
        ),
        // https://cloud.google.com/functions/1stgendocs/writing/write-event-driven-functions
        (
            "gcf-background",
            json!({"context": {"eventId": "1", "timestamp": "t", "eventType": value, "resource": "r"}, "data": {}}),
        ),
        (
            "gcf-background-legacy",
            json!({"eventId": "1", "timestamp": "t", "eventType": value, "resource": "r", "data": {}}),
        ),
        // https://learn.microsoft.com/en-us/azure/event-grid/event-schema
        ("eventgrid", json!([grid.clone()])),
        // https://learn.microsoft.com/en-us/azure/azure-functions/functions-bindings-event-grid-trigger
        (
            "azure-functions-eventgrid",
            json!({"Data": {"event": grid}, "Metadata": {"sys": {"MethodName": "grid"}}}),
        ),
        // https://docs.aws.amazon.com/iot/latest/developerguide/iot-rule-actions.html
        ("iot", json!({"event": {"eventName": value}})),
    ]
}

/// Every static route of the built-in table, without its leading `/`, and
/// one of the routes `eventbridge-static` enumerates.
fn reserved() -> Vec<String> {
    let table = RuleTable::builtin();
    let mut routes: Vec<String> = table
        .rules()
        .iter()
        .filter_map(|rule| rule.path())
        .filter(|path| path.is_static())
        .map(|path| path.as_str().trim_start_matches('/').to_owned())
        .collect();
    routes.push("aws.sqs.eventbridge".to_owned());
    routes.sort();
    routes.dedup();
    routes
}

/// The spellings of `route` that servers read as it.
fn spellings(route: &str) -> Vec<String> {
    let upper = route.to_uppercase();
    let mixed: String = route
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect();
    let first = route.chars().next().unwrap_or('a');
    let mut out = vec![
        route.to_owned(),
        format!("/{route}"),
        format!("{route}/"),
        format!("//{route}//"),
        upper,
        mixed,
        format!("{route};x=1"),
        format!("{route}%3B"),
        format!("%{:02X}{}", first as u32, &route[1..]),
        format!("%25{:02X}{}", first as u32, &route[1..]),
        format!("{route}%2F"),
        format!("{route}\\"),
        format!("\\{route}"),
        format!("./{route}"),
        format!("x/../{route}"),
        format!("{route}/."),
    ];
    if route.contains('s') {
        out.push(route.replacen('s', "\u{17f}", 1));
    }
    out
}

fn refusal(config: &Config, event: &Value) -> Result<String, HandleError> {
    let handler = Handler::new(config.clone());
    let event = Event::from_json(event.clone());
    match handler.explain(&event) {
        Ok(plan) => Ok(plan
            .requests()
            .first()
            .map(|request| request.uri().path().to_owned())
            .unwrap_or_default()),
        Err(err) => Err(err),
    }
}

#[test]
fn no_templated_route_lands_on_another_rules_route() {
    let config = Config::default();
    let routes = reserved();
    assert!(routes.len() > 50, "{routes:?}");
    let mut refused = 0;
    for route in &routes {
        for value in spellings(route) {
            for (rule, event) in events(&value) {
                match refusal(&config, &event) {
                    Err(HandleError::Synthesize(SynthesizeError::ReservedRoute {
                        rule: by,
                        ..
                    })) => {
                        assert_eq!(by, rule, "{value:?}");
                        refused += 1;
                    }
                    Err(HandleError::Synthesize(SynthesizeError::DotSegment {
                        rule: by, ..
                    })) => assert_eq!(by, rule, "{value:?}"),
                    // An EventBridge event from a source the table routes has a route of its own.
                    Ok(path) if rule == "eventbridge" && value == *route => {
                        assert_eq!(path, format!("/{route}.eventbridge"), "{value:?}");
                    }
                    other => panic!("rule {rule}, value {value:?}: {other:?}"),
                }
            }
        }
    }
    assert!(refused > 4000, "{refused}");
}

#[test]
fn the_refusal_names_the_rule_the_value_and_the_route_it_would_reach() {
    let (_, event) = events("AWS.S3").swap_remove(0);
    let err = refusal(&Config::default(), &event).unwrap_err();
    assert_eq!(
        err.to_string(),
        "rule `eventbridge`: the value \"AWS.S3\" makes the path /AWS.S3, which a server may read as /aws.s3, the route of rule `s3`; event routes belong to their rules, so the event is refused"
    );
    let (_, grid) = events("azure.queue").swap_remove(6);
    let err = refusal(&Config::default(), &grid).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("rule `azure-functions-eventgrid`: the value \"azure.queue\""),
        "{err}"
    );
}

#[test]
fn values_that_only_look_alike_keep_their_routes() {
    let config = Config::default();
    for (value, path) in [
        ("aws.s3x", "/aws.s3x"),
        ("com.example/aws.s3", "/com.example/aws.s3"),
        ("aws.s3/objects", "/aws.s3/objects"),
        ("/mycontext/subcontext", "/mycontext/subcontext"),
        (
            "Microsoft.Storage.BlobCreated",
            "/Microsoft.Storage.BlobCreated",
        ),
        ("aws.ec2", "/aws.ec2"),
    ] {
        for (rule, event) in events(value) {
            assert_eq!(
                refusal(&config, &event).map_err(|e| e.to_string()),
                Ok(path.to_owned()),
                "{rule}"
            );
        }
    }
}

#[test]
fn routes_are_compared_under_their_own_base_paths() {
    let config = Config::parse(
        "c.toml",
        "[environment.rule.s3]\nbase_path = \"/hooks\"\n[environment.rule.cloudevents]\nbase_path = \"/ce\"\n",
    )
    .unwrap();
    let (_, eventbridge) = events("Hooks/AWS.S3").swap_remove(0);
    assert!(matches!(
        refusal(&config, &eventbridge),
        Err(HandleError::Synthesize(SynthesizeError::ReservedRoute { owner, .. })) if owner == "s3"
    ));
    // s3's events go to /hooks/aws.s3 now: /aws.s3 is nobody's.
    let (_, eventbridge) = events("AWS.S3").swap_remove(0);
    assert_eq!(
        refusal(&config, &eventbridge).map_err(|e| e.to_string()),
        Ok("/AWS.S3".to_owned())
    );
    // A CloudEvent's path is under /ce: /ce/aws.sqs is nobody's either.
    let (_, cloudevent) = events("aws.sqs").swap_remove(1);
    assert_eq!(
        refusal(&config, &cloudevent).map_err(|e| e.to_string()),
        Ok("/ce/aws.sqs".to_owned())
    );
}

#[test]
fn a_users_templated_rule_and_static_routes_of_his_own() {
    let config = Config::parse(
        "c.toml",
        r#"
        [[rule]]
        name = "orders-placed"
        path = "/orders/placed"
        [rule.match]
        "$.kind" = "placed"

        [[rule]]
        name = "orders"
        path = "/orders/{$.kind}"
        [rule.match]
        "$.kind" = { exists = true }
        "#,
    )
    .unwrap();
    let refused = refusal(&config, &json!({"kind": "PLACED;x"})).unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("the route of rule `orders-placed`"),
        "{refused}"
    );
    assert_eq!(
        refusal(&config, &json!({"kind": "shipped"})).map_err(|e| e.to_string()),
        Ok("/orders/shipped".to_owned())
    );
}

/// One spelling of `route`: each character kept, case-flipped or
/// percent-encoded (once or twice), with slashes or a parameter around it.
fn spelled(route: &'static str) -> impl Strategy<Value = String> {
    let chars = route.chars().map(|c| (0..4u8, Just(c))).collect::<Vec<_>>();
    (
        chars,
        prop::sample::select(vec!["", "/", "//", "\\"]),
        prop::sample::select(vec!["", "/", "//", ";", ";v=1", "%3B", "%2F", "\\"]),
    )
        .prop_map(|(chars, before, after)| {
            let body: String = chars
                .into_iter()
                .map(|(how, c)| match how {
                    0 => c.to_string(),
                    1 => c.to_uppercase().to_string(),
                    2 => format!("%{:02X}", c as u32),
                    _ => format!("%25{:02x}", c as u32),
                })
                .collect();
            format!("{before}{body}{after}")
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn every_spelling_of_a_reserved_route_is_refused(
        (route, value) in prop::sample::select(vec!["aws.s3", "aws.sqs", "azure.queue", "google.pubsub", "aws.kinesis.firehose"])
            .prop_flat_map(|route| (Just(route), spelled(route))),
        which in 0..8usize,
    ) {
        let (rule, event) = events(&value).swap_remove(which);
        match refusal(&Config::default(), &event) {
            Err(HandleError::Synthesize(SynthesizeError::ReservedRoute { rule: by, .. })) => prop_assert_eq!(by, rule),
            Ok(path) => prop_assert!(rule == "eventbridge" && value == route, "{} {:?} → {}", rule, value, path),
            Err(other) => prop_assert!(false, "{} {:?}: {}", rule, value, other),
        }
    }
}
