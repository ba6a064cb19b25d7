//! An SQS queue and Lambda's event source mapping in front of it, as AWS
//! documents them:
//!
//! - "Using Lambda with Amazon SQS"
//!   (<https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html>): the mapping
//!   receives batches of up to 10 messages and invokes the function with them;
//!   on success it deletes them; on an invocation error they stay on the queue.
//! - "Handling errors for an SQS event source in Lambda", partial batch responses
//!   (<https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html>):
//!   with `ReportBatchItemFailures`, the messages named in `batchItemFailures`
//!   stay and every other one is deleted; a reply read as a complete failure
//!   keeps the whole batch ([`Verdict::read`]).
//! - "Amazon SQS visibility timeout"
//!   (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html>):
//!   a received message is hidden until the timeout ends, then visible again
//!   unless deleted; each receive adds one to `ApproximateReceiveCount`.
//! - "Using dead-letter queues in Amazon SQS"
//!   (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html>):
//!   once a message has been received `maxReceiveCount` times, the next receive
//!   moves it to the dead-letter queue instead of delivering it.
//!
//! The queue's clock moves one second per receive; when nothing is visible it
//! jumps to the next message's visibility, so nothing sleeps.

use std::collections::HashSet;

use serde_json::json;

use super::{Tally, Verdict};

const ARN: &str = "arn:aws:sqs:eu-west-3:210987654321:fault-run";
const SENT_AT: u64 = 1_765_000_000_000;

/// How the queue and its mapping are set up.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Messages per invocation (the mapping's `BatchSize`; at most 10 here).
    pub batch_size: usize,
    /// Seconds a received message stays hidden.
    pub visibility_timeout: u64,
    /// The redrive policy's `maxReceiveCount`.
    pub max_receive_count: u32,
}

#[derive(Debug)]
struct Message {
    id: String,
    body: String,
    receives: u32,
    visible_at: u64,
    settled: bool,
}

/// The queue with its messages, its clock and its dead-letter queue.
#[derive(Debug)]
pub struct Queue {
    settings: Settings,
    messages: Vec<Message>,
    clock: u64,
}

/// One receive: the messages' places in the queue, and the event Lambda
/// invokes the function with.
#[derive(Debug)]
pub struct Batch {
    places: Vec<usize>,
    /// The SQS event, as Lambda builds it.
    pub event: Vec<u8>,
}

impl Queue {
    /// A queue holding `count` messages, counted as sent in `tally`.
    pub fn new(settings: Settings, count: usize, run: u64, tally: &mut Tally) -> Self {
        let messages = (0..count)
            .map(|n| Message {
                id: format!(
                    "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                    run as u32,
                    (run >> 32) as u16,
                    n >> 12 & 0xfff,
                    n & 0xfff,
                    n
                ),
                body: format!(
                    r#"{{"order": {n}, "amount": "{}.{:02}"}}"#,
                    n * 7 % 1000,
                    n % 100
                ),
                receives: 0,
                visible_at: 0,
                settled: false,
            })
            .collect();
        tally.sent += count as u64;
        Self {
            settings,
            messages,
            clock: 0,
        }
    }

    /// The next batch, once the messages that reached `maxReceiveCount` have
    /// gone to the dead-letter queue; `None` when the queue is empty.
    pub fn receive(&mut self, tally: &mut Tally) -> Option<Batch> {
        loop {
            let mut places = Vec::new();
            for (place, message) in self.messages.iter_mut().enumerate() {
                if message.settled || message.visible_at > self.clock {
                    continue;
                }
                if message.receives >= self.settings.max_receive_count {
                    message.settled = true;
                    tally.dead_lettered += 1;
                } else if places.len() < self.settings.batch_size {
                    places.push(place);
                }
            }
            if !places.is_empty() {
                let batch = self.deliver(places, tally);
                self.clock += 1;
                return Some(batch);
            }
            self.clock = self
                .messages
                .iter()
                .filter(|m| !m.settled)
                .map(|m| m.visible_at)
                .min()?;
        }
    }

