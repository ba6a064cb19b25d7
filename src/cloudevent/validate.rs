//! Checking an incoming event against the CloudEvents JSON format, on the
//! `Value` already parsed.
//!
//! cloudevents-sdk reads an event by copying it three times over into maps of
//! its own, which cost as much as parsing it; what it checks is a handful of
//! top-level members. This module checks the same things, in the same order,
//! reading them in place, and a test holds it to the SDK's verdict.

use std::sync::atomic::{AtomicBool, Ordering};

use base64::prelude::*;
use serde_json::{Map, Number, Value};

use crate::shown::shown;

/// Why an event is not a CloudEvent in the structured JSON format.
///
/// ```
/// use cloud_events_handler::cloudevent::{validate, InvalidCloudEvent};
/// use serde_json::json;
///
/// let err = validate(&json!({"specversion": "1.0", "id": "1", "source": "/s", "type": "t", "time": "noon"}));
/// assert_eq!(err, Err(InvalidCloudEvent::Time));
/// assert_eq!(err.unwrap_err().to_string(), "attribute `time` is not an RFC 3339 timestamp");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidCloudEvent {
    /// The event is not a JSON object.
    #[error("it is not a JSON object")]
    NotObject,
    /// A required attribute is absent or null.
    #[error("attribute `{0}` is missing")]
    Missing(&'static str),
    /// An attribute is not a string.
    #[error("attribute `{0}` is not a string")]
    NotString(&'static str),
    /// `specversion` names a version the SDK does not read (shown escaped,
    /// and cut short when long).
    #[error("specversion `{0}` is neither 1.0 nor 0.3")]
    Version(String),
    /// `time` does not parse as RFC 3339.
    #[error("attribute `time` is not an RFC 3339 timestamp")]
    Time,
    /// `dataschema` (1.0) or `schemaurl` (0.3) is empty, or not even a
    /// URI-reference (RFC 3986, §4.1).
    #[error("attribute `{0}` is not a URI")]
    Url(&'static str),
    /// Both `data` and `data_base64` are present.
    #[error("`data` and `data_base64` cannot both be present")]
    BothData,
    /// `data` is not a string where its content type or encoding needs one.
    #[error("`data` must be a string: its datacontenttype is not JSON, or it is base64")]
    DataNotString,
    /// Base64 data does not decode.
    #[error("`{0}` is not standard, padded base64")]
    Base64(&'static str),
    /// 0.3 base64 data with a JSON content type decodes to something that is not JSON.
    #[error("`data` is base64 of something that is not JSON, though its datacontenttype is JSON")]
    Base64NotJson,
    /// An extension attribute is not a string, a boolean or an integer
    /// (its name shown escaped, and cut short when long).
    #[error("extension `{0}` is not a string, a boolean or an integer")]
    Extension(String),
    /// An extension attribute is a JSON number that is no CloudEvents
    /// Integer: not integral (`42.42`, `1.0`, `1e3`), or outside the 32-bit
    /// range (its name shown escaped, and cut short when long).
    #[error("extension `{0}` is a number but no CloudEvents Integer, a whole number from -2147483648 to 2147483647 written without fraction or exponent; send other numbers as strings")]
    Integer(String),
}

/// Checks that `json` is a CloudEvent in the structured JSON format (spec 1.0
/// or 0.3), judging as cloudevents-sdk does when it reads one, except in two
/// places where ceh follows the spec and real senders instead: an extension
/// that is a number must be a CloudEvents Integer (32-bit, where the SDK takes
/// any `i64`), and `dataschema` may be a URI-reference such as `#`, as Azure
/// Event Grid sends it (accepted, with a warning logged once: the spec asks for
/// an absolute URI; 0.3's `schemaurl` is a URI-reference by its spec). The
/// error names the attribute at fault.
///
/// ```
/// use cloud_events_handler::cloudevent::{validate, InvalidCloudEvent};
/// use serde_json::json;
///
/// assert!(validate(&json!({"specversion": "1.0", "id": "1", "source": "/s", "type": "t"})).is_ok());
/// let err = validate(&json!({"specversion": "1.0", "source": "/s", "type": "t"})).unwrap_err();
/// assert_eq!(err, InvalidCloudEvent::Missing("id"));
/// assert_eq!(err.to_string(), "attribute `id` is missing");
/// ```
pub fn validate(json: &Value) -> Result<(), InvalidCloudEvent> {
    let event = json.as_object().ok_or(InvalidCloudEvent::NotObject)?;
    let v03 = match required(event, "specversion")? {
        "1.0" => false,
        "0.3" => true,
        other => return Err(InvalidCloudEvent::Version(shown(other, SHOWN_CHARS))),
    };
    for name in ["id", "type", "source"] {
        required(event, name)?;
    }
    let content_type = optional(event, "datacontenttype")?;
    let schema = if v03 { "schemaurl" } else { "dataschema" };
    if let Some(url) = optional(event, schema)? {
        match uri(url) {
            Uri::Absolute => {}
            Uri::Reference if v03 => {}
            Uri::Reference => warn_relative_dataschema(),
            Uri::Neither => return Err(InvalidCloudEvent::Url(schema)),
        }
    }
    optional(event, "subject")?;
    if let Some(time) = optional(event, "time")? {
        chrono::DateTime::parse_from_rfc3339(time).map_err(|_| InvalidCloudEvent::Time)?;
    }
    let is_json = is_json(content_type.unwrap_or("application/json"));
    if v03 {
        data_v03(event, is_json)?;
    } else {
        data_v10(event, is_json)?;
    }
    extensions(event, v03)
}

/// A required string attribute; null counts as absent.
fn required<'v>(
    event: &'v Map<String, Value>,
    name: &'static str,
) -> Result<&'v str, InvalidCloudEvent> {
    optional(event, name)?.ok_or(InvalidCloudEvent::Missing(name))
}

/// An optional string attribute; null counts as absent.
fn optional<'v>(
    event: &'v Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'v str>, InvalidCloudEvent> {
    match event.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(InvalidCloudEvent::NotString(name)),
    }
}

