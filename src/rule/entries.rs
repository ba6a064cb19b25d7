//! A rule's `[rule.headers]` and `[rule.match]` tables as their entries, in order.

use serde::de::{Deserialize, Deserializer, Error, MapAccess, Visitor};

/// The entries of a table, in the order written. Compiling a rule only walks
/// them, so no map is built: reading the built-in rules at start no longer
/// hashes every key into a `toml::Table`. Read as `toml::Table` reads a map,
/// down to its messages (`a map` expected, `duplicate key`).
#[derive(Default)]
pub(crate) struct Entries(pub(crate) Vec<(String, toml::Value)>);

impl IntoIterator for Entries {
    type Item = (String, toml::Value);
    type IntoIter = std::vec::IntoIter<(String, toml::Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EntriesVisitor)
    }
}

struct EntriesVisitor;

impl<'de> Visitor<'de> for EntriesVisitor {
    type Value = Entries;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a map")
    }

    fn visit_unit<E: Error>(self) -> Result<Entries, E> {
        Ok(Entries::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
        let mut entries: Vec<(String, toml::Value)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            // A handful of entries: a scan costs less than hashing them.
            if entries.iter().any(|(seen, _)| *seen == key) {
                return Err(A::Error::custom(format!("duplicate key: `{key}`")));
            }
            let value = map.next_value()?;
            entries.push((key, value));
        }
        Ok(Entries(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same entries, in the same order, and the same refusals as a `toml::Table`.
    #[test]
    fn entries_read_as_a_table_reads() {
        let json = r#"{"$.b": "x", "$.a": {"one_of": ["p", "q"]}, "$.c": 1}"#;
        let entries: Entries = serde_json::from_str(json).unwrap();
        let table: toml::Table = serde_json::from_str(json).unwrap();
        let from_table: Vec<(String, toml::Value)> = table.into_iter().collect();
        assert_eq!(entries.0, from_table);
        let twice = r#"{"$.a": 1, "$.a": 2}"#;
        assert_eq!(
            serde_json::from_str::<Entries>(twice)
                .err()
                .map(|e| e.to_string()),
            serde_json::from_str::<toml::Table>(twice)
                .err()
                .map(|e| e.to_string())
        );
        assert_eq!(
            serde_json::from_str::<Entries>("\"x\"")
                .err()
                .map(|e| e.to_string()),
            serde_json::from_str::<toml::Table>("\"x\"")
                .err()
                .map(|e| e.to_string())
        );
    }
}
