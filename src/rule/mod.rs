//! The rule table: what an event is, and where it goes.
//!
//! Rules are written in TOML (see `docs/rules.md`), compiled once by
//! [`RuleTable::builtin`] or [`Config`](crate::Config) into a [`RuleTable`], and
//! tried in order by [`RuleTable::classify`](crate::RuleTable::classify).

mod answer;
mod batch;
mod body;
mod builtin;
mod cloudevent;
mod compile;
mod compiled;
mod entries;
mod error;
mod eval;
mod metadata;
mod predicate;
mod query;
mod reads;
mod reserved;
mod route;
mod table;
mod template;
mod trace;
mod written;

pub use answer::AnswerSpec;
pub use batch::{BatchResponse, BatchSpec, ItemIdentifier, Record};
pub use builtin::BUILTIN_FILES;
pub use cloudevent::CloudEventSpec;
pub use compiled::Rule;
pub use error::LoadError;
pub use predicate::Predicate;
pub use route::{EventReply, ReplyMode, Route};
pub use table::RuleTable;
pub use template::{Template, MAX_TEMPLATE_LEN};
pub use trace::{TraceFormat, TraceSource};

pub(crate) use body::Body;
pub(crate) use builtin::{builtin_rules, default_fallback};
pub(crate) use compile::{compile_rules, fallback_rule, RawFallback};
pub(crate) use eval::{budget, metered, Meter, Overrun};
pub(crate) use reserved::Owner;
pub(crate) use table::pinned_paths;
pub(crate) use template::Part;
pub use written::Origin;
pub(crate) use written::{line_of, Source};

#[cfg(test)]
pub(crate) use query::Query;
