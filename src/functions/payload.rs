//! An invocation payload as the rules read it: the host's `{"Data", "Metadata"}`
//! with `Data` cut down to the trigger's own binding when function.json names
//! it (input bindings' data stays out), so that `$.Data.*` is the trigger's.

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

/// The event for an invocation payload `body`: as sent, or with `Data` cut
/// down to `binding` when it names one of several members. The values keep
/// their bytes; only the envelope around them is new.
pub(crate) fn event(body: Bytes, binding: Option<&str>, max: usize) -> Result<Event, EventError> {
    let whole = Event::from_bytes_limited(body.clone(), max)?;
    let Some(binding) = binding else {
        return Ok(whole);
    };
    let Ok(payload) = serde_json::from_slice::<Payload<'_>>(&body) else {
        return Ok(whole);
    };
    let members = payload.data.unwrap_or_default();
    let Some(trigger) = members.get(binding) else {
        return Ok(whole);
    };
    if members.len() == 1 {
        return Ok(whole);
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
    Event::from_bytes_limited(Bytes::from(text), max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_keeps_the_trigger_only() {
        let body = Bytes::from_static(
            br#"{"Data": {"doc": {"big": 12345678901234567890123}, "msg": "caf\u00e9"}, "Metadata": {"Id": 1.50}}"#,
        );
        let event = event(body.clone(), Some("msg"), 1 << 20).unwrap();
        assert_eq!(
            event.bytes(),
            r#"{"Data": {"msg": "caf\u00e9"}, "Metadata": {"Id": 1.50}}"#
        );
        let kept = event_or_same(body.clone(), Some("other"));
        assert_eq!(kept, body, "an unknown binding leaves the payload as sent");
        assert_eq!(event_or_same(body.clone(), None), body);
    }

    fn event_or_same(body: Bytes, binding: Option<&str>) -> Bytes {
        event(body, binding, 1 << 20)
            .map(|e| e.bytes().clone())
            .unwrap_or_default()
    }
}
