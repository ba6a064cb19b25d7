#![doc = include_str!("../README.md")]
//!
//! # The library
//!
//! The same pipeline the binary runs, for Rust programs; each stop is a module,
//! and every module imports only the stops before it (`.ci/check-imports`
//! checks that no two import each other):
//!
//! 1. [`RuleTable::classify`] matches the event's JSON against the rule table
//!    (TOML, JSONPath predicates; first match wins). A rule's [`Route`](rule::Route) says
//!    what the event becomes: an event route with its [`EventReply`](rule::EventReply), or an
//!    HTTP pass-through in its [`HttpFormat`](passthrough::HttpFormat).
//! 2. [`Handler::explain`] makes the [`Plan`]: the requests the app receives,
//!    synthesized on the [`Environment`] ([`request`]) or carried by an HTTP
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
pub mod cloudevent;
mod config;
pub mod describe;
mod error;
mod escape;
mod event;
#[cfg(test)]
mod front_ends;
pub mod functions;
mod handler;
pub mod headers;
mod invocation;
pub mod lambda;
pub mod operator_file;
pub mod passthrough;
mod plan;
mod read;
pub mod reply;
pub mod request;
pub mod rule;
pub mod serve;
mod server;
mod shown;
mod statuses;
pub mod trace;
pub mod vars;

pub use app::Echo;
pub use classify::{ClassifyError, Match};
pub use config::environment::{Environment, Settings};
pub use config::Config;
pub use error::{ErrorKind, HandleError};
pub use event::{Event, EventError, DEFAULT_MAX_EVENT_BYTES};
pub use handler::Handler;
pub use invocation::Invocation;
pub use plan::Plan;
pub use reply::Reply;
pub use rule::{LoadError, Rule, RuleTable};
pub use statuses::Statuses;
