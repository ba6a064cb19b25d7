//! What of an event the rule table can ever read: the union of its queries
//! as a tree of names and indexes, so that routing builds only those parts
//! of the event's JSON ([`prune`](super::prune)) instead of all of it.
//!
//! Classification reads the table's [`Needs::first`]: every predicate, and
//! every query a rule reads at one known place (`$.Records[0].s3.bucket.name`).
//! A rule that reads more — a batch's records, an HTTP event's every field,
//! a query only the general evaluator can answer — has a second tree of its
//! own, built once the rule has matched.

use std::sync::atomic::{AtomicU64, Ordering};

use super::compiled::Rule;
use super::need::{Members, Need};
use super::predicate::Test;
use super::query::Query;
use super::route::{EventReply, Route};
use super::step::Step;
use super::template::{Part, Template};

impl Need {
    /// What keeping `leaf` at the end of `query` needs, filters' reads included.
    pub(super) fn of_query(query: &Query, leaf: Need) -> Need {
        let Some(steps) = query.steps() else {
            return query
                .program()
                .map_or(Need::All, |program| program.need(leaf));
        };
        steps.iter().rev().fold(leaf, |inner, step| {
            let mut members = Members::read();
            match step {
                Step::Name(name) => members.names.add(name.clone(), inner),
                Step::Index(index) => match usize::try_from(*index) {
                    Ok(index) => {
                        members.indexes.insert(index, inner);
                    }
                    Err(_) => {
                        members.every = Some(inner);
                        members.by_position = true;
                    }
                },
                Step::All => members.every = Some(inner),
            }
            Need::Members(Box::new(members))
        })
    }

    /// What a template's placeholders read.
    pub(super) fn of_template(template: &Template) -> Need {
        let mut need = Need::Shallow;
        for part in template.parts() {
            if let Part::Value(query) = part {
                need.merge(Need::of_query(query, Need::Shallow));
            }
        }
        need
    }
}

/// A rule table's needs: what classification reads, and what each rule
/// that reads more needs once it has matched (its own reads, no other's).
#[derive(Clone, Debug)]
pub(crate) struct Needs {
    /// Tells one table's pruned JSON from another's (clones share it).
    pub(crate) key: u64,
    pub(crate) first: Need,
    /// By rule position; the fallback last. `None`: [`Needs::first`] is enough.
    pub(crate) matched: Vec<Option<Need>>,
}

impl Needs {
    /// The needs of `rules` and the fallback.
    pub(crate) fn of(rules: &[Rule], fallback: Option<&Rule>) -> Self {
        static KEYS: AtomicU64 = AtomicU64::new(1);
        let all: Vec<&Rule> = rules.iter().chain(fallback).collect();
        let mut first = Need::Shallow;
        let mut more = Vec::with_capacity(all.len());
        for rule in &all {
            for predicate in rule.predicates() {
                let leaf = match predicate.test() {
                    Test::Equals(value) if value.is_array() || value.is_object() => Need::All,
                    Test::OneOf(values) if values.iter().any(|v| v.is_array() || v.is_object()) => {
                        Need::All
                    }
                    _ => Need::Shallow,
                };
                first.merge(Need::of_query(predicate.query(), leaf));
            }
            let (singular, wide) = reads(rule);
            // Once matched, the rule's own reads are all that is read: the
            // predicates have been tested on what classification built.
            let matched = wide.map(|mut need| {
                need.merge(singular.clone());
                need.settle();
                need
            });
            first.merge(singular);
            more.push(matched);
        }
        let matched = more;
        first.settle();
        Self {
            key: KEYS.fetch_add(1, Ordering::Relaxed),
            first,
            matched,
        }
    }
}

