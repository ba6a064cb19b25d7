//! The server's own answers: a status and one line of plain text, the same
//! line logged for the operator.

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;

use super::log;

/// A delivery `front` refuses or fails: the plain-text answer, and one line
/// in the log for the operator (at most [`log::LINES_PER_SECOND`] a second).
/// The line is the answer's own text, which names the rule, the status and
/// the cause, never a body or a header's value.
pub(crate) fn refuse(front: &str, status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    log::refusal(
        front,
        &format!("{} {}", status.as_u16(), message.trim_end()),
    );
    text(status, message)
}

/// The 503 with `Retry-After: 1` for a request over one of the caps.
pub(crate) fn busy(front: &str, message: &str) -> Response<Full<Bytes>> {
    let mut response = refuse(front, StatusCode::SERVICE_UNAVAILABLE, message);
    response
        .headers_mut()
        .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// `body` as a `text/plain` answer with `status`, not logged.
pub(crate) fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
