//! Why an answer cannot become the reply its rule asks for.

/// Why the app's response cannot be turned into the reply its rule asks for.
///
/// ```
/// use cloud_events_handler::reply::{self, ReplyError};
///
/// let response = http::Response::new(bytes::Bytes::from_static(b"OK"));
/// let err = reply::body("cognito-user-pool", &response).unwrap_err();
/// assert!(matches!(err, ReplyError::BodyNotJson { .. }));
/// assert_eq!(
///     err.to_string(),
///     "rule `cognito-user-pool` replies with the app's body, which must be JSON: the app answered 200 OK \
///      with a body that is not (expected value at line 1 column 1); make the app answer with the JSON the event source expects",
/// );
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// `reply = "body"`, but the body is not JSON.
    #[error("rule `{rule}` replies with the app's body, which must be JSON: the app answered {status} with a body that is not ({reason}); make the app answer with the JSON the event source expects")]
    BodyNotJson {
        /// The rule that matched.
        rule: String,
        /// The status the app answered with.
        status: http::StatusCode,
        /// The JSON parser's reason.
        reason: String,
    },
    /// The custom resource response could not be delivered to CloudFormation.
    #[error("rule `{rule}`: cannot tell CloudFormation the result: {reason}; the stack waits until it times out")]
    CloudFormation {
        /// The rule that matched.
        rule: String,
        /// Why not.
        reason: String,
    },
}
