//! The app's request, built in one room: a matched event (or batch record),
//! the JSON its templates read, its bytes and the environment become the
//! HTTP request the app receives. Its path and query (path.rs), its body
//! (body.rs), the CloudEvent that describes it (cloudevent.rs), its
//! headers and their limits are each decided here, once.
//!
//! Event data is escaped into the path and header values by escape.rs.

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HOST};
use http::uri::PathAndQuery;
use http::{HeaderMap, HeaderValue, Request, Uri};
use serde_json::Value;

use crate::classify::Match;
use crate::config::environment::Environment;
use crate::escape::header_value;
use crate::event::Event;
use crate::headers::{
    DELIVERY_ATTEMPT_HEADER, MAX_HEADERS_BYTES, MAX_HEADER_VALUE_BYTES, METADATA_HEADER,
    RECORD_GROUP_HEADER, RECORD_ID_HEADER, RECORD_INDEX_HEADER, RULE_HEADER,
};
use crate::rule::{Record, Rule};

mod body;
mod cloudevent;
mod error;
mod path;

pub use error::SynthesizeError;

use body::Payload;

/// Builds the request for an event route.
///
/// `POST` (or the rule's or environment's method) to the base path plus the
/// rule's path; the event's original bytes as body (or the node the rule's
/// `body` selects), carried as the rule's CloudEvent mode says;
/// `content-type`, `host`, `content-length`, the rule's name in `ceh-rule`,
/// its `metadata` in `ceh-metadata`, the environment's and the rule's extra
/// headers. The request [`Handler::explain`](crate::Handler::explain) shows
/// and the app receives.
///
/// ```
/// use cloud_events_handler::{request::synthesize, Environment, Event, RuleTable};
///
/// let table = RuleTable::builtin();
/// let event = Event::from_slice(br#"{"specversion": "1.0", "id": "1", "source": "/my context/sub", "type": "t"}"#)?;
/// let request = synthesize(&table.classify(&event)?, &event, &Environment::default())?;
/// assert_eq!(request.uri(), "http://localhost/my%20context/sub");
/// assert_eq!(request.headers()["ceh-rule"], "cloudevents");
/// assert_eq!(request.body(), event.bytes());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn synthesize(
    found: &Match<'_, '_>,
    event: &Event,
    environment: &Environment,
) -> Result<Request<Bytes>, SynthesizeError> {
    let rule = found.rule();
    // A selected body is read from all of the event; without one, the
    // templates read what the rule reads of it.
    let json = if rule.body.is_some() {
        event.json()
    } else {
        found.json()
    };
    let binary = event.binary_attributes();
    let payload = body::select(rule, json, event.bytes(), binary)?;
    let mut own = HeaderMap::new();
    if let Some(spec) = &rule.metadata {
        if let Some(value) = spec.header(event.json(), None) {
            own.insert(METADATA_HEADER, value);
        }
    }
    assemble(found, json, payload, binary, own, environment)
}

/// A batch record's request: on the path its own JSON gives (`found` is the
/// record's match), with `bytes`, the record as it stands in the event, as
/// its body (or the node the rule's `body` selects of it), and its
/// `ceh-record-*` headers; `ceh-metadata` reads the whole `event`.
pub(crate) fn for_record(
    found: &Match<'_, '_>,
    record: &Record<'_>,
    bytes: Bytes,
    event: &Event,
    environment: &Environment,
) -> Result<Request<Bytes>, SynthesizeError> {
    let rule = found.rule();
    let payload = body::select(rule, record.json, &bytes, None)?;
    let own = record_headers(rule, record, event);
    assemble(found, record.json, payload, None, own, environment)
}

/// What building a record's request would refuse, found without building
/// it: a path its JSON gives no value for, or a value that leaves its
/// segments; a `body` that selects nothing; headers of its own too large.
/// A request too large for any other reason fails its record when it is built.
pub(crate) fn check_record(
    found: &Match<'_, '_>,
    record: &Record<'_>,
    bytes: &Bytes,
    event: &Event,
    environment: &Environment,
) -> Result<(), SynthesizeError> {
    let rule = found.rule();
    path::check_path(found, environment)?;
    body::select(rule, record.json, bytes, None)?;
    if fit_unmade(rule, record) {
        return Ok(());
    }
    check_headers(rule, &record_headers(rule, record, event))
}

/// Whether a record's own headers fit the limits without being made: the
/// rule sends no metadata, and its id and group fit even if every byte were
/// percent-encoded (three bytes for one). Each of the three headers' name,
/// line end and index is well within [`MAX_OWN_LINE`].
fn fit_unmade(rule: &Rule, record: &Record<'_>) -> bool {
    /// The most bytes one record header takes besides its id or group text.
    const MAX_OWN_LINE: usize = 64;
    let encoded = |text: Option<&str>| text.map_or(0, |text| 3 * text.len());
    let (id, group) = (
        encoded(record.id.as_deref()),
        encoded(record.group.as_deref()),
    );
    rule.metadata.is_none()
        && id.max(group) <= MAX_HEADER_VALUE_BYTES
        && 3 * MAX_OWN_LINE + id + group <= MAX_HEADERS_BYTES
}

/// A record's own headers: its index, id and group, and the rule's metadata.
fn record_headers(rule: &Rule, record: &Record<'_>, event: &Event) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(spec) = &rule.metadata {
        if let Some(value) = spec.header(event.json(), Some(record.index)) {
            headers.insert(METADATA_HEADER, value);
        }
    }
    headers.insert(RECORD_INDEX_HEADER, HeaderValue::from(record.index));
    if let Some(id) = record.id.as_deref() {
        headers.insert(RECORD_ID_HEADER, header_value(id));
    }
    if let Some(group) = record.group.as_deref() {
        headers.insert(RECORD_GROUP_HEADER, header_value(group));
    }
    headers
}

