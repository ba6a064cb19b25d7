//! The parts of an event's JSON that a [`Need`] keeps, built straight from
//! its bytes: whatever no rule reads is read past, never built, but checked
//! as a parse would check it, so that one pass both checks and prunes. A 6 MiB
//! array of small numbers costs the few values its first element gives,
//! not the 30-odd bytes a `Value` takes for each of them.
//!
//! Every query over the pruned value selects what it would over the whole
//! one, for the queries the need was built from: a kept object has every
//! member they name, a kept array every element up to the last index they
//! name (the ones before it that nothing reads as `null`), or all of them
//! under a wildcard.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::check::Check;
use super::need::{Members, Need};

/// What `need` keeps of the JSON in `bytes`; `None` when `bytes` are not
/// one JSON value, as [`Event::from_bytes`](crate::Event::from_bytes) would
/// find them.
pub(crate) fn prune(bytes: &[u8], need: &Need) -> Option<Value> {
    // UTF-8 checked once for the whole text, not again for each string.
    let text = std::str::from_utf8(bytes).ok()?;
    let mut json = serde_json::Deserializer::from_str(text);
    let value = Keep(need).deserialize(&mut json).ok()?;
    json.end().ok()?;
    Some(value.unwrap_or(Value::Null))
}

/// Keeps what a need asks for of one value: nothing (`None`) for a scalar
/// where only members are read.
struct Keep<'n>(&'n Need);

impl<'de> DeserializeSeed<'de> for Keep<'_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, json: D) -> Result<Option<Value>, D::Error> {
        match self.0 {
            Need::All => Value::deserialize(json).map(Some),
            Need::Shallow => json.deserialize_any(Shallow).map(Some),
            Need::Members(members) => json.deserialize_any(Part(members)),
        }
    }
}

/// A scalar as it is; a container emptied.
struct Shallow;

/// The members of a container that a need names.
struct Part<'n>(&'n Members);

/// A scalar, the same whichever visitor meets it.
macro_rules! scalars {
    () => {
        fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_str<E>(self, v: &str) -> Result<Value, E> {
            Ok(Value::String(v.to_owned()))
        }
        fn visit_string<E>(self, v: String) -> Result<Value, E> {
            Ok(Value::String(v))
        }
        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
    };
}

impl<'de> Visitor<'de> for Shallow {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    scalars!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        while seq.next_element_seed(Check)?.is_some() {}
        Ok(Value::Array(Vec::new()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        while map.next_key_seed(Check)?.is_some() {
            map.next_value_seed(Check)?;
        }
        Ok(Value::Object(Map::new()))
    }
}

impl Part<'_> {
    /// A scalar, kept unless only members are read here.
    fn scalar(&self, value: impl FnOnce() -> Value) -> Option<Value> {
        (!self.0.members_only).then(value)
    }
}

