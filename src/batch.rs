//! Batches: queue and stream events whose records each become a request of their own.
//!
//! A rule with `reply = "batch"` says in its `[rule.batch]` table where the
//! records are and how they are identified. Each record is sent to the app as
//! its own request; records of one group (an SQS FIFO message group) or of a
//! stream are sent in order, and a group stops at its first failure so no
//! later record overtakes it.

use std::fmt;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;

use crate::rule::Query;
use crate::Event;

/// How a batch rule finds and identifies its records.
///
/// ```
/// use cloud_events_handler::RuleTable;
/// use serde_json::json;
///
/// let table = RuleTable::builtin();
/// let spec = table.get("sqs").unwrap().batch().unwrap();
/// let event = json!({"Records": [
///     {"messageId": "a", "attributes": {"MessageGroupId": "g"}},
///     {"messageId": "b", "attributes": {"MessageGroupId": "g"}},
///     {"messageId": "c"}
/// ]});
/// let records = spec.records(&event);
/// assert_eq!(records[1].id, Some("b"));
/// // FIFO group `g` is one sequence; `c` has no group and goes on its own.
/// assert_eq!(spec.sequences(&records).len(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct BatchSpec {
    records: Query,
    id: Option<Query>,
    group: Option<Query>,
    ordered: bool,
    response: BatchResponse,
}

/// What the Lambda returns for a batch.
///
/// ```
/// use cloud_events_handler::{batch::BatchResponse, RuleTable};
///
/// let table = RuleTable::builtin();
/// let response = |name: &str| table.get(name).and_then(|rule| rule.batch()).map(|spec| spec.response());
/// assert_eq!(response("sqs"), Some(BatchResponse::ItemFailures));
/// assert_eq!(response("firehose"), Some(BatchResponse::Firehose));
/// assert_eq!(response("kafka"), Some(BatchResponse::None));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum BatchResponse {
    /// `{"batchItemFailures": […]}` (SQS, Kinesis, DynamoDB Streams), honoured
    /// when the event source mapping reports batch item failures.
    ItemFailures,
    /// Firehose transformation: `{"records": [{recordId, result, data}]}`, every record answered.
    Firehose,
    /// The source knows no partial failure (Kafka, MQ): any failed record fails the invocation.
    None,
}

/// `[rule.batch]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBatch {
    records: String,
    id: Option<String>,
    group: Option<String>,
    #[serde(default)]
    ordered: bool,
    response: Option<BatchResponse>,
}

/// One record of a batch event.
///
/// ```
/// use cloud_events_handler::RuleTable;
/// use serde_json::json;
///
/// let table = RuleTable::builtin();
/// let spec = table.get("kinesis").and_then(|rule| rule.batch()).ok_or("kinesis is a batch rule")?;
/// let event = json!({"Records": [{"kinesis": {"sequenceNumber": "4959"}}]});
/// let records = spec.records(&event);
/// assert_eq!((records[0].index, records[0].id, records[0].group), (0, Some("4959"), None));
/// assert_eq!(records[0].json, &event["Records"][0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Record<'e> {
    /// Its position in the batch, from 0.
    pub index: usize,
    /// The identifier the event source knows it by (`messageId`, sequence number…).
    pub id: Option<&'e str>,
    /// The ordering group it belongs to, if any.
    pub group: Option<&'e str>,
    /// The record's JSON.
    pub json: &'e Value,
}

impl BatchSpec {
    pub(crate) fn compile(raw: RawBatch) -> Result<Self, String> {
        let query = |key: &str, text: &str| {
            Query::parse(text).map_err(|e| format!("key `batch.{key}`: not a valid JSONPath ({e})"))
        };
        if raw.id.is_none() && raw.response == Some(BatchResponse::ItemFailures) {
            return Err("key `batch.id` is missing: `response = \"item-failures\"` reports records by their id".into());
        }
        if raw.ordered && raw.group.is_some() {
            return Err("key `batch.group`: an `ordered` batch is one group already; remove `group` or `ordered`".into());
        }
        Ok(Self {
            records: query("records", &raw.records)?,
            id: raw.id.as_deref().map(|id| query("id", id)).transpose()?,
            group: raw
                .group
                .as_deref()
                .map(|g| query("group", g))
                .transpose()?,
            ordered: raw.ordered,
            response: raw.response.unwrap_or(BatchResponse::None),
        })
    }