/// What a `dataschema` or `schemaurl` is, by RFC 3986.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Uri {
    /// An absolute URI (§4.3), as CloudEvents 1.0 types `dataschema`.
    Absolute,
    /// A relative reference (§4.2), such as `#` or `/schemas/order.json`.
    Reference,
    /// Empty, or with characters no URI has.
    Neither,
}

/// Tells an absolute URI from a relative reference and from neither.
pub(crate) fn uri(text: &str) -> Uri {
    // RFC 3986's unreserved, reserved and percent characters; `url` itself
    // would percent-encode a space or a quote and take it.
    let uri_chars = |c: char| c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c);
    if text.is_empty() || !text.chars().all(uri_chars) {
        return Uri::Neither;
    }
    if url::Url::parse(text).is_ok() {
        return Uri::Absolute;
    }
    let base = url::Url::parse("ceh://base/");
    match base.map(|base| base.join(text)) {
        Ok(Ok(_)) => Uri::Reference,
        _ => Uri::Neither,
    }
}

/// Says once per process that a `dataschema` was a URI-reference: worth
/// knowing (an app whose SDK checks it strictly, as Go's and Rust's do, will
/// refuse the event), not worth a line for every event Event Grid sends.
fn warn_relative_dataschema() {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            "a CloudEvent's `dataschema` is a URI-reference, not the absolute URI CloudEvents 1.0 asks for; \
             accepted, as Azure Event Grid sends `#` (said once: later ones are accepted silently)"
        );
    }
}

/// The SDK's test of a JSON content type.
fn is_json(content_type: &str) -> bool {
    content_type.starts_with("application/json")
        || content_type.starts_with("text/json")
        || content_type.ends_with("+json")
}

/// 1.0: `data` (any JSON for a JSON content type, else a string) or
/// `data_base64` (base64), not both. A null member still counts as present.
fn data_v10(event: &Map<String, Value>, is_json: bool) -> Result<(), InvalidCloudEvent> {
    match (event.get("data"), event.get("data_base64")) {
        (Some(_), Some(_)) => Err(InvalidCloudEvent::BothData),
        (Some(Value::String(_)), None) => Ok(()),
        (Some(_), None) if is_json => Ok(()),
        (Some(_), None) => Err(InvalidCloudEvent::DataNotString),
        (None, Some(encoded)) => decode(encoded, "data_base64").map(drop),
        (None, None) => Ok(()),
    }
}

