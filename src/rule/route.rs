//! What a matched event becomes: an event route with its reply, or an HTTP pass-through.

use std::fmt;

use super::answer::AnswerSpec;
use super::batch::BatchSpec;
use super::template::Template;
use crate::passthrough::HttpFormat;

/// What a matched event becomes. Each fact is stated once: an HTTP rule has
/// a format and nothing else, an event rule a path and a reply, and only a
/// batch reply carries the `[rule.batch]` table that says where its records are.
///
/// ```
/// use cloud_events_handler::{rule::EventReply, passthrough::HttpFormat, rule::Route, RuleTable};
///
/// let table = RuleTable::builtin();
/// assert!(matches!(table.get("s3").unwrap().route(), Route::Event { path, .. } if path.as_str() == "/aws.s3"));
/// assert!(matches!(table.get("alb").unwrap().route(), Route::Http(HttpFormat::Alb)));
/// assert!(matches!(table.get("sqs").unwrap().route(), Route::Event { reply: EventReply::Batch(_), .. }));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Route {
    /// An event route: a request to this path (static or templated), and the
    /// reply the event source gets once the app has answered.
    Event {
        /// The request path, under the environment's base path.
        path: Template,
        /// What the event source gets back.
        reply: EventReply,
    },
    /// An HTTP event (API Gateway, ALB, …) that passes through as the request
    /// it describes, and is answered in its source's HTTP shape.
    Http(HttpFormat),
}

/// What an event route replies to its source once the app has answered.
///
/// ```
/// use cloud_events_handler::{rule::EventReply, rule::Route, RuleTable};
///
/// let table = RuleTable::builtin();
/// let reply = |name: &str| match table.get(name).map(|rule| rule.route()) {
///     Some(Route::Event { reply, .. }) => Some(reply.mode()),
///     _ => None,
/// };
/// assert_eq!(reply("cognito-user-pool").map(|mode| mode.to_string()).as_deref(), Some("body"));
/// assert_eq!(reply("alb"), None, "an http rule has no event reply");
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum EventReply {
    /// `{"status_code", "body", "headers"}` — the default for event routes.
    Dict,
    /// The app's response body, parsed as JSON, is the result (synchronous triggers).
    Body,
    /// One request per record, as the spec finds them; failures reported per
    /// record where the source allows (queues and streams).
    Batch(BatchSpec),
    /// CloudFormation custom resources: the result is PUT to the event's `ResponseURL`.
    CloudFormation,
    /// Answered at once, without calling the app (warm-up pings).
    Ignore,
    /// Answered by ceh itself with JSON read from the event, without calling
    /// the app (a subscription handshake).
    Answer(AnswerSpec),
}

impl EventReply {
    /// The reply mode's name, as a rule file writes it.
    pub fn mode(&self) -> ReplyMode {
        match self {
            EventReply::Dict => ReplyMode::Dict,
            EventReply::Body => ReplyMode::Body,
            EventReply::Batch(_) => ReplyMode::Batch,
            EventReply::CloudFormation => ReplyMode::Cloudformation,
            EventReply::Ignore => ReplyMode::Ignore,
            EventReply::Answer(_) => ReplyMode::Answer,
        }
    }
}

/// What the Lambda returns to the event source once the app has answered.
///
/// ```
/// use cloud_events_handler::{rule::ReplyMode, RuleTable};
///
/// let table = RuleTable::builtin();
/// assert_eq!(table.get("s3").map(|rule| rule.reply()), Some(ReplyMode::Dict));
/// assert_eq!(table.get("warmup").map(|rule| rule.reply()), Some(ReplyMode::Ignore));
/// assert_eq!(ReplyMode::Cloudformation.to_string(), "cloudformation");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ReplyMode {
    /// `{"status_code", "body", "headers"}` — the default for event routes.
    Dict,
    /// The app's response body, parsed as JSON, is the result (synchronous triggers).
    Body,
    /// One request per record; failures reported per record (queues and streams).
    Batch,
    /// CloudFormation custom resources: the result is PUT to the event's `ResponseURL`.
    Cloudformation,
    /// Answered at once, without calling the app (warm-up pings).
    Ignore,
    /// ceh answers with the JSON `[rule.answer]` reads from the event; the app is not called.
    Answer,
    /// The response in the shape the HTTP event source expects (`kind = "http"` only).
    Http,
}

impl fmt::Display for ReplyMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReplyMode::Dict => "dict",
            ReplyMode::Body => "body",
            ReplyMode::Batch => "batch",
            ReplyMode::Cloudformation => "cloudformation",
            ReplyMode::Ignore => "ignore",
            ReplyMode::Answer => "answer",
            ReplyMode::Http => "http",
        })
    }
}
