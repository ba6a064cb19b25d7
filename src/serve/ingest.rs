//! `ceh serve`'s ingest: a request's body as the events it carries (through
//! the CloudEvents HTTP binding and [`Handler::read_event`]), and the facts
//! of the invocation they are handled in.

use bytes::Bytes;
use http::HeaderMap;

use crate::cloudevent::binding::{self, HttpEventError};
use crate::event::Event;
use crate::handler::Handler;
use crate::invocation::{BrokerHeaders, Invocation};
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
/// its answers held within the same bound as the bodies, and what the
/// broker said in the request's headers ([`BrokerHeaders`]).
pub(super) fn invocation(options: &ServerOptions, headers: &HeaderMap) -> Invocation {
    Invocation {
        deadline: Some(std::time::SystemTime::now() + options.timeout),
        max_answer_bytes: Some(options.max_body),
        brokers: BrokerHeaders::from_request(headers),
        ..Invocation::default()
    }
}