/// 0.3: `data`, base64 when `datacontentencoding` says so (and then JSON
/// once decoded, for a JSON content type).
fn data_v03(event: &Map<String, Value>, is_json: bool) -> Result<(), InvalidCloudEvent> {
    let base64 = match event.get("datacontentencoding") {
        None => false,
        Some(Value::String(encoding)) => encoding.eq_ignore_ascii_case("base64"),
        Some(_) => return Err(InvalidCloudEvent::NotString("datacontentencoding")),
    };
    match event.get("data") {
        None => Ok(()),
        Some(Value::String(_)) if !base64 => Ok(()),
        Some(_) if !base64 && is_json => Ok(()),
        Some(_) if !base64 => Err(InvalidCloudEvent::DataNotString),
        Some(encoded) => {
            let decoded = decode(encoded, "data")?;
            if is_json && serde_json::from_slice::<Value>(&decoded).is_err() {
                return Err(InvalidCloudEvent::Base64NotJson);
            }
            Ok(())
        }
    }
}

/// Decodes a base64 string member.
fn decode(encoded: &Value, name: &'static str) -> Result<Vec<u8>, InvalidCloudEvent> {
    let text = encoded.as_str().ok_or(InvalidCloudEvent::NotString(name))?;
    BASE64_STANDARD
        .decode(text)
        .map_err(|_| InvalidCloudEvent::Base64(name))
}

/// Every other non-null member is an extension: a string, a boolean or an
/// Integer, a JSON number with only an integer component (JSON format §2.2)
/// within 32 bits (spec, "Type System").
fn extensions(event: &Map<String, Value>, v03: bool) -> Result<(), InvalidCloudEvent> {
    const BOTH: [&str; 8] = [
        "specversion",
        "id",
        "type",
        "source",
        "datacontenttype",
        "subject",
        "time",
        "data",
    ];
    let own = if v03 {
        ["schemaurl", "datacontentencoding"]
    } else {
        ["dataschema", "data_base64"]
    };
    let known = |name: &str| BOTH.contains(&name) || own.contains(&name);
    for (name, value) in event.iter().filter(|(name, _)| !known(name)) {
        match value {
            Value::Null | Value::String(_) | Value::Bool(_) => {}
            Value::Number(n) if is_integer(n) => {}
            Value::Number(_) => return Err(InvalidCloudEvent::Integer(shown(name, SHOWN_CHARS))),
            _ => return Err(InvalidCloudEvent::Extension(shown(name, SHOWN_CHARS))),
        }
    }
    Ok(())
}

/// A CloudEvents Integer: written as an integer (serde_json reads `1.0` and
/// `1e3` as floats) and within -2,147,483,648 to +2,147,483,647.
fn is_integer(number: &Number) -> bool {
    number.as_i64().is_some_and(|n| i32::try_from(n).is_ok())
}

