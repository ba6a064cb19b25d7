//! `ceh serve`'s ingest: a request's body as the events it carries (through
//! the CloudEvents HTTP binding and [`Handler::read_event`]), and the facts
//! of the invocation they are handled in.

use bytes::Bytes;
use std::num::NonZeroU64;

use http::{HeaderMap, HeaderName};

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

/// Event Grid's count of earlier deliveries of a push, 0 the first time:
/// https://learn.microsoft.com/azure/event-grid/delivery-and-retry
const EVENT_GRID_DELIVERY_COUNT: HeaderName = HeaderName::from_static("aeg-delivery-count");

/// The invocation a request's events are handled in: the app's deadline,
/// its answers held within the same bound as the bodies, what the broker
/// said in the request's headers ([`BrokerHeaders`]), and the delivery
/// attempt Event Grid's `aeg-delivery-count` says (the count plus one).
pub(super) fn invocation(options: &ServerOptions, headers: &HeaderMap) -> Invocation {
    Invocation {
        deadline: Some(std::time::SystemTime::now() + options.timeout),
        max_answer_bytes: Some(options.max_body),
        brokers: BrokerHeaders::from_request(headers),
        delivery_attempt: event_grid_attempt(headers),
        ..Invocation::default()
    }
}

/// `aeg-delivery-count` plus one, when it is one count of digits.
fn event_grid_attempt(headers: &HeaderMap) -> Option<NonZeroU64> {
    let mut counts = headers.get_all(EVENT_GRID_DELIVERY_COUNT).iter();
    let count = counts.next()?.to_str().ok()?;
    if counts.next().is_some() || count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    count
        .parse::<u64>()
        .ok()?
        .checked_add(1)
        .and_then(NonZeroU64::new)
}
