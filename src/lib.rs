#![doc = include_str!("../README.md")]
//!
//! # The library
//!
//! The same pipeline the binary runs, for Rust programs; each stop is a module,
//! and every module imports only the stops before it (`.ci/check-imports`
//! checks that no two import each other):
//!
//! 1. [`RuleTable::classify`] matches the event's JSON against the rule table
//!    (TOML, JSONPath predicates; first match wins). A rule's [`Route`] says
//!    what the event becomes: an event route with its [`EventReply`], or an
//!    HTTP pass-through in its [`HttpFormat`].
//! 2. [`Handler::explain`] makes the [`Plan`]: the requests the app receives,
//!    synthesized on the [`Environment`] ([`synthesize`]) or carried by an HTTP
//!    event ([`passthrough`]), or ceh's own refusal of one.
//! 3. [`Handler::handle`] sends them to the app — any `tower::Service`, such as
//!    an axum `Router`, the built-in [`Echo`] app, or an [`app::Upstream`] server.
//! 4. The app's answers become a typed [`Reply`], which each front end renders:
//!    [`lambda::run`] as the JSON the event source expects, [`serve::serve`] as
//!    the app's own HTTP response. A failure is a [`HandleError`], whose
//!    [`kind`](HandleError::kind) the front ends map to an `errorType` or a status.
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
mod error;
mod escape;
mod event;
pub mod functions;
mod handler;
mod headers;
mod invocation;
pub mod lambda;
mod operator_file;
pub mod passthrough;
mod plan;
mod read;
pub mod reply;
pub mod rule;
pub mod serve;
mod shown;
mod synthesize;
mod vars;

pub use app::Echo;
pub use classify::{ClassifyError, Match};
pub use config::environment::{Environment, Settings};
pub use config::{Config, MAX_RULES};
pub use error::{ErrorKind, HandleError};
pub use event::{Event, EventError, DEFAULT_MAX_EVENT_BYTES};
pub use handler::Handler;
pub use headers::{
    DEADLINE_HEADER, DROP_HEADER, FORWARDED_PREFIX_HEADER, FUNCTION_ARN_HEADER,
    FUNCTION_NAME_HEADER, LWA_LAMBDA_CONTEXT_HEADER, LWA_REQUEST_CONTEXT_HEADER, METADATA_HEADER,
    RECORD_GROUP_HEADER, RECORD_ID_HEADER, RECORD_INDEX_HEADER, REQUEST_CONTEXT_HEADER,
    REQUEST_ID_HEADER, RULE_HEADER, STAGE_VARIABLES_HEADER, TRACE_ID_HEADER,
};
pub use invocation::Invocation;
pub use passthrough::{HttpFormat, HttpOptions, PassThroughError};
pub use plan::Plan;
pub use reply::{BatchError, Reply};
pub use rule::{
    AnswerSpec, BatchResponse, BatchSpec, EventReply, Kind, LoadError, ReplyMode, Route, Rule,
    RuleTable,
};
pub use synthesize::{synthesize, SynthesizeError};
pub use vars::{
    APP_TIMEOUT_VAR, APP_VAR, ASYNC_INIT_TIMEOUT_VAR, ASYNC_INIT_VAR, CONFIG_VAR,
    DEADLINE_MARGIN_VAR, FUNCTIONS_PORT_VAR, INVOKE_MODE_VAR, LOG_VAR, POOL_IDLE_TIMEOUT_VAR,
    PORT_VAR, READINESS_PATH_VAR, READINESS_TIMEOUT_VAR, SERVE_TOKEN_VAR,
};
