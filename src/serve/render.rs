//! `ceh serve`'s render: what the app answered (or why it failed) as the
//! HTTP response the sender reads — 2xx acknowledges, 5xx asks for a retry,
//! 4xx says the event itself is at fault.

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;

use crate::error::{ErrorKind, HandleError};
use crate::reply::{json_response, Reply};
use crate::server::refuse;

/// The front end's name in the log.
pub(super) const FRONT: &str = "ceh serve";

/// One event's outcome: its reply, when the delivery may go on, or the
/// response that fails the delivery.
pub(crate) fn handled(
    outcome: Result<Reply, HandleError>,
) -> Result<Reply, Box<Response<Full<Bytes>>>> {
    match outcome {
        // An HTTP sender cannot be told which records failed: the delivery fails whole.
        Ok(Reply::ItemFailures(items)) if !items.is_empty() => Err(Box::new(refuse(
            FRONT,
            StatusCode::BAD_GATEWAY,
            &format!("{} records of the event failed, and an HTTP sender cannot be told which; the delivery fails so that it is retried\n", items.len()),
        ))),
        Ok(reply) => Ok(reply),
        Err(err) => Err(Box::new(failure(&err))),
    }
}

/// The response to a delivery whose events were all taken.
pub(super) fn replies(mut replies: Vec<Reply>) -> Response<Full<Bytes>> {
    match replies.pop() {
        // One event: the sender gets the app's own answer.
        Some(reply) if replies.is_empty() => {
            let taken = matches!(reply, Reply::Dict(_) | Reply::Body { .. });
            let mut response = reply.into_response();
            // An answer ceh took as done (dropped on the app's word, or a status the
            // configuration does not count as failure) is a 2xx every sender acknowledges.
            if taken && !response.status().is_success() {
                *response.status_mut() = StatusCode::ACCEPTED;
            }
            response.map(Full::new)
        }
        // A batch of CloudEvents: every event was taken; one reply each, in order.
        last => {
            replies.extend(last);
            json_response(StatusCode::OK, &replies).map(Full::new)
        }
    }
}

/// A failed event: 4xx when the event is at fault, 5xx so the sender retries otherwise.
fn failure(err: &HandleError) -> Response<Full<Bytes>> {
    let status = match (err.kind(), err.app_status()) {
        (ErrorKind::NoRule, _) => StatusCode::UNPROCESSABLE_ENTITY,
        (
            ErrorKind::InvalidCloudEvent | ErrorKind::InvalidHttpEvent | ErrorKind::InvalidEvent,
            _,
        ) => StatusCode::BAD_REQUEST,
        // The batch can never be taken: a retry would fail the same way.
        (ErrorKind::TooManyRecords, _) => StatusCode::PAYLOAD_TOO_LARGE,
        (ErrorKind::AppTimeout, _) => StatusCode::GATEWAY_TIMEOUT,
        (ErrorKind::AppFailed, Some(status)) if status.is_server_error() => status,
        // The app refused it (a 404 for a route it lacks, a redirect): a 5xx every
        // sender retries, where the app's own 4xx would make Event Grid or Knative drop it.
        (ErrorKind::AppFailed, Some(_)) => StatusCode::BAD_GATEWAY,
        (ErrorKind::AppUnreachable | ErrorKind::AppFailed | ErrorKind::BatchFailed, None) => {
            StatusCode::BAD_GATEWAY
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    refuse(FRONT, status, &format!("{err}\n"))
}
