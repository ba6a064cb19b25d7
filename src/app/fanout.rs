//! Fan-out delivery: a batch's requests sent to the app, in order within each
//! sequence, and a bounded number of sequences at once.

use bytes::Bytes;
use futures_util::StreamExt;
use http::{Request, Response};

use super::call::{call_limited, App};
use super::failed::FailedAnswer;

/// Records whose requests must reach the app one after another (a FIFO
/// group, a stream shard), by their index in the batch.
pub(crate) type Sequence = Vec<usize>;

/// What an app's answer means for the event or record it was sent, as
/// [`ReplyPolicy::verdict`](crate::reply::ReplyPolicy::verdict) reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// The app took it (2xx by default): the source may delete it.
    Taken,
    /// The app said to drop it and not retry it (`ceh-drop: true`): the
    /// source deletes it, and ceh logs that it was dropped.
    Dropped,
    /// The app failed it: the source must deliver it again.
    Failed,
}

/// What became of one record's request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// The app took it; its body where the reply carries it (a Firehose
    /// record's new data), empty otherwise.
    Done(Bytes),
    /// The app dropped it on purpose: why, as a log line says it.
    Dropped(String),
    /// The app failed it, or could not be reached: why.
    Failed(String),
    /// Not sent: an earlier record of its sequence failed, and must not be overtaken.
    HeldBack,
}

/// What the batch's reply keeps of each answer the app takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Answers {
    /// Its body, until the batch is done (Firehose's new data).
    Kept,
    /// Nothing: the body is dropped as it arrives, so that a batch of
    /// thousands holds only the answers in flight, whatever the app says.
    Dropped,
}

/// Sends every sequence, at most `concurrency` at once, holding at most
/// `limit` bytes of each answer (the app's layers add the invocation's
/// headers and bound each call by its deadline); a sequence stops at its first
/// failure. A record's request is built by `request(index)` just before it
/// is sent, so only the requests in flight are held. `judge` says what each
/// answer means, `answers` what is kept of it. The deliveries come back in
/// record order.
pub(crate) async fn deliver<S: App + Clone>(
    app: S,
    sequences: Vec<Sequence>,
    request: impl Fn(usize) -> Result<Request<Bytes>, String> + Copy,
    concurrency: usize,
    limit: usize,
    judge: impl Fn(&Response<Bytes>) -> Verdict + Copy,
    answers: Answers,
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
                let (method, uri) = (request.method().clone(), request.uri().clone());
                let delivery = match call_limited(app.clone(), request, limit).await {
                    Ok(response) => match judge(&response) {
                        Verdict::Taken => Delivery::Done(match answers {
                            Answers::Kept => response.into_body(),
                            Answers::Dropped => Bytes::new(),
                        }),
                        Verdict::Dropped => Delivery::Dropped(format!(
                            "the app dropped it: {}",
                            FailedAnswer::of(&method, &uri, &response)
                        )),
                        Verdict::Failed => {
                            let answer = FailedAnswer::of(&method, &uri, &response);
                            Delivery::Failed(format!("the app answered {answer}{}", answer.hint()))
                        }
                    },
                    Err(err) => Delivery::Failed(err.to_string()),
                };
                blocked = matches!(delivery, Delivery::Failed(_));
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
