//! What a broker said in the headers of a delivery to `ceh serve`, checked
//! and kept for every request of the delivery: W3C Trace Context, Knative's
//! `Prefer: reply`, Event Grid's `aeg-*`, and Pub/Sub's `x-goog-pubsub-*`.

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::headers::{
    EVENT_GRID_HEADERS, PREFER_HEADER, PUBSUB_METADATA_PREFIX, TRACEPARENT_HEADER,
    TRACESTATE_HEADER,
};
use crate::trace::TraceContext;

/// The most bytes of one broker header passed on (a `tracestate` is held to
/// [`MAX_TRACESTATE_BYTES`](crate::trace::MAX_TRACESTATE_BYTES)).
const MAX_VALUE_BYTES: usize = 1024;

/// The most `x-goog-pubsub-*` headers passed on (Pub/Sub writes four).
const MAX_PUBSUB_HEADERS: usize = 8;

/// [`EVENT_GRID_HEADERS`] as header names, made when ceh is compiled: one
/// made from text at run time is checked again on every request.
const EVENT_GRID_NAMES: [HeaderName; 5] = {
    let [a, b, c, d, e] = EVENT_GRID_HEADERS;
    [
        HeaderName::from_static(a),
        HeaderName::from_static(b),
        HeaderName::from_static(c),
        HeaderName::from_static(d),
        HeaderName::from_static(e),
    ]
};

/// The broker headers of one delivery that reach the app, each checked:
/// a well-formed `traceparent` (and its `tracestate`), `Prefer: reply`,
/// Event Grid's five `aeg-*` and Pub/Sub's `x-goog-pubsub-*` metadata, one
/// value each. Nothing else of the request passes: not a hop-by-hop header,
/// not a `ceh-*` one.
///
/// ```
/// use cloud_events_handler::serve::BrokerHeaders;
///
/// let mut request = http::HeaderMap::new();
/// request.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse()?);
/// request.insert("aeg-delivery-count", "2".parse()?);
/// request.insert("connection", "close".parse()?);
/// let brokers = BrokerHeaders::from_request(&request);
/// let names: Vec<&str> = brokers.iter().map(|(name, _)| name.as_str()).collect();
/// assert_eq!(names, ["traceparent", "aeg-delivery-count"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BrokerHeaders {
    /// The delivery's trace context, which a record's own replaces.
    trace: Option<TraceContext>,
    /// The others, each replacing what a request had of the same name.
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl BrokerHeaders {
    /// The broker headers of an incoming request; what is malformed, repeated
    /// or too long is left out.
    pub fn from_request(request: &HeaderMap) -> Self {
        let trace = single(request, &TRACEPARENT_HEADER)
            .and_then(|parent| parent.to_str().ok())
            .and_then(|parent| TraceContext::from_w3c(parent, tracestate(request).as_deref()));
        let mut headers = Vec::new();
        if prefers_reply(request) {
            headers.push((PREFER_HEADER, HeaderValue::from_static("reply")));
        }
        for name in EVENT_GRID_NAMES {
            if let Some(value) = single(request, &name).filter(|v| event_grid_value(&name, v)) {
                headers.push((name, value.clone()));
            }
        }
        let pubsub = request
            .keys()
            .filter(|name| name.as_str().starts_with(PUBSUB_METADATA_PREFIX))
            .filter_map(|name| single(request, name).map(|value| (name, value)))
            .filter(|(_, value)| plain_text(value))
            .take(MAX_PUBSUB_HEADERS);
        for (name, value) in pubsub {
            headers.push((name.clone(), value.clone()));
        }
        Self { trace, headers }
    }

    /// The headers, in the order they are named above.
    pub fn iter(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        static PARENT: HeaderName = TRACEPARENT_HEADER;
        static STATE: HeaderName = TRACESTATE_HEADER;
        let parent = (self.trace.as_ref()).map(|trace| (&PARENT, trace.traceparent()));
        let state =
            (self.trace.as_ref()).and_then(|trace| trace.tracestate().map(|state| (&STATE, state)));
        let trace = parent.into_iter().chain(state);
        trace.chain(self.headers.iter().map(|(name, value)| (name, value)))
    }

    /// The delivery's trace context (its `traceparent` and `tracestate`).
    pub fn trace(&self) -> Option<&TraceContext> {
        self.trace.as_ref()
    }

    /// Adds the headers other than the trace context to `headers`,
    /// replacing any of the same name.
    pub(crate) fn add_to(&self, headers: &mut HeaderMap) {
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
    }
}

/// The request's `tracestate`, its fields joined by commas as W3C allows;
/// [`TraceContext::from_w3c`] checks it.
fn tracestate(request: &HeaderMap) -> Option<String> {
    let parts: Vec<&str> = request
        .get_all(&TRACESTATE_HEADER)
        .iter()
        .map(HeaderValue::to_str)
        .collect::<Result<_, _>>()
        .ok()?;
    Some(parts.join(","))
}

