//! Errors found while loading rule and configuration files, and the reading of
//! settings tables that names the key at fault.

use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, DeserializeSeed, Error as _, IntoDeserializer, MapAccess};
use serde::{Deserialize, Deserializer};

/// Where a rule or setting was written: a file (or built-in rule set) and a line.
///
/// ```
/// use cloud_events_handler::RuleTable;
///
/// let origin = RuleTable::builtin().get("s3").unwrap().origin().clone();
/// assert!(origin.to_string().starts_with("rules/records.toml:"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The file name as the user gave it, or `rules/<name>.toml` for built-ins.
    pub file: std::sync::Arc<str>,
    /// 1-based line of the table that holds the rule or setting; 0 for none.
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}", self.file),
            line => write!(f, "{}:{line}", self.file),
        }
    }
}

/// A rule or configuration file that cannot be used. Every variant names the
/// file and line, and where it applies the rule and key at fault.
///
/// ```
/// use cloud_events_handler::{Config, LoadError};
///
/// let err = Config::parse("ceh.toml", "[[rule]]\nname = \"x\"\n").unwrap_err();
/// assert!(matches!(err, LoadError::Rule { .. }));
/// assert_eq!(err.to_string(), "ceh.toml:1: rule `x`: key `path` is missing: an event rule needs a path such as \"/aws.s3\" or \"/{$.source}\"");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("{file}: cannot read the file: {source}")]
    Read {
        /// The file as named by the user.
        file: String,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or a top-level key is unknown or mistyped.
    #[error("{at}: {message}")]
    Toml {
        /// Where the parser stopped.
        at: Origin,
        /// The parser's reason.
        message: String,
    },
    /// A rule's key has a value that cannot be used.
    #[error("{at}: rule `{rule}`: {problem}")]
    Rule {
        /// Where the rule starts.
        at: Origin,
        /// The rule's name (or `#N`, its position in the file, when it has none).
        rule: String,
        /// What is wrong, naming the key at fault (e.g. `path` or `match."$.source"`),
        /// and what to write instead.
        problem: String,
    },
    /// Two rules share a name.
    #[error("{at}: rule `{name}`: the name is already used at {first}; rule names must be unique")]
    DuplicateRule {
        /// The second rule.
        at: Origin,
        /// The shared name.
        name: String,
        /// The first rule with that name.
        first: Origin,
    },
    /// A setting outside the rules (environment, fallback) cannot be used.
    #[error("{at}: {problem}")]
    Setting {
        /// Where the table starts.
        at: Origin,
        /// What is wrong, naming the key at fault (e.g. `environment.SERVER_PORT`),
        /// and what to write instead.
        problem: String,
    },
}

impl LoadError {
    /// A TOML parse or shape error, located from the byte span the parser reports.
    pub(crate) fn toml(file: &std::sync::Arc<str>, text: &str, err: &toml::de::Error) -> Self {
        let line = err.span().map_or(1, |span| line_of(text, span.start));
        let message = err.message().trim().replace('\n', " ");
        Self::Toml {
            at: Origin {
                file: file.clone(),
                line,
            },
            message,
        }
    }
}

/// The 1-based line on which byte `offset` of `text` falls.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

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
}
