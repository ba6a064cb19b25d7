//! Fan-out delivery: a batch's requests sent to the app, in order within each
//! sequence, and a bounded number of sequences at once.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{Request, StatusCode};

use super::call::{call_within, App};

/// Records whose requests must reach the app one after another (a FIFO
/// group, a stream shard), by their index in the batch.
pub(crate) type Sequence = Vec<usize>;

/// What became of one record's request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// The app took it; its body (a Firehose record's new data).
    Done(Bytes),
    /// The app failed it, or could not be reached: why.
    Failed(String),
    /// Not sent: an earlier record of its sequence failed, and must not be overtaken.
    HeldBack,
}

/// Sends every sequence, at most `concurrency` at once, each record within
/// `remaining()` of the invocation's deadline; a sequence stops at its first
/// failure. A record's request is built by `request(index)` just before it
/// is sent, so only the requests in flight are held. An answer counts as a
/// failure when `is_failure(status)` says so. The deliveries come back in
/// record order.
pub(crate) async fn deliver<S: App + Clone>(
    app: S,
    sequences: Vec<Sequence>,
    request: impl Fn(usize) -> Result<Request<Bytes>, String> + Copy,
    concurrency: usize,
    remaining: impl Fn() -> Option<Duration> + Copy,
    is_failure: impl Fn(StatusCode) -> bool + Copy,
) -> Vec<(usize, Delivery)> {
    // One clone of the app per sequence, made here, so the stream holds no borrow of it.
    let work: Vec<(S, Sequence)> = sequences
        .into_iter()
        .map(|sequence| (app.clone(), sequence))
        .collect();
    let results: Vec<Vec<(usize, Delivery)>> = futures_util::stream::iter(work)
        .map(|(app, sequence)| async move {
            let mut deliveries = Vec::with_capacity(sequence.len());
            let mut blocked = false;
            for index in sequence {
                if blocked {
                    deliveries.push((index, Delivery::HeldBack));
                    continue;
                }
                let request = match request(index) {
                    Ok(request) => request,
                    Err(reason) => {
                        blocked = true;
                        deliveries.push((index, Delivery::Failed(reason)));
                        continue;
                    }
                };
                let delivery = match call_within(app.clone(), request, remaining()).await {
                    Ok(response) if is_failure(response.status()) => {
                        Delivery::Failed(format!("the app answered {}", response.status()))
                    }
                    Ok(response) => Delivery::Done(response.into_body()),
                    Err(err) => Delivery::Failed(err.to_string()),
                };
                blocked = !matches!(delivery, Delivery::Done(_));
                deliveries.push((index, delivery));
            }
            deliveries
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut deliveries: Vec<(usize, Delivery)> = results.into_iter().flatten().collect();
    deliveries.sort_by_key(|(index, _)| *index);
    deliveries
}
