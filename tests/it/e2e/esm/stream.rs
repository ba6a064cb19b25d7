//! One Kinesis shard and Lambda's event source mapping reading it, as AWS
//! documents them:
//!
//! - "Using Lambda with Kinesis Data Streams"
//!   (<https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html>): the
//!   mapping reads a shard in order, in batches from its checkpoint; when the
//!   function returns an error it retries the batch until it succeeds or has
//!   been retried `MaximumRetryAttempts` times.
//! - "Configuring partial batch response with Kinesis Data Streams and Lambda"
//!   (<https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html>):
//!   with `ReportBatchItemFailures`, the checkpoint moves to the lowest sequence
//!   number in `batchItemFailures`, and the mapping retries from there.
//! - "Retaining discarded batch records for a Kinesis event source"
//!   (<https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html>):
//!   a batch whose retries are used up is discarded to the on-failure
//!   destination, and the mapping goes on past it.
//!
//! A retry counts as one when the checkpoint did not move (an error, or the
//! first record of the batch reported); a batch that moved the checkpoint
//! starts counting again from its new start.

use std::cmp::Ordering;
use std::collections::HashSet;

use base64::Engine as _;
use serde_json::json;

use super::{Tally, Verdict};

const ARN: &str = "arn:aws:kinesis:eu-west-3:210987654321:stream/fault-run";
const SHARD: &str = "shardId-000000000000";

/// How the mapping reads the shard.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Records per invocation (the mapping's `BatchSize`).
    pub batch_size: usize,
    /// Retries of a batch before it goes to the on-failure destination.
    pub maximum_retry_attempts: u32,
}

#[derive(Debug)]
struct Record {
    sequence_number: String,
    data: String,
    deliveries: u32,
}

/// The shard, its checkpoint and the retries of the batch at the checkpoint.
#[derive(Debug)]
pub struct Shard {
    settings: Settings,
    records: Vec<Record>,
    checkpoint: usize,
    retries: u32,
}

/// A read from the checkpoint: the records' places, and the event.
#[derive(Debug)]
pub struct Batch {
    start: usize,
    end: usize,
    /// The Kinesis event, as Lambda builds it.
    pub event: Vec<u8>,
}

/// Sequence numbers are decimal numbers too long for any integer type.
fn by_number(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl Shard {
    /// A shard holding `count` records, counted as sent in `tally`.
    pub fn new(settings: Settings, count: usize, tally: &mut Tally) -> Self {
        let records = (0..count)
            .map(|n| Record {
                // As Kinesis gives them: increasing, not consecutive.
                sequence_number: format!("4966{:052}", 1_000_003 + n as u64 * 65_536),
                data: format!(r#"{{"reading": {n}, "sensor": "s-{}"}}"#, n % 17),
                deliveries: 0,
            })
            .collect();
        tally.sent += count as u64;
        Self {
            settings,
            records,
            checkpoint: 0,
            retries: 0,
        }
    }

    /// The batch from the checkpoint; `None` once the checkpoint is at the end.
    pub fn read(&mut self, tally: &mut Tally) -> Option<Batch> {
        let start = self.checkpoint;
        let end = (start + self.settings.batch_size).min(self.records.len());
        if start == end {
            return None;
        }
        let mut records = Vec::with_capacity(end - start);
        for record in &mut self.records[start..end] {
            record.deliveries += 1;
            if record.deliveries > 1 {
                tally.redelivered += 1;
            }
            let seq = &record.sequence_number;
            records.push(json!({
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": "fault-run",
                    "sequenceNumber": seq,
                    "data": base64::engine::general_purpose::STANDARD.encode(&record.data),
                    "approximateArrivalTimestamp": 1_765_000_000.5,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("{SHARD}:{seq}"),
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::210987654321:role/fault-run",
                "awsRegion": "eu-west-3",
                "eventSourceARN": ARN,
            }));
        }
        Some(Batch {
            start,
            end,
            event: serde_json::to_vec(&json!({ "Records": records })).unwrap(),
        })
    }

    /// The sequence numbers of `batch`, in order.
    pub fn ids<'a>(&'a self, batch: &Batch) -> Vec<&'a str> {
        self.records[batch.start..batch.end]
            .iter()
            .map(|r| r.sequence_number.as_str())
            .collect()
    }

    /// Applies what the mapping read in the reply: checkpoints past what
    /// succeeded, retries the rest, discards a batch whose retries are used up.
    pub fn settle(
        &mut self,
        batch: &Batch,
        verdict: &Verdict,
        answered: &HashSet<String>,
        tally: &mut Tally,
    ) {
        let upto = match verdict {
            Verdict::Success => batch.end,
            Verdict::CompleteFailure => batch.start,
            Verdict::Failed(ids) => {
                let lowest = ids.iter().min_by(|a, b| by_number(a, b));
                let at = self.records[batch.start..batch.end]
                    .iter()
                    .position(|r| Some(&r.sequence_number) == lowest);
                batch.start + at.unwrap_or(0)
            }
        };
        for record in &self.records[batch.start..upto] {
            tally.acknowledge(&record.sequence_number, answered);
        }
        self.checkpoint = upto;
        if upto > batch.start {
            self.retries = 0;
        } else if self.retries < self.settings.maximum_retry_attempts {
            self.retries += 1;
        } else {
            tally.dead_lettered += (batch.end - batch.start) as u64;
            self.checkpoint = batch.end;
            self.retries = 0;
        }
    }
}

#[test]
fn the_shard_checkpoints_at_the_lowest_failure_and_discards_after_its_retries() {
    let settings = Settings {
        batch_size: 5,
        maximum_retry_attempts: 2,
    };
    let mut tally = Tally::default();
    let mut shard = Shard::new(settings, 8, &mut tally);
    let batch = shard.read(&mut tally).unwrap();
    let event: serde_json::Value = serde_json::from_slice(&batch.event).unwrap();
    assert_eq!(event["Records"].as_array().unwrap().len(), 5);
    let seqs: Vec<String> = shard.ids(&batch).iter().map(|s| s.to_string()).collect();
    assert_eq!(by_number(&seqs[0], &seqs[1]), Ordering::Less);
    let answered: HashSet<String> = seqs.iter().cloned().collect();
    // Records 3 and 1 reported: the checkpoint is at 1, so 0 alone is done.
    let failed = Verdict::Failed(vec![seqs[3].clone(), seqs[1].clone()]);
    shard.settle(&batch, &failed, &answered, &mut tally);
    assert_eq!(tally.acknowledged, 1);
    // From 1: an error, twice retried, then the batch (1..6) is discarded.
    for _ in 0..3 {
        let batch = shard.read(&mut tally).unwrap();
        assert_eq!(shard.ids(&batch)[0], seqs[1]);
        shard.settle(&batch, &Verdict::CompleteFailure, &answered, &mut tally);
    }
    assert_eq!(tally.dead_lettered, 5);
    let last = shard.read(&mut tally).unwrap();
    assert_eq!(shard.ids(&last).len(), 2);
    let answered: HashSet<String> = shard.ids(&last).iter().map(|s| s.to_string()).collect();
    shard.settle(&last, &Verdict::Success, &answered, &mut tally);
    assert!(shard.read(&mut tally).is_none());
    assert_eq!((tally.acknowledged, tally.lost()), (3, 0));
    // Records 1 to 4 were read three more times, record 5 twice more.
    assert_eq!(tally.redelivered, 4 * 3 + 2);
}
