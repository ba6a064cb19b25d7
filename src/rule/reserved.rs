//! Reserved routes: the paths that belong to a rule by what it is. `/aws.s3`
//! is where S3 notifications go; no templated value of another rule (an
//! EventBridge `source`, a CloudEvent's, an Event Grid `eventType`) may lead
//! there, in whatever spelling a server reads as the same path.
//!
//! The table knows every such path when it is compiled: each rule's static
//! path, every path a templated one can take when predicates pin its
//! placeholders to known strings (`/{$.source}.eventbridge` with `$.source`
//! one of a list), and the fallback's. They are kept under their
//! [`route_key`], the path as the loosest common server reads it, so that a
//! synthesized path is checked with one lookup per segment.

use std::collections::HashMap;

use super::compiled::Rule;
use super::predicate::{Predicate, Test};
use super::route::Route;
use super::template::Part;
use crate::escape::route_key;

/// How many paths one rule's placeholders may enumerate; a rule whose
/// predicates allow more reserves none of them.
const MAX_ENUMERATED: usize = 1024;

/// Every reserved route of a table, by its key, with the rules it belongs to.
#[derive(Debug, Default)]
pub(crate) struct ReservedRoutes {
    by_key: HashMap<String, Vec<Owner>>,
}

/// A rule a reserved route belongs to.
#[derive(Debug)]
pub(crate) struct Owner {
    /// The rule's name.
    pub(crate) rule: Box<str>,
    /// The route as the rule writes it (without the base path).
    pub(crate) route: Box<str>,
}

impl ReservedRoutes {
    /// The routes `rules` reserve (the fallback among them).
    pub(crate) fn of<'r>(rules: impl IntoIterator<Item = &'r Rule>) -> Self {
        let mut by_key: HashMap<String, Vec<Owner>> = HashMap::new();
        for rule in rules {
            for route in routes_of(rule) {
                by_key.entry(route_key(&route)).or_default().push(Owner {
                    rule: rule.name.clone(),
                    route: route.into(),
                });
            }
        }
        Self { by_key }
    }

    /// The rules whose route has this key (a [`route_key`], relative to the
    /// rules' base path).
    pub(crate) fn owners(&self, key: &str) -> &[Owner] {
        self.by_key.get(key).map_or(&[], Vec::as_slice)
    }

    /// Whether no rule reserves any route.
    pub(crate) fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

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
    enumerate(path.parts(), rule.predicates()).unwrap_or_default()
}

/// Every path a template can produce when each of its placeholders reads a
/// query that a predicate pins to known strings; `None` when one is free.
fn enumerate(parts: &[Part], predicates: &[Predicate]) -> Option<Vec<String>> {
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
    use super::*;
    use crate::rule::RuleTable;

    #[test]
    fn static_paths_pinned_placeholders_and_the_fallback_are_reserved() {
        let table = RuleTable::builtin();
        let reserved = ReservedRoutes::of(table.rules().iter().chain(table.fallback()));
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
