//! Every fixture is classified as `fixtures/routes.toml` says.

use std::collections::BTreeSet;

use cloud_events_handler::{request::synthesize, Config, Event, RuleTable};

use crate::{corpus, fixtures};

#[test]
fn every_fixture_has_an_expected_route_and_every_route_a_fixture() {
    corpus::table_matches_files(&fixtures::corpus());
}

#[test]
fn fixtures_cover_enough_sources() {
    let files = fixtures::all();
    let sources: BTreeSet<&str> = files.iter().filter_map(|f| f.split('/').next()).collect();
    assert!(files.len() >= 120, "only {} fixtures", files.len());
    assert!(
        sources.len() >= 25,
        "only {} sources: {sources:?}",
        sources.len()
    );
}

#[test]
fn every_fixture_routes_as_the_table_says() {
    corpus::routes_as_the_table_says(&fixtures::corpus());
}

#[test]
fn every_builtin_rule_is_reached_by_some_fixture() {
    let used: BTreeSet<String> = fixtures::expected().into_values().map(|e| e.rule).collect();
    let table = RuleTable::builtin();
    let unused: Vec<&str> = table
        .rules()
        .iter()
        .map(|r| r.name())
        .filter(|name| !used.contains(*name))
        .collect();
    assert!(
        unused.is_empty(),
        "built-in rules no fixture reaches: {unused:?}"
    );
}

#[test]
fn first_match_wins_and_user_rules_come_first() {
    let config = Config::parse(
        "mine.toml",
        r#"
        [[rule]]
        name = "my-bucket"
        path = "/uploads"
        [rule.match]
        "$.Records[0].s3.bucket.name" = "uploads"

        [[rule]]
        name = "any-s3"
        path = "/never"
        [rule.match]
        "$.Records[0].eventSource" = "aws:s3"
        "$.Records[0].s3.bucket.name" = "uploads"
        "#,
    )
    .unwrap();
    let upload = Event::from_slice(
        br#"{"Records": [{"eventSource": "aws:s3", "s3": {"bucket": {"name": "uploads"}}}]}"#,
    )
    .unwrap();
    let other = Event::from_slice(
        br#"{"Records": [{"eventSource": "aws:s3", "s3": {"bucket": {"name": "logs"}}}]}"#,
    )
    .unwrap();
    assert_eq!(
        config.rules().classify(&upload).unwrap().rule().name(),
        "my-bucket"
    );
    assert_eq!(config.rules().classify(&other).unwrap().rule().name(), "s3");
}

#[test]
fn unresolvable_placeholders_fall_through_to_the_next_rule() {
    let table = RuleTable::builtin();
    for body in [
        r#"{"source": 42, "detail-type": "x", "detail": {}}"#,
        r#"{"source": "", "detail-type": "x", "detail": {}}"#,
        r#"{"source": "///", "detail-type": "x", "detail": {}}"#,
        r#"{"source": ["a"], "detail-type": "x", "detail": {}}"#,
    ] {
        let event = Event::from_slice(body.as_bytes()).unwrap();
        assert_eq!(
            table.classify(&event).unwrap().rule().name(),
            "fallback",
            "{body}"
        );
    }
}

#[test]
fn odd_shapes_go_to_the_fallback() {
    let table = RuleTable::builtin();
    for body in [
        "[]",
        "[1, 2]",
        "\"text\"",
        "42",
        "null",
        "true",
        "{}",
        r#"{"Records": []}"#,
        r#"{"Records": "x"}"#,
    ] {
        let event = Event::from_slice(body.as_bytes()).unwrap();
        assert_eq!(
            table.classify(&event).unwrap().rule().name(),
            "fallback",
            "{body}"
        );
    }
}

#[test]
fn a_rejecting_fallback_is_an_error() {
    let config = Config::parse("c.toml", "[fallback]\nreject = true\n").unwrap();
    let event = Event::from_slice(b"{}").unwrap();
    let err = config.rules().classify(&event).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no rule matches this event and the fallback rejects unmatched events; add a rule for it or remove `reject = true` from [fallback]"
    );
}

#[test]
fn the_fallback_path_is_configurable() {
    let config = Config::parse("c.toml", "[fallback]\npath = \"/unknown-event\"\n").unwrap();
    let event = Event::from_slice(b"{}").unwrap();
    let found = config.rules().classify(&event).unwrap();
    let request = synthesize(&found, &event, config.environment()).unwrap();
    assert_eq!(request.uri().path(), "/unknown-event");
}

#[test]
fn events_are_checked_before_classification() {
    use cloud_events_handler::EventError;
    assert_eq!(Event::from_slice(b"  \n").unwrap_err(), EventError::Empty);
    let deep = "[".repeat(200) + &"]".repeat(200);
    assert!(matches!(
        Event::from_slice(deep.as_bytes()),
        Err(EventError::TooDeep { .. })
    ));
    let err = Event::from_slice(b"{\"a\": }").unwrap_err();
    assert_eq!(
        err.to_string(),
        "the event is not valid JSON: expected value at line 1 column 7"
    );
    let err = Event::from_slice(b"\"\xff\"").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the event is not valid JSON: invalid unicode"),
        "{err}"
    );
    let big = format!("{{\"data\": \"{}\"}}", "x".repeat(6_000_000));
    assert!(
        Event::from_slice(big.as_bytes()).is_ok(),
        "a 6 MB event is accepted"
    );
    let huge = bytes::Bytes::from(vec![b' '; 7 * 1024 * 1024]);
    assert_eq!(
        Event::from_bytes(huge).unwrap_err().to_string(),
        "the event is 7340032 bytes, over the limit of 6291456 bytes"
    );
}
