//! The evaluator against RFC 9535 (as jsonpath-rust reads it), its refusals and its budget.

use super::*;
use crate::rule::query::Query;
use jsonpath_rust::parser::parse_json_path;
use jsonpath_rust::query::js_path_process;
use serde_json::{json, Value};

fn jsonpath_rust<'v>(text: &str, json: &'v Value) -> Vec<&'v Value> {
    js_path_process(&parse_json_path(text).unwrap(), json)
        .map(|found| found.into_iter().map(|r| r.val()).collect())
        .unwrap_or_default()
}

#[test]
fn selects_what_rfc_9535_says_as_jsonpath_rust_does() {
    let doc = json!({
        "r": [{"type": "x", "id": 1, "n": 3, "tags": ["a", "b"]}, {"type": "y", "id": 2, "n": 1.0},
              {"type": "x", "id": 3, "n": "3"}, 4, null, {"id": 5, "o": {"k": [1, 2]}}],
        "o": {"b": 2, "a": 1, "c": {"type": "x"}},
        "s": "text", "k": 1
    });
    for text in [
        "$.r[1:3]",
        "$.r[::2]",
        "$.r[::-1]",
        "$.r[-2:]",
        "$.r[5:1:-2]",
        "$.r[:0]",
        "$.r[0:9:0]",
        "$.r[0,2].id",
        "$.r[0,0].id",
        "$['o','s']",
        "$.r[-1,0]",
        "$.r[?@.type == 'x'].id",
        "$.r[?@.type != 'x']",
        "$.r[?@.n > 2].id",
        "$.r[?@.n >= 1].id",
        "$.r[?@.n < 3].id",
        "$.r[?@.n <= 1].id",
        "$.r[?@.n == 1].id",
        "$.r[?@.tags].id",
        "$.r[?!@.tags].id",
        "$.r[?@.type == 'x' && @.n == 3].id",
        "$.r[?@.type == 'y' || @.id == 5].id",
        "$.r[?@.id == $.k].id",
        "$.o[?@ > 1]",
        "$.r[?length(@.tags) == 2].id",
        "$.r[?count(@.*) > 4].id",
        "$.r[?match(@.type, 'x')].id",
        "$.r[?search(@.type, '[xy]')].id",
        "$.r[?match(@.type, '.')].id",
        "$.r[?value(@.n) == 3].id",
        "$.r[?@.o.k[1] == 2].id",
        "$.r[?@.o == $.r[5].o].id",
        "$.r[?@ == 4]",
        "$.r[?@ == null]",
        "$.r[?@.tags[0] == 'a'].tags[1]",
        "$.o[?@.type]",
        "$.r[?@.missing == $.gone].id",
    ] {
        let query = Query::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(query.program().is_some(), "{text}");
        assert_eq!(query.select(&doc), jsonpath_rust(text, &doc), "{text}");
    }
}

#[test]
fn what_cannot_be_bounded_is_refused_when_the_rules_load() {
    for (text, reason) in [
        ("$..x", "a descendant segment `..`"),
        ("$.a[?@..b]", "a descendant segment `..`"),
        ("$..*..*..*..*", "a descendant segment `..`"),
        ("$.a[?match(@.b, @.c)]", "must be a string literal"),
        ("$.a[?match(@.b, '(')]", "not a valid regular expression"),
    ] {
        let err = Query::parse(text).map(drop).unwrap_err();
        assert!(err.contains(reason), "{text}: {err}");
    }
}

/// A query whose nodes double at each of its 24 `[*,*]` (2^24 of them from
/// one element), its text, and the document of 24 nested arrays it runs on.
fn doubling() -> (String, Query, Value) {
    let text = format!("${}", "[*,*]".repeat(24));
    let query = Query::parse(&text).unwrap();
    let doc = serde_json::from_str(&format!("{}1{}", "[".repeat(24), "]".repeat(24))).unwrap();
    (text, query, doc)
}

#[test]
fn a_query_that_runs_out_of_the_budget_selects_nothing_and_is_named() {
    let (text, query, doc) = doubling();
    let (selected, overrun) = metered(budget(100), || query.select(&doc).len());
    assert_eq!(selected, 0);
    let overrun = overrun.unwrap();
    assert_eq!(&*overrun.query, text);
    // The budget is shared: what one query used up, the next has no more of.
    let cheap = Query::parse("$[0,0]").unwrap();
    let (found, overrun) = metered(budget(100), || {
        assert!(!query.any(&doc, |node| node.is_string()));
        cheap.any(&doc, |_| true)
    });
    assert!(!found && overrun.is_some());
    // Outside an event, each evaluation has a budget of its own.
    assert!(cheap.any(&doc, |_| true));
}

#[test]
fn a_meter_carries_the_budget_from_one_run_to_the_next() {
    let (text, query, doc) = doubling();
    let cheap = Query::parse("$[0,0]").unwrap();
    // What the first run spent, the second has no more of, as in one metered run.
    let mut meter = Meter::new(budget(100));
    assert!(meter.run(|| query.select(&doc)).is_empty());
    assert!(meter.ran_out());
    assert!(!meter.run(|| cheap.any(&doc, |_| true)));
    assert_eq!(&*meter.into_overrun().unwrap().query, text);
    // A budget not spent is kept: the second run still has it.
    let mut meter = Meter::new(budget(100));
    assert!(meter.run(|| cheap.any(&doc, |_| true)));
    assert!(meter.run(|| cheap.any(&doc, |_| true)));
    assert!(!meter.ran_out());
    // Outside the runs, each evaluation has a budget of its own again.
    assert!(cheap.any(&doc, |_| true));
}

#[test]
fn regexes_are_i_regexps() {
    let query = Query::parse("$[?match(@, 'a.c')]").unwrap();
    assert_eq!(
        query.select(&json!(["abc", "a\nc", "a\rc", "abcd"])),
        [&json!("abc")]
    );
    let query = Query::parse("$[?search(@, 'b')]").unwrap();
    assert_eq!(query.select(&json!(["abc", "xyz"])), [&json!("abc")]);
}

/// Small JSON documents of the shapes filters test: objects with a few
/// known names, arrays, strings, numbers, booleans and null.
fn document() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-3i64..4).prop_map(Value::from),
        prop::sample::select(vec!["x", "y", "xy", ""]).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::vec(
                (prop::sample::select(vec!["a", "b", "type", "id"]), inner),
                0..4
            )
            .prop_map(|members| Value::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect()
            )),
        ]
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    #[test]
    fn selects_what_jsonpath_rust_selects_on_any_document(doc in document()) {
        for text in [
            "$[1:3]", "$[::-1]", "$[0,0]", "$['a','b']", "$[?@.type == 'x']", "$[?@.type != 'x']",
            "$[?@.id > 1]", "$[?@.id <= 0].a", "$[?@.a]", "$[?!@.a]", "$[?@.a == @.b]",
            "$[?length(@.a) > 1]", "$[?count(@.*) == 2]", "$[?match(@.type, 'x.?')]",
            "$[?search(@.a, 'y')]", "$.*[?@ == 'x']", "$[?@.a && @.b || @.id == 2]",
        ] {
            let query = Query::parse(text).unwrap();
            proptest::prop_assert_eq!(query.select(&doc), jsonpath_rust(text, &doc), "{} on {}", text, doc);
        }
    }
}
