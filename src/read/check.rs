//! Checking that bytes are one JSON value, building nothing: what an
//! event's bytes pass before they are an [`Event`](crate::Event), and what
//! [`prune`](super::prune()) reads past where no rule reads.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// Checks that `bytes` are one JSON value exactly as parsing them into a
/// `Value` would (strings, escapes, numbers, depth), building nothing.
pub(crate) fn check(bytes: &[u8]) -> Result<(), serde_json::Error> {
    // JSON is UTF-8 throughout: checked once here, not string by string.
    let Ok(text) = std::str::from_utf8(bytes) else {
        // For the parser's own error, at the parser's own place.
        return serde_json::from_slice::<Value>(bytes).map(drop);
    };
    let mut json = serde_json::Deserializer::from_str(text);
    Check.deserialize(&mut json)?;
    json.end()
}

/// Reads one JSON value through the visitor a `Value` would use, keeping
/// nothing: the same checks a parse makes, for what no rule reads.
#[derive(Clone, Copy)]
pub(crate) struct Check;

impl<'de> DeserializeSeed<'de> for Check {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, json: D) -> Result<(), D::Error> {
        json.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Check {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }
    pass_over_scalars!();
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(self)?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }
}
