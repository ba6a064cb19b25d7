//! User rules cannot blow up: a query whose cost cannot be bounded is
//! refused when the rules load, and every other query pays for the nodes it
//! visits out of the event's work budget, refusing the event when it runs out.

use cloud_events_handler::{request::SynthesizeError, Config, Event, HandleError, Handler};
use serde_json::json;

use crate::cli::ceh;

/// A 241-byte event: an array nested 120 deep.
fn deep_array() -> String {
    format!("{}{}", "[".repeat(120), "]".repeat(120)) + "\n"
}

#[test]
fn the_241_byte_event_and_its_four_descendant_segments_are_refused_at_once() {
    let event = deep_array();
    assert_eq!(event.len(), 241);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ceh.toml");
    std::fs::write(
        &path,
        "[[rule]]\nname = \"deep\"\npath = \"/deep\"\n[rule.match]\n\"$..*..*..*..*\" = { exists = true }\n",
    )
    .unwrap();
    let config = path.to_string_lossy().into_owned();
    let output = ceh(&["explain", "--config", &config, "-"], event.as_bytes());
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!("ceh: {config}:5: rule `deep`: key `rule[0].match.\"$..*..*..*..*\"`: not a valid JSONPath (a descendant segment `..` reads every node at every depth, so its cost grows with the event's nesting; name the path, or use a wildcard (`$.Records[*].eventSource`); ceh evaluates names, indexes, wildcards, slices and filters, with a bound on the work each event may cost); write RFC 9535 syntax such as \"$.Records[0].eventSource\"\n")
    );
}

#[test]
fn a_query_that_outgrows_the_events_budget_refuses_the_event_naming_rule_and_query() {
    // Each `[*,*]` visits every node twice: 2^40 visits of the 241-byte
    // array, and none selects a member `x`.
    let query = format!("${}.x", "[*,*]".repeat(40));
    let config = Config::parse(
        "c.toml",
        &format!("[[rule]]\nname = \"doubling\"\npath = \"/d\"\n[rule.match]\n\"{query}\" = {{ exists = false }}\n"),
    )
    .unwrap();
    let event = Event::from_slice(deep_array().as_bytes()).unwrap();
    let handler = Handler::new(config);
    let err = handler
        .explain(&event)
        .map(|plan| plan.rule().name())
        .unwrap_err();
    assert!(
        matches!(&err, HandleError::Synthesize(SynthesizeError::TooCostly { rule, query: q, .. }) if rule == "doubling" && *q == query),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!("rule `doubling`: evaluating the JSONPath {query} on this event took more than the 1049540 steps of work an event of its size may cost; the event is refused (write the query with fewer wildcards, filters and slices, or test it with `ceh explain`)")
    );
}

#[test]
fn a_filter_that_reads_the_whole_event_for_each_element_is_refused_not_run() {
    // For each of 100,000 elements, a count of all 100,000: 10^10 steps.
    let config = Config::parse(
        "c.toml",
        "[[rule]]\nname = \"square\"\npath = \"/s\"\n[rule.match]\n\"$[?count($[*]) > 100000]\" = { exists = true }\n",
    )
    .unwrap();
    let event = Event::from_json(json!(vec![1; 100_000]));
    let handler = Handler::new(config);
    let err = handler
        .explain(&event)
        .map(|plan| plan.rule().name())
        .unwrap_err();
    assert!(err.to_string().starts_with("rule `square`: evaluating the JSONPath $[?count($[*]) > 100000] on this event took more than"), "{err}");
}

#[test]
fn filters_slices_and_unions_still_route() {
    let config = Config::parse(
        "c.toml",
        r#"
        [[rule]]
        name = "placed"
        path = "/orders/{$.orders[?@.state == 'placed'].id}"
        [rule.match]
        "$.orders[?match(@.state, 'pla.*')]" = { exists = true }
        "$.orders[0:2].id" = { one_of = ["a", "b"] }
        "$['orders','other'][1]" = { exists = true }
        "#,
    )
    .unwrap();
    let event = Event::from_json(
        json!({"orders": [{"id": "a", "state": "new"}, {"id": "b", "state": "placed"}]}),
    );
    let handler = Handler::new(config);
    let plan = handler.explain(&event).unwrap();
    assert_eq!(plan.rule().name(), "placed");
    assert_eq!(plan.requests()[0].uri().path(), "/orders/b");
}
