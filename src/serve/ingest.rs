//! `ceh serve`'s ingest: a request's body as the events it carries (through
//! the CloudEvents HTTP binding and [`Handler::read_event`]), and the facts
//! of the invocation they are handled in.

use bytes::Bytes;
use http::HeaderMap;

use crate::cloudevent::binding::{self, HttpEventError};
use crate::event::Event;
use crate::handler::Handler;
use crate::invocation::Invocation;
use crate::server::ServerOptions;

/// The events a request carries: one, or a CloudEvents batch's, in order.
pub(crate) fn events(
    handler: &Handler,
    headers: &HeaderMap,
    body: Bytes,
    max_body: usize,
) -> Result<Vec<Event>, HttpEventError> {
    binding::events(headers, body, max_body, |bytes| {
        handler.read_event(bytes, max_body)
    })
}

/// The invocation a request's events are handled in: the app's deadline,
/// and its answers held within the same bound as the bodies.
pub(super) fn invocation(options: &ServerOptions) -> Invocation {
    Invocation {
        deadline: Some(std::time::SystemTime::now() + options.timeout),
        max_answer_bytes: Some(options.max_body),
        ..Invocation::default()
    }
}
