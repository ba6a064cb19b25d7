//! W3C Trace Context: the `traceparent` (and `tracestate`) a request to the
//! app carries, checked, from whichever source had one.
//!
//! A context comes from a record's own fields (a rule's `[[rule.trace]]`
//! sources, W3C or X-Ray) or from the delivery (`ceh serve`'s incoming
//! `traceparent`, Lambda's `Lambda-Runtime-Trace-Id`); docs/tracing.md gives
//! the order. Whatever the source held, a [`TraceContext`] is well-formed
//! (W3C Trace Context §3.2): nothing malformed reaches the app, and nothing is
//! invented where there is no context.

use http::{HeaderMap, HeaderValue};

use crate::headers::{TRACEPARENT_HEADER, TRACESTATE_HEADER};

/// The most bytes of a `tracestate` passed on (W3C asks that at least 512 be
/// kept; 32 members of the longest keys and values fit in about 8,000, which
/// no app server takes in one header with the rest).
pub const MAX_TRACESTATE_BYTES: usize = 1024;

/// A well-formed W3C trace context: a `traceparent`, and the `tracestate`
/// that came with it from the same source.
///
/// ```
/// use cloud_events_handler::trace::TraceContext;
///
/// // From AWS X-Ray's header, as SQS's `AWSTraceHeader` and Lambda carry it.
/// let xray = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
/// let context = TraceContext::from_xray(xray).ok_or("a full X-Ray header")?;
/// assert_eq!(context.traceparent(), "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01");
///
/// // A malformed traceparent is no context at all.
/// assert!(TraceContext::from_w3c("00-0000-1111-01", None).is_none());
/// # Ok::<(), &str>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceContext {
    parent: HeaderValue,
    state: Option<HeaderValue>,
}

impl TraceContext {
    /// A context from a `traceparent` and its `tracestate`; `None` when the
    /// parent is malformed. A state that is not printable text, or is longer
    /// than [`MAX_TRACESTATE_BYTES`], is left out and the parent kept (W3C
    /// §3.3.1.1: a parent stands without its state).
    ///
    /// ```
    /// use cloud_events_handler::trace::TraceContext;
    ///
    /// let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    /// let context = TraceContext::from_w3c(parent, Some("rojo=00f067aa0ba902b7")).ok_or("well-formed")?;
    /// assert_eq!(context.tracestate().map(|s| s.as_bytes()), Some(&b"rojo=00f067aa0ba902b7"[..]));
    /// assert!(TraceContext::from_w3c(&parent.to_uppercase(), None).is_none());
    /// # Ok::<(), &str>(())
    /// ```
    pub fn from_w3c(parent: &str, state: Option<&str>) -> Option<Self> {
        if !is_traceparent(parent.as_bytes()) {
            return None;
        }
        let parent = HeaderValue::from_str(parent).ok()?;
        let state = state.and_then(tracestate);
        Some(Self { parent, state })
    }

    /// A context from an AWS X-Ray trace header
    /// (`Root=1-{time}-{id};Parent={span};Sampled={0|1}`, fields in any order,
    /// others such as `Lineage` ignored): the root's 8 and 24 hex digits are the
    /// trace id, `Parent` the parent id, `Sampled=1` the sampled flag. `None`
    /// without a well-formed `Root` and `Parent` (Lambda's header for an
    /// untraced caller can lack the parent: no parent, no context).
    ///
    /// ```
    /// use cloud_events_handler::trace::TraceContext;
    ///
    /// let unsampled = TraceContext::from_xray("Parent=53995c3f42cd8ad8; Root=1-5759e988-bd862e3fe1be46a994272793")
    ///     .ok_or("a full X-Ray header")?;
    /// assert_eq!(unsampled.traceparent(), "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-00");
    /// assert!(TraceContext::from_xray("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1").is_none());
    /// # Ok::<(), &str>(())
    /// ```
    pub fn from_xray(header: &str) -> Option<Self> {
        let (mut root, mut parent, mut sampled) = (None, None, false);
        for field in header.split(';') {
            let Some((key, value)) = field.split_once('=') else {
                continue;
            };
            match key.trim() {
                "Root" => root = Some(value.trim()),
                "Parent" => parent = Some(value.trim()),
                "Sampled" => sampled = value.trim() == "1",
                _ => {}
            }
        }
        let (time, id) = root?.strip_prefix("1-")?.split_once('-')?;
        let parent = parent?;
        let (time, id, parent) = (
            lower_hex(time, 8)?,
            lower_hex(id, 24)?,
            lower_hex(parent, 16)?,
        );
        let flags = if sampled { "01" } else { "00" };
        Self::from_w3c(&format!("00-{time}{id}-{parent}-{flags}"), None)
    }

    /// The `traceparent` value.
    pub fn traceparent(&self) -> &HeaderValue {
        &self.parent
    }

    /// The `tracestate` value, when the source had a usable one.
    pub fn tracestate(&self) -> Option<&HeaderValue> {
        self.state.as_ref()
    }

    /// Puts the context on `headers`, in place of any `traceparent` and
    /// `tracestate` they had (a state of another source never stays beside it).
    pub fn add_to(&self, headers: &mut HeaderMap) {
        headers.insert(TRACEPARENT_HEADER, self.parent.clone());
        match &self.state {
            Some(state) => headers.insert(TRACESTATE_HEADER, state.clone()),
            None => headers.remove(TRACESTATE_HEADER),
        };
    }

