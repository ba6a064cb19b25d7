//! The nodes a plain query selects, found in the event's own bytes.
//!
//! A batch record goes to the app as a request body of its own. Writing the
//! record's parsed `Value` out again would change it: digits of a number
//! beyond what an `f64` holds, escapes such as `\u00e9`, the spacing. So the
//! record is found in the JSON text as it arrived, by walking the query's
//! steps over it with serde, building nothing but the list of places.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use bytes::Bytes;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::step::Step;

/// Every node `steps` reach in `bytes`, in document order, each a slice of
/// `bytes`; `None` when `bytes` is not one JSON value.
///
/// It selects what walking the same steps over the parsed `Value` selects:
/// where an object repeats a name, the last value counts, in the place of
/// the first (as in serde_json's ordered map).
pub(crate) fn select(steps: &[Step], bytes: &Bytes) -> Option<Vec<Bytes>> {
    let mut found = Vec::new();
    let mut json = serde_json::Deserializer::from_slice(bytes);
    Walk {
        steps,
        found: &mut found,
    }
    .deserialize(&mut json)
    .ok()?;
    json.end().ok()?;
    // Each node borrows from `bytes` (a `&RawValue` cannot be deserialized
    // otherwise), so it is always a subset that `slice_ref` shares.
    Some(
        found
            .into_iter()
            .map(|node| bytes.slice_ref(node.get().as_bytes()))
            .collect(),
    )
}

/// Walks `steps` over one JSON value, adding what they reach to `found`.
struct Walk<'s, 'f, 'de> {
    steps: &'s [Step],
    found: &'f mut Vec<&'de RawValue>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, json: D) -> Result<(), D::Error> {
        match self.steps.split_first() {
            None => {
                self.found.push(<&RawValue>::deserialize(json)?);
                Ok(())
            }
            Some((step, rest)) => json.deserialize_any(StepVisitor {
                step,
                rest,
                found: self.found,
            }),
        }
    }
}

/// Takes one step into a value: a member, an element, or all of either.
struct StepVisitor<'s, 'f, 'de> {
    step: &'s Step,
    rest: &'s [Step],
    found: &'f mut Vec<&'de RawValue>,
}

impl<'de> StepVisitor<'_, '_, 'de> {
    /// What the rest of the steps reach from the next value of `walk_into`.
    fn nodes<E>(
        &self,
        walk_into: impl FnOnce(Walk<'_, '_, 'de>) -> Result<(), E>,
    ) -> Result<Vec<&'de RawValue>, E> {
        let mut nodes = Vec::new();
        walk_into(Walk {
            steps: self.rest,
            found: &mut nodes,
        })?;
        Ok(nodes)
    }
}

impl<'de> Visitor<'de> for StepVisitor<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    // A step into a scalar reaches nothing.
    pass_over_scalars!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        match *self.step {
            Step::All => {
                while items
                    .next_element_seed(Walk {
                        steps: self.rest,
                        found: self.found,
                    })?
                    .is_some()
                {}
            }
            Step::Index(index) if index >= 0 => {
                let mut at = 0;
                loop {
                    let more = if at == index {
                        let seed = Walk {
                            steps: self.rest,
                            found: &mut *self.found,
                        };
                        items.next_element_seed(seed)?.is_some()
                    } else {
                        items.next_element::<IgnoredAny>()?.is_some()
                    };
                    if !more {
                        break;
                    }
                    at += 1;
                }
            }
            Step::Index(index) => {
                // Every element's nodes: a negative index counts from the end,
                // which a stream learns only when the array closes.
                let mut elements = Vec::new();
                loop {
                    let mut nodes = Vec::new();
                    let seed = Walk {
                        steps: self.rest,
                        found: &mut nodes,
                    };
                    if items.next_element_seed(seed)?.is_none() {
                        break;
                    }
                    elements.push(nodes);
                }
                let at = usize::try_from(index.unsigned_abs())
                    .ok()
                    .and_then(|back| elements.len().checked_sub(back));
                if let Some(nodes) = at.and_then(|at| elements.get_mut(at)) {
                    self.found.append(nodes);
                }
            }
            Step::Name(_) => while items.next_element::<IgnoredAny>()?.is_some() {},
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<(), A::Error> {
        match self.step {
            Step::Name(name) => {
                let mut last = None;
                while let Some(key) = members.next_key_seed(Key)? {
                    if key == **name {
                        last = Some(self.nodes(|walk| members.next_value_seed(walk))?);
                    } else {
                        members.next_value::<IgnoredAny>()?;
                    }
                }
                self.found.extend(last.into_iter().flatten());
            }
            Step::All => {
                let mut values: Vec<Vec<&'de RawValue>> = Vec::new();
                let mut places: HashMap<Cow<'de, str>, usize> = HashMap::new();
                while let Some(key) = members.next_key_seed(Key)? {
                    let nodes = self.nodes(|walk| members.next_value_seed(walk))?;
                    match places.get(&key).and_then(|&place| values.get_mut(place)) {
                        Some(earlier) => *earlier = nodes,
                        None => {
                            places.insert(key, values.len());
                            values.push(nodes);
                        }
                    }
                }
                self.found.extend(values.into_iter().flatten());
            }
            Step::Index(_) => while members.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {},
        }
        Ok(())
    }
}

