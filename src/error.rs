//! Why an event could not be handled, and what each front end makes of it.

use http::StatusCode;

use crate::app::{AppError, FailedAnswer};
use crate::classify::ClassifyError;
use crate::passthrough::PassThroughError;
use crate::reply::{BatchError, ReplyError};
use crate::request::SynthesizeError;

/// Why an event could not be handled.
///
/// ```
/// use cloud_events_handler::{Config, Event, HandleError, Handler};
///
/// let handler = Handler::new(Config::parse("c.toml", "[fallback]\nreject = true\n")?);
/// let err = handler.explain(&Event::from_slice(b"{}")?).unwrap_err();
/// assert!(matches!(err, HandleError::Classify(_)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandleError {
    /// No rule matched and the fallback rejects.
    #[error(transparent)]
    Classify(#[from] ClassifyError),
    /// The request could not be built.
    #[error(transparent)]
    Synthesize(#[from] SynthesizeError),
    /// The app did not answer.
    #[error(transparent)]
    App(#[from] AppError),
    /// The app answered with a status that means failure (by default, any
    /// status outside 2xx).
    #[error("rule `{rule}`: the app answered {answer}, which counts as a failure; the event source will retry the event{}", .answer.hint())]
    Failed {
        /// The rule that matched.
        rule: String,
        /// What the app was asked and answered.
        answer: FailedAnswer,
    },
    /// Records of a batch failed and cannot be reported one by one.
    #[error(transparent)]
    Batch(#[from] BatchError),
    /// The app's answer does not fit the rule's reply mode.
    #[error(transparent)]
    Reply(#[from] ReplyError),
    /// A batch holds more records than `[reply] max_records` allows.
    #[error("rule `{rule}`: the batch has {count} records, over the limit of {limit}; raise max_records in [reply] if that is expected")]
    TooManyRecords {
        /// The rule that matched.
        rule: String,
        /// How many records the batch has.
        count: usize,
        /// The limit in force.
        limit: usize,
    },
    /// An HTTP event does not describe a request.
    #[error(transparent)]
    PassThrough(#[from] PassThroughError),
}

/// What went wrong, in the terms a front end acts on: the Lambda front end
/// reports it as the `errorType` ([`ErrorKind::error_type`]), `ceh serve`
/// as a status code. The `Ceh.*` names are listed here and nowhere else; the
/// last three are not an event's: the Lambda front end reports them for a
/// reply it cannot return and a start that failed.
///
/// ```
/// use cloud_events_handler::{Config, ErrorKind, Event, Handler};
///
/// let handler = Handler::new(Config::parse("ceh.toml", "[fallback]\nreject = true\n")?);
/// let err = handler.explain(&Event::from_slice(b"{}")?).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::NoRule);
/// assert_eq!(err.kind().error_type(), "Ceh.NoRule");
/// assert!(!err.is_retryable(), "the same event fails the same way");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No rule matched, and the fallback rejects.
    NoRule,
    /// A rule that validates CloudEvents matched something that is not one.
    InvalidCloudEvent,
    /// An HTTP event does not describe a request.
    InvalidHttpEvent,
    /// A batch holds more records than `[reply] max_records` allows.
    TooManyRecords,
    /// The event's data cannot make a request: it would lead out of its path
    /// (a `..` segment) or onto another rule's route, build a header or a path
    /// longer than app servers take, or cost more to read than an event may.
    InvalidEvent,
    /// The request for the app could not be built.
    InvalidRequest,
    /// The app did not answer in time.
    AppTimeout,
    /// The app could not be reached.
    AppUnreachable,
    /// The app answered with a failure, or its answer broke off.
    AppFailed,
    /// Records of a batch failed, and the source cannot be told which.
    BatchFailed,
    /// The app's answer does not fit the rule's reply, or could not be delivered.
    InvalidReply,
    /// The reply is over Lambda's limit for a function's result.
    ReplyTooLarge,
    /// The function could not start: a configuration or a setting is wrong.
    InvalidConfig,
    /// The function could not start: the app could not be started, or never became ready.
    InitFailed,
}

impl ErrorKind {
    /// The `errorType` the Lambda front end reports (`Ceh.NoRule`, `Ceh.AppTimeout`, …).
    pub fn error_type(self) -> &'static str {
        match self {
            ErrorKind::NoRule | ErrorKind::InvalidCloudEvent => "Ceh.NoRule",
            ErrorKind::InvalidHttpEvent => "Ceh.InvalidHttpEvent",
            ErrorKind::TooManyRecords | ErrorKind::InvalidEvent => "Ceh.InvalidEvent",
            ErrorKind::InvalidRequest => "Ceh.InvalidRequest",
            ErrorKind::AppTimeout => "Ceh.AppTimeout",
            ErrorKind::AppUnreachable => "Ceh.AppUnreachable",
            ErrorKind::AppFailed => "Ceh.AppFailed",
            ErrorKind::BatchFailed => "Ceh.BatchFailed",
            ErrorKind::InvalidReply => "Ceh.InvalidReply",
            ErrorKind::ReplyTooLarge => "Ceh.ReplyTooLarge",
            ErrorKind::InvalidConfig => "Ceh.InvalidConfig",
            ErrorKind::InitFailed => "Ceh.InitFailed",
        }
    }

    /// Every kind, each once: the whole list of `Ceh.*` names is theirs.
    ///
    /// ```
    /// use cloud_events_handler::ErrorKind;
    ///
    /// assert!(ErrorKind::ALL.iter().any(|k| k.error_type() == "Ceh.AppTimeout"));
    /// ```
    pub const ALL: [ErrorKind; 14] = [
        ErrorKind::NoRule,
        ErrorKind::InvalidCloudEvent,
        ErrorKind::InvalidHttpEvent,
        ErrorKind::TooManyRecords,
        ErrorKind::InvalidEvent,
        ErrorKind::InvalidRequest,
        ErrorKind::AppTimeout,
        ErrorKind::AppUnreachable,
        ErrorKind::AppFailed,
        ErrorKind::BatchFailed,
        ErrorKind::InvalidReply,
        ErrorKind::ReplyTooLarge,
        ErrorKind::InvalidConfig,
        ErrorKind::InitFailed,
    ];
}

impl HandleError {
    /// What went wrong, for front ends to act on without matching every variant.
    pub fn kind(&self) -> ErrorKind {
        match self {
            HandleError::Classify(ClassifyError::NoMatch) => ErrorKind::NoRule,
            HandleError::Classify(_) => ErrorKind::InvalidCloudEvent,
            HandleError::PassThrough(_) => ErrorKind::InvalidHttpEvent,
            HandleError::TooManyRecords { .. } => ErrorKind::TooManyRecords,
            // The event's own data is at fault: the same event fails the same way.
            HandleError::Synthesize(
                SynthesizeError::DotSegment { .. }
                | SynthesizeError::NoBody { .. }
                | SynthesizeError::ReservedRoute { .. }
                | SynthesizeError::HeaderTooLarge { .. }
                | SynthesizeError::PathTooLong { .. }
                | SynthesizeError::TooCostly { .. }
                | SynthesizeError::NotAlone { .. },
            ) => ErrorKind::InvalidEvent,
            HandleError::Synthesize(_) => ErrorKind::InvalidRequest,
            HandleError::App(AppError::Timeout { .. }) => ErrorKind::AppTimeout,
            HandleError::App(AppError::Call(_)) => ErrorKind::AppUnreachable,
            HandleError::App(_) | HandleError::Failed { .. } => ErrorKind::AppFailed,
            HandleError::Batch(_) => ErrorKind::BatchFailed,
            HandleError::Reply(_) => ErrorKind::InvalidReply,
        }
    }

    /// Whether sending the same event again could succeed: the app or its
    /// answer was at fault, not the event.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::AppTimeout
                | ErrorKind::AppUnreachable
                | ErrorKind::AppFailed
                | ErrorKind::BatchFailed
                | ErrorKind::InvalidReply
        )
    }

    /// The status the app answered with, when that answer is the failure.
    pub fn app_status(&self) -> Option<StatusCode> {
        match self {
            HandleError::Failed { answer, .. } => Some(answer.status()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The match has no wildcard: a kind added to the enum and not to
    /// [`ErrorKind::ALL`] fails to compile here, or this test.
    fn position(kind: ErrorKind) -> usize {
        match kind {
            ErrorKind::NoRule => 0,
            ErrorKind::InvalidCloudEvent => 1,
            ErrorKind::InvalidHttpEvent => 2,
            ErrorKind::TooManyRecords => 3,
            ErrorKind::InvalidEvent => 4,
            ErrorKind::InvalidRequest => 5,
            ErrorKind::AppTimeout => 6,
            ErrorKind::AppUnreachable => 7,
            ErrorKind::AppFailed => 8,
            ErrorKind::BatchFailed => 9,
            ErrorKind::InvalidReply => 10,
            ErrorKind::ReplyTooLarge => 11,
            ErrorKind::InvalidConfig => 12,
            ErrorKind::InitFailed => 13,
        }
    }

    /// docs/lambda.md's table of `errorType`s names every kind's name, and no other.
    #[test]
    fn every_error_type_is_in_the_lambda_docs_table() {
        for (i, kind) in ErrorKind::ALL.into_iter().enumerate() {
            assert_eq!(position(kind), i, "{kind:?}");
        }
        let docs = include_str!("../docs/lambda.md");
        let table: std::collections::BTreeSet<&str> = docs
            .lines()
            .filter_map(|line| line.strip_prefix("| `Ceh."))
            .filter_map(|rest| rest.split('`').next())
            .collect();
        let names: std::collections::BTreeSet<&str> = ErrorKind::ALL
            .iter()
            .map(|kind| kind.error_type().trim_start_matches("Ceh."))
            .collect();
        assert_eq!(table, names);
    }
}
