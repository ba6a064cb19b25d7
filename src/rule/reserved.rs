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

use crate::escape::route_key;

/// Every reserved route of a table, by its key, with the rules it belongs to.
#[derive(Default)]
pub(crate) struct ReservedRoutes {
    by_key: HashMap<String, Vec<Owner>>,
}

impl std::fmt::Debug for ReservedRoutes {
    // Every templated rule holds the table's routes: shown in full, one
    // rule's Debug would list them all.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReservedRoutes({} routes)", self.by_key.len())
    }
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
    /// Reserves `route` (as written, without the base path) for `rule`.
    pub(crate) fn add(&mut self, rule: &str, route: &str) {
        self.by_key
            .entry(route_key(route).into_owned())
            .or_default()
            .push(Owner {
                rule: rule.into(),
                route: route.into(),
            });
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
