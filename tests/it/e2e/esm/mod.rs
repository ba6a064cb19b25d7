//! Event source mappings played as Lambda runs them, for the fault run: an SQS
//! queue ([`sqs::Queue`]) and one Kinesis shard ([`stream::Shard`]), each turning
//! the function's reply into deletions, redeliveries, checkpoints and dead
//! letters; a [`Tally`] that counts every message; and what they invoke
//! ([`rig::Rig`]: the emulator, `ceh lambda` and the failing [`app::App`]).
//!
//! Time is logical: a visibility timeout is a number of invocations on the
//! queue's clock, never a sleep.

pub mod app;
pub mod rig;
pub mod sqs;
pub mod stream;

use std::collections::{HashMap, HashSet};

use serde_json::Value;

/// What the event source mapping reads in the function's answer, with
/// `ReportBatchItemFailures` on.
///
/// Lambda's rules ("Handling errors for an SQS event source in Lambda",
/// <https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html>, and
/// "Configuring partial batch response with Kinesis Data Streams and Lambda",
/// <https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html>):
/// an empty or null `batchItemFailures`, or an empty or null response, is a
/// complete success; an invalid JSON response, an `itemIdentifier` that is
/// empty, null, under another key name or names no message of the batch is a
/// complete failure, as is an invocation error.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Every record succeeded.
    Success,
    /// These identifiers failed; the others succeeded.
    Failed(Vec<String>),
    /// Nothing succeeded.
    CompleteFailure,
}

impl Verdict {
    /// Reads an invocation's answer (`status` from the Invoke API: 200 for a
    /// result, anything else for a function error) for a batch of `ids`.
    pub fn read(status: u16, body: &str, ids: &[&str]) -> Self {
        if status != 200 {
            return Self::CompleteFailure;
        }
        let Ok(reply) = serde_json::from_str::<Value>(body) else {
            return Self::CompleteFailure;
        };
        let failures = match &reply {
            Value::Null => return Self::Success,
            Value::Object(reply) => match reply.get("batchItemFailures") {
                None | Some(Value::Null) => return Self::Success,
                Some(Value::Array(failures)) => failures,
                Some(_) => return Self::CompleteFailure,
            },
            _ => return Self::CompleteFailure,
        };
        let mut failed = Vec::new();
        for failure in failures {
            match failure.get("itemIdentifier") {
                Some(Value::String(id)) if ids.contains(&id.as_str()) => failed.push(id.clone()),
                _ => return Self::CompleteFailure,
            }
        }
        if failed.is_empty() {
            Self::Success
        } else {
            Self::Failed(failed)
        }
    }
}

/// Every message's fate, counted as the mappings settle batches.
///
/// A message is acknowledged when the mapping deletes it (SQS) or checkpoints
/// past it (a stream). An acknowledgement counts as safe only if the app
/// answered that message 2xx during that very invocation (its id appeared in
/// the app's ledger while the invocation ran); any other acknowledgement is a
/// lost message, the bug class the run exists to catch (an app's 404 read as
/// success).
#[derive(Debug, Default)]
pub struct Tally {
    /// Messages put on the queue or the shard.
    pub sent: u64,
    /// Acknowledged after the app's 2xx in the same invocation.
    pub acknowledged: u64,
    /// Deliveries of a message after its first.
    pub redelivered: u64,
    /// Moved to the DLQ or the on-failure destination.
    pub dead_lettered: u64,
    /// Acknowledged although the app did not answer them 2xx: lost.
    pub acknowledged_unanswered: Vec<String>,
}

impl Tally {
    /// The mapping acknowledged `id`; `answered` holds the ids the app
    /// answered 2xx during the invocation.
    pub fn acknowledge(&mut self, id: &str, answered: &HashSet<String>) {
        if answered.contains(id) {
            self.acknowledged += 1;
        } else {
            self.acknowledged_unanswered.push(id.to_owned());
        }
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Tally) {
        self.sent += other.sent;
        self.acknowledged += other.acknowledged;
        self.redelivered += other.redelivered;
        self.dead_lettered += other.dead_lettered;
        self.acknowledged_unanswered
            .extend(other.acknowledged_unanswered.iter().cloned());
    }

    /// Messages neither acknowledged after a 2xx nor dead-lettered: the ones
    /// acknowledged without a 2xx and the ones never settled.
    pub fn lost(&self) -> u64 {
        self.sent - self.acknowledged - self.dead_lettered
    }

    /// The ledger line the run prints; `answers` counts the app's 2xx per id.
    pub fn line(&self, answers: &HashMap<String, u32>) -> String {
        let duplicates = answers.values().filter(|&&n| n > 1).count();
        format!(
            "sent {}, acknowledged {} (after the app's 2xx), redelivered {}, dead-lettered {}, lost {}, duplicates {}",
            self.sent,
            self.acknowledged,
            self.redelivered,
            self.dead_lettered,
            self.lost(),
            duplicates
        )
    }
}

/// A seeded generator (splitmix64): the run's choices repeat with its seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn replies_are_read_as_lambda_reads_them() {
    let ids = ["a", "b"];
    let read = |status, body| Verdict::read(status, body, &ids);
    assert_eq!(read(200, r#"{"batchItemFailures": []}"#), Verdict::Success);
    assert_eq!(
        read(200, r#"{"batchItemFailures": null}"#),
        Verdict::Success
    );
    assert_eq!(read(200, "{}"), Verdict::Success);
    assert_eq!(read(200, "null"), Verdict::Success);
    assert_eq!(
        read(200, r#"{"batchItemFailures": [{"itemIdentifier": "b"}]}"#),
        Verdict::Failed(vec!["b".into()])
    );
    for complete_failure in [
        r#"{"batchItemFailures": [{"itemIdentifier": ""}]}"#,
        r#"{"batchItemFailures": [{"itemIdentifier": null}]}"#,
        r#"{"batchItemFailures": [{"itemidentifier": "a"}]}"#,
        r#"{"batchItemFailures": [{"itemIdentifier": "c"}]}"#,
        r#"{"batchItemFailures": "a"}"#,
        "not json",
    ] {
        assert_eq!(
            read(200, complete_failure),
            Verdict::CompleteFailure,
            "{complete_failure}"
        );
    }
    let error = r#"{"errorType": "Ceh.AppFailed", "errorMessage": "x"}"#;
    assert_eq!(read(500, error), Verdict::CompleteFailure);
}
