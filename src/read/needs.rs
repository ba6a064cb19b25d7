//! What of an event the rule table can ever read: the union of its rules'
//! reads as a tree of names and indexes, so that routing builds only those
//! parts of the event's JSON ([`prune`](super::prune())) instead of all of it.
//!
//! Classification reads the table's [`Needs::first`]: every predicate, and
//! every query a rule reads at one known place (`$.Records[0].s3.bucket.name`).
//! A rule that reads more — a batch's records, an HTTP event's every field,
//! a query only the general evaluator can answer — has a second tree of its
//! own, built once the rule has matched.
//!
//! What each rule reads is its own declaration (`rule::reads`), handed here
//! as a [`RuleReads`]; this module only sorts and merges.

use std::sync::atomic::{AtomicU64, Ordering};

use super::need::Need;

/// What one rule reads, sorted by when it is read.
#[derive(Clone, Debug)]
pub(crate) struct RuleReads {
    /// What its predicates test: read while classifying.
    tests: Need,
    /// What it reads once matched at known places (a few scalars), cheap
    /// enough to build while classifying.
    narrow: Need,
    /// What only an event it matched should pay for (`None`: nothing).
    wide: Option<Need>,
}

impl Default for RuleReads {
    fn default() -> Self {
        Self {
            tests: Need::Shallow,
            narrow: Need::Shallow,
            wide: None,
        }
    }
}

impl RuleReads {
    /// Adds what a predicate tests.
    pub(crate) fn test(&mut self, need: Need) {
        self.tests.merge(need);
    }

    /// Adds what the rule reads once matched: with classification's reads
    /// when it is narrow, else to what it reads only once matched.
    pub(crate) fn read(&mut self, need: Need) {
        if is_narrow(&need) {
            self.narrow.merge(need);
        } else {
            self.wide.get_or_insert(Need::Shallow).merge(need);
        }
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
    /// The needs of a table whose rules (the fallback last) read `rules`.
    pub(crate) fn of(rules: impl IntoIterator<Item = RuleReads>) -> Self {
        static KEYS: AtomicU64 = AtomicU64::new(1);
        let mut first = Need::Shallow;
        let mut matched = Vec::new();
        for RuleReads {
            tests,
            mut narrow,
            wide,
        } in rules
        {
            first.merge(tests);
            if wide.as_ref().is_some_and(Need::is_all) {
                // All of the event, once matched: nothing to build before.
                narrow = Need::Shallow;
            }
            // Once matched, the rule's own reads are all that is read: the
            // predicates have been tested on what classification built.
            matched.push(wide.map(|mut need| {
                need.merge(narrow.clone());
                need.settle();
                need
            }));
            first.merge(narrow);
        }
        first.settle();
        Self {
            key: KEYS.fetch_add(1, Ordering::Relaxed),
            first,
            matched,
        }
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
    use crate::rule::Query;
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
        let mut need = query("$.a.b").need(Need::Shallow);
        need.merge(query("$.a[*].c").need(Need::Shallow));
        need.merge(query("$.d").need(Need::All));
        let Need::Members(members) = &need else {
            panic!("{need:?}")
        };
        assert_eq!(members.names.get("d"), Some(&Need::All));
        let Some(Need::Members(a)) = members.names.get("a") else {
            panic!("{need:?}")
        };
        assert!(a.names.get("b").is_some() && a.every.is_some());
        // A filter reads what its own queries name of each element it tests.
        let filter = query("$.r[?@.type == 'x'].id").need(Need::Shallow);
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