/// A member name, borrowed from the bytes unless it has escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, json: D) -> Result<Self::Value, D::Error> {
        json.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, name: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(name))
    }

    fn visit_str<E>(self, name: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{json, Value};

    use crate::rule::Query;

    /// What `query` selects from `text`, found in the text, read back as JSON.
    fn raw(query: &str, text: &str) -> Option<Vec<Value>> {
        let query = Query::parse(query).ok()?;
        let found = query.select_raw(&bytes::Bytes::copy_from_slice(text.as_bytes()))?;
        Some(
            found
                .iter()
                .map(|node| serde_json::from_slice(node).unwrap_or(Value::Null))
                .collect(),
        )
    }

    /// What `query` selects from `text` parsed into a `Value`.
    fn parsed(query: &str, text: &str) -> Vec<Value> {
        let json: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        let query = Query::parse(query).unwrap_or_else(|e| panic!("{query}: {e}"));
        query.select(&json).into_iter().cloned().collect()
    }

    #[test]
    fn records_are_the_bytes_as_they_stand() {
        let text =
            r#"{"Records": [ {"n": 12345678901234567890123, "s": "caf\u00e9 \/"} ,{"n":1.50}]}"#;
        let query = Query::parse("$.Records[*]").unwrap_or_else(|e| panic!("{e}"));
        let found = query
            .select_raw(&bytes::Bytes::copy_from_slice(text.as_bytes()))
            .unwrap_or_default();
        assert_eq!(
            found,
            [
                r#"{"n": 12345678901234567890123, "s": "caf\u00e9 \/"}"#,
                r#"{"n":1.50}"#
            ]
        );
    }

    #[test]
    fn repeated_names_select_what_the_parsed_map_keeps() {
        // A repeated name: the last value counts, in the place of the first.
        let text = r#"{"a": [1], "b": [2], "a": [3, 4]}"#;
        for query in ["$.a[*]", "$.*[*]", "$.a", "$.*", "$.a[-1]"] {
            assert_eq!(raw(query, text), Some(parsed(query, text)), "{query}");
        }
        assert_eq!(
            raw("$.*[*]", text),
            Some(vec![json!(3), json!(4), json!(2)])
        );
    }

    #[test]
    fn escaped_names_are_matched_by_what_they_spell() {
        let text = r#"{"R\u0065cords": [{"x": 1}]}"#;
        assert_eq!(raw("$.Records[*]", text), Some(vec![json!({"x": 1})]));
    }

    #[test]
    fn steps_into_the_wrong_kind_of_value_reach_nothing() {
        let text = r#"{"a": {"0": 1}, "b": [1, 2], "c": "text", "d": null}"#;
        for query in [
            "$.a[0]", "$.b.x", "$.c[*]", "$.d.x", "$.b[5]", "$.b[-3]", "$.e",
        ] {
            assert_eq!(raw(query, text), Some(vec![]), "{query}");
        }
        assert_eq!(raw("$.b[-1]", text), Some(vec![json!(2)]));
    }

    #[test]
    fn text_that_is_not_one_json_value_is_refused() {
        for text in ["", "{", "[1] [2]", "{\"a\": 1} x"] {
            assert_eq!(raw("$.a", text), None, "{text:?}");
        }
    }

    #[test]
    fn general_queries_are_left_to_the_parsed_walk() {
        assert_eq!(raw("$.Records[?@.x]", r#"{"Records": [{"x": 1}]}"#), None);
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            "[a-c\u{e9}\"\\\\/]{0,4}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 40, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::vec(("[ab]|Records", inner), 0..4)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    fn plain_query() -> impl Strategy<Value = String> {
        let step = prop_oneof![
            Just(".a".to_owned()),
            Just("['b']".to_owned()),
            Just(".Records".to_owned()),
            Just("[*]".to_owned()),
            Just(".*".to_owned()),
            (-2i64..3).prop_map(|i| format!("[{i}]")),
        ];
        prop::collection::vec(step, 0..4).prop_map(|steps| format!("${}", steps.concat()))
    }

    proptest! {
        #[test]
        fn the_bytes_and_the_parsed_walk_select_the_same(json in json_value(), query in plain_query()) {
            let expected = parsed(&query, &json.to_string());
            for text in [json.to_string(), serde_json::to_string_pretty(&json).unwrap_or_default()] {
                prop_assert_eq!(raw(&query, &text), Some(expected.clone()), "{} in {}", query, text);
            }
        }
    }
}