    /// Settles the trace context of a request to the app: one well-formed
    /// `traceparent` it already carries stays (a record's own context, or an
    /// HTTP request's); otherwise what it carries goes, and `delivery`'s
    /// context, if any, takes its place.
    pub(crate) fn settle(headers: &mut HeaderMap, delivery: Option<&TraceContext>) {
        let mut parents = headers.get_all(TRACEPARENT_HEADER).iter();
        let own = match (parents.next(), parents.next()) {
            (Some(parent), None) => is_traceparent(parent.as_bytes()),
            _ => false,
        };
        if own {
            return;
        }
        headers.remove(TRACEPARENT_HEADER);
        headers.remove(TRACESTATE_HEADER);
        if let Some(delivery) = delivery {
            delivery.add_to(headers);
        }
    }
}

/// Whether `value` is a W3C `traceparent` (Trace Context §3.2): a 2-hex
/// version other than `ff`, a 32-hex trace id and a 16-hex parent id, neither
/// all zeros, and 2-hex flags, lowercase, joined by `-`, 55 bytes in all.
pub(crate) fn is_traceparent(bytes: &[u8]) -> bool {
    if bytes.len() != 55 || [bytes[2], bytes[35], bytes[52]] != [b'-'; 3] {
        return false;
    }
    let (version, trace, parent, flags) =
        (&bytes[..2], &bytes[3..35], &bytes[36..52], &bytes[53..]);
    let hex = |part: &[u8]| part.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let zero = |part: &[u8]| part.iter().all(|&b| b == b'0');
    [version, trace, parent, flags].into_iter().all(hex)
        && version != b"ff"
        && !zero(trace)
        && !zero(parent)
}

/// A `tracestate` as a header value: printable ASCII (spaces and tabs
/// inside), not empty, at most [`MAX_TRACESTATE_BYTES`].
pub(crate) fn tracestate(text: &str) -> Option<HeaderValue> {
    let bytes = text.trim().as_bytes();
    let printable = bytes
        .iter()
        .all(|&b| b == b' ' || b == b'\t' || b.is_ascii_graphic());
    if bytes.is_empty() || bytes.len() > MAX_TRACESTATE_BYTES || !printable {
        return None;
    }
    HeaderValue::from_bytes(bytes).ok()
}

/// `text` in lowercase when it is exactly `len` hex digits.
fn lower_hex(text: &str, len: usize) -> Option<String> {
    (text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    // AWS X-Ray tracing header:
    // https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader
    #[test]
    fn xray_headers_convert_and_partial_ones_do_not() {
        let converted = |header: &str| TraceContext::from_xray(header).map(|c| c.parent);
        assert_eq!(
            converted("Root=1-5759E988-BD862E3FE1BE46A994272793;Parent=53995C3F42CD8AD8;Sampled=1;Lineage=a87bd80c:1"),
            Some(HeaderValue::from_static(
                "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01"
            ))
        );
        assert_eq!(
            converted("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=?"),
            Some(HeaderValue::from_static(
                "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-00"
            ))
        );
        for partial in [
            "",
            "Root=1-5759e988-bd862e3fe1be46a994272793",
            "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
            "Root=1-5759e98-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
            "Root=1-5759e988-bd862e3fe1be46a99427279x;Parent=53995c3f42cd8ad8",
            "Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000000",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent",
        ] {
            assert_eq!(converted(partial), None, "{partial}");
        }
    }

    // W3C Trace Context §3.3: https://www.w3.org/TR/trace-context/#tracestate-header
    #[test]
    fn a_bad_state_is_dropped_and_the_parent_kept() {
        let long = "k=".to_owned() + &"v".repeat(MAX_TRACESTATE_BYTES);
        for state in ["", "  ", "rojo=\u{1}", "ü=1", long.as_str()] {
            let context = TraceContext::from_w3c(PARENT, Some(state)).unwrap();
            assert_eq!(context.tracestate(), None, "{state:?}");
        }
    }

    #[test]
    fn a_request_keeps_its_own_context_or_gets_the_deliverys() {
        let delivery = TraceContext::from_w3c(PARENT, None).unwrap();
        let own = "00-11111111111111111111111111111111-2222222222222222-00";
        let settled = |pairs: &[(&str, &str)]| {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                headers.append(
                    http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    HeaderValue::from_str(value).unwrap(),
                );
            }
            TraceContext::settle(&mut headers, Some(&delivery));
            let text = |name| {
                headers
                    .get(name)
                    .map(|v: &HeaderValue| v.to_str().unwrap().to_owned())
            };
            (text(TRACEPARENT_HEADER), text(TRACESTATE_HEADER))
        };
        assert_eq!(
            settled(&[("traceparent", own), ("tracestate", "a=1")]),
            (Some(own.into()), Some("a=1".into()))
        );
        // Malformed, or two: the delivery's, without the request's state.
        for pairs in [
            &[("traceparent", "00-bad-01"), ("tracestate", "a=1")][..],
            &[("traceparent", own), ("traceparent", own)][..],
            &[("tracestate", "a=1")][..],
        ] {
            assert_eq!(settled(pairs), (Some(PARENT.into()), None), "{pairs:?}");
        }
    }
}