    /// What the Lambda returns for the batch.
    ///
    /// ```
    /// use cloud_events_handler::{batch::BatchResponse, RuleTable};
    ///
    /// let table = RuleTable::builtin();
    /// let spec = table.get("sqs").and_then(|rule| rule.batch()).ok_or("sqs is a batch rule")?;
    /// assert_eq!(spec.response(), BatchResponse::ItemFailures);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn response(&self) -> BatchResponse {
        self.response
    }

    /// Whether the whole batch is one ordered sequence (a stream shard).
    ///
    /// ```
    /// use cloud_events_handler::RuleTable;
    ///
    /// let table = RuleTable::builtin();
    /// let ordered = |name: &str| table.get(name).and_then(|rule| rule.batch()).map(|spec| spec.ordered());
    /// assert_eq!(ordered("kinesis"), Some(true), "a stream shard");
    /// assert_eq!(ordered("sqs"), Some(false), "ordered per message group only");
    /// ```
    pub fn ordered(&self) -> bool {
        self.ordered
    }

    /// The records of `event`, in order.
    pub fn records<'e>(&self, event: &'e Value) -> Vec<Record<'e>> {
        self.records
            .select(event)
            .into_iter()
            .enumerate()
            .map(|(index, json)| Record {
                index,
                id: self
                    .id
                    .as_ref()
                    .and_then(|id| id.single(json))
                    .and_then(Value::as_str),
                group: self
                    .group
                    .as_ref()
                    .and_then(|g| g.single(json))
                    .and_then(Value::as_str),
                json,
            })
            .collect()
    }

    /// Each record's request body: its bytes as they stand in the event, so
    /// that nothing parsing drops (digits beyond an `f64`, escapes, spacing)
    /// is lost on the way to the app. Only a `records` query that needs the
    /// general JSONPath evaluator (a filter, a slice, `..`) has its records
    /// written out again from their parsed JSON. `records` are what
    /// [`records`](Self::records) found in this event's JSON.
    ///
    /// ```
    /// use cloud_events_handler::{Event, RuleTable};
    ///
    /// let table = RuleTable::builtin();
    /// let spec = table.get("sqs").and_then(|rule| rule.batch()).ok_or("sqs is a batch rule")?;
    /// let event = Event::from_slice(br#"{"Records": [ {"messageId": "a", "n": 12345678901234567890123} ]}"#)?;
    /// let records = spec.records(event.json());
    /// assert_eq!(spec.bodies(&event, &records)[0], r#"{"messageId": "a", "n": 12345678901234567890123}"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bodies(&self, event: &Event, records: &[Record<'_>]) -> Vec<Bytes> {
        match self.records.select_raw(event.bytes()) {
            Some(found) if found.len() == records.len() => found,
            _ => records
                .iter()
                // Serializing a `Value` cannot fail: its keys are strings.
                .map(|record| Bytes::from(serde_json::to_vec(record.json).unwrap_or_default()))
                .collect(),
        }
    }

    /// The records split into sequences that must each be sent in order:
    /// the whole batch when ordered, one per group, one per record otherwise.
    pub fn sequences<'r, 'e>(&self, records: &'r [Record<'e>]) -> Vec<Vec<&'r Record<'e>>> {
        if self.ordered {
            return vec![records.iter().collect()];
        }
        let mut sequences: Vec<(Option<&str>, Vec<&Record<'e>>)> = Vec::new();
        for record in records {
            match record.group {
                Some(group) => match sequences.iter_mut().find(|(g, _)| *g == Some(group)) {
                    Some((_, sequence)) => sequence.push(record),
                    None => sequences.push((Some(group), vec![record])),
                },
                None => sequences.push((None, vec![record])),
            }
        }
        sequences
            .into_iter()
            .map(|(_, sequence)| sequence)
            .collect()
    }
}

