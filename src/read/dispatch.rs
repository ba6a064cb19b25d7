//! Indexed dispatch: rules that test the same field for a constant are looked
//! up by the event's value of that field, not tried one by one.
//!
//! A rule is *gated* by its first `equals`/`one_of` predicate on a string and a
//! singular query (names and indexes only) that at least [`MIN_RULES_PER_KEY`]
//! rules test. Such a rule can match only when the event's value at that query
//! is one of its strings, so the table finds its candidates — the ungated rules
//! and the gated rules whose value the event has — and tries just those, still
//! in table order: first match wins as before.
//!
//! A rule without such a predicate is still gated by a name its predicates
//! need at the root: `"$.triggerSource" = { exists = true }` holds only for an
//! object with a `triggerSource` key, so the rule is a candidate only for such
//! events.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde_json::Value;

/// A singular query an index is keyed by, as the rule format compiles it.
pub(crate) trait Lookup: Clone {
    /// The query as written: rules that test the same text share a key.
    fn text(&self) -> &str;
    /// The one value the query selects in `json`.
    fn single<'v>(&self, json: &'v Value) -> Option<&'v Value>;
}

/// What one rule offers the index: the singular queries its predicates
/// test for string constants, in order, with those strings; and a root
/// name its predicates need.
#[derive(Clone, Debug)]
pub(crate) struct Gates<'r, K> {
    /// A singular query and the strings one of its values must be.
    pub(crate) values: Vec<(&'r K, Vec<&'r str>)>,
    /// A name the root object must have for the rule to match.
    pub(crate) root_name: Option<&'r str>,
}

/// How many rules must test a field before it is worth an index.
pub(crate) const MIN_RULES_PER_KEY: usize = 4;

/// The index's maps: keyed by rule-file strings, looked up with event strings.
type Index = HashMap<String, Vec<usize>, BuildHasherDefault<WordHasher>>;

