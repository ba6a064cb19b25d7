//! The built-in rules, embedded from `rules/*.toml` in the order they are tried.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use super::{compile_rules, fallback_rule, LoadError, Origin, RawFallback, Rule, RuleTable};

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
    (
        "rules/eventbridge.toml",
        include_str!("../../rules/eventbridge.toml"),
    ),
];

/// A file of `[[rule]]` tables and nothing else.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<Spanned<toml::Table>>,
}

/// Compiles the built-in rules, in order, recording their names in `seen`.
pub(crate) fn builtin_rules(seen: &mut HashMap<String, Origin>) -> Result<Vec<Rule>, LoadError> {
    let mut rules = Vec::new();
    for (name, text) in BUILTIN_FILES {
        let file: Arc<str> = Arc::from(*name);
        let parsed: RuleFile =
            toml::from_str(text).map_err(|e| LoadError::toml(&file, text, &e))?;
        rules.extend(compile_rules(&file, text, parsed.rule, seen)?);
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
