//! CloudEvents' HTTP protocol binding, incoming: the events a request
//! carries, in any of the binding's three modes — binary (the attributes in
//! `ce-*` headers, the data in the body), structured
//! (`application/cloudevents+json`) and batched
//! (`application/cloudevents-batch+json`) — or, in none of them, the body
//! as one event. Every event but a binary-mode one is read from its bytes by
//! the one reader a front end passes in (`Handler::read_event`).

use base64::Engine as _;
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderName};
use serde_json::value::RawValue;
use serde_json::Value;

use super::validate::{uri, validate, InvalidCloudEvent, Uri};
use crate::event::{Event, EventError};

/// The binary-mode header of `dataschema` (1.0).
const CE_DATASCHEMA: HeaderName = HeaderName::from_static("ce-dataschema");
/// The binary-mode header of `schemaurl` (0.3).
const CE_SCHEMAURL: HeaderName = HeaderName::from_static("ce-schemaurl");
/// The content type of a batch of structured CloudEvents.
const BATCH: &str = "application/cloudevents-batch+json";
/// The content type of one structured CloudEvent.
const STRUCTURED: &str = "application/cloudevents+json";

/// Why a request's body is not the events it claims to carry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum HttpEventError {
    /// The body is not an event (too large, not JSON…).
    #[error(transparent)]
    Event(#[from] EventError),
    /// The `ce-*` headers are not a CloudEvent's attributes.
    #[error("not a valid binary-mode CloudEvent: {0}")]
    Binary(String),
    /// A batch's body is not a JSON array.
    #[error("an {BATCH} body must be a JSON array of CloudEvents")]
    NotArray,
    /// An item of a batch is not a structured CloudEvent.
    #[error("item {index} of the {BATCH} body (from 0) is not a CloudEvent: {reason}")]
    Item {
        /// Its place in the batch, from 0.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A structured-mode body does not claim to be a CloudEvent.
    #[error("the {STRUCTURED} body is not a CloudEvent: {0}")]
    Structured(String),
}

/// The events `body` carries, by `headers`: one, or a batch's, in order.
/// `read` turns each event's bytes into an [`Event`]; a binary-mode event,
/// whose JSON the rules read is made of its headers and its data, is built
/// here, within `max_bytes`.
pub(crate) fn events(
    headers: &HeaderMap,
    body: Bytes,
    max_bytes: usize,
    read: impl Fn(Bytes) -> Result<Event, EventError>,
) -> Result<Vec<Event>, HttpEventError> {
    let content_type = content_type(headers);
    if headers.contains_key(super::CE_SPECVERSION) {
        return Ok(vec![binary(headers, &content_type, body, max_bytes)?]);
    }
    if content_type == BATCH {
        let batch = read(body)?;
        // Each item goes on as it was sent: a slice of the body, not a re-serialized value.
        let items: Vec<&RawValue> =
            serde_json::from_slice(batch.bytes()).map_err(|_| HttpEventError::NotArray)?;
        return items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                // A borrowed `RawValue` is always a slice of the bytes it was read from.
                let bytes = batch.bytes().slice_ref(item.get().as_bytes());
                structured(&bytes).map_err(|reason| HttpEventError::Item { index, reason })?;
                Ok(read(bytes)?)
            })
            .collect();
    }
    let event = read(body)?;
    if content_type == STRUCTURED {
        claims_cloudevent(event.bytes()).map_err(HttpEventError::Structured)?;
    }
    Ok(vec![event])
}

/// The media type of `headers`' `Content-Type`, lowercase, without parameters.
fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// A binary-mode CloudEvent: the SDK reads the attributes from the `ce-*`
/// headers; the data is added here, parsed once and moved in, rather than
/// copied into the SDK's event and out again.
fn binary(
    headers: &HeaderMap,
    content_type: &str,
    body: Bytes,
    max_bytes: usize,
) -> Result<Event, HttpEventError> {
    if body.len() > max_bytes {
        return Err(EventError::TooLarge {
            len: body.len(),
            max: max_bytes,
        }
        .into());
    }
    // The SDK takes only an absolute `dataschema` (or `schemaurl`); a
    // URI-reference, as Azure Event Grid sends it, is set aside for it and put
    // back in the structured form, where `validate` judges it as in a
    // structured event.
    let reference = relative_schema(headers)?;
    let event = match &reference {
        Some((header, _)) => {
            let mut without = headers.clone();
            without.remove(header);
            cloudevents::binding::http::to_event(&without, Vec::new())
        }
        None => cloudevents::binding::http::to_event(headers, Vec::new()),
    }
    .map_err(|e| HttpEventError::Binary(binary_error(&e)))?;
    let mut structured =
        serde_json::to_value(&event).map_err(|e| HttpEventError::Binary(e.to_string()))?;
    if let (Some(object), Some((header, value))) = (structured.as_object_mut(), reference) {
        let name = header.as_str().trim_start_matches("ce-").to_owned();
        object.insert(name, Value::String(value));
    }
    // The rules read the structured form: JSON data as JSON, other data as base64.
    let json = content_type
        .ends_with("json")
        .then(|| serde_json::from_slice::<Value>(&body).ok())
        .flatten();
    let data = match json {
        Some(data) => Some(("data", data)),
        None if body.is_empty() => None,
        None => Some((
            "data_base64",
            Value::String(base64::engine::general_purpose::STANDARD.encode(&body)),
        )),
    };
    if let (Some(object), Some((member, data))) = (structured.as_object_mut(), data) {
        object.insert(member.to_owned(), data);
    }
    // … and the app gets the event as it came: its attributes, its data byte for byte.
    let attributes: HeaderMap = headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("ce-") || *name == CONTENT_TYPE)
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    Ok(Event::binary_cloudevent(structured, body, attributes))
}

