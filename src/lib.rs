#![doc = include_str!("../README.md")]
//!
//! # The library
//!
//! The same pipeline the binary runs, for Rust programs:
//!
//! 1. [`RuleTable::classify`] matches the event's JSON against the rule table
//!    (TOML, JSONPath predicates; first match wins).
//! 2. [`synthesize`] builds the HTTP request on the [`Environment`]; HTTP events
//!    pass through as the request they carry ([`passthrough`]).
//! 3. [`Handler::handle`] sends it to the app — any `tower::Service`, such as an
//!    axum `Router`, the built-in [`Echo`] app, or an [`app::Upstream`] server.
//! 4. [`reply`] turns the app's response into what the event source expects.
//!
//! [`lambda::run`] serves Lambda invocations with a service; [`serve::serve`]
//! serves events over HTTP.
//!
//! ```
//! use cloud_events_handler::{Config, Event, Handler};
//!
//! let handler = Handler::new(Config::default());
//! let event = Event::from_slice(br#"{"Records": [{"eventSource": "aws:sqs", "messageId": "1", "body": "hello"}]}"#)?;
//! let explained = handler.explain(&event)?;
//! assert_eq!(explained.requests()[0].uri().path(), "/aws.sqs");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub mod app;
mod classify;
pub mod cli;
pub mod cloudevent;
mod config;
pub mod describe;
mod environment;
mod error;
mod escape;
mod event;
mod handler;
mod headers;
mod invocation;
pub mod lambda;
pub mod passthrough;
mod plan;
pub mod reply;
pub mod rule;
pub mod serve;
mod shown;
mod synthesize;
mod vars;

pub use app::Echo;
pub use classify::{ClassifyError, Match};
pub use config::{Config, MAX_RULES};
pub use environment::{Environment, Settings};
pub use error::{ErrorKind, HandleError};
pub use event::{Event, EventError, DEFAULT_MAX_EVENT_BYTES};
pub use handler::Handler;
pub use headers::{
    DEADLINE_HEADER, FUNCTION_ARN_HEADER, RECORD_GROUP_HEADER, RECORD_ID_HEADER,
    RECORD_INDEX_HEADER, REQUEST_CONTEXT_HEADER, REQUEST_ID_HEADER, RULE_HEADER,
    STAGE_VARIABLES_HEADER, TRACE_ID_HEADER,
};
pub use invocation::Invocation;
pub use passthrough::{HttpFormat, HttpOptions, PassThroughError};
pub use plan::Plan;
pub use reply::{BatchError, Reply};
pub use rule::{
    BatchResponse, BatchSpec, EventReply, Kind, LoadError, ReplyMode, Route, Rule, RuleTable,
};
pub use synthesize::{synthesize, SynthesizeError};
pub use vars::{
    APP_TIMEOUT_VAR, APP_VAR, CONFIG_VAR, DEADLINE_MARGIN_VAR, PORT_VAR, READINESS_PATH_VAR,
    READINESS_TIMEOUT_VAR, SERVE_TOKEN_VAR,
};
