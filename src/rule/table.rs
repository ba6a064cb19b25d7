//! The ordered table of compiled rules, and the fallback.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;

use super::compiled::Rule;
use super::predicate::{Predicate, Test};
use super::query::Query;
use super::reserved::ReservedRoutes;
use super::route::Route;
use super::template::Part;
use crate::event::{Event, EventError};
use crate::read::{prune, Dispatch, Gates, Needs, ViewKey, ViewSlot};

/// The ordered, compiled rules, and the fallback for events no rule matches.
///
/// ```
/// use cloud_events_handler::{Event, RuleTable};
///
/// let table = RuleTable::builtin();
/// let event = Event::from_slice(br#"{"Records": [{"eventSource": "aws:sqs", "body": "hi"}]}"#)?;
/// assert_eq!(table.classify(&event)?.rule().name(), "sqs");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct RuleTable {
    pub(crate) rules: Vec<Rule>,
    pub(crate) fallback: Option<Rule>,
    pub(crate) dispatch: Dispatch<Query>,
    pub(crate) needs: Needs,
}

impl RuleTable {
    /// A table of `rules`, tried in order, and the fallback (`None`: reject).
    pub(crate) fn new(mut rules: Vec<Rule>, fallback: Option<Rule>) -> Self {
        // Every templated event path is checked against the routes the
        // table reserves; a table that reserves none checks nothing.
        let mut reserved = ReservedRoutes::default();
        for rule in rules.iter().chain(&fallback) {
            for route in routes_of(rule) {
                reserved.add(rule.name(), &route);
            }
        }
        let reserved = Arc::new(reserved);
        if !reserved.is_empty() {
            for rule in &mut rules {
                if rule.path().is_some_and(|path| !path.is_static()) {
                    rule.reserved = Some(Arc::clone(&reserved));
                }
            }
        }
        let gates: Vec<Gates<'_, Query>> = rules.iter().map(gates).collect();
        let dispatch = Dispatch::new(&gates);
        let needs = Needs::of(rules.iter().chain(&fallback).map(Rule::reads));
        Self {
            rules,
            fallback,
            dispatch,
            needs,
        }
    }

    /// Reads an event as [`Event::from_bytes_limited`] does, and what this
    /// table's classification reads of it, in one pass over its bytes.
    pub(crate) fn read_event(&self, bytes: Bytes, max_bytes: usize) -> Result<Event, EventError> {
        if let Some(refused) = Event::refused(&bytes, max_bytes) {
            return Err(refused);
        }
        match prune(&bytes, &self.needs.first) {
            Some(view) => Ok(Event::read(bytes, ViewKey::classify(self.needs.key), view)),
            // Not JSON: the error, word for word, as reading it alone gives it.
            None => Event::from_bytes_limited(bytes, max_bytes),
        }
    }

    /// What classification reads of `event`'s JSON.
    pub(crate) fn classify_view<'e>(&self, event: &'e Event) -> &'e Value {
        let need = &self.needs.first;
        event.view(
            ViewSlot::Classify,
            ViewKey::classify(self.needs.key),
            |bytes| prune(bytes, need),
        )
    }

    /// What the rule at `position` (the fallback after the rules) reads of
    /// `event`'s JSON once it has matched: `classified` when that is enough.
    /// A batch rule with `json_text` reads all of it, its strings there decoded.
    pub(crate) fn matched_view<'e>(
        &self,
        event: &'e Event,
        position: usize,
        classified: &'e Value,
    ) -> &'e Value {
        let rule = self.rules.get(position).or(self.fallback.as_ref());
        if let Some((spec, name)) = rule
            .and_then(Rule::batch)
            .and_then(|spec| Some((spec, spec.json_text()?)))
        {
            // Its records are read from JSON a string holds: all of it, decoded.
            return event
                .changed(name, |json| spec.decode_json_text(json))
                .unwrap_or_else(|| event.json());
        }
        match self.needs.matched.get(position) {
            Some(Some(need)) if need.is_all() => event.json(),
            Some(Some(need)) => {
                let key = ViewKey {
                    table: self.needs.key,
                    rule: position,
                };
                event.view(ViewSlot::Matched, key, |bytes| prune(bytes, need))
            }
            _ => classified,
        }
    }

    /// The rules in the order they are tried (the fallback not included).
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let config = Config::parse("ceh.toml", r#"
    ///     [[rule]]
    ///     name = "orders"
    ///     path = "/orders"
    ///     [rule.match]
    ///     "$.source" = "shop"
    /// "#)?;
    /// assert_eq!(config.rules().rules()[0].name(), "orders", "the file's rules come first");
    /// assert!(config.rules().rules().iter().all(|rule| rule.name() != "fallback"));
    /// # Ok::<(), cloud_events_handler::LoadError>(())
    /// ```
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule for events nothing else matches; `None` when such events are rejected.
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let config = Config::parse("ceh.toml", "[fallback]\npath = \"/unknown\"\n")?;
    /// let fallback = config.rules().fallback().ok_or("a fallback path is set")?;
    /// assert_eq!(fallback.path().map(|path| path.as_str()), Some("/unknown"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fallback(&self) -> Option<&Rule> {
        self.fallback.as_ref()
    }

    /// A rule by name, the fallback included.
    ///
    /// ```
    /// use cloud_events_handler::RuleTable;
    ///
    /// let table = RuleTable::builtin();
    /// assert_eq!(table.get("sqs").map(|rule| rule.name()), Some("sqs"));
    /// assert!(table.get("fallback").is_some());
    /// assert!(table.get("s4").is_none());
    /// ```
    pub fn get(&self, name: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .chain(self.fallback.as_ref())
            .find(|rule| &*rule.name == name)
    }
}