/// The `ce-dataschema` (1.0) or `ce-schemaurl` (0.3) header and its value,
/// when the value is a URI-reference and not an absolute URI; a value that
/// is neither is refused here, as the SDK refuses it.
fn relative_schema(headers: &HeaderMap) -> Result<Option<(HeaderName, String)>, HttpEventError> {
    for header in [CE_DATASCHEMA, CE_SCHEMAURL] {
        let Some(value) = headers.get(&header) else {
            continue;
        };
        let text = value.to_str().unwrap_or("");
        return match uri(text) {
            Uri::Absolute => Ok(None),
            Uri::Reference => Ok(Some((header, text.to_owned()))),
            Uri::Neither => Err(HttpEventError::Binary(format!(
                "header {header} is not a URI"
            ))),
        };
    }
    Ok(None)
}

/// Why the SDK refused a binary-mode CloudEvent's headers, without quoting a
/// header's value back to the client (the SDK's own message for an unknown
/// specversion does).
fn binary_error(err: &cloudevents::message::Error) -> String {
    match err {
        cloudevents::message::Error::UnknownSpecVersion { .. } => {
            "header ce-specversion is neither 1.0 nor 0.3".to_owned()
        }
        other => other.to_string(),
    }
}

/// Checks that `item` of a CloudEvents batch is a CloudEvent in the
/// structured JSON format; the error says why not.
fn structured(item: &Bytes) -> Result<(), String> {
    let json: Value =
        serde_json::from_slice(item).map_err(|_| "it is not valid JSON".to_owned())?;
    validate(&json).map_err(|e| e.to_string())
}