/// What a rule reads once it has matched: the part every event of it needs
/// (read at known places), and the part only a matched event should pay for
/// (`None` when there is none).
fn reads(rule: &Rule) -> (Need, Option<Need>) {
    let mut singular = Need::Shallow;
    let mut wide: Option<Need> = None;
    let cloudevent = rule.cloudevent();
    // What `body` and `metadata` select goes to the app whole; a documented
    // mapping may read anywhere.
    let whole = cloudevent.derives() || rule.body.is_some() || rule.metadata.is_some();
    // Checking a CloudEvent reads every attribute: the top-level members,
    // strings as they are, `data` only for what kind of value it is.
    let attributes = || {
        Need::Members(Box::new(Members {
            every: Some(Need::Shallow),
            ..Members::default()
        }))
    };
    let validates = rule.validates_cloudevents();
    match rule.route() {
        Route::Http(_)
        | Route::Event {
            reply: EventReply::CloudFormation,
            ..
        } => return (singular, Some(Need::All)),
        Route::Event {
            path,
            reply: EventReply::Batch(spec),
        } => {
            // Each record's templates read the record, wherever the records are.
            let mut record = match (whole, validates) {
                (true, _) => Need::All,
                (false, true) => attributes(),
                (false, false) => Need::Shallow,
            };
            for template in request_templates(rule, path) {
                record.merge(Need::of_template(template));
            }
            for query in spec.record_queries() {
                record.merge(Need::of_query(query, Need::Shallow));
            }
            let records = Need::of_query(spec.records_query(), record);
            place(records, &mut singular, &mut wide);
        }
        Route::Event { path, reply } => {
            if whole {
                return (singular, Some(Need::All));
            }
            if validates {
                place(attributes(), &mut singular, &mut wide);
            }
            let answer = match reply {
                EventReply::Answer(answer) => answer.templates().collect(),
                _ => Vec::new(),
            };
            for template in request_templates(rule, path).chain(answer) {
                place(Need::of_template(template), &mut singular, &mut wide);
            }
        }
    }
    (singular, wide)
}

/// The templates each request of a rule renders: its headers, its CloudEvent
/// attributes and its path.
fn request_templates<'r>(rule: &'r Rule, path: &'r Template) -> impl Iterator<Item = &'r Template> {
    rule.headers()
        .iter()
        .map(|(_, template)| template)
        .chain(rule.cloudevent().templates())
        .chain([path])
}

/// Adds a need to the rule's reads at known places when it is narrow, else
/// to what it reads only once matched.
fn place(need: Need, singular: &mut Need, wide: &mut Option<Need>) {
    if is_narrow(&need) {
        singular.merge(need);
    } else {
        wide.get_or_insert(Need::Shallow).merge(need);
    }
}

/// Whether a need keeps at most a few scalars: no wildcard, nothing whole.
fn is_narrow(need: &Need) -> bool {
    match need {
        Need::Shallow => true,
        Need::All => false,
        Need::Members(members) => {
            members.every.is_none()
                && members.names.values().all(is_narrow)
                && members.indexes.values().all(is_narrow)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RuleTable;

    #[test]
    fn classification_reads_only_known_places_and_batches_read_more_once_matched() {
        let table = RuleTable::builtin();
        let needs = &table.needs;
        assert!(!needs.first.is_all(), "{:?}", needs.first);
        let Need::Members(root) = &needs.first else {
            panic!("{:?}", needs.first)
        };
        let Some(Need::Members(records)) = root.names.get("Records") else {
            panic!("{root:?}")
        };
        assert!(
            records.every.is_none(),
            "no batch's every record before a rule matches"
        );
        assert!(root.every.is_none() && root.names.values().all(|n| !n.is_all()));
        let position = |name: &str| table.rules().iter().position(|r| r.name() == name);
        let matched = |name: &str| position(name).and_then(|at| needs.matched[at].as_ref());
        assert_eq!(matched("s3"), None, "an S3 event needs nothing more");
        assert!(
            matched("sqs").is_some_and(|n| !n.is_all()),
            "the records' ids"
        );
        assert!(matched("apigateway-v1").is_some_and(Need::is_all));
        assert!(matched("cloudformation").is_some_and(Need::is_all));
    }

    #[test]
    fn merging_keeps_the_larger_need() {
        let query = |text: &str| Query::parse(text).unwrap();
        let mut need = Need::of_query(&query("$.a.b"), Need::Shallow);
        need.merge(Need::of_query(&query("$.a[*].c"), Need::Shallow));
        need.merge(Need::of_query(&query("$.d"), Need::All));
        let Need::Members(members) = &need else {
            panic!("{need:?}")
        };
        assert_eq!(members.names.get("d"), Some(&Need::All));
        let Some(Need::Members(a)) = members.names.get("a") else {
            panic!("{need:?}")
        };
        assert!(a.names.get("b").is_some() && a.every.is_some());
        // A filter reads what its own queries name of each element it tests.
        let filter = Need::of_query(&query("$.r[?@.type == 'x'].id"), Need::Shallow);
        let Need::Members(root) = &filter else {
            panic!("{filter:?}")
        };
        let Some(Need::Members(r)) = root.names.get("r") else {
            panic!("{filter:?}")
        };
        let Some(Need::Members(each)) = &r.every else {
            panic!("{filter:?}")
        };
        assert_eq!(
            each.names.get("type"),
            Some(&Need::Shallow),
            "compared with a literal"
        );
        assert_eq!(each.names.get("id"), Some(&Need::Shallow));
        assert!(each.names.get("other").is_none() && each.every.is_none());
    }
}
