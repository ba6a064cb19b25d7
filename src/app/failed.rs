//! An answer of the app's that counts as a failure, as an error message repeats it.

use std::fmt;

use bytes::Bytes;
use http::{Method, Response, StatusCode, Uri};

use crate::shown::{redacted, shown};

/// The most characters of the app's body an error message repeats.
const MAX_BODY_SHOWN: usize = 120;

/// What the app was asked and what it answered, when that answer is a
/// failure: the method, the path (never the query, where secrets live), the
/// status and the first characters of the body, escaped onto one line.
///
/// ```
/// use cloud_events_handler::app::FailedAnswer;
///
/// let request = http::Request::post("/aws.sqs?token=secret").body(())?;
/// let response = http::Response::builder().status(404).body(bytes::Bytes::from_static(b"<h1>Not\r\nFound</h1>"))?;
/// let answer = FailedAnswer::new(&request, &response);
/// assert_eq!(answer.status(), 404);
/// assert_eq!(
///     answer.to_string(),
///     r#"404 Not Found to POST /aws.sqs with "<h1>Not\r\nFound</h1>""#,
/// );
/// # Ok::<(), http::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedAnswer {
    method: Method,
    path: String,
    status: StatusCode,
    body: String,
}

impl FailedAnswer {
    /// The failed answer `response` to `request`.
    pub fn new<A>(request: &http::Request<A>, response: &Response<Bytes>) -> Self {
        Self::of(request.method(), request.uri(), response)
    }

    /// The failed answer `response` to a `method` request for `uri`.
    pub(crate) fn of(method: &Method, uri: &Uri, response: &Response<Bytes>) -> Self {
        Self {
            method: method.clone(),
            path: redacted(uri.path()),
            status: response.status(),
            body: shown(&String::from_utf8_lossy(response.body()), MAX_BODY_SHOWN),
        }
    }

    /// The status the app answered with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// A hint for the answers that mean the app has no such route.
    pub(crate) fn hint(&self) -> &'static str {
        match self.status.as_u16() {
            404 | 405 => "; does the app have a route for this method and path?",
            300..=399 => "; ceh does not follow redirects: route the exact path the app serves",
            _ => "",
        }
    }
}

impl fmt::Display for FailedAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to {} {}", self.status, self.method, self.path)?;
        if self.body.is_empty() {
            f.write_str(" with an empty body")
        } else {
            write!(f, " with \"{}\"", self.body)
        }
    }
}