impl fmt::Display for BatchSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "records {}", self.records)?;
        if let Some(id) = &self.id {
            write!(f, " by {id}")?;
        }
        if let Some(group) = &self.group {
            write!(f, ", ordered per {group}")?;
        }
        if self.ordered {
            f.write_str(", in order")?;
        }
        Ok(())
    }
}

/// Records of a batch failed, and the source cannot be told which.
///
/// ```
/// use cloud_events_handler::{batch::BatchError, Config, Event, HandleError, Handler};
/// use http_body_util::Full;
///
/// let handler = Handler::new(Config::default());
/// let event = Event::from_slice(br#"{"Records": [{"eventSource": "aws:sqs", "messageId": "m1", "body": "x"}]}"#)?;
/// let failing = tower::service_fn(|_: http::Request<Full<bytes::Bytes>>| async {
///     http::Response::builder().status(500).body(Full::new(bytes::Bytes::new()))
/// });
/// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
/// let err = handler.handle(&event, failing).await.unwrap_err();
/// assert!(matches!(&err, HandleError::Batch(BatchError { failed: 1, total: 1, .. })));
/// assert!(err.to_string().starts_with("rule `sqs`: 1 of 1 records failed (first: record 0 (id m1): the app answered 500"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[error("rule `{rule}`: {failed} of {total} records failed (first: record {first_index}{first_id}: {first_reason}); the whole batch fails so that it is retried and nothing is lost{hint}")]
pub struct BatchError {
    /// The rule that matched.
    pub rule: String,
    /// How many records failed or were held back behind a failure.
    pub failed: usize,
    /// How many records the batch had.
    pub total: usize,
    /// The first failed record's index.
    pub first_index: usize,
    /// ` (id …)` when the first failed record has one.
    pub first_id: String,
    /// Why it failed.
    pub first_reason: String,
    /// What would let only the failed records be retried.
    pub hint: &'static str,
}

/// Requests to send one after another, with their records' indexes.
type Sequence = Vec<(usize, http::Request<bytes::Bytes>)>;

/// What became of one record.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    /// Handled; the app's body (a Firehose record's new data).
    Done(bytes::Bytes),
    Failed(String),
    /// Not sent: an earlier record of its group or stream failed.
    HeldBack,
}

/// Sends each record's request, in order within each sequence and with at
/// most `policy.concurrency()` sequences at once, and builds the reply.
pub(crate) async fn dispatch<S: crate::app::App + Clone>(
    rule: &crate::Rule,
    spec: &BatchSpec,
    event: &Value,
    requests: Vec<(usize, http::Request<bytes::Bytes>)>,
    app: S,
    invocation: &crate::Invocation,
    policy: &crate::reply::ReplyPolicy,
) -> Result<Value, crate::HandleError> {
    use futures_util::StreamExt;

    let records = spec.records(event);
    let mut slots: Vec<Option<http::Request<bytes::Bytes>>> =
        requests.into_iter().map(|(_, r)| Some(r)).collect();
    let sequences: Vec<Sequence> = spec
        .sequences(&records)
        .into_iter()
        .map(|sequence| {
            sequence
                .into_iter()
                .filter_map(|record| Some((record.index, slots.get_mut(record.index)?.take()?)))
                .collect()
        })
        .collect();
    // One clone of the app per sequence, made here, so the stream holds no borrow of it.
    let work: Vec<(S, Sequence)> = sequences
        .into_iter()
        .map(|sequence| (app.clone(), sequence))
        .collect();
    let results: Vec<Vec<(usize, Outcome)>> = futures_util::stream::iter(work)
        .map(|(app, sequence)| async move {
            let mut outcomes = Vec::with_capacity(sequence.len());
            let mut blocked = false;
            for (index, request) in sequence {
                if blocked {
                    outcomes.push((index, Outcome::HeldBack));
                    continue;
                }
                let outcome = match crate::handler::call(app.clone(), request, invocation).await {
                    Ok(response) if policy.is_failure(response.status()) => {
                        Outcome::Failed(format!("the app answered {}", response.status()))
                    }
                    Ok(response) => Outcome::Done(response.into_body()),
                    Err(err) => Outcome::Failed(err.to_string()),
                };
                blocked = !matches!(outcome, Outcome::Done(_));
                outcomes.push((index, outcome));
            }
            outcomes
        })
        .buffer_unordered(policy.concurrency())
        .collect()
        .await;
    let mut outcomes: Vec<(usize, Outcome)> = results.into_iter().flatten().collect();
    outcomes.sort_by_key(|(index, _)| *index);
    reply(rule, spec, &records, &outcomes, policy)
}

