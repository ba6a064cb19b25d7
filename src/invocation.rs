//! One invocation's facts (request id, deadline, function ARN, trace id), passed to the app as headers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, HeaderValue};

/// `ceh-request-id`: the Lambda request id of the invocation.
///
/// ```
/// use cloud_events_handler::{Invocation, REQUEST_ID_HEADER};
///
/// let mut headers = http::HeaderMap::new();
/// Invocation { request_id: Some("r1".into()), ..Invocation::default() }.add_headers(&mut headers);
/// assert_eq!(headers[REQUEST_ID_HEADER], "r1");
/// ```
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("ceh-request-id");
/// `ceh-deadline-ms`: when the invocation times out, in milliseconds since the Unix epoch.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use cloud_events_handler::{Invocation, DEADLINE_HEADER};
///
/// let deadline = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
/// let mut headers = http::HeaderMap::new();
/// Invocation { deadline: Some(deadline), ..Invocation::default() }.add_headers(&mut headers);
/// assert_eq!(headers[DEADLINE_HEADER], "1700000000123");
/// ```
pub const DEADLINE_HEADER: HeaderName = HeaderName::from_static("ceh-deadline-ms");
/// `ceh-function-arn`: the ARN the function was invoked with.
///
/// ```
/// use cloud_events_handler::{Invocation, FUNCTION_ARN_HEADER};
///
/// let arn = "arn:aws:lambda:eu-west-1:123456789012:function:orders";
/// let mut headers = http::HeaderMap::new();
/// Invocation { function_arn: Some(arn.into()), ..Invocation::default() }.add_headers(&mut headers);
/// assert_eq!(headers[FUNCTION_ARN_HEADER], arn);
/// ```
pub const FUNCTION_ARN_HEADER: HeaderName = HeaderName::from_static("ceh-function-arn");
/// `x-amzn-trace-id`: the X-Ray trace header, under the name X-Ray SDKs read.
///
/// ```
/// use cloud_events_handler::{Invocation, TRACE_ID_HEADER};
///
/// let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1";
/// let mut headers = http::HeaderMap::new();
/// Invocation { trace_id: Some(trace.into()), ..Invocation::default() }.add_headers(&mut headers);
/// assert_eq!(headers["x-amzn-trace-id"], trace);
/// assert_eq!(TRACE_ID_HEADER, "x-amzn-trace-id");
/// ```
pub const TRACE_ID_HEADER: HeaderName = HeaderName::from_static("x-amzn-trace-id");

/// What is known about the invocation an event arrived with.
///
/// Every field is optional: `ceh invoke` has none of them, a Lambda
/// invocation has all. The app sees each known field as a request header, and
/// the deadline bounds how long the app may take.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use cloud_events_handler::Invocation;
///
/// let invocation = Invocation {
///     request_id: Some("8f5a…".into()),
///     deadline: Some(UNIX_EPOCH + Duration::from_millis(1_700_000_000_000)),
///     ..Invocation::default()
/// };
/// let mut headers = http::HeaderMap::new();
/// invocation.add_headers(&mut headers);
/// assert_eq!(headers["ceh-request-id"], "8f5a…".replace('…', "%E2%80%A6"));
/// assert_eq!(headers["ceh-deadline-ms"], "1700000000000");
/// ```
#[derive(Clone, Debug, Default)]
pub struct Invocation {
    /// The Lambda request id.
    pub request_id: Option<String>,
    /// When the app's answer must have arrived (the Lambda deadline less a margin).
    pub deadline: Option<SystemTime>,
    /// The invoked function's ARN.
    pub function_arn: Option<String>,
    /// The X-Ray trace header value.
    pub trace_id: Option<String>,
}

impl Invocation {
    /// Adds the known facts as headers, replacing any of the same name.
    pub fn add_headers(&self, headers: &mut HeaderMap) {
        let text = [
            (REQUEST_ID_HEADER, self.request_id.as_deref()),
            (FUNCTION_ARN_HEADER, self.function_arn.as_deref()),
            (TRACE_ID_HEADER, self.trace_id.as_deref()),
        ];
        for (name, value) in text {
            if let Some(value) = value {
                headers.insert(name, crate::synthesize::header_value(value));
            }
        }
        if let Some(ms) = self
            .deadline
            .and_then(|d| d.duration_since(UNIX_EPOCH).ok())
        {
            headers.insert(DEADLINE_HEADER, HeaderValue::from(ms.as_millis() as u64));
        }
    }

    /// How long the app has left, if there is a deadline (zero once it has passed).
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use cloud_events_handler::Invocation;
    ///
    /// assert_eq!(Invocation::default().remaining(), None);
    /// let past = Invocation { deadline: Some(SystemTime::now() - Duration::from_secs(1)), ..Invocation::default() };
    /// assert_eq!(past.remaining(), Some(Duration::ZERO));
    /// let soon = Invocation { deadline: Some(SystemTime::now() + Duration::from_secs(60)), ..Invocation::default() };
    /// assert!(soon.remaining() > Some(Duration::from_secs(50)));
    /// ```
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline.map(|d| {
            d.duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO)
        })
    }
}
