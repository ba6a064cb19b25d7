//! `ceh functions`' ingest: an invocation payload as the rules read it, the
//! host's `{"Data", "Metadata"}` with `Data` cut down to the trigger's own
//! binding when function.json names it (input bindings' data stays out), so
//! that `$.Data.*` is the trigger's.

use std::borrow::Cow;
use std::collections::HashMap;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::event::{Event, EventError};

/// The host's payload, its values left as the bytes they are.
#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(rename = "Data", borrow, default)]
    data: Option<HashMap<Cow<'a, str>, &'a RawValue>>,
    #[serde(rename = "Metadata", borrow, default)]
    metadata: Option<&'a RawValue>,
}

/// The event for an invocation payload `body`, read once by `read`: as
/// sent, or with `Data` cut down to `binding` when it names one of several
/// members. The values keep their bytes; only the envelope around them is new.
pub(crate) fn event(
    body: Bytes,
    binding: Option<&str>,
    read: impl FnOnce(Bytes) -> Result<Event, EventError>,
) -> Result<Event, EventError> {
    match binding.and_then(|binding| cut_down(&body, binding)) {
        Some(cut) => read(cut),
        None => read(body),
    }
}

/// `body` with `Data` cut down to `binding`'s member, when it has that
/// member among others; `None` when it is to be read as sent (it is not
/// such a payload, or not JSON: reading it says so).
fn cut_down(body: &Bytes, binding: &str) -> Option<Bytes> {
    let payload = serde_json::from_slice::<Payload<'_>>(body).ok()?;
    let members = payload.data.unwrap_or_default();
    let trigger = members.get(binding)?;
    if members.len() == 1 {
        return None;
    }
    let name = serde_json::Value::from(binding).to_string();
    let mut text = String::with_capacity(body.len());
    text.push_str("{\"Data\": {");
    text.push_str(&name);
    text.push_str(": ");
    text.push_str(trigger.get());
    text.push_str("}, \"Metadata\": ");
    text.push_str(payload.metadata.map_or("{}", RawValue::get));
    text.push('}');
    Some(Bytes::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_keeps_the_trigger_only() {
        let body = Bytes::from_static(
            br#"{"Data": {"doc": {"big": 12345678901234567890123}, "msg": "caf\u00e9"}, "Metadata": {"Id": 1.50}}"#,
        );
        let event = event(body.clone(), Some("msg"), read).unwrap();
        assert_eq!(
            event.bytes(),
            r#"{"Data": {"msg": "caf\u00e9"}, "Metadata": {"Id": 1.50}}"#
        );
        let kept = event_or_same(body.clone(), Some("other"));
        assert_eq!(kept, body, "an unknown binding leaves the payload as sent");
        assert_eq!(event_or_same(body.clone(), None), body);
    }

    fn read(bytes: Bytes) -> Result<Event, EventError> {
        Event::from_bytes_limited(bytes, 1 << 20)
    }

    fn event_or_same(body: Bytes, binding: Option<&str>) -> Bytes {
        event(body, binding, read)
            .map(|e| e.bytes().clone())
            .unwrap_or_default()
    }
}