/// The request: the URI on the environment, the environment's and the
/// rule's headers (templates read `json`), the payload as the rule's
/// CloudEvent mode carries it, then ceh's own headers and `own`, checked
/// against what app servers take.
fn assemble(
    found: &Match<'_, '_>,
    json: &Value,
    payload: Payload,
    binary: Option<&HeaderMap>,
    own: HeaderMap,
    environment: &Environment,
) -> Result<Request<Bytes>, SynthesizeError> {
    let rule = found.rule();
    let settings = environment.settings(rule.name());
    let prepared = settings.prepared();
    let invalid = |source: http::Error| SynthesizeError::Invalid {
        rule: rule.name().to_owned(),
        source,
    };

    // The URI from parts: scheme and authority are built once per
    // environment; only the path (and query) is new for each event.
    let path_and_query = path::path_and_query(found, settings, environment)?;
    let mut parts = http::uri::Parts::default();
    parts.scheme = Some(prepared.scheme.clone());
    parts.authority = Some(prepared.authority.clone());
    parts.path_and_query = Some(
        PathAndQuery::from_maybe_shared(Bytes::from(path_and_query))
            .map_err(|e| invalid(e.into()))?,
    );
    let uri = Uri::from_parts(parts).map_err(|e| invalid(e.into()))?;

    let mut headers =
        HeaderMap::with_capacity(settings.headers().len() + rule.headers().len() + own.len() + 10);
    for (name, value) in settings.headers() {
        headers.append(name, value.clone());
    }
    for (name, template) in rule.headers() {
        if name == DELIVERY_ATTEMPT_HEADER {
            // A number in the event is a number here; anything else is no attempt.
            if let Some(attempt) = template.render_positive_integer(json) {
                headers.insert(name.clone(), HeaderValue::from(attempt));
            }
        } else if let Some(value) = template.render(json) {
            headers.insert(name.clone(), header_value(&value));
        }
    }
    if let Some(trace) = rule.trace.context(json) {
        trace.add_to(&mut headers);
    }
    let body = cloudevent::carry(rule, json, payload, binary, &mut headers);
    headers.insert(HOST, prepared.host.clone());
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    headers.insert(RULE_HEADER, rule.name_header.clone());
    headers.extend(own);
    check_headers(rule, &headers)?;

    let mut request = Request::new(body);
    *request.method_mut() = environment.method(rule);
    *request.uri_mut() = uri;
    *request.version_mut() = settings.version();
    *request.headers_mut() = headers;
    Ok(request)
}

/// Whether a request's headers fit what app servers take: each value at most
/// [`MAX_HEADER_VALUE_BYTES`], all of them at most [`MAX_HEADERS_BYTES`].
fn check_headers(rule: &Rule, headers: &HeaderMap) -> Result<(), SynthesizeError> {
    let too_large = |header: String, size: usize, limit: usize| SynthesizeError::HeaderTooLarge {
        rule: rule.name().to_owned(),
        header,
        size,
        limit,
    };
    let mut total = 0;
    for (name, value) in headers {
        if value.len() > MAX_HEADER_VALUE_BYTES {
            return Err(too_large(
                name.to_string(),
                value.len(),
                MAX_HEADER_VALUE_BYTES,
            ));
        }
        // `name: value` and its line end.
        total += name.as_str().len() + value.len() + 4;
    }
    if total > MAX_HEADERS_BYTES {
        return Err(too_large(
            "all headers".to_owned(),
            total,
            MAX_HEADERS_BYTES,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::RuleTable;

    // The example `synthesize_with_body`'s doc comment carried while it was public.
    #[test]
    fn a_record_gets_its_own_headers() -> Result<(), Box<dyn std::error::Error>> {
        let table = RuleTable::builtin();
        let event = Event::from_slice(
            br#"{"Records": [{"eventSource": "aws:sqs", "messageId": "m1", "body": "hi"}]}"#,
        )?;
        let found = table.classify(&event)?;
        let record = &found.records()[0];
        let body = Bytes::from(record.json.to_string());
        let request = for_record(&found, record, body, &event, &Environment::default())?;
        assert_eq!(request.headers()["ce-id"], "m1");
        assert_eq!(request.headers()["ceh-record-id"], "m1");
        Ok(())
    }

    #[test]
    fn record_headers_are_only_left_unmade_when_they_surely_fit() {
        let table = RuleTable::builtin();
        let sqs = table.get("sqs").unwrap();
        let event = Event::from_slice(b"{}").unwrap();
        let json = serde_json::json!({});
        let mut unmade = 0;
        // Around the bound, text that percent-encoding leaves alone or triples.
        for unit in ["a", "%", "\u{e9}"] {
            for len in [0, 1, 1300, 1365, 1366, 2048, 4096] {
                let text = unit.repeat(len);
                let both = [(Some(&text), None), (Some(&text), Some(&text))];
                for (id, group) in both {
                    let record = Record {
                        index: 7,
                        id: id.map(|t| t.as_str().into()),
                        group: group.map(|t| t.as_str().into()),
                        json: &json,
                    };
                    if fit_unmade(sqs, &record) {
                        unmade += 1;
                        let made = record_headers(sqs, &record, &event);
                        assert!(check_headers(sqs, &made).is_ok(), "{unit} x {len}");
                    }
                }
            }
        }
        assert!(unmade > 4, "the usual record is not made twice");
    }
}