/// What `rule` offers the index of rules: each `equals`/`one_of` predicate
/// on strings and a singular query, and a name its predicates need at the root.
fn gates(rule: &Rule) -> Gates<'_, Query> {
    Gates {
        values: rule.predicates.iter().filter_map(gate).collect(),
        root_name: rule.predicates.iter().find_map(root_name),
    }
}

/// The root name a predicate needs: any test but `exists = false` holds only
/// when its singular query's first name is a key of the root object.
fn root_name(predicate: &Predicate) -> Option<&str> {
    match predicate.test() {
        Test::Exists(false) => None,
        _ => predicate.query().root_name(),
    }
}

/// The query and strings of an `equals`/`one_of` predicate that can gate a rule.
fn gate(predicate: &Predicate) -> Option<(&Query, Vec<&str>)> {
    if !predicate.query().is_singular() {
        return None;
    }
    let values: Option<Vec<&str>> = match predicate.test() {
        Test::Equals(value) => Some(vec![value.as_str()?]),
        Test::OneOf(values) => values.iter().map(Value::as_str).collect(),
        _ => None,
    };
    Some((predicate.query(), values?))
}

/// How many paths one rule's placeholders may enumerate; a rule whose
/// predicates allow more reserves none of them (the event-route guard then
/// guards the static directory before them).
const MAX_ENUMERATED: usize = 1024;

/// The routes `rule` reserves: its static path, or every path its
/// placeholders can take when predicates pin each to known strings.
fn routes_of(rule: &Rule) -> Vec<String> {
    let Route::Event { path, .. } = rule.route() else {
        return Vec::new();
    };
    if path.is_static() {
        return vec![path.as_str().to_owned()];
    }
    // A batch rule's placeholders read each record, its predicates the whole event.
    if rule.batch().is_some() {
        return Vec::new();
    }
    pinned_paths(path.parts(), rule.predicates()).unwrap_or_default()
}

/// Every path a template can produce when each of its placeholders reads a
/// query that a predicate pins to known strings; `None` when one is free, or
/// when they would be more than a rule may enumerate. Both the reserved
/// routes and `[http]`'s event-route guard read a rule's routes with it.
pub(crate) fn pinned_paths(parts: &[Part], predicates: &[Predicate]) -> Option<Vec<String>> {
    let mut paths = vec![String::new()];
    for part in parts {
        match part {
            Part::Literal(text) => paths.iter_mut().for_each(|p| p.push_str(text)),
            Part::Value(query) => {
                let values = predicates
                    .iter()
                    .filter(|p| p.query().as_str() == query.as_str())
                    .find_map(|p| pinned_values(p.test()))?;
                if paths.len() * values.len() > MAX_ENUMERATED {
                    return None;
                }
                paths = paths
                    .iter()
                    .flat_map(|p| values.iter().map(move |v| format!("{p}{v}")))
                    .collect();
            }
        }
    }
    Some(paths)
}

/// The strings a test admits, when it admits only known strings.
fn pinned_values(test: &Test) -> Option<Vec<&str>> {
    match test {
        Test::Equals(value) => Some(vec![value.as_str()?]),
        Test::OneOf(values) => values.iter().map(serde_json::Value::as_str).collect(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::rule::RuleTable;

    #[test]
    fn static_paths_pinned_placeholders_and_the_fallback_are_reserved() {
        let table = RuleTable::builtin();
        let Some(reserved) = table
            .get("eventbridge")
            .and_then(|rule| rule.reserved.clone())
        else {
            panic!("a templated rule checks the reserved routes")
        };
        assert!(table.get("s3").is_some_and(|rule| rule.reserved.is_none()));
        let owners =
            |key: &str| -> Vec<&str> { reserved.owners(key).iter().map(|o| &*o.rule).collect() };
        assert_eq!(owners("/aws.s3"), ["s3"]);
        assert_eq!(owners("/aws.sqs"), ["sqs", "pipes-sqs"]);
        assert_eq!(owners("/azure.queue"), ["azure-functions-queue"]);
        assert_eq!(owners("/aws.s3.eventbridge"), ["eventbridge-static"]);
        assert_eq!(owners("/"), ["fallback"]);
        assert!(owners("/com.example.orders").is_empty());
        assert!(!reserved.is_empty());
    }
}