    fn deliver(&mut self, places: Vec<usize>, tally: &mut Tally) -> Batch {
        let mut records = Vec::with_capacity(places.len());
        for &place in &places {
            let message = &mut self.messages[place];
            message.receives += 1;
            if message.receives > 1 {
                tally.redelivered += 1;
            }
            message.visible_at = self.clock + self.settings.visibility_timeout;
            records.push(json!({
                "messageId": message.id,
                // A new handle for each receive, as SQS gives.
                "receiptHandle": format!("AQEB{}/{}/{}", message.id, message.receives, self.clock),
                "body": message.body,
                "attributes": {
                    "ApproximateReceiveCount": message.receives.to_string(),
                    "SentTimestamp": SENT_AT.to_string(),
                    "SenderId": "AIDAFAULTRUNSENDER",
                    "ApproximateFirstReceiveTimestamp": (SENT_AT + 1000).to_string(),
                },
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": ARN,
                "awsRegion": "eu-west-3",
            }));
        }
        Batch {
            places,
            event: serde_json::to_vec(&json!({ "Records": records })).unwrap(),
        }
    }

    /// The message ids of `batch`, in its order.
    pub fn ids<'a>(&'a self, batch: &Batch) -> Vec<&'a str> {
        batch
            .places
            .iter()
            .map(|&p| self.messages[p].id.as_str())
            .collect()
    }

    /// Applies what the mapping read in the reply: deletes what succeeded;
    /// the rest becomes visible again when its visibility timeout ends.
    pub fn settle(
        &mut self,
        batch: &Batch,
        verdict: &Verdict,
        answered: &HashSet<String>,
        tally: &mut Tally,
    ) {
        let kept: &[String] = match verdict {
            Verdict::CompleteFailure => return,
            Verdict::Success => &[],
            Verdict::Failed(ids) => ids,
        };
        for &place in &batch.places {
            let message = &mut self.messages[place];
            if !kept.contains(&message.id) {
                message.settled = true;
                tally.acknowledge(&message.id, answered);
            }
        }
    }
}

#[test]
fn the_queue_redelivers_after_the_visibility_timeout_and_dead_letters_at_the_max() {
    let settings = Settings {
        batch_size: 10,
        visibility_timeout: 30,
        max_receive_count: 3,
    };
    let mut tally = Tally::default();
    let mut queue = Queue::new(settings, 12, 7, &mut tally);
    let first = queue.receive(&mut tally).unwrap();
    let ids: Vec<String> = queue.ids(&first).iter().map(|s| s.to_string()).collect();
    assert_eq!(ids.len(), 10);
    let event: aws_lambda_events::sqs::SqsEvent = serde_json::from_slice(&first.event).unwrap();
    assert_eq!(
        event.records[0].message_id.as_deref(),
        Some(ids[0].as_str())
    );
    let answered: HashSet<String> = ids[1..].iter().cloned().collect();
    queue.settle(
        &first,
        &Verdict::Failed(vec![ids[0].clone()]),
        &answered,
        &mut tally,
    );
    assert_eq!(tally.acknowledged, 9);
    // The other two come next; the failed one only after its timeout.
    let second = queue.receive(&mut tally).unwrap();
    assert_eq!(queue.ids(&second).len(), 2);
    assert!(!queue.ids(&second).contains(&ids[0].as_str()));
    queue.settle(&second, &Verdict::CompleteFailure, &answered, &mut tally);
    let mut receives = 2;
    while let Some(batch) = queue.receive(&mut tally) {
        receives += 1;
        queue.settle(&batch, &Verdict::CompleteFailure, &answered, &mut tally);
    }
    // Each of the three received three times in all, then dead-lettered.
    assert_eq!(receives, 2 + 2 * 2);
    assert_eq!(tally.dead_lettered, 3);
    assert_eq!(tally.redelivered, 6);
    assert_eq!(tally.lost(), 0);
}
