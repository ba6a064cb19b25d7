//! Replies: what the event source gets once the app has answered.
//!
//! A [`Reply`] is typed: each front end renders it as its sender expects. The
//! Lambda front end returns [`Reply::into_json`] (the `{status_code, body,
//! headers}` dict, the app's bare body, `batchItemFailures`, …); `ceh serve`
//! answers with [`Reply::into_response`], the app's own response where there
//! is one.

pub(crate) mod batch;
pub mod cloudformation;
mod dict;
mod error;
mod policy;
mod render;

pub use batch::BatchError;
pub use dict::{body, dict};
pub use error::ReplyError;
pub use policy::{ReplyPolicy, DEFAULT_CONCURRENCY, DEFAULT_MAX_RECORDS};
pub(crate) use render::json_response;
pub use render::{FirehoseRecord, FirehoseResult, Reply};