/// How much of a hostile string an error repeats.
const SHOWN_CHARS: usize = 40;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Deserialize;
    use serde_json::json;

    /// The SDK's verdict: whether it reads `json` as an event.
    fn sdk(json: &Value) -> bool {
        cloudevents::Event::deserialize(json).is_ok()
    }

    /// The verdict ceh must give: the SDK's, but where the spec and real
    /// senders part from it (see [`validate`]): a URI-reference `dataschema`
    /// or `schemaurl` is taken, and a number outside the CloudEvents Integer
    /// range is refused as an extension (elsewhere, but in `data`, no number
    /// is taken at all).
    fn expected(json: &Value) -> bool {
        let mut event = json.clone();
        if let Some(members) = event.as_object_mut() {
            let beyond_32_bits = |v: &Value| {
                (v.is_i64() || v.is_u64())
                    && v.as_i64().and_then(|n| i32::try_from(n).ok()).is_none()
            };
            if members
                .iter()
                .any(|(name, v)| name != "data" && beyond_32_bits(v))
            {
                return false;
            }
            for schema in ["dataschema", "schemaurl"] {
                if matches!(members.get(schema), Some(Value::String(s)) if uri(s) == Uri::Reference)
                {
                    members.insert(schema.to_owned(), json!("https://example.com/schema"));
                }
            }
        }
        sdk(&event)
    }

    /// Values that each attribute may take in a generated event.
    fn values() -> Vec<Option<Value>> {
        let mut values: Vec<Option<Value>> = [
            json!(null),
            json!("1.0"),
            json!("0.3"),
            json!(""),
            json!("text/plain"),
            json!("application/json"),
            json!("application/cloudevents+json"),
            json!("text/json; charset=utf-8"),
            json!("https://example.com/schema"),
            json!("/relative"),
            json!("2020-01-01T00:00:00Z"),
            json!("2020-01-01T00:00:00+01:00"),
            json!("yesterday"),
            json!("aGVsbG8="),
            json!("eyJhIjoxfQ=="),
            json!("aGVsbG8"),
            json!("!!"),
            json!("base64"),
            json!("BASE64"),
            json!(7),
            json!(-1),
            json!(1.5),
            json!(u64::MAX),
            json!(2_147_483_647),
            json!(2_147_483_648_i64),
            json!(-2_147_483_649_i64),
            json!("#"),
            json!(true),
            json!({}),
            json!({"a": [1]}),
            json!([]),
            json!(["x"]),
        ]
        .into_iter()
        .map(Some)
        .collect();
        values.push(None);
        values
    }

    const KEYS: [&str; 13] = [
        "specversion",
        "id",
        "type",
        "source",
        "datacontenttype",
        "dataschema",
        "schemaurl",
        "subject",
        "time",
        "data",
        "data_base64",
        "datacontentencoding",
        "myext",
    ];

    /// A valid event of either version with `changes` applied: a value from
    /// [`values`] set, or `None` to remove the key.
    fn changed(v03: bool, changes: &[(usize, usize)]) -> Value {
        let version = if v03 { "0.3" } else { "1.0" };
        let mut event = json!({"specversion": version, "id": "1", "source": "/s", "type": "t"});
        let values = values();
        for &(key, value) in changes {
            match (&values[value], event.as_object_mut()) {
                (Some(value), Some(members)) => {
                    members.insert(KEYS[key].to_owned(), value.clone());
                }
                (None, Some(members)) => {
                    members.shift_remove(KEYS[key]);
                }
                (_, None) => {}
            }
        }
        event
    }

    fn agree(event: &Value) {
        assert_eq!(
            validate(event).is_ok(),
            expected(event),
            "{event} gave {:?}",
            validate(event)
        );
    }

    /// Every attribute set to every value, alone; and every pair of the
    /// members that decide how data is read, together.
    #[test]
    fn agrees_with_the_sdk_on_each_change_and_each_pair_of_data_changes() {
        let data_keys = [4, 9, 10, 11]; // datacontenttype, data, data_base64, datacontentencoding
        let count = values().len();
        assert_eq!(count, 33, "agrees_with_the_sdk_on_any_mix draws from 0..33");
        for v03 in [false, true] {
            for key in 0..KEYS.len() {
                for value in 0..count {
                    agree(&changed(v03, &[(key, value)]));
                }
            }
            for first in data_keys {
                for second in data_keys.into_iter().filter(|&k| k != first) {
                    for a in 0..count {
                        for b in 0..count {
                            agree(&changed(v03, &[(first, a), (second, b)]));
                        }
                    }
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Any few attributes set to any values, together.
        #[test]
        fn agrees_with_the_sdk_on_any_mix(
            v03 in any::<bool>(),
            changes in prop::collection::vec((0..KEYS.len(), 0..33usize), 0..6),
        ) {
            let event = changed(v03, &changes);
            prop_assert_eq!(validate(&event).is_ok(), expected(&event), "{} gave {:?}", event, validate(&event));
        }
    }

    #[test]
    fn non_objects_are_refused_as_the_sdk_refuses_them() {
        for json in [
            json!([{"specversion": "1.0"}]),
            json!("1.0"),
            json!(null),
            json!(1),
        ] {
            assert_eq!(validate(&json), Err(InvalidCloudEvent::NotObject));
            assert!(!sdk(&json));
        }
    }

    #[test]
    fn errors_name_the_attribute_at_fault() {
        let event = |extra: Value| {
            let mut event = json!({"specversion": "1.0", "id": "1", "source": "/s", "type": "t"});
            event
                .as_object_mut()
                .into_iter()
                .for_each(|o| o.extend(extra.as_object().cloned().unwrap_or_default()));
            validate(&event).map_err(|e| e.to_string())
        };
        assert_eq!(
            event(json!({"id": 7})),
            Err("attribute `id` is not a string".into())
        );
        assert_eq!(
            event(json!({"specversion": "2.0"})),
            Err("specversion `2.0` is neither 1.0 nor 0.3".into())
        );
        assert_eq!(
            event(json!({"dataschema": "a b"})),
            Err("attribute `dataschema` is not a URI".into())
        );
        assert_eq!(
            event(json!({"data": 1, "data_base64": "aGk="})),
            Err("`data` and `data_base64` cannot both be present".into())
        );
        assert_eq!(
            event(json!({"data_base64": "!"})),
            Err("`data_base64` is not standard, padded base64".into())
        );
        assert_eq!(
            event(json!({"myext": {"a": 1}})),
            Err("extension `myext` is not a string, a boolean or an integer".into())
        );
        assert_eq!(
            event(json!({"datacontenttype": "text/plain", "data": {}})),
            Err("`data` must be a string: its datacontenttype is not JSON, or it is base64".into())
        );
        assert_eq!(
            event(json!({"data_base64": 7})),
            Err("attribute `data_base64` is not a string".into())
        );
        let long = format!("1.0\n{}", "x".repeat(10_000));
        assert_eq!(
            event(json!({"specversion": long})),
            Err(format!(
                "specversion `1.0\\n{}…` is neither 1.0 nor 0.3",
                "x".repeat(36)
            ))
        );
        assert_eq!(
            event(json!({"bad\r\next": []})),
            Err("extension `bad\\r\\next` is not a string, a boolean or an integer".into())
        );
        assert_eq!(
            event(json!({"myext": 1, "other": false, "third": "x", "data": {"deep": [1]}})),
            Ok(())
        );
    }

    /// The CloudEvents type system (spec 1.0, "Type System") as the JSON
    /// format maps it (§2.2: an Integer is a JSON number with only an
    /// integer component), and `dataschema` as real senders write it.
    #[test]
    fn numbers_and_schemas_follow_the_type_system() {
        let integer = |name: &str| Err(InvalidCloudEvent::Integer(name.to_owned()));
        let cases: [(&str, Result<(), InvalidCloudEvent>); 18] = [
            (r#""myext": 42"#, Ok(())),
            (r#""myext": 0"#, Ok(())),
            (r#""myext": 2147483647"#, Ok(())),
            (r#""myext": -2147483648"#, Ok(())),
            (r#""myext": 2147483648"#, integer("myext")),
            (r#""myext": -2147483649"#, integer("myext")),
            (r#""myext": 18446744073709551615"#, integer("myext")),
            (r#""myext": 42.42"#, integer("myext")),
            (r#""myext": 42.0"#, integer("myext")),
            (r#""myext": 4e1"#, integer("myext")),
            (r#""myext": "42.42""#, Ok(())),
            (r#""myext": "3000000000""#, Ok(())),
            (r#""data": 3000000000.5"#, Ok(())),
            (r##""dataschema": "#""##, Ok(())),
            (r#""dataschema": "/schemas/order.json""#, Ok(())),
            (r#""dataschema": "https://example.com/order.json""#, Ok(())),
            (
                r#""dataschema": """#,
                Err(InvalidCloudEvent::Url("dataschema")),
            ),
            (
                r#""dataschema": "a schema""#,
                Err(InvalidCloudEvent::Url("dataschema")),
            ),
        ];
        for (member, verdict) in cases {
            let text = format!(
                r#"{{"specversion": "1.0", "id": "1", "source": "/s", "type": "t", {member}}}"#
            );
            let event: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(validate(&event), verdict, "{text}");
        }
        let v03 =
            json!({"specversion": "0.3", "id": "1", "source": "/s", "type": "t", "schemaurl": "#"});
        assert_eq!(validate(&v03), Ok(()), "0.3's schemaurl is a URI-reference");
        assert_eq!(
            integer("myext").unwrap_err().to_string(),
            "extension `myext` is a number but no CloudEvents Integer, a whole number from -2147483648 \
             to 2147483647 written without fraction or exponent; send other numbers as strings"
        );
    }
}