/// Whether one of the request's `Prefer` preferences is `reply` (Knative's
/// reply contract).
fn prefers_reply(request: &HeaderMap) -> bool {
    request
        .get_all(&PREFER_HEADER)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|preference| preference.trim().eq_ignore_ascii_case("reply"))
}

/// Whether an `aeg-*` value is what Event Grid sends: a count is digits, the
/// others printable text.
fn event_grid_value(name: &HeaderName, value: &HeaderValue) -> bool {
    if name.as_str() == "aeg-delivery-count" {
        !value.is_empty() && value.len() <= 10 && value.as_bytes().iter().all(u8::is_ascii_digit)
    } else {
        plain_text(value)
    }
}

/// The request's one value of `name`; none when it is missing or repeated.
fn single<'r>(request: &'r HeaderMap, name: &HeaderName) -> Option<&'r HeaderValue> {
    let mut values = request.get_all(name).iter();
    let value = values.next()?;
    values.next().is_none().then_some(value)
}

/// Whether `value` is visible ASCII (spaces and tabs inside), and short enough.
fn plain_text(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_VALUE_BYTES
        && bytes
            .iter()
            .all(|&b| b == b' ' || b == b'\t' || b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn request(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        headers
    }

    fn passed(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        BrokerHeaders::from_request(&request(pairs))
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect()
    }

    #[test]
    fn well_formed_trace_context_passes_and_malformed_is_dropped_with_its_state() {
        let kept = passed(&[
            ("traceparent", PARENT),
            ("tracestate", "rojo=00f067aa0ba902b7"),
            ("tracestate", "congo=t61rcWkgMzE"),
        ]);
        assert_eq!(kept[0], ("traceparent".into(), PARENT.into()));
        assert_eq!(
            kept[1],
            (
                "tracestate".into(),
                "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE".into()
            )
        );
        // W3C Trace Context §3.2.2: https://www.w3.org/TR/trace-context/#traceparent-header
        for bad in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "",
        ] {
            assert_eq!(
                passed(&[("traceparent", bad), ("tracestate", "rojo=1")]),
                [],
                "{bad}"
            );
        }
        assert_eq!(
            passed(&[("traceparent", PARENT), ("traceparent", PARENT)]),
            []
        );
    }

    #[test]
    fn brokers_headers_pass_and_nothing_else() {
        let kept = passed(&[
            ("prefer", "respond-async, reply"),
            ("aeg-event-type", "Notification"),
            ("aeg-subscription-name", "ORDERS"),
            ("aeg-delivery-count", "3"),
            ("aeg-data-version", "1.0"),
            ("aeg-metadata-version", "1"),
            (
                "x-goog-pubsub-subscription-name",
                "projects/p/subscriptions/s",
            ),
            ("x-goog-pubsub-message-id", "2070443601311540"),
            ("x-goog-iap-jwt-assertion", "a.b.c"),
            ("connection", "keep-alive"),
            ("ceh-rule", "forged"),
            ("ceh-request-id", "forged"),
            ("authorization", "Bearer t"),
        ]);
        let names: Vec<&str> = kept.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "prefer",
                "aeg-event-type",
                "aeg-subscription-name",
                "aeg-delivery-count",
                "aeg-data-version",
                "aeg-metadata-version",
                "x-goog-pubsub-subscription-name",
                "x-goog-pubsub-message-id",
            ]
        );
        assert_eq!(kept[0].1, "reply");
        assert_eq!(passed(&[("prefer", "return=minimal")]), []);
        assert_eq!(passed(&[("aeg-delivery-count", "three")]), []);
    }

    proptest! {
        /// No `traceparent` passed on is malformed, whatever the client sent.
        #[test]
        fn no_traceparent_passed_on_is_malformed(
            sent in prop_oneof![
                "[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}",
                "[0-9a-fA-F0]{2}-[0-9a-f0]{32}-[0-9a-f0]{16}-[0-9a-f]{2}[-x]?",
                "[ -~]{0,70}",
            ],
        ) {
            let Ok(value) = HeaderValue::from_str(&sent) else { return Ok(()) };
            let mut headers = HeaderMap::new();
            headers.insert(TRACEPARENT_HEADER, value);
            let brokers = BrokerHeaders::from_request(&headers);
            for (name, value) in brokers.iter().filter(|(name, _)| **name == TRACEPARENT_HEADER) {
                let text = value.to_str().unwrap();
                let parts: Vec<&str> = text.split('-').collect();
                prop_assert_eq!(name.as_str(), "traceparent");
                prop_assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), [2, 32, 16, 2]);
                prop_assert!(text.bytes().all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
                prop_assert_ne!(parts[0], "ff");
                prop_assert!(parts[1].bytes().any(|b| b != b'0'));
                prop_assert!(parts[2].bytes().any(|b| b != b'0'));
            }
        }
    }
}