fn reply(
    rule: &crate::Rule,
    spec: &BatchSpec,
    records: &[Record<'_>],
    outcomes: &[(usize, Outcome)],
    policy: &crate::reply::ReplyPolicy,
) -> Result<Value, crate::HandleError> {
    if spec.response == BatchResponse::Firehose {
        return Ok(firehose(records, outcomes));
    }
    let failed: Vec<&(usize, Outcome)> = outcomes
        .iter()
        .filter(|(_, o)| !matches!(o, Outcome::Done(_)))
        .collect();
    if failed.is_empty() || policy.always_succeed() {
        return Ok(serde_json::json!({ "batchItemFailures": [] }));
    }
    // A stream resumes from the first failure reported, so that one is enough;
    // a queue deletes whatever is not reported, so every failed or held-back record is.
    let reported: &[&(usize, Outcome)] = if spec.ordered { &failed[..1] } else { &failed };
    let ids: Option<Vec<&str>> = reported
        .iter()
        .map(|(index, _)| records.get(*index)?.id)
        .collect();
    match ids {
        Some(ids)
            if spec.response == BatchResponse::ItemFailures && policy.report_item_failures() =>
        {
            let items: Vec<Value> = ids
                .into_iter()
                .map(|id| serde_json::json!({ "itemIdentifier": id }))
                .collect();
            Ok(serde_json::json!({ "batchItemFailures": items }))
        }
        _ => {
            let (first_index, first_outcome) = failed[0];
            let first_reason = match first_outcome {
                Outcome::Failed(reason) => reason.clone(),
                _ => "held back".to_owned(),
            };
            let first_id = records
                .get(*first_index)
                .and_then(|r| r.id)
                .map(|id| format!(" (id {id})"))
                .unwrap_or_default();
            let hint = match (spec.response, policy.report_item_failures()) {
                (BatchResponse::ItemFailures, false) => "; to retry only the failed records, turn on ReportBatchItemFailures on the event source mapping and set `report_item_failures = true` in [reply]",
                (BatchResponse::ItemFailures, true) => "; a failed record has no id to report",
                _ => "",
            };
            Err(BatchError {
                rule: rule.name().to_owned(),
                failed: failed.len(),
                total: records.len(),
                first_index: *first_index,
                first_id,
                first_reason,
                hint,
            }
            .into())
        }
    }
}

/// The Firehose transformation reply: every record, `Ok` with the app's body
/// as its new data, `Dropped` for an empty 2xx body, `ProcessingFailed` with
/// the original data otherwise (Firehose keeps those in its error output).
fn firehose(records: &[Record<'_>], outcomes: &[(usize, Outcome)]) -> Value {
    use base64::Engine as _;
    let items: Vec<Value> = outcomes
        .iter()
        .filter_map(|(index, outcome)| {
            let record = records.get(*index)?;
            let original = record.json.get("data").cloned().unwrap_or(Value::Null);
            let (result, data) = match outcome {
                Outcome::Done(body) if body.is_empty() => ("Dropped", original),
                Outcome::Done(body) => (
                    "Ok",
                    Value::String(base64::engine::general_purpose::STANDARD.encode(body)),
                ),
                _ => ("ProcessingFailed", original),
            };
            // Firehose reads `metadata` only with dynamic partitioning; empty keys are the neutral value.
            Some(serde_json::json!({
                "recordId": record.id,
                "result": result,
                "data": data,
                "metadata": { "partitionKeys": {} },
            }))
        })
        .collect();
    serde_json::json!({ "records": items })
}
