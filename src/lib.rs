//! Route any cloud event to an ordinary web app, as an HTTP request.
//!
//! A Lambda function receives events that are not HTTP — S3 notifications,
//! SQS batches, EventBridge events, Cognito triggers, CloudEvents — and web
//! frameworks understand only HTTP. `cloud-events-handler` (the `ceh` binary)
//! sits between them:
//!
//! 1. [`RuleTable::classify`] matches the event's JSON against a declarative
//!    rule table (TOML, JSONPath predicates; first match wins).
//! 2. [`synthesize`] builds the HTTP request, `POST /aws.s3` or a path taken
//!    from the event (`/{$.source}`), on a default [`Environment`].
//! 3. [`Handler::handle`] sends it to the app — any `tower::Service`, such as an
//!    axum `Router`, or the built-in [`Echo`] app.
//! 4. [`reply`] turns the app's response into what the event source expects.
//!
//! ```
//! use cloud_events_handler::{Config, Echo, Event, Handler};
//!
//! let handler = Handler::new(Config::default());
//! let event = Event::from_slice(br#"{"Records": [{"eventSource": "aws:sqs", "body": "hello"}]}"#)?;
//! let explained = handler.explain(&event)?;
//! assert_eq!(explained.requests()[0].uri().path(), "/aws.sqs");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The rule format and the built-in routes are documented in `docs/rules.md`.

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub mod app;
pub mod batch;
mod classify;
pub mod cloudevent;
mod config;
pub mod describe;
mod environment;
mod event;
mod handler;
mod invocation;
pub mod lambda;
pub mod passthrough;
pub mod reply;
pub mod rule;
pub mod serve;
mod synthesize;

pub use app::Echo;
pub use classify::{ClassifyError, Match};
pub use config::{Config, CONFIG_VAR};
pub use environment::{Environment, Settings};
pub use event::{Event, EventError, DEFAULT_MAX_EVENT_BYTES};
pub use handler::{
    Explanation, HandleError, Handler, RECORD_GROUP_HEADER, RECORD_ID_HEADER, RECORD_INDEX_HEADER,
};
pub use invocation::{
    Invocation, DEADLINE_HEADER, FUNCTION_ARN_HEADER, REQUEST_ID_HEADER, TRACE_ID_HEADER,
};
pub use passthrough::{HttpOptions, PassThroughError};
pub use rule::{Kind, LoadError, ReplyMode, Rule, RuleTable};
pub use synthesize::{synthesize, synthesize_with_body, SynthesizeError, RULE_HEADER};
