//! Any JSON, and any mutation of any fixture, through classify and synthesize:
//! no panic, every request valid, every event path under its rule's prefix.
//!
//! The default case count suits CI; the full run is
//! `PROPTEST_CASES=100000 cargo test --release --test it fuzz::`.

use cloud_events_handler::Route;
use cloud_events_handler::{Config, Event, Handler};
use proptest::prelude::*;
use serde_json::Value;

use crate::fixtures;

/// Built once: compiling the rules is not what these tests are about.
static HANDLER: std::sync::LazyLock<Handler> =
    std::sync::LazyLock::new(|| Handler::new(Config::default()));
static FIXTURES: std::sync::LazyLock<Vec<Value>> = std::sync::LazyLock::new(|| {
    fixtures::expected()
        .into_keys()
        .map(|file| serde_json::from_slice(&fixtures::read(&file)).unwrap())
        .collect()
});

/// JSON values with the strings that cause trouble: separators, dots, controls, non-ASCII.
fn json_value() -> impl Strategy<Value = Value> {
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

fn check(handler: &Handler, event: &Event) -> Result<(), TestCaseError> {
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

proptest! {
    #[test]
    fn any_json(value in json_value()) {
        check(&HANDLER, &Event::from_json(value))?;
    }

    #[test]
    fn any_mutation_of_any_fixture(pick in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), replacement in json_value()) {
        let mut value = FIXTURES[pick.index(FIXTURES.len())].clone();
        let mut all = Vec::new();
        pointers(&value, String::new(), &mut all);
        let pointer = &all[at.index(all.len())];
        if pointer.is_empty() {
            value = replacement;
        } else if let Some(slot) = value.pointer_mut(pointer) {
            *slot = replacement;
        }
        check(&HANDLER, &Event::from_json(value))?;
    }
}
