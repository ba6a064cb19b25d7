//! The app: any `tower::Service` that takes an HTTP request and answers with a response.
//!
//! Rust users pass their own service (an axum `Router` works as it is);
//! [`Echo`] is the built-in app that answers with what it received.

mod call;
mod deadline;
mod echo;
mod failed;
pub(crate) mod fanout;
mod invocation_headers;
mod pool;
mod process;
mod resend;
pub(crate) mod upstream;

pub use call::{call, App, AppError, BoxError, SendApp, MAX_RESPONSE_BYTES};
pub(crate) use call::{call_limited, open};
pub(crate) use deadline::{Deadline, DeadlineBody, DeadlineLayer};
pub use echo::Echo;
pub use failed::FailedAnswer;
pub use fanout::Verdict;
pub(crate) use invocation_headers::{InvocationHeaders, InvocationHeadersLayer};
pub use pool::DEFAULT_POOL_IDLE_TIMEOUT;
pub use process::{AppProcess, ProcessError, DEFAULT_READINESS_PATH, DEFAULT_READINESS_TIMEOUT};
pub(crate) use upstream::innermost;
pub use upstream::{Readiness, Upstream, UpstreamError};
