//! Why an HTTP event could not become the request it describes.

use super::format::HttpFormat;
use crate::shown::{quoted, redacted};

/// Why an HTTP event could not become a request.
///
/// Every message is one lowercase line that names the event format and the
/// field at fault (`headers.x-name`, `body`, `requestContext.http.method`…).
/// They are the client's fault or a malformed test event, never ceh's: the
/// caller answers them with a 400-style reply.
///
/// ```
/// use cloud_events_handler::passthrough::{self, HttpOptions, PassThroughError};
/// use cloud_events_handler::{Event, passthrough::HttpFormat};
///
/// let event = Event::from_slice(br#"{"version": "3.0", "method": "GET", "path": "/"}"#)?;
/// let err = passthrough::request(HttpFormat::VpcLattice, &event, &HttpOptions::default()).unwrap_err();
/// assert!(matches!(err, PassThroughError::Version { .. }));
/// assert_eq!(err.to_string(), r#"vpc-lattice event: `version` is "3.0"; expected "2.0", or no `version` for the v1 payload"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PassThroughError {
    /// The event does not deserialize into the format's `aws_lambda_events` type.
    #[error("{format} event: does not have the {format} shape: {reason}; check that the rule matching it names the right `format`")]
    Shape {
        /// The format the rule chose.
        format: HttpFormat,
        /// What the deserializer refused, naming the field.
        reason: String,
    },
    /// A field that must be a string, an array of strings or an object is something else.
    #[error("{format} event: `{field}` must be {expected}")]
    Field {
        /// The format the rule chose.
        format: HttpFormat,
        /// The field, as a path (`multiValueHeaders.accept[1]`).
        field: String,
        /// What it must be.
        expected: &'static str,
    },
    /// `isBase64Encoded` is true but the body is not base64.
    #[error("{format} event: `body` is marked isBase64Encoded but is not valid base64: {reason}")]
    Base64 {
        /// The format the rule chose.
        format: HttpFormat,
        /// What the decoder found.
        reason: String,
    },
    /// A header name or value that HTTP cannot carry (CR, LF, NUL, a space in a name…).
    #[error(
        "{format} event: `{field}` is not a valid header {part}: {}",
        quoted(value)
    )]
    Header {
        /// The format the rule chose.
        format: HttpFormat,
        /// The field, as a path (`headers.x-name`, `cookies[0]`).
        field: String,
        /// `name` or `value`.
        part: &'static str,
        /// The offending text.
        value: String,
    },
    /// The method is missing or not an HTTP method.
    #[error("{format} event: `{field}` is not an HTTP method: {}", quoted(value))]
    Method {
        /// The format the rule chose.
        format: HttpFormat,
        /// The field that holds the method.
        field: &'static str,
        /// The offending text (empty when missing).
        value: String,
    },
    /// The host the request is for is not a host name.
    #[error(
        "{format} event: `{field}` is not a host name (with an optional port): {}",
        quoted(value)
    )]
    Host {
        /// The format the rule chose.
        format: HttpFormat,
        /// `headers.host` or `requestContext.domainName`.
        field: &'static str,
        /// The offending text.
        value: String,
    },
    /// A VPC Lattice event with a payload version ceh does not know.
    #[error(
        "{format} event: `version` is {}; expected \"2.0\", or no `version` for the v1 payload",
        quoted(value)
    )]
    Version {
        /// The format the rule chose.
        format: HttpFormat,
        /// The version found.
        value: String,
    },
    /// The pieces did not form a valid request URI (a bug in ceh's escaping if it ever shows).
    #[error(
        "{format} event: the request URI \"{}\" is invalid: {source}",
        redacted(uri)
    )]
    Uri {
        /// The format the rule chose.
        format: HttpFormat,
        /// The URI as built.
        uri: String,
        /// What `http` refused.
        source: http::Error,
    },
}

impl PassThroughError {
    /// A field of the wrong JSON type.
    pub(super) fn field(format: HttpFormat, field: String, expected: &'static str) -> Self {
        Self::Field {
            format,
            field,
            expected,
        }
    }

    /// Whether the fault is the HTTP client's (a header, host, method or body
    /// it sent): answer with a 400 reply in the source's shape. Otherwise the
    /// event is not what its rule says (a configuration problem), or ceh has a bug.
    ///
    /// ```
    /// use cloud_events_handler::passthrough::{self, HttpOptions};
    /// use cloud_events_handler::{Event, passthrough::HttpFormat};
    ///
    /// let event = Event::from_slice(br#"{"httpMethod": "POST", "path": "/", "requestContext": {"httpMethod": "POST"},
    ///                                    "body": "not base64!", "isBase64Encoded": true}"#)?;
    /// let err = passthrough::request(HttpFormat::ApiGatewayV1, &event, &HttpOptions::default()).unwrap_err();
    /// assert!(err.is_bad_request(), "the client sent it: {err}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_bad_request(&self) -> bool {
        matches!(
            self,
            Self::Base64 { .. } | Self::Header { .. } | Self::Method { .. } | Self::Host { .. }
        )
    }

    /// The format of the event at fault.
    ///
    /// ```
    /// use cloud_events_handler::passthrough::{self, HttpOptions};
    /// use cloud_events_handler::{Event, passthrough::HttpFormat};
    ///
    /// let event = Event::from_slice(br#"{"version": "3.0"}"#)?;
    /// let err = passthrough::request(HttpFormat::VpcLattice, &event, &HttpOptions::default()).unwrap_err();
    /// assert_eq!(err.format(), HttpFormat::VpcLattice);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn format(&self) -> HttpFormat {
        match self {
            Self::Shape { format, .. }
            | Self::Field { format, .. }
            | Self::Base64 { format, .. }
            | Self::Header { format, .. }
            | Self::Method { format, .. }
            | Self::Host { format, .. }
            | Self::Version { format, .. }
            | Self::Uri { format, .. } => *format,
        }
    }
}
