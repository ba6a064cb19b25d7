//! Any JSON, and any mutation of an event of a corpus, through classify and synthesize: the
//! strategy and the check the fuzz tests of both test targets use.

// Each target uses a part: the shared corpus has no `any_json` test of its own.
#![allow(dead_code)]

use cloud_events_handler::rule::Route;
use cloud_events_handler::{Event, Handler};
use proptest::prelude::*;
use serde_json::Value;

/// JSON values with the strings that cause trouble: separators, dots, controls, non-ASCII.
pub fn json_value() -> impl Strategy<Value = Value> {
    let hostile = prop::sample::select(vec![
        "..",
        ".",
        "/",
        "//",
        "../../etc",
        "a?b#c",
        "\r\n",
        "\0",
        "ü",
        "%2e%2e",
        "{$.x}",
        "",
        " ",
        "aws:sqs",
        "aws:s3",
        "2.0",
        "1.0",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        hostile.prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z$.\\-]{0,12}", inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// Every JSON pointer in `value`.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                pointers(
                    child,
                    format!("{at}/{}", key.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// One of `events` (picked by `pick`) with one of its nodes (picked by `at`) replaced.
pub fn mutated(
    events: &[Value],
    pick: prop::sample::Index,
    at: prop::sample::Index,
    replacement: Value,
) -> Value {
    let mut value = events[pick.index(events.len())].clone();
    let mut all = Vec::new();
    pointers(&value, String::new(), &mut all);
    let pointer = &all[at.index(all.len())];
    if pointer.is_empty() {
        value = replacement;
    } else if let Some(slot) = value.pointer_mut(pointer) {
        *slot = replacement;
    }
    value
}

/// No panic, every request valid, every event path under its rule's prefix.
pub fn check(handler: &Handler, event: &Event) -> Result<(), TestCaseError> {
    let Ok(explained) = handler.explain(event) else {
        return Ok(());
    };
    let rule = explained.rule();
    for request in explained.requests() {
        let path = request.uri().path();
        prop_assert!(path.starts_with('/'));
        if let Route::Event { path: template, .. } = rule.route() {
            prop_assert!(
                path.starts_with(template.static_prefix()),
                "{} under {}",
                path,
                template
            );
            prop_assert!(path.split('/').all(|s| s != ".." && s != "."), "{}", path);
            prop_assert!(!path.contains("//"), "{}", path);
        }
        for value in request.headers().values() {
            prop_assert!(!value
                .as_bytes()
                .iter()
                .any(|b| *b == b'\r' || *b == b'\n' || *b == 0));
        }
    }
    Ok(())
}
