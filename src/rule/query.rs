//! Compiled JSONPath queries (RFC 9535), with a fast walk for the common case.

use std::fmt;

use jsonpath_rust::parser::model::{JpQuery, Segment, Selector};
use jsonpath_rust::parser::parse_json_path;
use serde_json::Value;

use super::eval::{children, Program};
use crate::read::{Lookup, Need, Step};

/// A JSONPath query, parsed once when the rules load.
///
/// Most rule paths are *singular*: names and indexes only (`$.Records[0].eventSource`).
/// Those, and paths that add wildcards (`$.Records[*]`), are walked directly;
/// anything else (slices, unions, filters) goes through the general
/// evaluator ([`eval`](super::eval)), which bounds its work and refuses
/// descendant segments when the rules load.
#[derive(Clone)]
pub(crate) struct Query {
    text: Box<str>,
    plan: Plan,
}

#[derive(Clone)]
enum Plan {
    /// Names and indexes: at most one node.
    Singular(Box<[Step]>),
    /// Names, indexes and wildcards: any number of nodes.
    Steps(Box<[Step]>),
    General(std::sync::Arc<Program>),
}

impl Query {
    /// Parses `text` as an RFC 9535 JSONPath query; the error is the parser's reason.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let plan = match plain_steps(text) {
            Some(steps) => Plan::of_steps(steps),
            None => {
                let parsed = parse_json_path(text).map_err(|e| reason(text, &e.to_string()))?;
                match parsed_steps(&parsed) {
                    Some(steps) => Plan::of_steps(steps),
                    None => Plan::General(std::sync::Arc::new(Program::compile(&parsed)?)),
                }
            }
        };
        Ok(Self {
            text: text.into(),
            plan,
        })
    }

    /// Whether the query is names and indexes only, so it selects at most one node.
    pub(crate) fn is_singular(&self) -> bool {
        matches!(self.plan, Plan::Singular(_))
    }

    /// For a singular query, the name its first step selects in the root object
    /// (`Records` for `$.Records[0].eventSource`).
    pub(crate) fn root_name(&self) -> Option<&str> {
        match &self.plan {
            Plan::Singular(steps) => match steps.first() {
                Some(Step::Name(name)) => Some(name),
                _ => None,
            },
            Plan::Steps(_) | Plan::General(_) => None,
        }
    }

    /// What of an event the query reads, with `leaf` kept of what it
    /// selects (its filters' reads included): what the pruned read keeps
    /// for it.
    pub(crate) fn need(&self, leaf: Need) -> Need {
        match &self.plan {
            Plan::Singular(steps) | Plan::Steps(steps) => Need::of_steps(steps, leaf),
            Plan::General(program) => program.need(leaf),
        }
    }

    /// The compiled query, for one the general evaluator answers.
    #[cfg(test)]
    pub(super) fn program(&self) -> Option<&Program> {
        match &self.plan {
            Plan::General(program) => Some(program),
            Plan::Singular(_) | Plan::Steps(_) => None,
        }
    }

    /// The query as written in the rule file.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether any node the query selects satisfies `test`.
    pub(crate) fn any(&self, json: &Value, test: impl FnMut(&Value) -> bool) -> bool {
        match &self.plan {
            Plan::Singular(steps) => walk(steps, json).is_some_and(test),
            Plan::Steps(_) => self.select(json).into_iter().any(test),
            Plan::General(program) => program.any(json, &self.text, test),
        }
    }

    /// The one node the query selects, or `None` when it selects none or several.
    pub(crate) fn single<'v>(&self, json: &'v Value) -> Option<&'v Value> {
        match &self.plan {
            Plan::Singular(steps) => walk(steps, json),
            Plan::Steps(_) => match self.select(json).as_slice() {
                [one] => Some(*one),
                _ => None,
            },
            Plan::General(program) => match program.first(json, &self.text) {
                (Some(one), false) => Some(one),
                _ => None,
            },
        }
    }

    /// Every node the query selects, in document order.
    pub(crate) fn select<'v>(&self, json: &'v Value) -> Vec<&'v Value> {
        match &self.plan {
            Plan::Singular(steps) => walk(steps, json).into_iter().collect(),
            Plan::Steps(steps) => walk_all(steps, json),
            Plan::General(program) => program.select(json, &self.text),
        }
    }

    /// The steps of a query of names, indexes and wildcards; `None` for
    /// one that needs the general evaluator.
    pub(crate) fn steps(&self) -> Option<&[Step]> {
        match &self.plan {
            Plan::Singular(steps) | Plan::Steps(steps) => Some(steps),
            Plan::General(_) => None,
        }
    }

    /// The first node the query selects.
    pub(crate) fn first<'v>(&self, json: &'v Value) -> Option<&'v Value> {
        match &self.plan {
            Plan::Singular(steps) => walk(steps, json),
            Plan::Steps(steps) => walk_all(steps, json).first().copied(),
            Plan::General(program) => program.first(json, &self.text).0,
        }
    }

    /// Every node the query selects in an event's JSON text, in document
    /// order, each a slice of `bytes` (see [`select`](crate::read::select)); `None` for a
    /// query that needs the general evaluator, or bytes that are not JSON.
    pub(crate) fn select_raw(&self, bytes: &bytes::Bytes) -> Option<Vec<bytes::Bytes>> {
        match &self.plan {
            Plan::Singular(steps) | Plan::Steps(steps) => crate::read::select(steps, bytes),
            Plan::General(_) => None,
        }
    }
}

