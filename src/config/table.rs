//! Reading a settings table (`[environment]`, `[reply]`, `[http]`) with serde,
//! so that an error names the key as it was written, which serde's own
//! messages leave out.

use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, DeserializeSeed, Error as _, IntoDeserializer, MapAccess};
use serde::{Deserialize, Deserializer};

/// Reads settings table `name` (`reply`, `environment.rule.s3`…) into its raw
/// form `T`, whose fields are all optional. An error reads `name.key: …`, as
/// written at the table's line; an unknown key is told to use one of `keys`.
///
/// serde's errors do not name the key, so the entries are handed to `T` one
/// at a time and the one in hand when an error comes up is the key at fault:
/// failing on the key itself, it is one `T` does not know (`deny_unknown_fields`);
/// between the key and its value, serde found a setting written twice, under
/// two of its names (`alias`).
pub(crate) fn read_table<T: DeserializeOwned>(
    table: toml::Table,
    name: &str,
    keys: &str,
) -> Result<T, String> {
    let mut entries = Entries {
        iter: table.into_iter(),
        key: String::new(),
        value: None,
        reading: Reading::Value,
    };
    T::deserialize(MapAccessDeserializer::new(&mut entries)).map_err(|err| {
        let key = &entries.key;
        match entries.reading {
            Reading::Key => unknown_key(name, key, keys),
            Reading::Between => format!(
                "{name}.{key}: {}; write the setting once, under one of its names",
                err.message().replace("duplicate field", "duplicate key")
            ),
            Reading::Value => format!("{name}.{key}: {}", err.message()),
        }
    })
}

/// The error for a key settings table `name` has no use for.
pub(crate) fn unknown_key(name: &str, key: &str, keys: &str) -> String {
    format!("{name}.{key}: unknown key; use {keys}")
}

/// Deserializes a setting as TOML and checks it with `check`, whose error is
/// what [`read_table`] reports for the key: for `deserialize_with`, where
/// serde's own wording would not say what to write.
pub(crate) fn checked<'de, D: Deserializer<'de>, T>(
    deserializer: D,
    check: impl FnOnce(toml::Value) -> Result<T, String>,
) -> Result<Option<T>, D::Error> {
    check(toml::Value::deserialize(deserializer)?)
        .map(Some)
        .map_err(D::Error::custom)
}

/// `expected {what}, found {found's type}`.
pub(crate) fn expected(what: &str, found: &toml::Value) -> String {
    format!("expected {what}, found {}", found.type_str())
}

/// A table's entries as serde reads them, remembering where it is.
struct Entries {
    iter: toml::map::IntoIter<String, toml::Value>,
    key: String,
    /// The value of `key`, until serde asks for it.
    value: Option<toml::Value>,
    reading: Reading,
}

/// What [`Entries`] was handing to serde last.
enum Reading {
    Key,
    Between,
    Value,
}

impl<'de> MapAccess<'de> for Entries {
    type Error = toml::de::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some((key, value)) = self.iter.next() else {
            return Ok(None);
        };
        self.key.clone_from(&key);
        self.value = Some(value);
        self.reading = Reading::Key;
        let key = seed.deserialize(key.into_deserializer())?;
        self.reading = Reading::Between;
        Ok(Some(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        self.reading = Reading::Value;
        let value = self
            .value
            .take()
            .ok_or_else(|| Self::Error::custom("a value was asked for before its key"))?;
        // toml hands a datetime to serde as text: no setting takes one, so it is refused here.
        if let toml::Value::Datetime(_) = value {
            return Err(Self::Error::custom(expected("a string", &value)));
        }
        seed.deserialize(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        #[serde(default, alias = "SIZE", deserialize_with = "size")]
        size: Option<i64>,
    }

    fn size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        checked(d, |value| {
            value
                .as_integer()
                .ok_or_else(|| expected("a number", &value))
        })
    }

    fn read(text: &str) -> Result<Raw, String> {
        read_table(toml::from_str(text).unwrap(), "t", "size")
    }

    #[test]
    fn errors_name_the_key_as_written() {
        assert_eq!(read("SIZE = 2").unwrap().size, Some(2));
        assert_eq!(
            read("SIZE = \"2\"").unwrap_err(),
            "t.SIZE: expected a number, found string"
        );
        assert_eq!(
            read("colour = 1").unwrap_err(),
            "t.colour: unknown key; use size"
        );
        assert_eq!(
            read("size = 1\nSIZE = 2").unwrap_err(),
            "t.SIZE: duplicate key `size`; write the setting once, under one of its names"
        );
    }

    #[test]
    fn a_datetime_is_no_setting() {
        assert_eq!(
            read("SIZE = 1979-05-27T07:32:00Z").unwrap_err(),
            "t.SIZE: expected a string, found datetime"
        );
        let err = crate::Config::parse(
            "ceh.toml",
            "[environment]\nHTTP_X_WHEN = 1979-05-27T07:32:00Z\n",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .ends_with("expected a string, found datetime"),
            "{err}"
        );
    }
}
