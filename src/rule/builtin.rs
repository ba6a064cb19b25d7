//! The built-in rules: `rules/*.toml`, embedded as the JSON `build.rs` makes of them, in the order they are tried.

use std::collections::HashMap;
use std::sync::Arc;

use super::compile::{compile_embedded, fallback_rule, RawFallback};
use super::compiled::Rule;
use super::error::LoadError;
use super::table::RuleTable;
use super::written::Origin;

/// The built-in rule files, `(name, TOML text)`, in precedence order.
///
/// They are the same files as `rules/` in the source tree, so a user can copy
/// any rule into a configuration file and change it.
///
/// ```
/// use cloud_events_handler::{rule::BUILTIN_FILES, RuleTable};
///
/// assert_eq!(BUILTIN_FILES[0].0, "rules/triggers.toml");
/// let table = RuleTable::builtin();
/// let from_files = |rule: &&cloud_events_handler::Rule| BUILTIN_FILES.iter().any(|(file, _)| **file == *rule.origin().file);
/// assert!(table.rules().iter().all(|rule| from_files(&rule)));
/// ```
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "rules/triggers.toml",
        include_str!("../../rules/triggers.toml"),
    ),
    ("rules/http.toml", include_str!("../../rules/http.toml")),
    (
        "rules/records.toml",
        include_str!("../../rules/records.toml"),
    ),
    (
        "rules/cloudevents.toml",
        include_str!("../../rules/cloudevents.toml"),
    ),
    ("rules/google.toml", include_str!("../../rules/google.toml")),
    ("rules/azure.toml", include_str!("../../rules/azure.toml")),
    (
        "rules/azure-functions.toml",
        include_str!("../../rules/azure-functions.toml"),
    ),
    (
        "rules/eventbridge.toml",
        include_str!("../../rules/eventbridge.toml"),
    ),
];

/// The built-in rule files as `build.rs` embeds them, in JSON, in the order of
/// [`BUILTIN_FILES`]. The TOML is what people read; this is what loads at start-up.
const BUILTIN_JSON: [&str; 8] = [
    include_str!(concat!(env!("OUT_DIR"), "/rules/triggers.json")),
    include_str!(concat!(env!("OUT_DIR"), "/rules/http.json")),
    include_str!(concat!(env!("OUT_DIR"), "/rules/records.json")),
    include_str!(concat!(env!("OUT_DIR"), "/rules/cloudevents.json")),
    include_str!(concat!(env!("OUT_DIR"), "/rules/google.json")),
    include_str!(concat!(env!("OUT_DIR"), "/rules/azure.json")),
    include_str!(concat!(env!("OUT_DIR"), "/rules/azure-functions.json")),
    include_str!(concat!(env!("OUT_DIR"), "/rules/eventbridge.json")),
];

/// Compiles the built-in rules, in order, recording their names in `seen`.
pub(crate) fn builtin_rules(seen: &mut HashMap<String, Origin>) -> Result<Vec<Rule>, LoadError> {
    let mut rules = Vec::new();
    for ((name, _), json) in BUILTIN_FILES.iter().zip(BUILTIN_JSON) {
        rules.extend(compile_embedded(&Arc::from(*name), json, seen)?);
    }
    Ok(rules)
}

/// The fallback used when no configuration sets one: a `POST /`, as the
/// original Python handler did for events it did not know.
pub(crate) fn default_fallback() -> Option<Rule> {
    let at = Origin {
        file: Arc::from("(default)"),
        line: 0,
    };
    fallback_rule(RawFallback::default(), at).ok().flatten()
}

impl RuleTable {
    /// The built-in rules and the default fallback (`POST /`).
    ///
    /// The built-in files are compiled by the test suite on every change, so
    /// this cannot fail at run time.
    ///
    /// ```
    /// use cloud_events_handler::RuleTable;
    ///
    /// let table = RuleTable::builtin();
    /// assert_eq!(table.rules()[0].name(), "warmup");
    /// assert_eq!(table.fallback().map(|rule| rule.name()), Some("fallback"));
    /// ```
    pub fn builtin() -> Self {
        let rules = builtin_rules(&mut HashMap::new())
            .expect("the built-in rules compile (checked by the test suite)");
        Self::new(rules, default_fallback())
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use toml::Spanned;

    use super::*;
    use crate::rule::compile::compile_rules;

    /// A file of `[[rule]]` tables and nothing else.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RuleFile {
        #[serde(default)]
        rule: Vec<Spanned<toml::Table>>,
    }

    /// Compiles the built-in rules from their TOML, as a user's copy of them would
    /// load: the embedded JSON must give the same table.
    fn builtin_rules_from_toml() -> Result<Vec<Rule>, LoadError> {
        let mut seen = HashMap::new();
        let mut rules = Vec::new();
        for (name, text) in BUILTIN_FILES {
            let file: Arc<str> = Arc::from(*name);
            let parsed: RuleFile =
                toml::from_str(text).map_err(|e| LoadError::toml(&file, text, &e))?;
            rules.extend(compile_rules(&file, text, parsed.rule, &mut seen)?);
        }
        Ok(rules)
    }

    #[test]
    fn the_embedded_rules_are_the_rule_files() {
        let embedded = builtin_rules(&mut HashMap::new()).unwrap();
        let from_toml = builtin_rules_from_toml().unwrap();
        assert_eq!(embedded.len(), from_toml.len());
        for (embedded, from_toml) in embedded.iter().zip(&from_toml) {
            assert_eq!(format!("{embedded:?}"), format!("{from_toml:?}"));
        }
    }

    #[test]
    fn every_rule_file_is_built_in() {
        let files: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/rules"))
            .unwrap()
            .map(|entry| format!("rules/{}", entry.unwrap().file_name().to_string_lossy()))
            .filter(|name| name.ends_with(".toml"))
            .collect();
        assert_eq!(files.len(), BUILTIN_FILES.len(), "{files:?}");
        for (name, _) in BUILTIN_FILES {
            assert!(files.iter().any(|file| file == name), "{name}");
        }
    }
}