/// Checks that a body sent as one structured CloudEvent claims to be one: a
/// JSON object with a `specversion`. What else a CloudEvent needs is checked
/// by the rule that takes it, whose error names the rule.
fn claims_cloudevent(body: &Bytes) -> Result<(), String> {
    let json: Value =
        serde_json::from_slice(body).map_err(|_| "it is not valid JSON".to_owned())?;
    match validate(&json) {
        Err(err @ (InvalidCloudEvent::NotObject | InvalidCloudEvent::Missing("specversion"))) => {
            Err(err.to_string())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn read(bytes: Bytes) -> Result<Event, EventError> {
        Event::from_bytes_limited(bytes, 1 << 20)
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(n, v)| {
                (
                    http::HeaderName::from_static(n),
                    HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    #[test]
    fn the_three_modes_are_told_apart() {
        let binary = headers(&[
            ("ce-specversion", "1.0"),
            ("ce-id", "1"),
            ("ce-source", "/s"),
            ("ce-type", "t"),
            ("content-type", "application/json"),
        ]);
        let one = events(&binary, Bytes::from_static(br#"{"a": 1}"#), 100, read).unwrap();
        assert_eq!(one[0].json()["data"], serde_json::json!({"a": 1}));
        assert_eq!(
            one[0].bytes().as_ref(),
            br#"{"a": 1}"#,
            "the data as it came"
        );

        let batch = headers(&[(
            "content-type",
            "application/cloudevents-batch+json; charset=utf-8",
        )]);
        let body = br#"[{"specversion": "1.0", "id": "1", "source": "/s", "type": "t"}, {"specversion": "1.0", "id": "2", "source": "/s", "type": "t"}]"#;
        let two = events(&batch, Bytes::from_static(body), 1000, read).unwrap();
        assert_eq!(two.len(), 2);
        assert!(two[1]
            .bytes()
            .starts_with(br#"{"specversion": "1.0", "id": "2""#));

        let err = events(&batch, Bytes::from_static(b"[1]"), 100, read).unwrap_err();
        assert_eq!(err.to_string(), "item 0 of the application/cloudevents-batch+json body (from 0) is not a CloudEvent: it is not a JSON object");
        let err = events(&batch, Bytes::from_static(b"{}"), 100, read).unwrap_err();
        assert!(matches!(err, HttpEventError::NotArray), "{err}");

        let structured = headers(&[("content-type", "application/cloudevents+json")]);
        let err = events(&structured, Bytes::from_static(b"{}"), 100, read).unwrap_err();
        assert!(matches!(err, HttpEventError::Structured(_)), "{err}");
        let plain = events(&HeaderMap::new(), Bytes::from_static(b"{}"), 100, read);
        assert_eq!(
            plain.unwrap().len(),
            1,
            "no CloudEvents mode: the body is the event"
        );
    }

    #[test]
    fn a_binary_event_over_the_limit_is_refused() {
        let binary = headers(&[("ce-specversion", "1.0")]);
        let err = events(&binary, Bytes::from_static(b"12345"), 4, read).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the event is 5 bytes, over the limit of 4 bytes"
        );
    }
}

/// Numbers and `dataschema` as `ceh serve` ingests them, in both modes, and
/// what the built-in `cloudevents` rule then says of the event.
#[cfg(test)]
mod type_system {
    use super::*;
    use crate::RuleTable;
    use http::HeaderValue;

    /// The event `headers` and `body` carry, classified: its rule, or the
    /// error, ingest's or the rule's.
    fn verdict(headers: &[(&'static str, &str)], body: &str) -> Result<String, String> {
        let headers: HeaderMap = headers
            .iter()
            .map(|(n, v)| {
                (
                    HeaderName::from_static(n),
                    HeaderValue::from_str(v).unwrap(),
                )
            })
            .collect();
        let read = |bytes| Event::from_bytes_limited(bytes, 1 << 20);
        let events = events(
            &headers,
            Bytes::copy_from_slice(body.as_bytes()),
            1 << 20,
            read,
        )
        .map_err(|e| e.to_string())?;
        let table = RuleTable::builtin();
        let found = table.classify(&events[0]).map_err(|e| e.to_string())?;
        Ok(found.rule().name().to_owned())
    }

    const BINARY: [(&str, &str); 5] = [
        ("ce-specversion", "1.0"),
        ("ce-id", "1"),
        ("ce-source", "/orders"),
        ("ce-type", "t"),
        ("content-type", "application/json"),
    ];

    /// A binary-mode event with one more header.
    fn binary(name: &'static str, value: &str) -> Result<String, String> {
        let mut headers = BINARY.to_vec();
        headers.push((name, value));
        verdict(&headers, "{}")
    }

    const STRUCTURED: [(&str, &str); 1] = [("content-type", "application/cloudevents+json")];

    /// The event a binary-mode request with the required attributes and `name: value` carries.
    fn binary_event(name: &'static str, value: &'static str) -> Vec<Event> {
        let headers: HeaderMap = [(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        )]
        .into_iter()
        .chain(
            BINARY
                .iter()
                .map(|(n, v)| (HeaderName::from_static(n), HeaderValue::from_static(v))),
        )
        .collect();
        let read = |bytes| Event::from_bytes_limited(bytes, 1 << 20);
        events(&headers, Bytes::from_static(b"{}"), 100, read).unwrap()
    }

    #[test]
    fn binary_mode_header_values_are_strings_whatever_they_look_like() {
        for value in ["42", "42.42", "3000000000", "-2147483649", "1e3", "true"] {
            assert_eq!(
                binary("ce-myext", value),
                Ok("cloudevents".into()),
                "{value}"
            );
        }
        let event = binary_event("ce-myext", "3000000000");
        assert_eq!(
            event[0].json()["myext"],
            "3000000000",
            "the rules read a string"
        );
    }

    #[test]
    fn a_uri_reference_dataschema_is_taken_in_both_modes() {
        for value in ["#", "/schemas/order.json", "https://example.com/order.json"] {
            assert_eq!(
                binary("ce-dataschema", value),
                Ok("cloudevents".into()),
                "{value}"
            );
            let body = format!(
                r#"{{"specversion": "1.0", "id": "1", "source": "/orders", "type": "t", "dataschema": "{value}"}}"#
            );
            assert_eq!(
                verdict(&STRUCTURED, &body),
                Ok("cloudevents".into()),
                "{value}"
            );
        }
        let event = binary_event("ce-dataschema", "#");
        assert_eq!(
            event[0].json()["dataschema"],
            "#",
            "the rules read it as sent"
        );
        assert_eq!(
            binary("ce-dataschema", "a schema"),
            Err("not a valid binary-mode CloudEvent: header ce-dataschema is not a URI".into())
        );
        let v03 = [
            ("ce-specversion", "0.3"),
            ("ce-id", "1"),
            ("ce-source", "/s"),
            ("ce-type", "t"),
            ("ce-schemaurl", "#"),
        ];
        assert_eq!(verdict(&v03, "{}"), Ok("cloudevents".into()));
    }

    #[test]
    fn structured_mode_numbers_follow_the_type_system() {
        let refused = "rule `cloudevents`: the event is not a valid CloudEvent: extension `myext` is a number but no CloudEvents Integer";
        let cases = [
            ("2147483647", true),
            ("-2147483648", true),
            ("2147483648", false),
            ("-2147483649", false),
            ("42.42", false),
            ("42.0", false),
            (r#""42.42""#, true),
        ];
        for (value, taken) in cases {
            let body = format!(
                r#"{{"specversion": "1.0", "id": "1", "source": "/orders", "type": "t", "myext": {value}}}"#
            );
            let got = verdict(&STRUCTURED, &body);
            match taken {
                true => assert_eq!(got, Ok("cloudevents".into()), "{value}"),
                false => assert!(
                    got.as_ref().is_err_and(|e| e.starts_with(refused)),
                    "{value}: {got:?}"
                ),
            }
        }
    }
}