impl<'de> Visitor<'de> for Part<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Option<Value>, E> {
        Ok(self.scalar(|| Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Option<Value>, E> {
        Ok(self.scalar(|| Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Option<Value>, E> {
        Ok(self.scalar(|| Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Option<Value>, E> {
        Ok(self.scalar(|| Value::from(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Option<Value>, E> {
        Ok(self.scalar(|| Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Option<Value>, E> {
        Ok(self.scalar(|| Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<Option<Value>, E> {
        Ok(self.scalar(|| Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Value>, A::Error> {
        let members = self.0;
        // Past the last index named, only a wildcard keeps elements.
        let last = members.indexes.keys().next_back().copied();
        let mut kept = Vec::new();
        let mut index = 0;
        loop {
            let need = members.indexes.get(&index).or(members.every.as_ref());
            match need {
                Some(need) => match seq.next_element_seed(Keep(need))? {
                    Some(Some(value)) => kept.push(value),
                    // A scalar nothing reads: its place kept only where places are read.
                    Some(None) if members.by_position || last.is_some_and(|last| index < last) => {
                        kept.push(Value::Null)
                    }
                    Some(None) => {}
                    None => break,
                },
                None => {
                    if seq.next_element_seed(Check)?.is_none() {
                        break;
                    }
                    if last.is_some_and(|last| index < last) {
                        kept.push(Value::Null);
                    }
                }
            }
            index += 1;
        }
        Ok(Some(Value::Array(kept)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Value>, A::Error> {
        let members = self.0;
        let mut kept = Map::new();
        while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
            match members.names.get(name.as_ref()).or(members.every.as_ref()) {
                Some(need) => {
                    match map.next_value_seed(Keep(need))? {
                        // An empty object or array read only for its members has
                        // nothing to give: absent, it reads the same, costs nothing.
                        Some(value) if !(members_only(need) && is_empty(&value)) => {
                            kept.insert(name.into_owned(), value);
                        }
                        // A repeated name's last value is the one a parse keeps.
                        _ => {
                            kept.shift_remove(name.as_ref());
                        }
                    }
                }
                None => {
                    map.next_value_seed(Check)?;
                }
            }
        }
        Ok(Some(Value::Object(kept)))
    }
}

/// Whether `need` reads only the members of the value it is for.
fn members_only(need: &Need) -> bool {
    matches!(need, Need::Members(members) if members.members_only)
}

/// Whether `value` is an object or array with nothing in it.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Object(members) => members.is_empty(),
        Value::Array(elements) => elements.is_empty(),
        _ => false,
    }
}

/// A member name, borrowed from the bytes when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(json: D) -> Result<Self, D::Error> {
        struct Name;
        impl<'de> Visitor<'de> for Name {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        json.deserialize_str(Name)
    }
}

#[cfg(test)]
mod tests {
    use super::super::need::Names;
    use super::*;
    use crate::RuleTable;
    use serde_json::json;

    fn first(bytes: &[u8]) -> Value {
        prune(bytes, &RuleTable::builtin().needs.first).unwrap()
    }

    #[test]
    fn only_what_the_rules_read_is_built() {
        let numbers = format!("[{}1]", "1,".repeat(1000));
        let kept = first(numbers.as_bytes());
        assert!(kept.as_array().is_some_and(|a| a.len() <= 1), "{kept}");
        let s3 = br#"{"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "b", "arn": "arn:aws:s3:::b"}, "object": {"key": "k", "size": 7}}}],
            "unread": {"deep": [1, 2, 3]}}"#;
        let kept = first(s3);
        assert_eq!(kept["Records"][0]["eventSource"], "aws:s3");
        assert_eq!(kept["Records"][0]["s3"]["bucket"]["name"], "b");
        assert!(kept.get("unread").is_none(), "{kept}");
    }

    #[test]
    fn indexes_keep_their_places_and_wildcards_keep_every_element() {
        let mut members = Members::default();
        members.indexes.insert(2, Need::Shallow);
        let kept = prune(b"[0, 1, 2, 3]", &Need::Members(Box::new(members))).unwrap();
        assert_eq!(kept, json!([null, null, 2]));
        let members = Members {
            every: Some(Need::Shallow),
            ..Members::default()
        };
        let kept = prune(br#"[{"a": 1}, 2, [3]]"#, &Need::Members(Box::new(members))).unwrap();
        assert_eq!(kept, json!([{}, 2, []]));
    }

    #[test]
    fn scalars_read_only_for_their_members_are_not_kept() {
        let need = |text: &str| {
            let mut need = Need::Shallow;
            need.merge(crate::rule::Query::parse(text).unwrap().need(Need::Shallow));
            need.settle();
            need
        };
        let numbers = format!("[{}{{\"type\": \"x\"}}, 2]", "1,".repeat(1000));
        let kept = prune(numbers.as_bytes(), &need("$[*].type")).unwrap();
        assert_eq!(kept, json!([{"type": "x"}]));
        let kept = prune(numbers.as_bytes(), &need("$[?@.type == 'x'].type")).unwrap();
        assert_eq!(kept, json!([{"type": "x"}]));
        // By position, a dropped element keeps its place.
        let kept = prune(b"[1, {\"type\": \"x\"}, 2]", &need("$[-2].type")).unwrap();
        assert_eq!(kept, json!([null, {"type": "x"}, null]));
        let kept = prune(b"[1, {\"type\": \"x\"}, 2]", &need("$[1:].type")).unwrap();
        assert_eq!(kept, json!([null, {"type": "x"}, null]));
        // A value read for itself stays, a repeated name's last value wins.
        let kept = prune(b"[1, 2]", &need("$[*]")).unwrap();
        assert_eq!(kept, json!([1, 2]));
        let kept = prune(br#"{"a": {"b": 1}, "a": 3}"#, &need("$.a.b")).unwrap();
        assert_eq!(kept, json!({}));
        // An empty object or array read only for its members is left out (an SQS
        // record's `"messageAttributes": {}` costs nothing); read for itself, it stays.
        let kept = prune(br#"{"a": {}, "c": [], "d": {"e": 1}}"#, &need("$.a.b")).unwrap();
        assert_eq!(kept, json!({}));
        let mut both = need("$.a.b");
        both.merge(need("$.c[0]"));
        both.merge(need("$.d.e"));
        let kept = prune(br#"{"a": {}, "c": [], "d": {"e": 1}}"#, &both).unwrap();
        assert_eq!(kept, json!({"d": {"e": 1}}));
        let kept = prune(br#"{"a": {}, "c": []}"#, &need("$.a")).unwrap();
        assert_eq!(kept, json!({"a": {}}));
    }

    #[test]
    fn a_repeated_name_keeps_its_last_value_in_its_first_place_as_a_full_parse_does() {
        let members = Members {
            names: Names::of(["a", "b"]),
            ..Members::default()
        };
        let bytes = br#"{"a": 1, "b": 2, "a": 3}"#;
        let kept = prune(bytes, &Need::Members(Box::new(members))).unwrap();
        let full: Value = serde_json::from_slice(bytes).unwrap();
        assert_eq!(kept, full);
        assert_eq!(
            kept.as_object()
                .map(|o| o.keys().cloned().collect::<Vec<_>>()),
            full.as_object()
                .map(|o| o.keys().cloned().collect::<Vec<_>>())
        );
        assert_eq!(prune(b"[1,", &Need::Shallow), None);
    }
}