impl fmt::Debug for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Query").field(&self.text).finish()
    }
}

impl Lookup for Query {
    fn text(&self) -> &str {
        &self.text
    }

    fn single<'v>(&self, json: &'v Value) -> Option<&'v Value> {
        Query::single(self, json)
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Plan {
    fn of_steps(steps: Box<[Step]>) -> Self {
        if steps.contains(&Step::All) {
            Plan::Steps(steps)
        } else {
            Plan::Singular(steps)
        }
    }
}

/// The parsed query as steps, when it has only names, indexes and wildcards.
fn parsed_steps(query: &JpQuery) -> Option<Box<[Step]>> {
    query
        .segments
        .iter()
        .map(|segment| match segment {
            Segment::Selector(Selector::Name(name)) => Some(Step::Name(name.as_str().into())),
            Segment::Selector(Selector::Index(index)) => Some(Step::Index(*index)),
            Segment::Selector(Selector::Wildcard) => Some(Step::All),
            _ => None,
        })
        .collect()
}

/// The steps of a query in its plainest form, read without the full
/// parser, which costs most of ceh's start-up: `$`, then `.name` (ASCII
/// letters, digits, `_`), `['name']` (printable ASCII, no escapes) and
/// `[index]` segments, and the wildcards `[*]` and `.*`, with no blank space.
/// Anything else is `None`, and the full parser decides.
fn plain_steps(text: &str) -> Option<Box<[Step]>> {
    let mut rest = text.strip_prefix('$')?;
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("[*]").or_else(|| rest.strip_prefix(".*")) {
            steps.push(Step::All);
            rest = after;
        } else if let Some(after) = rest.strip_prefix('.') {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let name = &after[..end];
            if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                return None;
            }
            steps.push(Step::Name(name.into()));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix("['") {
            let end = after.find('\'')?;
            let name = &after[..end];
            let plain = |b: u8| (b' '..=b'~').contains(&b) && b != b'\\';
            if name.is_empty() || !name.bytes().all(plain) {
                return None;
            }
            steps.push(Step::Name(name.into()));
            rest = after[end..].strip_prefix("']")?;
        } else {
            let after = rest.strip_prefix('[')?;
            let end = after.find(']')?;
            let index = &after[..end];
            let digits = index.strip_prefix('-').unwrap_or(index);
            // Canonical integers within I-JSON's exact range, as RFC 9535 requires.
            let canonical = (1..=15).contains(&digits.len())
                && digits.bytes().all(|b| b.is_ascii_digit())
                && (digits == "0" || !digits.starts_with('0'))
                && index != "-0";
            if !canonical {
                return None;
            }
            steps.push(Step::Index(index.parse().ok()?));
            rest = &after[end + 1..];
        }
    }
    Some(steps.into())
}

fn walk<'v>(steps: &[Step], json: &'v Value) -> Option<&'v Value> {
    steps.iter().try_fold(json, |node, step| match step {
        Step::Name(name) => member(node.as_object()?, name),
        Step::All => None,
        Step::Index(index) => {
            let items = node.as_array()?;
            // RFC 9535: a negative index counts from the end.
            let at = if *index < 0 {
                items
                    .len()
                    .checked_sub(usize::try_from(index.unsigned_abs()).ok()?)?
            } else {
                usize::try_from(*index).ok()?
            };
            items.get(at)
        }
    })
}

/// Objects up to this size are searched key by key rather than by hash
/// (callgrind: an EventBridge event, ten members, routes in 9 % fewer
/// instructions at 16 than at 8).
const SCAN_AT_MOST: usize = 16;

/// The value of `object`'s member `name`. serde_json's ordered map hashes a
/// name with SipHash before it looks; most objects in an event have a few
/// members, and comparing their keys costs less than that hash.
fn member<'v>(object: &'v serde_json::Map<String, Value>, name: &str) -> Option<&'v Value> {
    if object.len() <= SCAN_AT_MOST {
        object
            .iter()
            .find_map(|(key, value)| (key == name).then_some(value))
    } else {
        object.get(name)
    }
}

