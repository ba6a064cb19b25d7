//! A batch's reply: which records the source must retry (or, for Firehose,
//! every record's result), from what became of each record's request.

use serde_json::Value;

use super::policy::ReplyPolicy;
use super::render::{FirehoseRecord, FirehoseResult, Reply};
use crate::app::fanout::Delivery;
use crate::rule::{BatchResponse, BatchSpec, ItemIdentifier, Record, Rule};

/// Records of a batch failed, and the source cannot be told which.
///
/// ```
/// use cloud_events_handler::{reply::BatchError, Config, Event, HandleError, Handler};
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
#[non_exhaustive]
#[error("rule `{rule}`: {failed} of {total} records failed (first: {}); the whole batch fails so that it is retried and nothing is lost{hint}", .failures.first().map_or("none", String::as_str))]
pub struct BatchError {
    /// The rule that matched.
    pub rule: String,
    /// How many records failed or were held back behind a failure.
    pub failed: usize,
    /// How many records the batch had.
    pub total: usize,
    /// What would let only the failed records be retried.
    pub hint: &'static str,
    /// One line per failed or held-back record, in record order:
    /// `record 3 (id m3): the app answered 500 Internal Server Error`.
    pub failures: Vec<String>,
}

/// The reply for a batch whose records' requests ended as `deliveries`
/// (in record order), or the error that fails the whole invocation when the
/// source cannot be told which records failed.
pub(crate) fn reply(
    rule: &Rule,
    spec: &BatchSpec,
    records: &[Record<'_>],
    deliveries: &[(usize, Delivery)],
    policy: &ReplyPolicy,
) -> Result<Reply, BatchError> {
    if spec.response() == BatchResponse::Firehose {
        return Ok(Reply::Firehose(firehose(records, deliveries)));
    }
    let failed: Vec<&(usize, Delivery)> = deliveries
        .iter()
        .filter(|(_, d)| matches!(d, Delivery::Failed(_) | Delivery::HeldBack))
        .collect();
    if failed.is_empty() || policy.always_succeed() {
        return Ok(Reply::ItemFailures(Vec::new()));
    }
    // A stream resumes from the first failure reported, so that one is enough;
    // a queue deletes whatever is not reported, so every failed or held-back record is.
    let reported: &[&(usize, Delivery)] = if spec.ordered() {
        &failed[..1]
    } else {
        &failed
    };
    let ids: Option<Vec<ItemIdentifier>> = reported
        .iter()
        .map(|(index, _)| spec.item_identifier(records.get(*index)?))
        .collect();
    let reports = spec.response().names_failed_items();
    match ids {
        Some(ids) if reports && policy.report_item_failures() => Ok(Reply::ItemFailures(ids)),
        _ => {
            let id_of = |index: usize| {
                records
                    .get(index)
                    .and_then(|r| r.id.as_deref())
                    .map(|id| format!(" (id {id})"))
                    .unwrap_or_default()
            };
            let failures = failed
                .iter()
                .map(|(index, delivery)| {
                    let reason = match delivery {
                        Delivery::Failed(reason) => reason.as_str(),
                        _ => "held back behind an earlier failure of its sequence",
                    };
                    format!("record {index}{}: {reason}", id_of(*index))
                })
                .collect();
            let hint = match (reports, policy.report_item_failures()) {
                (true, false) => "; to retry only the failed records, turn on ReportBatchItemFailures on the event source mapping and set `report_item_failures = true` in [reply]",
                (true, true) => "; a failed record has no id to report",
                _ => "",
            };
            Err(BatchError {
                rule: rule.name().to_owned(),
                failed: failed.len(),
                total: records.len(),
                hint,
                failures,
            })
        }
    }
}

/// The Firehose transformation reply: every record, `Ok` with the app's body
/// as its new data, `Dropped` for an empty 2xx body or when the app says so
/// (`ceh-drop: true`), `ProcessingFailed` with the original data otherwise
/// (Firehose keeps those in its error output).
fn firehose(records: &[Record<'_>], deliveries: &[(usize, Delivery)]) -> Vec<FirehoseRecord> {
    use base64::Engine as _;
    deliveries
        .iter()
        .filter_map(|(index, delivery)| {
            let record = records.get(*index)?;
            let original = || record.json.get("data").cloned().unwrap_or(Value::Null);
            let (result, data) = match delivery {
                Delivery::Done(body) if body.is_empty() => (FirehoseResult::Dropped, original()),
                Delivery::Dropped(_) => (FirehoseResult::Dropped, original()),
                Delivery::Done(body) => (
                    FirehoseResult::Ok,
                    Value::String(base64::engine::general_purpose::STANDARD.encode(body)),
                ),
                _ => (FirehoseResult::ProcessingFailed, original()),
            };
            Some(FirehoseRecord {
                record_id: record.id.as_deref().map(str::to_owned),
                result,
                data,
            })
        })
        .collect()
}
