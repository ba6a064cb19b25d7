//! Errors found while loading rule and configuration files, and the reading of
//! settings tables that names the key at fault.

use std::fmt;

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