/// Every node `steps` reach: a wildcard fans out over an array's elements
/// or an object's member values, in document order, as RFC 9535 says.
fn walk_all<'v>(steps: &[Step], json: &'v Value) -> Vec<&'v Value> {
    let mut nodes = vec![json];
    for step in steps {
        nodes = match step {
            Step::All => nodes.into_iter().flat_map(children).collect(),
            one => nodes
                .into_iter()
                .filter_map(|node| walk(std::slice::from_ref(one), node))
                .collect(),
        };
    }
    nodes
}

/// A one-line reason from the parser's error, which for syntax errors is a
/// multi-line caret diagram whose `--> line:column` gives the place.
fn reason(query: &str, error: &str) -> String {
    let column = error
        .split("-->")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|at| at.split(':').nth(1))
        .and_then(|c| c.parse::<usize>().ok());
    let mut reason = match column {
        Some(column) => format!("syntax error at character {column}"),
        None => error.lines().next().unwrap_or(error).trim().to_owned(),
    };
    if query.contains('-') && !query.contains('[') {
        reason.push_str("; a name with `-` needs brackets, as in $['detail-type']");
    } else if !query.starts_with('$') {
        reason.push_str("; a query starts with `$`");
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonpath_rust::query::js_path_process;
    use serde_json::json;

    /// What jsonpath-rust selects, to check the walks against.
    fn general<'v>(query: &JpQuery, json: &'v Value) -> Vec<&'v Value> {
        js_path_process(query, json)
            .map(|found| found.into_iter().map(|r| r.val()).collect())
            .unwrap_or_default()
    }

    // The examples `Query`'s doc comments carried while it was public.

    #[test]
    fn a_name_with_a_dash_is_selected_in_brackets() -> Result<(), String> {
        let query = Query::parse("$['detail-type']")?;
        assert_eq!(
            query.single(&json!({"detail-type": "Scheduled Event"})),
            Some(&json!("Scheduled Event"))
        );
        assert!(
            Query::parse("$.detail-type").is_err(),
            "RFC 9535 wants brackets for `-`"
        );
        Ok(())
    }

    #[test]
    fn parse_gives_the_reason_and_a_hint() {
        let err = Query::parse("$.detail-type").unwrap_err();
        assert!(
            err.ends_with("a name with `-` needs brackets, as in $['detail-type']"),
            "{err}"
        );
    }

    #[test]
    fn names_and_indexes_are_singular() -> Result<(), String> {
        assert!(Query::parse("$.Records[0].eventSource")?.is_singular());
        assert!(!Query::parse("$.Records[*].eventSource")?.is_singular());
        Ok(())
    }

    #[test]
    fn root_name_of_a_singular_query() -> Result<(), String> {
        assert_eq!(
            Query::parse("$.Records[0].eventSource")?.root_name(),
            Some("Records")
        );
        assert_eq!(Query::parse("$[0]")?.root_name(), None);
        assert_eq!(
            Query::parse("$.Records[*]")?.root_name(),
            None,
            "not singular"
        );
        Ok(())
    }

    #[test]
    fn as_str_is_the_query_as_written() -> Result<(), String> {
        assert_eq!(
            Query::parse("$['detail-type']")?.as_str(),
            "$['detail-type']"
        );
        Ok(())
    }

    #[test]
    fn any_node_may_pass() -> Result<(), String> {
        let query = Query::parse("$.Records[*].eventSource")?;
        let event = json!({"Records": [{"eventSource": "aws:sqs"}, {"eventSource": "aws:sns"}]});
        assert!(query.any(&event, |node| node == "aws:sns"));
        assert!(!query.any(&event, |node| node == "aws:s3"));
        Ok(())
    }

    #[test]
    fn single_is_one_node_or_none() -> Result<(), String> {
        let query = Query::parse("$.Records[*].messageId")?;
        assert_eq!(
            query.single(&json!({"Records": [{"messageId": "a"}]})),
            Some(&json!("a"))
        );
        assert_eq!(
            query.single(&json!({"Records": [{"messageId": "a"}, {"messageId": "b"}]})),
            None
        );
        Ok(())
    }

    #[test]
    fn select_is_every_node_in_document_order() -> Result<(), String> {
        let query = Query::parse("$.Records[*].messageId")?;
        let event = json!({"Records": [{"messageId": "a"}, {"messageId": "b"}]});
        assert_eq!(query.select(&event), [&json!("a"), &json!("b")]);
        Ok(())
    }

    #[test]
    fn members_are_found_alike_in_small_and_large_objects() {
        for size in 0..=2 * SCAN_AT_MOST {
            let object: serde_json::Map<String, Value> =
                (0..size).map(|i| (format!("key{i}"), json!(i))).collect();
            for i in 0..size {
                assert_eq!(member(&object, &format!("key{i}")), Some(&json!(i)));
            }
            for absent in ["", "key", "KEY0", "key0 ", &format!("key{size}")] {
                assert_eq!(member(&object, absent), None, "{absent:?} in {size}");
            }
        }
    }

    #[test]
    fn singular_and_general_agree() {
        let doc = json!({"a": {"b": [1, 2, {"c": "x"}]}, "k y": true});
        for text in [
            "$.a.b[2].c",
            "$.a.b[-1].c",
            "$['k y']",
            "$.a.b[5]",
            "$.nope.x",
        ] {
            let query = Query::parse(text).unwrap();
            assert!(matches!(query.plan, Plan::Singular(_)), "{text}");
            let general = general(&parse_json_path(text).unwrap(), &doc);
            assert_eq!(query.select(&doc), general, "{text}");
        }
    }

    #[test]
    fn plain_queries_read_as_the_full_parser_reads_them() {
        let builtin = crate::rule::RuleTable::builtin();
        let mut texts: Vec<String> = builtin
            .rules()
            .iter()
            .flat_map(|rule| {
                rule.predicates()
                    .iter()
                    .map(|p| p.query().as_str().to_owned())
            })
            .collect();
        assert!(
            texts.len() > 50,
            "the built-in rules hold {} queries",
            texts.len()
        );
        texts.extend(
            [
                "$",
                "$.a",
                "$.a_b.C9",
                "$['detail-type']",
                "$['k y'][0]",
                "$[0]",
                "$[-1]",
                "$.a[10].b",
                "$.true",
                "$.null",
                "$.length",
                "$['a.b']",
                "$['$']",
                "$['[']",
                "$.a[999999999999999]",
                "$[-999999999999999]",
            ]
            .map(String::from),
        );
        for text in &texts {
            let plain = plain_steps(text).unwrap_or_else(|| panic!("{text} is plain"));
            let full = parsed_steps(&parse_json_path(text).unwrap());
            assert_eq!(Some(plain), full, "{text}");
        }
        // Left to the full parser, which accepts some and refuses others.
        for text in [
            "",
            "a",
            "$.",
            "$..a",
            "$.9a",
            "$.a-b",
            "$.é",
            "$['']",
            "$['a\\'b']",
            "$[\"a\"]",
            "$[01]",
            "$[-0]",
            "$[+1]",
            "$[ 1]",
            "$[1 ]",
            "$ .a",
            "$[9999999999999999]",
            "$[ *]",
            "$.*a",
            "$[**]",
            "$['a'",
            "$[1",
            "$.a[?@.b]",
            "$['\u{1}']",
            "$['é']",
        ] {
            assert_eq!(plain_steps(text), None, "{text}");
        }
    }

    #[test]
    fn wildcards_are_walked_as_the_general_evaluator_walks_them() {
        let docs = [
            json!({"r": [{"s": 1}, {"s": 2}, {"t": 3}, 4], "o": {"b": [5], "a": [6, 7]}}),
            json!([{"s": "x"}, [8, 9], null]),
            json!({"r": {"z": {"s": 1}, "a": {"s": 2}}, "o": "scalar"}),
            json!("scalar"),
        ];
        // Every batch's `records` query in the built-in rules.
        let mut texts: Vec<String> = crate::rule::BUILTIN_FILES
            .iter()
            .flat_map(|(_, text)| text.lines())
            .filter_map(|line| line.trim().strip_prefix("records = "))
            .map(|quoted| quoted.trim_matches('"').to_owned())
            .collect();
        assert!(texts.iter().any(|t| t.contains(".*")), "{texts:?}");
        texts.extend(
            [
                "$[*]", "$.*", "$.r[*].s", "$.r.*.s", "$.o.*[*]", "$[*][*]", "$.*.*", "$[0].*",
            ]
            .map(String::from),
        );
        for text in &texts {
            let query = Query::parse(text).unwrap();
            assert!(matches!(query.plan, Plan::Steps(_)), "{text}");
            let full = parse_json_path(text).unwrap();
            for doc in &docs {
                assert_eq!(query.select(doc), general(&full, doc), "{text} on {doc}");
            }
        }
        let query = Query::parse("$.r[*].s").unwrap();
        assert_eq!(query.single(&docs[0]), None, "two nodes are not one");
        assert_eq!(query.single(&json!({"r": [{"s": 1}]})), Some(&json!(1)));
        assert!(!query.is_singular());
    }

    #[test]
    fn invalid_queries_are_refused_with_one_line() {
        let err = Query::parse("$.Records[0").unwrap_err();
        assert_eq!(err, "syntax error at character 11");
        let err = Query::parse("$.detail-type").unwrap_err();
        assert!(
            err.ends_with("needs brackets, as in $['detail-type']"),
            "{err}"
        );
        assert!(Query::parse("Records").is_err());
    }
}