/// A fast, unkeyed hash for the index. Hash flooding needs inserts, and only
/// rule files insert: an event only looks up, so the worst an event can do
/// is probe the entries a rule file made.
#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut mix =
            |word: u64| self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            mix(u64::from_le_bytes(word));
        }
        let mut tail = [0u8; 8];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        mix(u64::from_le_bytes(tail) ^ bytes.len() as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The index: which rules may match an event, found by lookups.
#[derive(Clone, Debug)]
pub(crate) struct Dispatch<K> {
    keys: Vec<K>,
    /// Per key: the event's value → the rules gated on it, in table order.
    by_value: Vec<Index>,
    /// Root name → the rules that need it (and have no value gate).
    by_root_name: Index,
    /// Rules no index can rule out, in table order.
    ungated: Vec<usize>,
}

impl<K> Default for Dispatch<K> {
    fn default() -> Self {
        Self {
            keys: Vec::new(),
            by_value: Vec::new(),
            by_root_name: Index::default(),
            ungated: Vec::new(),
        }
    }
}

impl<K: Lookup> Dispatch<K> {
    /// The index of rules that offer `rules`, in table order.
    pub(crate) fn new(rules: &[Gates<'_, K>]) -> Self {
        // Count the rules testing each singular query for string constants.
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for rule in rules {
            for (query, _) in &rule.values {
                *counts.entry(query.text()).or_default() += 1;
            }
        }
        let mut dispatch = Dispatch::default();
        for (index, rule) in rules.iter().enumerate() {
            let gate = rule.values.iter().find(|(query, _)| {
                counts
                    .get(query.text())
                    .is_some_and(|n| *n >= MIN_RULES_PER_KEY)
            });
            let Some((query, values)) = gate else {
                match rule.root_name {
                    Some(name) => dispatch
                        .by_root_name
                        .entry(name.to_owned())
                        .or_default()
                        .push(index),
                    None => dispatch.ungated.push(index),
                }
                continue;
            };
            let key = match dispatch
                .keys
                .iter()
                .position(|k: &K| k.text() == query.text())
            {
                Some(key) => key,
                None => {
                    dispatch.keys.push((*query).clone());
                    dispatch.by_value.push(Index::default());
                    dispatch.keys.len() - 1
                }
            };
            for value in values {
                dispatch.by_value[key]
                    .entry((*value).to_owned())
                    .or_default()
                    .push(index);
            }
        }
        dispatch
    }

    /// The indexes of the rules that may match `json`, in table order.
    pub(crate) fn candidates(&self, json: &Value) -> Vec<usize> {
        let mut found = Vec::with_capacity(self.ungated.len() + 8);
        found.extend_from_slice(&self.ungated);
        if let Some(object) = json.as_object() {
            for name in object.keys() {
                if let Some(rules) = self.by_root_name.get(name) {
                    found.extend_from_slice(rules);
                }
            }
        }
        for (key, query) in self.keys.iter().enumerate() {
            let rules = query
                .single(json)
                .and_then(Value::as_str)
                .and_then(|value| self.by_value[key].get(value));
            if let Some(rules) = rules {
                found.extend_from_slice(rules);
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, RuleTable};
    use serde_json::json;

    /// Every rule whose predicates hold, in order: with the index and without it.
    fn agree(table: &RuleTable, json: &Value) {
        let linear: Vec<usize> = (0..table.rules.len())
            .filter(|&i| table.rules[i].matches(json))
            .collect();
        let indexed: Vec<usize> = table
            .dispatch
            .candidates(json)
            .into_iter()
            .filter(|&i| table.rules[i].matches(json))
            .collect();
        assert_eq!(linear, indexed, "for {json}");
    }

    fn fixtures() -> Vec<Value> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut out = Vec::new();
        for dir in std::fs::read_dir(root).unwrap() {
            let dir = dir.unwrap().path();
            if dir.is_dir() {
                for file in std::fs::read_dir(dir).unwrap() {
                    let file = file.unwrap().path();
                    if file.extension().is_some_and(|e| e == "json") {
                        out.push(serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap());
                    }
                }
            }
        }
        out
    }

    /// Each fixture, and each with any one node replaced by a few other values.
    fn variants() -> Vec<Value> {
        fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
            out.push(at.clone());
            match value {
                Value::Object(map) => map.iter().for_each(|(k, v)| {
                    pointers(
                        v,
                        format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                        out,
                    )
                }),
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .for_each(|(i, v)| pointers(v, format!("{at}/{i}"), out)),
                _ => {}
            }
        }
        let replacements = [
            json!(null),
            json!("aws:sqs"),
            json!("2.0"),
            json!(1),
            json!([]),
        ];
        let mut out = Vec::new();
        for fixture in fixtures() {
            let mut all = Vec::new();
            pointers(&fixture, String::new(), &mut all);
            for pointer in all.iter().skip(1).step_by(3) {
                for replacement in &replacements {
                    let mut variant = fixture.clone();
                    if let Some(slot) = variant.pointer_mut(pointer) {
                        *slot = replacement.clone();
                    }
                    out.push(variant);
                }
            }
            out.push(fixture);
        }
        out
    }

    #[test]
    fn the_index_never_changes_what_matches() {
        let table = RuleTable::builtin();
        assert!(
            !table.dispatch.keys.is_empty(),
            "the built-in rules share keys worth indexing"
        );
        for variant in variants() {
            agree(&table, &variant);
        }
    }

    #[test]
    fn a_thousand_user_rules_route_by_lookup() {
        let mut text = String::new();
        for i in 0..1000 {
            text.push_str(&format!(
                "[[rule]]\nname = \"r{i}\"\npath = \"/r{i}\"\n[rule.match]\n\"$.source\" = \"com.example.s{}\"\n\"$['detail-type']\" = \"t{}\"\n",
                i % 100,
                i / 100
            ));
        }
        let config = Config::parse("many.toml", &text).unwrap();
        let table = config.rules();
        let event = json!({"source": "com.example.s42", "detail-type": "t7", "detail": {}});
        let candidates = table.dispatch.candidates(&event);
        assert!(
            candidates.len() < 80,
            "{} candidates out of {}",
            candidates.len(),
            table.rules.len()
        );
        agree(table, &event);
        let event = crate::Event::from_json(event);
        let found = table.classify(&event).unwrap();
        assert_eq!(found.rule().name(), "r742");
        for variant in variants().into_iter().step_by(7) {
            agree(table, &variant);
        }
    }
}
