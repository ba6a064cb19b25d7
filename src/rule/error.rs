//! Errors found while loading rule and configuration files, each at the line
//! of the key at fault, which it names.

use super::written::{Origin, Source};

/// A rule or configuration file that cannot be used. Every variant names the
/// file and line, and where it applies the rule and key at fault.
///
/// ```
/// use cloud_events_handler::{Config, LoadError};
///
/// let err = Config::parse("ceh.toml", "[[rule]]\nname = \"x\"\n").unwrap_err();
/// assert!(matches!(err, LoadError::Rule { .. }));
/// assert_eq!(err.to_string(), "ceh.toml:1: rule `x`: key `rule[0].path` is missing: an event rule needs a path such as \"/aws.s3\" or \"/{$.source}\"");
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
    /// The file is not one to read: a FIFO, a device or a directory, or
    /// over the limit of a configuration file's size.
    #[error(transparent)]
    File(crate::operator_file::OperatorFileError),
    /// The file is not valid TOML, or a key outside the rules is unknown or mistyped.
    #[error("{at}: {message}")]
    Toml {
        /// Where the parser stopped: the key at fault, when there is one.
        at: Origin,
        /// The parser's reason, after the TOML path of the key at fault
        /// (e.g. `fallback.pth: unknown key …`) when there is one.
        message: String,
    },
    /// A rule's key has a value that cannot be used.
    #[error("{at}: rule `{rule}`: {problem}")]
    Rule {
        /// The line of the key at fault; of the rule's table when the key is
        /// missing or the rule as a whole is at fault.
        at: Origin,
        /// The rule's name (or `#N`, its position in the file, when it has none).
        rule: String,
        /// What is wrong, naming the key at fault by its TOML path (e.g.
        /// `rule[0].path` or `rule[2].match."$.source"`, counting rules from 0),
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
        /// The line of the key at fault; of its table when the key is missing.
        at: Origin,
        /// What is wrong, naming the key at fault (e.g. `environment.SERVER_PORT`),
        /// and what to write instead.
        problem: String,
    },
}

impl LoadError {
    /// A TOML parse or shape error, located from the byte span the parser
    /// reports and naming the key written there.
    pub(crate) fn toml(file: &std::sync::Arc<str>, text: &str, err: &toml::de::Error) -> Self {
        let source = Source { file, text };
        let offset = err.span().map_or(0, |span| span.start);
        let message = err
            .message()
            .trim()
            .replace("unknown field", "unknown key")
            .replace("missing field", "missing key")
            .replace('\n', " ");
        let message = match source.key_at(offset) {
            Some(key) => format!("{key}: {message}"),
            None => message,
        };
        Self::Toml {
            at: source.at(offset),
            message,
        }
    }

    /// This error of a settings table (`problem` reads `key.path: …`), or of
    /// the rule at `index` of the file (`problem` names its keys in
    /// backquotes), at the line of the key at fault, which it names by its
    /// TOML path. Other errors are returned as they are.
    pub(crate) fn at_key(self, source: &Source<'_>, index: Option<usize>) -> Self {
        match (self, index) {
            (Self::Setting { at, problem }, _) => {
                let key = problem.split_once(": ").map_or("", |(key, _)| key);
                Self::Setting {
                    at: source.key_origin(&[key], at),
                    problem,
                }
            }
            (Self::Rule { at, rule, problem }, Some(index)) => {
                let (problem, keys) = rule_keys(&problem, index);
                Self::Rule {
                    at: source.key_origin(&keys, at),
                    rule,
                    problem,
                }
            }
            (other, _) => other,
        }
    }
}

/// `problem` with each key its lead names (`key `path` is missing: …`, ``keys
/// `body` and `metadata` apply …``) under `rule[index].`, and the keys so
/// named; the rule itself when it names none.
fn rule_keys(problem: &str, index: usize) -> (String, Vec<String>) {
    let rule = format!("rule[{index}]");
    let (lead, rest) = match problem.split_once(": ") {
        Some((lead, rest)) if lead.starts_with("key") => (lead, Some(rest)),
        _ if problem.starts_with("key") => (problem, None),
        _ => return (problem.to_owned(), vec![rule]),
    };
    let mut keys = Vec::new();
    let mut named = String::new();
    for (n, piece) in lead.split('`').enumerate() {
        if n % 2 == 1 {
            keys.push(format!("{rule}.{piece}"));
            named.push_str(&format!("`{rule}.{piece}`"));
        } else {
            named.push_str(piece);
        }
    }
    if let Some(rest) = rest {
        named.push_str(": ");
        named.push_str(rest);
    }
    if keys.is_empty() {
        keys.push(rule);
    }
    (named, keys)
}
