//! Why a matched event could not become a request.

use crate::passthrough::HttpFormat;

/// Why a matched event could not become a request.
///
/// ```
/// use cloud_events_handler::{request::synthesize, Environment, Event, RuleTable, request::SynthesizeError};
///
/// let table = RuleTable::builtin();
/// let event = Event::from_slice(br#"{"httpMethod": "GET", "path": "/", "requestContext": {}}"#)?;
/// // HTTP events are not synthesized: they pass through (`passthrough::request`).
/// let err = synthesize(&table.classify(&event)?, &event, &Environment::default()).unwrap_err();
/// assert!(matches!(err, SynthesizeError::PassThrough { .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SynthesizeError {
    /// The pieces did not form a valid request (a bug in ceh's escaping if it ever shows).
    #[error("rule `{rule}`: the synthesized request is invalid: {source}")]
    Invalid {
        /// The rule that matched.
        rule: String,
        /// What `http` refused.
        source: http::Error,
    },
    /// A batch record's JSON does not give its path's placeholders a usable string.
    #[error("rule `{rule}`: record {index} has no usable value for the path {path}; every record needs a string with a path segment in it")]
    Unresolved {
        /// The rule that matched.
        rule: String,
        /// The record's position in the batch.
        index: usize,
        /// The path template.
        path: String,
    },
    /// A handshake ceh answers itself (`reply = "answer"`, Event Grid's
    /// subscription validation) came with events after it: answering it would
    /// acknowledge them unseen.
    #[error("rule `{rule}`: a subscription handshake comes alone, and this delivery has {more} more events after it, which answering it would acknowledge without the app seeing them; the delivery is refused")]
    NotAlone {
        /// The rule that matched.
        rule: String,
        /// How many events came after the handshake.
        more: usize,
    },
    /// A value for the path holds a segment that a server would read as `.`
    /// or `..` (after percent-decoding, or before a `;` parameter), which
    /// would lead the request out of the rule's path and the base path.
    #[error("rule `{rule}`: the value \"{value}\" for the path {path} has a `.` or `..` segment, which would lead the request out of its path; the event is refused")]
    DotSegment {
        /// The rule that matched.
        rule: String,
        /// The path template.
        path: String,
        /// The value, escaped and cut short.
        value: String,
    },
    /// The path a value makes is, as a server may read it (in another case,
    /// with other slashes, percent-encoded, with a `;` parameter…), the route
    /// of another rule: the event would pose as that rule's events.
    #[error("rule `{rule}`: the value \"{value}\" makes the path {made}, which a server may read as {route}, the route of rule `{owner}`; event routes belong to their rules, so the event is refused")]
    ReservedRoute {
        /// The rule that matched.
        rule: String,
        /// The value (each placeholder's, comma-separated), escaped and cut short.
        value: String,
        /// The path the value made, escaped and cut short.
        made: String,
        /// The other rule's route, as it writes it.
        route: String,
        /// The rule the route belongs to.
        owner: String,
    },
    /// A header ceh built from event data, or all of the request's headers
    /// together, would be longer than an app server takes (it would answer 431).
    #[error("rule `{rule}`: the header {header} would be {size} bytes, over the limit of {limit}; the event is refused rather than sent to be refused by the app's server")]
    HeaderTooLarge {
        /// The rule that matched.
        rule: String,
        /// The header's name, or `all headers` for their sum.
        header: String,
        /// Its size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The path the event's values make is longer than an app server takes
    /// (it would answer 414).
    #[error("rule `{rule}`: the path the event's values make for {path} would be {size} bytes, over the limit of {limit}; the event is refused")]
    PathTooLong {
        /// The rule that matched.
        rule: String,
        /// The path template.
        path: String,
        /// The path's size in bytes (without the base path and query).
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Evaluating a rule's JSONPath query on the event took more work than
    /// an event may cost (its nodes visited, filters included).
    #[error("rule `{rule}`: evaluating the JSONPath {query} on this event took more than the {limit} steps of work an event of its size may cost; the event is refused (write the query with fewer wildcards, filters and slices, or test it with `ceh explain`)")]
    TooCostly {
        /// The rule the query was evaluated for.
        rule: String,
        /// The query, as written.
        query: String,
        /// The event's work budget.
        limit: u64,
    },
    /// The rule's `body` query selects nothing in the event (or record).
    #[error(
        "rule `{rule}`: the event has nothing at {path}, the rule's `body` (or, for `decode`, no string in that encoding); the event is refused"
    )]
    NoBody {
        /// The rule that matched.
        rule: String,
        /// The `body` query.
        path: String,
    },
    /// HTTP events are passed through by the Lambda front end, not synthesized.
    #[error("rule `{rule}` is an http rule ({format}): its request is the one the event carries, passed through as it is")]
    PassThrough {
        /// The rule that matched.
        rule: String,
        /// The event's HTTP shape.
        format: HttpFormat,
    },
}
